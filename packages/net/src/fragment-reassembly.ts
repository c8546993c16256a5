// Fragment reassembly shared by IPv4 (RFC 791 §3.2 "Reassembly") and IPv6 (RFC 8200 §4.5), with
// memory and time bounded. A pure state machine: a family wrapper (ipv4-reassembly.ts,
// ipv6-reassembly.ts) reads each fragment's key, offset, data and More flag and passes them to
// `addFragment` with the time; its owner calls `poll` at `pollAt()` to learn which datagrams timed
// out, for an ICMP Time Exceeded. Time is monotonic; a clock that steps back only delays expiry.
//
// Bookkeeping follows RFC 815: each datagram holds its fragments sorted by offset and disjoint,
// and the holes are the gaps between them, so a fragment is checked against its two neighbours
// only. Overlaps are not merged: as RFC 5722 §4 requires for IPv6, and for the same reason with
// IPv4 (an overlap is never produced by a correct sender, and the bytes kept would depend on the
// receiver's policy, which lets an attacker show a firewall one datagram and the host another),
// a fragment that overlaps one held discards the whole datagram. An exact repeat (same offset,
// length and bytes), which duplicating links produce, is ignored on its own (RFC 8200 §4.5
// allows it). A family may also keep a discarded datagram's key as a tombstone until the
// datagram's deadline, so that its fragments still to come are dropped rather than starting a
// reassembly that can only time out (RFC 5722 §4: "including those not yet received").
//
// Memory: copies of fragment data, bounded by `maxBufferedBytes`; the fragments' bookkeeping,
// a few hundred bytes each whatever their size, bounded by `maxFragments` (RFC 8200 §4.5 allows
// 8-byte fragments); per datagram being reassembled, the bytes before the offset-0 fragment's
// data (its headers: IPv4's 60 at most, IPv6's bounded by the header walk) and the addresses;
// per tombstone, a key and a deadline. Both are bounded by `maxDatagrams`.

import { bytesEqual } from '@oasis/core';

export interface ReassemblyLimits {
  /** Datagrams being reassembled at once (default 64); as many tombstones again at most. */
  readonly maxDatagrams: number;
  /** Data bytes held across all of them (default 1 MiB). */
  readonly maxBufferedBytes: number;
  /**
   * Fragments held across all of them (default 4096). Each costs some 250 bytes of bookkeeping
   * beyond its data, so this bounds what a flood of tiny fragments can take to about 1 MiB.
   */
  readonly maxFragments: number;
  /** From a datagram's first-arriving fragment to giving up on it (the default is the family's). */
  readonly timeoutMs: number;
}

/**
 * Why a fragment, or a datagram being reassembled, was dropped. Reported once per event; the
 * owner counts it under its family's prefix ('ipv4.', 'ipv6.').
 * - `fragment-overlap`: the fragment partly overlaps one held, or repeats its offset and length
 *   with other bytes: the whole datagram is discarded (RFC 5722 §4).
 * - `fragment-duplicate`: the same offset, length and bytes as one held: only this fragment is
 *   ignored.
 * - `fragment-bad-length`: an empty fragment, or More set and a length not a multiple of 8 (RFC
 *   791 §3.2, RFC 8200 §4.5: every fragment but the last carries a multiple of 8 bytes). Only
 *   this fragment.
 * - `fragment-too-large`: the datagram would be longer than its family allows (RFC 791 §3.1,
 *   RFC 8200 §4.5) with the header of the offset-0 fragment (the fixed header while that has not
 *   arrived). Only this fragment.
 * - `fragment-inconsistent`: a second last fragment (More clear) with another end, a last
 *   fragment ending before data held, or data past the known end: the whole datagram is
 *   discarded, since which of its fragments lie cannot be told.
 * - `fragment-of-discarded`: a fragment of a datagram discarded for an overlap or an
 *   inconsistency, arriving before that datagram's deadline (families with tombstones).
 * - `fragment-atomic`: an IPv6 fragment with offset 0 and More clear, which is not reassembled
 *   (RFC 6946 §4: the caller processes it in isolation). Only this fragment.
 * - `reassembly-evicted`: a datagram discarded, oldest first, to make room for another's fragment.
 * - `reassembly-over-limit`: a fragment that with the rest of its datagram would exceed
 *   `maxBufferedBytes` or `maxFragments` on its own: that datagram, fragment included, is
 *   discarded.
 * - `reassembly-timeout`: a datagram not completed within `timeoutMs`.
 */
