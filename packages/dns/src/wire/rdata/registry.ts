// RDATA by type: the codec of a known type, RFC 3597's opaque bytes for the others, and the
// generic `\# length hex` text form that every type accepts (RFC 3597 §5).

import { err, fromHex, ok, type Result, toHex } from '@oasis/core';
import { DnsReader } from '../dns-reader.ts';
import { isDnsWireError } from '../dns-wire-error.ts';
import type { DnsWriter } from '../dns-writer.ts';
import type { DnsName } from '../name.ts';
import { RDATA_CODECS } from './codecs.ts';
import type { RdataCodec, ZoneToken } from './rdata-codec.ts';
import type { RecordData, RecordKind } from './record-data.ts';

const byType = new Map<number, RdataCodec>();
const byKind = new Map<RecordKind, RdataCodec>();
for (const codec of RDATA_CODECS as readonly RdataCodec[]) {
  byType.set(codec.type, codec);
  byKind.set(codec.kind, codec);
}

/** The codec of `type`, or undefined when its RDATA is kept opaque. */
export function rdataCodec(type: number): RdataCodec | undefined {
  return byType.get(type);
}

/** The type number a record with this data has; undefined for opaque data (the record says). */
export function typeOfData(data: RecordData): number | undefined {
  return byKind.get(data.kind)?.type;
}

/** Reads RDATA of `type` (the reader bounded to it); throws DnsWireError like the codecs. */
export function decodeRdata(type: number, reader: DnsReader): RecordData {
  const codec = byType.get(type);
  if (codec === undefined) return { kind: 'opaque', bytes: reader.rest() };
  const data = codec.decode(reader);
  reader.expectEnd();
  return data;
}

/** Writes RDATA; `type` is the record's, which opaque data needs and typed data must match. */
export function encodeRdata(type: number, data: RecordData, writer: DnsWriter): void {
  if (data.kind === 'opaque') {
    writer.bytes(data.bytes);
    return;
  }
  const codec = byKind.get(data.kind);
  if (codec === undefined || codec.type !== type) {
    throw new TypeError(`${data.kind} data in a record of type ${type}`);
  }
  codec.encode(data, writer);
}

/** Parses the RDATA fields of a zone file line: the type's own syntax, or `\# length hex`. */
export function rdataFromText(
  type: number,
  tokens: readonly ZoneToken[],
  origin: DnsName | undefined,
): Result<RecordData, string> {
  const first = tokens[0];
  const codec = byType.get(type);
  if (first !== undefined && first.text === '\\#' && !first.quoted) {
    const generic = genericFromText(tokens);
    if (!generic.ok || codec === undefined) return generic;
    // A known type in generic form holds the same data as in its own syntax (RFC 3597 §5).
    const bytes = (generic.value as { bytes: Uint8Array }).bytes;
    try {
      return ok(decodeRdata(type, new DnsReader(bytes)));
    } catch (error) {
      if (isDnsWireError(error)) return err(`\\# RDATA does not fit the type: ${error.reason}`);
      throw error;
    }
  }
  if (codec === undefined) {
    return err('the RDATA of a type without a known format must be written as \\# LENGTH HEX');
  }
  return codec.parseText(tokens, origin);
}

/** The RDATA in presentation form; opaque data as `\# length hex`. */
export function rdataToText(data: RecordData): string {
  if (data.kind === 'opaque') {
    return data.bytes.length === 0
      ? '\\# 0'
      : `\\# ${data.bytes.length} ${toHex(data.bytes).toUpperCase()}`;
  }
  const codec = byKind.get(data.kind);
  if (codec === undefined) throw new TypeError(`no codec for ${data.kind} data`);
  return codec.formatText(data);
}

function genericFromText(tokens: readonly ZoneToken[]): Result<RecordData, string> {
  const lengthText = tokens[1]?.text;
  if (lengthText === undefined || !/^\d+$/.test(lengthText)) {
    return err('\\# must be followed by the RDATA length in bytes');
  }
  const length = Number(lengthText);
  const hex = tokens
    .slice(2)
    .map((token) => token.text)
    .join('');
  if (!/^[0-9a-fA-F]*$/.test(hex) || hex.length % 2 !== 0) {
    return err('\\# RDATA must be hexadecimal digits, two per byte');
  }
  const bytes = hex.length === 0 ? new Uint8Array(0) : fromHex(hex);
  if (bytes.length !== length) {
    return err(`\\# announces ${length} bytes and the hex holds ${bytes.length}`);
  }
  return ok({ kind: 'opaque', bytes });
}
