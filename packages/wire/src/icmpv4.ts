// ICMP for IPv4 (RFC 792): an 8-byte header (type, code, checksum, 4 bytes whose meaning depends
// on the type) and a body, carried as the whole payload of an IPv4 datagram, so a message ends
// where the IP payload ends. The checksum covers the whole message (RFC 792) and no
// pseudo-header. Structured here: echo request and reply, destination unreachable (with the
// next-hop MTU of RFC 1191 §4), time exceeded, parameter problem, and the length attribute of
// RFC 4884 §4 on the last three, which splits off their extension structure (kept as raw bytes:
// no extension object is parsed). Every other message, and any message whose fixed fields do not follow these
// layouts, is kept raw, so that parse-then-emit is byte-exact for every input.
// Error messages quote the offending datagram (its IP header and at least 8 bytes of data,
// RFC 792; RFC 1122 §3.2.2) as raw bytes, for the IPv4 codec to read. Deciding when an error
// may be sent at all (never about an ICMP error, a broadcast, a fragment other than the first:
// RFC 1122 §3.2.2) and rate-limiting it is the stack's job, not the codec's.

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
import { wireErrors } from './wire-error.ts';

export const ICMPV4_HEADER_LENGTH = 8;

// Message types (RFC 792).
export const ICMPV4_ECHO_REPLY = 0;
export const ICMPV4_DESTINATION_UNREACHABLE = 3;
export const ICMPV4_REDIRECT = 5;
export const ICMPV4_ECHO_REQUEST = 8;
export const ICMPV4_TIME_EXCEEDED = 11;
export const ICMPV4_PARAMETER_PROBLEM = 12;

// Destination unreachable codes: 0-5 RFC 792, 6-12 RFC 1122 §3.2.2.1, 13 RFC 1812 §5.2.7.1.
export const ICMPV4_UNREACHABLE_NET = 0;
export const ICMPV4_UNREACHABLE_HOST = 1;
export const ICMPV4_UNREACHABLE_PROTOCOL = 2;
export const ICMPV4_UNREACHABLE_PORT = 3;
/** "Fragmentation needed and DF set"; carries the next-hop MTU (RFC 1191 §4). */
export const ICMPV4_UNREACHABLE_FRAGMENTATION_NEEDED = 4;
export const ICMPV4_UNREACHABLE_ADMIN_PROHIBITED = 13;

// Time exceeded codes (RFC 792).
export const ICMPV4_TTL_EXCEEDED = 0;
export const ICMPV4_REASSEMBLY_TIME_EXCEEDED = 1;

/**
 * The largest IP datagram carrying an ICMP error: RFC 1812 §4.3.2.3 has routers quote "as much
 * of the original datagram as possible without the length of the ICMP datagram exceeding 576
 * bytes", 576 being the datagram size every host accepts (RFC 791).
 */
export const ICMPV4_ERROR_MAX_DATAGRAM = 576;

export const ICMPV4_ERRORS = wireErrors('icmpv4', ['truncated', 'bad-checksum'] as const);
export type Icmpv4Error = (typeof ICMPV4_ERRORS)[keyof typeof ICMPV4_ERRORS];

/** A zero-copy view of a message. Build one with `checked` for input, `unchecked` for output buffers. */
export class Icmpv4Packet {
  /** The whole message: the IP payload. */
  readonly bytes: Uint8Array;

  private constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  /**
   * Validates that the 8-byte header fits, after which no accessor reads out of bounds. The
   * checksum is verified apart (`icmpv4ChecksumValid`); unknown types are not an error.
   */
  static checked(bytes: Uint8Array): Result<Icmpv4Packet, Icmpv4Error> {
    if (bytes.length < ICMPV4_HEADER_LENGTH) return err(ICMPV4_ERRORS.truncated);
    return ok(new Icmpv4Packet(bytes));
  }

