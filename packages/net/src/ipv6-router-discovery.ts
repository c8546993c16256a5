// Router and prefix discovery for one interface, the host side of RFC 4861 §6.3: Router
// Solicitations at start (§6.3.7), and what valid Router Advertisements teach (§6.3.4): the
// default router list, the on-link prefix list, the link parameters (hop limit, MTU, reachable
// time, retransmission timer), and the recursive DNS servers of RFC 8106. A pure state machine:
// time is passed in, `poll` says whether to solicit now and expires what ran out, `pollAt` says
// when to poll again. Address autoconfiguration from the same advertisements is RFC 4862's and
// lives with the addresses (ipv6-host-config.ts).
//
// Every list is bounded, so that a flood of forged advertisements costs a fixed amount of
// memory; what does not fit is ignored and counted. Not implemented: router preferences and
// route information options (RFC 4191), Redirect (§8), solicitations after the first three
// (RFC 7559).

import { bytesEqual, type Counters, type Random } from '@oasis/core';
import { IPV6_MIN_MTU, ipv6InPrefix, isIpv6LinkLocal } from '@oasis/wire';

/** RFC 4861 §10 host constants. */
export const MAX_RTR_SOLICITATION_DELAY_MS = 1000;
export const RTR_SOLICITATION_INTERVAL_MS = 4000;
export const MAX_RTR_SOLICITATIONS = 3;
export const REACHABLE_TIME_MS = 30_000;
export const RETRANS_TIMER_MS = 1000;
const MIN_RANDOM_FACTOR = 0.5;
const MAX_RANDOM_FACTOR = 1.5;
/** RFC 4861 §6.3.4: ReachableTime is drawn again at least every few hours; we take two. */
const REACHABLE_TIME_REDRAW_MS = 2 * 60 * 60 * 1000;
/** The default of CurHopLimit before any advertisement (RFC 4861 §6.3.2, IANA: 64). */
export const DEFAULT_HOP_LIMIT = 64;
/** A lifetime of all one bits is infinity (RFC 4861 §4.6.2, RFC 8106 §5.1). */
export const INFINITE_LIFETIME_S = 0xffff_ffff;

const MAX_DEFAULT_ROUTERS = 8;
const MAX_ON_LINK_PREFIXES = 16;
const MAX_DNS_SERVERS = 3;

/** A Prefix Information option (RFC 4861 §4.6.2) as the stack parsed it. */
export interface PrefixInformation {
  readonly prefix: Uint8Array;
  readonly prefixLength: number;
  /** L flag. */
  readonly onLink: boolean;
  /** A flag. */
  readonly autonomous: boolean;
  readonly validLifetimeS: number;
  readonly preferredLifetimeS: number;
}

/**
 * A Router Advertisement (RFC 4861 §4.2) the stack parsed and validated as §6.1.2 asks (hop limit
 * 255, link-local source, ICMP code 0, checksum, option lengths). Zero in `curHopLimit`,
 * `reachableTimeMs` and `retransTimerMs` means "unspecified by this router".
 */
export interface RouterAdvertisementInfo {
  readonly source: Uint8Array;
  readonly curHopLimit: number;
  readonly routerLifetimeS: number;
  readonly reachableTimeMs: number;
  readonly retransTimerMs: number;
  /** The MTU option (§4.6.4), if present. */
  readonly mtu?: number;
  readonly prefixes: readonly PrefixInformation[];
  /** The Recursive DNS Server option (RFC 8106 §5.1), if present. */
  readonly rdnss?: { readonly lifetimeS: number; readonly servers: readonly Uint8Array[] };
}

export interface RouterDiscoveryOptions {
  /** Send Router Solicitations at start (RFC 4861 §6.3.7). */
  readonly solicit: boolean;
  readonly linkMtu: number;
  /** A configured default router, preferred over learned ones and never expiring. */
  readonly staticGateway: Uint8Array | undefined;
  readonly random: Random;
  readonly counters: Counters;
  readonly nowMs: number;
}

interface Expiring {
  readonly address: Uint8Array;
  expiresMs: number;
}

interface OnLinkPrefix {
  readonly prefix: Uint8Array;
  readonly prefixLength: number;
  expiresMs: number;
}

