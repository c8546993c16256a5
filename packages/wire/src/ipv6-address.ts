// IPv6 addresses (RFC 4291 §2) as 16 bytes, the most significant first, and their text forms:
// every form RFC 4291 §2.2 allows is read, and one canonical form is written (RFC 5952 §4), so
// that equal addresses print equally in logs, zone files and DNS answers.

import { err, ok, type Result } from '@oasis/core';
import { formatIpv4Address, parseIpv4Address } from './ipv4-address.ts';

export const IPV6_ADDRESS_LENGTH = 16;

/**
 * Parses the three text forms of RFC 4291 §2.2: eight groups of 1-4 hex digits (`2001:db8:0:0:
 * 0:0:0:1`), one `::` standing for one or more zero groups (`2001:db8::1`), and an IPv4 address in
 * the last 32 bits (`::ffff:192.0.2.1`, read like parseIpv4Address: strict dotted quad). Hex
 * digits may be of either case. Zone identifiers (`fe80::1%eth0`, RFC 4007 §11) are refused: they
 * name an interface of one host and are not part of the address.
 */
export function parseIpv6Address(text: string): Result<Uint8Array, string> {
  const address = readAddress(text);
  return typeof address === 'string'
    ? err(`'${text}' is not an IPv6 address: ${address}`)
    : ok(address);
}

/**
 * RFC 5952 §4 text: lower-case hex without leading zeros (§4.1, §4.3), the longest run of two or
 * more zero groups as `::`, the first of equally long runs (§4.2.1-§4.2.3). Addresses under the
 * well-known prefixes of RFC 4291 §2.5.5 end in dotted-quad form, as RFC 5952 §5 recommends:
 * IPv4-mapped `::ffff:192.0.2.1` and IPv4-compatible `::192.0.2.1` (except `::` and `::1` to
 * `::ffff`, which are written in hex), as inet_ntop and dig write them. Throws RangeError unless
 * `address` has 16 bytes (a programmer error).
 */
export function formatIpv6Address(address: Uint8Array): string {
  if (address.length !== IPV6_ADDRESS_LENGTH) {
    throw new RangeError(`an IPv6 address has 16 bytes, got ${address.length}`);
  }
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((address[i]! << 8) | address[i + 1]!);
  // The 96-bit prefixes of RFC 4291 §2.5.5 that announce an embedded IPv4 address.
  if (groups.slice(0, 5).every((group) => group === 0)) {
    const ipv4 = () =>
      formatIpv4Address(
        ((address[12]! << 24) | (address[13]! << 16) | (address[14]! << 8) | address[15]!) >>> 0,
      );
    if (groups[5] === 0xffff) return `::ffff:${ipv4()}`;
    if (groups[5] === 0 && groups[6] !== 0) return `::${ipv4()}`;
  }
  let bestStart = -1;
  let bestLength = 1; // RFC 5952 §4.2.2: a single zero group is not shortened.
  for (let start = 0; start < 8; ) {
    let end = start;
    while (end < 8 && groups[end] === 0) end++;
    if (end - start > bestLength) {
      bestStart = start;
      bestLength = end - start;
    }
    start = end + 1;
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart < 0) return hex.join(':');
  const head = hex.slice(0, bestStart).join(':');
  const tail = hex.slice(bestStart + bestLength).join(':');
  return `${head}::${tail}`;
}

const GROUP = /^[0-9a-fA-F]{1,4}$/;

/** The address, or why the text is not one. */
function readAddress(text: string): Uint8Array | string {
  const percent = text.indexOf('%');
  if (percent >= 0) {
    return `a zone identifier ('${text.slice(percent)}') is not part of an address`;
  }
  const doubleColon = text.indexOf('::');
  if (doubleColon >= 0 && text.indexOf('::', doubleColon + 1) >= 0) {
    return "'::' may appear only once";
  }
  const compressed = doubleColon >= 0;
  const head = compressed ? splitGroups(text.slice(0, doubleColon)) : splitGroups(text);
  const tail = compressed ? splitGroups(text.slice(doubleColon + 2)) : [];
  const last = compressed ? tail : head;
  const groups: number[][] = [[], []];
  for (const [side, parts] of [head, tail].entries()) {
    for (const [index, part] of parts.entries()) {
      const isLast = parts === last && index === parts.length - 1;
      if (isLast && part.includes('.')) {
        // RFC 4291 §2.2 form 3: the low-order 32 bits as a dotted quad.
        const ipv4 = parseIpv4Address(part);
        if (!ipv4.ok) return `the embedded IPv4 address: ${ipv4.error}`;
        groups[side]!.push(ipv4.value >>> 16, ipv4.value & 0xffff);
      } else if (GROUP.test(part)) {
        groups[side]!.push(Number.parseInt(part, 16));
      } else if (part === '') {
        return "a group is empty (a single ':' at the start or end, or two ':' outside '::')";
      } else {
        return `'${part}' is not a group of 1-4 hex digits${part.includes('.') ? ' (an IPv4 address may only end the address)' : ''}`;
      }
    }
  }
  const [before, after] = groups as [number[], number[]];
  const count = before.length + after.length;
  if (!compressed && count !== 8) return `expected 8 groups of hex digits, found ${count}`;
  // RFC 4291 §2.2 form 2: '::' stands for one or more groups of zeros.
  if (compressed && count > 7)
    return `'::' must stand for at least one group, and ${count} are written`;
  const words = [...before, ...new Array<number>(8 - count).fill(0), ...after];
  const address = new Uint8Array(IPV6_ADDRESS_LENGTH);
  for (const [i, word] of words.entries()) {
    address[2 * i] = word >>> 8;
    address[2 * i + 1] = word & 0xff;
  }
  return address;
}

/** The groups of one side of `::`; an empty side has none. */
function splitGroups(text: string): string[] {
  return text === '' ? [] : text.split(':');
}
