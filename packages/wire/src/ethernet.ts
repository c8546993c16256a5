// Ethernet II frames (IEEE 802.3 §3.1.1, with the EtherType of RFC 894) and their IEEE 802.1Q
// VLAN tags (802.1Q §9.6; 802.1ad S-tags for stacked tags). A frame here starts at the
// destination MAC and has no preamble or FCS: that is what TAP devices and pcap files carry.

import { err, ok, type Result, readU16BE, writeU16BE } from '@oasis/core';
import { MAC_LENGTH } from './mac-address.ts';
import { wireErrors } from './wire-error.ts';

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_VLAN = 0x8100; // 802.1Q C-tag
export const ETHERTYPE_QINQ = 0x88a8; // 802.1ad S-tag
export const ETHERTYPE_IPV6 = 0x86dd;

/** Destination, source, EtherType. */
export const ETHERNET_HEADER_LENGTH = 14;
/** TPID and TCI. */
export const VLAN_TAG_LENGTH = 4;
/** Stacked tags accepted: an S-tag and a C-tag (802.1ad); deeper stacks are refused. */
export const MAX_VLAN_TAGS = 2;

export const ETHERNET_ERRORS = wireErrors('ethernet', [
  'truncated',
  'too-many-tags',
  'length-field',
] as const);
export type EthernetError = (typeof ETHERNET_ERRORS)[keyof typeof ETHERNET_ERRORS];

export interface VlanTag {
  /** The tag protocol identifier: ETHERTYPE_VLAN or ETHERTYPE_QINQ. */
  readonly tpid: number;
  /** Priority code point, 0-7 (802.1Q §6.9.3). */
  readonly priority: number;
  /** Drop eligible indicator. */
  readonly dropEligible: boolean;
  /** VLAN identifier, 0-4095 (0: priority tag only). */
  readonly id: number;
}

function isTpid(etherType: number): boolean {
  return etherType === ETHERTYPE_VLAN || etherType === ETHERTYPE_QINQ;
}

/** A zero-copy view of a frame. Build one with `checked` for input, `unchecked` for output buffers. */
export class EthernetFrame {
  readonly bytes: Uint8Array;
  /** 14 bytes plus 4 per VLAN tag. */
  readonly headerLength: number;

  private constructor(bytes: Uint8Array, headerLength: number) {
    this.bytes = bytes;
    this.headerLength = headerLength;
  }

  /**
   * Validates that the header and its tags fit, after which no accessor reads out of bounds.
   * Values below 0x0600 are IEEE 802.3 length fields, not EtherTypes (802.3 §3.2.6): refused,
   * since Oasis speaks Ethernet II only.
   */
  static checked(bytes: Uint8Array): Result<EthernetFrame, EthernetError> {
    let offset = 12;
    let tags = 0;
    for (;;) {
      if (bytes.length < offset + 2) return err(ETHERNET_ERRORS.truncated);
      const etherType = readU16BE(bytes, offset);
      if (!isTpid(etherType)) {
        if (etherType < 0x0600) return err(ETHERNET_ERRORS['length-field']);
        return ok(new EthernetFrame(bytes, offset + 2));
      }
      if (++tags > MAX_VLAN_TAGS) return err(ETHERNET_ERRORS['too-many-tags']);
      offset += VLAN_TAG_LENGTH;
    }
  }

  /** A view over a buffer the caller sized and filled (or is about to fill) with `emitEthernet`. */
  static unchecked(bytes: Uint8Array): EthernetFrame {
    let offset = 12;
    while (isTpid(readU16BE(bytes, offset))) offset += VLAN_TAG_LENGTH;
    return new EthernetFrame(bytes, offset + 2);
  }

  get destination(): Uint8Array {
    return this.bytes.subarray(0, MAC_LENGTH);
  }

  get source(): Uint8Array {
    return this.bytes.subarray(MAC_LENGTH, 2 * MAC_LENGTH);
  }

  /** The EtherType of the payload, after any VLAN tags. */
  get etherType(): number {
    return readU16BE(this.bytes, this.headerLength - 2);
  }

  get tagCount(): number {
    return (this.headerLength - ETHERNET_HEADER_LENGTH) / VLAN_TAG_LENGTH;
  }

