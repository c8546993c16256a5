// Translation of the datagram an ICMP error quotes (RFC 5508 §4.2). An error about a datagram the
// NAT translated quotes it as it was on the far side of the NAT, so before forwarding the error
// the NAT reverts the quoted IP and transport headers to their original form through the mapping
// that matches them (REQ-4 (a) for errors from the external realm, REQ-5 (a) from the private
// one), leaves the ICMP type and code alone (REQ-4 (b), REQ-5 (b)), and rewrites the outer IP
// header as for any packet of the flow (REQ-4 (c), REQ-5 (c) and (d)), with `rewriteSource` and
// `rewriteDestination` of packet-rewrite.ts, which change only the outer address of an error.
//
// Which checksums a quoted change touches: the quoted IP header checksum (the addresses), the
// quoted transport checksum when the quote holds it (the TCP and UDP pseudo-header's addresses
// and the ports; an echo's identifier), and the outer ICMP checksum, which covers every quoted
// byte (RFC 792), so every quoted 16-bit word changed above, checksums included, is folded into
// it. The quote starts after the outer IP header and the 8-byte ICMP header, at an even offset of
// the ICMP message, so the quoted words are words of the message and RFC 1624 eq. 3 applies.

import {
  readU16BE,
  readU32BE,
  updateChecksum16,
  updateChecksum32,
  writeU16BE,
  writeU32BE,
} from '@oasis/core';
import {
  checksumOffset,
  portOffset,
  quoteEnd,
  quoteOffset,
  transportOffset,
} from './packet-fields.ts';
import { checkEndpoint, transportChecksumAfter } from './packet-rewrite.ts';

/** Bytes of the quoted IPv4 header (RFC 791 §3.1), from the start of the quote. */
const QUOTED_CHECKSUM = 10;
const QUOTED_SOURCE = 12;
const QUOTED_DESTINATION = 16;
/** The ICMP checksum, bytes 2-3 of the message (RFC 792). */
const ICMP_CHECKSUM = 2;

/**
 * Rewrites the source address and port of the datagram an ICMP error quotes: the TCP or UDP
 * source port, or a quoted echo's identifier (RFC 5508 §3.1). For a packet `readQuotedTuple`
 * accepted ('ok'), whose outer ICMP checksum the caller verified (RFC 5508 REQ-3). A quoted TCP
 * checksum is updated when the quote holds it (18 bytes of the segment; RFC 792 guarantees only
 * 8), a quoted UDP checksum of 0 stays 0 (RFC 768). Allocates nothing.
 */
export function rewriteQuotedSource(packet: Uint8Array, address: number, port: number): void {
  rewriteQuotedEndpoint(packet, QUOTED_SOURCE, false, address, port);
}

/** As `rewriteQuotedSource`, for the quoted destination address and port (or echo identifier). */
export function rewriteQuotedDestination(packet: Uint8Array, address: number, port: number): void {
  rewriteQuotedEndpoint(packet, QUOTED_DESTINATION, true, address, port);
}

function rewriteQuotedEndpoint(
  packet: Uint8Array,
  addressOffset: number,
  destination: boolean,
  address: number,
  port: number,
): void {
  checkEndpoint(address, port);
  const icmpChecksumAt = transportOffset(packet) + ICMP_CHECKSUM;
  const quote = quoteOffset(packet);
  let icmpChecksum = readU16BE(packet, icmpChecksumAt);

  const addressAt = quote + addressOffset;
  const oldAddress = readU32BE(packet, addressAt);
  if (oldAddress !== address) {
    writeU32BE(packet, addressAt, address);
    const headerChecksumAt = quote + QUOTED_CHECKSUM;
    const headerChecksum = readU16BE(packet, headerChecksumAt);
    const updatedHeader = updateChecksum32(headerChecksum, oldAddress, address);
    writeU16BE(packet, headerChecksumAt, updatedHeader);
    icmpChecksum = updateChecksum32(icmpChecksum, oldAddress, address);
    icmpChecksum = updateChecksum16(icmpChecksum, headerChecksum, updatedHeader);
  }

  // RFC 5508 REQ-3 (b): the quoted transport header starts past the quoted header's options.
  const protocol = packet[quote + 9]!;
  const transport = quote + ((packet[quote]! & 0x0f) << 2);
  const portAt = transport + portOffset(protocol, destination);
  const oldPort = readU16BE(packet, portAt);
  if (oldPort !== port) {
    writeU16BE(packet, portAt, port);
    icmpChecksum = updateChecksum16(icmpChecksum, oldPort, port);
  }

  // The quoted transport checksum is updated, never verified (RFC 5508 REQ-3 (c)): the quote
  // rarely holds the whole segment, and an incremental update needs only the changed words. So
  // an all-zero quoted echo reply keeps eq. 3's 0x0000 where its checksum is 0xffff (see
  // packet-rewrite.ts): the quote cannot tell whether the message is all zero, and no receiver
  // checks a quoted checksum.
  const checksumAt = transport + checksumOffset(protocol);
  if (checksumAt + 2 <= quoteEnd(packet)) {
    const checksum = readU16BE(packet, checksumAt);
    const updated = transportChecksumAfter(checksum, protocol, oldAddress, address, oldPort, port);
    if (updated !== checksum) {
      writeU16BE(packet, checksumAt, updated);
      icmpChecksum = updateChecksum16(icmpChecksum, checksum, updated);
    }
  }
  writeU16BE(packet, icmpChecksumAt, icmpChecksum);
}
