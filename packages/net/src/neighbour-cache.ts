// The neighbour cache of one Ethernet interface: IP address to MAC address, one implementation
// for ARP (RFC 826, RFC 1122 §2.3.2) and IPv6 Neighbor Discovery (RFC 4861 §7.3). A pure state
// machine: the owner passes the time in, sends what the NeighbourCacheSink is told to, and calls
// `poll` again at `pollAt()`. The address family comes in as a NeighbourProtocol (arp-cache.ts,
// ndp-cache.ts).
//
// Entry states, named as RFC 4861 §7.3.2 names them:
// - incomplete: multicast (NDP) or broadcast (ARP) solicitations are out; frames for the address
//   wait in the entry's queue.
// - reachable: the neighbour confirmed it is reachable less than reachableMs ago.
// - stale: the MAC is known but not confirmed; it is removed unless used within staleMs.
// - delay: a stale entry was used to send; it waits delayFirstProbeMs for an upper-layer
//   confirmation before probing (RFC 4861 §7.3.3). Skipped when delayFirstProbeMs is 0 (ARP).
// - probe: an entry in use being re-validated with unicast solicitations (RFC 4861 §7.3.3,
//   "Unicast Poll" of RFC 1122 §2.3.2.1); its MAC is used meanwhile, and the entry is removed if
//   nobody answers.
// - static: configured by the owner; no timers, and received packets never change it.
//
// Sending a frame: call `lookup` first. When it answers undefined, call `resolve` with a frame the
// cache may keep; it answers the MAC itself when there is one (a stale entry, which it starts
// validating), or keeps the frame until the address is resolved.

import { bytesEqual } from '@oasis/core';
import { ETHERNET_HEADER_LENGTH, MAC_LENGTH } from '@oasis/wire';

export type NeighbourState = 'incomplete' | 'reachable' | 'stale' | 'delay' | 'probe' | 'static';

export interface NeighbourCacheOptions {
  /** Entries in the table, static ones included. */
  readonly maxEntries: number;
  /** Frames waiting for one address. */
  readonly maxQueuedPerEntry: number;
  /** Frames waiting across the table. */
  readonly maxQueuedFrames: number;
  /** A confirmed entry turns stale this long after its confirmation (NDP's ReachableTime). */
  readonly reachableMs: number;
  /** A stale entry nobody uses is removed this long after it turned stale. */
  readonly staleMs: number;
  /**
   * Time between two solicitations for one address, and how long the last one is waited for
   * (NDP's RetransTimer).
   */
  readonly retransmitMs: number;
  /** Multicast (broadcast) solicitations sent for an incomplete entry before it fails. */
  readonly maxRequests: number;
  /** Unicast solicitations sent to re-validate an entry in use before it is removed. */
  readonly maxProbes: number;
  /**
   * How long a stale entry used to send waits in delay for an upper-layer confirmation before
   * probing (NDP's DELAY_FIRST_PROBE_TIME); 0 probes at once, as ARP does.
   */
  readonly delayFirstProbeMs: number;
}

/** Timers an NDP owner changes at run time (RFC 4861 §6.3.2, §6.3.4). */
export interface NeighbourTimes {
  readonly reachableMs?: number;
  readonly retransmitMs?: number;
}

/** What the cache needs to know of an address family, and how it names its drops. */
export interface NeighbourProtocol<A, R extends string> {
  /** Names the cache in error messages: 'ARP', 'NDP'. */
  readonly name: string;
  readonly drops: { readonly unresolved: R; readonly queueFull: R; readonly tableFull: R };
  /**
   * A number equal addresses share and different ones rarely do. It runs for every frame sent,
   * so it must not allocate.
   */
  hash(ip: A): number;
  equals(a: A, b: A): boolean;
  /** An owned copy of a borrowed address. */
  copy(ip: A): A;
  /** Why `ip` is not an address of the family (a RangeError message), or undefined. */
  invalid(ip: A): string | undefined;
  format(ip: A): string;
}

