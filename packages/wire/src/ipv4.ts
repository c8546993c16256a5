// IPv4 headers (RFC 791 §3.1), with the type-of-service octet read as the DS field of RFC 2474 §3
// and the ECN field of RFC 3168 §5. Addresses are unsigned 32-bit numbers (see ipv4-address.ts).
//
// Checksums. `checked` does not verify the header checksum, because a device may already have;
// `checksumValid()` does, and `parseIpv4` calls it unless told not to. As in the other codecs,
// the representation's `checksum` is either a number, written verbatim (parsing gives the value
// received, so any accepted header re-emits byte for byte, a bad checksum accepted with
// `verifyChecksum: false` or the rare second valid form, 0xffff for 0x0000, RFC 1624 §3,
// included), or 'compute'. A repr derived from a parsed one with changed fields must say
// `checksum: 'compute'`.
//
// Options are kept as raw bytes (RFC 791 §3.1: a header carries any options, in any order,
// padded to a 32-bit boundary). `checked` only verifies that each option fits in the header;
// `ipv4Options` iterates over them.

import {
  err,
  finishChecksum,
  foldSum,
  ok,
  type Result,
  readU16BE,
  readU32BE,
  updateChecksum16,
  updateChecksum32,
  writeU16BE,
  writeU32BE,
} from '@oasis/core';
import { isIpv4Address } from './ipv4-address.ts';
import { wireErrors } from './wire-error.ts';

/** Protocol numbers (IANA "Assigned Internet Protocol Numbers", RFC 791 §3.1 "Protocol"). */
export const IP_PROTOCOL_ICMP = 1;
export const IP_PROTOCOL_TCP = 6;
export const IP_PROTOCOL_UDP = 17;

/** The header without options. */
export const IPV4_HEADER_LENGTH = 20;
/** IHL is four bits of 32-bit words: at most 60 header bytes, 40 of them options. */
export const IPV4_MAX_OPTIONS_LENGTH = 40;
/** Option types with no length octet (RFC 791 §3.1 "Options", cases 1 and 2 of the format). */
export const IPV4_OPTION_END = 0;
export const IPV4_OPTION_NOP = 1;

const FLAG_RESERVED = 0x8000;
const FLAG_DONT_FRAGMENT = 0x4000;
const FLAG_MORE_FRAGMENTS = 0x2000;
const FRAGMENT_OFFSET_MASK = 0x1fff;

export const IPV4_ERRORS = wireErrors('ipv4', [
  'truncated',
  'bad-version',
  'bad-header-length',
  'bad-total-length',
  'bad-options',
  'bad-checksum',
] as const);
export type Ipv4Error = (typeof IPV4_ERRORS)[keyof typeof IPV4_ERRORS];

/**
 * Whether the options in bytes[start, end) each fit (RFC 791 §3.1): an option is a single type
 * octet (End of Option List, No Operation) or a type octet, a length octet counting both and the
 * data, and the data. After End of Option List comes padding, which RFC 791 says is zero but
 * which is not checked (RFC 1122 §1.2.2: be liberal in what you accept).
 */
function optionsFit(bytes: Uint8Array, start: number, end: number): boolean {
  let offset = start;
  while (offset < end) {
    const type = bytes[offset]!;
    if (type === IPV4_OPTION_END) return true;
    if (type === IPV4_OPTION_NOP) {
      offset++;
      continue;
    }
    if (offset + 1 >= end) return false;
    const length = bytes[offset + 1]!;
    if (length < 2 || offset + length > end) return false;
    offset += length;
  }
  return true;
}

/** Whether raw options (the bytes between the fixed header and the payload) are well formed. */
export function ipv4OptionsValid(options: Uint8Array): boolean {
  return optionsFit(options, 0, options.length);
}

/** One option, its bytes borrowed from the header. */
export interface Ipv4Option {
  /** The option-type octet: copied flag, class and number (RFC 791 §3.1). */
  readonly type: number;
  /** The whole option, type and length octets included: what fragmentation copies. */
  readonly bytes: Uint8Array;
  /** The option data after the type and length octets. */
  readonly data: Uint8Array;
}

/**
 * The options carrying information, in order: No Operation and End of Option List (and the
 * padding after it) are alignment, not yielded. The options must be valid (`Ipv4Packet.checked`
 * ensures it, `ipv4OptionsValid` checks it); for malformed ones this throws RangeError.
 */
