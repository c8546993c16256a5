// IPv4 addresses (RFC 791 §2.3) as unsigned 32-bit numbers, the most significant byte first:
// 10.0.0.1 is 0x0a000001. Numbers compare, mask and hash without allocating, which is what hot
// paths (routing, ARP caches, NAT tables) need; text is for arguments and logs only.
// Code combining addresses with bit operators must end with `>>> 0`: JavaScript's `&`, `|`
// and `<<` yield signed 32-bit results, and a negative number is not an address here.

import { err, ok, type Result } from '@oasis/core';

/** 0.0.0.0: "this host on this network", only ever a source (RFC 1122 §3.2.1.3 (a)); the sender of an ARP probe (RFC 5227 §2.1.1). */
export const IPV4_UNSPECIFIED = 0;
/** 255.255.255.255, the limited broadcast address (RFC 919 §7, RFC 1122 §3.2.1.3 (c)). */
export const IPV4_BROADCAST = 0xffff_ffff;

/** True for an integer in 0..2^32-1, the values this module treats as IPv4 addresses. */
export function isIpv4Address(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= 0xffff_ffff;
}

/** Dotted-quad text; throws RangeError for a number that is not an address (a programmer error). */
export function formatIpv4Address(address: number): string {
  if (!isIpv4Address(address)) {
    throw new RangeError(
      `${address} is not an IPv4 address: use an integer in 0-4294967295 (end bit operations with >>> 0)`,
    );
  }
  return `${address >>> 24}.${(address >>> 16) & 0xff}.${(address >>> 8) & 0xff}.${address & 0xff}`;
}

/**
 * Parses strict dotted-quad text: four decimal octets 0-255 separated by dots. Octets with a
 * leading zero ('010') are refused rather than guessed at: inet_aton(3) reads them as octal
 * (010 is 8) while other parsers read decimal, and RFC 6943 §3.1.1 warns that such a
 * disagreement lets one address pass a check as another. The shorthand forms inet_aton also
 * accepts ('10.1', '0x0a.0.0.1', '167772161') are refused for the same reason.
 */
export function parseIpv4Address(text: string): Result<number, string> {
  const address = readAddress(text);
  return typeof address === 'number'
    ? ok(address)
    : err(`'${text}' is not an IPv4 address: ${address}`);
}

/** An address with a prefix length, as written `10.0.0.2/24`. */
export interface Ipv4Cidr {
  /** The address as written, host bits kept: `10.0.0.2/24` is an interface address and its subnet. */
  readonly address: number;
  /** 0-32. */
  readonly prefixLength: number;
}

/**
 * Parses `a.b.c.d/n` (RFC 4632 §3.1 prefix notation), n 0-32 in decimal without leading zeros.
 * Host bits are kept, not refused: `--ipv4 10.0.0.2/24` names both the interface address and its
 * subnet. Mask with `ipv4Netmask` for the network address.
 */
export function parseIpv4Cidr(text: string): Result<Ipv4Cidr, string> {
  const slash = text.indexOf('/');
  if (slash < 0 || slash !== text.lastIndexOf('/')) {
    return err(
      `'${text}' is not an IPv4 prefix: expected an address and a prefix length such as 10.0.0.2/24`,
    );
  }
  const address = readAddress(text.slice(0, slash));
  if (typeof address === 'string') return err(`'${text}' is not an IPv4 prefix: ${address}`);
  const length = text.slice(slash + 1);
  if (!/^(0|[1-9][0-9]?)$/.test(length) || Number(length) > 32) {
    return err(`'${text}' is not an IPv4 prefix: '${length}' is not a prefix length (0-32)`);
  }
  return ok({ address, prefixLength: Number(length) });
}

/** The address as a number, or why it is not one. */
function readAddress(text: string): number | string {
  const parts = text.split('.');
  if (parts.length !== 4) return 'expected four decimal octets such as 10.0.0.1';
  let address = 0;
  for (const part of parts) {
    if (!/^[0-9]+$/.test(part)) return `'${part}' is not a decimal octet`;
    if (part.length > 1 && part[0] === '0') {
      return `'${part}' has a leading zero, which some parsers read as octal`;
    }
    const octet = Number(part);
    if (octet > 255) return `${part} is not an octet`;
    address = address * 256 + octet;
  }
  return address;
}

/** The netmask of a prefix length: 24 gives 255.255.255.0 (0xffffff00). RangeError outside 0-32. */
export function ipv4Netmask(prefixLength: number): number {
  if (!(Number.isInteger(prefixLength) && prefixLength >= 0 && prefixLength <= 32)) {
    throw new RangeError(`an IPv4 prefix length is an integer in 0-32, got ${prefixLength}`);
  }
  // A shift by 32 is a shift by 0 in JavaScript, so /0 needs its own case.
  return prefixLength === 0 ? 0 : (0xffff_ffff << (32 - prefixLength)) >>> 0;
}

/** Whether `address` is in `network/prefixLength`; host bits of `network` are ignored. */
export function ipv4InSubnet(address: number, network: number, prefixLength: number): boolean {
  return ((address ^ network) & ipv4Netmask(prefixLength)) === 0;
}

/** 224.0.0.0/4, the multicast addresses (RFC 5771 §2; class D of RFC 1112 §4). */
export function isIpv4Multicast(address: number): boolean {
  return address >>> 28 === 0xe;
}

/** 127.0.0.0/8, which must never appear on a network (RFC 1122 §3.2.1.3 (g)). */
export function isIpv4Loopback(address: number): boolean {
  return address >>> 24 === 127;
}