export interface NeighbourCacheSink<A, R extends string> {
  /**
   * Send a solicitation for `targetIp` (an ARP request, an NDP Neighbor Solicitation): to the
   * broadcast or solicited-node multicast address when `targetMac` is undefined, unicast to it
   * when re-validating. Both arguments are borrowed for the call.
   */
  request(targetIp: A, targetMac: Uint8Array | undefined): void;
  /** A queued frame whose address is resolved, its Ethernet destination (bytes 0-5) written. Transmit it. */
  transmit(frame: Uint8Array): void;
  /** `frames` frames given to `resolve` were dropped. */
  drop(reason: R, frames: number): void;
  /**
   * Address resolution failed: these queued frames, oldest first, are dropped (and counted as
   * the protocol's unresolved drop right after), so that the owner can answer them with ICMPv6
   * Destination Unreachable code 3 (RFC 4861 §7.2.2). The cache forgets them: they are the
   * owner's. Not called when `delete` drops a queue.
   */
  unresolved?(frames: readonly Uint8Array[]): void;
  /**
   * The entry's IsRouter flag went from true to false: the owner removes the neighbour from its
   * Default Router List (RFC 4861 §7.2.5, §7.3.3). `ip` is borrowed for the call.
   */
  routerLost?(ip: A): void;
}

/** How a received packet's link-layer information is merged into the cache by `learn`. */
export interface NeighbourLearnOptions {
  /**
   * Make an entry when there is none: an ARP packet whose target we are (RFC 826); an NDP
   * NS, RS, RA or Redirect carrying a link-layer address option (RFC 4861 §7.2.3, §6.2.6,
   * §6.3.4, §8.3). Neighbor Advertisements never make one (§7.2.5).
   */
  readonly create: boolean;
  /**
   * The neighbour answered us, so it is reachable: an ARP reply to us; a Neighbor
   * Advertisement with the Solicited flag (RFC 4861 §7.2.5).
   */
  readonly confirmed: boolean;
  /**
   * Whether a MAC unlike the cached one replaces it: a Neighbor Advertisement's Override flag
   * (RFC 4861 §7.2.5). Absent means true (ARP, NS, RS, RA, Redirect). When false and the MAC
   * differs, a reachable entry turns stale and nothing else changes.
   */
  readonly override?: boolean | undefined;
  /**
   * The neighbour's IsRouter flag: an NA's Router flag (RFC 4861 §7.2.5), true for an RA's
   * sender (§6.3.4) and a Redirect's router target (§8.3), false for an RS's sender (§6.2.6).
   * Absent leaves an entry's flag as it is (NS, §7.2.3; ARP); new entries start false.
   */
  readonly isRouter?: boolean | undefined;
}

export interface NeighbourEntrySnapshot<A> {
  /** A copy. */
  readonly ip: A;
  /** A copy; undefined while incomplete. */
  readonly mac: Uint8Array | undefined;
  readonly state: NeighbourState;
  readonly queuedFrames: number;
  /** RFC 4861 §7.3.2 IsRouter; always false in ARP. */
  readonly isRouter: boolean;
}

interface Entry<A> {
  /** Owned. */
  readonly ip: A;
  readonly hash: number;
  /** The next entry in the bucket of `hash`. */
  nextInBucket: Entry<A> | undefined;
  state: NeighbourState;
  /** Owned; undefined only while incomplete. */
  mac: Uint8Array | undefined;
  isRouter: boolean;
  /** Frames waiting for the address, oldest first; empty unless incomplete. */
  queue: Uint8Array[];
  /** Solicitations sent in the current incomplete or probe state. */
  requestsSent: number;
  /** When the last solicitation for the address went out. */
  lastRequestMs: number | undefined;
  /**
   * When `poll` next has work for the entry: incomplete and probe, the next solicitation or the
   * failure; reachable, turning stale; stale, removal; delay, the first probe. Static entries
   * have none.
   */
  deadlineMs: number | undefined;
}

type Settings = { -readonly [K in keyof NeighbourCacheOptions]: NeighbourCacheOptions[K] };

export class NeighbourCache<A, R extends string> {
  readonly #protocol: NeighbourProtocol<A, R>;
  readonly #sink: NeighbourCacheSink<A, R>;
  readonly #options: Settings;
  /** Every entry, in the order they were made. */
  readonly #entries = new Set<Entry<A>>();
  /** Entries by address hash, chained through nextInBucket: finding one allocates nothing. */
  readonly #buckets = new Map<number, Entry<A>>();
  /** Reachable, stale, delay and probe entries, least recently used first: the ones eviction may take. */
  readonly #evictable = new Set<Entry<A>>();
  #queuedFrames = 0;
  /** The earliest entry deadline, valid unless #pollAtDirty. */
  #pollAtMs: number | undefined;
  #pollAtDirty = false;

