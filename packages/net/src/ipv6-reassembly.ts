// IPv6 reassembly (RFC 8200 §4.5): the IPv6 side of fragment-reassembly.ts, which holds the
// fragments, applies the overlap and duplicate rules and bounds memory and time. The owner walks
// each received packet's header chain (walkIpv6Headers), passes every fragment that needs
// reassembly to `add` with the time, and calls `poll` at `pollAt()` to learn which packets timed
// out, for an ICMPv6 Time Exceeded, code 1.
//
// Differences from IPv4: packets are keyed by source, destination and the 32-bit identification
// (RFC 8200 §4.5; there is no protocol in the key); the reassembled packet keeps the offset-0
// fragment's unfragmentable part with the fragment header removed; a datagram discarded for an
// overlap (RFC 5722 §4) or an inconsistent end leaves a tombstone that drops its later fragments
// until the datagram's deadline; atomic fragments are refused (RFC 6946 §4: the caller
// processes them in isolation, as walkIpv6Headers lets it).

import { writeU16BE } from '@oasis/core';
import {
  ICMPV6_MAX_QUOTED,
  IPV6_FRAGMENT_HEADER_LENGTH,
  IPV6_HEADER_LENGTH,
  IPV6_MAX_PAYLOAD_LENGTH,
  IPV6_NEXT_HEADER_OFFSET,
  IPV6_PAYLOAD_LENGTH_OFFSET,
  ipv6Key,
} from '@oasis/wire';
import {
  type ExpiredFragments,
  FragmentReassembler,
  type ReassemblyDropReason,
  type ReassemblyFamily,
  type ReassemblyLimits,
} from './fragment-reassembly.ts';

export const DEFAULT_IPV6_REASSEMBLY_LIMITS: ReassemblyLimits = Object.freeze({
  maxDatagrams: 64,
  maxBufferedBytes: 1 << 20,
  maxFragments: 4096,
  // RFC 8200 §4.5: reassembly is abandoned 60 seconds after the first-arriving fragment.
  timeoutMs: 60_000,
});

/**
 * What walkIpv6Headers found about a fragment needing reassembly (its Ipv6HeaderChain fields,
 * offsets from the start of the IPv6 header).
 */
export interface Ipv6Fragment {
  /** `fragmentHeaderOffset`: the unfragmentable part ends here, 40 or more. */
  readonly headerOffset: number;
  /** `fragmentDataOffset`: the fragmentable data starts here, `headerOffset + 8`. */
  readonly dataOffset: number;
  /** `fragmentOffset`, in bytes. */
  readonly offset: number;
  /** `moreFragments`. */
  readonly more: boolean;
  /** `fragmentIdentification`, unsigned 32-bit. */
  readonly identification: number;
  /**
   * `fragmentNextHeader`. The reassembled packet takes the offset-0 fragment's, read from the copy
   * of its fragment header kept with the rest of its headers.
   */
  readonly nextHeader: number;
  /** 40 + the Payload Length: the packet's end, before any link-layer padding. */
  readonly payloadEnd: number;
}

/** The addresses of a packet; owned copies. */
export interface Ipv6Origin {
  readonly source: Uint8Array;
  readonly destination: Uint8Array;
}

/**
 * A packet that timed out. `firstFragment`, if the offset-0 fragment arrived, is an owned copy of
 * that fragment as received, headers and fragment header included, cut at ICMPV6_MAX_QUOTED
 * (1232) bytes: the invoking packet of an ICMPv6 Time Exceeded, code 1 (RFC 8200 §4.5, RFC 4443
 * §2.4 (c), §3.3).
 */
export type ExpiredIpv6Datagram = ExpiredFragments<Ipv6Origin>;

/** The source and destination addresses in the fixed header (RFC 8200 §3). */
const SOURCE_OFFSET = 8;
const DESTINATION_OFFSET = 24;
const ADDRESS_END = 40;

