// The IPv6 extension-header chain (RFC 8200 §4) of a received packet, walked as a host: the
// hop-by-hop and destination options headers (§4.3, §4.6) with their options (§4.2), the
// routing header (§4.4) and the fragment header (§4.5). The walk ends at the upper-layer
// protocol (any Next Header value that is not 0, 43, 44 or 60: TCP, UDP, ICMPv6, or one this
// stack does not know, for which the caller answers Parameter Problem code 1 at
// `protocolPointer`, §4), at No Next Header (59, §4.7), or after the fragment header of a
// fragment that needs reassembly.
//
// The walk allocates nothing, on success or failure: it fills a caller-owned Ipv6HeaderChain
// (one per receive path, reused for every packet) and on failure returns that chain's `error`,
// overwritten by the next walk. Drop reasons, each counted under its key:
//
//   ipv6.truncated-extension  an extension header runs past the payload (silent drop)
//   ipv6.hop-by-hop-not-first a hop-by-hop header anywhere but first: Parameter Problem code 1
//                             at the Next Header field naming it (§4.1)
//   ipv6.bad-option           an option runs past its header, or a Router Alert whose length is
//                             not 2: code 0 at the option's length octet (§4.2; RFC 2711 §2.1)
//   ipv6.option-discard       an unrecognised option of action 01: silent drop (§4.2)
//   ipv6.unknown-option       an unrecognised option of action 10 or 11: code 2 at its type
//                             octet, for 11 only to a unicast destination (§4.2)
//   ipv6.routing-header       a routing header with segments left: code 0 at its Routing Type (§4.4)
//   ipv6.fragment-bad-length  a fragment with M set whose data is not a multiple of 8 bytes:
//                             code 0 at the Payload Length (§4.5)
//   ipv6.fragment-too-large   a fragment ending past a 65,535-byte reassembled payload: code 0
//                             at its Fragment Offset field (§4.5)
//   ipv6.incomplete-chain     a first fragment without the whole header chain: code 3, pointer
//                             0 (§4.5; RFC 7112 §5)
//   ipv6.nested-fragment      a second fragment header (silent drop)
//   ipv6.chain-too-long       more than IPV6_MAX_EXTENSION_HEADERS headers, or a chain longer
//                             than IPV6_MAX_HEADER_CHAIN_LENGTH bytes (silent drop)
//
// Parameter Problem pointers count from the start of the IPv6 header (RFC 4443 §3.4). Whether
// one is sent is the caller's call (RFC 4443 §2.4: not in reply to an ICMPv6 error, rate-limited,
// not to a multicast destination unless `evenIfMulticast`).

import { readU16BE, readU32BE, writeU16BE, writeU32BE } from '@oasis/core';
import {
  ICMPV6_PARAMETER_ERRONEOUS_FIELD,
  ICMPV6_PARAMETER_INCOMPLETE_CHAIN,
  ICMPV6_PARAMETER_UNRECOGNIZED_NEXT_HEADER,
  ICMPV6_PARAMETER_UNRECOGNIZED_OPTION,
} from './icmpv6.ts';
import { IP_PROTOCOL_TCP, IP_PROTOCOL_UDP } from './ipv4.ts';
import {
  IP_PROTOCOL_HOP_BY_HOP,
  IP_PROTOCOL_ICMPV6,
  IP_PROTOCOL_IPV6_DESTINATION_OPTIONS,
  IP_PROTOCOL_IPV6_FRAGMENT,
  IP_PROTOCOL_IPV6_NO_NEXT,
  IP_PROTOCOL_IPV6_ROUTING,
  IPV6_HEADER_LENGTH,
  IPV6_MAX_PAYLOAD_LENGTH,
  IPV6_MIN_MTU,
  IPV6_NEXT_HEADER_OFFSET,
  IPV6_PAYLOAD_LENGTH_OFFSET,
  type Ipv6Packet,
} from './ipv6.ts';
import { type WireError, wireErrors } from './wire-error.ts';