  /**
   * Throws RangeError for a count that is not an integer >= 1, a duration that is not > 0, or a
   * delayFirstProbeMs that is not >= 0.
   */
  constructor(
    protocol: NeighbourProtocol<A, R>,
    sink: NeighbourCacheSink<A, R>,
    options: NeighbourCacheOptions,
  ) {
    const counts = [
      'maxEntries',
      'maxQueuedPerEntry',
      'maxQueuedFrames',
      'maxRequests',
      'maxProbes',
    ] as const;
    for (const name of counts) {
      const value = options[name];
      if (!(Number.isInteger(value) && value >= 1)) {
        throw new RangeError(
          `${protocol.name} cache ${name} must be an integer >= 1, got ${value}`,
        );
      }
    }
    for (const name of ['reachableMs', 'staleMs', 'retransmitMs'] as const) {
      checkDuration(protocol.name, name, options[name]);
    }
    const delayMs = options.delayFirstProbeMs;
    if (!(Number.isFinite(delayMs) && delayMs >= 0)) {
      throw new RangeError(
        `${protocol.name} cache delayFirstProbeMs must be a number of milliseconds >= 0, got ${delayMs}`,
      );
    }
    this.#protocol = protocol;
    this.#sink = sink;
    this.#options = { ...options };
  }

  get size(): number {
    return this.#entries.size;
  }

