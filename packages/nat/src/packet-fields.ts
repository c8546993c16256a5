// What the router reads from a forwarded IPv4 datagram: its flow tuple, the TCP flags and ICMP
// type a connection tracker needs, and, for an ICMP error, the tuple of the datagram it quotes.
// Read straight from the bytes into a caller-owned FlowTuple: nothing is allocated per packet.
//
// The stack hands over whole datagrams whose header it checked (version, IHL, total length,
// checksum) and which it reassembled, but these readers check again what they rely on, so that
// no input makes them read out of bounds: an out-of-bounds read of a Uint8Array is `undefined`,
// which would turn into NaN ports rather than an exception.

import { readU16BE, readU32BE } from '@oasis/core';
import {
  ICMPV4_DESTINATION_UNREACHABLE,
  ICMPV4_ECHO_REPLY,
  ICMPV4_ECHO_REQUEST,
  ICMPV4_HEADER_LENGTH,
  ICMPV4_PARAMETER_PROBLEM,
  ICMPV4_TIME_EXCEEDED,
  IP_PROTOCOL_ICMP,
  IP_PROTOCOL_TCP,
  IP_PROTOCOL_UDP,
  IPV4_HEADER_LENGTH,
  TCP_CHECKSUM_OFFSET,
  TCP_HEADER_LENGTH,
  UDP_CHECKSUM_OFFSET,
  UDP_HEADER_LENGTH,
} from '@oasis/wire';
import type { FlowTuple } from './flow-tuple.ts';

/**
 * - 'ok': `into` holds the packet's tuple (TCP, UDP, ICMP echo).
 * - 'icmp-error': destination unreachable, time exceeded or parameter problem; `into` holds the
 *   outer protocol and addresses, ports 0. `readQuotedTuple` reads what it is about.
 * - 'truncated': a header is malformed or not all there.
 * - 'unsupported-protocol', 'unsupported-icmp': not something this NAT translates.
 * - 'fragment': a fragment (for `readQuotedTuple`: a quoted non-first fragment), which has no
 *   transport header to read ports from.
 * On every verdict but 'truncated', `into` holds the protocol and both addresses (ports 0 unless
 * 'ok'), so a caller can still log or filter what it drops; on 'truncated' it is unspecified.
 */
export type TupleVerdict =
  | 'ok'
  | 'icmp-error'
  | 'truncated'
  | 'unsupported-protocol'
  | 'unsupported-icmp'
  | 'fragment';

/** The More Fragments flag and the Fragment Offset field, the low 14 bits of bytes 6-7 (RFC 791 §3.1). */
const MORE_FRAGMENTS_AND_OFFSET = 0x3fff;
const FRAGMENT_OFFSET = 0x1fff;
/** TCP data offset, the high nibble of byte 12, in 32-bit words (RFC 9293 §3.1). */
const TCP_DATA_OFFSET_BYTE = 12;
const TCP_FLAGS_BYTE = 13;
/** ICMP checksum, bytes 2-3, and echo identifier, bytes 4-5 (RFC 792). */
const ICMP_CHECKSUM_OFFSET = 2;
const ECHO_IDENTIFIER_OFFSET = 4;
/**
 * What RFC 792 guarantees an error quotes after the offending datagram's IP header: "64 bits of
 * Original Data Datagram", enough for the ports of TCP and UDP and the identifier of an echo.
 */
const QUOTED_DATA_LENGTH = 8;

/**
 * IHL × 4 of the IPv4 header at `start`, or 0 when the bytes in [start, end) do not hold a whole
 * well-formed one: version 4, IHL at least 5 ("the minimum value for a correct header is 5",
 * RFC 791 §3.1), all of the header present.
 */
function ipv4HeaderLengthAt(packet: Uint8Array, start: number, end: number): number {
  if (end - start < IPV4_HEADER_LENGTH) return 0;
  const first = packet[start]!;
  const headerLength = (first & 0x0f) << 2;
  if (first >>> 4 !== 4 || headerLength < IPV4_HEADER_LENGTH || headerLength > end - start) {
    return 0;
  }
  return headerLength;
}

/**
 * The end of the datagram `packet` holds: its total length, or 0 when the header is malformed or
 * the total length is below the header's or past the bytes given (the checks of a router's IP
 * header validation, RFC 1812 §5.2.2).
 */
function datagramEnd(packet: Uint8Array): number {
  const headerLength = ipv4HeaderLengthAt(packet, 0, packet.length);
  if (headerLength === 0) return 0;
  const totalLength = readU16BE(packet, 2);
  return totalLength >= headerLength && totalLength <= packet.length ? totalLength : 0;
}