/** Next Header, Reserved, Fragment Offset + Res + M, Identification (RFC 8200 §4.5). */
export const IPV6_FRAGMENT_HEADER_LENGTH = 8;
/**
 * At most this many extension headers, fragment header included. A host sees a handful at most
 * (RFC 8200 §4.1 recommends an order of six kinds, each once but destination options twice);
 * a longer chain is an attack on the walk, and RFC 8504 §5.3 lets hosts limit it.
 */
export const IPV6_MAX_EXTENSION_HEADERS = 8;
/**
 * The fixed header and the extension headers fit in this many bytes. A first fragment must
 * carry the whole chain (RFC 7112 §5) and only IPV6_MIN_MTU bytes reach every destination
 * (RFC 8200 §5), so a longer chain cannot be relied on to arrive.
 */
export const IPV6_MAX_HEADER_CHAIN_LENGTH = IPV6_MIN_MTU;

/** Option types (RFC 8200 §4.2; Router Alert: RFC 2711 §2.1, data length 2). */
const OPTION_PAD1 = 0;
const OPTION_PADN = 1;
const OPTION_ROUTER_ALERT = 5;
const ROUTER_ALERT_LENGTH = 4;
/** The action an unrecognised option's two high-order bits ask for (RFC 8200 §4.2). */
const ACTION_SKIP = 0;
const ACTION_DISCARD = 1;
const ACTION_DISCARD_AND_REPORT = 2;

/** ICMPv6 Parameter Problem codes (RFC 4443 §3.4; code 3: RFC 7112 §5, RFC 8200 §4.5). */
export type Ipv6ParameterProblemCode = 0 | 1 | 2 | 3;

/** M, the low bit of the fragment header's third and fourth bytes (RFC 8200 §4.5). */
const MORE_FRAGMENTS = 0x0001;
/** The 13-bit Fragment Offset in 8-byte units sits above Res and M: masked, it is bytes. */
const FRAGMENT_OFFSET_BYTES_MASK = 0xfff8;

export const IPV6_CHAIN_ERRORS = wireErrors('ipv6', [
  'truncated-extension',
  'hop-by-hop-not-first',
  'bad-option',
  'option-discard',
  'unknown-option',
  'routing-header',
  'fragment-bad-length',
  'fragment-too-large',
  'incomplete-chain',
  'nested-fragment',
  'chain-too-long',
] as const);
export type Ipv6ChainReason = keyof typeof IPV6_CHAIN_ERRORS;

/** The ICMPv6 Parameter Problem (RFC 4443 §3.4) a refused packet calls for. */
export class Ipv6ParameterProblem {
  code: Ipv6ParameterProblemCode = ICMPV6_PARAMETER_ERRONEOUS_FIELD;
  /** Offset of the offending byte from the start of the IPv6 header. */
  pointer = 0;
  /**
   * Send it even to a multicast destination: the one exception RFC 4443 §2.4 (e.3) makes, for
   * an unrecognised option of action 10 (RFC 8200 §4.2).
   */
  evenIfMulticast = false;
}

/** Why a walk refused a packet. One per Ipv6HeaderChain, overwritten by each failed walk. */
export class Ipv6ChainError {
  reason: Ipv6ChainReason = 'truncated-extension';
  /** `ipv6.${reason}`, the drop counter's key. */
  key = IPV6_CHAIN_ERRORS['truncated-extension'].key;
  /** The Parameter Problem to answer with, or undefined for a silent drop. */
  icmp: Ipv6ParameterProblem | undefined = undefined;
  private readonly problem = new Ipv6ParameterProblem();

  /** Records a silent drop and returns this. */
  drop(error: WireError<Ipv6ChainReason>): this {
    this.reason = error.reason;
    this.key = error.key;
    this.icmp = undefined;
    return this;
  }

  /** Records a drop answered by a Parameter Problem and returns this. */
  report(
    error: WireError<Ipv6ChainReason>,
    code: Ipv6ParameterProblemCode,
    pointer: number,
    evenIfMulticast = false,
  ): this {
    this.drop(error);
    this.problem.code = code;
    this.problem.pointer = pointer;
    this.problem.evenIfMulticast = evenIfMulticast;
    this.icmp = this.problem;
    return this;
  }
}