  /**
   * The MAC for `ip` when it can be used with nothing else to do: a reachable entry not yet due
   * to turn stale, a delay, probe or static one. Counts as a use for eviction and has no other
   * effect. Undefined otherwise, stale entries included: call `resolve` then, so that using a
   * stale entry starts its validation. The MAC is borrowed: copy it to keep it. Allocates nothing.
   */
  lookup(ip: A, nowMs: number): Uint8Array | undefined {
    const entry = this.#find(ip);
    if (entry === undefined) return undefined;
    switch (entry.state) {
      case 'incomplete':
      case 'stale':
        return undefined;
      case 'reachable':
        if (nowMs >= entry.deadlineMs!) return undefined;
        break;
      case 'delay':
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
   * entry starts its validation (delay, or probe at once with a unicast solicitation). Or
   * undefined, the cache having taken `frame` (an Ethernet frame the caller will not touch again,
   * its destination to be written): queued while the address is resolved, a new entry sending
   * its first multicast solicitation at once, or dropped as the protocol's table-full drop when
   * no entry can be made. Throws RangeError for an `ip` not of the family or a frame shorter than
   * an Ethernet header.
   */
  resolve(ip: A, frame: Uint8Array, nowMs: number): Uint8Array | undefined {
    const entry = this.#find(ip);
    if (entry === undefined) {
      this.#checkAddress(ip);
      checkFrame(frame);
      if (!this.#makeRoom()) {
        this.#sink.drop(this.#protocol.drops.tableFull, 1);
        return undefined;
      }
      const created = this.#add(ip, 'incomplete', undefined, false);
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
        if (nowMs >= entry.deadlineMs!) this.#startValidation(entry, nowMs);
        break;
      case 'stale':
        this.#startValidation(entry, nowMs);
        break;
      case 'delay':
      case 'probe':
        break;
      case 'static':
        return entry.mac;
    }
    this.#touch(entry);
    return entry.mac;
  }

  /**
   * Merges a received packet's link-layer information about `ip` (RFC 826 "Packet Reception";
   * RFC 4861 §7.2.3, §7.2.5, §7.3.3 and Appendix C), `mac` being undefined when the packet
   * carried none (an NA without a Target Link-Layer Address option, an RA without a Source one):
   * - no entry: one is made, reachable if `confirmed` and stale otherwise, only with `create`
   *   and a MAC;
   * - incomplete: with a MAC, it takes it, turns reachable if `confirmed` and stale otherwise,
   *   and transmits its queued frames, oldest first; `override` does not matter (§7.2.5);
   * - reachable, stale, delay, probe: a differing MAC without `override` only turns a reachable
   *   entry stale (§7.2.5 case I); otherwise a differing MAC replaces the cached one, and the
   *   entry turns reachable if `confirmed`, else stale if its MAC changed, else keeps its state;
   * - static: never changed.
   * `isRouter`, when given, then sets the entry's flag (not in case I), `routerLost` telling of a
   * router that became a host. The caller filters what must not be learned (RFC 5227 probes,
   * DAD solicitations, group MACs, our own addresses); `mac` is copied. Throws RangeError for a
   * MAC not 6 bytes long or, when an entry would be made, an `ip` not of the family.
   */
  learn(ip: A, mac: Uint8Array | undefined, nowMs: number, how: NeighbourLearnOptions): void {
    if (mac !== undefined) checkMac(mac);
    const entry = this.#find(ip);
    if (entry === undefined) {
      if (!how.create || mac === undefined) return;
      this.#checkAddress(ip);
      if (!this.#makeRoom()) return;
      const created = this.#add(ip, 'stale', mac.slice(), how.isRouter ?? false);
      this.#evictable.add(created);
      if (how.confirmed) this.#confirm(created, nowMs);
      else this.#markStale(created, nowMs);
      return;
    }
    switch (entry.state) {
      case 'static':
        return;
      case 'incomplete':
        // RFC 4861 §7.2.5: an advertisement without the link-layer address cannot resolve.
        if (mac === undefined) return;
        entry.mac = mac.slice();
        this.#evictable.add(entry);
        if (how.confirmed) this.#confirm(entry, nowMs);
        else this.#markStale(entry, nowMs);
        this.#setRouter(entry, how.isRouter);
        this.#release(entry);
        return;
      case 'reachable':
      case 'stale':
      case 'delay':
      case 'probe': {
        const changed = mac !== undefined && !bytesEqual(entry.mac!, mac);
        if (changed && how.override === false) {
          // RFC 4861 §7.2.5 case I: without Override a different address is not believed, but a
          // reachable entry is no longer known to be reachable.
          if (entry.state === 'reachable') this.#markStale(entry, nowMs);
          return;
        }
        if (changed) entry.mac = mac.slice();
        if (how.confirmed) this.#confirm(entry, nowMs);
        else if (changed) this.#markStale(entry, nowMs);
        this.#setRouter(entry, how.isRouter);
        return;
      }
    }
  }

  /**
   * An upper-layer reachability confirmation for `ip` (RFC 4861 §7.3.1: TCP saw new data
   * acknowledged): a reachable, stale, delay or probe entry turns reachable. Does nothing for
   * other entries or none.
   */
  confirm(ip: A, nowMs: number): void {
    const entry = this.#find(ip);
    if (entry === undefined) return;
    switch (entry.state) {
      case 'incomplete':
      case 'static':
        return;
      case 'reachable':
      case 'stale':
      case 'delay':
      case 'probe':
        this.#confirm(entry, nowMs);
        return;
    }
  }

  /**
   * The state of the entry for `ip`, or undefined when there is none: what default router
   * selection asks (RFC 4861 §6.3.6: prefer routers that are not incomplete). Allocates nothing.
   */
  state(ip: A): NeighbourState | undefined {
    return this.#find(ip)?.state;
  }

  /**
   * Changes timers at run time: NDP's ReachableTime, which the owner re-chooses at random
   * (RFC 4861 §6.3.2), and RetransTimer, both learned from Router Advertisements (§6.3.4). Each
   * new value applies from the next time the cache sets a deadline with it; deadlines already
   * set stay. Throws RangeError for a duration that is not > 0.
   */
  setTimes(times: NeighbourTimes): void {
    const { reachableMs, retransmitMs } = times;
    if (reachableMs !== undefined) checkDuration(this.#protocol.name, 'reachableMs', reachableMs);
    if (retransmitMs !== undefined)
      checkDuration(this.#protocol.name, 'retransmitMs', retransmitMs);
    if (reachableMs !== undefined) this.#options.reachableMs = reachableMs;
    if (retransmitMs !== undefined) this.#options.retransmitMs = retransmitMs;
  }

  /**
   * Runs the timers due at `nowMs`: retransmits solicitations and probes, fails incomplete
   * entries that got no answer (their frames given to `unresolved`, then dropped as unresolved),
   * ages reachable entries to stale, starts probing delay entries, and removes unused stale
   * entries and unanswered probes. Does nothing before `pollAt()`.
   */
  poll(nowMs: number): void {
    const dueMs = this.pollAt();
    if (dueMs === undefined || nowMs < dueMs) return;
    for (const entry of this.#entries) {
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
      for (const { deadlineMs } of this.#entries) {
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
   * Makes `ip` resolve to `mac` (copied) until deleted, replacing any entry (whose IsRouter flag
   * stays); an incomplete one transmits its queued frames. Static entries count toward
   * maxEntries. Throws RangeError for a bad address or MAC, or when every entry is static or
   * incomplete and the table is full.
   */
  addStatic(ip: A, mac: Uint8Array): void {
    this.#checkAddress(ip);
    checkMac(mac);
    const entry = this.#find(ip);
    if (entry === undefined) {
      if (!this.#makeRoom()) {
        throw new RangeError(
          `no room for a static ${this.#protocol.name} entry for ${this.#protocol.format(ip)}: all ${this.#options.maxEntries} entries are static or incomplete; raise maxEntries`,
        );
      }
      this.#add(ip, 'static', mac.slice(), false);
      return;
    }
    entry.state = 'static';
    entry.mac = mac.slice();
    this.#evictable.delete(entry);
    this.#schedule(entry, undefined);
    this.#release(entry);
  }

  /**
   * Removes the entry for `ip`, static or not, dropping its queued frames as unresolved (without
   * calling `unresolved`: resolution did not fail).
   */
  delete(ip: A): boolean {
    const entry = this.#find(ip);
    if (entry === undefined) return false;
    this.#remove(entry, false);
    return true;
  }

  /** Every entry, in the order they were made. */
  entries(): NeighbourEntrySnapshot<A>[] {
    return Array.from(this.#entries, (entry) => ({
      ip: this.#protocol.copy(entry.ip),
      mac: entry.mac?.slice(),
      state: entry.state,
      queuedFrames: entry.queue.length,
      isRouter: entry.isRouter,
    }));
  }

  /** One step of an entry whose deadline has come. */
  #expire(entry: Entry<A>, nowMs: number): void {
    const dueMs = entry.deadlineMs!;
    switch (entry.state) {
      case 'incomplete':
        // RFC 4861 §7.2.2: MAX_MULTICAST_SOLICIT solicitations, then resolution has failed.
        if (entry.requestsSent < this.#options.maxRequests) this.#request(entry, nowMs);
        else this.#remove(entry, true);
        return;
      case 'reachable':
        // RFC 1122 §2.3.2.1 "Timeout", RFC 4861 §7.3.3: no longer trusted without validation.
        this.#markStale(entry, dueMs);
        return;
      case 'stale':
        this.#remove(entry, false);
        return;
      case 'delay':
        // RFC 4861 §7.3.3: no confirmation within DELAY_FIRST_PROBE_TIME; probe.
        this.#startProbe(entry, nowMs);
        return;
      case 'probe':
        // RFC 1122 §2.3.2.1 "Unicast Poll", RFC 4861 §7.3.3: delete the entry when
        // MAX_UNICAST_SOLICIT solicitations go unanswered.
        if (entry.requestsSent < this.#options.maxProbes) this.#request(entry, nowMs);
        else this.#remove(entry, false);
        return;
      case 'static':
        return;
    }
  }

  /** Sends a solicitation for the entry, multicast while incomplete and unicast in probe. */
  #request(entry: Entry<A>, nowMs: number): void {
    entry.requestsSent++;
    entry.lastRequestMs = nowMs;
    this.#schedule(entry, nowMs + this.#options.retransmitMs);
    this.#sink.request(entry.ip, entry.state === 'probe' ? entry.mac : undefined);
  }

  /** A stale entry is used to send. */
  #startValidation(entry: Entry<A>, nowMs: number): void {
    // RFC 4861 §7.3.3: give upper layers DELAY_FIRST_PROBE_TIME to confirm reachability before
    // probing. ARP has no such hints and probes at once (RFC 1122 §2.3.2.1).
    const delayMs = this.#options.delayFirstProbeMs;
    if (delayMs === 0) {
      this.#startProbe(entry, nowMs);
      return;
    }
    entry.state = 'delay';
    entry.requestsSent = 0;
    this.#schedule(entry, nowMs + delayMs);
  }

  #startProbe(entry: Entry<A>, nowMs: number): void {
    entry.state = 'probe';
    entry.requestsSent = 0;
    // RFC 1122 §2.3.2.1 rate limit: an entry learned while incomplete had a request out just now.
    const earliestMs =
      entry.lastRequestMs === undefined ? nowMs : entry.lastRequestMs + this.#options.retransmitMs;
    if (earliestMs <= nowMs) this.#request(entry, nowMs);
    else this.#schedule(entry, earliestMs);
  }

  #confirm(entry: Entry<A>, nowMs: number): void {
    entry.state = 'reachable';
    entry.requestsSent = 0;
    this.#schedule(entry, nowMs + this.#options.reachableMs);
  }

  #markStale(entry: Entry<A>, sinceMs: number): void {
    entry.state = 'stale';
    entry.requestsSent = 0;
    this.#schedule(entry, sinceMs + this.#options.staleMs);
  }

  #setRouter(entry: Entry<A>, isRouter: boolean | undefined): void {
    if (isRouter === undefined || isRouter === entry.isRouter) return;
    entry.isRouter = isRouter;
    // RFC 4861 §7.2.5: a router that turned host leaves the Default Router List.
    if (!isRouter) this.#sink.routerLost?.(entry.ip);
  }

  /**
   * RFC 1122 §2.3.2.2, RFC 4861 §7.2.2: save at least the latest packet for an unresolved
   * address. When the entry's queue or the table's is full, the entry's oldest frame goes to make
   * room; when the table's is full and the entry has none, the new frame is the one dropped.
   */
  #enqueue(entry: Entry<A>, frame: Uint8Array): void {
    const { maxQueuedPerEntry, maxQueuedFrames } = this.#options;
    if (entry.queue.length >= maxQueuedPerEntry || this.#queuedFrames >= maxQueuedFrames) {
      this.#sink.drop(this.#protocol.drops.queueFull, 1);
      if (entry.queue.length === 0) return;
      entry.queue.shift();
      entry.queue.push(frame);
      return;
    }
    entry.queue.push(frame);
    this.#queuedFrames++;
  }

