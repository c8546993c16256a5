// IPv4 reassembly (RFC 791 §3.2 "Reassembly"), with memory and time bounded. A pure state
// machine: the owner passes every fragment received for this host to `add` with the time, and
// calls `poll` at `pollAt()` to learn which datagrams timed out (RFC 1122 §3.3.2), for an ICMP
// Time Exceeded. Time is monotonic; a clock that steps back only delays expiry.
//
// Bookkeeping follows RFC 815: each datagram holds its fragments sorted by offset and disjoint,
// and the holes are the gaps between them, so a fragment is checked against its two neighbours
// only. Overlaps are not merged: as RFC 5722 §4 requires for IPv6, and for the same reason (an
// overlap is never produced by a correct sender, and the bytes kept would depend on the
// receiver's policy, which lets an attacker show a firewall one datagram and the host another),
// a fragment that overlaps one held discards the whole datagram. An exact repeat (same offset,
// length and bytes), which duplicating links produce, is ignored on its own (as RFC 8200 §4.5
// allows for IPv6).
//
// Memory: only copies of fragment payloads are kept, plus the offset-0 fragment's header.
// `bufferedBytes` counts the payload bytes; headers add at most 60 bytes a datagram.

import { bytesEqual, internetChecksum, readU16BE, writeU16BE } from '@oasis/core';
import { IPV4_HEADER_LENGTH, type Ipv4Packet } from '@oasis/wire';

export interface ReassemblyLimits {
  /** Datagrams being reassembled at once (default 64). */
  readonly maxDatagrams: number;
  /** Payload bytes held across all of them (default 1 MiB). */
  readonly maxBufferedBytes: number;
  /**
   * From a datagram's first fragment to giving up on it (default 30 000, as Linux; RFC 1122
   * §3.3.2 says 60-120 s is the range a host MAY use).
   */
  readonly timeoutMs: number;
}

export const DEFAULT_REASSEMBLY_LIMITS: ReassemblyLimits = Object.freeze({
  maxDatagrams: 64,
  maxBufferedBytes: 1 << 20,
  timeoutMs: 30_000,
});

/**
 * Why a fragment, or a datagram being reassembled, was dropped. Reported once per event.
 * - `fragment-overlap`: the fragment partly overlaps one held, or repeats its offset and length
 *   with other bytes: the whole datagram is discarded (RFC 5722 §4's reasoning).
 * - `fragment-duplicate`: the same offset, length and bytes as one held: only this fragment is
 *   ignored.
 * - `fragment-bad-length`: an empty payload, or MF set and a length not a multiple of 8 (RFC 791
 *   §3.2: every fragment but the last carries a multiple of 8 bytes). Only this fragment.
 * - `fragment-too-large`: the datagram would be longer than 65535 bytes with the offset-0
 *   fragment's header (20 bytes while that has not arrived). Only this fragment.
 * - `fragment-inconsistent`: a second last fragment (MF clear) with another end, a last fragment
 *   ending before data held, or data past the known end: the whole datagram is discarded, since
 *   which of its fragments lie cannot be told.
 * - `reassembly-evicted`: a datagram discarded, oldest first, to make room for another's fragment.
 * - `reassembly-over-limit`: a fragment that with the rest of its datagram would exceed
 *   `maxBufferedBytes` on its own: that datagram, fragment included, is discarded.
 * - `reassembly-timeout`: a datagram not completed within `timeoutMs`.
 */
export type ReassemblyDropReason =
  | 'fragment-overlap'
  | 'fragment-duplicate'
  | 'fragment-bad-length'
  | 'fragment-too-large'
  | 'fragment-inconsistent'
  | 'reassembly-evicted'
  | 'reassembly-over-limit'
  | 'reassembly-timeout';

/** A datagram that timed out. */
export interface ExpiredDatagram {
  readonly source: number;
  readonly destination: number;
  /**
   * If the offset-0 fragment arrived: an owned copy of its IPv4 header and first 8 payload bytes,
   * for an ICMP Time Exceeded, code 1 (RFC 792; RFC 1122 §3.3.2).
   */
  readonly firstFragment: Uint8Array | undefined;
}

/** The largest datagram: the total length is a 16-bit field (RFC 791 §3.1). */
const MAX_TOTAL_LENGTH = 0xffff;
/** The data an ICMP error quotes after the header: "the first 64 bits" (RFC 792). */
const QUOTED_DATA_LENGTH = 8;
/** The reserved and Don't Fragment flags; MF and the fragment offset are the rest of the word. */
const KEPT_FLAGS_MASK = 0xc000;

interface HeldFragment {
  /** In bytes from the start of the datagram's payload. */
  readonly offset: number;
  /** Owned. */
  readonly data: Uint8Array;
}

