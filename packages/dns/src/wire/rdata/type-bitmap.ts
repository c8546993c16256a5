// The type bitmaps of NSEC (RFC 4034 §4.1.2) and NSEC3 (RFC 5155 §3.2.1): the types present at
// a name, as windows of 256 types each with a bitmap of 1-32 bytes. Each type set has exactly one
// encoding, and decoding refuses every other (windows out of order, empty or over-long bitmaps,
// trailing zero bytes), which keeps decode-then-encode byte-exact.

import { parseRecordType, recordTypeName } from '../constants.ts';
import type { DnsReader } from '../dns-reader.ts';
import type { DnsWriter } from '../dns-writer.ts';
import { type FieldCursor, fail } from './text-fields.ts';
import { badRdata } from './wire-fields.ts';

/** The types of the bitmap that runs to the end of the RDATA, ascending. */
export function readTypeBitmap(reader: DnsReader): number[] {
  const types: number[] = [];
  let previousWindow = -1;
  while (reader.remaining > 0) {
    const window = reader.u8();
    const length = reader.u8();
    // RFC 4034 §4.1.2: windows in increasing order, bitmaps of 1-32 bytes without trailing zeros.
    if (window <= previousWindow || length === 0 || length > 32) badRdata();
    const bitmap = reader.view(length);
    if (bitmap[length - 1] === 0) badRdata();
    for (let i = 0; i < length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        if ((bitmap[i]! & (0x80 >> bit)) !== 0) types.push(window * 256 + i * 8 + bit);
      }
    }
    previousWindow = window;
  }
  return types;
}

/** Writes the bitmap of `types`; RangeError unless they are ascending type numbers without duplicates. */
export function writeTypeBitmap(types: readonly number[], writer: DnsWriter): void {
  for (let i = 0; i < types.length; i++) {
    const type = types[i]!;
    if (!Number.isInteger(type) || type < 0 || type > 0xffff || type <= (types[i - 1] ?? -1)) {
      throw new RangeError('the types of a type bitmap must be ascending numbers in 0-65535');
    }
  }
  let start = 0;
  while (start < types.length) {
    const window = types[start]! >> 8;
    let end = start;
    while (end < types.length && types[end]! >> 8 === window) end++;
    const bitmap = new Uint8Array(((types[end - 1]! & 0xff) >> 3) + 1);
    for (let i = start; i < end; i++) {
      const low = types[i]! & 0xff;
      bitmap[low >> 3]! |= 0x80 >> (low & 7);
    }
    writer.u8(window);
    writer.u8(bitmap.length);
    writer.bytes(bitmap);
    start = end;
  }
}

/** The remaining fields as type mnemonics or TYPEnnn (RFC 3597 §5), in any order; sorted, duplicates dropped. */
export function parseTypeList(fields: FieldCursor): number[] {
  const types = new Set<number>();
  for (const token of fields.rest()) {
    const type = parseRecordType(token.text);
    if (type === undefined) fail(`'${token.text}' is not a record type`);
    types.add(type);
  }
  return [...types].sort((a, b) => a - b);
}

/** The types as mnemonics separated by spaces, `TYPEnnn` for those without one. */
export function formatTypeList(types: readonly number[]): string {
  return types.map((type) => recordTypeName(type)).join(' ');
}
