// The ARP cache of one interface (RFC 826, RFC 1122 §2.3.2): IPv4 address to MAC address. A
// pure state machine: the owner passes the time in, sends what the ArpCacheSink is told to, and
// calls `poll` again at `pollAt()`.
//
// Entry states, named as Linux names its neighbour states:
// - incomplete: broadcast requests are out; frames for the address wait in the entry's queue.
// - reachable: the neighbour answered a request of ours less than reachableMs ago.
// - stale: the MAC is known but not confirmed; it is removed unless used within staleMs.
// - probe: a stale entry in use, being re-validated with unicast requests ("Unicast Poll" of
//   RFC 1122 §2.3.2.1); its MAC is used meanwhile, and the entry is removed if nobody answers.
// - static: configured by the owner; no timers, and received packets never change it.
//
// Sending a frame: call `lookup` first. When it answers undefined, call `resolve` with a frame the
// cache may keep; it answers the MAC itself when there is one (a stale entry, which it starts
// probing), or keeps the frame until the address is resolved.

import { bytesEqual } from '@oasis/core';
import { ETHERNET_HEADER_LENGTH, formatIpv4Address, isIpv4Address, MAC_LENGTH } from '@oasis/wire';

export type ArpEntryState = 'incomplete' | 'reachable' | 'stale' | 'probe' | 'static';

export interface ArpCacheOptions {
  /** Entries in the table, static ones included. */
  readonly maxEntries: number;
  /** Frames waiting for one address. */
  readonly maxQueuedPerEntry: number;
  /** Frames waiting across the table. */
  readonly maxQueuedFrames: number;
  /** A confirmed entry turns stale this long after its confirmation. */
  readonly reachableMs: number;
  /** A stale entry nobody uses is removed this long after it turned stale. */
  readonly staleMs: number;
  /** Time between two requests for one address, and how long the last one is waited for. */
  readonly retransmitMs: number;
  /** Broadcast requests sent for an incomplete entry before it fails. */
  readonly maxRequests: number;
  /** Unicast requests sent to re-validate an entry in use before it is removed. */
  readonly maxProbes: number;
}

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
};

/**
 * Why frames were dropped: resolution failed or the entry was deleted (`arp.unresolved`), a
 * queue bound pushed a frame out (`arp.queue-full`), or no entry could be made (`arp.table-full`).
 */
export type ArpDropReason = 'arp.unresolved' | 'arp.queue-full' | 'arp.table-full';

export interface ArpCacheSink {
  /**
   * Send an ARP request for `targetIp`: broadcast when `targetMac` is undefined, unicast to it
   * when re-validating. `targetMac` is borrowed for the call.
   */
  request(targetIp: number, targetMac: Uint8Array | undefined): void;
  /** A queued frame whose address is resolved, its Ethernet destination (bytes 0-5) written. Transmit it. */
  transmit(frame: Uint8Array): void;
  /** `frames` frames given to `resolve` were dropped. */
  drop(reason: ArpDropReason, frames: number): void;
}

export interface ArpEntrySnapshot {
  readonly ip: number;
  /** A copy; undefined while incomplete. */
  readonly mac: Uint8Array | undefined;
  readonly state: ArpEntryState;
  readonly queuedFrames: number;
}

interface ArpEntry {
  readonly ip: number;
  state: ArpEntryState;
  /** Owned; undefined only while incomplete. */
  mac: Uint8Array | undefined;
  /** Frames waiting for the address, oldest first; empty unless incomplete. */
  queue: Uint8Array[];
  /** Requests sent in the current incomplete or probe state. */
  requestsSent: number;
  /** When the last request for the address went out. */
  lastRequestMs: number | undefined;
  /**
   * When `poll` next has work for the entry: incomplete and probe, the next request or the
   * failure; reachable, turning stale; stale, removal. Static entries have none.
   */
  deadlineMs: number | undefined;
}

export class ArpCache {
  readonly #sink: ArpCacheSink;
  readonly #options: ArpCacheOptions;
  readonly #entries = new Map<number, ArpEntry>();
  /** Reachable, stale and probe entries, least recently used first: the ones eviction may take. */
  readonly #evictable = new Set<ArpEntry>();
  #queuedFrames = 0;
  /** The earliest entry deadline, valid unless #pollAtDirty. */
  #pollAtMs: number | undefined;
  #pollAtDirty = false;

