// Neighbor Discovery for IPv6 (RFC 4861): the five ICMPv6 messages of §4 and the options of §4.6,
// plus the Recursive DNS Server option (RFC 8106 §5.1) and the Nonce option (RFC 3971 §5.3.2),
// which Enhanced Duplicate Address Detection (RFC 7527) puts in its solicitations to recognise
// them when they loop back. `parseNdp` reads a message from its ICMPv6 body (the bytes after the
// 4-byte header, `Icmpv6OtherRepr.body`, whose checksum parseIcmpv6 verified); `emitNdp` writes a
// whole ICMPv6 message, checksum included.
//
// The representation is semantic, not byte-exact (the ICMPv6 'other' repr is the byte-exact
// one): options are gathered into one struct, so their order, reserved bits and fields, and
// unrecognised options (skipped, §4.6) are not kept; of an option that may appear once (link-layer
// addresses, MTU, RDNSS, nonce) the first is kept; prefix information options are all kept.
// Addresses, prefixes and nonces in a parsed repr are views of the input: copy what you keep.
// Link-layer address options carry 6-byte IEEE 802 addresses (RFC 2464 §6, length 1).
//
// `parseNdp` applies the validity checks of §6.1.1, §6.1.2, §7.1.1, §7.1.2 and §8.1 that the
// message alone decides: code 0, the minimum ICMP length, target (and a redirect's destination) not
// multicast, a redirect's target link-local or equal to its destination, and well-formed options
// (no option of length zero, none past the end, known options of their defined length). The
// caller must still check what depends on the IP header and on the node's state:
//   - every message: the IP Hop Limit is 255 (not forwarded by a router);
//   - RS: if the IP source is unspecified, there is no source link-layer address option;
//   - RA and redirect: the IP source is a link-local address; a redirect comes from the current
//     first-hop router for its destination;
//   - NS: if the IP source is unspecified (DAD), the IP destination is a solicited-node multicast
//     address and there is no source link-layer address option;
//   - NA: if the IP destination is multicast, the Solicited flag is zero.
// Deciding what the messages mean (RFC 4861 §6.3, §7.2; RFC 4862) is the stack's.

import { err, ok, type Result, readU16BE, readU32BE, writeU16BE, writeU32BE } from '@oasis/core';
import { ICMPV6_HEADER_LENGTH, writeIcmpv6Checksum } from './icmpv6.ts';
import {
  IPV6_ADDRESS_LENGTH,
  ipv6Equal,
  isIpv6LinkLocal,
  isIpv6Multicast,
} from './ipv6-address.ts';
import { MAC_LENGTH } from './mac-address.ts';
import { wireErrors } from './wire-error.ts';

// ICMPv6 message types (RFC 4861 §4).
export const NDP_ROUTER_SOLICITATION = 133;
export const NDP_ROUTER_ADVERTISEMENT = 134;
export const NDP_NEIGHBOR_SOLICITATION = 135;
export const NDP_NEIGHBOR_ADVERTISEMENT = 136;
export const NDP_REDIRECT = 137;

// Option types (RFC 4861 §4.6; RFC 3971 §5.3.2; RFC 8106 §5.1).
export const NDP_OPTION_SOURCE_LINK_ADDRESS = 1;
export const NDP_OPTION_TARGET_LINK_ADDRESS = 2;
export const NDP_OPTION_PREFIX_INFORMATION = 3;
export const NDP_OPTION_REDIRECTED_HEADER = 4;
export const NDP_OPTION_MTU = 5;
export const NDP_OPTION_NONCE = 14;
export const NDP_OPTION_RDNSS = 25;

/** A lifetime of all ones means infinity (RFC 4861 §4.6.2; RFC 8106 §5.1). */
export const NDP_INFINITE_LIFETIME = 0xffff_ffff;

/** Options are counted in units of 8 bytes (RFC 4861 §4.6). */
const OPTION_UNIT = 8;
const LINK_ADDRESS_OPTION_LENGTH = 8;
const PREFIX_OPTION_LENGTH = 32;
const MTU_OPTION_LENGTH = 8;
/** Type, length, reserved and lifetime before the addresses (RFC 8106 §5.1). */
const RDNSS_HEADER_LENGTH = 8;
/** RFC 3971 §5.3.2: the nonce has at least 6 bytes. */
const MIN_NONCE_LENGTH = 6;