export function* ipv4Options(options: Uint8Array): Generator<Ipv4Option, void, undefined> {
  let offset = 0;
  while (offset < options.length) {
    const type = options[offset]!;
    if (type === IPV4_OPTION_END) return;
    if (type === IPV4_OPTION_NOP) {
      offset++;
      continue;
    }
    const length = options[offset + 1] ?? 0;
    if (length < 2 || offset + length > options.length) {
      throw new RangeError(
        `IPv4 option ${type} at offset ${offset} runs off the options: check them with ipv4OptionsValid first`,
      );
    }
    const bytes = options.subarray(offset, offset + length);
    yield { type, bytes, data: bytes.subarray(2) };
    offset += length;
  }
}

/** The copied flag: whether fragmentation copies the option into every fragment (RFC 791 §3.1). */
export function isIpv4OptionCopied(type: number): boolean {
  return (type & 0x80) !== 0;
}

/** The unfolded sum of the header's 16-bit words (at most 30 words: no overflow). */
function headerSum(bytes: Uint8Array, headerLength: number): number {
  let sum = 0;
  for (let i = 0; i < headerLength; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  return sum;
}

/** A zero-copy view of a packet. Build one with `checked` for input, `unchecked` for output buffers. */
export class Ipv4Packet {
  /** The bytes given, possibly longer than the packet (Ethernet padding): see `totalLength`. */
  readonly bytes: Uint8Array;
  /** IHL × 4: 20 bytes plus options. */
  readonly headerLength: number;

  private constructor(bytes: Uint8Array, headerLength: number) {
    this.bytes = bytes;
    this.headerLength = headerLength;
  }

  /**
   * Validates the header's structure, after which no accessor reads out of bounds: the version,
   * the header length (IHL, at least 5 words), the total length (at least the header, at most
   * the bytes given; bytes past it are link-layer padding) and the options' lengths. It does not
   * verify the checksum: see `checksumValid`.
   */
  static checked(bytes: Uint8Array): Result<Ipv4Packet, Ipv4Error> {
    if (bytes.length < IPV4_HEADER_LENGTH) return err(IPV4_ERRORS.truncated);
    const first = bytes[0]!;
    if (first >>> 4 !== 4) return err(IPV4_ERRORS['bad-version']);
    const headerLength = (first & 0x0f) * 4;
    // RFC 791 §3.1: "the minimum value for a correct header is 5".
    if (headerLength < IPV4_HEADER_LENGTH) return err(IPV4_ERRORS['bad-header-length']);
    if (bytes.length < headerLength) return err(IPV4_ERRORS.truncated);
    const totalLength = readU16BE(bytes, 2);
    // A total length past the bytes received means a truncated packet; one below the header
    // length is impossible (RFC 1122 §3.2.1.1 treats both as errors that drop the datagram).
    if (totalLength < headerLength || totalLength > bytes.length) {
      return err(IPV4_ERRORS['bad-total-length']);
    }
    if (!optionsFit(bytes, IPV4_HEADER_LENGTH, headerLength))
      return err(IPV4_ERRORS['bad-options']);
    return ok(new Ipv4Packet(bytes, headerLength));
  }

  /** A view over a buffer holding a header the caller emitted (IHL must be set). */
  static unchecked(bytes: Uint8Array): Ipv4Packet {
    return new Ipv4Packet(bytes, (bytes[0]! & 0x0f) * 4);
  }

  get version(): number {
    return this.bytes[0]! >>> 4;
  }

  /** Differentiated services codepoint, the high six bits of the old TOS octet (RFC 2474 §3). */
  get dscp(): number {
    return this.bytes[1]! >>> 2;
  }

  /** Explicit congestion notification, the low two bits (RFC 3168 §5): 0 not ECT, 3 CE. */
  get ecn(): number {
    return this.bytes[1]! & 0x03;
  }

  /** Header and payload, in bytes. */
  get totalLength(): number {
    return readU16BE(this.bytes, 2);
  }

  get identification(): number {
    return readU16BE(this.bytes, 4);
  }

  /** Flag bit 0, "reserved, must be zero" (RFC 791 §3.1); kept so headers round-trip. */
  get reservedFlag(): boolean {
    return (readU16BE(this.bytes, 6) & FLAG_RESERVED) !== 0;
  }

  get dontFragment(): boolean {
    return (readU16BE(this.bytes, 6) & FLAG_DONT_FRAGMENT) !== 0;
  }

  get moreFragments(): boolean {
    return (readU16BE(this.bytes, 6) & FLAG_MORE_FRAGMENTS) !== 0;
  }

  /** In bytes: the field counts 8-byte units (RFC 791 §3.1 "Fragment Offset"). */
  get fragmentOffset(): number {
    return (readU16BE(this.bytes, 6) & FRAGMENT_OFFSET_MASK) * 8;
  }

  /** Whether this packet is a fragment, first or later, rather than a whole datagram. */
  get isFragment(): boolean {
    return (readU16BE(this.bytes, 6) & (FLAG_MORE_FRAGMENTS | FRAGMENT_OFFSET_MASK)) !== 0;
  }

  get ttl(): number {
    return this.bytes[8]!;
  }

  get protocol(): number {
    return this.bytes[9]!;
  }

  /** The header checksum field as received. */
  get checksum(): number {
    return readU16BE(this.bytes, 10);
  }

  get source(): number {
    return readU32BE(this.bytes, 12);
  }

  get destination(): number {
    return readU32BE(this.bytes, 16);
  }

  /** The header, options included. */
  get header(): Uint8Array {
    return this.bytes.subarray(0, this.headerLength);
  }

  /** The raw options, empty for a 20-byte header. */
  get options(): Uint8Array {
    return this.bytes.subarray(IPV4_HEADER_LENGTH, this.headerLength);
  }

  /** bytes[headerLength, totalLength): link-layer padding after the packet is left out. */
  get payload(): Uint8Array {
    return this.bytes.subarray(this.headerLength, this.totalLength);
  }

  /**
   * Whether the header checksum verifies: the one's complement sum of the header, checksum
   * included, is all ones (RFC 791 §3.1, RFC 1071 §1). Allocates nothing.
   */
  checksumValid(): boolean {
    return foldSum(headerSum(this.bytes, this.headerLength)) === 0xffff;
  }

  /**
   * Decrements the TTL in place and updates the checksum incrementally (RFC 1624 §3; RFC 1812
   * §5.3.1 for forwarding). Returns the new TTL. A router must not forward a packet whose TTL
   * this brings to 0, and must not call this on a TTL of 0, which throws RangeError.
   */
  decrementTtl(): number {
    const ttl = this.bytes[8]!;
    if (ttl === 0) {
      throw new RangeError(
        'TTL is already 0: drop the packet (RFC 1812 §5.3.1), do not forward it',
      );
    }
    // TTL is the high octet of the 16-bit word it shares with the protocol.
    const oldWord = readU16BE(this.bytes, 8);
    this.bytes[8] = ttl - 1;
    writeU16BE(this.bytes, 10, updateChecksum16(this.checksum, oldWord, oldWord - 0x100));
    return ttl - 1;
  }

  /**
   * Rewrites the source address in place, updating the header checksum incrementally (RFC 1624
   * §3). The TCP or UDP checksum, which covers the address through its pseudo-header, is the
   * caller's to update.
   */
  setSource(address: number): void {
    this.rewriteAddress(12, address);
  }

  /** As `setSource`, for the destination address. */
  setDestination(address: number): void {
    this.rewriteAddress(16, address);
  }

  private rewriteAddress(offset: number, address: number): void {
    if (!isIpv4Address(address)) {
      throw new RangeError(`${address} is not an IPv4 address (an integer in 0-4294967295)`);
    }
    const old = readU32BE(this.bytes, offset);
    writeU32BE(this.bytes, offset, address);
    writeU16BE(this.bytes, 10, updateChecksum32(this.checksum, old, address));
  }
}

/** A header as plain values. */
export interface Ipv4Repr {
  /** 0-63 (RFC 2474 §3). */
  readonly dscp: number;
  /** 0-3 (RFC 3168 §5). */
  readonly ecn: number;
  readonly identification: number;
  /** The reserved flag bit; false in anything Oasis sends (RFC 791 §3.1). */
  readonly reservedFlag: boolean;
  readonly dontFragment: boolean;
  readonly moreFragments: boolean;
  /** In bytes, a multiple of 8, at most 65528. */
  readonly fragmentOffset: number;
  readonly ttl: number;
  readonly protocol: number;
  readonly source: number;
  readonly destination: number;
  /** Raw options, a multiple of 4 bytes (padded with End of Option List), at most 40. */
  readonly options: Uint8Array;
  /** Bytes after the header: the total length is `ipv4HeaderLength(repr) + payloadLength`. */
  readonly payloadLength: number;
  /** A value written verbatim (parsing gives the one received), or 'compute'. */
  readonly checksum: Ipv4Checksum;
}

export type Ipv4Checksum = number | 'compute';

export interface Ipv4ParseOptions {
  /** Refuse a header whose checksum does not verify ('bad-checksum'). Default true; false when the device verified it. */
  readonly verifyChecksum?: boolean;
}

export function parseIpv4(
  bytes: Uint8Array,
  { verifyChecksum = true }: Ipv4ParseOptions = {},
): Result<Ipv4Repr, Ipv4Error> {
  const checked = Ipv4Packet.checked(bytes);
  if (!checked.ok) return checked;
  const packet = checked.value;
  if (verifyChecksum && !packet.checksumValid()) return err(IPV4_ERRORS['bad-checksum']);
  return ok({
    dscp: packet.dscp,
    ecn: packet.ecn,
    identification: packet.identification,
    reservedFlag: packet.reservedFlag,
    dontFragment: packet.dontFragment,
    moreFragments: packet.moreFragments,
    fragmentOffset: packet.fragmentOffset,
    ttl: packet.ttl,
    protocol: packet.protocol,
    source: packet.source,
    destination: packet.destination,
    options: packet.options.slice(),
    payloadLength: packet.totalLength - packet.headerLength,
    checksum: packet.checksum,
  });
}

/** 20 bytes plus the options. */
export function ipv4HeaderLength(repr: Ipv4Repr): number {
  return IPV4_HEADER_LENGTH + repr.options.length;
}

function checkField(name: string, value: number, max: number): void {
  if (!(Number.isInteger(value) && value >= 0 && value <= max)) {
    throw new RangeError(`IPv4 ${name} is an integer in 0-${max}, got ${value}`);
  }
}

/**
 * Writes the header at the start of `buffer`, with the checksum `repr.checksum` says, and
 * returns its length; the payload goes after it. Throws RangeError for a buffer too short or a
 * field out of range (programmer errors).
 */
export function emitIpv4(repr: Ipv4Repr, buffer: Uint8Array): number {
  const headerLength = ipv4HeaderLength(repr);
  if (buffer.length < headerLength) {
    throw new RangeError(`IPv4 header needs ${headerLength} bytes, buffer has ${buffer.length}`);
  }
  const { options } = repr;
  // RFC 791 §3.1: the header ends on a 32-bit boundary, padded with zeros (End of Option List).
  if (options.length % 4 !== 0 || options.length > IPV4_MAX_OPTIONS_LENGTH) {
    throw new RangeError(
      `IPv4 options take a multiple of 4 bytes up to 40 (pad with End of Option List), got ${options.length}`,
    );
  }
  if (!ipv4OptionsValid(options)) {
    throw new RangeError('IPv4 options are malformed: an option runs off the end');
  }
  checkField('DSCP', repr.dscp, 0x3f);
  checkField('ECN', repr.ecn, 0x03);
  checkField('identification', repr.identification, 0xffff);
  checkField('TTL', repr.ttl, 0xff);
  checkField('protocol', repr.protocol, 0xff);
  checkField('payload length', repr.payloadLength, 0xffff - headerLength);
  // The field counts 8-byte units (RFC 791 §3.1): every fragment but the last carries a
  // multiple of 8 payload bytes.
  const offsetUnits = repr.fragmentOffset / 8;
  if (!(Number.isInteger(offsetUnits) && offsetUnits >= 0 && offsetUnits <= FRAGMENT_OFFSET_MASK)) {
    throw new RangeError(
      `IPv4 fragment offset is a multiple of 8 in 0-65528, got ${repr.fragmentOffset}`,
    );
  }
  if (!isIpv4Address(repr.source) || !isIpv4Address(repr.destination)) {
    throw new RangeError(
      `IPv4 addresses are integers in 0-4294967295, got ${repr.source} and ${repr.destination}`,
    );
  }
  if (repr.checksum !== 'compute') checkField('checksum', repr.checksum, 0xffff);
  buffer[0] = 0x40 | (headerLength >>> 2);
  buffer[1] = (repr.dscp << 2) | repr.ecn;
  writeU16BE(buffer, 2, headerLength + repr.payloadLength);
  writeU16BE(buffer, 4, repr.identification);
  writeU16BE(
    buffer,
    6,
    (repr.reservedFlag ? FLAG_RESERVED : 0) |
      (repr.dontFragment ? FLAG_DONT_FRAGMENT : 0) |
      (repr.moreFragments ? FLAG_MORE_FRAGMENTS : 0) |
      offsetUnits,
  );
  buffer[8] = repr.ttl;
  buffer[9] = repr.protocol;
  writeU16BE(buffer, 10, 0);
  writeU32BE(buffer, 12, repr.source);
  writeU32BE(buffer, 16, repr.destination);
  buffer.set(options, IPV4_HEADER_LENGTH);
  // RFC 791 §3.1: the checksum is computed with the checksum field zero.
  const checksum =
    repr.checksum === 'compute' ? finishChecksum(headerSum(buffer, headerLength)) : repr.checksum;
  writeU16BE(buffer, 10, checksum);
  return headerLength;
}
