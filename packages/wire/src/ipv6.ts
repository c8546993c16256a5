// IPv6 headers (RFC 8200 §3): the fixed 40 bytes, with the traffic class read as the DS field of
// RFC 2474 §3 and the ECN field of RFC 3168 §5 by whoever needs them. Addresses are 16-byte
// Uint8Arrays (see ipv6-address.ts). The extension headers that may follow are walked by
// ipv6-extension.ts. There is no header checksum (RFC 8200 §3 dropped it; the upper layers'
// pseudo-header covers the addresses, see pseudo-header.ts).
//
// Not supported: jumbograms (RFC 2675: payload length 0 and a Jumbo Payload hop-by-hop option),
// which only links with an MTU above 65,575 bytes can carry; `checked` refuses them.

import { err, ok, type Result, readU16BE, writeU16BE } from '@oasis/core';
import { IPV6_ADDRESS_LENGTH } from './ipv6-address.ts';
import { wireErrors } from './wire-error.ts';

/** The fixed header; extension headers follow it inside the payload. */
export const IPV6_HEADER_LENGTH = 40;
/** Every link must carry packets of this size (RFC 8200 §5). */
export const IPV6_MIN_MTU = 1280;
/** The largest payload the 16-bit Payload Length field describes. */
export const IPV6_MAX_PAYLOAD_LENGTH = 0xffff;

/**
 * Next Header values for extension headers and the others IPv6 adds (IANA "Assigned Internet
 * Protocol Numbers"; RFC 8200 §4, RFC 4443 §1). TCP and UDP are in ipv4.ts: the numbers are
 * shared by both versions.
 */
export const IP_PROTOCOL_HOP_BY_HOP = 0;
export const IP_PROTOCOL_IPV6_ROUTING = 43;
export const IP_PROTOCOL_IPV6_FRAGMENT = 44;
export const IP_PROTOCOL_ICMPV6 = 58;
export const IP_PROTOCOL_IPV6_NO_NEXT = 59;
export const IP_PROTOCOL_IPV6_DESTINATION_OPTIONS = 60;

/** Where the Payload Length field sits (RFC 8200 §3): what a Parameter Problem may point at. */
export const IPV6_PAYLOAD_LENGTH_OFFSET = 4;
/** Where the Next Header field of the fixed header sits. */
export const IPV6_NEXT_HEADER_OFFSET = 6;

const MAX_FLOW_LABEL = 0xfffff;

export const IPV6_ERRORS = wireErrors('ipv6', [
  'truncated',
  'bad-version',
  'bad-length',
  'jumbogram',
] as const);
export type Ipv6Error = (typeof IPV6_ERRORS)[keyof typeof IPV6_ERRORS];

/** A zero-copy view of a packet. Build one with `checked` for input, `unchecked` for output buffers. */
export class Ipv6Packet {
  /** The bytes given, possibly longer than the packet (Ethernet padding): see `totalLength`. */
  readonly bytes: Uint8Array;

  private constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  /**
   * Validates the fixed header, after which no accessor reads out of bounds: at least 40 bytes,
   * version 6, and a payload length that fits in the bytes given (bytes past it are link-layer
   * padding and ignored). Extension headers are not looked at: see `walkIpv6Headers`.
   */
  static checked(bytes: Uint8Array): Result<Ipv6Packet, Ipv6Error> {
    if (bytes.length < IPV6_HEADER_LENGTH) return err(IPV6_ERRORS.truncated);
    if (bytes[0]! >>> 4 !== 6) return err(IPV6_ERRORS['bad-version']);
    const payloadLength = readU16BE(bytes, IPV6_PAYLOAD_LENGTH_OFFSET);
    // RFC 2675 §2: a payload length of 0 with a hop-by-hop header announces a jumbogram, whose
    // length is in the Jumbo Payload option. Unsupported; without a hop-by-hop header a length of
    // 0 is an empty payload (Next Header 59, RFC 8200 §4.7).
    if (payloadLength === 0 && bytes[IPV6_NEXT_HEADER_OFFSET] === IP_PROTOCOL_HOP_BY_HOP) {
      return err(IPV6_ERRORS.jumbogram);
    }
    // RFC 8200 §3 "Payload Length": the packet ends there; a length past the bytes received
    // means a truncated packet.
    if (IPV6_HEADER_LENGTH + payloadLength > bytes.length) return err(IPV6_ERRORS['bad-length']);
    return ok(new Ipv6Packet(bytes));
  }

  /** A view over a buffer holding a header the caller emitted (the payload length must be set). */
  static unchecked(bytes: Uint8Array): Ipv6Packet {
    return new Ipv6Packet(bytes);
  }

  get version(): number {
    return this.bytes[0]! >>> 4;
  }

  /** The eight bits after the version: DSCP in the high six, ECN in the low two (RFC 8200 §7). */
  get trafficClass(): number {
    return ((this.bytes[0]! & 0x0f) << 4) | (this.bytes[1]! >>> 4);
  }

  /** 20 bits (RFC 8200 §6, RFC 6437); 0 when the source does not label flows. */
  get flowLabel(): number {
    return ((this.bytes[1]! & 0x0f) << 16) | readU16BE(this.bytes, 2);
  }