export type ReassemblyDropReason =
  | 'fragment-overlap'
  | 'fragment-duplicate'
  | 'fragment-bad-length'
  | 'fragment-too-large'
  | 'fragment-inconsistent'
  | 'fragment-of-discarded'
  | 'fragment-atomic'
  | 'reassembly-evicted'
  | 'reassembly-over-limit'
  | 'reassembly-timeout';

/**
 * What differs between IPv4 and IPv6 reassembly. `Packet` is what a fragment arrives as, `Origin`
 * what a timed-out datagram is reported with (its addresses).
 */
export interface ReassemblyFamily<Packet, Origin extends object> {
  /** The limits not given to the constructor. */
  readonly defaults: ReassemblyLimits;
  /** The reassembled packet's header length assumed until the offset-0 fragment arrives. */
  readonly minHeaderLength: number;
  /** The longest reassembled packet, header included. */
  readonly maxPacketLength: number;
  /**
   * Whether a datagram discarded for an overlap or an inconsistency leaves a tombstone that
   * drops its later fragments until its deadline.
   */
  readonly tombstones: boolean;
  /** The addresses of a datagram, read from its first-arriving fragment; owned. */
  origin(packet: Packet): Origin;
  /**
   * The length of the reassembled packet's header, made from `prefix`: the offset-0 fragment's
   * bytes before its data.
   */
  headerLength(prefix: Uint8Array): number;
  /**
   * Writes that header into `packet`, whose length is the header's plus the payload's; the
   * payload is written after it.
   */
  writeHeader(prefix: Uint8Array, packet: Uint8Array): void;
  /** How many bytes of the offset-0 fragment, from its start, an expiry record quotes. */
  quoteLength(prefix: Uint8Array): number;
}

/** A datagram that timed out: its origin, and the start of its offset-0 fragment if that came. */
export type ExpiredFragments<Origin extends object> = Origin & {
  /**
   * An owned copy of the offset-0 fragment's first `quoteLength` bytes as received, for an ICMP
   * Time Exceeded, code 1 (RFC 792, RFC 1122 §3.3.2; RFC 8200 §4.5, RFC 4443 §3.3).
   */
  readonly firstFragment: Uint8Array | undefined;
};

interface HeldFragment {
  /** In bytes from the start of the datagram's fragmentable data. */
  readonly offset: number;
  /** Owned. */
  readonly data: Uint8Array;
}

interface Datagram<Origin extends object> {
  readonly key: string;
  readonly origin: Origin;
  /** The first fragment's arrival plus `timeoutMs`; later fragments do not extend it. */
  readonly deadlineMs: number;
  /** Sorted by offset, disjoint. */
  readonly fragments: HeldFragment[];
  /** The offset-0 fragment's bytes before its data, owned, once it has arrived. */
  prefix: Uint8Array | undefined;
  /** The data length, known once the last fragment (More clear) has arrived. */
  dataLength: number | undefined;
  heldBytes: number;
  /** Discarded; kept until the deadline only to drop the fragments still to come. */
  tombstone: boolean;
}

interface Expiry<Origin extends object> {
  readonly deadlineMs: number;
  readonly expired: ExpiredFragments<Origin>;
}

export class FragmentReassembler<Packet, Origin extends object> {
  readonly #family: ReassemblyFamily<Packet, Origin>;
  readonly #onDrop: (reason: ReassemblyDropReason) => void;
  readonly #limits: ReassemblyLimits;
  /**
   * Live datagrams and tombstones, in order of first-fragment arrival, which (time being
   * monotonic) is deadline order.
   */
  readonly #datagrams = new Map<string, Datagram<Origin>>();
  /** Timed out, for the next `poll`; `addFragment` keeps at most `maxDatagrams` of them. */
  readonly #expired: Expiry<Origin>[] = [];
  #bufferedBytes = 0;
  #fragmentCount = 0;
  #tombstoneCount = 0;