function isIcmpError(type: number): boolean {
  // The three error messages RFC 5508 §4 has NATs translate, each quoting the offending datagram
  // (RFC 792). Source quench is deprecated (RFC 6633), and a redirect is advice for a host on
  // the sending router's own link (RFC 1812 §4.3.3.2), nothing to forward: both unsupported.
  return (
    type === ICMPV4_DESTINATION_UNREACHABLE ||
    type === ICMPV4_TIME_EXCEEDED ||
    type === ICMPV4_PARAMETER_PROBLEM
  );
}

/** Echo request or reply (RFC 792): the ICMP query this NAT maps, by its identifier (RFC 5508 §3.1). */
export function isIcmpEcho(type: number): boolean {
  return type === ICMPV4_ECHO_REQUEST || type === ICMPV4_ECHO_REPLY;
}

/**
 * Where the field that stands for a port sits in a transport header: the source or destination
 * port of TCP and UDP (RFC 9293 §3.1, RFC 768), and for an ICMP echo its identifier, which
 * stands for both (RFC 5508 §3.1). For a protocol of `readFlowTuple`'s 'ok' verdict.
 */
export function portOffset(protocol: number, destination: boolean): number {
  if (protocol === IP_PROTOCOL_ICMP) return ECHO_IDENTIFIER_OFFSET;
  return destination ? 2 : 0;
}

/** Where the checksum sits in a TCP, UDP or ICMP header (RFC 9293 §3.1, RFC 768, RFC 792). */
export function checksumOffset(protocol: number): number {
  if (protocol === IP_PROTOCOL_TCP) return TCP_CHECKSUM_OFFSET;
  if (protocol === IP_PROTOCOL_UDP) return UDP_CHECKSUM_OFFSET;
  return ICMP_CHECKSUM_OFFSET;
}

/** The header length of a packet `readFlowTuple` accepted: where its transport header starts. */
export function transportOffset(packet: Uint8Array): number {
  return (packet[0]! & 0x0f) << 2;
}

/**
 * Fills `into` from the IPv4 datagram `packet` (see `TupleVerdict`). For an echo request or
 * reply the identifier stands for both ports (RFC 5508 §3.1). Allocates nothing.
 */
export function readFlowTuple(packet: Uint8Array, into: FlowTuple): TupleVerdict {
  const end = datagramEnd(packet);
  if (end === 0) return 'truncated';
  const transport = transportOffset(packet);
  return readTuple(packet, 0, transport, end, into, false);
}

/**
 * The tuple of the datagram whose IPv4 header starts at `start` and whose transport header at
 * `transport`, with bytes up to `end`. For the outer packet (`quoted` false) a fragment of any
 * kind is refused; for a quoted datagram only a non-first fragment is, since the first one starts
 * with the transport header (RFC 791 §3.2), and an ICMP error inside is not supported.
 */
function readTuple(
  packet: Uint8Array,
  start: number,
  transport: number,
  end: number,
  into: FlowTuple,
  quoted: boolean,
): TupleVerdict {
  const protocol = packet[start + 9]!;
  into.protocol = protocol;
  into.source = readU32BE(packet, start + 12);
  into.destination = readU32BE(packet, start + 16);
  into.sourcePort = 0;
  into.destinationPort = 0;
  const fragmentBits = readU16BE(packet, start + 6);
  if ((fragmentBits & (quoted ? FRAGMENT_OFFSET : MORE_FRAGMENTS_AND_OFFSET)) !== 0) {
    return 'fragment';
  }
  const available = end - transport;
  switch (protocol) {
    case IP_PROTOCOL_TCP: {
      // A quote holds 8 bytes of the segment for sure (RFC 792), the ports in its first 4; only a
      // packet of our own must carry the whole header, its data offset included (RFC 9293 §3.1).
      if (quoted) {
        if (available < QUOTED_DATA_LENGTH) return 'truncated';
      } else {
        if (available < TCP_HEADER_LENGTH) return 'truncated';
        const headerLength = (packet[transport + TCP_DATA_OFFSET_BYTE]! >>> 4) << 2;
        if (headerLength < TCP_HEADER_LENGTH || headerLength > available) return 'truncated';
      }
      return readPorts(packet, transport, into);
    }
    case IP_PROTOCOL_UDP:
      // The quote's 8 bytes are exactly the UDP header (RFC 768).
      if (available < UDP_HEADER_LENGTH) return 'truncated';
      return readPorts(packet, transport, into);
    case IP_PROTOCOL_ICMP: {
      if (available < ICMPV4_HEADER_LENGTH) return 'truncated';
      const type = packet[transport]!;
      if (isIcmpEcho(type)) {
        // RFC 5508 §3.1: the identifier names the query session, in both directions.
        const identifier = readU16BE(packet, transport + ECHO_IDENTIFIER_OFFSET);
        into.sourcePort = identifier;
        into.destinationPort = identifier;
        return 'ok';
      }
      // An error quoting an error is never translated. RFC 5508 has no requirement of its own
      // on it; none is needed: no host or router sends one (RFC 1122 §3.2.2, RFC 1812 §4.3.2.7:
      // no ICMP error about an ICMP error), an error creates no NAT session, so its embedded
      // payload has no active mapping, and REQ-4 and REQ-5 (§4.2) have such an error silently
      // dropped.
      if (!quoted && isIcmpError(type)) return 'icmp-error';
      return 'unsupported-icmp';
    }
    default:
      return 'unsupported-protocol';
  }
}

