// The pseudo-header sums that transport checksums start from. UDP (RFC 768) and TCP (RFC 9293
// §3.1) checksum their header and data prefixed by a pseudo-header of the network layer's
// addresses, protocol number and transport length; the pseudo-header is never sent. Its sum is
// all a transport codec needs, so the codecs take a number (`pseudoSum`) and stay family-agnostic:
// the IPv6 pseudo-header (RFC 8200 §8.1: 128-bit addresses, a 32-bit length, the next header)
// gets its own function here and the UDP and TCP codecs stay as they are.

import { foldSum } from '@oasis/core';

/**
 * The one's complement sum (RFC 1071) of the IPv4 pseudo-header: source and destination address,
 * a zero byte, the protocol number and the transport length (RFC 768; RFC 9293 §3.1), folded to
 * 16 bits and not complemented, for use as the `initialSum` of `sumWords`/`internetChecksum` or as
 * the `pseudoSum` of the UDP codec. Addresses are unsigned 32-bit numbers; `length` is the
 * transport header plus data (for UDP, its length field). Allocates nothing.
 */
export function ipv4PseudoHeaderSum(
  source: number,
  destination: number,
  protocol: number,
  length: number,
): number {
  if ((protocol & 0xff) !== protocol || (length & 0xffff) !== length) {
    throw new RangeError(
      `pseudo-header needs a protocol number 0-255 and a length 0-65535, got ${protocol} and ${length}`,
    );
  }
  // The zero byte and the protocol form one 16-bit word, so the protocol is added as is.
  return foldSum(
    (source >>> 16) +
      (source & 0xffff) +
      (destination >>> 16) +
      (destination & 0xffff) +
      protocol +
      length,
  );
}

/**
 * The one's complement sum of the IPv6 pseudo-header (RFC 8200 §8.1): source and destination
 * address (16 bytes each), the upper-layer packet length as 32 bits, three zero bytes and the
 * next header (the upper-layer protocol, not an extension header), folded to 16 bits and not
 * complemented, like ipv4PseudoHeaderSum. For a routed packet the destination is the final one
 * (§8.1); this stack sends none. Allocates nothing.
 */
export function ipv6PseudoHeaderSum(
  source: Uint8Array,
  destination: Uint8Array,
  nextHeader: number,
  length: number,
): number {
  if (source.length !== 16 || destination.length !== 16) {
    throw new RangeError(
      `an IPv6 pseudo-header needs 16-byte addresses, got ${source.length} and ${destination.length}`,
    );
  }
  if ((nextHeader & 0xff) !== nextHeader || !(Number.isInteger(length) && length >= 0)) {
    throw new RangeError(
      `pseudo-header needs a next header 0-255 and a non-negative length, got ${nextHeader} and ${length}`,
    );
  }
  let sum = nextHeader + (length >>> 16) + (length & 0xffff);
  for (let i = 0; i < 16; i += 2) {
    sum += ((source[i]! << 8) | source[i + 1]!) + ((destination[i]! << 8) | destination[i + 1]!);
  }
  return foldSum(sum);
}
