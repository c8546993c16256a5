// ARP (RFC 826). The view reads any hardware and protocol address sizes, as the packet format
// allows (RFC 826 "Packet format": ar$hln, ar$pln); the representation is the only case Oasis
// speaks, Ethernet hardware addresses and IPv4 protocol addresses. An ARP packet inside an
// Ethernet frame is followed by the frame's padding (a 28-byte packet in a 46-byte minimum
// payload); that padding is not part of ARP and is ignored.

import { err, ok, type Result, readU16BE, readU32BE, writeU16BE, writeU32BE } from '@oasis/core';
import { ETHERTYPE_IPV4 } from './ethernet.ts';
import { isIpv4Address } from './ipv4-address.ts';
import { MAC_LENGTH } from './mac-address.ts';
import { wireErrors } from './wire-error.ts';

/** ar$hrd for Ethernet (RFC 826; IANA ARP hardware type 1). */
export const ARP_HARDWARE_ETHERNET = 1;
/** ar$op values (RFC 826); IANA lists others (RARP, InARP), which Oasis does not speak. */
export const ARP_OPERATION_REQUEST = 1;
export const ARP_OPERATION_REPLY = 2;
/** Hardware type, protocol type, the two address lengths, operation. */
export const ARP_FIXED_LENGTH = 8;
/** An Ethernet/IPv4 ARP packet: the fixed part and two 6-byte and two 4-byte addresses. */
export const ARP_LENGTH = 28;

const IPV4_LENGTH = 4;

export const ARP_ERRORS = wireErrors('arp', [
  'truncated',
  'unsupported-hardware',
  'unsupported-protocol',
  'bad-address-length',
  'unsupported-operation',
] as const);
export type ArpError = (typeof ARP_ERRORS)[keyof typeof ARP_ERRORS];

/** A zero-copy view of an ARP packet. Build one with `checked` for input, `unchecked` for output buffers. */
export class ArpPacket {
  readonly bytes: Uint8Array;

  private constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  /**
   * Validates that the fixed part and the four addresses its lengths announce fit, after which no
   * accessor reads out of bounds. Any sizes are accepted, even 0: refusing what Oasis cannot
   * use is `parseArp`'s job, with its own reasons.
   */
  static checked(bytes: Uint8Array): Result<ArpPacket, ArpError> {
    if (bytes.length < ARP_FIXED_LENGTH) return err(ARP_ERRORS.truncated);
    if (bytes.length < ARP_FIXED_LENGTH + 2 * (bytes[4]! + bytes[5]!)) {
      return err(ARP_ERRORS.truncated);
    }
    return ok(new ArpPacket(bytes));
  }

  /** A view over a buffer the caller sized and filled with `emitArp` (the lengths must be set). */
  static unchecked(bytes: Uint8Array): ArpPacket {
    return new ArpPacket(bytes);
  }

  /** ar$hrd: ARP_HARDWARE_ETHERNET for Ethernet. */
  get hardwareType(): number {
    return readU16BE(this.bytes, 0);
  }

  /** ar$pro, an EtherType: ETHERTYPE_IPV4 for IPv4. */
  get protocolType(): number {
    return readU16BE(this.bytes, 2);
  }

  /** ar$hln, bytes in a hardware address. */
  get hardwareLength(): number {
    return this.bytes[4]!;
  }

  /** ar$pln, bytes in a protocol address. */
  get protocolLength(): number {
    return this.bytes[5]!;
  }

  /** ar$op, as a number: ARP_OPERATION_REQUEST, ARP_OPERATION_REPLY or another. */
  get operation(): number {
    return readU16BE(this.bytes, 6);
  }

  /** The ARP packet's own length; what follows in `bytes` is padding. */
  get length(): number {
    return ARP_FIXED_LENGTH + 2 * (this.hardwareLength + this.protocolLength);
  }

  /** ar$sha. */
  get senderHardwareAddress(): Uint8Array {
    return this.bytes.subarray(ARP_FIXED_LENGTH, ARP_FIXED_LENGTH + this.hardwareLength);
  }

  /** ar$spa. */
  get senderProtocolAddress(): Uint8Array {
    const start = ARP_FIXED_LENGTH + this.hardwareLength;
    return this.bytes.subarray(start, start + this.protocolLength);
  }

  /** ar$tha. */
  get targetHardwareAddress(): Uint8Array {
    const start = ARP_FIXED_LENGTH + this.hardwareLength + this.protocolLength;
    return this.bytes.subarray(start, start + this.hardwareLength);
  }

  /** ar$tpa. */
  get targetProtocolAddress(): Uint8Array {
    const start = ARP_FIXED_LENGTH + 2 * this.hardwareLength + this.protocolLength;
    return this.bytes.subarray(start, start + this.protocolLength);
  }
}

export type ArpOperation = 'request' | 'reply';