function readPorts(packet: Uint8Array, transport: number, into: FlowTuple): TupleVerdict {
  into.sourcePort = readU16BE(packet, transport);
  into.destinationPort = readU16BE(packet, transport + 2);
  return 'ok';
}

/** The control bits, byte 13 of the TCP header (RFC 9293 §3.1), of a TCP packet `readFlowTuple` accepted. */
export function tcpFlags(packet: Uint8Array): number {
  return packet[transportOffset(packet) + TCP_FLAGS_BYTE]!;
}

/** The type of an ICMP packet `readFlowTuple` accepted (RFC 792). */
export function icmpType(packet: Uint8Array): number {
  return packet[transportOffset(packet)]!;
}

/** The code of an ICMP packet `readFlowTuple` accepted (RFC 792). */
export function icmpCode(packet: Uint8Array): number {
  return packet[transportOffset(packet) + 1]!;
}

/**
 * Where the quoted datagram of an ICMP error starts: after the outer IP header and the 8-byte ICMP
 * header (RFC 792). For a packet `readFlowTuple` found to be an 'icmp-error'.
 */
export function quoteOffset(packet: Uint8Array): number {
  return transportOffset(packet) + ICMPV4_HEADER_LENGTH;
}

/**
 * Where the quoted datagram of an ICMP error ends (exclusive), for a packet `readFlowTuple` found
 * to be an 'icmp-error'. With an RFC 4884 extension structure, byte 5 of the ICMP header gives the
 * length of the "original datagram" field in 32-bit words and the extensions follow it (RFC 4884
 * §4; REQ-3 (d) of RFC 5508 §4.1 has NATs translate such quotes as any other); 0 there means no
 * extensions and the quote runs to the end of the message. A length past the end describes no
 * layout: the bytes present are used.
 */
export function quoteEnd(packet: Uint8Array): number {
  const end = readU16BE(packet, 2);
  const start = quoteOffset(packet);
  const words = packet[transportOffset(packet) + 5]!;
  const field = start + words * 4;
  return words !== 0 && field <= end ? field : end;
}

/**
 * For an ICMP error (`readFlowTuple` said 'icmp-error'), fills `into` with the tuple of the
 * datagram it quotes, read as it stands: `source` is who sent the quoted datagram. Returns 'ok',
 * 'truncated' (the quoted header is malformed, or fewer than the 8 bytes of data RFC 792
 * guarantees follow it), 'fragment' (a quoted non-first fragment), 'unsupported-icmp' (a quoted
 * ICMP message other than an echo) or 'unsupported-protocol'. A packet that is no ICMP error
 * gives what `readFlowTuple` gives, 'ok' aside: a TCP or UDP packet gives 'unsupported-protocol'
 * and an echo 'unsupported-icmp'.
 * The quoted header checksum is not verified here (RFC 5508 REQ-3 (a) asks that it be, and the
 * outer ICMP checksum, which covers it: the caller's to do before translating). The quoted total
 * length bounds nothing: the quote is a prefix of the datagram it describes. Allocates nothing.
 */
export function readQuotedTuple(packet: Uint8Array, into: FlowTuple): TupleVerdict {
  const outer = readFlowTuple(packet, into);
  if (outer === 'ok') {
    return into.protocol === IP_PROTOCOL_ICMP ? 'unsupported-icmp' : 'unsupported-protocol';
  }
  if (outer !== 'icmp-error') return outer;
  const start = quoteOffset(packet);
  const end = quoteEnd(packet);
  // RFC 5508 REQ-3 (b): past the quoted header's options to its transport header.
  const headerLength = ipv4HeaderLengthAt(packet, start, end);
  if (headerLength === 0) return 'truncated';
  return readTuple(packet, start, start + headerLength, end, into, true);
}
