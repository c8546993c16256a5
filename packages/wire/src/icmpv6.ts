// ICMP for IPv6 (RFC 4443): a 4-byte header (type, code, checksum) and a message body, carried as
// the upper-layer payload of an IPv6 packet (Next Header 58), so a message ends where the IPv6
// payload ends. Unlike ICMPv4, the checksum also covers the IPv6 pseudo-header (RFC 4443 §2.3,
// RFC 8200 §8.1), so every function that reads or writes it takes that sum as `pseudoSum`
// (`ipv6PseudoHeaderSum(source, destination, IP_PROTOCOL_ICMPV6, messageLength)`).
//
// Structured here: echo request and reply, and the four error messages, whose body opens with a
// 32-bit field (an MTU, a pointer, or unused) before the quoted invoking packet. Destination
// unreachable and time exceeded carry the RFC 4884 length attribute in their fifth octet (in
// 64-bit words), which splits off an extension structure kept as raw bytes. Every other message
// is kind 'other' with its body (the bytes after the 4-byte header) raw: Neighbor Discovery
// (ndp.ts) and MLD (mld.ts) messages are read from that body by their own parsers, so this union
// stays the envelope and those codecs do not depend on it. A message whose fixed fields do not
// follow the layout of its type (an echo with a nonzero code, nonzero unused bytes, an RFC 4884
// length past the end) is also kept raw, so that parse-then-emit is byte-exact for every input.
// Packet Too Big keeps its code, which receivers ignore (RFC 4443 §3.2): path MTU discovery must
// not miss one because a router set it.
//
// Deciding whether an error may be sent at all (RFC 4443 §2.4 (e)) is the stack's, helped by
// `icmpv6MayAnswerWithError`; rate-limiting it (§2.4 (f)) is the stack's alone.

import {
  err,
  internetChecksum,
  ok,
  type Result,
  readU16BE,
  readU32BE,
  sumWords,
  writeU16BE,
  writeU32BE,
} from '@oasis/core';
import { IPV6_HEADER_LENGTH, IPV6_MIN_MTU } from './ipv6.ts';
import { isIpv6Multicast, isIpv6Unspecified } from './ipv6-address.ts';
import { wireErrors } from './wire-error.ts';

/** Type, code and checksum (RFC 4443 §2.1); the message body follows. */
export const ICMPV6_HEADER_LENGTH = 4;
/** Echo and error messages: the header and their 32-bit field (RFC 4443 §3, §4). */
const FIXED_LENGTH = 8;

// Error message types (RFC 4443 §3): below 128 (§2.1).
export const ICMPV6_DESTINATION_UNREACHABLE = 1;
export const ICMPV6_PACKET_TOO_BIG = 2;
export const ICMPV6_TIME_EXCEEDED = 3;
export const ICMPV6_PARAMETER_PROBLEM = 4;
// Informational message types (RFC 4443 §4): 128 and above. NDP's are in ndp.ts, MLD's in mld.ts.
export const ICMPV6_ECHO_REQUEST = 128;
export const ICMPV6_ECHO_REPLY = 129;

// Destination unreachable codes (RFC 4443 §3.1).
export const ICMPV6_UNREACHABLE_NO_ROUTE = 0;
export const ICMPV6_UNREACHABLE_ADMIN_PROHIBITED = 1;
export const ICMPV6_UNREACHABLE_BEYOND_SCOPE = 2;
export const ICMPV6_UNREACHABLE_ADDRESS = 3;
export const ICMPV6_UNREACHABLE_PORT = 4;
export const ICMPV6_UNREACHABLE_SOURCE_POLICY = 5;
export const ICMPV6_UNREACHABLE_REJECT_ROUTE = 6;

// Time exceeded codes (RFC 4443 §3.3).
export const ICMPV6_HOP_LIMIT_EXCEEDED = 0;
export const ICMPV6_REASSEMBLY_TIME_EXCEEDED = 1;

// Parameter problem codes (RFC 4443 §3.4; code 3: RFC 7112 §5, RFC 8200 §4.5).
export const ICMPV6_PARAMETER_ERRONEOUS_FIELD = 0;
export const ICMPV6_PARAMETER_UNRECOGNIZED_NEXT_HEADER = 1;
export const ICMPV6_PARAMETER_UNRECOGNIZED_OPTION = 2;
export const ICMPV6_PARAMETER_INCOMPLETE_CHAIN = 3;

