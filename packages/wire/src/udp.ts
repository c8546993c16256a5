// UDP datagrams (RFC 768): source and destination port, length, checksum, data. A datagram here
// is the IP payload; its checksum covers a pseudo-header of the IP layer, which the callers pass
// as a sum (`pseudoSum`, see pseudo-header.ts) so this codec is the same over IPv4 and IPv6.
// Not supported: UDP jumbograms (RFC 2675, length field 0 over IPv6 jumbo payloads).

import {
  err,
  foldSum,
  internetChecksum,
  ok,
  type Result,
  readU16BE,
  sumWords,
  writeU16BE,
} from '@oasis/core';
import { wireErrors } from './wire-error.ts';

export const UDP_HEADER_LENGTH = 8;
/**
 * Where the checksum sits in the header: the `csum_offset` of a virtio-net header asking the
 * device to finish a UDP checksum (VIRTIO_NET_HDR_F_NEEDS_CSUM, `csum_start` = the UDP header).
 */
export const UDP_CHECKSUM_OFFSET = 6;
/** The largest datagram the 16-bit length field can describe. */
export const UDP_MAX_LENGTH = 0xffff;

export const UDP_ERRORS = wireErrors('udp', ['truncated', 'bad-length', 'bad-checksum'] as const);
export type UdpError = (typeof UDP_ERRORS)[keyof typeof UDP_ERRORS];

/** A zero-copy view of a datagram. Build one with `checked` for input, `unchecked` for output buffers. */
export class UdpPacket {
  /** Exactly the datagram: header and data, without what followed its length. */
  readonly bytes: Uint8Array;

  private constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  /**
   * Validates the header and the length field, after which no accessor reads out of bounds.
   * The length counts header and data (RFC 768), so it is at least 8 and at most what arrived;
   * bytes after it (padding the IP layer left, junk inside the IP payload) are not part of the
   * datagram and are cut off, as Linux does (udp_rcv trims to the UDP length).
   */
  static checked(bytes: Uint8Array): Result<UdpPacket, UdpError> {
    if (bytes.length < UDP_HEADER_LENGTH) return err(UDP_ERRORS.truncated);
    const length = readU16BE(bytes, 4);
    if (length < UDP_HEADER_LENGTH || length > bytes.length) return err(UDP_ERRORS['bad-length']);
    return ok(new UdpPacket(length === bytes.length ? bytes : bytes.subarray(0, length)));
  }

  /** A view over a datagram the caller sized: all of `bytes`, whatever its length field says. */
  static unchecked(bytes: Uint8Array): UdpPacket {
    return new UdpPacket(bytes);
  }

  get sourcePort(): number {
    return readU16BE(this.bytes, 0);
  }

  get destinationPort(): number {
    return readU16BE(this.bytes, 2);
  }

  /** The length field: header plus data, in bytes. */
  get length(): number {
    return readU16BE(this.bytes, 4);
  }

  /** The checksum field as carried; 0 means the sender computed none (RFC 768). */
  get checksum(): number {
    return readU16BE(this.bytes, UDP_CHECKSUM_OFFSET);
  }

  /** The data, borrowed from the datagram's buffer: copy what you keep. */
  get payload(): Uint8Array {
    return this.bytes.subarray(UDP_HEADER_LENGTH);
  }
}

/**
 * Whether the checksum verifies against `pseudoSum`, the pseudo-header sum computed with this
 * datagram's length field (`ipv4PseudoHeaderSum(source, destination, 17, packet.length)`).
 * A zero checksum field means the sender computed none (RFC 768) and is valid over IPv4; over
 * IPv6 it is not (RFC 8200 §8.1): pass `allowZeroChecksum = false` there.
 */
export function udpChecksumValid(
  packet: UdpPacket,
  pseudoSum: number,
  allowZeroChecksum = true,
): boolean {
  if (packet.checksum === 0) return allowZeroChecksum;
  // The sum over pseudo-header, header and data, checksum included, is all ones (RFC 1071 §1).
  // A sender that computed 0 sends 0xffff (RFC 768), which sums to the same.
  return sumWords(packet.bytes, pseudoSum) === 0xffff;
}

/**
 * What `emitUdp` writes in the checksum field:
 * - a number: that value, verbatim. Parsing gives the value the datagram carried, so a parsed
 *   datagram emits byte-exact; 0 sends no checksum (RFC 768, IPv4 only).
 * - `'compute'`: the checksum over pseudo-header, header and data; a computed 0 is sent as
 *   0xffff, since 0 means "no checksum" (RFC 768).
 * - `'offload'`: the folded pseudo-header sum, not complemented, for a device to finish: the
 *   state a virtio-net driver hands over with VIRTIO_NET_HDR_F_NEEDS_CSUM, csum_start = the UDP
 *   header and csum_offset = 6 (VIRTIO 1.1/1.2 §5.1.6.2 "Packet Transmission": the checksum
 *   field "is set to the sum of the ... pseudo header, so that replacing it by the ones'
 *   complement checksum of the ... header and body will give the correct result"). Linux calls
 *   this CHECKSUM_PARTIAL; its software fallback (skb_checksum_help) also sends a computed 0 as
 *   0xffff.
 */
