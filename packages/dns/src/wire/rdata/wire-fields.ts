// Writing and refusing RDATA fields. Encoders check that each number fits its field, so a
// programmer's out-of-range value is a RangeError naming the field instead of silently
// truncated bits; decoders refuse bytes that do not fit the type with the one bad-rdata value.

import type { DnsReader } from '../dns-reader.ts';
import { dnsWireError } from '../dns-wire-error.ts';
import type { DnsWriter } from '../dns-writer.ts';

const BAD_RDATA = dnsWireError('bad-rdata');

/** Refuses the RDATA being decoded. */
export function badRdata(): never {
  throw BAD_RDATA;
}

function checked(value: number, max: number, field: string): number {
  if (!(Number.isInteger(value) && value >= 0 && value <= max)) {
    throw new RangeError(`the ${field} must be an integer in 0-${max}, got ${value}`);
  }
  return value;
}

export function writeU8(writer: DnsWriter, value: number, field: string): void {
  writer.u8(checked(value, 0xff, field));
}

export function writeU16(writer: DnsWriter, value: number, field: string): void {
  writer.u16(checked(value, 0xffff, field));
}

export function writeU32(writer: DnsWriter, value: number, field: string): void {
  writer.u32(checked(value, 0xffff_ffff, field));
}

/** Bytes behind a one-byte length (a character-string, an NSEC3 salt or hash). */
export function writeLengthPrefixed(writer: DnsWriter, bytes: Uint8Array, field: string): void {
  writeU8(writer, bytes.length, `length of the ${field}`);
  writer.bytes(bytes);
}

// The binary field that ends DS, DNSKEY, RRSIG, TLSA and SSHFP RDATA holds at least one byte:
// RFC 4034 and RFC 6698 define no empty key, digest, signature or association data, and BIND
// refuses them, so dig would call such a message malformed.

/** The rest of the RDATA, copied; refused when empty. */
export function readTrailingBytes(reader: DnsReader): Uint8Array {
  if (reader.remaining === 0) badRdata();
  return reader.rest();
}

/** Writes the trailing binary field; RangeError when empty. */
export function writeTrailingBytes(writer: DnsWriter, bytes: Uint8Array, field: string): void {
  if (bytes.length === 0) throw new RangeError(`the ${field} must have at least one byte`);
  writer.bytes(bytes);
}