/** An Ethernet/IPv4 ARP packet as plain values. */
export interface ArpRepr {
  readonly operation: ArpOperation;
  readonly senderMac: Uint8Array;
  readonly senderIp: number;
  /** Zero in requests as Linux sends them; RFC 826 leaves it unspecified in a request. */
  readonly targetMac: Uint8Array;
  readonly targetIp: number;
}

/** Parses an Ethernet/IPv4 request or reply; bytes after the 28 of the packet are ignored. */
export function parseArp(bytes: Uint8Array): Result<ArpRepr, ArpError> {
  const checked = ArpPacket.checked(bytes);
  if (!checked.ok) return checked;
  const packet = checked.value;
  if (packet.hardwareType !== ARP_HARDWARE_ETHERNET) return err(ARP_ERRORS['unsupported-hardware']);
  if (packet.protocolType !== ETHERTYPE_IPV4) return err(ARP_ERRORS['unsupported-protocol']);
  // RFC 826 lets the lengths vary by hardware and protocol; for Ethernet and IPv4 they are fixed.
  if (packet.hardwareLength !== MAC_LENGTH || packet.protocolLength !== IPV4_LENGTH) {
    return err(ARP_ERRORS['bad-address-length']);
  }
  let operation: ArpOperation;
  switch (packet.operation) {
    case ARP_OPERATION_REQUEST:
      operation = 'request';
      break;
    case ARP_OPERATION_REPLY:
      operation = 'reply';
      break;
    default:
      return err(ARP_ERRORS['unsupported-operation']);
  }
  return ok({
    operation,
    senderMac: packet.senderHardwareAddress.slice(),
    senderIp: readU32BE(bytes, ARP_FIXED_LENGTH + MAC_LENGTH),
    targetMac: packet.targetHardwareAddress.slice(),
    targetIp: readU32BE(bytes, ARP_FIXED_LENGTH + 2 * MAC_LENGTH + IPV4_LENGTH),
  });
}

/** Always ARP_LENGTH; a function like the other codecs' so packets are sized the same way. */
export function arpLength(_repr: ArpRepr): number {
  return ARP_LENGTH;
}

/**
 * Writes the packet at the start of `buffer` and returns its length (28). Throws RangeError for
 * a buffer too short or a field out of range (programmer errors).
 */
export function emitArp(repr: ArpRepr, buffer: Uint8Array): number {
  if (buffer.length < ARP_LENGTH) {
    throw new RangeError(`ARP packet needs ${ARP_LENGTH} bytes, buffer has ${buffer.length}`);
  }
  if (repr.senderMac.length !== MAC_LENGTH || repr.targetMac.length !== MAC_LENGTH) {
    throw new RangeError('ARP hardware addresses are 6-byte MAC addresses');
  }
  if (!isIpv4Address(repr.senderIp) || !isIpv4Address(repr.targetIp)) {
    throw new RangeError(
      `ARP protocol addresses are IPv4 addresses (integers in 0-4294967295), got ${repr.senderIp} and ${repr.targetIp}`,
    );
  }
  let operation: number;
  switch (repr.operation) {
    case 'request':
      operation = ARP_OPERATION_REQUEST;
      break;
    case 'reply':
      operation = ARP_OPERATION_REPLY;
      break;
    default:
      throw new RangeError(`ARP operation is 'request' or 'reply', got ${String(repr.operation)}`);
  }
  writeU16BE(buffer, 0, ARP_HARDWARE_ETHERNET);
  writeU16BE(buffer, 2, ETHERTYPE_IPV4);
  buffer[4] = MAC_LENGTH;
  buffer[5] = IPV4_LENGTH;
  writeU16BE(buffer, 6, operation);
  buffer.set(repr.senderMac, ARP_FIXED_LENGTH);
  writeU32BE(buffer, ARP_FIXED_LENGTH + MAC_LENGTH, repr.senderIp);
  buffer.set(repr.targetMac, ARP_FIXED_LENGTH + MAC_LENGTH + IPV4_LENGTH);
  writeU32BE(buffer, ARP_FIXED_LENGTH + 2 * MAC_LENGTH + IPV4_LENGTH, repr.targetIp);
  return ARP_LENGTH;
}

/**
 * An ARP probe (RFC 5227 §2.1.1): a request with sender IP 0.0.0.0, asking whether anyone holds
 * the target IP. It must not update ARP caches (the sender claims no address yet).
 */
export function isArpProbe(repr: ArpRepr): boolean {
  return repr.operation === 'request' && repr.senderIp === 0;
}

/**
 * An ARP announcement (RFC 5227 §2.3): sender and target IP both the address being claimed.
 * §2.3 specifies a request; the older gratuitous reply form (discussed in §3) counts too, since a
 * receiver handles both the same way.
 */
export function isArpAnnouncement(repr: ArpRepr): boolean {
  return repr.senderIp !== 0 && repr.senderIp === repr.targetIp;
}
