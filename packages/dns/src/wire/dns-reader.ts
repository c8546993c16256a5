// A cursor over a received DNS message. Reads throw a DnsWireError (a frozen value, not an
// Error: refusing input costs no stack trace), which `decodeMessage` turns into a Result; nothing
// else may catch them. Names are decompressed against the whole message (RFC 1035 §4.1.4).

import { readU16BE, readU32BE } from '@oasis/core';
import { dnsWireError } from './dns-wire-error.ts';
import { DnsName, MAX_LABEL_LENGTH, MAX_NAME_WIRE_LENGTH } from './name.ts';

const TRUNCATED = dnsWireError('truncated');
const BAD_POINTER = dnsWireError('bad-pointer');
const BAD_LABEL_TYPE = dnsWireError('bad-label-type');
const NAME_TOO_LONG = dnsWireError('name-too-long');
const BAD_RDATA = dnsWireError('bad-rdata');

export class DnsReader {
  /** The whole message: compression pointers may point anywhere before the name. */
  readonly message: Uint8Array;
  offset: number;
  /** Reads stop here: the message's end, or the end of the RDATA being read. */
  end: number;

  constructor(message: Uint8Array, offset = 0, end = message.length) {
    this.message = message;
    this.offset = offset;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  u8(): number {
    if (this.offset + 1 > this.end) throw TRUNCATED;
    return this.message[this.offset++]!;
  }

  u16(): number {
    if (this.offset + 2 > this.end) throw TRUNCATED;
    const value = readU16BE(this.message, this.offset);
    this.offset += 2;
    return value;
  }

  u32(): number {
    if (this.offset + 4 > this.end) throw TRUNCATED;
    const value = readU32BE(this.message, this.offset);
    this.offset += 4;
    return value;
  }

  /** `length` bytes, borrowed from the message: copy what you keep. */
  view(length: number): Uint8Array {
    if (length < 0 || this.offset + length > this.end) throw TRUNCATED;
    const bytes = this.message.subarray(this.offset, this.offset + length);
    this.offset += length;
    return bytes;
  }

  /** `length` bytes, copied. */
  bytes(length: number): Uint8Array {
    return this.view(length).slice();
  }

  /** The rest of the readable bytes, copied. */
  rest(): Uint8Array {
    return this.bytes(this.remaining);
  }

  /** A <character-string> (RFC 1035 §3.3): a length byte and that many bytes, copied. */
  characterString(): Uint8Array {
    return this.bytes(this.u8());
  }

  /**
   * A possibly compressed name. Each pointer must point before the start of the labels read
   * since the previous jump, so every jump goes strictly backwards and loops cannot exist; the
   * expanded name may not exceed 255 bytes (RFC 1035 §3.1, §4.1.4). Label types 01 and 10 are
   * refused (RFC 6891 §5).
   */
  name(): DnsName {
    const message = this.message;
    const labels: Uint8Array[] = [];
    let wireLength = 1;
    let position = this.offset;
    let limit = this.offset;
    let end = this.end;
    let jumped = false;
    for (;;) {
      if (position >= end) throw TRUNCATED;
      const length = message[position]!;
      if (length === 0) {
        position += 1;
        break;
      }
      const type = length & 0xc0;
      if (type === 0xc0) {
        if (position + 2 > end) throw TRUNCATED;
        const target = ((length & 0x3f) << 8) | message[position + 1]!;
        if (target >= limit) throw BAD_POINTER;
        if (!jumped) this.offset = position + 2;
        jumped = true;
        limit = target;
        position = target;
        end = message.length;
        continue;
      }
      if (type !== 0) throw BAD_LABEL_TYPE;
      if (length > MAX_LABEL_LENGTH) throw BAD_LABEL_TYPE;
      wireLength += length + 1;
      if (wireLength > MAX_NAME_WIRE_LENGTH) throw NAME_TOO_LONG;
      if (position + 1 + length > end) throw TRUNCATED;
      labels.push(message.slice(position + 1, position + 1 + length));
      position += 1 + length;
    }
    if (!jumped) this.offset = position;
    return DnsName.tryFromLabels(labels) ?? DnsName.ROOT;
  }

  /** Throws bad-rdata unless every byte of the current RDATA was read. */
  expectEnd(): void {
    if (this.offset !== this.end) throw BAD_RDATA;
  }
}
