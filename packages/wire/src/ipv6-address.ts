// IPv6 addresses (RFC 4291 §2) as 16 bytes, the most significant first, and their text forms:
// every form RFC 4291 §2.2 allows is read, and one canonical form is written (RFC 5952 §4), so
// that equal addresses print equally in logs, zone files and DNS answers.

import { err, ok, type Result } from '@oasis/core';
import { formatIpv4Address, parseIpv4Address } from './ipv4-address.ts';

export const IPV6_ADDRESS_LENGTH = 16;

// Well-known addresses. Shared constants: never mutate them (copy with `.slice()` to change
// one); Uint8Arrays cannot be frozen.
/** ::, the unspecified address: only ever a source, before an address is configured (RFC 4291 §2.5.2). */
export const IPV6_UNSPECIFIED: Uint8Array = new Uint8Array(IPV6_ADDRESS_LENGTH);
/** ::1 (RFC 4291 §2.5.3). */
export const IPV6_LOOPBACK: Uint8Array = wellKnown(0x0000, 1);
/** ff02::1, all nodes on the link (RFC 4291 §2.7.1). */
export const IPV6_ALL_NODES: Uint8Array = wellKnown(0xff02, 1);
/** ff02::2, all routers on the link (RFC 4291 §2.7.1). */
export const IPV6_ALL_ROUTERS: Uint8Array = wellKnown(0xff02, 2);
/** ff02::16, where MLDv2 reports go (RFC 3810 §5.2.14). */
export const IPV6_ALL_MLDV2_ROUTERS: Uint8Array = wellKnown(0xff02, 0x16);

/** Multicast scopes (RFC 4291 §2.7, RFC 7346 §2), the low four bits of the second byte. */
export const IPV6_SCOPE_INTERFACE_LOCAL = 0x1;
export const IPV6_SCOPE_LINK_LOCAL = 0x2;
export const IPV6_SCOPE_GLOBAL = 0xe;

/** `first::last`: the first and last 16-bit groups, zeros between. */
function wellKnown(first: number, last: number): Uint8Array {
  const address = new Uint8Array(IPV6_ADDRESS_LENGTH);
  address[0] = first >>> 8;
  address[1] = first & 0xff;
  address[14] = last >>> 8;
  address[15] = last & 0xff;
  return address;
}

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

function checkAddress(address: Uint8Array, what = 'an IPv6 address'): void {
  if (address.length !== IPV6_ADDRESS_LENGTH) {
    throw new RangeError(`${what} has 16 bytes, got ${address.length}`);
  }
}