export class RouterDiscovery {
  readonly #random: Random;
  readonly #counters: Counters;
  readonly #linkMtu: number;
  readonly #staticGateway: Uint8Array | undefined;
  readonly #routers: Expiring[] = [];
  readonly #prefixes: OnLinkPrefix[] = [];
  readonly #dnsServers: Expiring[] = [];
  #solicitationsSent = 0;
  #solicitDueMs: number | undefined;
  #hopLimit = DEFAULT_HOP_LIMIT;
  #mtu: number;
  #baseReachableTimeMs = REACHABLE_TIME_MS;
  #reachableTimeMs: number;
  #reachableTimeRedrawMs: number;
  #retransTimerMs = RETRANS_TIMER_MS;

  constructor(options: RouterDiscoveryOptions) {
    this.#random = options.random;
    this.#counters = options.counters;
    this.#linkMtu = options.linkMtu;
    this.#mtu = options.linkMtu;
    this.#staticGateway = options.staticGateway?.slice();
    // §6.3.7: the first solicitation waits a random time in [0, MAX_RTR_SOLICITATION_DELAY], so
    // that hosts starting together (after a power failure) do not all solicit at once.
    this.#solicitDueMs = options.solicit
      ? options.nowMs + this.#random.below(MAX_RTR_SOLICITATION_DELAY_MS + 1)
      : undefined;
    this.#reachableTimeMs = this.#drawReachableTime();
    this.#reachableTimeRedrawMs = options.nowMs + REACHABLE_TIME_REDRAW_MS;
  }

  /** CurHopLimit: the Hop Limit of packets we originate (RFC 4861 §6.3.2). */
  get hopLimit(): number {
    return this.#hopLimit;
  }

  /** LinkMTU: the largest packet sent on the link, as lowered by an MTU option (§6.3.4). */
  get mtu(): number {
    return this.#mtu;
  }

  /** ReachableTime (§6.3.2): how long a neighbour stays REACHABLE after a confirmation. */
  get reachableTimeMs(): number {
    return this.#reachableTimeMs;
  }

  /** RetransTimer (§6.3.2): the time between Neighbor Solicitations, for NUD and for DAD. */
  get retransTimerMs(): number {
    return this.#retransTimerMs;
  }

