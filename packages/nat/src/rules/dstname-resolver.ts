// Keeps the dstname rules of a RuleSet matching what their names resolve to now.
//
// Qubes resolves a dsthost once, "at the moment of applying the rules, and not on the fly"
// (qubes-doc security/qubes-firewall "How to edit rules"; qubes-core-agent-linux
// qubesagent/firewall.py calls getaddrinfo while it builds the rules), so the addresses go stale
// when the name moves, and a failed lookup blocks all the client's traffic (qubes-issues #5269).
// Here each name follows its DNS answers instead:
//
// - An answer (A records, or none for NXDOMAIN/NODATA) replaces the name's addresses and is
//   asked again when its TTL runs out (RFC 1035 §3.2.1: the TTL is how long it may be cached;
//   RFC 2308 §5 for negative answers), the TTL clamped to [minTtlSeconds, maxTtlSeconds]: a TTL
//   of 0 (RFC 1035 §3.2.1 "should not be cached") would otherwise make a query loop.
// - A failed lookup (timeout, SERVFAIL) keeps the last answer's addresses, as Qubes keeps the
//   one answer it got, and is retried every retrySeconds until a lookup answers. Dropping the
//   addresses would turn a DNS outage into a firewall change: accept rules would close and
//   drop rules would open. A name that never had an answer matches nothing meanwhile.
// - follow(newSet) on a reload gives the names the new set shares with the old one their known
//   addresses at once, without waiting for a lookup, so a reload opens no window in which the
//   dstname rules match nothing; those names keep their schedule. New names are looked up at
//   once; names no longer present stop being followed.
//
// onChange runs after a lookup changed a name's addresses (not when follow() copies known
// addresses into a new set: the caller knows it swapped the set).

import type { Clock, Logger, Sleep, Timer } from '@oasis/core';
import { formatIpv4Address } from '@oasis/wire';
import type { RuleSet } from './rule-set.ts';

export interface NameAnswer {
  readonly addresses: readonly number[];
  readonly ttlSeconds: number;
}

export interface DstnameResolverOptions {
  /** Rejects on failure (NXDOMAIN = addresses [] with the negative TTL). */
  readonly resolve: (name: string) => Promise<NameAnswer>;
  readonly sleep: Sleep;
  readonly clock: Clock;
  /** Default 30: clamp so a TTL of 0 does not make a query loop. */
  readonly minTtlSeconds?: number;
  /** Default 86_400. */
  readonly maxTtlSeconds?: number;
  /** Default 30, after a failed lookup. */
  readonly retrySeconds?: number;
  /** After addresses changed. */
  readonly onChange?: () => void;
  readonly logger?: Logger;
}

/** What is known about one followed name. */
interface Followed {
  readonly name: string;
  /** Sorted, without duplicates; undefined until the first answer. */
  addresses: readonly number[] | undefined;
  /** The next lookup; undefined while one is in flight. */
  timer: Timer | undefined;
  /** Settles after the first lookup answered or failed (or the resolver closed). */
  readonly first: Promise<void>;
  settleFirst: () => void;
}

export class DstnameResolver {
  readonly #options: DstnameResolverOptions;
  readonly #minTtlSeconds: number;
  readonly #maxTtlSeconds: number;
  readonly #retrySeconds: number;
  readonly #followed = new Map<string, Followed>();
  #rules: RuleSet | undefined;
  #closed = false;

  constructor(options: DstnameResolverOptions) {
    const minTtlSeconds = options.minTtlSeconds ?? 30;
    const maxTtlSeconds = options.maxTtlSeconds ?? 86_400;
    const retrySeconds = options.retrySeconds ?? 30;
    if (
      !(
        minTtlSeconds > 0 &&
        maxTtlSeconds >= minTtlSeconds &&
        Number.isFinite(maxTtlSeconds) &&
        retrySeconds > 0 &&
        Number.isFinite(retrySeconds)
      )
    ) {
      throw new RangeError(
        `DstnameResolver needs finite 0 < minTtlSeconds <= maxTtlSeconds and 0 < retrySeconds, got ${minTtlSeconds}, ${maxTtlSeconds}, ${retrySeconds}`,
      );
    }
    this.#options = options;
    this.#minTtlSeconds = minTtlSeconds;
    this.#maxTtlSeconds = maxTtlSeconds;
    this.#retrySeconds = retrySeconds;
  }