  /** Throws RangeError for a count that is not an integer >= 1 or a duration that is not > 0. */
  constructor(sink: ArpCacheSink, options: Partial<ArpCacheOptions> = {}) {
    const merged = { ...DEFAULT_ARP_CACHE_OPTIONS, ...options };
    const counts = [
      'maxEntries',
      'maxQueuedPerEntry',
      'maxQueuedFrames',
      'maxRequests',
      'maxProbes',
    ] as const;
    for (const name of counts) {
      const value = merged[name];
      if (!(Number.isInteger(value) && value >= 1)) {
        throw new RangeError(`ARP cache ${name} must be an integer >= 1, got ${value}`);
      }
    }
    for (const name of ['reachableMs', 'staleMs', 'retransmitMs'] as const) {
      const value = merged[name];
      if (!(Number.isFinite(value) && value > 0)) {
        throw new RangeError(
          `ARP cache ${name} must be a number of milliseconds > 0, got ${value}`,
        );
      }
    }
    this.#sink = sink;
    this.#options = merged;
  }

  get size(): number {
    return this.#entries.size;
  }

  /**
   * The MAC for `ip` when it can be used with nothing else to do: a reachable entry not yet due
   * to turn stale, a probe entry or a static one. Counts as a use for eviction and has no other
   * effect. Undefined otherwise, stale entries included: call `resolve` then, so that using a
   * stale entry starts its validation. The MAC is borrowed: copy it to keep it.
   */
  lookup(ip: number, nowMs: number): Uint8Array | undefined {
    const entry = this.#entries.get(ip);
    if (entry === undefined) return undefined;
    switch (entry.state) {
      case 'incomplete':
      case 'stale':
        return undefined;
      case 'reachable':
        if (nowMs >= entry.deadlineMs!) return undefined;
        break;
      case 'probe':
        break;
      case 'static':
        return entry.mac;
    }
    this.#touch(entry);
    return entry.mac;
  }

  /**
   * The MAC for `ip` (borrowed, as from `lookup`), the caller keeping `frame`; using a stale
   * entry moves it to probe, which sends a unicast request. Or undefined, the cache having taken
   * `frame` (an Ethernet frame the caller will not touch again, its destination to be written):
   * queued while the address is resolved, a new entry sending its first broadcast request at
   * once, or dropped as `arp.table-full` when no entry can be made. Throws RangeError for an
   * `ip` that is not an IPv4 address or a frame shorter than an Ethernet header.
   */
  resolve(ip: number, frame: Uint8Array, nowMs: number): Uint8Array | undefined {
    const entry = this.#entries.get(ip);
    if (entry === undefined) {
      if (!isIpv4Address(ip)) {
        throw new RangeError(`${ip} is not an IPv4 address: use an integer in 0-4294967295`);
      }
      checkFrame(frame);
      if (!this.#makeRoom()) {
        this.#sink.drop('arp.table-full', 1);
        return undefined;
      }
      const created = newEntry(ip, 'incomplete', undefined);
      this.#entries.set(ip, created);
      this.#enqueue(created, frame);
      this.#request(created, nowMs);
      return undefined;
    }
    switch (entry.state) {
      case 'incomplete':
        checkFrame(frame);
        this.#enqueue(entry, frame);
        return undefined;
      case 'reachable':
        if (nowMs >= entry.deadlineMs!) this.#startProbe(entry, nowMs);
        break;
      case 'stale':
        this.#startProbe(entry, nowMs);
        break;
      case 'probe':
        break;
      case 'static':
        return entry.mac;
    }
    this.#touch(entry);
    return entry.mac;
  }

