// The IPv6 Neighbor Cache of one interface (RFC 4861 §5.1, §7.3): the neighbour cache keyed by
// IPv6 address (16 bytes), with the DELAY state and the IsRouter flag. The owner sends Neighbor
// Solicitations when told to (`request`: to the target's solicited-node multicast address when
// `targetMac` is undefined, else unicast), answers `unresolved` frames with ICMPv6 Destination
// Unreachable code 3 (§7.2.2), takes routers reported by `routerLost` out of its Default Router
// List (§7.2.5), and re-chooses ReachableTime at random with `setTimes` (§6.3.2).
//
// Received messages map to `learn` as follows (the owner having validated them, §6.1, §7.1, §8.1,
// and skipped those from the unspecified address):
// - Neighbor Advertisement (§7.2.5): `{ create: false, confirmed: S, override: O, isRouter: R }`
//   with the Target Link-Layer Address, or undefined when the option is absent;
// - Neighbor Solicitation, Router Solicitation, Router Advertisement, Redirect: the
//   NDP_LEARN_* options below, with the option's link-layer address (an RA without one still
//   marks an existing entry as a router).

import { bytesEqual, readU32BE } from '@oasis/core';
import { formatIpv6Address, IPV6_ADDRESS_LENGTH } from '@oasis/wire';
import {
  NeighbourCache,
  type NeighbourCacheOptions,
  type NeighbourCacheSink,
  type NeighbourEntrySnapshot,
  type NeighbourLearnOptions,
  type NeighbourProtocol,
} from './neighbour-cache.ts';

export type NdpCacheOptions = NeighbourCacheOptions;

/** RFC 4861 §10 protocol constants where it has them; table bounds as for ARP. */
export const DEFAULT_NDP_CACHE_OPTIONS: NdpCacheOptions = {
  maxEntries: 512,
  // RFC 4861 §7.2.2: the queue MUST hold at least one packet. 16 (as for ARP) holds a whole
  // initial TCP window of 10 segments (RFC 6928) sent before resolution completes, which Linux's
  // older 3-packet queue would cut short; the table-wide bound caps the memory.
  maxQueuedPerEntry: 16,
  maxQueuedFrames: 256,
  // REACHABLE_TIME: the owner replaces it with BaseReachableTime × uniform(0.5, 1.5) (§6.3.2).
  reachableMs: 30_000,
  // RFC 4861 leaves garbage collection of stale entries to the implementation (§7.3.3); Linux
  // uses 60 s (gc_stale_time).
  staleMs: 60_000,
  retransmitMs: 1_000, // RETRANS_TIMER
  maxRequests: 3, // MAX_MULTICAST_SOLICIT
  maxProbes: 3, // MAX_UNICAST_SOLICIT
  delayFirstProbeMs: 5_000, // DELAY_FIRST_PROBE_TIME
};

/**
 * Why frames were dropped: resolution failed or the entry was deleted (`ndp.unresolved`), a
 * queue bound pushed a frame out (`ndp.queue-full`), or no entry could be made (`ndp.table-full`).
 */
export type NdpDropReason = 'ndp.unresolved' | 'ndp.queue-full' | 'ndp.table-full';

export type NdpCacheSink = NeighbourCacheSink<Uint8Array, NdpDropReason>;
export type NdpEntrySnapshot = NeighbourEntrySnapshot<Uint8Array>;
export type NdpCache = NeighbourCache<Uint8Array, NdpDropReason>;

/** The sender of a Neighbor Solicitation: made stale if new; IsRouter unchanged (§7.2.3). */
export const NDP_LEARN_NEIGHBOR_SOLICITATION: NeighbourLearnOptions = {
  create: true,
  confirmed: false,
};

/** The sender of a Router Solicitation, received by a router: a host (§6.2.6). */
export const NDP_LEARN_ROUTER_SOLICITATION: NeighbourLearnOptions = {
  create: true,
  confirmed: false,
  isRouter: false,
};

/** The sender of a Router Advertisement: a router (§6.3.4). */
export const NDP_LEARN_ROUTER_ADVERTISEMENT: NeighbourLearnOptions = {
  create: true,
  confirmed: false,
  isRouter: true,
};

/** A Redirect's target when it differs from the Destination Address: a better router (§8.3). */
export const NDP_LEARN_REDIRECT_TO_ROUTER: NeighbourLearnOptions = {
  create: true,
  confirmed: false,
  isRouter: true,
};

/** A Redirect's target equal to its Destination Address: the destination is on-link (§8.3). */
export const NDP_LEARN_REDIRECT_ON_LINK: NeighbourLearnOptions = {
  create: true,
  confirmed: false,
};

const NDP: NeighbourProtocol<Uint8Array, NdpDropReason> = {
  name: 'NDP',
  drops: { unresolved: 'ndp.unresolved', queueFull: 'ndp.queue-full', tableFull: 'ndp.table-full' },
  // All four words: neighbours on a link share the prefix and differ in the interface
  // identifier, and one neighbour's link-local and global addresses share the identifier. An
  // attacker choosing colliding addresses lengthens one chain, which maxEntries bounds.
  hash: (ip) => readU32BE(ip, 0) ^ readU32BE(ip, 4) ^ readU32BE(ip, 8) ^ readU32BE(ip, 12),
  equals: bytesEqual,
  copy: (ip) => ip.slice(),
  invalid: (ip) =>
    ip.length === IPV6_ADDRESS_LENGTH
      ? undefined
      : `an IPv6 address has ${IPV6_ADDRESS_LENGTH} bytes, got ${ip.length}`,
  format: formatIpv6Address,
};

/** Throws RangeError for a count that is not an integer >= 1 or a duration out of range. */
export function createNdpCache(
  sink: NdpCacheSink,
  options: Partial<NdpCacheOptions> = {},
): NdpCache {
  return new NeighbourCache(NDP, sink, { ...DEFAULT_NDP_CACHE_OPTIONS, ...options });
}