  /** Starts following the names of `rules` (replacing the previous set: names still present keep their known addresses and schedule; names gone stop being refreshed). Resolves once every name has had a first answer or failure. */
  async follow(rules: RuleSet): Promise<void> {
    if (this.#closed) throw new TypeError('DstnameResolver.follow() after close(): make a new one');
    this.#rules = rules;
    const names = new Set(rules.names());
    for (const [name, followed] of this.#followed) {
      if (names.has(name)) continue;
      followed.timer?.cancel();
      followed.settleFirst();
      this.#followed.delete(name);
    }
    const firsts: Promise<void>[] = [];
    for (const name of names) {
      const known = this.#followed.get(name);
      if (known === undefined) {
        const followed = newFollowed(name);
        this.#followed.set(name, followed);
        void this.#lookUp(followed);
        firsts.push(followed.first);
      } else {
        if (known.addresses !== undefined) rules.setAddresses(name, known.addresses);
        firsts.push(known.first);
      }
    }
    await Promise.all(firsts);
  }

  /** Stops all timers. */
  close(): void {
    this.#closed = true;
    for (const followed of this.#followed.values()) {
      followed.timer?.cancel();
      followed.settleFirst();
    }
    this.#followed.clear();
    this.#rules = undefined;
  }

  async #lookUp(followed: Followed): Promise<void> {
    const { name } = followed;
    followed.timer = undefined;
    let nextSeconds: number;
    let changed = false;
    try {
      const answer = await this.#options.resolve(name);
      if (!this.#isCurrent(followed)) return;
      nextSeconds = this.#clampTtl(answer.ttlSeconds);
      changed = this.#replace(followed, answer.addresses);
      if (changed) {
        this.#options.logger?.info('dstname addresses changed', {
          name,
          addresses: followed.addresses?.map(formatIpv4Address),
          refreshSeconds: nextSeconds,
        });
      }
    } catch (error) {
      if (!this.#isCurrent(followed)) return;
      nextSeconds = this.#retrySeconds;
      this.#options.logger?.warn('dstname lookup failed, keeping the last answer', {
        name,
        error,
        addresses: followed.addresses?.map(formatIpv4Address) ?? 'none yet',
        retrySeconds: nextSeconds,
      });
    } finally {
      followed.settleFirst();
    }
    const deadlineMs = this.#options.clock.nowMs() + nextSeconds * 1000;
    followed.timer = this.#options.sleep.setTimer(deadlineMs, () => void this.#lookUp(followed));
    if (changed) this.#options.onChange?.();
  }

  /** Gives the name `addresses` in the current set; whether they differ from the last answer. */
  #replace(followed: Followed, addresses: readonly number[]): boolean {
    const sorted = [...new Set(addresses)].sort((a, b) => a - b);
    // Throws RangeError, before it changes anything, if an address is not one: a failed lookup.
    this.#rules?.setAddresses(followed.name, sorted);
    const changed = !sameAddresses(followed.addresses, sorted);
    followed.addresses = sorted;
    return changed;
  }

  /** False once the name was dropped by follow() or close(): its answer is no longer wanted. */
  #isCurrent(followed: Followed): boolean {
    return !this.#closed && this.#followed.get(followed.name) === followed;
  }

  #clampTtl(ttlSeconds: number): number {
    // A NaN TTL (a broken resolve function) is treated as the shortest allowed.
    if (!(ttlSeconds >= this.#minTtlSeconds)) return this.#minTtlSeconds;
    return Math.min(ttlSeconds, this.#maxTtlSeconds);
  }
}

function newFollowed(name: string): Followed {
  let settleFirst = (): void => {};
  const first = new Promise<void>((resolve) => {
    settleFirst = resolve;
  });
  return { name, addresses: undefined, timer: undefined, first, settleFirst };
}

function sameAddresses(a: readonly number[] | undefined, b: readonly number[]): boolean {
  return a !== undefined && a.length === b.length && a.every((address, i) => address === b[i]);
}
