// IPv4 reassembly (RFC 791 §3.2 "Reassembly"): the IPv4 side of fragment-reassembly.ts, which
// holds the fragments, applies the overlap and duplicate rules and bounds memory and time. The
// owner passes every fragment received for this host to `add` with the time, and calls `poll` at
// `pollAt()` to learn which datagrams timed out (RFC 1122 §3.3.2), for an ICMP Time Exceeded.

import { internetChecksum, readU16BE, writeU16BE } from '@oasis/core';
import { IPV4_HEADER_LENGTH, type Ipv4Packet } from '@oasis/wire';
import {
  type ExpiredFragments,
  FragmentReassembler,
  type ReassemblyDropReason,
  type ReassemblyFamily,
  type ReassemblyLimits,
} from './fragment-reassembly.ts';

export type { ReassemblyDropReason, ReassemblyLimits } from './fragment-reassembly.ts';

export const DEFAULT_REASSEMBLY_LIMITS: ReassemblyLimits = Object.freeze({
  maxDatagrams: 64,
  maxBufferedBytes: 1 << 20,
  maxFragments: 4096,
  // 30 s, as Linux; RFC 1122 §3.3.2 says 60-120 s is the range a host MAY use.
  timeoutMs: 30_000,
});

/** The addresses of a datagram. */
export interface Ipv4Origin {
  readonly source: number;
  readonly destination: number;
}

/**
 * A datagram that timed out. `firstFragment`, if the offset-0 fragment arrived, is an owned copy
 * of its IPv4 header and first 8 payload bytes, for an ICMP Time Exceeded, code 1 (RFC 792; RFC
 * 1122 §3.3.2).
 */
export type ExpiredDatagram = ExpiredFragments<Ipv4Origin>;

/** The total length is a 16-bit field (RFC 791 §3.1). */
const MAX_TOTAL_LENGTH = 0xffff;
/** The data an ICMP error quotes after the header: "the first 64 bits" (RFC 792). */
const QUOTED_DATA_LENGTH = 8;
/** The reserved and Don't Fragment flags; MF and the fragment offset are the rest of the word. */
const KEPT_FLAGS_MASK = 0xc000;

const IPV4_FAMILY: ReassemblyFamily<Ipv4Packet, Ipv4Origin> = {
  defaults: DEFAULT_REASSEMBLY_LIMITS,
  minHeaderLength: IPV4_HEADER_LENGTH,
  maxPacketLength: MAX_TOTAL_LENGTH,
  // No tombstones: the 16-bit identification comes round again within seconds at high rates
  // (RFC 4963 §2), so the key of a discarded datagram soon names an honest one.
  tombstones: false,
  origin: (packet) => ({ source: packet.source, destination: packet.destination }),
  // The prefix is the offset-0 fragment's header, options kept (RFC 791 §3.2).
  headerLength: (prefix) => prefix.length,
  writeHeader: (prefix, datagram) => {
    // The header of an unfragmented datagram: MF clear, offset 0, the total length set.
    datagram.set(prefix);
    writeU16BE(datagram, 2, datagram.length);
    writeU16BE(datagram, 6, readU16BE(datagram, 6) & KEPT_FLAGS_MASK);
    writeU16BE(datagram, 10, 0);
    writeU16BE(datagram, 10, internetChecksum(datagram.subarray(0, prefix.length)));
  },
  quoteLength: (prefix) => prefix.length + QUOTED_DATA_LENGTH,
};

export class Ipv4Reassembler extends FragmentReassembler<Ipv4Packet, Ipv4Origin> {
  /** Throws RangeError for a limit that is not a positive integer. */
  constructor(
    onDrop: (reason: ReassemblyDropReason) => void,
    limits: Partial<ReassemblyLimits> = {},
  ) {
    super(IPV4_FAMILY, onDrop, limits);
  }

  /**
   * `packet` is a checked view whose `isFragment` is true; its bytes are borrowed for the call.
   * Returns the whole datagram when this fragment completes it, else undefined: a new owned
   * array, the offset-0 fragment's header (options kept) with MF cleared, offset 0, the total
   * length set and the checksum recomputed, followed by the payload.
   */
  add(packet: Ipv4Packet, nowMs: number): Uint8Array | undefined {
    const offset = packet.fragmentOffset;
    return this.addFragment(
      // RFC 791 §3.2: a datagram is identified by source, destination, protocol and identification.
      `${packet.source}/${packet.destination}/${packet.protocol}/${packet.identification}`,
      packet,
      offset,
      packet.payload,
      packet.moreFragments,
      offset === 0 ? packet.header : undefined,
      nowMs,
    );
  }
}