/** Whether two 16-byte addresses are equal. Allocates nothing. */
export function ipv6Equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== IPV6_ADDRESS_LENGTH || b.length !== IPV6_ADDRESS_LENGTH) return false;
  for (let i = 0; i < IPV6_ADDRESS_LENGTH; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** ::, the unspecified address (RFC 4291 §2.5.2). */
export function isIpv6Unspecified(address: Uint8Array): boolean {
  return ipv6Equal(address, IPV6_UNSPECIFIED);
}

/** ::1, the loopback address (RFC 4291 §2.5.3). */
export function isIpv6Loopback(address: Uint8Array): boolean {
  return ipv6Equal(address, IPV6_LOOPBACK);
}

/** ff00::/8, the multicast addresses (RFC 4291 §2.7). */
export function isIpv6Multicast(address: Uint8Array): boolean {
  return address[0] === 0xff;
}

/** fe80::/10, the link-local unicast addresses (RFC 4291 §2.5.6). */
export function isIpv6LinkLocal(address: Uint8Array): boolean {
  return address[0] === 0xfe && (address[1]! & 0xc0) === 0x80;
}

/**
 * The scope of a multicast address (RFC 4291 §2.7: the low four bits of the second byte; names
 * in RFC 7346 §2), e.g. IPV6_SCOPE_LINK_LOCAL for ff02::1; -1 for an address that is not
 * multicast.
 */
export function ipv6MulticastScope(address: Uint8Array): number {
  return isIpv6Multicast(address) ? address[1]! & 0x0f : -1;
}

/**
 * Whether the first `prefixLength` bits (0-128) of `address` are those of `prefix`; the bits of
 * `prefix` after them are ignored. Allocates nothing; RangeError for a prefix length out of range
 * or an address that is not 16 bytes.
 */
export function ipv6InPrefix(
  address: Uint8Array,
  prefix: Uint8Array,
  prefixLength: number,
): boolean {
  checkAddress(address);
  checkAddress(prefix, 'an IPv6 prefix');
  if (!(Number.isInteger(prefixLength) && prefixLength >= 0 && prefixLength <= 128)) {
    throw new RangeError(`an IPv6 prefix length is an integer in 0-128, got ${prefixLength}`);
  }
  const whole = prefixLength >>> 3;
  for (let i = 0; i < whole; i++) if (address[i] !== prefix[i]) return false;
  const bits = prefixLength & 7;
  if (bits === 0) return true;
  const mask = (0xff << (8 - bits)) & 0xff;
  return ((address[whole]! ^ prefix[whole]!) & mask) === 0;
}

/**
 * The solicited-node multicast address of an address (RFC 4291 §2.7.1): ff02::1:ff00:0/104 and
 * the address's low 24 bits. Where neighbor solicitations for it go (RFC 4861 §7.2.2).
 */
export function solicitedNodeAddress(address: Uint8Array): Uint8Array {
  checkAddress(address);
  const group = wellKnown(0xff02, 0);
  group[11] = 0x01;
  group[12] = 0xff;
  group.set(address.subarray(13), 13);
  return group;
}

/** The Ethernet group address of a multicast address: 33:33 and its low 32 bits (RFC 2464 §7). */
export function ipv6MulticastMac(address: Uint8Array): Uint8Array {
  checkAddress(address);
  const mac = new Uint8Array(6);
  mac[0] = 0x33;
  mac[1] = 0x33;
  mac.set(address.subarray(12), 2);
  return mac;
}

/**
 * The modified EUI-64 interface identifier of a 48-bit MAC (RFC 4291 §2.5.1 and Appendix A,
 * RFC 2464 §4): 0xfffe inserted in the middle and the universal/local bit inverted, so that
 * 02:00:5e:10:00:01 gives 0000:5eff:fe10:0001. 8 bytes; RangeError unless the MAC has 6.
 */
export function eui64InterfaceIdentifier(mac: Uint8Array): Uint8Array {
  if (mac.length !== 6) throw new RangeError(`a MAC address has 6 bytes, got ${mac.length}`);
  return Uint8Array.of(mac[0]! ^ 0x02, mac[1]!, mac[2]!, 0xff, 0xfe, mac[3]!, mac[4]!, mac[5]!);
}

/**
 * An address from the first 64 bits of `prefix` and a 64-bit interface identifier, as SLAAC
 * forms one (RFC 4862 §5.5.3 (d)). The prefix length must be 64: interface identifiers are 64
 * bits (RFC 4291 §2.5.1), and RFC 4862 §5.5.3 (d) ignores a prefix whose length plus the
 * identifier's is not 128, which the caller checks first. RangeError otherwise.
 */
export function ipv6FromPrefixAndIdentifier(
  prefix: Uint8Array,
  prefixLength: number,
  identifier: Uint8Array,
): Uint8Array {
  checkAddress(prefix, 'an IPv6 prefix');
  if (prefixLength !== 64 || identifier.length !== 8) {
    throw new RangeError(
      `an address is a /64 prefix and an 8-byte interface identifier, got /${prefixLength} and ${identifier.length} bytes`,
    );
  }
  const address = new Uint8Array(IPV6_ADDRESS_LENGTH);
  address.set(prefix.subarray(0, 8));
  address.set(identifier, 8);
  return address;
}

/** An address with a prefix length, as written `2001:db8::1/64`. */
export interface Ipv6Cidr {
  /** The address as written, interface bits kept: `2001:db8::1/64` is an interface address and its prefix. */
  readonly address: Uint8Array;
  /** 0-128. */
  readonly prefixLength: number;
}

/**
 * Parses `address/n` (RFC 4291 §2.3), the address in any form parseIpv6Address reads and n
 * 0-128 in decimal without leading zeros. Bits after the prefix are kept, not refused: `--ipv6
 * 2001:db8::1/64` names both the interface address and its prefix.
 */
export function parseIpv6Cidr(text: string): Result<Ipv6Cidr, string> {
  const slash = text.indexOf('/');
  if (slash < 0 || slash !== text.lastIndexOf('/')) {
    return err(
      `'${text}' is not an IPv6 prefix: expected an address and a prefix length such as 2001:db8::1/64`,
    );
  }
  const address = readAddress(text.slice(0, slash));
  if (typeof address === 'string') return err(`'${text}' is not an IPv6 prefix: ${address}`);
  const length = text.slice(slash + 1);
  if (!/^(0|[1-9][0-9]{0,2})$/.test(length) || Number(length) > 128) {
    return err(`'${text}' is not an IPv6 prefix: '${length}' is not a prefix length (0-128)`);
  }
  return ok({ address, prefixLength: Number(length) });
}

/**
 * A string key for Maps and Sets keyed by address: the eight 16-bit groups as eight UTF-16 code
 * units (String.fromCharCode), so equal addresses give equal keys and one string of 8 units is
 * the only allocation. Not text for people (it holds unpaired surrogates and control
 * characters): log with formatIpv6Address. RangeError unless the address has 16 bytes.
 */
export function ipv6Key(address: Uint8Array): string {
  checkAddress(address);
  return String.fromCharCode(
    (address[0]! << 8) | address[1]!,
    (address[2]! << 8) | address[3]!,
    (address[4]! << 8) | address[5]!,
    (address[6]! << 8) | address[7]!,
    (address[8]! << 8) | address[9]!,
    (address[10]! << 8) | address[11]!,
    (address[12]! << 8) | address[13]!,
    (address[14]! << 8) | address[15]!,
  );
}