  /**
   * Expires routers, prefixes and DNS servers whose lifetime ran out, draws ReachableTime again
   * when due, and answers whether a Router Solicitation is to be sent now.
   */
  poll(nowMs: number): boolean {
    expire(this.#routers, nowMs);
    expire(this.#prefixes, nowMs);
    expire(this.#dnsServers, nowMs);
    if (this.#reachableTimeRedrawMs <= nowMs) this.#redrawReachableTime(nowMs);
    if (this.#solicitDueMs === undefined || nowMs < this.#solicitDueMs) return false;
    this.#solicitationsSent++;
    // §6.3.7: at most MAX_RTR_SOLICITATIONS, RTR_SOLICITATION_INTERVAL apart; then silence
    // until the next advertisement.
    this.#solicitDueMs =
      this.#solicitationsSent < MAX_RTR_SOLICITATIONS
        ? nowMs + RTR_SOLICITATION_INTERVAL_MS
        : undefined;
    return true;
  }

  /** When `poll` next has something to do: always some time, ReachableTime being redrawn. */
  pollAt(): number {
    let atMs = this.#reachableTimeRedrawMs;
    if (this.#solicitDueMs !== undefined) atMs = Math.min(atMs, this.#solicitDueMs);
    for (const list of [this.#routers, this.#prefixes, this.#dnsServers]) {
      for (const entry of list) atMs = Math.min(atMs, entry.expiresMs);
    }
    return atMs;
  }

  /** Learns what a valid Router Advertisement says (RFC 4861 §6.3.4), SLAAC excepted. */
  onRouterAdvertisement(ra: RouterAdvertisementInfo, nowMs: number): void {
    // §6.3.7: once an advertisement names a default router, solicitations stop. One that arrives
    // before the first solicitation stops them too: it told us what a solicitation would.
    if (ra.routerLifetimeS !== 0) this.#solicitDueMs = undefined;
    this.#learnRouter(ra.source, ra.routerLifetimeS, nowMs);
    if (ra.curHopLimit !== 0) this.#hopLimit = ra.curHopLimit;
    if (ra.reachableTimeMs !== 0 && ra.reachableTimeMs !== this.#baseReachableTimeMs) {
      // §6.3.4: a new BaseReachableTime draws a new ReachableTime.
      this.#baseReachableTimeMs = ra.reachableTimeMs;
      this.#redrawReachableTime(nowMs);
    }
    if (ra.retransTimerMs !== 0) this.#retransTimerMs = ra.retransTimerMs;
    if (ra.mtu !== undefined) {
      // §6.3.4: accepted between the IPv6 minimum and the link's own maximum.
      if (ra.mtu >= IPV6_MIN_MTU && ra.mtu <= this.#linkMtu) this.#mtu = ra.mtu;
      else this.#counters.add('ndp.ra-mtu-out-of-range');
    }
    for (const option of ra.prefixes) if (option.onLink) this.#learnPrefix(option, nowMs);
    if (ra.rdnss !== undefined) {
      for (const server of ra.rdnss.servers)
        this.#learnDnsServer(server, ra.rdnss.lifetimeS, nowMs);
    }
  }

  /**
   * The router to send off-link traffic to: the configured gateway, else the first learned
   * router that `isReachable` does not rule out (RFC 4861 §6.3.6 prefers routers known or
   * probably reachable), else the first learned one. The array is ours: read it, do not change
   * it. No allocation.
   */
  defaultRouter(isReachable?: (router: Uint8Array) => boolean): Uint8Array | undefined {
    if (this.#staticGateway !== undefined) return this.#staticGateway;
    if (isReachable !== undefined) {
      for (const router of this.#routers) if (isReachable(router.address)) return router.address;
    }
    // §6.3.6 would go round-robin when no router is known reachable; the first one will do
    // until the neighbour cache reports it lost (`routerLost`).
    return this.#routers[0]?.address;
  }

  /**
   * The neighbour cache saw `address` stop being a router (IsRouter turned false, §7.2.5): it
   * leaves the default router list. The configured gateway stays: configuration wins.
   */
  routerLost(address: Uint8Array): void {
    const index = this.#routers.findIndex((router) => bytesEqual(router.address, address));
    if (index >= 0) this.#routers.splice(index, 1);
  }

  /** Whether `address` is in a prefix the routers said is on link (§6.3.4). No allocation. */
  inOnLinkPrefix(address: Uint8Array): boolean {
    for (const entry of this.#prefixes) {
      if (ipv6InPrefix(address, entry.prefix, entry.prefixLength)) return true;
    }
    return false;
  }

  /** The learned default routers with the time each expires, for status output. */
  routers(): { address: Uint8Array; expiresMs: number }[] {
    return this.#routers.map((router) => ({
      address: router.address.slice(),
      expiresMs: router.expiresMs,
    }));
  }

  /** The on-link prefix list, for status output. */
  onLinkPrefixes(): { prefix: Uint8Array; prefixLength: number; expiresMs: number }[] {
    return this.#prefixes.map((entry) => ({
      prefix: entry.prefix.slice(),
      prefixLength: entry.prefixLength,
      expiresMs: entry.expiresMs,
    }));
  }

  /** The recursive DNS servers of RFC 8106 whose lifetime has not run out, first learned first. */
  dnsServers(): Uint8Array[] {
    return this.#dnsServers.map((server) => server.address.slice());
  }

  /** Forgets everything learned and stops soliciting: IPv6 is disabled on the interface. */
  clear(): void {
    this.#routers.length = 0;
    this.#prefixes.length = 0;
    this.#dnsServers.length = 0;
    this.#solicitDueMs = undefined;
  }

  /** §6.3.4: the Router Lifetime creates, refreshes or (when zero) times out the entry. */
  #learnRouter(source: Uint8Array, lifetimeS: number, nowMs: number): void {
    const entry = this.#routers.find((router) => bytesEqual(router.address, source));
    if (lifetimeS === 0) {
      if (entry !== undefined) this.routerLost(source);
      return;
    }
    // The Router Lifetime has no infinity: 0xffff is 18.2 hours.
    const expiresMs = nowMs + lifetimeS * 1000;
    if (entry !== undefined) {
      entry.expiresMs = expiresMs;
    } else if (this.#routers.length < MAX_DEFAULT_ROUTERS) {
      this.#routers.push({ address: source.slice(), expiresMs });
    } else {
      this.#counters.add('ndp.routers-full');
    }
  }

  /** §6.3.4: an on-link prefix is created, refreshed or (valid lifetime zero) timed out. */
  #learnPrefix(option: PrefixInformation, nowMs: number): void {
    // §6.3.4: the link-local prefix is ignored (it is always on link).
    if (isIpv6LinkLocal(option.prefix)) return;
    const length = option.prefixLength;
    if (!(Number.isInteger(length) && length >= 0 && length <= 128)) {
      this.#counters.add('ndp.prefix-length-invalid');
      return;
    }
    const prefix = maskPrefix(option.prefix, length);
    const index = this.#prefixes.findIndex(
      (entry) => entry.prefixLength === length && bytesEqual(entry.prefix, prefix),
    );
    if (option.validLifetimeS === 0) {
      if (index >= 0) this.#prefixes.splice(index, 1);
      return;
    }
    const expiresMs = nowMs + lifetimeMs(option.validLifetimeS);
    if (index >= 0) {
      this.#prefixes[index]!.expiresMs = expiresMs;
    } else if (this.#prefixes.length < MAX_ON_LINK_PREFIXES) {
      this.#prefixes.push({ prefix, prefixLength: length, expiresMs });
    } else {
      this.#counters.add('ndp.prefixes-full');
    }
  }

  /**
   * RFC 8106 §5.1: the lifetime says how long the server may be used; zero withdraws it. The
   * list is bounded; when it is full a new server takes the place of the one that expires first,
   * if that one expires sooner than the newcomer would.
   */
  #learnDnsServer(address: Uint8Array, lifetimeS: number, nowMs: number): void {
    const index = this.#dnsServers.findIndex((server) => bytesEqual(server.address, address));
    if (lifetimeS === 0) {
      if (index >= 0) this.#dnsServers.splice(index, 1);
      return;
    }
    const expiresMs = nowMs + lifetimeMs(lifetimeS);
    if (index >= 0) {
      this.#dnsServers[index]!.expiresMs = expiresMs;
      return;
    }
    if (this.#dnsServers.length < MAX_DNS_SERVERS) {
      this.#dnsServers.push({ address: address.slice(), expiresMs });
      return;
    }
    let soonest = 0;
    for (let i = 1; i < this.#dnsServers.length; i++) {
      if (this.#dnsServers[i]!.expiresMs < this.#dnsServers[soonest]!.expiresMs) soonest = i;
    }
    if (this.#dnsServers[soonest]!.expiresMs < expiresMs) {
      this.#dnsServers[soonest] = { address: address.slice(), expiresMs };
    } else {
      this.#counters.add('ndp.dns-servers-full');
    }
  }

  #redrawReachableTime(nowMs: number): void {
    this.#reachableTimeMs = this.#drawReachableTime();
    this.#reachableTimeRedrawMs = nowMs + REACHABLE_TIME_REDRAW_MS;
  }