/** undefined when the packet may be processed, else why not (the chain's `error`). */
export type Ipv6ChainVerdict = Ipv6ChainError | undefined;

/**
 * What `walkIpv6Headers` found. Mutable and meant to be reused: one per receive path. Offsets
 * count from the start of the IPv6 header. Fields are valid after a successful walk; after a
 * failed one only `error` is.
 *
 * Where the walk stops:
 * - an upper-layer protocol or No Next Header: `protocol` is it, `upperOffset` where its header
 *   starts (for 59, where nothing follows), `protocolPointer` the Next Header field naming it;
 * - a fragment needing reassembly (`fragment && !atomicFragment`): `protocol` is 44,
 *   `upperOffset` = `fragmentHeaderOffset`, `protocolPointer` the field naming 44, which
 *   reassembly rewrites to `fragmentNextHeader` (RFC 8200 §4.5). The headers after the fragment
 *   header belong to the fragmentable part and are processed after reassembly; in a first
 *   fragment the walk only checks that they are all there (RFC 7112 §5).
 * - an atomic fragment (offset 0, M 0; RFC 6946 §4): as a whole packet, walked past the
 *   fragment header, with `fragment` and `atomicFragment` set.
 */
export class Ipv6HeaderChain {
  /** Upper-layer protocol (e.g. 6, 17, 58, or an unknown number); 59 = no next header; 44 = reassemble. */
  protocol = IP_PROTOCOL_IPV6_NO_NEXT;
  /** Offset of the upper-layer header (of the fragment header when `protocol` is 44). */
  upperOffset = IPV6_HEADER_LENGTH;
  /** Offset of the Next Header field that named `protocol` (6 for the fixed header). */
  protocolPointer = IPV6_NEXT_HEADER_OFFSET;
  /** A fragment header was present. */
  fragment = false;
  /** It was an atomic fragment (offset 0, M 0): the packet is whole (RFC 8021, RFC 6946). */
  atomicFragment = false;
  /** In bytes: the 13-bit field × 8. */
  fragmentOffset = 0;
  moreFragments = false;
  /** Unsigned 32-bit. */
  fragmentIdentification = 0;
  /** Offset of the fragment header: the unfragmentable part ends here. */
  fragmentHeaderOffset = 0;
  /** Offset of the fragmentable part, just after the fragment header. */
  fragmentDataOffset = 0;
  /** Next Header value inside the fragment header. */
  fragmentNextHeader = 0;
  /** Router Alert option value (RFC 2711 §2.1) seen in the hop-by-hop header, or -1. MLD messages carry 0 (RFC 3810 §5). */
  routerAlert = -1;
  /** Why the last walk failed; overwritten by the next failure. */
  readonly error = new Ipv6ChainError();

  /** Back to "nothing seen": a packet without extension headers carrying no next header. */
  reset(): void {
    this.protocol = IP_PROTOCOL_IPV6_NO_NEXT;
    this.upperOffset = IPV6_HEADER_LENGTH;
    this.protocolPointer = IPV6_NEXT_HEADER_OFFSET;
    this.fragment = false;
    this.atomicFragment = false;
    this.fragmentOffset = 0;
    this.moreFragments = false;
    this.fragmentIdentification = 0;
    this.fragmentHeaderOffset = 0;
    this.fragmentDataOffset = 0;
    this.fragmentNextHeader = 0;
    this.routerAlert = -1;
  }
}

function isExtensionHeader(nextHeader: number): boolean {
  return (
    nextHeader === IP_PROTOCOL_HOP_BY_HOP ||
    nextHeader === IP_PROTOCOL_IPV6_ROUTING ||
    nextHeader === IP_PROTOCOL_IPV6_FRAGMENT ||
    nextHeader === IP_PROTOCOL_IPV6_DESTINATION_OPTIONS
  );
}