  /** Bytes after the fixed header, extension headers included (RFC 8200 §3). */
  get payloadLength(): number {
    return readU16BE(this.bytes, IPV6_PAYLOAD_LENGTH_OFFSET);
  }

  /** The first extension header's or the upper layer's protocol number. */
  get nextHeader(): number {
    return this.bytes[IPV6_NEXT_HEADER_OFFSET]!;
  }

  get hopLimit(): number {
    return this.bytes[7]!;
  }

  /** A view of the 16 address bytes, not a copy: copy it to keep it past the packet. */
  get source(): Uint8Array {
    return this.bytes.subarray(8, 24);
  }

  /** A view of the 16 address bytes, not a copy: copy it to keep it past the packet. */
  get destination(): Uint8Array {
    return this.bytes.subarray(24, 40);
  }

  /** bytes[40, 40 + payloadLength): link-layer padding after the packet is left out. */
  get payload(): Uint8Array {
    return this.bytes.subarray(IPV6_HEADER_LENGTH, this.totalLength);
  }

  /** Header and payload, in bytes. */
  get totalLength(): number {
    return IPV6_HEADER_LENGTH + this.payloadLength;
  }
}

/** A fixed header as plain values. */
export interface Ipv6Repr {
  /** 0-255: DSCP << 2 | ECN (RFC 8200 §7, RFC 2474 §3, RFC 3168 §5). */
  readonly trafficClass: number;
  /** 0-0xfffff (RFC 6437). */
  readonly flowLabel: number;
  readonly nextHeader: number;
  readonly hopLimit: number;
  /** 16 bytes. */
  readonly source: Uint8Array;
  /** 16 bytes. */
  readonly destination: Uint8Array;
  /** Bytes after the fixed header, extension headers included; 0-65535. */
  readonly payloadLength: number;
}

/** The fixed header, its addresses copied out of `bytes`. */
export function parseIpv6(bytes: Uint8Array): Result<Ipv6Repr, Ipv6Error> {
  const checked = Ipv6Packet.checked(bytes);
  if (!checked.ok) return checked;
  const packet = checked.value;
  return ok({
    trafficClass: packet.trafficClass,
    flowLabel: packet.flowLabel,
    nextHeader: packet.nextHeader,
    hopLimit: packet.hopLimit,
    source: packet.source.slice(),
    destination: packet.destination.slice(),
    payloadLength: packet.payloadLength,
  });
}

function checkField(name: string, value: number, max: number): void {
  if (!(Number.isInteger(value) && value >= 0 && value <= max)) {
    throw new RangeError(`IPv6 ${name} is an integer in 0-${max}, got ${value}`);
  }
}

/**
 * Writes the 40-byte header at the start of `buffer` and returns 40; the payload goes after it.
 * Throws RangeError for a buffer too short, an address that is not 16 bytes or a field out of
 * range (programmer errors).
 */
export function emitIpv6Header(repr: Ipv6Repr, buffer: Uint8Array): number {
  checkField('traffic class', repr.trafficClass, 0xff);
  checkField('flow label', repr.flowLabel, MAX_FLOW_LABEL);
  checkField('next header', repr.nextHeader, 0xff);
  checkField('hop limit', repr.hopLimit, 0xff);
  checkField('payload length', repr.payloadLength, IPV6_MAX_PAYLOAD_LENGTH);
  return writeIpv6Header(
    buffer,
    repr.source,
    repr.destination,
    repr.nextHeader,
    repr.hopLimit,
    repr.payloadLength,
    repr.trafficClass,
    repr.flowLabel,
  );
}

/**
 * The hot-path header writer: the 40 bytes at the start of `buffer`; returns 40. The numbers are
 * written truncated to their field widths and must be in range (see `emitIpv6Header` for a
 * checked variant). Allocates nothing; throws RangeError only for a buffer shorter than 40 bytes
 * or an address that is not 16 bytes.
 */
export function writeIpv6Header(
  buffer: Uint8Array,
  source: Uint8Array,
  destination: Uint8Array,
  nextHeader: number,
  hopLimit: number,
  payloadLength: number,
  trafficClass = 0,
  flowLabel = 0,
): number {
  if (buffer.length < IPV6_HEADER_LENGTH) {
    throw new RangeError(`IPv6 header needs 40 bytes, buffer has ${buffer.length}`);
  }
  if (source.length !== IPV6_ADDRESS_LENGTH || destination.length !== IPV6_ADDRESS_LENGTH) {
    throw new RangeError(
      `IPv6 addresses have 16 bytes, got ${source.length} and ${destination.length}`,
    );
  }
  // RFC 8200 §3: version (4 bits), traffic class (8), flow label (20).
  buffer[0] = 0x60 | ((trafficClass >>> 4) & 0x0f);
  buffer[1] = ((trafficClass & 0x0f) << 4) | ((flowLabel >>> 16) & 0x0f);
  writeU16BE(buffer, 2, flowLabel & 0xffff);
  writeU16BE(buffer, IPV6_PAYLOAD_LENGTH_OFFSET, payloadLength & 0xffff);
  buffer[IPV6_NEXT_HEADER_OFFSET] = nextHeader;
  buffer[7] = hopLimit;
  buffer.set(source, 8);
  buffer.set(destination, 24);
  return IPV6_HEADER_LENGTH;
}