  /** §6.3.2: ReachableTime is uniform in [MIN_RANDOM_FACTOR, MAX_RANDOM_FACTOR) × the base. */
  #drawReachableTime(): number {
    const factor =
      MIN_RANDOM_FACTOR + this.#random.float() * (MAX_RANDOM_FACTOR - MIN_RANDOM_FACTOR);
    return Math.max(1, Math.floor(this.#baseReachableTimeMs * factor));
  }
}

/** A lifetime of `lifetimeS` seconds in milliseconds; all one bits is Infinity. */
export function lifetimeMs(lifetimeS: number): number {
  return lifetimeS === INFINITE_LIFETIME_S ? Number.POSITIVE_INFINITY : lifetimeS * 1000;
}

function expire(list: { expiresMs: number }[], nowMs: number): void {
  for (let i = list.length - 1; i >= 0; i--) if (list[i]!.expiresMs <= nowMs) list.splice(i, 1);
}

/** A copy of `prefix` with every bit after the first `prefixLength` cleared. */
function maskPrefix(prefix: Uint8Array, prefixLength: number): Uint8Array {
  const masked = new Uint8Array(16);
  const whole = prefixLength >>> 3;
  masked.set(prefix.subarray(0, whole));
  const bits = prefixLength & 7;
  if (bits !== 0) masked[whole] = prefix[whole]! & (0xff << (8 - bits));
  return masked;
}