// Flag bits (RFC 4861 §4.2, §4.4, §4.6.2).
const RA_MANAGED = 0x80;
const RA_OTHER = 0x40;
const NA_ROUTER = 0x80;
const NA_SOLICITED = 0x40;
const NA_OVERRIDE = 0x20;
const PREFIX_ON_LINK = 0x80;
const PREFIX_AUTONOMOUS = 0x40;

export const NDP_ERRORS = wireErrors('ndp', [
  'not-ndp',
  'bad-code',
  'truncated',
  'multicast-target',
  'bad-redirect',
  'option-length-zero',
  'option-truncated',
  'bad-option',
] as const);
export type NdpError = (typeof NDP_ERRORS)[keyof typeof NDP_ERRORS];

/** A Prefix Information option (RFC 4861 §4.6.2). */
export interface NdpPrefixInformation {
  /** 0-128: the leading bits of `prefix` that are valid. */
  readonly prefixLength: number;
  /** L: the prefix can be used for on-link determination. */
  readonly onLink: boolean;
  /** A: the prefix can be used for stateless address autoconfiguration (RFC 4862 §5.5.3). */
  readonly autonomous: boolean;
  /** Seconds; `NDP_INFINITE_LIFETIME` is infinity. */
  readonly validLifetimeS: number;
  /** Seconds; `NDP_INFINITE_LIFETIME` is infinity. */
  readonly preferredLifetimeS: number;
  /** 16 bytes; bits past `prefixLength` are as sent (RFC 4861 §4.6.2: receivers ignore them). */
  readonly prefix: Uint8Array;
}

/** A Recursive DNS Server option (RFC 8106 §5.1). */
export interface NdpRdnss {
  /** Seconds the servers may be used; 0: no longer; `NDP_INFINITE_LIFETIME`: infinity. */
  readonly lifetimeS: number;
  /** One or more 16-byte addresses. */
  readonly servers: readonly Uint8Array[];
}

/** The options of a message, gathered. */
export interface NdpOptions {
  /** Source Link-Layer Address (type 1), a 6-byte MAC. */
  readonly sourceLinkAddress?: Uint8Array | undefined;
  /** Target Link-Layer Address (type 2), a 6-byte MAC. */
  readonly targetLinkAddress?: Uint8Array | undefined;
  /** Prefix Information options (type 3), in message order. */
  readonly prefixes: readonly NdpPrefixInformation[];
  /** MTU option (type 5): the link's MTU in bytes, unsigned 32-bit. */
  readonly mtu?: number | undefined;
  /** Recursive DNS Server option (type 25). */
  readonly rdnss?: NdpRdnss | undefined;
  /** Nonce option (type 14): 6 or more bytes, a multiple of 8 less 2 (RFC 3971 §5.3.2). */
  readonly nonce?: Uint8Array | undefined;
}

/** Router Solicitation (RFC 4861 §4.1). */
export interface NdpRouterSolicitationRepr {
  readonly kind: 'router-solicitation';
  readonly options: NdpOptions;
}

/** Router Advertisement (RFC 4861 §4.2). */
export interface NdpRouterAdvertisementRepr {
  readonly kind: 'router-advertisement';
  /** The hop limit hosts should use; 0: unspecified by this router. */
  readonly curHopLimit: number;
  /** M: addresses are available through DHCPv6. */
  readonly managed: boolean;
  /** O: other configuration is available through DHCPv6. */
  readonly other: boolean;
  /** 0-65535 s as a default router; 0: not a default router. */
  readonly routerLifetimeS: number;
  /** 0: unspecified by this router. */
  readonly reachableTimeMs: number;
  /** 0: unspecified by this router. */
  readonly retransTimerMs: number;
  readonly options: NdpOptions;
}

/** Neighbor Solicitation (RFC 4861 §4.3). */
export interface NdpNeighborSolicitationRepr {
  readonly kind: 'neighbor-solicitation';
  /** 16 bytes, not multicast. */
  readonly target: Uint8Array;
  readonly options: NdpOptions;
}