/**
 * The most an error message quotes: RFC 4443 §2.4 (c) has it carry as much of the invoking packet
 * as fits without the error packet exceeding the minimum IPv6 MTU, here sent with no extension
 * header: 1280 - 40 - 8 = 1232 bytes.
 */
export const ICMPV6_MAX_QUOTED = IPV6_MIN_MTU - IPV6_HEADER_LENGTH - FIXED_LENGTH;

/** RFC 4884 §4: ICMPv6 counts the length attribute in 64-bit words. */
const EXTENSION_WORD = 8;

export const ICMPV6_ERRORS = wireErrors('icmpv6', ['truncated', 'bad-checksum'] as const);
export type Icmpv6Error = (typeof ICMPV6_ERRORS)[keyof typeof ICMPV6_ERRORS];

/** Whether `type` is an error message: the high-order bit of the type is 0 (RFC 4443 §2.1). */
export function icmpv6IsError(type: number): boolean {
  return type < 128;
}

/** What `icmpv6MayAnswerWithError` needs to know of the invoking packet. */
export interface Icmpv6Invoking {
  /** Its IPv6 source address. */
  readonly source: Uint8Array;
  /** Its IPv6 destination address. */
  readonly destination: Uint8Array;
  /** It arrived in a link-layer multicast or broadcast frame. */
  readonly linkLayerMulticast: boolean;
  /**
   * The type of the ICMPv6 message it carries, when its header chain leads to ICMPv6 and the
   * message's first byte is there (not in a later fragment); undefined otherwise.
   */
  readonly icmpv6Type: number | undefined;
}

/**
 * Whether an error of `errorType` may be sent about `invoking` (RFC 4443 §2.4 (e)): never about
 * an ICMPv6 error message (e.1) or a Redirect (e.2), nor about a packet whose source does not
 * name a single node, unspecified or multicast (e.6; that a source is anycast only the caller can
 * know). About a packet sent to a multicast address (e.3) or in a link-layer multicast or
 * broadcast frame (e.4, e.5) only a Packet Too Big may be sent, or a Parameter Problem about an
 * unrecognised option whose action bits are 10 (RFC 8200 §4.2): pass `evenIfMulticast`, as the
 * extension header walk reports it. Rate limiting (§2.4 (f)) is the caller's. Allocates nothing.
 */
export function icmpv6MayAnswerWithError(
  errorType: number,
  invoking: Icmpv6Invoking,
  evenIfMulticast = false,
): boolean {
  const { icmpv6Type } = invoking;
  // 137 is NDP_REDIRECT (RFC 4861 §4.5), not imported: ndp.ts imports this file.
  if (icmpv6Type !== undefined && (icmpv6IsError(icmpv6Type) || icmpv6Type === 137)) return false;
  if (isIpv6Unspecified(invoking.source) || isIpv6Multicast(invoking.source)) return false;
  const toGroup = isIpv6Multicast(invoking.destination) || invoking.linkLayerMulticast;
  return !toGroup || errorType === ICMPV6_PACKET_TOO_BIG || evenIfMulticast;
}

/**
 * The bytes a message of `type` needs before any variable part: 8 for echo and the four error
 * messages (their 32-bit field), 4 for others, unknown error types included.
 */
function fixedLengthOf(type: number): number {
  return (type >= ICMPV6_DESTINATION_UNREACHABLE && type <= ICMPV6_PARAMETER_PROBLEM) ||
    type === ICMPV6_ECHO_REQUEST ||
    type === ICMPV6_ECHO_REPLY
    ? FIXED_LENGTH
    : ICMPV6_HEADER_LENGTH;
}

/** A zero-copy view of a message. Build one with `checked` for input, `unchecked` for output buffers. */
export class Icmpv6Packet {
  /** The whole message: the upper-layer payload of its IPv6 packet. */
  readonly bytes: Uint8Array;