const IPV6_FAMILY: ReassemblyFamily<Uint8Array, Ipv6Origin> = {
  defaults: DEFAULT_IPV6_REASSEMBLY_LIMITS,
  minHeaderLength: IPV6_HEADER_LENGTH,
  // RFC 8200 §4.5: the reassembled Payload Length, unfragmentable extension headers included,
  // must fit in 16 bits.
  maxPacketLength: IPV6_HEADER_LENGTH + IPV6_MAX_PAYLOAD_LENGTH,
  // RFC 5722 §4 (RFC 8200 §4.5): an overlap discards the datagram "and any constituent
  // fragments, including those not yet received". A 32-bit identification does not come round
  // again before the deadline (RFC 7739 §5 has sources pick it unpredictably).
  tombstones: true,
  origin: (packet) => ({
    source: packet.slice(SOURCE_OFFSET, DESTINATION_OFFSET),
    destination: packet.slice(DESTINATION_OFFSET, ADDRESS_END),
  }),
  // The prefix is the offset-0 fragment's unfragmentable part and its fragment header, which the
  // reassembled packet leaves out (RFC 8200 §4.5 "Reassembly").
  headerLength: (prefix) => prefix.length - IPV6_FRAGMENT_HEADER_LENGTH,
  writeHeader: (prefix, packet) => {
    const headerOffset = prefix.length - IPV6_FRAGMENT_HEADER_LENGTH;
    packet.set(prefix.subarray(0, headerOffset));
    // RFC 8200 §4.5: the Next Header field of the last unfragmentable header takes the first
    // fragment's Fragment header's Next Header value; the Payload Length is recomputed.
    packet[nextHeaderPointer(prefix, headerOffset)] = prefix[headerOffset]!;
    writeU16BE(packet, IPV6_PAYLOAD_LENGTH_OFFSET, packet.length - IPV6_HEADER_LENGTH);
  },
  quoteLength: () => ICMPV6_MAX_QUOTED,
};

export class Ipv6Reassembler extends FragmentReassembler<Uint8Array, Ipv6Origin> {
  /** Throws RangeError for a limit that is not a positive integer. */
  constructor(
    onDrop: (reason: ReassemblyDropReason) => void,
    limits: Partial<ReassemblyLimits> = {},
  ) {
    super(IPV6_FAMILY, onDrop, limits);
  }

  /**
   * `packet` is the whole received IPv6 packet, borrowed for the call, that walkIpv6Headers
   * accepted as a fragment needing reassembly; `fragment` is what the walk found. Returns the
   * reassembled packet when this fragment completes it, else undefined: a new owned array, the
   * offset-0 fragment's unfragmentable part with the fragment header removed, the Next Header
   * field that named it set to the fragment header's Next Header and the Payload Length
   * recomputed, followed by the fragmentable data.
   *
   * An atomic fragment (offset 0, More clear) is refused, counted as 'fragment-atomic' and
   * leaves every datagram as it was (RFC 6946 §4: process it in isolation, as a whole packet).
   * Throws RangeError when `fragment` does not describe a fragment header inside `packet` (a
   * programmer error: it must come from the walk of this packet).
   */
  add(packet: Uint8Array, fragment: Ipv6Fragment, nowMs: number): Uint8Array | undefined {
    const { headerOffset, dataOffset, offset, more, identification, payloadEnd } = fragment;
    if (
      !(
        headerOffset >= IPV6_HEADER_LENGTH &&
        dataOffset === headerOffset + IPV6_FRAGMENT_HEADER_LENGTH &&
        dataOffset <= payloadEnd &&
        payloadEnd <= packet.length
      )
    ) {
      throw new RangeError(
        `fragment header at ${headerOffset} with data from ${dataOffset} to ${payloadEnd} does not fit a ${packet.length}-byte IPv6 packet`,
      );
    }
    if (offset === 0 && !more) return this.reject('fragment-atomic');
    return this.addFragment(
      // RFC 8200 §4.5: fragments of one packet share source, destination and identification.
      ipv6Key(packet.subarray(SOURCE_OFFSET, DESTINATION_OFFSET)) +
        ipv6Key(packet.subarray(DESTINATION_OFFSET, ADDRESS_END)) +
        String.fromCharCode(identification >>> 16, identification & 0xffff),
      packet,
      offset,
      packet.subarray(dataOffset, payloadEnd),
      more,
      offset === 0 ? packet.subarray(0, dataOffset) : undefined,
      nowMs,
    );
  }
}

/**
 * Where the Next Header field naming the fragment header at `headerOffset` sits: in the fixed
 * header, or in the last extension header before it. Those headers (hop-by-hop, destination
 * options, routing, the only ones walkIpv6Headers lets precede a fragment header) are 8 bytes
 * plus 8 × Hdr Ext Len, their Next Header first (RFC 8200 §4.3, §4.4, §4.6).
 */
function nextHeaderPointer(header: Uint8Array, headerOffset: number): number {
  let pointer = IPV6_NEXT_HEADER_OFFSET;
  for (let at = IPV6_HEADER_LENGTH; at < headerOffset; at += (header[at + 1]! + 1) * 8) {
    pointer = at;
  }
  return pointer;
}