  /** The `index`-th VLAN tag, outermost first. */
  tag(index: number): VlanTag {
    if (!(index >= 0 && index < this.tagCount))
      throw new RangeError(`frame has ${this.tagCount} VLAN tags, no tag ${index}`);
    const offset = 12 + index * VLAN_TAG_LENGTH;
    const tci = readU16BE(this.bytes, offset + 2);
    return {
      tpid: readU16BE(this.bytes, offset),
      priority: tci >>> 13,
      dropEligible: (tci & 0x1000) !== 0,
      id: tci & 0x0fff,
    };
  }

  /** Everything after the header, padding included (the layer above knows its own length). */
  get payload(): Uint8Array {
    return this.bytes.subarray(this.headerLength);
  }
}

/**
 * Whether a frame to send fits a link whose MTU (largest payload) is `mtu`: at least a header,
 * and no more than the header, one 802.1Q tag if it has one (802.1Q §6.9 lets a tagged frame be
 * four bytes longer), and `mtu` payload bytes. Devices check this before transmitting.
 */
export function ethernetFrameFits(frame: Uint8Array, mtu: number): boolean {
  if (frame.length < ETHERNET_HEADER_LENGTH) return false;
  const tagged = readU16BE(frame, 12) === ETHERTYPE_VLAN;
  return frame.length <= ETHERNET_HEADER_LENGTH + (tagged ? VLAN_TAG_LENGTH : 0) + mtu;
}

/**
 * Writes an untagged header (destination, source, EtherType) at the start of `buffer` and
 * returns its length, 14: the allocation-free form of `emitEthernet` for the output path.
 */
export function writeEthernetHeader(
  buffer: Uint8Array,
  destination: Uint8Array,
  source: Uint8Array,
  etherType: number,
): number {
  if (buffer.length < ETHERNET_HEADER_LENGTH) {
    throw new RangeError(`Ethernet header needs 14 bytes, buffer has ${buffer.length}`);
  }
  buffer.set(destination, 0);
  buffer.set(source, MAC_LENGTH);
  writeU16BE(buffer, 12, etherType);
  return ETHERNET_HEADER_LENGTH;
}

/** A frame's header as plain values. */
export interface EthernetRepr {
  readonly destination: Uint8Array;
  readonly source: Uint8Array;
  readonly etherType: number;
  /** Outermost first; empty for an untagged frame. */
  readonly tags: readonly VlanTag[];
}

export function parseEthernet(bytes: Uint8Array): Result<EthernetRepr, EthernetError> {
  const checked = EthernetFrame.checked(bytes);
  if (!checked.ok) return checked;
  const frame = checked.value;
  const tags: VlanTag[] = [];
  for (let i = 0; i < frame.tagCount; i++) tags.push(frame.tag(i));
  return ok({
    destination: frame.destination.slice(),
    source: frame.source.slice(),
    etherType: frame.etherType,
    tags,
  });
}

export function ethernetHeaderLength(repr: EthernetRepr): number {
  return ETHERNET_HEADER_LENGTH + repr.tags.length * VLAN_TAG_LENGTH;
}

/**
 * Writes the header at the start of `buffer` and returns its length; the payload goes after it.
 * Throws RangeError for a buffer too short or a field out of range (programmer errors).
 */
export function emitEthernet(repr: EthernetRepr, buffer: Uint8Array): number {
  const length = ethernetHeaderLength(repr);
  if (buffer.length < length)
    throw new RangeError(`Ethernet header needs ${length} bytes, buffer has ${buffer.length}`);
  if (repr.destination.length !== MAC_LENGTH || repr.source.length !== MAC_LENGTH) {
    throw new RangeError('Ethernet addresses have 6 bytes');
  }
  buffer.set(repr.destination, 0);
  buffer.set(repr.source, MAC_LENGTH);
  let offset = 12;
  for (const tag of repr.tags) {
    if (!isTpid(tag.tpid) || tag.priority > 7 || tag.id > 0xfff)
      throw new RangeError(`bad VLAN tag ${JSON.stringify(tag)}`);
    writeU16BE(buffer, offset, tag.tpid);
    writeU16BE(buffer, offset + 2, (tag.priority << 13) | (tag.dropEligible ? 0x1000 : 0) | tag.id);
    offset += VLAN_TAG_LENGTH;
  }
  writeU16BE(buffer, offset, repr.etherType);
  return length;
}