  /** Throws RangeError for a limit that is not a positive integer. */
  constructor(
    family: ReassemblyFamily<Packet, Origin>,
    onDrop: (reason: ReassemblyDropReason) => void,
    limits: Partial<ReassemblyLimits> = {},
  ) {
    const merged = { ...family.defaults, ...limits };
    for (const [name, value] of Object.entries(merged)) {
      if (!(Number.isSafeInteger(value) && value > 0)) {
        throw new RangeError(`reassembly limit ${name} must be a positive integer, got ${value}`);
      }
    }
    this.#family = family;
    this.#onDrop = onDrop;
    this.#limits = merged;
  }

  /** Datagrams being reassembled, tombstones not included. */
  get datagramCount(): number {
    return this.#datagrams.size - this.#tombstoneCount;
  }

  /** Data bytes held, at most `maxBufferedBytes`. */
  get bufferedBytes(): number {
    return this.#bufferedBytes;
  }

  /** Fragments held, at most `maxFragments`. */
  get fragmentCount(): number {
    return this.#fragmentCount;
  }

  /** Discarded datagrams whose later fragments are still dropped, at most `maxDatagrams`. */
  get tombstoneCount(): number {
    return this.#tombstoneCount;
  }

  /** Discards the datagrams whose time ran out (each counted once as 'reassembly-timeout') and returns them. */
  poll(nowMs: number): ExpiredFragments<Origin>[] {
    this.#expire(nowMs);
    return this.#expired.splice(0).map((expiry) => expiry.expired);
  }

  /**
   * When `poll` next has work: the earliest deadline of a datagram or tombstone, or undefined
   * when nothing is held.
   */
  pollAt(): number | undefined {
    return this.#expired[0]?.deadlineMs ?? this.#datagrams.values().next().value?.deadlineMs;
  }

  /**
   * Adds one fragment of the datagram `key` names; `data` and `prefix` are borrowed for the call.
   * `offset` is in bytes; `prefix`, given for the offset-0 fragment only, is its bytes before
   * `data`. Returns the whole packet when this fragment completes it, else undefined: a new owned
   * array, the header `writeHeader` makes from the offset-0 fragment's prefix, then the data.
   * Datagrams whose time has run out at `nowMs` are expired first (and returned by the next
   * `poll`), so a stale datagram is never completed: the fragment starts a new one.
   */
  protected addFragment(
    key: string,
    packet: Packet,
    offset: number,
    data: Uint8Array,
    more: boolean,
    prefix: Uint8Array | undefined,
    nowMs: number,
  ): Uint8Array | undefined {
    this.#expire(nowMs);
    // Records kept for a `poll` that has not come are bounded too: the oldest go first.
    const excess = this.#expired.length - this.#limits.maxDatagrams;
    if (excess > 0) this.#expired.splice(0, excess);
    const end = offset + data.length;
    const last = !more;
    // RFC 791 §3.2, RFC 8200 §4.5: fragments are cut on 8-byte boundaries, so all but the last
    // carry a multiple of 8 bytes; an empty fragment carries nothing and could only confuse the
    // bookkeeping.
    if (data.length === 0 || (!last && data.length % 8 !== 0)) {
      return this.reject('fragment-bad-length');
    }
    const datagram = this.#datagrams.get(key);
    // RFC 5722 §4: the fragments of a discarded datagram not yet received are discarded too.
    if (datagram?.tombstone === true) return this.reject('fragment-of-discarded');
    // The reassembled header is made from the offset-0 fragment's (RFC 791 §3.2, RFC 8200 §4.5),
    // so its length bounds the data; until it arrives, only the fixed header can be assumed. When
    // it does arrive, the data already held must fit too.
    const keptPrefix = datagram?.prefix ?? prefix;
    const headerLength =
      keptPrefix === undefined
        ? this.#family.minHeaderLength
        : this.#family.headerLength(keptPrefix);
    const maxDataLength = this.#family.maxPacketLength - headerLength;
    if (end > maxDataLength || (datagram !== undefined && heldEnd(datagram) > maxDataLength)) {
      return this.reject('fragment-too-large');
    }
    let index = 0;
    if (datagram !== undefined) {
      const place = placeFragment(datagram, offset, data, last);
      if (place === 'fragment-duplicate') return this.reject(place);
      if (typeof place === 'string') return this.#discard(datagram, place);
      index = place;
    }
    if (
      (datagram?.heldBytes ?? 0) + data.length > this.#limits.maxBufferedBytes ||
      (datagram?.fragments.length ?? 0) + 1 > this.#limits.maxFragments
    ) {
      return this.#discard(datagram, 'reassembly-over-limit');
    }
    this.#makeRoom(datagram, data.length);
    const target = datagram ?? this.#open(key, packet, nowMs);
    target.fragments.splice(index, 0, { offset, data: data.slice() });
    target.heldBytes += data.length;
    this.#bufferedBytes += data.length;
    this.#fragmentCount++;
    if (offset === 0 && prefix !== undefined) target.prefix = prefix.slice();
    if (last) target.dataLength = end;
    if (
      target.prefix === undefined ||
      target.dataLength === undefined ||
      target.heldBytes !== target.dataLength
    ) {
      return undefined;
    }
    // Disjoint fragments whose bytes add up to the data length cover it without holes.
    this.#remove(target);
    return this.#assemble(target.prefix, target.fragments, target.dataLength);
  }