/** Neighbor Advertisement (RFC 4861 §4.4). */
export interface NdpNeighborAdvertisementRepr {
  readonly kind: 'neighbor-advertisement';
  /** R: the sender is a router. */
  readonly router: boolean;
  /** S: an answer to a Neighbor Solicitation sent to the target. */
  readonly solicited: boolean;
  /** O: the advertisement overrides a cached link-layer address. */
  readonly override: boolean;
  /** 16 bytes, not multicast. */
  readonly target: Uint8Array;
  readonly options: NdpOptions;
}

/** Redirect (RFC 4861 §4.5). The Redirected Header option (type 4) is skipped. */
export interface NdpRedirectRepr {
  readonly kind: 'redirect';
  /** The better first hop: a link-local router address, or `destination` itself when on-link. */
  readonly target: Uint8Array;
  /** The destination that is redirected; not multicast. */
  readonly destination: Uint8Array;
  readonly options: NdpOptions;
}

export type NdpRepr =
  | NdpRouterSolicitationRepr
  | NdpRouterAdvertisementRepr
  | NdpNeighborSolicitationRepr
  | NdpNeighborAdvertisementRepr
  | NdpRedirectRepr;

/**
 * The fixed part of each message's body, before its options: the minimum ICMP length of §6.1.1,
 * §6.1.2, §7.1.1, §7.1.2 and §8.1 (8, 16, 24, 24, 40 bytes) less the 4-byte ICMPv6 header; -1 for
 * a type that is not Neighbor Discovery.
 */
function fixedBodyLength(type: number): number {
  switch (type) {
    case NDP_ROUTER_SOLICITATION:
      return 4;
    case NDP_ROUTER_ADVERTISEMENT:
      return 12;
    case NDP_NEIGHBOR_SOLICITATION:
    case NDP_NEIGHBOR_ADVERTISEMENT:
      return 20;
    case NDP_REDIRECT:
      return 36;
    default:
      return -1;
  }
}

/**
 * Reads a Neighbor Discovery message of ICMPv6 `type` and `code` from `body`, the message after
 * its 4-byte ICMPv6 header, applying the codec-level validity checks listed at the top of this
 * file. A type that is not Neighbor Discovery is refused as 'not-ndp'.
 */
export function parseNdp(type: number, code: number, body: Uint8Array): Result<NdpRepr, NdpError> {
  const fixed = fixedBodyLength(type);
  if (fixed < 0) return err(NDP_ERRORS['not-ndp']);
  if (code !== 0) return err(NDP_ERRORS['bad-code']);
  if (body.length < fixed) return err(NDP_ERRORS.truncated);
  // NS, NA and redirect: the target follows 4 bytes of flags or reserved (§4.3-§4.5).
  const target = body.subarray(4, 20);
  const destination = body.subarray(20, 36);
  if (type === NDP_NEIGHBOR_SOLICITATION || type === NDP_NEIGHBOR_ADVERTISEMENT) {
    if (isIpv6Multicast(target)) return err(NDP_ERRORS['multicast-target']);
  } else if (type === NDP_REDIRECT) {
    // §8.1: the destination is not multicast, and the target is a link-local (router) address
    // or the destination itself (on-link).
    if (isIpv6Multicast(destination)) return err(NDP_ERRORS['multicast-target']);
    if (!isIpv6LinkLocal(target) && !ipv6Equal(target, destination)) {
      return err(NDP_ERRORS['bad-redirect']);
    }
  }
  const parsed = parseOptions(body.subarray(fixed));
  if (!parsed.ok) return parsed;
  const options = parsed.value;
  switch (type) {
    case NDP_ROUTER_SOLICITATION:
      return ok({ kind: 'router-solicitation', options });
    case NDP_ROUTER_ADVERTISEMENT:
      return ok({
        kind: 'router-advertisement',
        curHopLimit: body[0]!,
        managed: (body[1]! & RA_MANAGED) !== 0,
        other: (body[1]! & RA_OTHER) !== 0,
        routerLifetimeS: readU16BE(body, 2),
        reachableTimeMs: readU32BE(body, 4),
        retransTimerMs: readU32BE(body, 8),
        options,
      });
    case NDP_NEIGHBOR_SOLICITATION:
      return ok({ kind: 'neighbor-solicitation', target, options });
    case NDP_NEIGHBOR_ADVERTISEMENT:
      return ok({
        kind: 'neighbor-advertisement',
        router: (body[0]! & NA_ROUTER) !== 0,
        solicited: (body[0]! & NA_SOLICITED) !== 0,
        override: (body[0]! & NA_OVERRIDE) !== 0,
        target,
        options,
      });
    default:
      return ok({ kind: 'redirect', target, destination, options });
  }
}

