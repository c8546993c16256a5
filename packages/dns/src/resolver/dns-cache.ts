// The resolver's answer cache: what an upstream said about a question, kept for the answer's
// TTL within bounds, negative answers for the SOA's negative TTL (RFC 2308 §5), at most
// `maxEntries` questions with the least recently used evicted first. TTLs handed out count down
// from when the answer was stored (RFC 1035 §7.4).

import type { Clock } from '@oasis/core';
import { Rcode, RecordType } from '../wire/constants.ts';
import type { DnsQuestion, DnsRecord } from '../wire/message.ts';

export interface DnsCacheOptions {
  /** Questions kept at most (default 10,000). */
  readonly maxEntries?: number;
  /** The longest a positive answer is kept, seconds (default one day, as Unbound's cache-max-ttl). */
  readonly maxTtl?: number;
  /** The shortest a positive answer is kept, seconds (default 0: TTLs are honoured). */
  readonly minTtl?: number;
  /** The longest a negative answer is kept, seconds (default one hour; RFC 2308 §5 suggests 1-3 h). */
  readonly maxNegativeTtl?: number;
}

/** An upstream's answer, as the resolver relays and caches it. */
export interface ResolvedAnswer {
  readonly rcode: number;
  readonly answers: readonly DnsRecord[];
  readonly authorities: readonly DnsRecord[];
}

interface Entry {
  readonly answer: ResolvedAnswer;
  readonly storedMs: number;
  readonly expiresMs: number;
}

export class DnsCache {
  readonly #entries = new Map<string, Entry>();
  readonly #clock: Clock;
  readonly #maxEntries: number;
  readonly #maxTtl: number;
  readonly #minTtl: number;
  readonly #maxNegativeTtl: number;
  #hits = 0;
  #misses = 0;
  #evictions = 0;

  constructor(clock: Clock, options: DnsCacheOptions = {}) {
    this.#clock = clock;
    this.#maxEntries = options.maxEntries ?? 10_000;
    this.#maxTtl = options.maxTtl ?? 86_400;
    this.#minTtl = options.minTtl ?? 0;
    this.#maxNegativeTtl = options.maxNegativeTtl ?? 3_600;
    if (!(this.#maxEntries >= 1))
      throw new RangeError('a DNS cache needs room for one entry at least');
  }

  /** The cached answer with TTLs counted down, or undefined (also once it expired). */
  get(question: DnsQuestion): ResolvedAnswer | undefined {
    const key = cacheKey(question);
    const entry = this.#entries.get(key);
    const now = this.#clock.nowMs();
    if (entry === undefined || entry.expiresMs <= now) {
      if (entry !== undefined) this.#entries.delete(key);
      this.#misses++;
      return undefined;
    }
    // Least recently used order: a hit moves the entry to the end.
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    this.#hits++;
    const elapsed = Math.floor((now - entry.storedMs) / 1000);
    const remaining = Math.ceil((entry.expiresMs - now) / 1000);
    const age = (record: DnsRecord): DnsRecord => ({
      ...record,
      ttl: Math.min(remaining, Math.max(0, effectiveTtl(record.ttl) - elapsed)),
    });
    return {
      rcode: entry.answer.rcode,
      answers: entry.answer.answers.map(age),
      authorities: entry.answer.authorities.map(age),
    };
  }

  /**
   * Stores an answer. Positive answers live for their smallest TTL, bounded by minTtl and
   * maxTtl; NXDOMAIN and NODATA for the SOA's negative TTL (RFC 2308 §5), and not at all
   * without an SOA. Other RCODEs (SERVFAIL, REFUSED) are not cached here.
   */
  put(question: DnsQuestion, answer: ResolvedAnswer): void {
    const ttl = this.#lifetime(answer);
    if (ttl === undefined || ttl <= 0) return;
    const key = cacheKey(question);
    const now = this.#clock.nowMs();
    this.#entries.delete(key);
    this.#entries.set(key, { answer, storedMs: now, expiresMs: now + ttl * 1000 });
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
      this.#evictions++;
    }
  }

  #lifetime(answer: ResolvedAnswer): number | undefined {
    const negative =
      answer.rcode === Rcode.NXDOMAIN ||
      (answer.rcode === Rcode.NOERROR && answer.answers.length === 0);
    if (negative) {
      const soa = answer.authorities.find((record) => record.type === RecordType.SOA);
      if (soa === undefined || soa.data.kind !== 'SOA') return undefined;
      const ttl = Math.min(effectiveTtl(soa.ttl), soa.data.minimum);
      return Math.min(ttl, this.#maxNegativeTtl);
    }
    if (answer.rcode !== Rcode.NOERROR) return undefined;
    let ttl = Number.POSITIVE_INFINITY;
    for (const record of answer.answers) ttl = Math.min(ttl, effectiveTtl(record.ttl));
    return Math.max(this.#minTtl, Math.min(this.#maxTtl, ttl));
  }

  get size(): number {
    return this.#entries.size;
  }

  counters(): Readonly<Record<string, number>> {
    return {
      'cache.entries': this.#entries.size,
      'cache.hits': this.#hits,
      'cache.misses': this.#misses,
      'cache.evictions': this.#evictions,
    };
  }
}

/** RFC 2181 §8: a TTL with the top bit set is read as zero. */
function effectiveTtl(ttl: number): number {
  return ttl > 0x7fff_ffff ? 0 : ttl;
}

function cacheKey(question: DnsQuestion): string {
  return `${question.name.key}/${question.type}/${question.class}`;
}