  /** Reports a fragment dropped on its own. */
  protected reject(reason: ReassemblyDropReason): undefined {
    this.#onDrop(reason);
    return undefined;
  }

  /**
   * Moves the datagrams whose deadline is `nowMs` or earlier to the expired records; tombstones
   * end silently.
   */
  #expire(nowMs: number): void {
    for (const datagram of this.#datagrams.values()) {
      if (datagram.deadlineMs > nowMs) return;
      this.#remove(datagram);
      if (datagram.tombstone) continue;
      this.#onDrop('reassembly-timeout');
      this.#expired.push({
        deadlineMs: datagram.deadlineMs,
        expired: { ...datagram.origin, firstFragment: this.#quote(datagram) },
      });
    }
  }

  /**
   * Evicts the oldest datagrams other than `keep` until a fragment of `length` bytes fits, and,
   * when that fragment opens a new datagram, until there is room for one more.
   */
  #makeRoom(keep: Datagram<Origin> | undefined, length: number): void {
    const { maxDatagrams, maxBufferedBytes, maxFragments } = this.#limits;
    for (const datagram of this.#datagrams.values()) {
      const full = keep === undefined && this.datagramCount >= maxDatagrams;
      if (
        !full &&
        this.#bufferedBytes + length <= maxBufferedBytes &&
        this.#fragmentCount < maxFragments
      ) {
        return;
      }
      if (datagram !== keep && !datagram.tombstone) this.#discard(datagram, 'reassembly-evicted');
    }
  }

  #open(key: string, packet: Packet, nowMs: number): Datagram<Origin> {
    const datagram: Datagram<Origin> = {
      key,
      origin: this.#family.origin(packet),
      deadlineMs: nowMs + this.#limits.timeoutMs,
      fragments: [],
      prefix: undefined,
      dataLength: undefined,
      heldBytes: 0,
      tombstone: false,
    };
    this.#datagrams.set(key, datagram);
    return datagram;
  }

  /** Forgets a datagram or tombstone. */
  #remove(datagram: Datagram<Origin>): void {
    this.#datagrams.delete(datagram.key);
    this.#release(datagram);
    if (datagram.tombstone) this.#tombstoneCount--;
  }

  /** Frees what a datagram holds. */
  #release(datagram: Datagram<Origin>): void {
    this.#bufferedBytes -= datagram.heldBytes;
    this.#fragmentCount -= datagram.fragments.length;
    datagram.heldBytes = 0;
  }

  /**
   * Drops the fragment and what is held of its datagram, if anything. A datagram one of whose
   * fragments lies is kept as a tombstone when the family wants it, the oldest tombstone going
   * when there are more than `maxDatagrams`.
   */
  #discard(datagram: Datagram<Origin> | undefined, reason: ReassemblyDropReason): undefined {
    if (datagram === undefined) return this.reject(reason);
    const lying = reason === 'fragment-overlap' || reason === 'fragment-inconsistent';
    if (!(lying && this.#family.tombstones)) {
      this.#remove(datagram);
      return this.reject(reason);
    }
    this.#release(datagram);
    datagram.fragments.length = 0;
    datagram.prefix = undefined;
    datagram.tombstone = true;
    this.#tombstoneCount++;
    if (this.#tombstoneCount > this.#limits.maxDatagrams) {
      for (const oldest of this.#datagrams.values()) {
        if (!oldest.tombstone) continue;
        this.#remove(oldest);
        break;
      }
    }
    return this.reject(reason);
  }

  /** The offset-0 fragment's first bytes as received, if it arrived. */
  #quote(datagram: Datagram<Origin>): Uint8Array | undefined {
    const { prefix, fragments } = datagram;
    const first = fragments[0];
    if (prefix === undefined || first === undefined) return undefined;
    const length = Math.min(this.#family.quoteLength(prefix), prefix.length + first.data.length);
    const quote = new Uint8Array(length);
    quote.set(prefix.subarray(0, length));
    if (length > prefix.length)
      quote.set(first.data.subarray(0, length - prefix.length), prefix.length);
    return quote;
  }

  /** The whole packet: the family's header made from `prefix`, then the data. */
  #assemble(
    prefix: Uint8Array,
    fragments: readonly HeldFragment[],
    dataLength: number,
  ): Uint8Array {
    const headerLength = this.#family.headerLength(prefix);
    const packet = new Uint8Array(headerLength + dataLength);
    this.#family.writeHeader(prefix, packet);
    for (const fragment of fragments) packet.set(fragment.data, headerLength + fragment.offset);
    return packet;
  }
}