type OptionsBuilder = { -readonly [K in keyof NdpOptions]: NdpOptions[K] };

/** Walks the options (RFC 4861 §4.6): type, length in units of 8 bytes, contents. */
function parseOptions(bytes: Uint8Array): Result<NdpOptions, NdpError> {
  const prefixes: NdpPrefixInformation[] = [];
  const options: OptionsBuilder = { prefixes };
  for (let offset = 0; offset < bytes.length; ) {
    if (offset + 2 > bytes.length) return err(NDP_ERRORS['option-truncated']);
    const length = bytes[offset + 1]! * OPTION_UNIT;
    // §4.6: "Nodes MUST silently discard an ND packet that contains an option with length zero."
    if (length === 0) return err(NDP_ERRORS['option-length-zero']);
    if (offset + length > bytes.length) return err(NDP_ERRORS['option-truncated']);
    const option = bytes.subarray(offset, offset + length);
    offset += length;
    if (!readOption(option, options, prefixes)) return err(NDP_ERRORS['bad-option']);
  }
  return ok(options);
}

/**
 * Adds one option to `options` (a prefix to `prefixes`); false when a known option does not have
 * its defined length or contents. Unrecognised options are skipped (§4.6).
 */
function readOption(
  option: Uint8Array,
  options: OptionsBuilder,
  prefixes: NdpPrefixInformation[],
): boolean {
  switch (option[0]) {
    case NDP_OPTION_SOURCE_LINK_ADDRESS:
    case NDP_OPTION_TARGET_LINK_ADDRESS: {
      // RFC 4861 §4.6.1 with RFC 2464 §6: one unit, the 6-byte MAC after type and length.
      if (option.length !== LINK_ADDRESS_OPTION_LENGTH) return false;
      const mac = option.subarray(2, 2 + MAC_LENGTH);
      if (option[0] === NDP_OPTION_SOURCE_LINK_ADDRESS) options.sourceLinkAddress ??= mac;
      else options.targetLinkAddress ??= mac;
      return true;
    }
    case NDP_OPTION_PREFIX_INFORMATION: {
      // §4.6.2: length 4; prefix length 0-128; 4 reserved bytes before the prefix.
      if (option.length !== PREFIX_OPTION_LENGTH || option[2]! > 128) return false;
      prefixes.push({
        prefixLength: option[2]!,
        onLink: (option[3]! & PREFIX_ON_LINK) !== 0,
        autonomous: (option[3]! & PREFIX_AUTONOMOUS) !== 0,
        validLifetimeS: readU32BE(option, 4),
        preferredLifetimeS: readU32BE(option, 8),
        prefix: option.subarray(16, 32),
      });
      return true;
    }
    case NDP_OPTION_MTU:
      // §4.6.4: length 1, 2 reserved bytes, the MTU.
      if (option.length !== MTU_OPTION_LENGTH) return false;
      options.mtu ??= readU32BE(option, 4);
      return true;
    case NDP_OPTION_RDNSS: {
      // RFC 8106 §5.1: length 3 for one address, 2 more per address, so odd and at least 3.
      const units = option.length / OPTION_UNIT;
      if (units < 3 || units % 2 === 0) return false;
      if (options.rdnss === undefined) {
        const servers: Uint8Array[] = [];
        for (let at = RDNSS_HEADER_LENGTH; at < option.length; at += IPV6_ADDRESS_LENGTH) {
          servers.push(option.subarray(at, at + IPV6_ADDRESS_LENGTH));
        }
        options.rdnss = { lifetimeS: readU32BE(option, 4), servers };
      }
      return true;
    }
    case NDP_OPTION_NONCE:
      // RFC 3971 §5.3.2: the nonce fills the option after type and length.
      options.nonce ??= option.subarray(2);
      return true;
    default:
      return true;
  }
}

