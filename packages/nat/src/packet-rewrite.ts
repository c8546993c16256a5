// In-place address and port translation of a forwarded IPv4 datagram (the stack's forwarder
// decrements the TTL). Every checksum that covers a changed field is updated incrementally with RFC 1624
// §3 equation 3 (core's updateChecksum16/32): HC' = ~(~HC + ~m + m'), so the cost does not grow
// with the packet and nothing is allocated. (Ipv4Packet's setSource does the IP part of this,
// but through a view object per packet: the forwarding path takes none.)

import {
  readU16BE,
  readU32BE,
  updateChecksum16,
  updateChecksum32,
  writeU16BE,
  writeU32BE,
} from '@oasis/core';
import { IP_PROTOCOL_ICMP, IP_PROTOCOL_TCP, IP_PROTOCOL_UDP } from '@oasis/wire';
import { checksumOffset, isIcmpEcho, portOffset, transportOffset } from './packet-fields.ts';

/** Bytes of the IPv4 header (RFC 791 §3.1). */
const IPV4_CHECKSUM = 10;
const IPV4_SOURCE = 12;
const IPV4_DESTINATION = 16;

/**
 * Rewrites the source address and port in place: for TCP and UDP the source port, for an ICMP
 * echo request or reply the identifier (RFC 5508 §3.1). For any other packet, an ICMP error
 * included, only the address changes and `port` is ignored: an error carries no port of its own
 * (what it quotes is rewritten by icmp-error-rewrite.ts), and the ICMP checksum covers no
 * pseudo-header (RFC 792), so it stays as it is. `partialChecksum` says that a device will finish
 * the TCP or UDP checksum (see `transportChecksumAfter` and `pseudoHeaderSumAfter`).
 * For a packet `readFlowTuple` accepted ('ok' or 'icmp-error'). Allocates nothing.
 */
export function rewriteSource(
  packet: Uint8Array,
  address: number,
  port: number,
  partialChecksum: boolean,
): void {
  rewriteEndpoint(packet, IPV4_SOURCE, false, address, port, partialChecksum);
}

/** As `rewriteSource`, for the destination address and port (or echo identifier). */
export function rewriteDestination(
  packet: Uint8Array,
  address: number,
  port: number,
  partialChecksum: boolean,
): void {
  rewriteEndpoint(packet, IPV4_DESTINATION, true, address, port, partialChecksum);
}

/** Addresses are unsigned 32-bit numbers and ports 16-bit ones: anything else is a caller's bug. */
export function checkEndpoint(address: number, port: number): void {
  if (address >>> 0 !== address || (port & 0xffff) !== port) {
    throw new RangeError(
      `an endpoint is an address in 0-4294967295 and a port in 0-65535, got ${address} and ${port}`,
    );
  }
}

function rewriteEndpoint(
  packet: Uint8Array,
  addressOffset: number,
  destination: boolean,
  address: number,
  port: number,
  partialChecksum: boolean,
): void {
  checkEndpoint(address, port);
  const oldAddress = readU32BE(packet, addressOffset);
  if (oldAddress !== address) {
    writeU32BE(packet, addressOffset, address);
    writeU16BE(
      packet,
      IPV4_CHECKSUM,
      updateChecksum32(readU16BE(packet, IPV4_CHECKSUM), oldAddress, address),
    );
  }
  const protocol = packet[9]!;
  const transport = transportOffset(packet);
  const hasPort =
    protocol === IP_PROTOCOL_TCP ||
    protocol === IP_PROTOCOL_UDP ||
    (protocol === IP_PROTOCOL_ICMP && isIcmpEcho(packet[transport]!));
  if (!hasPort) return;
  const portAt = transport + portOffset(protocol, destination);
  const oldPort = readU16BE(packet, portAt);
  if (oldPort !== port) writeU16BE(packet, portAt, port);
  const checksumAt = transport + checksumOffset(protocol);
  const checksum = readU16BE(packet, checksumAt);
  let updated = partialChecksum
    ? pseudoHeaderSumAfter(checksum, protocol, oldAddress, address)
    : transportChecksumAfter(checksum, protocol, oldAddress, address, oldPort, port);
  // Eq. 3 gives the complement of a non-zero folded sum, never 0xffff; yet 0xffff is the one
  // correct checksum of data summing to +0, that is all zero (RFC 1071 §1). A pseudo-header,
  // which carries the protocol, rules that out for TCP and UDP; an echo reply of identifier,
  // sequence and data 0 is such a message, and 0x0000 would fail every receiver's check.
  if (updated === 0 && protocol === IP_PROTOCOL_ICMP && isZeroMessage(packet, transport)) {
    updated = 0xffff;
  }
  if (updated !== checksum) writeU16BE(packet, checksumAt, updated);
}

/** Whether the ICMP message at `start` is all zero but for its checksum (bytes 2-3, RFC 792). */
function isZeroMessage(packet: Uint8Array, start: number): boolean {
  if (packet[start] !== 0 || packet[start + 1] !== 0) return false;
  const end = readU16BE(packet, 2);
  for (let i = start + 4; i < end; i++) if (packet[i] !== 0) return false;
  return true;
}

/**
 * The TCP, UDP or ICMP checksum after an address in the IP header changed from `oldAddress` to
 * `newAddress` and the port (echo identifier) from `oldPort` to `newPort`, by RFC 1624 eq. 3.
 * The TCP and UDP checksums cover the addresses through the pseudo-header (RFC 9293 §3.1,
 * RFC 768); the ICMP checksum covers the message alone (RFC 792), so there only the identifier
 * counts. A UDP checksum of 0 means the sender computed none and stays 0, and a UDP checksum
 * that comes out 0 is sent as 0xffff (RFC 768), its other one's complement form.
 */
export function transportChecksumAfter(
  checksum: number,
  protocol: number,
  oldAddress: number,
  newAddress: number,
  oldPort: number,
  newPort: number,
): number {
  const udp = protocol === IP_PROTOCOL_UDP;
  if (udp && checksum === 0) return 0;
  let updated = checksum;
  if (protocol !== IP_PROTOCOL_ICMP && oldAddress !== newAddress) {
    updated = updateChecksum32(updated, oldAddress, newAddress);
  }
  if (oldPort !== newPort) updated = updateChecksum16(updated, oldPort, newPort);
  return udp && updated === 0 ? 0xffff : updated;
}

/**
 * The checksum field of a packet whose checksum a device will finish, after an address change.
 * With virtio-net's VIRTIO_NET_HDR_F_NEEDS_CSUM (virtio v1.2 §5.1.6.2, "Packet Transmission"),
 * the field holds the folded sum of the pseudo-header, not complemented, and the device adds
 * the sum of everything from csum_start (the transport header and data, ports and identifier
 * included) and writes the complement. So:
 * - an address change is a change of the pseudo-header: the field, a plain one's complement sum,
 *   becomes fold(field + ~old + new) word by word. That is RFC 1624 eq. 3 on the complement:
 *   ~update(~field, old, new), since eq. 3 is ~(~HC + ~m + m') for HC = ~field;
 * - a port or identifier change is in the bytes the device sums: the field stays as it is;
 * - ICMP has no pseudo-header (RFC 792): its field stays as it is whatever changes.
 */
function pseudoHeaderSumAfter(
  field: number,
  protocol: number,
  oldAddress: number,
  newAddress: number,
): number {
  if (protocol === IP_PROTOCOL_ICMP || oldAddress === newAddress) return field;
  return ~updateChecksum32(~field & 0xffff, oldAddress, newAddress) & 0xffff;
}
