// Multicast Listener Discovery version 2, the host side (RFC 3810 §6), for one interface: the
// groups the interface listens to, the State Change Reports sent when that set changes (§6.1),
// and the Current State Reports that answer queries (§6.2). A pure state machine: time is passed
// in, `poll` returns the records of the report to send now, `pollAt` says when to poll again.
//
// Membership is any-source only (EXCLUDE with no sources, which is what joining means in
// RFC 3810 §4.1 terms): the socket API has no source filters. Not implemented: source-specific
// membership, MLDv1 compatibility mode (§8), and splitting a report larger than the link MTU
// (the caller's job when it turns records into packets).

import { bytesEqual, type Random } from '@oasis/core';
import {
  IPV6_ALL_NODES,
  IPV6_SCOPE_INTERFACE_LOCAL,
  ipv6MulticastScope,
  isIpv6Multicast,
  MLD_CHANGE_TO_EXCLUDE_MODE,
  MLD_CHANGE_TO_INCLUDE_MODE,
  MLD_MODE_IS_EXCLUDE,
  type MldRecord,
} from '@oasis/wire';
import { earliestDeadline } from './deadline.ts';

/** Robustness Variable (RFC 3810 §9.1): each State Change Report is sent this many times. */
export const MLD_ROBUSTNESS = 2;
/** Unsolicited Report Interval (RFC 3810 §9.11). */
export const MLD_UNSOLICITED_REPORT_INTERVAL_MS = 1000;

interface Group {
  readonly address: Uint8Array;
  /** How many of our unicast addresses have this as their solicited-node group. */
  addressHolds: number;
  /** Joined through `join` (a socket's membership). */
  joinedByUser: boolean;
  /** The State Change record still to send (TO_EX after a join, TO_IN after a leave). */
  change: number | undefined;
  changesLeft: number;
  changeDueMs: number;
  /** A TO_EX record has gone out and no TO_IN since: routers may count us as a listener. */
  announced: boolean;
  /** When the answer to a query for this group alone is due (§6.2, the per-address timer). */
  queryDueMs: number | undefined;
}

export class MulticastListener {
  readonly #random: Random;
  readonly #groups: Group[] = [];
  /** When the answer to a General Query is due (§6.2, the interface timer). */
  #generalQueryDueMs: number | undefined;

  constructor(random: Random) {
    this.#random = random;
  }

  /**
   * One of our addresses needs its solicited-node `group`. The interface listens to the group at
   * once; the join is reported at `reportAtMs`, which RFC 4862 §5.4.2 lets DAD delay.
   */
  hold(group: Uint8Array, reportAtMs: number): void {
    const entry = this.#entry(group);
    const wasMember = isMember(entry);
    entry.addressHolds++;
    if (!wasMember) this.#changed(entry, MLD_CHANGE_TO_EXCLUDE_MODE, reportAtMs);
  }

  /** The reverse of one `hold`. */
  release(group: Uint8Array, nowMs: number): void {
    const entry = this.#find(group);
    if (entry === undefined || entry.addressHolds === 0) return;
    entry.addressHolds--;
    if (!isMember(entry)) this.#left(entry, nowMs);
  }

  /** A socket joins `group`; joining twice is joining once. Throws RangeError if not multicast. */
  join(group: Uint8Array, nowMs: number): void {
    requireMulticast(group);
    const entry = this.#entry(group);
    if (entry.joinedByUser) return;
    const wasMember = isMember(entry);
    entry.joinedByUser = true;
    if (!wasMember) this.#changed(entry, MLD_CHANGE_TO_EXCLUDE_MODE, nowMs);
  }

  /** The reverse of `join`; a group not joined this way is left alone. */
  leave(group: Uint8Array, nowMs: number): void {
    requireMulticast(group);
    const entry = this.#find(group);
    if (entry === undefined || !entry.joinedByUser) return;
    entry.joinedByUser = false;
    if (!isMember(entry)) this.#left(entry, nowMs);
  }