  private constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  /**
   * Validates that the 4-byte header fits, and the 32-bit field of echo and the four error
   * messages (types 1-4, 128 and 129), after which no accessor meant for the message's type reads
   * out of bounds. The checksum is verified apart (`icmpv6ChecksumValid`).
   */
  static checked(bytes: Uint8Array): Result<Icmpv6Packet, Icmpv6Error> {
    if (bytes.length < ICMPV6_HEADER_LENGTH || bytes.length < fixedLengthOf(bytes[0]!)) {
      return err(ICMPV6_ERRORS.truncated);
    }
    return ok(new Icmpv6Packet(bytes));
  }

  /** A view over a buffer the caller sized and filled (or is about to fill) with `emitIcmpv6`. */
  static unchecked(bytes: Uint8Array): Icmpv6Packet {
    return new Icmpv6Packet(bytes);
  }

  get type(): number {
    return this.bytes[0]!;
  }

  get code(): number {
    return this.bytes[1]!;
  }

  get checksum(): number {
    return readU16BE(this.bytes, 2);
  }

  /** The message body (RFC 4443 §2.1), from byte 4, borrowed: what NDP and MLD parsers read. */
  get body(): Uint8Array {
    return this.bytes.subarray(ICMPV6_HEADER_LENGTH);
  }

  /** Echo request and reply: bytes 4-5 (RFC 4443 §4.1). */
  get identifier(): number {
    return readU16BE(this.bytes, 4);
  }

  /** Echo request and reply: bytes 6-7. */
  get sequence(): number {
    return readU16BE(this.bytes, 6);
  }

  /** Packet too big: the MTU of the next-hop link, bytes 4-7 (RFC 4443 §3.2). */
  get mtu(): number {
    return readU32BE(this.bytes, 4);
  }

  /**
   * Parameter problem: the offset in the invoking packet, from its IPv6 header on, where the
   * error was found, bytes 4-7 (RFC 4443 §3.4).
   */
  get pointer(): number {
    return readU32BE(this.bytes, 4);
  }

  /**
   * Destination unreachable and time exceeded, byte 4 (RFC 4884 §4): the length of the quoted
   * invoking packet in 64-bit words when an extension structure follows it; 0 when none does.
   */
  get quotedWords(): number {
    return this.bytes[4]!;
  }

  /** Echo data and quoted invoking packets: everything after the 32-bit field, borrowed. */
  get data(): Uint8Array {
    return this.bytes.subarray(FIXED_LENGTH);
  }
}

/**
 * Whether the checksum verifies: the sum over the pseudo-header and the whole message is all
 * ones (RFC 4443 §2.3, RFC 1071). `pseudoSum` must use the message's length as the upper-layer
 * packet length.
 */
export function icmpv6ChecksumValid(packet: Icmpv6Packet, pseudoSum: number): boolean {
  return sumWords(packet.bytes, pseudoSum) === 0xffff;
}

/**
 * Zeroes the checksum field of `message` (a whole ICMPv6 message) and writes its checksum over
 * the pseudo-header sum and the message (RFC 4443 §2.3). For emitters of message bodies this
 * file does not structure (ndp.ts, mld.ts) and for messages rewritten in place.
 */
export function writeIcmpv6Checksum(message: Uint8Array, pseudoSum: number): void {
  writeU16BE(message, 2, 0);
  writeU16BE(message, 2, internetChecksum(message, pseudoSum));
}

/**
 * What `emitIcmpv6` writes in the checksum field: a number verbatim (parsing gives the value the
 * message carried, so a parsed message emits byte-exact, even where 0x0000 and 0xffff both
 * verify), or `'compute'`.
 */
export type Icmpv6Checksum = number | 'compute';

/** Echo request (type 128) or reply (type 129), code 0 (RFC 4443 §4.1, §4.2). */
export interface Icmpv6EchoRepr {
  readonly kind: 'echo-request' | 'echo-reply';
  readonly checksum: Icmpv6Checksum;
  readonly identifier: number;
  readonly sequence: number;
  /** Borrowed from the input when parsed; a reply returns the request's data (RFC 4443 §4.2). */
  readonly data: Uint8Array;
}

/** What the four error messages share. */
interface Icmpv6ErrorFields {
  readonly checksum: Icmpv6Checksum;
  readonly code: number;
  /**
   * "As much of invoking packet as possible" (RFC 4443 §3), from its IPv6 header on, borrowed from
   * the input when parsed. With an RFC 4884 extension structure it is the zero-padded field the
   * length attribute describes (a multiple of 8 bytes).
   */
  readonly quoted: Uint8Array;
}