/** The end of the data held: the data length must not be less. */
function heldEnd(datagram: Datagram<object>): number {
  const last = datagram.fragments[datagram.fragments.length - 1];
  return last === undefined ? 0 : last.offset + last.data.length;
}

/**
 * Where a fragment goes among those held (an index for `splice`), or why it cannot go there: it
 * disagrees with the datagram's end, repeats a fragment held, or overlaps one.
 */
function placeFragment(
  datagram: Datagram<object>,
  offset: number,
  data: Uint8Array,
  last: boolean,
): number | 'fragment-inconsistent' | 'fragment-duplicate' | 'fragment-overlap' {
  const end = offset + data.length;
  const known = datagram.dataLength;
  if (
    (known !== undefined && (last ? end !== known : end > known)) ||
    (last && heldEnd(datagram) > end)
  ) {
    return 'fragment-inconsistent';
  }
  const index = insertionIndex(datagram.fragments, offset);
  // The held fragments are disjoint and sorted: only the neighbours can overlap this one.
  const next = datagram.fragments[index];
  if (next !== undefined && next.offset === offset && next.data.length === data.length) {
    return bytesEqual(next.data, data) ? 'fragment-duplicate' : 'fragment-overlap';
  }
  const previous = datagram.fragments[index - 1];
  if (
    (previous !== undefined && previous.offset + previous.data.length > offset) ||
    (next !== undefined && next.offset < end)
  ) {
    return 'fragment-overlap';
  }
  return index;
}

/** The index of the first fragment at `offset` or after (binary search). */
function insertionIndex(fragments: readonly HeldFragment[], offset: number): number {
  let low = 0;
  let high = fragments.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (fragments[middle]!.offset < offset) low = middle + 1;
    else high = middle;
  }
  return low;
}