  /** Transmits the entry's queued frames, oldest first, to its MAC. */
  #release(entry: Entry<A>): void {
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

  /** Forgets the entry; its queued frames go to `unresolved` first when resolution `failed`. */
  #remove(entry: Entry<A>, failed: boolean): void {
    this.#entries.delete(entry);
    this.#unlink(entry);
    this.#evictable.delete(entry);
    this.#schedule(entry, undefined);
    const frames = entry.queue;
    if (frames.length === 0) return;
    entry.queue = [];
    this.#queuedFrames -= frames.length;
    if (failed) this.#sink.unresolved?.(frames);
    this.#sink.drop(this.#protocol.drops.unresolved, frames.length);
  }

  /** Room for one more entry, evicting the least recently used evictable one if need be. */
  #makeRoom(): boolean {
    if (this.#entries.size < this.#options.maxEntries) return true;
    const oldest = this.#evictable.values().next();
    if (oldest.done) return false;
    this.#remove(oldest.value, false);
    return true;
  }

  #touch(entry: Entry<A>): void {
    this.#evictable.delete(entry);
    this.#evictable.add(entry);
  }

  #find(ip: A): Entry<A> | undefined {
    const protocol = this.#protocol;
    let entry = this.#buckets.get(protocol.hash(ip));
    while (entry !== undefined && !protocol.equals(entry.ip, ip)) entry = entry.nextInBucket;
    return entry;
  }

  #add(ip: A, state: NeighbourState, mac: Uint8Array | undefined, isRouter: boolean): Entry<A> {
    const owned = this.#protocol.copy(ip);
    const hash = this.#protocol.hash(owned);
    const entry: Entry<A> = {
      ip: owned,
      hash,
      nextInBucket: this.#buckets.get(hash),
      state,
      mac,
      isRouter,
      queue: [],
      requestsSent: 0,
      lastRequestMs: undefined,
      deadlineMs: undefined,
    };
    this.#buckets.set(hash, entry);
    this.#entries.add(entry);
    return entry;
  }

  #unlink(entry: Entry<A>): void {
    const head = this.#buckets.get(entry.hash);
    if (head === entry) {
      if (entry.nextInBucket === undefined) this.#buckets.delete(entry.hash);
      else this.#buckets.set(entry.hash, entry.nextInBucket);
      return;
    }
    let previous = head;
    while (previous !== undefined && previous.nextInBucket !== entry) {
      previous = previous.nextInBucket;
    }
    if (previous !== undefined) previous.nextInBucket = entry.nextInBucket;
  }

  #checkAddress(ip: A): void {
    const problem = this.#protocol.invalid(ip);
    if (problem !== undefined) throw new RangeError(problem);
  }

  /** Sets the entry's deadline, keeping the cached pollAt exact or marking it for recomputation. */
  #schedule(entry: Entry<A>, deadlineMs: number | undefined): void {
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

function checkDuration(cacheName: string, name: string, value: number): void {
  if (!(Number.isFinite(value) && value > 0)) {
    throw new RangeError(
      `${cacheName} cache ${name} must be a number of milliseconds > 0, got ${value}`,
    );
  }
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