/** Destination unreachable and time exceeded may carry an RFC 4884 extension structure. */
interface Icmpv6ExtensibleFields extends Icmpv6ErrorFields {
  /**
   * The RFC 4884 extension structure after `quoted`, raw, when the length attribute is set;
   * undefined when it is 0 (no extension object is parsed).
   */
  readonly extensions: Uint8Array | undefined;
}

/** Type 1; codes `ICMPV6_UNREACHABLE_*`. */
export interface Icmpv6DestinationUnreachableRepr extends Icmpv6ExtensibleFields {
  readonly kind: 'destination-unreachable';
}

/** Type 2: the packet was larger than the next-hop link's MTU (RFC 4443 §3.2; RFC 8201). */
export interface Icmpv6PacketTooBigRepr extends Icmpv6ErrorFields {
  readonly kind: 'packet-too-big';
  /** The next-hop MTU, unsigned 32-bit. */
  readonly mtu: number;
}

/** Type 3: code 0 hop limit exceeded in transit, 1 fragment reassembly time exceeded. */
export interface Icmpv6TimeExceededRepr extends Icmpv6ExtensibleFields {
  readonly kind: 'time-exceeded';
}

/** Type 4; codes `ICMPV6_PARAMETER_*`. */
export interface Icmpv6ParameterProblemRepr extends Icmpv6ErrorFields {
  readonly kind: 'parameter-problem';
  /** Offset of the offending octet from the start of the invoking packet's IPv6 header. */
  readonly pointer: number;
}

/**
 * Any other message (NDP, MLD, unknown types), or one whose fixed fields do not follow the layout
 * of its type: kept raw.
 */
export interface Icmpv6OtherRepr {
  readonly kind: 'other';
  readonly checksum: Icmpv6Checksum;
  readonly type: number;
  readonly code: number;
  /** Everything after the 4-byte header, borrowed from the input when parsed. */
  readonly body: Uint8Array;
}

/** A message as plain values, by kind. */
export type Icmpv6Repr =
  | Icmpv6EchoRepr
  | Icmpv6DestinationUnreachableRepr
  | Icmpv6PacketTooBigRepr
  | Icmpv6TimeExceededRepr
  | Icmpv6ParameterProblemRepr
  | Icmpv6OtherRepr;

/**
 * Parses a message and verifies its checksum against `pseudoSum` (mandatory in ICMPv6, RFC 4443
 * §2.3). Unknown types are not an error: they parse as kind 'other'.
 */
export function parseIcmpv6(bytes: Uint8Array, pseudoSum: number): Result<Icmpv6Repr, Icmpv6Error> {
  const checked = Icmpv6Packet.checked(bytes);
  if (!checked.ok) return checked;
  const packet = checked.value;
  if (!icmpv6ChecksumValid(packet, pseudoSum)) return err(ICMPV6_ERRORS['bad-checksum']);
  return ok(reprOf(packet));
}

function reprOf(packet: Icmpv6Packet): Icmpv6Repr {
  const { type, code, checksum } = packet;
  switch (type) {
    case ICMPV6_ECHO_REQUEST:
    case ICMPV6_ECHO_REPLY:
      if (code !== 0) break;
      return {
        kind: type === ICMPV6_ECHO_REQUEST ? 'echo-request' : 'echo-reply',
        checksum,
        identifier: packet.identifier,
        sequence: packet.sequence,
        data: packet.data,
      };
    case ICMPV6_DESTINATION_UNREACHABLE:
    case ICMPV6_TIME_EXCEEDED: {
      // Bytes 5-7 are unused (RFC 4443 §3.1, §3.3; byte 4 is RFC 4884's length attribute).
      const { bytes } = packet;
      const unusedZero = (bytes[5]! | bytes[6]! | bytes[7]!) === 0;
      const split = unusedZero ? splitExtensions(packet) : undefined;
      if (split === undefined) break;
      const kind = type === ICMPV6_TIME_EXCEEDED ? 'time-exceeded' : 'destination-unreachable';
      return { kind, checksum, code, ...split };
    }
    case ICMPV6_PACKET_TOO_BIG:
      return { kind: 'packet-too-big', checksum, code, mtu: packet.mtu, quoted: packet.data };
    case ICMPV6_PARAMETER_PROBLEM:
      return {
        kind: 'parameter-problem',
        checksum,
        code,
        pointer: packet.pointer,
        quoted: packet.data,
      };
  }
  return { kind: 'other', checksum, type, code, body: packet.body };
}

