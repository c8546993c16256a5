// The caching resolver's answer to a client's query: names from the hosts file first, then the
// blocklist (the Mirage Hole), then the cache, then the upstream (forwarder or recursion), with
// identical questions in flight sharing one upstream query (which also denies a spoofer the
// many parallel queries a birthday attack needs, RFC 5452 §5). Cache hits answer synchronously.

import type { Logger } from '@oasis/core';
import { responseTo } from '../response.ts';
import { Opcode, Rcode, RecordClass, RecordType } from '../wire/constants.ts';
import { ExtendedError, extendedErrorOption } from '../wire/edns.ts';
import type { DnsMessage, DnsQuestion, DnsRecord } from '../wire/message.ts';
import type { DnsCache, ResolvedAnswer } from './dns-cache.ts';
import type { BlockedNames } from './local-names/blocklist.ts';
import type { LocalHosts } from './local-names/hosts-file.ts';
import type { Upstream } from './upstream.ts';

/** How blocked names are answered: with the unspecified address (A 0.0.0.0, AAAA ::) or NXDOMAIN. */
export type BlockMode = 'null' | 'nxdomain';

export interface ResolverOptions {
  readonly upstream: Upstream;
  readonly cache: DnsCache;
  /** The current hosts file (a function: the service swaps it on reload). */
  readonly hosts?: () => LocalHosts | undefined;
  readonly blocked?: () => BlockedNames | undefined;
  readonly blockMode?: BlockMode;
  /** TTL of blocked answers, seconds (default 60). */
  readonly blockedTtl?: number;
  readonly logger: Logger;
}

export class Resolver {
  readonly #options: ResolverOptions;
  readonly #inFlight = new Map<string, Promise<ResolvedAnswer>>();
  #counts = { queries: 0, local: 0, blocked: 0, cached: 0, upstream: 0, coalesced: 0, servfail: 0 };

  constructor(options: ResolverOptions) {
    this.#options = options;
  }

  /** The answer to `query`; a promise only when the upstream must be asked. */
  answer(query: DnsMessage): DnsMessage | Promise<DnsMessage> {
    this.#counts.queries++;
    if (query.opcode !== Opcode.QUERY) return responseTo(query, { rcode: Rcode.NOTIMP, ra: true });
    const question = query.questions[0];
    if (question === undefined) return responseTo(query, { rcode: Rcode.FORMERR, ra: true });
    if (question.type === RecordType.AXFR || question.type === RecordType.IXFR) {
      return responseTo(query, { rcode: Rcode.REFUSED, ra: true });
    }
    const local = this.#local(query, question);
    if (local !== undefined) return local;
    const cached = this.#options.cache.get(question);
    if (cached !== undefined) {
      this.#counts.cached++;
      return respond(query, cached);
    }
    return this.#resolve(question).then(
      (answer) => respond(query, answer),
      (error: unknown) => {
        this.#counts.servfail++;
        this.#options.logger.debug('resolution failed', { question: describe(question), error });
        return responseTo(query, {
          rcode: Rcode.SERVFAIL,
          ra: true,
          ednsOptions: [extendedErrorOption(ExtendedError.NO_REACHABLE_AUTHORITY)],
        });
      },
    );
  }

  #local(query: DnsMessage, question: DnsQuestion): DnsMessage | undefined {
    const hosts = this.#options.hosts?.()?.lookup(question.name, question.type);
    if (hosts !== undefined) {
      this.#counts.local++;
      return responseTo(query, {
        rcode: Rcode.NOERROR,
        aa: true,
        ra: true,
        answers: hosts === 'nodata' ? [] : hosts,
      });
    }
    const blockedBy = this.#options.blocked?.()?.match(question.name);
    if (blockedBy === undefined) return undefined;
    this.#counts.blocked++;
    const ednsOptions = [extendedErrorOption(ExtendedError.BLOCKED)];
    if (this.#options.blockMode === 'nxdomain') {
      return responseTo(query, { rcode: Rcode.NXDOMAIN, ra: true, ednsOptions });
    }
    return responseTo(query, {
      rcode: Rcode.NOERROR,
      ra: true,
      answers: unspecifiedAddress(question, this.#options.blockedTtl ?? 60),
      ednsOptions,
    });
  }

  #resolve(question: DnsQuestion): Promise<ResolvedAnswer> {
    const key = `${question.name.key}/${question.type}/${question.class}`;
    const pending = this.#inFlight.get(key);
    if (pending !== undefined) {
      this.#counts.coalesced++;
      return pending;
    }
    this.#counts.upstream++;
    const resolving = this.#options.upstream.resolve(question).then((answer) => {
      this.#options.cache.put(question, answer);
      return answer;
    });
    this.#inFlight.set(key, resolving);
    const forget = (): void => void this.#inFlight.delete(key);
    resolving.then(forget, forget);
    return resolving;
  }

  counters(): Readonly<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const [name, value] of Object.entries(this.#counts)) counts[`resolver.${name}`] = value;
    return { ...counts, ...this.#options.cache.counters(), ...this.#options.upstream.counters() };
  }
}

function respond(query: DnsMessage, answer: ResolvedAnswer): DnsMessage {
  return responseTo(query, {
    rcode: answer.rcode,
    ra: true,
    answers: answer.answers,
    authorities: answer.authorities,
  });
}

function unspecifiedAddress(question: DnsQuestion, ttl: number): DnsRecord[] {
  const record = (type: number, data: DnsRecord['data']): DnsRecord => ({
    name: question.name,
    type,
    class: RecordClass.IN,
    ttl,
    data,
  });
  if (question.type === RecordType.A)
    return [record(RecordType.A, { kind: 'A', address: '0.0.0.0' })];
  if (question.type === RecordType.AAAA) {
    return [record(RecordType.AAAA, { kind: 'AAAA', address: '::' })];
  }
  return [];
}

function describe(question: DnsQuestion): string {
  return `${question.name} ${question.type}`;
}
