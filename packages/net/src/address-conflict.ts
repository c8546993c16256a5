// IPv4 Address Conflict Detection (RFC 5227) for one address on one interface: probing before
// the address is used (§2.1), announcing it (§2.3), and defending it while in use (§2.4). A pure
// state machine: the owner passes the time in, sends the ARP packets it is told to, feeds every
// ARP packet received on the interface to `onArp`, and calls `poll` again at `pollAt()`.
//
// Choosing another address after a conflict, and the rate limit on doing so (§2.1.1
// MAX_CONFLICTS, RATE_LIMIT_INTERVAL), belong to whoever chose the address, not to this detector.

import { bytesEqual, type Random } from '@oasis/core';
import { type ArpRepr, isArpProbe, isIpv4Address, MAC_LENGTH } from '@oasis/wire';

/**
 * `probing`: checking that nobody holds the address (§2.1), which may not be used yet;
 * `announcing`: the address is in use and being announced (§2.3); `bound`: announced and in use,
 * defended (§2.4); `conflict`: another host holds it (§2.1.1), final.
 */
export type AddressConflictState = 'probing' | 'announcing' | 'bound' | 'conflict';

/**
 * A packet the owner must broadcast now from our MAC: `probe`, an ARP request with sender IP
 * 0.0.0.0 and target IP the address (§2.1.1); `announce`, an ARP request with sender IP and
 * target IP both the address and target MAC zero (§2.3).
 */
export type AddressConflictAction = 'probe' | 'announce';

/** What `onArp` found; see there. */
export type AddressConflictVerdict = 'none' | 'conflict' | 'defend' | 'conflict-ignored';

/** Timing and counts, the RFC 5227 §1.1 constants by default. */
export interface AddressConflictOptions {
  /**
   * Probe before using the address (§2.1). False: the address is usable at once and is only
   * announced (§2.3), for an address that is known to be ours or that must not wait.
   */
  readonly probe: boolean;
  /** PROBE_WAIT: the first probe goes out after a random delay in [0, probeWaitMs). */
  readonly probeWaitMs: number;
  /** PROBE_NUM: probes sent. */
  readonly probeCount: number;
  /** PROBE_MIN and PROBE_MAX: the gap between probes is random in [probeMinMs, probeMaxMs]. */
  readonly probeMinMs: number;
  readonly probeMaxMs: number;
  /** ANNOUNCE_WAIT: the wait after the last probe before the address is usable. */
  readonly announceWaitMs: number;
  /** ANNOUNCE_NUM: announcements sent. */
  readonly announceCount: number;
  /** ANNOUNCE_INTERVAL: the gap between announcements. */
  readonly announceIntervalMs: number;
  /** DEFEND_INTERVAL: at most one defensive announcement in this time (§2.4). */
  readonly defendIntervalMs: number;
}

export const ADDRESS_CONFLICT_DEFAULTS: AddressConflictOptions = Object.freeze({
  probe: true,
  probeWaitMs: 1000,
  probeCount: 3,
  probeMinMs: 1000,
  probeMaxMs: 2000,
  announceWaitMs: 2000,
  announceCount: 2,
  announceIntervalMs: 2000,
  defendIntervalMs: 10_000,
});

export class AddressConflictDetector {
  readonly address: number;
  readonly #ourMac: Uint8Array;
  readonly #random: Random;
  readonly #options: AddressConflictOptions;
  #state: AddressConflictState;
  /** When the next packet (or, after the last probe, the end of probing) is due. */
  #dueMs: number | undefined;
  #probesSent = 0;
  #announcementsSent = 0;
  #lastDefenceMs: number | undefined;
  #ignoredConflicts = 0;

  /**
   * Starts probing (or, with `probe: false`, announcing) `address` at `nowMs`. Throws RangeError
   * for an address that cannot be claimed, a MAC that is not 6 bytes, or options out of range.
   */
  constructor(
    address: number,
    ourMac: Uint8Array,
    random: Random,
    nowMs: number,
    options: Partial<AddressConflictOptions> = {},
  ) {
    if (!isIpv4Address(address) || address === 0) {
      throw new RangeError(
        `cannot claim ${address}: use a non-zero IPv4 address as an integer (0.0.0.0 is the probe sender)`,
      );
    }
    if (ourMac.length !== MAC_LENGTH) {
      throw new RangeError(`our MAC must be ${MAC_LENGTH} bytes, got ${ourMac.length}`);
    }
    const merged = { ...ADDRESS_CONFLICT_DEFAULTS, ...options };
    validate(merged);
    this.address = address;
    this.#ourMac = ourMac.slice();
    this.#random = random;
    this.#options = merged;
    if (merged.probe) {
      // §2.1.1: wait a random time in [0, PROBE_WAIT), so that hosts powered on together do not
      // all probe at once.
      this.#state = 'probing';
      this.#dueMs = nowMs + randomBelow(random, merged.probeWaitMs);
    } else {
      this.#state = 'announcing';
      this.#dueMs = nowMs;
    }
  }

  get state(): AddressConflictState {
    return this.#state;
  }

  /**
   * Whether the address may be used as a source and answered for: once probing has ended
   * without a conflict (§2.3).
   */
  get usable(): boolean {
    return this.#state === 'announcing' || this.#state === 'bound';
  }