interface Split {
  readonly quoted: Uint8Array;
  readonly extensions: Uint8Array | undefined;
}

/**
 * Splits the data at the RFC 4884 length attribute (0: no extension structure, the whole data is
 * the invoking packet). A length past the end describes no layout: undefined, and the message is
 * kept raw, so it still emits byte-exact.
 */
function splitExtensions(packet: Icmpv6Packet): Split | undefined {
  const data = packet.data;
  const words = packet.quotedWords;
  if (words === 0) return { quoted: data, extensions: undefined };
  const quotedLength = words * EXTENSION_WORD;
  if (quotedLength > data.length) return undefined;
  return { quoted: data.subarray(0, quotedLength), extensions: data.subarray(quotedLength) };
}

/** Header plus body: the bytes `emitIcmpv6` writes. */
export function icmpv6Length(repr: Icmpv6Repr): number {
  switch (repr.kind) {
    case 'echo-request':
    case 'echo-reply':
      return FIXED_LENGTH + repr.data.length;
    case 'destination-unreachable':
    case 'time-exceeded':
      return FIXED_LENGTH + repr.quoted.length + (repr.extensions?.length ?? 0);
    case 'packet-too-big':
    case 'parameter-problem':
      return FIXED_LENGTH + repr.quoted.length;
    case 'other':
      return ICMPV6_HEADER_LENGTH + repr.body.length;
  }
}

function checkField(value: number, max: number, name: string): void {
  if (!(Number.isInteger(value) && value >= 0 && value <= max)) {
    throw new RangeError(`ICMPv6 ${name} must be an integer in 0-${max}, got ${value}`);
  }
}

/** Byte 4 of destination unreachable and time exceeded: the RFC 4884 length attribute. */
function quotedWordsOf(repr: Icmpv6ExtensibleFields): number {
  if (repr.extensions === undefined) return 0;
  const words = repr.quoted.length / EXTENSION_WORD;
  if (!Number.isInteger(words) || words > 0xff) {
    throw new RangeError(
      `with RFC 4884 extensions the quoted packet must be a multiple of 8 bytes up to 2040, got ${repr.quoted.length}`,
    );
  }
  return words;
}

/**
 * Writes the message at the start of `buffer` and returns its length. Bodies (echo data, quoted
 * packets) are copied in before the header is written, so they may be views of `buffer` itself
 * (TypedArray `set` copies overlapping views correctly). When `repr.checksum` is 'compute', the
 * checksum is computed last over `pseudoSum` (see `icmpv6ChecksumValid`) and the message.
 * Throws RangeError for a buffer too short or a field out of range (programmer errors).
 */
