// Helpers for the zone file tests: corpus files, and records in a form that assert can compare
// and print (names as their presentation text, which keeps case and escapes).

import { readFileSync } from 'node:fs';
import { recordClassName, recordTypeName } from '../../src/wire/constants.ts';
import type { DnsRecord } from '../../src/wire/message.ts';
import { DnsName } from '../../src/wire/name.ts';

export function readCorpus(fileName: string): string {
  return readFileSync(new URL(`corpus/${fileName}`, import.meta.url), 'utf8');
}

export interface PlainRecord {
  readonly name: string;
  readonly ttl: number;
  readonly class: string;
  readonly type: string;
  readonly data: unknown;
}

export function plainRecords(records: readonly DnsRecord[]): PlainRecord[] {
  return records.map((record) => ({
    name: record.name.toString(),
    ttl: record.ttl,
    class: recordClassName(record.class),
    type: recordTypeName(record.type),
    data: plain(record.data),
  }));
}

/** An expected record; `data` with names as text. */
export function rr(
  name: string,
  ttl: number,
  type: string,
  data: object,
  recordClass = 'IN',
): PlainRecord {
  return { name, ttl, class: recordClass, type, data };
}

/** Bytes of Latin-1 text, for character-strings. */
export function latin1(text: string): Uint8Array {
  return Uint8Array.from(text, (char) => char.charCodeAt(0));
}

function plain(value: unknown): unknown {
  if (value instanceof DnsName) return value.toString();
  if (value instanceof Uint8Array) return value;
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, field]) => [key, plain(field)]));
  }
  return value;
}