  /** Conflicting packets within DEFEND_INTERVAL of the last defence, left unanswered (§2.4). */
  get ignoredConflicts(): number {
    return this.#ignoredConflicts;
  }

  /**
   * The packets to send now, advancing the state. At most one per call: the next packet is timed
   * from the moment this one is sent, so a late poll never bunches probes together or shortens
   * the time left to hear a reply before the address becomes usable.
   */
  poll(nowMs: number): AddressConflictAction[] {
    if (this.#dueMs === undefined || nowMs < this.#dueMs) return [];
    switch (this.#state) {
      case 'probing': {
        const options = this.#options;
        if (this.#probesSent < options.probeCount) {
          this.#probesSent++;
          // §2.1.1: probes PROBE_MIN to PROBE_MAX apart; ANNOUNCE_WAIT after the last one.
          this.#dueMs =
            this.#probesSent < options.probeCount
              ? nowMs +
                options.probeMinMs +
                randomBelow(this.#random, options.probeMaxMs - options.probeMinMs + 1)
              : nowMs + options.announceWaitMs;
          return ['probe'];
        }
        // §2.1.1: ANNOUNCE_WAIT passed after the last probe with no conflict; §2.3: announce now.
        this.#state = 'announcing';
        return [this.#announce(nowMs)];
      }
      case 'announcing':
        return [this.#announce(nowMs)];
      case 'bound':
      case 'conflict':
        return [];
    }
  }

  /** When `poll` next has something to do; undefined once bound or in conflict. */
  pollAt(): number | undefined {
    return this.#dueMs;
  }

  /**
   * Judges every ARP packet received on the interface, by the state as of the last `poll`.
   * Packets whose sender MAC is ours are our own, never a conflict.
   *
   * - `conflict`, while probing (§2.1.1): the packet's sender IP is the address, or it is a
   *   probe for the address from another host. The state becomes `conflict` for good; the owner
   *   must not use the address.
   * - `defend`, while announcing or bound (§2.4): the sender IP is the address, from another MAC,
   *   and we have not defended within DEFEND_INTERVAL. The owner broadcasts one announcement now.
   * - `conflict-ignored`: the same, but within DEFEND_INTERVAL of the last defence. Nothing is
   *   sent and the address is kept: this is §2.4 (c), the behaviour of a host that must not give
   *   up its address (an appliance with a configured address), which defends indefinitely but
   *   at most once per DEFEND_INTERVAL. The interval runs from the last defence, so a steady
   *   stream of conflicts is answered once every DEFEND_INTERVAL. Counted in `ignoredConflicts`.
   * - `none`: anything else, including a probe for the address once it is in use (the ARP layer
   *   answers that as an ordinary request) and every packet after a conflict.
   */
  onArp(packet: ArpRepr, nowMs: number): AddressConflictVerdict {
    if (bytesEqual(packet.senderMac, this.#ourMac)) return 'none';
    switch (this.#state) {
      case 'probing':
        if (
          packet.senderIp === this.address ||
          (isArpProbe(packet) && packet.targetIp === this.address)
        ) {
          this.#state = 'conflict';
          this.#dueMs = undefined;
          return 'conflict';
        }
        return 'none';
      case 'announcing':
      case 'bound':
        if (packet.senderIp !== this.address) return 'none';
        if (
          this.#lastDefenceMs !== undefined &&
          nowMs - this.#lastDefenceMs < this.#options.defendIntervalMs
        ) {
          this.#ignoredConflicts++;
          return 'conflict-ignored';
        }
        this.#lastDefenceMs = nowMs;
        return 'defend';
      case 'conflict':
        return 'none';
    }
  }

  /** §2.3: ANNOUNCE_NUM announcements ANNOUNCE_INTERVAL apart, then the address is bound. */
  #announce(nowMs: number): 'announce' {
    this.#announcementsSent++;
    if (this.#announcementsSent < this.#options.announceCount) {
      this.#dueMs = nowMs + this.#options.announceIntervalMs;
    } else {
      this.#state = 'bound';
      this.#dueMs = undefined;
    }
    return 'announce';
  }
}

/** A uniform integer in [0, bound); 0 when bound is 0. */
function randomBelow(random: Random, bound: number): number {
  return bound === 0 ? 0 : random.below(bound);
}

function validate(options: AddressConflictOptions): void {
  const durations = [
    'probeWaitMs',
    'probeMinMs',
    'probeMaxMs',
    'announceWaitMs',
    'announceIntervalMs',
    'defendIntervalMs',
  ] as const;
  for (const name of durations) {
    const value = options[name];
    if (!(Number.isInteger(value) && value >= 0 && value <= 0xffff_ffff)) {
      throw new RangeError(
        `${name} must be a whole number of milliseconds in 0-4294967295, got ${value}`,
      );
    }
  }
  for (const name of ['probeCount', 'announceCount'] as const) {
    const value = options[name];
    if (!(Number.isSafeInteger(value) && value >= 1)) {
      throw new RangeError(
        `${name} must be an integer >= 1, got ${value} (to skip probing, set probe: false)`,
      );
    }
  }
  if (options.probeMinMs > options.probeMaxMs) {
    throw new RangeError(
      `probeMinMs (${options.probeMinMs}) must not exceed probeMaxMs (${options.probeMaxMs})`,
    );
  }
}