export function emitIcmpv6(repr: Icmpv6Repr, buffer: Uint8Array, pseudoSum: number): number {
  const length = icmpv6Length(repr);
  if (buffer.length < length) {
    throw new RangeError(`ICMPv6 message needs ${length} bytes, buffer has ${buffer.length}`);
  }
  const { checksum } = repr;
  if (checksum !== 'compute') checkField(checksum, 0xffff, 'checksum');
  switch (repr.kind) {
    case 'echo-request':
    case 'echo-reply':
      checkField(repr.identifier, 0xffff, 'identifier');
      checkField(repr.sequence, 0xffff, 'sequence');
      buffer.set(repr.data, FIXED_LENGTH);
      buffer[0] = repr.kind === 'echo-request' ? ICMPV6_ECHO_REQUEST : ICMPV6_ECHO_REPLY;
      buffer[1] = 0;
      writeU16BE(buffer, 4, repr.identifier);
      writeU16BE(buffer, 6, repr.sequence);
      break;
    case 'destination-unreachable':
    case 'time-exceeded': {
      checkField(repr.code, 0xff, 'code');
      const words = quotedWordsOf(repr);
      if (repr.extensions !== undefined) {
        buffer.set(repr.extensions, FIXED_LENGTH + repr.quoted.length);
      }
      buffer.set(repr.quoted, FIXED_LENGTH);
      buffer[0] =
        repr.kind === 'time-exceeded' ? ICMPV6_TIME_EXCEEDED : ICMPV6_DESTINATION_UNREACHABLE;
      buffer[1] = repr.code;
      // Byte 4: the RFC 4884 length; bytes 5-7 unused, zero (RFC 4443 §3.1, §3.3).
      buffer[4] = words;
      buffer[5] = 0;
      writeU16BE(buffer, 6, 0);
      break;
    }
    case 'packet-too-big':
    case 'parameter-problem': {
      checkField(repr.code, 0xff, 'code');
      const field = repr.kind === 'packet-too-big' ? repr.mtu : repr.pointer;
      checkField(field, 0xffff_ffff, repr.kind === 'packet-too-big' ? 'MTU' : 'pointer');
      buffer.set(repr.quoted, FIXED_LENGTH);
      buffer[0] = repr.kind === 'packet-too-big' ? ICMPV6_PACKET_TOO_BIG : ICMPV6_PARAMETER_PROBLEM;
      buffer[1] = repr.code;
      writeU32BE(buffer, 4, field);
      break;
    }
    case 'other':
      checkField(repr.type, 0xff, 'type');
      checkField(repr.code, 0xff, 'code');
      buffer.set(repr.body, ICMPV6_HEADER_LENGTH);
      buffer[0] = repr.type;
      buffer[1] = repr.code;
      break;
  }
  if (checksum === 'compute') {
    writeIcmpv6Checksum(buffer.subarray(0, length), pseudoSum);
  } else {
    writeU16BE(buffer, 2, checksum);
  }
  return length;
}

/**
 * The part of `invoking` (an IPv6 packet, from its header on) that an error message about it
 * quotes: as much as fits without the error packet exceeding the minimum IPv6 MTU (RFC 4443 §2.4
 * (c)), at most `ICMPV6_MAX_QUOTED` (1232) bytes. A view, not a copy.
 */
export function icmpv6Quote(invoking: Uint8Array): Uint8Array {
  return invoking.length <= ICMPV6_MAX_QUOTED ? invoking : invoking.subarray(0, ICMPV6_MAX_QUOTED);
}

/** A destination unreachable message (`ICMPV6_UNREACHABLE_*`) about `invoking`. */
export function icmpv6DestinationUnreachable(
  code: number,
  invoking: Uint8Array,
): Icmpv6DestinationUnreachableRepr {
  return {
    kind: 'destination-unreachable',
    checksum: 'compute',
    code,
    quoted: icmpv6Quote(invoking),
    extensions: undefined,
  };
}

/** A packet too big message about `invoking`, with the next-hop link's MTU (RFC 4443 §3.2). */
export function icmpv6PacketTooBig(mtu: number, invoking: Uint8Array): Icmpv6PacketTooBigRepr {
  return {
    kind: 'packet-too-big',
    checksum: 'compute',
    code: 0,
    mtu,
    quoted: icmpv6Quote(invoking),
  };
}

/** A time exceeded message about `invoking`: code 0 hop limit, 1 reassembly timed out. */
export function icmpv6TimeExceeded(code: number, invoking: Uint8Array): Icmpv6TimeExceededRepr {
  return {
    kind: 'time-exceeded',
    checksum: 'compute',
    code,
    quoted: icmpv6Quote(invoking),
    extensions: undefined,
  };
}

/**
 * A parameter problem message (`ICMPV6_PARAMETER_*`) pointing at octet `pointer` of `invoking`,
 * counted from the start of its IPv6 header (RFC 4443 §3.4).
 */
export function icmpv6ParameterProblem(
  code: number,
  pointer: number,
  invoking: Uint8Array,
): Icmpv6ParameterProblemRepr {
  return {
    kind: 'parameter-problem',
    checksum: 'compute',
    code,
    pointer,
    quoted: icmpv6Quote(invoking),
  };
}

/**
 * The reply to an echo request: same identifier, sequence number and data (RFC 4443 §4.2), the
 * data still borrowed from the request.
 */
export function icmpv6EchoReply(request: Icmpv6EchoRepr): Icmpv6EchoRepr {
  return {
    kind: 'echo-reply',
    checksum: 'compute',
    identifier: request.identifier,
    sequence: request.sequence,
    data: request.data,
  };
}