/**
 * The bytes of an upper-layer header a first fragment must hold for its chain to be complete
 * (RFC 7112 §5, RFC 8200 §4.5 "all headers through an Upper-Layer header"): TCP's fixed header
 * (RFC 9293 §3.1), UDP's (RFC 768), and ICMPv6's type, code, checksum and the first word of the
 * message body (RFC 4443 §2.1), which holds the identifier a firewall matches on; as Linux asks.
 * For other protocols reaching the header is enough.
 */
function upperHeaderMinimum(protocol: number): number {
  switch (protocol) {
    case IP_PROTOCOL_TCP:
      return 20;
    case IP_PROTOCOL_UDP:
    case IP_PROTOCOL_ICMPV6:
      return 8;
    default:
      return 0;
  }
}

/**
 * Walks the extension headers of a packet from `Ipv6Packet.checked`, filling `chain` (see
 * Ipv6HeaderChain for where it stops). Returns undefined when the packet may go on to the
 * upper layer or to reassembly, or `chain.error` saying why to drop it and whether to answer
 * with a Parameter Problem. Allocates nothing.
 */
export function walkIpv6Headers(packet: Ipv6Packet, chain: Ipv6HeaderChain): Ipv6ChainVerdict {
  chain.reset();
  const bytes = packet.bytes;
  const end = Math.min(IPV6_HEADER_LENGTH + packet.payloadLength, bytes.length);
  // ff00::/8 (RFC 4291 §2.7), read in place: `packet.destination` would allocate a view.
  const multicast = bytes[24] === 0xff;
  const error = chain.error;
  let next = bytes[IPV6_NEXT_HEADER_OFFSET]!;
  let pointer = IPV6_NEXT_HEADER_OFFSET;
  let offset = IPV6_HEADER_LENGTH;
  let headers = 0;
  // After the fragment header of a first fragment: the fragmentable part, whose headers are
  // processed after reassembly (RFC 8200 §4.5), so here they are only measured (RFC 7112 §5).
  let measureOnly = false;
  for (;;) {
    if (!isExtensionHeader(next)) {
      if (measureOnly) {
        // RFC 8200 §4.5 / RFC 7112 §5: the first fragment must hold the whole chain, through
        // the upper-layer header; No Next Header ends it too (§4.7).
        if (offset + upperHeaderMinimum(next) > end) {
          return error.report(
            IPV6_CHAIN_ERRORS['incomplete-chain'],
            ICMPV6_PARAMETER_INCOMPLETE_CHAIN,
            0,
          );
        }
        return undefined;
      }
      chain.protocol = next;
      chain.upperOffset = offset;
      chain.protocolPointer = pointer;
      return undefined;
    }
    if (++headers > IPV6_MAX_EXTENSION_HEADERS) {
      return error.drop(IPV6_CHAIN_ERRORS['chain-too-long']);
    }
    // Every extension header is a multiple of 8 bytes: the fragment header exactly 8 (§4.5),
    // the others 8 + 8 × Hdr Ext Len (§4.3, §4.4, §4.6). 0: not even 8 bytes are left.
    const length =
      offset + 8 > end
        ? 0
        : next === IP_PROTOCOL_IPV6_FRAGMENT
          ? IPV6_FRAGMENT_HEADER_LENGTH
          : (bytes[offset + 1]! + 1) * 8;
    if (length === 0 || offset + length > end) {
      // In a first fragment a header cut off at the fragment's end is an incomplete chain.
      return measureOnly
        ? error.report(IPV6_CHAIN_ERRORS['incomplete-chain'], ICMPV6_PARAMETER_INCOMPLETE_CHAIN, 0)
        : error.drop(IPV6_CHAIN_ERRORS['truncated-extension']);
    }
    if (offset + length > IPV6_MAX_HEADER_CHAIN_LENGTH) {
      return error.drop(IPV6_CHAIN_ERRORS['chain-too-long']);
    }
    switch (next) {
      case IP_PROTOCOL_HOP_BY_HOP:
      case IP_PROTOCOL_IPV6_DESTINATION_OPTIONS: {
        const hopByHop = next === IP_PROTOCOL_HOP_BY_HOP;
        if (measureOnly) break;
        // RFC 8200 §4.1: hop-by-hop options only immediately after the IPv6 header.
        if (hopByHop && offset !== IPV6_HEADER_LENGTH) {
          return error.report(
            IPV6_CHAIN_ERRORS['hop-by-hop-not-first'],
            ICMPV6_PARAMETER_UNRECOGNIZED_NEXT_HEADER,
            pointer,
          );
        }
        const verdict = walkOptions(bytes, offset + 2, offset + length, hopByHop, multicast, chain);
        if (verdict !== undefined) return verdict;
        break;
      }
      case IP_PROTOCOL_IPV6_ROUTING:
        // RFC 8200 §4.4: with Segments Left 0 the header is ignored. Otherwise a host is a
        // waypoint it cannot serve: it knows no routing type (RFC 5095 deprecates type 0; this
        // stack does not forward), so Parameter Problem code 0 at the Routing Type.
        if (!measureOnly && bytes[offset + 3] !== 0) {
          return error.report(
            IPV6_CHAIN_ERRORS['routing-header'],
            ICMPV6_PARAMETER_ERRONEOUS_FIELD,
            offset + 2,
          );
        }
        break;
      case IP_PROTOCOL_IPV6_FRAGMENT: {
        // RFC 8200 §4.5; the Reserved and Res fields are ignored.
        if (chain.fragment) return error.drop(IPV6_CHAIN_ERRORS['nested-fragment']);
        const word = readU16BE(bytes, offset + 2);
        const fragmentOffset = word & FRAGMENT_OFFSET_BYTES_MASK;
        const moreFragments = (word & MORE_FRAGMENTS) !== 0;
        const dataOffset = offset + IPV6_FRAGMENT_HEADER_LENGTH;
        const dataLength = end - dataOffset;
        // §4.5: every fragment but the last carries a multiple of 8 bytes.
        if (moreFragments && dataLength % 8 !== 0) {
          return error.report(
            IPV6_CHAIN_ERRORS['fragment-bad-length'],
            ICMPV6_PARAMETER_ERRONEOUS_FIELD,
            IPV6_PAYLOAD_LENGTH_OFFSET,
          );
        }
        // §4.5: the reassembled payload (the unfragmentable headers after the fixed header and
        // the fragmentable part) must fit the 16-bit Payload Length.
        if (offset - IPV6_HEADER_LENGTH + fragmentOffset + dataLength > IPV6_MAX_PAYLOAD_LENGTH) {
          return error.report(
            IPV6_CHAIN_ERRORS['fragment-too-large'],
            ICMPV6_PARAMETER_ERRONEOUS_FIELD,
            offset + 2,
          );
        }
        chain.fragment = true;
        chain.fragmentOffset = fragmentOffset;
        chain.moreFragments = moreFragments;
        chain.fragmentIdentification = readU32BE(bytes, offset + 4);
        chain.fragmentHeaderOffset = offset;
        chain.fragmentDataOffset = dataOffset;
        chain.fragmentNextHeader = bytes[offset]!;
        if (fragmentOffset === 0 && !moreFragments) {
          // An atomic fragment is a whole packet, processed at once and apart from any
          // reassembly (RFC 8200 §4.5, RFC 6946 §4): walk on.
          chain.atomicFragment = true;
          break;
        }
        chain.protocol = IP_PROTOCOL_IPV6_FRAGMENT;
        chain.upperOffset = offset;
        chain.protocolPointer = pointer;
        // Later fragments carry only fragmentable data; the first must carry the chain.
        if (fragmentOffset !== 0) return undefined;
        measureOnly = true;
      }
    }
    pointer = offset;
    next = bytes[offset]!;
    offset += length;
  }
}