export type UdpChecksum = number | 'compute' | 'offload';

/** A datagram as plain values. */
export interface UdpRepr {
  readonly sourcePort: number;
  readonly destinationPort: number;
  readonly checksum: UdpChecksum;
  /**
   * The data. Parsing borrows it from the input buffer. Emitting copies it after the header,
   * unless it already sits there: write the data in place into `buffer.subarray(8)` and pass that
   * view, and emit only writes the header and checksum around it (zero copy).
   */
  readonly payload: Uint8Array;
}

/**
 * Parses and, given the pseudo-header sum, verifies a datagram (see `udpChecksumValid`). Pass
 * `undefined` when the device already verified the checksum (virtio-net
 * VIRTIO_NET_HDR_F_DATA_VALID) or the caller does not want it checked. The sum must be computed
 * with the UDP length field, which is the IP payload length unless bytes follow the datagram
 * inside the IP payload; callers that accept such datagrams use `UdpPacket.checked` and
 * `udpChecksumValid` with `packet.length`.
 */
export function parseUdp(
  bytes: Uint8Array,
  pseudoSum: number | undefined,
  allowZeroChecksum = true,
): Result<UdpRepr, UdpError> {
  const checked = UdpPacket.checked(bytes);
  if (!checked.ok) return checked;
  const packet = checked.value;
  if (pseudoSum !== undefined && !udpChecksumValid(packet, pseudoSum, allowZeroChecksum)) {
    return err(UDP_ERRORS['bad-checksum']);
  }
  return ok({
    sourcePort: packet.sourcePort,
    destinationPort: packet.destinationPort,
    checksum: packet.checksum,
    payload: packet.payload,
  });
}

/** Header plus data: the length field's value and the bytes `emitUdp` writes. */
export function udpLength(repr: UdpRepr): number {
  return UDP_HEADER_LENGTH + repr.payload.length;
}

function checkU16(value: number, name: string): void {
  if ((value & 0xffff) !== value) throw new RangeError(`UDP ${name} must be 0-65535, got ${value}`);
}

/**
 * Writes the datagram (header and data) at the start of `buffer` and returns its length.
 * `pseudoSum` is the pseudo-header sum for `udpLength(repr)` bytes; it is needed when
 * `repr.checksum` is 'compute' or 'offload' and ignored for a verbatim value.
 * Throws RangeError for a buffer too short, a field out of range, a datagram longer than 65535
 * bytes or a missing pseudo-header sum (programmer errors).
 */
export function emitUdp(repr: UdpRepr, buffer: Uint8Array, pseudoSum?: number): number {
  const length = udpLength(repr);
  if (length > UDP_MAX_LENGTH)
    throw new RangeError(`UDP datagram of ${length} bytes exceeds ${UDP_MAX_LENGTH}`);
  if (buffer.length < length)
    throw new RangeError(`UDP datagram needs ${length} bytes, buffer has ${buffer.length}`);
  checkU16(repr.sourcePort, 'source port');
  checkU16(repr.destinationPort, 'destination port');
  const { checksum } = repr;
  if (typeof checksum === 'number') checkU16(checksum, 'checksum');
  else if (pseudoSum === undefined)
    throw new RangeError(`UDP checksum '${checksum}' needs the pseudo-header sum`);

  // The payload first: it may come from the bytes the header is about to overwrite.
  const { payload } = repr;
  const inPlace =
    payload.buffer === buffer.buffer &&
    payload.byteOffset === buffer.byteOffset + UDP_HEADER_LENGTH;
  if (!inPlace) buffer.set(payload, UDP_HEADER_LENGTH);
  writeU16BE(buffer, 0, repr.sourcePort);
  writeU16BE(buffer, 2, repr.destinationPort);
  writeU16BE(buffer, 4, length);

  if (typeof checksum === 'number') {
    writeU16BE(buffer, UDP_CHECKSUM_OFFSET, checksum);
  } else if (checksum === 'offload') {
    writeU16BE(buffer, UDP_CHECKSUM_OFFSET, foldSum(pseudoSum!));
  } else {
    writeU16BE(buffer, UDP_CHECKSUM_OFFSET, 0);
    const computed = internetChecksum(buffer.subarray(0, length), pseudoSum);
    // RFC 768: "If the computed checksum is zero, it is transmitted as all ones".
    writeU16BE(buffer, UDP_CHECKSUM_OFFSET, computed === 0 ? 0xffff : computed);
  }
  return length;
}