/** The bytes the options take: each a whole number of 8-byte units. */
function optionsLength(options: NdpOptions): number {
  let length = options.prefixes.length * PREFIX_OPTION_LENGTH;
  if (options.sourceLinkAddress !== undefined) length += LINK_ADDRESS_OPTION_LENGTH;
  if (options.targetLinkAddress !== undefined) length += LINK_ADDRESS_OPTION_LENGTH;
  if (options.mtu !== undefined) length += MTU_OPTION_LENGTH;
  if (options.rdnss !== undefined) {
    length += RDNSS_HEADER_LENGTH + options.rdnss.servers.length * IPV6_ADDRESS_LENGTH;
  }
  if (options.nonce !== undefined) length += 2 + options.nonce.length;
  return length;
}

/** The whole ICMPv6 message `emitNdp` writes: header, fixed fields and options. */
export function ndpLength(repr: NdpRepr): number {
  return ICMPV6_HEADER_LENGTH + fixedBodyLength(typeOf(repr)) + optionsLength(repr.options);
}

function typeOf(repr: NdpRepr): number {
  switch (repr.kind) {
    case 'router-solicitation':
      return NDP_ROUTER_SOLICITATION;
    case 'router-advertisement':
      return NDP_ROUTER_ADVERTISEMENT;
    case 'neighbor-solicitation':
      return NDP_NEIGHBOR_SOLICITATION;
    case 'neighbor-advertisement':
      return NDP_NEIGHBOR_ADVERTISEMENT;
    case 'redirect':
      return NDP_REDIRECT;
  }
}

function checkField(value: number, max: number, name: string): void {
  if (!(Number.isInteger(value) && value >= 0 && value <= max)) {
    throw new RangeError(`NDP ${name} must be an integer in 0-${max}, got ${value}`);
  }
}

function checkBytes(bytes: Uint8Array, length: number, name: string): void {
  if (bytes.length !== length) {
    throw new RangeError(`NDP ${name} must have ${length} bytes, got ${bytes.length}`);
  }
}

/**
 * Writes the whole ICMPv6 message at the start of `buffer` (type, code 0, checksum over
 * `pseudoSum` and the message, fixed fields with reserved bits zero, then the options: source and
 * target link-layer address, MTU, prefixes, RDNSS, nonce) and returns its length, `ndpLength`.
 * `pseudoSum` is `ipv6PseudoHeaderSum(source, destination, IP_PROTOCOL_ICMPV6, ndpLength(repr))`.
 * Throws RangeError for a buffer too short or a field out of range (programmer errors).
 */
export function emitNdp(repr: NdpRepr, buffer: Uint8Array, pseudoSum: number): number {
  const length = ndpLength(repr);
  if (buffer.length < length) {
    throw new RangeError(`NDP message needs ${length} bytes, buffer has ${buffer.length}`);
  }
  const message = buffer.subarray(0, length);
  const type = typeOf(repr);
  const fixedEnd = ICMPV6_HEADER_LENGTH + fixedBodyLength(type);
  message.fill(0, 0, fixedEnd);
  message[0] = type;
  switch (repr.kind) {
    case 'router-solicitation':
      break;
    case 'router-advertisement':
      checkField(repr.curHopLimit, 0xff, 'current hop limit');
      checkField(repr.routerLifetimeS, 0xffff, 'router lifetime');
      checkField(repr.reachableTimeMs, 0xffff_ffff, 'reachable time');
      checkField(repr.retransTimerMs, 0xffff_ffff, 'retransmission timer');
      message[4] = repr.curHopLimit;
      message[5] = (repr.managed ? RA_MANAGED : 0) | (repr.other ? RA_OTHER : 0);
      writeU16BE(message, 6, repr.routerLifetimeS);
      writeU32BE(message, 8, repr.reachableTimeMs);
      writeU32BE(message, 12, repr.retransTimerMs);
      break;
    case 'neighbor-solicitation':
      checkBytes(repr.target, IPV6_ADDRESS_LENGTH, 'target');
      message.set(repr.target, 8);
      break;
    case 'neighbor-advertisement':
      checkBytes(repr.target, IPV6_ADDRESS_LENGTH, 'target');
      message[4] =
        (repr.router ? NA_ROUTER : 0) |
        (repr.solicited ? NA_SOLICITED : 0) |
        (repr.override ? NA_OVERRIDE : 0);
      message.set(repr.target, 8);
      break;
    case 'redirect':
      checkBytes(repr.target, IPV6_ADDRESS_LENGTH, 'target');
      checkBytes(repr.destination, IPV6_ADDRESS_LENGTH, 'destination');
      message.set(repr.target, 8);
      message.set(repr.destination, 24);
      break;
  }
  writeOptions(repr.options, message, fixedEnd);
  writeIcmpv6Checksum(message, pseudoSum);
  return length;
}