interface Datagram {
  readonly key: string;
  readonly source: number;
  readonly destination: number;
  /** The first fragment's arrival plus `timeoutMs`; later fragments do not extend it. */
  readonly deadlineMs: number;
  /** Sorted by offset, disjoint. */
  readonly fragments: HeldFragment[];
  /** The offset-0 fragment's header, owned, once it has arrived. */
  header: Uint8Array | undefined;
  /** The payload length, known once the last fragment (MF clear) has arrived. */
  payloadLength: number | undefined;
  heldBytes: number;
}

interface Expiry {
  readonly deadlineMs: number;
  readonly expired: ExpiredDatagram;
}

export class Ipv4Reassembler {
  readonly #onDrop: (reason: ReassemblyDropReason) => void;
  readonly #limits: ReassemblyLimits;
  /** In order of first-fragment arrival, which (time being monotonic) is deadline order. */
  readonly #datagrams = new Map<string, Datagram>();
  /** Timed out, for the next `poll`; `add` keeps at most `maxDatagrams` of them. */
  readonly #expired: Expiry[] = [];
  #bufferedBytes = 0;

  /** Throws RangeError for a limit that is not a positive integer. */
  constructor(
    onDrop: (reason: ReassemblyDropReason) => void,
    limits: Partial<ReassemblyLimits> = {},
  ) {
    const merged = { ...DEFAULT_REASSEMBLY_LIMITS, ...limits };
    for (const [name, value] of Object.entries(merged)) {
      if (!(Number.isSafeInteger(value) && value > 0)) {
        throw new RangeError(`reassembly limit ${name} must be a positive integer, got ${value}`);
      }
    }
    this.#onDrop = onDrop;
    this.#limits = merged;
  }

  /** Datagrams being reassembled. */
  get datagramCount(): number {
    return this.#datagrams.size;
  }

  /** Payload bytes held, at most `maxBufferedBytes`. */
  get bufferedBytes(): number {
    return this.#bufferedBytes;
  }

  /**
   * `packet` is a checked view whose `isFragment` is true; its bytes are borrowed for the call.
   * Returns the whole datagram when this fragment completes it, else undefined: a new owned
   * array, the offset-0 fragment's header (options kept) with MF cleared, offset 0, the total
   * length set and the checksum recomputed, followed by the payload. Datagrams whose time has
   * run out at `nowMs` are expired first (and returned by the next `poll`), so a stale datagram
   * is never completed: the fragment starts a new one.
   */
  add(packet: Ipv4Packet, nowMs: number): Uint8Array | undefined {
    this.#expire(nowMs);
    // Records kept for a `poll` that has not come are bounded too: the oldest go first.
    const excess = this.#expired.length - this.#limits.maxDatagrams;
    if (excess > 0) this.#expired.splice(0, excess);
    const payload = packet.payload;
    const offset = packet.fragmentOffset;
    const end = offset + payload.length;
    const last = !packet.moreFragments;
    // RFC 791 §3.2: fragments are cut on 8-byte boundaries, so all but the last carry a multiple
    // of 8 bytes; an empty fragment carries nothing and could only confuse the bookkeeping.
    if (payload.length === 0 || (!last && payload.length % 8 !== 0)) {
      return this.#drop('fragment-bad-length');
    }
    // RFC 791 §3.2: a datagram is identified by source, destination, protocol and identification.
    const key = `${packet.source}/${packet.destination}/${packet.protocol}/${packet.identification}`;
    const datagram = this.#datagrams.get(key);
    // The reassembled header is the offset-0 fragment's (RFC 791 §3.2), so that fragment's header
    // length bounds the payload; until it arrives, only the shortest header can be assumed. When
    // it does arrive, the data already held must fit too.
    const headerLength =
      datagram?.header?.length ?? (offset === 0 ? packet.headerLength : IPV4_HEADER_LENGTH);
    const maxPayloadLength = MAX_TOTAL_LENGTH - headerLength;
    if (
      end > maxPayloadLength ||
      (datagram !== undefined && heldEnd(datagram) > maxPayloadLength)
    ) {
      return this.#drop('fragment-too-large');
    }
    let index = 0;
    if (datagram !== undefined) {
      const place = placeFragment(datagram, offset, payload, last);
      if (place === 'fragment-duplicate') return this.#drop(place);
      if (typeof place === 'string') return this.#discard(datagram, place);
      index = place;
    }
    if ((datagram?.heldBytes ?? 0) + payload.length > this.#limits.maxBufferedBytes) {
      return this.#discard(datagram, 'reassembly-over-limit');
    }
    this.#makeRoom(datagram, payload.length);
    const target = datagram ?? this.#open(key, packet, nowMs);
    target.fragments.splice(index, 0, { offset, data: payload.slice() });
    target.heldBytes += payload.length;
    this.#bufferedBytes += payload.length;
    if (offset === 0) target.header = packet.header.slice();
    if (last) target.payloadLength = end;
    if (
      target.header === undefined ||
      target.payloadLength === undefined ||
      target.heldBytes !== target.payloadLength
    ) {
      return undefined;
    }
    // Disjoint fragments whose bytes add up to the payload length cover it without holes.
    this.#remove(target);
    return assemble(target.header, target.fragments, target.payloadLength);
  }