  /** A view over a buffer the caller sized and filled (or is about to fill) with `emitIcmpv4`. */
  static unchecked(bytes: Uint8Array): Icmpv4Packet {
    return new Icmpv4Packet(bytes);
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

  /** Bytes 4-7 as one unsigned 32-bit number, whatever the type makes of them. */
  get restOfHeader(): number {
    return readU32BE(this.bytes, 4);
  }

  /** Echo request and reply: bytes 4-5. */
  get identifier(): number {
    return readU16BE(this.bytes, 4);
  }

  /** Echo request and reply: bytes 6-7. */
  get sequence(): number {
    return readU16BE(this.bytes, 6);
  }

  /** Parameter problem: the octet of the quoted header where the error was found (RFC 792). */
  get pointer(): number {
    return this.bytes[4]!;
  }

  /**
   * Destination unreachable, time exceeded and parameter problem, byte 5 (RFC 4884 §4): the
   * length of the quoted "original datagram" in 32-bit words when an extension structure follows
   * it; 0 when none does (and in every message from before RFC 4884).
   */
  get quotedWords(): number {
    return this.bytes[5]!;
  }

  /** Destination unreachable, code 4: the MTU of the next-hop network (RFC 1191 §4), bytes 6-7. */
  get nextHopMtu(): number {
    return readU16BE(this.bytes, 6);
  }

  /** Everything after the 8-byte header, borrowed from the message's buffer: copy what you keep. */
  get body(): Uint8Array {
    return this.bytes.subarray(ICMPV4_HEADER_LENGTH);
  }
}

/** Whether the checksum verifies: the sum over the whole message is all ones (RFC 792, RFC 1071). */
export function icmpv4ChecksumValid(packet: Icmpv4Packet): boolean {
  return sumWords(packet.bytes) === 0xffff;
}

/**
 * What `emitIcmpv4` writes in the checksum field: a number verbatim (parsing gives the value the
 * message carried, so a parsed message emits byte-exact, even where 0x0000 and 0xffff both
 * verify), or `'compute'`.
 */
export type Icmpv4Checksum = number | 'compute';

/** Echo request (type 8) or reply (type 0), code 0 (RFC 792). */
export interface Icmpv4EchoRepr {
  readonly kind: 'echo-request' | 'echo-reply';
  readonly checksum: Icmpv4Checksum;
  readonly identifier: number;
  readonly sequence: number;
  /** Borrowed from the input when parsed; a reply returns the request's data unchanged (RFC 792). */
  readonly data: Uint8Array;
}

/** What the three error messages with an "original datagram" field share. */
interface Icmpv4ErrorFields {
  readonly checksum: Icmpv4Checksum;
  readonly code: number;
  /**
   * The "original datagram": the offending datagram's IP header and the start of its data (RFC
   * 792), borrowed from the input when parsed. With an RFC 4884 extension structure it is the
   * padded field the length attribute describes (a multiple of 4 bytes, up to 1020).
   */
  readonly quoted: Uint8Array;
  /**
   * The RFC 4884 extension structure after `quoted`, as raw bytes, when the length attribute is
   * set; undefined when it is 0. Extensions sent without the length attribute (the pre-RFC 4884
   * MPLS practice that RFC 4884 keeps compatible with) stay inside `quoted`.
   */
  readonly extensions: Uint8Array | undefined;
}

/** Type 3. */
export interface Icmpv4DestinationUnreachableRepr extends Icmpv4ErrorFields {
  readonly kind: 'destination-unreachable';
  /**
   * Bytes 6-7: the next-hop MTU for code 4 (RFC 1191 §4); unused for other codes and normally 0
   * (RFC 792), carried as received.
   */
  readonly nextHopMtu: number;
}

/** Type 11: code 0 TTL exceeded in transit, code 1 fragment reassembly time exceeded. */
export interface Icmpv4TimeExceededRepr extends Icmpv4ErrorFields {
  readonly kind: 'time-exceeded';
}

/** Type 12. */
export interface Icmpv4ParameterProblemRepr extends Icmpv4ErrorFields {
  readonly kind: 'parameter-problem';
  /** The octet of the quoted datagram where the error was found (code 0, RFC 792). */
  readonly pointer: number;
}

/**
 * Any other message, or one whose fixed fields do not follow the layout of its type (an echo
 * with a nonzero code, nonzero unused bytes, an RFC 4884 length past the end): kept raw.
 */
export interface Icmpv4OtherRepr {
  readonly kind: 'other';
  readonly checksum: Icmpv4Checksum;
  readonly type: number;
  readonly code: number;
  /** Bytes 4-7 as an unsigned 32-bit number (a redirect's gateway address, for example). */
  readonly restOfHeader: number;
  /** Borrowed from the input when parsed. */
  readonly body: Uint8Array;
}

/** A message as plain values, by kind. */
export type Icmpv4Repr =
  | Icmpv4EchoRepr
  | Icmpv4DestinationUnreachableRepr
  | Icmpv4TimeExceededRepr
  | Icmpv4ParameterProblemRepr
  | Icmpv4OtherRepr;

/**
 * Parses a message and, unless `verifyChecksum` is false, verifies its checksum. Unknown types
 * are not an error: they parse as kind 'other'.
 */
export function parseIcmpv4(
  bytes: Uint8Array,
  verifyChecksum = true,
): Result<Icmpv4Repr, Icmpv4Error> {
  const checked = Icmpv4Packet.checked(bytes);
  if (!checked.ok) return checked;
  const packet = checked.value;
  if (verifyChecksum && !icmpv4ChecksumValid(packet)) return err(ICMPV4_ERRORS['bad-checksum']);
  return ok(reprOf(packet));
}

function reprOf(packet: Icmpv4Packet): Icmpv4Repr {
  const { type, code, checksum } = packet;
  switch (type) {
    case ICMPV4_ECHO_REQUEST:
    case ICMPV4_ECHO_REPLY:
      if (code !== 0) break;
      return {
        kind: type === ICMPV4_ECHO_REQUEST ? 'echo-request' : 'echo-reply',
        checksum,
        identifier: packet.identifier,
        sequence: packet.sequence,
        data: packet.body,
      };
    case ICMPV4_DESTINATION_UNREACHABLE: {
      // Byte 4 is unused (RFC 792, RFC 1191 §4, RFC 4884 §4).
      const split = packet.pointer === 0 ? splitExtensions(packet) : undefined;
      if (split === undefined) break;
      return {
        kind: 'destination-unreachable',
        checksum,
        code,
        nextHopMtu: packet.nextHopMtu,
        quoted: split.quoted,
        extensions: split.extensions,
      };
    }
    case ICMPV4_TIME_EXCEEDED: {
      // Bytes 4, 6 and 7 are unused (RFC 792, RFC 4884 §4).
      const unusedZero = packet.pointer === 0 && packet.nextHopMtu === 0;
      const split = unusedZero ? splitExtensions(packet) : undefined;
      if (split === undefined) break;
      return { kind: 'time-exceeded', checksum, code, ...split };
    }
    case ICMPV4_PARAMETER_PROBLEM: {
      // Bytes 6 and 7 are unused (RFC 792, RFC 4884 §4).
      const split = packet.nextHopMtu === 0 ? splitExtensions(packet) : undefined;
      if (split === undefined) break;
      return { kind: 'parameter-problem', checksum, code, pointer: packet.pointer, ...split };
    }
  }
  return {
    kind: 'other',
    checksum,
    type,
    code,
    restOfHeader: packet.restOfHeader,
    body: packet.body,
  };
}

interface Split {
  readonly quoted: Uint8Array;
  readonly extensions: Uint8Array | undefined;
}

/**
 * Splits the body at the RFC 4884 length attribute (§4: 32-bit words of original datagram; 0:
 * no extension structure, the whole body is the original datagram). A length past the end of
 * the message describes no layout: it returns undefined, and the message is kept raw, so it
 * still emits byte-exact.
 */
function splitExtensions(packet: Icmpv4Packet): Split | undefined {
  const body = packet.body;
  const words = packet.quotedWords;
  if (words === 0) return { quoted: body, extensions: undefined };
  const quotedLength = words * 4;
  if (quotedLength > body.length) return undefined;
  return { quoted: body.subarray(0, quotedLength), extensions: body.subarray(quotedLength) };
}

/** Header plus body: the bytes `emitIcmpv4` writes. */
export function icmpv4Length(repr: Icmpv4Repr): number {
  switch (repr.kind) {
    case 'echo-request':
    case 'echo-reply':
      return ICMPV4_HEADER_LENGTH + repr.data.length;
    case 'destination-unreachable':
    case 'time-exceeded':
    case 'parameter-problem':
      return ICMPV4_HEADER_LENGTH + repr.quoted.length + (repr.extensions?.length ?? 0);
    case 'other':
      return ICMPV4_HEADER_LENGTH + repr.body.length;
  }
}

function checkField(value: number, mask: number, name: string): void {
  if ((value & mask) !== value)
    throw new RangeError(`ICMPv4 ${name} must be 0-${mask}, got ${value}`);
}

/**
 * Copies `part` to `buffer[offset..]` unless it already sits there (written in place). Bodies are
 * placed before the header is written: they may come from the bytes the header overwrites.
 */
function place(buffer: Uint8Array, part: Uint8Array, offset: number): void {
  if (part.buffer === buffer.buffer && part.byteOffset === buffer.byteOffset + offset) return;
  buffer.set(part, offset);
}

/** Byte 5 of an error message: the RFC 4884 length attribute of its quoted datagram. */
function quotedWordsOf(repr: Icmpv4ErrorFields): number {
  if (repr.extensions === undefined) return 0;
  const words = repr.quoted.length / 4;
  if (!Number.isInteger(words) || words > 0xff) {
    throw new RangeError(
      `with RFC 4884 extensions the quoted datagram must be a multiple of 4 bytes up to 1020, got ${repr.quoted.length}`,
    );
  }
  return words;
}

/**
 * Writes the message at the start of `buffer` and returns its length. Bodies (echo data, quoted
 * datagrams) are copied after the header unless they already sit there: write them in place
 * into `buffer.subarray(8)` and pass that view to skip the copy. The checksum is computed last,
 * over the whole message, when `repr.checksum` is 'compute'.
 * Throws RangeError for a buffer too short or a field out of range (programmer errors).
 */
export function emitIcmpv4(repr: Icmpv4Repr, buffer: Uint8Array): number {
  const length = icmpv4Length(repr);
  if (buffer.length < length)
    throw new RangeError(`ICMPv4 message needs ${length} bytes, buffer has ${buffer.length}`);
  const { checksum } = repr;
  if (checksum !== 'compute') checkField(checksum, 0xffff, 'checksum');
  switch (repr.kind) {
    case 'echo-request':
    case 'echo-reply':
      checkField(repr.identifier, 0xffff, 'identifier');
      checkField(repr.sequence, 0xffff, 'sequence');
      place(buffer, repr.data, ICMPV4_HEADER_LENGTH);
      buffer[0] = repr.kind === 'echo-request' ? ICMPV4_ECHO_REQUEST : ICMPV4_ECHO_REPLY;
      buffer[1] = 0;
      writeU16BE(buffer, 4, repr.identifier);
      writeU16BE(buffer, 6, repr.sequence);
      break;
    case 'destination-unreachable':
    case 'time-exceeded':
    case 'parameter-problem': {
      checkField(repr.code, 0xff, 'code');
      const words = quotedWordsOf(repr);
      // Byte 4 and bytes 6-7 are unused (zero) but for the pointer and the next-hop MTU.
      let type = ICMPV4_TIME_EXCEEDED;
      let byte4 = 0;
      let bytes67 = 0;
      if (repr.kind === 'destination-unreachable') {
        checkField(repr.nextHopMtu, 0xffff, 'next-hop MTU');
        type = ICMPV4_DESTINATION_UNREACHABLE;
        bytes67 = repr.nextHopMtu;
      } else if (repr.kind === 'parameter-problem') {
        checkField(repr.pointer, 0xff, 'pointer');
        type = ICMPV4_PARAMETER_PROBLEM;
        byte4 = repr.pointer;
      }
      if (repr.extensions !== undefined) {
        place(buffer, repr.extensions, ICMPV4_HEADER_LENGTH + repr.quoted.length);
      }
      place(buffer, repr.quoted, ICMPV4_HEADER_LENGTH);
      buffer[0] = type;
      buffer[1] = repr.code;
      buffer[4] = byte4;
      buffer[5] = words;
      writeU16BE(buffer, 6, bytes67);
      break;
    }
    case 'other':
      checkField(repr.type, 0xff, 'type');
      checkField(repr.code, 0xff, 'code');
      if (repr.restOfHeader >>> 0 !== repr.restOfHeader) {
        throw new RangeError(
          `ICMPv4 rest of header must be 0-4294967295, got ${repr.restOfHeader}`,
        );
      }
      place(buffer, repr.body, ICMPV4_HEADER_LENGTH);
      buffer[0] = repr.type;
      buffer[1] = repr.code;
      writeU32BE(buffer, 4, repr.restOfHeader);
      break;
  }
  if (checksum === 'compute') {
    writeU16BE(buffer, 2, 0);
    writeU16BE(buffer, 2, internetChecksum(buffer.subarray(0, length)));
  } else {
    writeU16BE(buffer, 2, checksum);
  }
  return length;
}

/**
 * The part of `offending` (an IPv4 datagram, from its header on) that an error message about it
 * quotes: as much as fits in an ICMP error datagram of `maxDatagramLength` bytes (RFC 1812
 * §4.3.2.3; 576 by default) sent with an IP header of `ipHeaderLength` bytes, and never less
 * than its IP header and 8 bytes of data (RFC 792, RFC 1122 §3.2.2). A view, not a copy.
 * Throws RangeError when that minimum does not fit.
 */
export function icmpv4Quote(
  offending: Uint8Array,
  maxDatagramLength = ICMPV4_ERROR_MAX_DATAGRAM,
  ipHeaderLength = 20,
): Uint8Array {
  const room = maxDatagramLength - ipHeaderLength - ICMPV4_HEADER_LENGTH;
  // The Internet Header Length field counts 32-bit words (RFC 791 §3.1).
  const required = Math.min(offending.length, ((offending[0] ?? 0) & 0x0f) * 4 + 8);
  if (!(room >= required)) {
    throw new RangeError(
      `an ICMP error of at most ${maxDatagramLength} bytes cannot quote the ${required} bytes RFC 792 requires`,
    );
  }
  return offending.length <= room ? offending : offending.subarray(0, room);
}

/**
 * A destination unreachable message about `offending` (an IPv4 datagram), quoting as much as
 * fits in `maxDatagramLength` (see `icmpv4Quote`). For code 4 use `icmpv4FragmentationNeeded`.
 */
export function icmpv4DestinationUnreachable(
  code: number,
  offending: Uint8Array,
  maxDatagramLength = ICMPV4_ERROR_MAX_DATAGRAM,
): Icmpv4DestinationUnreachableRepr {
  return {
    kind: 'destination-unreachable',
    checksum: 'compute',
    code,
    nextHopMtu: 0,
    quoted: icmpv4Quote(offending, maxDatagramLength),
    extensions: undefined,
  };
}

/**
 * "Fragmentation needed and DF set" about `offending`, with the MTU of the next-hop network
 * (RFC 1191 §4), for path MTU discovery.
 */
export function icmpv4FragmentationNeeded(
  nextHopMtu: number,
  offending: Uint8Array,
  maxDatagramLength = ICMPV4_ERROR_MAX_DATAGRAM,
): Icmpv4DestinationUnreachableRepr {
  return {
    ...icmpv4DestinationUnreachable(
      ICMPV4_UNREACHABLE_FRAGMENTATION_NEEDED,
      offending,
      maxDatagramLength,
    ),
    nextHopMtu,
  };
}

/** A time exceeded message about `offending`: code 0 TTL exceeded, 1 reassembly timed out. */
export function icmpv4TimeExceeded(
  code: number,
  offending: Uint8Array,
  maxDatagramLength = ICMPV4_ERROR_MAX_DATAGRAM,
): Icmpv4TimeExceededRepr {
  return {
    kind: 'time-exceeded',
    checksum: 'compute',
    code,
    quoted: icmpv4Quote(offending, maxDatagramLength),
    extensions: undefined,
  };
}

/** A parameter problem message (code 0) pointing at octet `pointer` of `offending`'s header. */
export function icmpv4ParameterProblem(
  pointer: number,
  offending: Uint8Array,
  maxDatagramLength = ICMPV4_ERROR_MAX_DATAGRAM,
): Icmpv4ParameterProblemRepr {
  return {
    kind: 'parameter-problem',
    checksum: 'compute',
    code: 0,
    pointer,
    quoted: icmpv4Quote(offending, maxDatagramLength),
    extensions: undefined,
  };
}

/**
 * The reply to an echo request: same identifier, sequence and data (RFC 792; RFC 1122 §3.2.2.6),
 * the data still borrowed from the request.
 */
export function icmpv4EchoReply(request: Icmpv4EchoRepr): Icmpv4EchoRepr {
  return {
    kind: 'echo-reply',
    checksum: 'compute',
    identifier: request.identifier,
    sequence: request.sequence,
    data: request.data,
  };
}