/**
 * Processes the options in bytes[start, end) of a hop-by-hop or destination options header,
 * in order (RFC 8200 §4.2). Returns undefined to go on, else `chain.error`.
 */
function walkOptions(
  bytes: Uint8Array,
  start: number,
  end: number,
  hopByHop: boolean,
  multicast: boolean,
  chain: Ipv6HeaderChain,
): Ipv6ChainVerdict {
  const error = chain.error;
  let offset = start;
  while (offset < end) {
    const type = bytes[offset]!;
    // Pad1 is a single octet; every other option is type, length, data (§4.2).
    if (type === OPTION_PAD1) {
      offset++;
      continue;
    }
    // An option whose length octet would be past the header: point at its type instead.
    if (offset + 2 > end) {
      return error.report(
        IPV6_CHAIN_ERRORS['bad-option'],
        ICMPV6_PARAMETER_ERRONEOUS_FIELD,
        offset,
      );
    }
    const optionEnd = offset + 2 + bytes[offset + 1]!;
    if (optionEnd > end) {
      return error.report(
        IPV6_CHAIN_ERRORS['bad-option'],
        ICMPV6_PARAMETER_ERRONEOUS_FIELD,
        offset + 1,
      );
    }
    if (type === OPTION_PADN) {
      // Padding: its content is not checked (RFC 8200 §4.2 says zeros; RFC 1122 §1.2.2).
    } else if (hopByHop && type === OPTION_ROUTER_ALERT) {
      // RFC 2711 §2.1: a 2-byte value, 0 for MLD (RFC 3810 §5). A hop-by-hop option only:
      // elsewhere type 5 is unrecognised, of action 00, and skipped.
      if (optionEnd - offset !== ROUTER_ALERT_LENGTH) {
        return error.report(
          IPV6_CHAIN_ERRORS['bad-option'],
          ICMPV6_PARAMETER_ERRONEOUS_FIELD,
          offset + 1,
        );
      }
      chain.routerAlert = readU16BE(bytes, offset + 2);
    } else {
      // Unrecognised (this stack recognises no other option; Jumbo Payload 0xc2 among them,
      // RFC 2675): the two high-order bits of the type say what to do (§4.2).
      const action = type >>> 6;
      if (action === ACTION_DISCARD) return error.drop(IPV6_CHAIN_ERRORS['option-discard']);
      if (action === ACTION_DISCARD_AND_REPORT) {
        return error.report(
          IPV6_CHAIN_ERRORS['unknown-option'],
          ICMPV6_PARAMETER_UNRECOGNIZED_OPTION,
          offset,
          true,
        );
      }
      if (action !== ACTION_SKIP) {
        // 11: report only when the destination is not multicast.
        return multicast
          ? error.drop(IPV6_CHAIN_ERRORS['unknown-option'])
          : error.report(
              IPV6_CHAIN_ERRORS['unknown-option'],
              ICMPV6_PARAMETER_UNRECOGNIZED_OPTION,
              offset,
            );
      }
    }
    offset = optionEnd;
  }
  return undefined;
}

