// What iteration has learned about zone cuts (RFC 1034 §5.3.3 step 2: "find the best servers to
// ask"): for each zone, the names of its servers, and for each server name its addresses, each
// kept for its records' TTL. Both maps are bounded and least-recently-used first out. The root's
// servers come from the hints and never expire.

import type { Clock } from '@oasis/core';
import { DnsName } from '../../wire/name.ts';
import { ExpiringLru } from './expiring-lru.ts';
import type { RootHint } from './root-hints.ts';

export interface NameServer {
  readonly name: DnsName;
  /** Its known addresses (hints, glue or an earlier lookup); empty when it must be looked up. */
  readonly addresses: readonly string[];
}

/** A zone and the servers that answer for it. */
export interface ZoneCut {
  readonly zone: DnsName;
  readonly servers: readonly NameServer[];
}

/** The longest a delegation is kept, seconds: one day, as the answer cache's default maxTtl. */
const MAX_TTL = 86_400;

export class DelegationCache {
  readonly #clock: Clock;
  readonly #zones: ExpiringLru<readonly DnsName[]>;
  readonly #addresses: ExpiringLru<readonly string[]>;
  readonly #hints = new Map<string, readonly string[]>();
  readonly #rootServers: readonly DnsName[];

  /** At most `maxEntries` zones and as many server names. */
  constructor(clock: Clock, rootHints: readonly RootHint[], maxEntries: number) {
    this.#clock = clock;
    this.#zones = new ExpiringLru(maxEntries);
    this.#addresses = new ExpiringLru(maxEntries);
    for (const hint of rootHints) this.#hints.set(hint.name.key, hint.addresses);
    this.#rootServers = rootHints.map((hint) => hint.name);
  }

  /** The deepest known cut at or above `name`: the root's (from the hints) when nothing else is. */
  closest(name: DnsName): ZoneCut {
    const now = this.#clock.nowMs();
    for (let count = name.labels.length; count > 0; count--) {
      const zone = name.ancestor(count);
      const servers = this.#zones.get(zone.key, now);
      if (servers !== undefined) return this.#cut(zone, servers);
    }
    return this.#cut(DnsName.ROOT, this.#rootServers);
  }

  /** Remembers the servers of `zone` from a referral's NS RRset, for `ttl` seconds. */
  storeZone(zone: DnsName, servers: readonly DnsName[], ttl: number): void {
    if (zone.isRoot || servers.length === 0) return;
    const expiresMs = this.#expiry(ttl);
    if (expiresMs !== undefined) this.#zones.set(zone.key, servers, expiresMs);
  }

  /** Remembers the addresses of a server name (glue or a lookup's answer) for `ttl` seconds. */
  storeAddresses(host: DnsName, addresses: readonly string[], ttl: number): void {
    const expiresMs = this.#expiry(ttl);
    if (addresses.length > 0 && expiresMs !== undefined) {
      this.#addresses.set(host.key, addresses, expiresMs);
    }
  }

  /** The known addresses of a server name, or undefined. */
  addresses(host: DnsName): readonly string[] | undefined {
    return this.#addresses.get(host.key, this.#clock.nowMs()) ?? this.#hints.get(host.key);
  }

  counters(): Readonly<Record<string, number>> {
    return {
      'delegations.zones': this.#zones.size,
      'delegations.hosts': this.#addresses.size,
      'delegations.evictions': this.#zones.evictions + this.#addresses.evictions,
    };
  }

  #cut(zone: DnsName, servers: readonly DnsName[]): ZoneCut {
    return {
      zone,
      servers: servers.map((name) => ({ name, addresses: this.addresses(name) ?? [] })),
    };
  }

  /** RFC 2181 §8: a TTL with the top bit set is zero; zero is not kept at all (RFC 1035 §3.2.1). */
  #expiry(ttl: number): number | undefined {
    const seconds = ttl > 0x7fff_ffff ? 0 : Math.min(ttl, MAX_TTL);
    return seconds > 0 ? this.#clock.nowMs() + seconds * 1000 : undefined;
  }
}