  /** Discards the datagrams whose time ran out (each counted once as 'reassembly-timeout') and returns them. */
  poll(nowMs: number): ExpiredDatagram[] {
    this.#expire(nowMs);
    return this.#expired.splice(0).map((expiry) => expiry.expired);
  }

  /** When `poll` next has work: the earliest deadline, or undefined when nothing is held. */
  pollAt(): number | undefined {
    return this.#expired[0]?.deadlineMs ?? this.#datagrams.values().next().value?.deadlineMs;
  }

  /** Moves the datagrams whose deadline is `nowMs` or earlier to the expired records. */
  #expire(nowMs: number): void {
    for (const datagram of this.#datagrams.values()) {
      if (datagram.deadlineMs > nowMs) return;
      this.#remove(datagram);
      this.#onDrop('reassembly-timeout');
      this.#expired.push({
        deadlineMs: datagram.deadlineMs,
        expired: {
          source: datagram.source,
          destination: datagram.destination,
          firstFragment: quoteFirstFragment(datagram),
        },
      });
    }
  }

  /**
   * Evicts the oldest datagrams other than `keep` until a fragment of `length` bytes fits, and,
   * when that fragment opens a new datagram, until there is room for one more.
   */
  #makeRoom(keep: Datagram | undefined, length: number): void {
    const { maxDatagrams, maxBufferedBytes } = this.#limits;
    for (const datagram of this.#datagrams.values()) {
      const full = keep === undefined && this.#datagrams.size >= maxDatagrams;
      if (!full && this.#bufferedBytes + length <= maxBufferedBytes) return;
      if (datagram !== keep) this.#discard(datagram, 'reassembly-evicted');
    }
  }

  #open(key: string, packet: Ipv4Packet, nowMs: number): Datagram {
    const datagram: Datagram = {
      key,
      source: packet.source,
      destination: packet.destination,
      deadlineMs: nowMs + this.#limits.timeoutMs,
      fragments: [],
      header: undefined,
      payloadLength: undefined,
      heldBytes: 0,
    };
    this.#datagrams.set(key, datagram);
    return datagram;
  }

  #remove(datagram: Datagram): void {
    this.#datagrams.delete(datagram.key);
    this.#bufferedBytes -= datagram.heldBytes;
  }

  /** Drops the fragment and what is held of its datagram, if anything. */
  #discard(datagram: Datagram | undefined, reason: ReassemblyDropReason): undefined {
    if (datagram !== undefined) this.#remove(datagram);
    return this.#drop(reason);
  }

  #drop(reason: ReassemblyDropReason): undefined {
    this.#onDrop(reason);
    return undefined;
  }
}

/** The end of the data held: the payload length must not be less. */
function heldEnd(datagram: Datagram): number {
  const last = datagram.fragments[datagram.fragments.length - 1];
  return last === undefined ? 0 : last.offset + last.data.length;
}

/**
 * Where a fragment goes among those held (an index for `splice`), or why it cannot go there: it
 * disagrees with the datagram's end, repeats a fragment held, or overlaps one.
 */
function placeFragment(
  datagram: Datagram,
  offset: number,
  data: Uint8Array,
  last: boolean,
): number | 'fragment-inconsistent' | 'fragment-duplicate' | 'fragment-overlap' {
  const end = offset + data.length;
  const known = datagram.payloadLength;
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

/** The offset-0 fragment's header and first 8 payload bytes, for ICMP (RFC 792), if it arrived. */
function quoteFirstFragment(datagram: Datagram): Uint8Array | undefined {
  const { header, fragments } = datagram;
  const first = fragments[0];
  if (header === undefined || first === undefined) return undefined;
  const data = first.data.subarray(0, QUOTED_DATA_LENGTH);
  const quote = new Uint8Array(header.length + data.length);
  quote.set(header);
  quote.set(data, header.length);
  return quote;
}

/** The whole datagram: `header` made that of an unfragmented datagram (RFC 791 §3.2), then the payload. */
function assemble(
  header: Uint8Array,
  fragments: readonly HeldFragment[],
  payloadLength: number,
): Uint8Array {
  const datagram = new Uint8Array(header.length + payloadLength);
  datagram.set(header);
  writeU16BE(datagram, 2, datagram.length);
  writeU16BE(datagram, 6, readU16BE(datagram, 6) & KEPT_FLAGS_MASK);
  writeU16BE(datagram, 10, 0);
  writeU16BE(datagram, 10, internetChecksum(datagram.subarray(0, header.length)));
  for (const fragment of fragments) datagram.set(fragment.data, header.length + fragment.offset);
  return datagram;
}
