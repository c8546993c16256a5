// The ARP cache of one interface (RFC 826, RFC 1122 §2.3.2): the neighbour cache keyed by IPv4
// address (an unsigned 32-bit number). ARP has no upper-layer reachability hints, so a stale
// entry in use is probed at once (no delay state), and learn's `override` and `isRouter` are not
// used: every entry's IsRouter stays false.

import { formatIpv4Address, isIpv4Address } from '@oasis/wire';
import {
  NeighbourCache,
  type NeighbourCacheOptions,
  type NeighbourCacheSink,
  type NeighbourEntrySnapshot,
  type NeighbourProtocol,
  type NeighbourState,
} from './neighbour-cache.ts';

export type ArpEntryState = NeighbourState;
export type ArpCacheOptions = NeighbourCacheOptions;

export const DEFAULT_ARP_CACHE_OPTIONS: ArpCacheOptions = {
  maxEntries: 512,
  maxQueuedPerEntry: 16,
  maxQueuedFrames: 256,
  reachableMs: 30_000,
  staleMs: 60_000,
  // RFC 1122 §2.3.2.1: a mechanism against ARP flooding MUST be included; the recommended
  // maximum is one request per second per destination.
  retransmitMs: 1_000,
  maxRequests: 3,
  maxProbes: 3,
  delayFirstProbeMs: 0,
};

/**
 * Why frames were dropped: resolution failed or the entry was deleted (`arp.unresolved`), a
 * queue bound pushed a frame out (`arp.queue-full`), or no entry could be made (`arp.table-full`).
 */
export type ArpDropReason = 'arp.unresolved' | 'arp.queue-full' | 'arp.table-full';

/** `request` sends an ARP request: broadcast, or unicast to `targetMac` when re-validating. */
export type ArpCacheSink = NeighbourCacheSink<number, ArpDropReason>;
export type ArpEntrySnapshot = NeighbourEntrySnapshot<number>;

const ARP: NeighbourProtocol<number, ArpDropReason> = {
  name: 'ARP',
  drops: { unresolved: 'arp.unresolved', queueFull: 'arp.queue-full', tableFull: 'arp.table-full' },
  hash: (ip) => ip,
  equals: (a, b) => a === b,
  copy: (ip) => ip,
  invalid: (ip) =>
    isIpv4Address(ip) ? undefined : `${ip} is not an IPv4 address: use an integer in 0-4294967295`,
  format: formatIpv4Address,
};

export class ArpCache extends NeighbourCache<number, ArpDropReason> {
  /** Throws RangeError for a count that is not an integer >= 1 or a duration that is not > 0. */
  constructor(sink: ArpCacheSink, options: Partial<ArpCacheOptions> = {}) {
    super(ARP, sink, { ...DEFAULT_ARP_CACHE_OPTIONS, ...options });
  }
}
