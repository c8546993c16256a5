// IPv6 fragmentation of packets this host sends (RFC 8200 §4.5). In IPv6 only the source
// fragments, to the path MTU (RFC 8201); routers answer Packet Too Big instead. The stack sends no
// extension headers, so the unfragmentable part is the fixed header alone: each fragment is that
// header, a fragment header and a slice of the payload, written once into a buffer the caller
// allocates.

import { writeU16BE } from '@oasis/core';
import {
  IP_PROTOCOL_IPV6_FRAGMENT,
  IPV6_FRAGMENT_HEADER_LENGTH,
  IPV6_HEADER_LENGTH,
  IPV6_MAX_PAYLOAD_LENGTH,
  IPV6_MIN_MTU,
  IPV6_NEXT_HEADER_OFFSET,
  IPV6_PAYLOAD_LENGTH_OFFSET,
  writeIpv6FragmentHeader,
} from '@oasis/wire';
import { fragmentCount, fragmentDataLength } from './fragment-chunks.ts';

/** The headers in front of every fragment's data. */
const FRAGMENT_HEADERS_LENGTH = IPV6_HEADER_LENGTH + IPV6_FRAGMENT_HEADER_LENGTH;

/**
 * Writes a packet whose fixed header is `header` (40 bytes, written by the caller: addresses,
 * hop limit, traffic class, flow label) and whose payload, of protocol `nextHeader`, is `payload`,
 * in packets of at most `mtu` bytes. For each, calls `allocate(length)` for a buffer of exactly
 * `length` bytes and writes into it a copy of `header` with its Next Header and Payload Length
 * set, then the rest.
 *
 * A packet that fits is written whole, without a fragment header: RFC 8021 §4 deprecates atomic
 * fragments. Otherwise each fragment carries a fragment header (Next Header 44 in the fixed
 * header) with `nextHeader`, its offset, M and `identification`, then as many payload bytes as
 * the MTU leaves room for, a multiple of 8 in all but the last (RFC 8200 §4.5). Returns the
 * number of packets written.
 *
 * Throws RangeError for a header that is not 40 bytes, an MTU below 1280 (RFC 8200 §5), a payload
 * longer than 65,535 bytes, a next header or identification out of range, or a buffer of another
 * length.
 */
export function fragmentIpv6(
  header: Uint8Array,
  nextHeader: number,
  payload: Uint8Array,
  mtu: number,
  identification: number,
  allocate: (length: number) => Uint8Array,
): number {
  if (header.length !== IPV6_HEADER_LENGTH) {
    throw new RangeError(`an IPv6 header has 40 bytes, got ${header.length}`);
  }
  if (!(Number.isInteger(nextHeader) && nextHeader >= 0 && nextHeader <= 0xff)) {
    throw new RangeError(`the next header must be an integer in 0-255, got ${nextHeader}`);
  }
  if (!(Number.isInteger(identification) && identification >= 0 && identification <= 0xffffffff)) {
    throw new RangeError(
      `the identification must be an unsigned 32-bit integer, got ${identification}`,
    );
  }
  const count = ipv6FragmentCount(payload.length, mtu);
  if (count === 1) {
    const packet = allocated(allocate, IPV6_HEADER_LENGTH + payload.length);
    packet.set(header);
    packet[IPV6_NEXT_HEADER_OFFSET] = nextHeader;
    writeU16BE(packet, IPV6_PAYLOAD_LENGTH_OFFSET, payload.length);
    packet.set(payload, IPV6_HEADER_LENGTH);
    return 1;
  }
  const chunk = fragmentDataLength(mtu - FRAGMENT_HEADERS_LENGTH);
  for (let offset = 0; offset < payload.length; offset += chunk) {
    const end = Math.min(offset + chunk, payload.length);
    const packet = allocated(allocate, FRAGMENT_HEADERS_LENGTH + end - offset);
    packet.set(header);
    packet[IPV6_NEXT_HEADER_OFFSET] = IP_PROTOCOL_IPV6_FRAGMENT;
    // The Payload Length counts the fragment header too (RFC 8200 §4.5, "fragment packets").
    writeU16BE(packet, IPV6_PAYLOAD_LENGTH_OFFSET, packet.length - IPV6_HEADER_LENGTH);
    writeIpv6FragmentHeader(
      packet,
      IPV6_HEADER_LENGTH,
      nextHeader,
      offset,
      end < payload.length,
      identification,
    );
    packet.set(payload.subarray(offset, end), FRAGMENT_HEADERS_LENGTH);
  }
  return count;
}

/** How many packets `fragmentIpv6` writes for a payload of `payloadLength` bytes; throws as it does. */
export function ipv6FragmentCount(payloadLength: number, mtu: number): number {
  if (!(Number.isInteger(mtu) && mtu >= IPV6_MIN_MTU)) {
    throw new RangeError(`the MTU must be an integer of at least ${IPV6_MIN_MTU}, got ${mtu}`);
  }
  // RFC 8200 §3, §4.5: the Payload Length, whole or reassembled, is a 16-bit field.
  if (payloadLength > IPV6_MAX_PAYLOAD_LENGTH) {
    throw new RangeError(
      `an IPv6 payload is at most ${IPV6_MAX_PAYLOAD_LENGTH} bytes, this one is ${payloadLength}`,
    );
  }
  if (IPV6_HEADER_LENGTH + payloadLength <= mtu) return 1;
  // A 1280-byte MTU leaves 1232 bytes after the two headers: 154 units of 8.
  const chunk = fragmentDataLength(mtu - FRAGMENT_HEADERS_LENGTH);
  return fragmentCount(payloadLength, chunk, chunk);
}

function allocated(allocate: (length: number) => Uint8Array, length: number): Uint8Array {
  const buffer = allocate(length);
  if (buffer.length !== length) {
    throw new RangeError(
      `allocate(${length}) must return exactly ${length} bytes, got ${buffer.length}`,
    );
  }
  return buffer;
}
