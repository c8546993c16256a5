// Addresses as hosts files write them, in the text form DNS answers carry: dotted quads for A
// (RFC 1035 §3.4.1) and RFC 5952 text for AAAA (RFC 3596 §2.2), so that `2001:DB8:0::1` in a
// file is answered as `2001:db8::1`.

import { err, ok, type Result } from '@oasis/core';
import {
  formatIpv4Address,
  formatIpv6Address,
  parseIpv4Address,
  parseIpv6Address,
} from '@oasis/wire';

export interface HostAddress {
  /** Canonical text: a strict dotted quad, or RFC 5952 text. */
  readonly text: string;
  readonly family: 4 | 6;
  /** The address in network byte order: 4 or 16 bytes. */
  readonly bytes: Uint8Array;
}

/**
 * Parses an IPv4 address (strict dotted quad: inet_aton's shorthand and octal forms are
 * refused, see parseIpv4Address) or an IPv6 address (any RFC 4291 §2.2 form, no zone index).
 */
export function parseHostAddress(text: string): Result<HostAddress, string> {
  if (text.includes(':')) {
    const ipv6 = parseIpv6Address(text);
    if (!ipv6.ok) return err(ipv6.error);
    return ok({ text: formatIpv6Address(ipv6.value), family: 6, bytes: ipv6.value });
  }
  const ipv4 = parseIpv4Address(text);
  if (!ipv4.ok) return err(ipv4.error);
  const value = ipv4.value;
  const bytes = Uint8Array.of(
    value >>> 24,
    (value >>> 16) & 0xff,
    (value >>> 8) & 0xff,
    value & 0xff,
  );
  return ok({ text: formatIpv4Address(value), family: 4, bytes });
}