/** Writes `options` into `message` from `offset` to its end. */
function writeOptions(options: NdpOptions, message: Uint8Array, offset: number): void {
  let at = offset;
  const begin = (type: number, length: number): number => {
    message.fill(0, at, at + length);
    message[at] = type;
    message[at + 1] = length / OPTION_UNIT;
    const start = at;
    at += length;
    return start;
  };
  for (const [type, mac] of [
    [NDP_OPTION_SOURCE_LINK_ADDRESS, options.sourceLinkAddress],
    [NDP_OPTION_TARGET_LINK_ADDRESS, options.targetLinkAddress],
  ] as const) {
    if (mac === undefined) continue;
    checkBytes(mac, MAC_LENGTH, 'link-layer address');
    message.set(mac, begin(type, LINK_ADDRESS_OPTION_LENGTH) + 2);
  }
  if (options.mtu !== undefined) {
    checkField(options.mtu, 0xffff_ffff, 'MTU');
    writeU32BE(message, begin(NDP_OPTION_MTU, MTU_OPTION_LENGTH) + 4, options.mtu);
  }
  for (const prefix of options.prefixes) {
    checkField(prefix.prefixLength, 128, 'prefix length');
    checkField(prefix.validLifetimeS, 0xffff_ffff, 'valid lifetime');
    checkField(prefix.preferredLifetimeS, 0xffff_ffff, 'preferred lifetime');
    checkBytes(prefix.prefix, IPV6_ADDRESS_LENGTH, 'prefix');
    const start = begin(NDP_OPTION_PREFIX_INFORMATION, PREFIX_OPTION_LENGTH);
    message[start + 2] = prefix.prefixLength;
    message[start + 3] =
      (prefix.onLink ? PREFIX_ON_LINK : 0) | (prefix.autonomous ? PREFIX_AUTONOMOUS : 0);
    writeU32BE(message, start + 4, prefix.validLifetimeS);
    writeU32BE(message, start + 8, prefix.preferredLifetimeS);
    message.set(prefix.prefix, start + 16);
  }
  if (options.rdnss !== undefined) {
    const { lifetimeS, servers } = options.rdnss;
    checkField(lifetimeS, 0xffff_ffff, 'RDNSS lifetime');
    // RFC 8106 §5.1: at least one address; the length field (1 + 2 per address) fits a byte.
    if (servers.length < 1 || servers.length > 127) {
      throw new RangeError(`an RDNSS option carries 1-127 servers, got ${servers.length}`);
    }
    const length = RDNSS_HEADER_LENGTH + servers.length * IPV6_ADDRESS_LENGTH;
    const start = begin(NDP_OPTION_RDNSS, length);
    writeU32BE(message, start + 4, lifetimeS);
    for (const [index, server] of servers.entries()) {
      checkBytes(server, IPV6_ADDRESS_LENGTH, 'RDNSS server');
      message.set(server, start + RDNSS_HEADER_LENGTH + index * IPV6_ADDRESS_LENGTH);
    }
  }
  if (options.nonce !== undefined) {
    const length = 2 + options.nonce.length;
    if (options.nonce.length < MIN_NONCE_LENGTH || length % OPTION_UNIT !== 0 || length > 2040) {
      throw new RangeError(
        `an NDP nonce has 6, 14, 22 ... up to 2038 bytes (RFC 3971 §5.3.2), got ${options.nonce.length}`,
      );
    }
    message.set(options.nonce, begin(NDP_OPTION_NONCE, length) + 2);
  }
}