  /**
   * The sender of a received ARP packet, merged as RFC 826 "Packet Reception" says: an entry
   * for `ip` gets the MAC; a new entry is made only when `create` (we are the target). With
   * `confirmed` (a reply to us: the neighbour is reachable) the entry becomes reachable;
   * otherwise a new or changed MAC makes it stale and an unchanged one keeps its state. An
   * incomplete entry that learns its MAC transmits its queued frames, oldest first. Static
   * entries are never changed. The caller filters what must not be learned (RFC 5227 probes,
   * group MACs, our own addresses); `mac` is copied. Throws RangeError for a MAC not 6 bytes long.
   */
  learn(
    ip: number,
    mac: Uint8Array,
    nowMs: number,
    how: { readonly create: boolean; readonly confirmed: boolean },
  ): void {
    checkMac(mac);
    const entry = this.#entries.get(ip);
    if (entry === undefined) {
      if (!how.create || !this.#makeRoom()) return;
      const created = newEntry(ip, how.confirmed ? 'reachable' : 'stale', mac.slice());
      this.#entries.set(ip, created);
      this.#evictable.add(created);
      if (how.confirmed) this.#confirm(created, nowMs);
      else this.#markStale(created, nowMs);
      return;
    }
    switch (entry.state) {
      case 'static':
        return;
      case 'incomplete':
        entry.mac = mac.slice();
        this.#evictable.add(entry);
        if (how.confirmed) this.#confirm(entry, nowMs);
        else this.#markStale(entry, nowMs);
        this.#release(entry);
        return;
      case 'reachable':
      case 'stale':
      case 'probe': {
        const changed = !bytesEqual(entry.mac!, mac);
        if (changed) entry.mac = mac.slice();
        if (how.confirmed) this.#confirm(entry, nowMs);
        else if (changed) this.#markStale(entry, nowMs);
        return;
      }
    }
  }

  /**
   * Runs the timers due at `nowMs`: retransmits requests and probes, fails incomplete entries
   * that got no answer (their frames dropped as `arp.unresolved`), ages reachable entries to
   * stale, and removes unused stale entries and unanswered probes. Does nothing before `pollAt()`.
   */
  poll(nowMs: number): void {
    const dueMs = this.pollAt();
    if (dueMs === undefined || nowMs < dueMs) return;
    for (const entry of this.#entries.values()) {
      while (entry.deadlineMs !== undefined && entry.deadlineMs <= nowMs)
        this.#expire(entry, nowMs);
    }
  }

  /**
   * When `poll` next has work: the earliest entry deadline, or undefined when there is none.
   * Cached; recomputed by one scan of the table only after the earliest deadline moved later or
   * went away.
   */
  pollAt(): number | undefined {
    if (this.#pollAtDirty) {
      let earliestMs: number | undefined;
      for (const { deadlineMs } of this.#entries.values()) {
        if (deadlineMs !== undefined && (earliestMs === undefined || deadlineMs < earliestMs)) {
          earliestMs = deadlineMs;
        }
      }
      this.#pollAtMs = earliestMs;
      this.#pollAtDirty = false;
    }
    return this.#pollAtMs;
  }

  /**
   * Makes `ip` resolve to `mac` (copied) until deleted, replacing any entry; an incomplete one
   * transmits its queued frames. Static entries count toward maxEntries. Throws RangeError for a
   * bad address or MAC, or when every entry is static or incomplete and the table is full.
   */
  addStatic(ip: number, mac: Uint8Array): void {
    if (!isIpv4Address(ip)) {
      throw new RangeError(`${ip} is not an IPv4 address: use an integer in 0-4294967295`);
    }
    checkMac(mac);
    const entry = this.#entries.get(ip);
    if (entry === undefined) {
      if (!this.#makeRoom()) {
        throw new RangeError(
          `no room for a static ARP entry for ${formatIpv4Address(ip)}: all ${this.#options.maxEntries} entries are static or incomplete; raise maxEntries`,
        );
      }
      this.#entries.set(ip, newEntry(ip, 'static', mac.slice()));
      return;
    }
    entry.state = 'static';
    entry.mac = mac.slice();
    this.#evictable.delete(entry);
    this.#schedule(entry, undefined);
    this.#release(entry);
  }

  /** Removes the entry for `ip`, static or not, dropping its queued frames as `arp.unresolved`. */
  delete(ip: number): boolean {
    const entry = this.#entries.get(ip);
    if (entry === undefined) return false;
    this.#remove(entry);
    return true;
  }

  /** Every entry, in the order they were made. */
  entries(): ArpEntrySnapshot[] {
    return Array.from(this.#entries.values(), (entry) => ({
      ip: entry.ip,
      mac: entry.mac?.slice(),
      state: entry.state,
      queuedFrames: entry.queue.length,
    }));
  }

  /** One step of an entry whose deadline has come. */
  #expire(entry: ArpEntry, nowMs: number): void {
    const dueMs = entry.deadlineMs!;
    switch (entry.state) {
      case 'incomplete':
        if (entry.requestsSent < this.#options.maxRequests) this.#request(entry, nowMs);
        else this.#remove(entry);
        return;
      case 'reachable':
        // RFC 1122 §2.3.2.1 "Timeout": the entry is no longer trusted without validation.
        this.#markStale(entry, dueMs);
        return;
      case 'stale':
        this.#remove(entry);
        return;
      case 'probe':
        // RFC 1122 §2.3.2.1 "Unicast Poll": delete the entry when successive polls go unanswered.
        if (entry.requestsSent < this.#options.maxProbes) this.#request(entry, nowMs);
        else this.#remove(entry);
        return;
      case 'static':
        return;
    }
  }

  /** Sends a request for the entry, broadcast while incomplete and unicast in probe. */
  #request(entry: ArpEntry, nowMs: number): void {
    entry.requestsSent++;
    entry.lastRequestMs = nowMs;
    this.#schedule(entry, nowMs + this.#options.retransmitMs);
    this.#sink.request(entry.ip, entry.state === 'probe' ? entry.mac : undefined);
  }

  #startProbe(entry: ArpEntry, nowMs: number): void {
    entry.state = 'probe';
    entry.requestsSent = 0;
    // RFC 1122 §2.3.2.1 rate limit: an entry learned while incomplete had a request out just now.
    const earliestMs =
      entry.lastRequestMs === undefined ? nowMs : entry.lastRequestMs + this.#options.retransmitMs;
    if (earliestMs <= nowMs) this.#request(entry, nowMs);
    else this.#schedule(entry, earliestMs);
  }

  #confirm(entry: ArpEntry, nowMs: number): void {
    entry.state = 'reachable';
    entry.requestsSent = 0;
    this.#schedule(entry, nowMs + this.#options.reachableMs);
  }

  #markStale(entry: ArpEntry, sinceMs: number): void {
    entry.state = 'stale';
    entry.requestsSent = 0;
    this.#schedule(entry, sinceMs + this.#options.staleMs);
  }

  /**
   * RFC 1122 §2.3.2.2: save at least the latest packet for an unresolved address. When the
   * entry's queue or the table's is full, the entry's oldest frame goes to make room; when the
   * table's is full and the entry has none, the new frame is the one dropped.
   */
  #enqueue(entry: ArpEntry, frame: Uint8Array): void {
    const { maxQueuedPerEntry, maxQueuedFrames } = this.#options;
    if (entry.queue.length >= maxQueuedPerEntry || this.#queuedFrames >= maxQueuedFrames) {
      if (entry.queue.length === 0) {
        this.#sink.drop('arp.queue-full', 1);
        return;
      }
      entry.queue.shift();
      entry.queue.push(frame);
      this.#sink.drop('arp.queue-full', 1);
      return;
    }
    entry.queue.push(frame);
    this.#queuedFrames++;
  }

  /** Transmits the entry's queued frames, oldest first, to its MAC. */
  #release(entry: ArpEntry): void {
    const frames = entry.queue;
    if (frames.length === 0) return;
    entry.queue = [];
    this.#queuedFrames -= frames.length;
    const mac = entry.mac!;
    for (const frame of frames) {
      frame.set(mac, 0);
      this.#sink.transmit(frame);
    }
  }

  #remove(entry: ArpEntry): void {
    this.#entries.delete(entry.ip);
    this.#evictable.delete(entry);
    this.#schedule(entry, undefined);
    const dropped = entry.queue.length;
    if (dropped === 0) return;
    entry.queue = [];
    this.#queuedFrames -= dropped;
    this.#sink.drop('arp.unresolved', dropped);
  }

  /** Room for one more entry, evicting the least recently used evictable one if need be. */
  #makeRoom(): boolean {
    if (this.#entries.size < this.#options.maxEntries) return true;
    const oldest = this.#evictable.values().next();
    if (oldest.done) return false;
    this.#remove(oldest.value);
    return true;
  }

  #touch(entry: ArpEntry): void {
    this.#evictable.delete(entry);
    this.#evictable.add(entry);
  }

  /** Sets the entry's deadline, keeping the cached pollAt exact or marking it for recomputation. */
  #schedule(entry: ArpEntry, deadlineMs: number | undefined): void {
    const previousMs = entry.deadlineMs;
    entry.deadlineMs = deadlineMs;
    if (this.#pollAtDirty) return;
    if (deadlineMs !== undefined && (this.#pollAtMs === undefined || deadlineMs < this.#pollAtMs)) {
      this.#pollAtMs = deadlineMs;
    } else if (
      previousMs !== undefined &&
      previousMs === this.#pollAtMs &&
      deadlineMs !== previousMs
    ) {
      this.#pollAtDirty = true;
    }
  }
}

function newEntry(ip: number, state: ArpEntryState, mac: Uint8Array | undefined): ArpEntry {
  return {
    ip,
    state,
    mac,
    queue: [],
    requestsSent: 0,
    lastRequestMs: undefined,
    deadlineMs: undefined,
  };
}

function checkMac(mac: Uint8Array): void {
  if (mac.length !== MAC_LENGTH) {
    throw new RangeError(`a MAC address is ${MAC_LENGTH} bytes, got ${mac.length}`);
  }
}

function checkFrame(frame: Uint8Array): void {
  if (frame.length < ETHERNET_HEADER_LENGTH) {
    throw new RangeError(
      `resolve takes an Ethernet frame (at least ${ETHERNET_HEADER_LENGTH} bytes), got ${frame.length} bytes`,
    );
  }
}