/**
 * Writes a fragment header (RFC 8200 §4.5) at `at` in `buffer`, reserved fields zero, and
 * returns its length, 8. `fragmentOffsetBytes` is where the data after the header starts in the
 * fragmentable part: a multiple of 8 in 0-65528. Allocates nothing; throws RangeError for an
 * offset out of range or a buffer too short (programmer errors).
 */
export function writeIpv6FragmentHeader(
  buffer: Uint8Array,
  at: number,
  nextHeader: number,
  fragmentOffsetBytes: number,
  moreFragments: boolean,
  identification: number,
): number {
  if (!(Number.isInteger(at) && at >= 0 && at + IPV6_FRAGMENT_HEADER_LENGTH <= buffer.length)) {
    throw new RangeError(
      `an IPv6 fragment header at ${at} needs 8 bytes, buffer has ${buffer.length}`,
    );
  }
  if ((fragmentOffsetBytes & FRAGMENT_OFFSET_BYTES_MASK) !== fragmentOffsetBytes) {
    throw new RangeError(
      `IPv6 fragment offset is a multiple of 8 in 0-65528, got ${fragmentOffsetBytes}`,
    );
  }
  buffer[at] = nextHeader;
  buffer[at + 1] = 0;
  writeU16BE(buffer, at + 2, fragmentOffsetBytes | (moreFragments ? MORE_FRAGMENTS : 0));
  writeU32BE(buffer, at + 4, identification);
  return IPV6_FRAGMENT_HEADER_LENGTH;
}