  /**
   * A query heard on the link: `multicastAddress` :: for a General Query, else a Multicast Address
   * Specific Query. The answer is scheduled after a random delay in [0, maxResponseDelayMs], by
   * the rules of RFC 3810 §6.2.
   */
  onQuery(multicastAddress: Uint8Array, maxResponseDelayMs: number, nowMs: number): void {
    const general = !isIpv6Multicast(multicastAddress);
    const entry = general ? undefined : this.#find(multicastAddress);
    if (!general && (entry === undefined || !isMember(entry) || !isReported(entry.address))) {
      return;
    }
    const maxDelayMs =
      maxResponseDelayMs > 0 ? Math.min(Math.floor(maxResponseDelayMs), 0xffff_fffe) : 0;
    const dueMs = nowMs + this.#random.below(maxDelayMs + 1);
    // §6.2 rule 1: an answer to a General Query already due sooner covers this query too.
    if (this.#generalQueryDueMs !== undefined && this.#generalQueryDueMs <= dueMs) return;
    if (entry === undefined) {
      // §6.2 rule 2: the new General Query replaces any later answer to an earlier one.
      this.#generalQueryDueMs = dueMs;
    } else {
      // §6.2 rules 3 and 4: the earlier of a pending answer for the group and the new delay.
      entry.queryDueMs = entry.queryDueMs === undefined ? dueMs : Math.min(entry.queryDueMs, dueMs);
    }
  }

  /**
   * The records of the report to send now, each group once and with no sources; empty when none
   * is due.
   */
  poll(nowMs: number): MldRecord[] {
    const records: MldRecord[] = [];
    for (const entry of [...this.#groups]) {
      if (entry.change !== undefined && entry.changeDueMs <= nowMs) {
        records.push({ type: entry.change, address: entry.address.slice() });
        entry.announced = entry.change === MLD_CHANGE_TO_EXCLUDE_MODE;
        entry.changesLeft--;
        if (entry.changesLeft > 0) {
          // §6.1: the retransmissions follow at random intervals in (0, Unsolicited Report
          // Interval].
          entry.changeDueMs = nowMs + 1 + this.#random.below(MLD_UNSOLICITED_REPORT_INTERVAL_MS);
        } else {
          entry.change = undefined;
          if (!isMember(entry)) this.#remove(entry);
        }
      }
    }
    const generalDue = this.#generalQueryDueMs !== undefined && this.#generalQueryDueMs <= nowMs;
    if (generalDue) this.#generalQueryDueMs = undefined;
    for (const entry of this.#groups) {
      const groupDue = entry.queryDueMs !== undefined && entry.queryDueMs <= nowMs;
      if (groupDue) entry.queryDueMs = undefined;
      if (!(generalDue || groupDue) || !isMember(entry) || !isReported(entry.address)) continue;
      if (records.some((record) => bytesEqual(record.address, entry.address))) continue;
      // §6.3: the current state of an any-source membership is EXCLUDE with no sources.
      records.push({ type: MLD_MODE_IS_EXCLUDE, address: entry.address.slice() });
    }
    return records;
  }

  /** When `poll` next has a report to send; undefined when nothing is pending. */
  pollAt(): number | undefined {
    let atMs = this.#generalQueryDueMs;
    for (const entry of this.#groups) {
      if (entry.change !== undefined) atMs = earliestDeadline(atMs, entry.changeDueMs);
      if (entry.queryDueMs !== undefined) atMs = earliestDeadline(atMs, entry.queryDueMs);
    }
    return atMs;
  }

  /** Whether the interface listens to `group`: ff02::1 always (RFC 4291 §2.7.1). No allocation. */
  isJoined(group: Uint8Array): boolean {
    if (bytesEqual(group, IPV6_ALL_NODES)) return true;
    const entry = this.#find(group);
    return entry !== undefined && isMember(entry);
  }

  /** Every group the interface listens to, ff02::1 first. */
  groups(): Uint8Array[] {
    const groups = [IPV6_ALL_NODES.slice()];
    for (const entry of this.#groups) if (isMember(entry)) groups.push(entry.address.slice());
    return groups;
  }

  /** Forgets every group and pending report without sending anything: the interface is down. */
  clear(): void {
    this.#groups.length = 0;
    this.#generalQueryDueMs = undefined;
  }

  #changed(entry: Group, type: number, dueMs: number): void {
    // RFC 3810 §6: nothing is ever reported about ff02::1 or groups of scope 0 or 1.
    if (!isReported(entry.address)) return;
    // §6.1: a new State Change Report replaces what was left of the previous one, and is itself
    // sent [Robustness Variable] times.
    entry.change = type;
    entry.changesLeft = MLD_ROBUSTNESS;
    entry.changeDueMs = dueMs;
  }

  #left(entry: Group, nowMs: number): void {
    entry.queryDueMs = undefined;
    if (entry.announced) {
      this.#changed(entry, MLD_CHANGE_TO_INCLUDE_MODE, nowMs);
    } else {
      // No router heard of the join (its report was still waiting, e.g. for DAD's delay): the
      // group goes quietly.
      this.#remove(entry);
    }
  }

  #remove(entry: Group): void {
    const index = this.#groups.indexOf(entry);
    if (index >= 0) this.#groups.splice(index, 1);
  }

  #find(group: Uint8Array): Group | undefined {
    for (const entry of this.#groups) if (bytesEqual(entry.address, group)) return entry;
    return undefined;
  }

  #entry(group: Uint8Array): Group {
    const found = this.#find(group);
    if (found !== undefined) return found;
    const entry: Group = {
      address: group.slice(),
      addressHolds: 0,
      joinedByUser: false,
      change: undefined,
      changesLeft: 0,
      changeDueMs: 0,
      announced: false,
      queryDueMs: undefined,
    };
    this.#groups.push(entry);
    return entry;
  }
}

function isMember(entry: Group): boolean {
  return entry.addressHolds > 0 || entry.joinedByUser;
}

/** RFC 3810 §6: no report ever names ff02::1 or a group of scope 0 (reserved) or 1 (interface). */
function isReported(group: Uint8Array): boolean {
  return (
    !bytesEqual(group, IPV6_ALL_NODES) && ipv6MulticastScope(group) > IPV6_SCOPE_INTERFACE_LOCAL
  );
}

function requireMulticast(group: Uint8Array): void {
  if (group.length !== 16 || !isIpv6Multicast(group)) {
    throw new RangeError('a multicast group is a 16-byte IPv6 address in ff00::/8');
  }
}
