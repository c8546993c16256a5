// TCP segments (RFC 9293 §3.1): ports, sequence and acknowledgment numbers, data offset, control
// bits, window, checksum, urgent pointer, options, data. A segment here is the IP payload; TCP has
// no length field of its own, so the segment ends where the IP layer says. Its checksum covers a
// pseudo-header of the IP layer, which callers pass as a sum (`pseudoSum`, see pseudo-header.ts),
// so the codec is the same over IPv4 and IPv6.
//
// Options are kept as raw bytes here, so any segment re-emits byte for byte, unknown or malformed
// options included; tcp-options.ts reads the ones the stack understands and writes its own.
//
// Two ways to write a segment: `emitTcp` from a plain `TcpRepr` (checked, for tests, tools and
// the odd control segment), and for the stack's hot path `writeTcpHeader`, `writeTcpOptions` (or
// its single-option variants) and `tcpFinishChecksum`, which allocate nothing.

import {
  err,
  foldSum,
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

/** The header without options: data offset 5. */
export const TCP_HEADER_LENGTH = 20;
/** The data offset is four bits of 32-bit words: at most 60 header bytes, 40 of them options. */
export const TCP_MAX_HEADER_LENGTH = 60;
/**
 * Where the checksum sits in the header: the `csum_offset` of a virtio-net header asking the
 * device to finish a TCP checksum (VIRTIO_NET_HDR_F_NEEDS_CSUM, `csum_start` = the TCP header).
 */
export const TCP_CHECKSUM_OFFSET = 16;

/** Control bits, the low eight bits of byte 13 (RFC 9293 §3.1; CWR and ECE from RFC 3168 §6.1). */
export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;
export const TCP_URG = 0x20;
export const TCP_ECE = 0x40;
export const TCP_CWR = 0x80;

export const TCP_ERRORS = wireErrors('tcp', ['truncated', 'bad-offset', 'bad-checksum'] as const);
export type TcpError = (typeof TCP_ERRORS)[keyof typeof TCP_ERRORS];

/** A zero-copy view of a segment. Build one with `checked` for input, `unchecked` for output buffers. */
export class TcpPacket {
  /** The segment: header, options and data, as the IP layer delimited it. */
  readonly bytes: Uint8Array;

  private constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  /**
   * Validates the header, after which no accessor reads out of bounds: at least the 20 fixed
   * bytes ('truncated'), and a data offset of at least 5 words that the bytes hold ('bad-offset';
   * RFC 9293 §3.1 "Data Offset": "the number of 32-bit words in the TCP header", and the fixed
   * header alone is 5). The options themselves are not checked: see `parseTcpOptions`, whose
   * verdict on an illegal option length is the stack's to act on (RFC 9293 §3.1 MUST-7).
   */
  static checked(bytes: Uint8Array): Result<TcpPacket, TcpError> {
    if (bytes.length < TCP_HEADER_LENGTH) return err(TCP_ERRORS.truncated);
    const headerLength = (bytes[12]! >>> 4) << 2;
    if (headerLength < TCP_HEADER_LENGTH || headerLength > bytes.length) {
      return err(TCP_ERRORS['bad-offset']);
    }
    return ok(new TcpPacket(bytes));
  }

  /** A view over a segment the caller sized and whose data offset it set (or will set). */
  static unchecked(bytes: Uint8Array): TcpPacket {
    return new TcpPacket(bytes);
  }

  get sourcePort(): number {
    return readU16BE(this.bytes, 0);
  }

  get destinationPort(): number {
    return readU16BE(this.bytes, 2);
  }

  /** Unsigned 32-bit; compare with the wrap-aware helpers of the sequence space, not `<`. */
  get sequence(): number {
    return readU32BE(this.bytes, 4);
  }

  /** Unsigned 32-bit; meaningful only with ACK set (RFC 9293 §3.1 "Acknowledgment Number"). */
  get acknowledgment(): number {
    return readU32BE(this.bytes, 8);
  }

  /** Data offset × 4: the fixed header plus the options, in bytes. */
  get headerLength(): number {
    return (this.bytes[12]! >>> 4) << 2;
  }

  /**
   * The four bits between data offset and the control bits (RFC 9293 §3.1 "Rsrvd", which
   * senders set to zero; the lowest was RFC 3540's historic NS bit). Kept so segments round-trip.
   */
  get reservedBits(): number {
    return this.bytes[12]! & 0x0f;
  }

  /** The control bits: test them with TCP_SYN, TCP_ACK and the others. */
  get flags(): number {
    return this.bytes[13]!;
  }

  /** The window field as carried, not scaled (RFC 7323 §2.2: SYN windows are never scaled). */
  get window(): number {
    return readU16BE(this.bytes, 14);
  }

  get checksum(): number {
    return readU16BE(this.bytes, TCP_CHECKSUM_OFFSET);
  }

  /** Meaningful only with URG set (RFC 9293 §3.1 "Urgent Pointer"). */
  get urgentPointer(): number {
    return readU16BE(this.bytes, 18);
  }

  /** The raw options, borrowed, empty for a 20-byte header: read them with `parseTcpOptions`. */
  get options(): Uint8Array {
    return this.bytes.subarray(TCP_HEADER_LENGTH, (this.bytes[12]! >>> 4) << 2);
  }

  /** The data, borrowed from the segment's buffer: copy what you keep. */
  get payload(): Uint8Array {
    return this.bytes.subarray((this.bytes[12]! >>> 4) << 2);
  }
}

/**
 * Whether the checksum verifies against `pseudoSum`, the pseudo-header sum for this segment's
 * length (`ipv4PseudoHeaderSum(source, destination, 6, packet.bytes.length)`): the sum over
 * pseudo-header, header and data, checksum included, is all ones (RFC 9293 §3.1 "Checksum",
 * RFC 1071 §1). Unlike UDP, a zero field is no "not computed" marker: it is checked like any
 * other value. Allocates nothing.
 */
export function tcpChecksumValid(packet: TcpPacket, pseudoSum: number): boolean {
  return sumWords(packet.bytes, pseudoSum) === 0xffff;
}

/**
 * What `emitTcp` (and `tcpFinishChecksum`) writes in the checksum field:
 * - a number: that value, verbatim. Parsing gives the value the segment carried, so a parsed
 *   segment emits byte-exact.
 * - `'compute'`: the checksum over pseudo-header, header and data (RFC 9293 §3.1). A computed
 *   0x0000 is sent as is: TCP gives zero no special meaning, and its other form 0xffff (which a
 *   device finishing an offloaded checksum may write instead, as Linux's skb_checksum_help does)
 *   verifies the same.
 * - `'offload'`: the folded pseudo-header sum, not complemented, for a device to finish: the
 *   state a virtio-net driver hands over with VIRTIO_NET_HDR_F_NEEDS_CSUM, csum_start = the TCP
 *   header and csum_offset = 16 (VIRTIO 1.1/1.2 §5.1.6.2 "Packet Transmission"), and what TSO
 *   (VIRTIO_NET_HDR_GSO_TCPV4/V6) expects in each segment it cuts.
 */
export type TcpChecksum = number | 'compute' | 'offload';

/** A segment as plain values. */
export interface TcpRepr {
  readonly sourcePort: number;
  readonly destinationPort: number;
  /** Unsigned 32-bit. */
  readonly sequence: number;
  /** Unsigned 32-bit; 0 is what senders put here without ACK. */
  readonly acknowledgment: number;
  /** The control bits, 0-255: TCP_SYN | TCP_ACK and so on. */
  readonly flags: number;
  /** The reserved bits, 0-15; zero in anything Oasis sends (RFC 9293 §3.1 "Rsrvd"). */
  readonly reservedBits: number;
  /** The window field, 0-65535, already scaled down by the sender's shift. */
  readonly window: number;
  readonly checksum: TcpChecksum;
  readonly urgentPointer: number;
  /**
   * Raw option bytes, a multiple of 4 up to 40 (RFC 9293 §3.1 "Options": the header ends on a
   * 32-bit boundary), written verbatim: build them with `writeTcpOptions`. Parsing borrows them
   * from the input buffer.
   */
  readonly options: Uint8Array;
  /**
   * The data. Parsing borrows it from the input buffer. Emitting copies it after the header,
   * unless it already sits there: write the data in place into `buffer.subarray(20 +
   * options.length)` and pass that view, and emit only writes the header around it (zero copy).
   */
  readonly payload: Uint8Array;
}

/**
 * Parses and, given the pseudo-header sum, verifies a segment (see `tcpChecksumValid`). Pass
 * `undefined` when the device already verified the checksum (virtio-net
 * VIRTIO_NET_HDR_F_DATA_VALID) or the caller does not want it checked. Options and data are
 * borrowed from `bytes`.
 */
export function parseTcp(
  bytes: Uint8Array,
  pseudoSum: number | undefined,
): Result<TcpRepr, TcpError> {
  const checked = TcpPacket.checked(bytes);
  if (!checked.ok) return checked;
  const packet = checked.value;
  if (pseudoSum !== undefined && !tcpChecksumValid(packet, pseudoSum)) {
    return err(TCP_ERRORS['bad-checksum']);
  }
  return ok({
    sourcePort: packet.sourcePort,
    destinationPort: packet.destinationPort,
    sequence: packet.sequence,
    acknowledgment: packet.acknowledgment,
    flags: packet.flags,
    reservedBits: packet.reservedBits,
    window: packet.window,
    checksum: packet.checksum,
    urgentPointer: packet.urgentPointer,
    options: packet.options,
    payload: packet.payload,
  });
}

/** Header, options and data: the transport length of the pseudo-header, and the bytes `emitTcp` writes. */
export function tcpLength(repr: TcpRepr): number {
  return TCP_HEADER_LENGTH + repr.options.length + repr.payload.length;
}

function checkField(name: string, value: number, max: number): void {
  if (!(Number.isInteger(value) && value >= 0 && value <= max)) {
    throw new RangeError(`TCP ${name} is an integer in 0-${max}, got ${value}`);
  }
}

/** Whether `part` is a view of `buffer`'s memory starting `offset` bytes into `buffer`. */
function sitsAt(part: Uint8Array, buffer: Uint8Array, offset: number): boolean {
  return part.buffer === buffer.buffer && part.byteOffset === buffer.byteOffset + offset;
}

/**
 * Writes the segment (header, options, data) at the start of `buffer` and returns its length.
 * `pseudoSum` is the pseudo-header sum for `tcpLength(repr)` bytes; it is needed when
 * `repr.checksum` is 'compute' or 'offload' and ignored for a verbatim value. The options are
 * written as given, without checking their structure, so that any parsed segment re-emits.
 * Throws RangeError for a buffer too short, options not a multiple of 4 bytes or longer than
 * 40, a field out of range or a missing pseudo-header sum (programmer errors).
 */
export function emitTcp(repr: TcpRepr, buffer: Uint8Array, pseudoSum?: number): number {
  const { options, payload, checksum } = repr;
  // RFC 9293 §3.1 "Options": the header is padded to a 32-bit boundary, and the data offset's
  // four bits allow 15 words, 10 of them options.
  if (options.length % 4 !== 0 || options.length > TCP_MAX_HEADER_LENGTH - TCP_HEADER_LENGTH) {
    throw new RangeError(
      `TCP options take a multiple of 4 bytes up to 40 (pad with NOP or End of Option List), got ${options.length}`,
    );
  }
  const headerLength = TCP_HEADER_LENGTH + options.length;
  const length = headerLength + payload.length;
  if (buffer.length < length) {
    throw new RangeError(`TCP segment needs ${length} bytes, buffer has ${buffer.length}`);
  }
  checkField('source port', repr.sourcePort, 0xffff);
  checkField('destination port', repr.destinationPort, 0xffff);
  checkField('sequence number', repr.sequence, 0xffff_ffff);
  checkField('acknowledgment number', repr.acknowledgment, 0xffff_ffff);
  checkField('flags', repr.flags, 0xff);
  checkField('reserved bits', repr.reservedBits, 0x0f);
  checkField('window', repr.window, 0xffff);
  checkField('urgent pointer', repr.urgentPointer, 0xffff);
  if (typeof checksum === 'number') checkField('checksum', checksum, 0xffff);
  else if (pseudoSum === undefined) {
    throw new RangeError(`TCP checksum '${checksum}' needs the pseudo-header sum`);
  }

  // The data first: it may come from the bytes the header is about to overwrite. Options taken
  // from elsewhere in this buffer are set aside first, in case the data lands on them.
  const optionsInPlace = sitsAt(options, buffer, TCP_HEADER_LENGTH);
  const optionsSource =
    !optionsInPlace && options.length !== 0 && options.buffer === buffer.buffer
      ? options.slice()
      : options;
  if (!sitsAt(payload, buffer, headerLength)) buffer.set(payload, headerLength);
  if (!optionsInPlace) buffer.set(optionsSource, TCP_HEADER_LENGTH);
  writeTcpHeader(
    buffer,
    repr.sourcePort,
    repr.destinationPort,
    repr.sequence,
    repr.acknowledgment,
    headerLength,
    repr.flags,
    repr.window,
    repr.urgentPointer,
  );
  buffer[12] = (headerLength << 2) | repr.reservedBits;

  if (typeof checksum === 'number') writeU16BE(buffer, TCP_CHECKSUM_OFFSET, checksum);
  else tcpFinishChecksum(buffer.subarray(0, length), pseudoSum!, checksum);
  return length;
}

/**
 * The hot-path header writer: the 20 fixed bytes at the start of `buffer`, with the reserved
 * bits and the checksum field zero. Write the options after it (`writeTcpOptions`,
 * `writeTimestampOption`, `writeSackOption`), the data after them, then the checksum with
 * `tcpFinishChecksum`. `headerLength` is 20 plus the options' length, a multiple of 4 up to 60;
 * the other values are written truncated to their field widths and must be in range. Allocates
 * nothing; throws RangeError only for a bad header length or a buffer shorter than 20 bytes.
 */
export function writeTcpHeader(
  buffer: Uint8Array,
  sourcePort: number,
  destinationPort: number,
  sequence: number,
  acknowledgment: number,
  headerLength: number,
  flags: number,
  window: number,
  urgentPointer: number,
): void {
  if (
    !(headerLength >= TCP_HEADER_LENGTH && headerLength <= TCP_MAX_HEADER_LENGTH) ||
    (headerLength & 3) !== 0
  ) {
    throw new RangeError(`TCP header length is a multiple of 4 in 20-60, got ${headerLength}`);
  }
  if (buffer.length < TCP_HEADER_LENGTH) {
    throw new RangeError(`TCP header needs 20 bytes, buffer has ${buffer.length}`);
  }
  writeU16BE(buffer, 0, sourcePort);
  writeU16BE(buffer, 2, destinationPort);
  writeU32BE(buffer, 4, sequence);
  writeU32BE(buffer, 8, acknowledgment);
  // Data offset in 32-bit words in the high nibble (RFC 9293 §3.1), reserved bits zero.
  buffer[12] = headerLength << 2;
  buffer[13] = flags;
  writeU16BE(buffer, 14, window);
  writeU16BE(buffer, TCP_CHECKSUM_OFFSET, 0);
  writeU16BE(buffer, 18, urgentPointer);
}

/**
 * Writes the checksum of `segment` (exactly the segment: header, options and data, all written)
 * into its checksum field. `pseudoSum` is the pseudo-header sum for `segment.length` bytes.
 * 'compute' computes it in software (RFC 9293 §3.1), ignoring what the field held; 'offload'
 * leaves the folded pseudo-header sum for the device (see `TcpChecksum`). Allocates nothing.
 */
export function tcpFinishChecksum(
  segment: Uint8Array,
  pseudoSum: number,
  mode: 'compute' | 'offload',
): void {
  if (mode === 'offload') {
    writeU16BE(segment, TCP_CHECKSUM_OFFSET, foldSum(pseudoSum));
    return;
  }
  // The field counts as zero while computing (RFC 9293 §3.1 "Checksum").
  writeU16BE(segment, TCP_CHECKSUM_OFFSET, 0);
  writeU16BE(segment, TCP_CHECKSUM_OFFSET, internetChecksum(segment, pseudoSum));
}
