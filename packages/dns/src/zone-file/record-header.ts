// The fields of a record line between its owner and its RDATA (RFC 1035 §5.1): an optional TTL
// and an optional class, in either order, then the type. Types and classes are mnemonics or the
// generic TYPEnnn / CLASSnnn (RFC 3597 §5), in either case.

import { err, ok, type Result } from '@oasis/core';
import {
  parseRecordClass,
  parseRecordType,
  RecordType,
  recordClassName,
  recordTypeName,
} from '../wire/constants.ts';
import type { ZoneToken } from '../wire/rdata/rdata-codec.ts';
import { parseTtl } from './ttl-text.ts';

export interface RecordHeader {
  /** Undefined when the line has none: the parser applies the defaults. */
  readonly ttl: number | undefined;
  readonly class: number | undefined;
  readonly type: number;
  /** The fields after the type. */
  readonly rdata: readonly ZoneToken[];
}

/** Reads `[TTL] [CLASS] TYPE` or `[CLASS] [TTL] TYPE` from the fields after the owner. */
export function parseRecordHeader(tokens: readonly ZoneToken[]): Result<RecordHeader, string> {
  let ttl: number | undefined;
  let recordClass: number | undefined;
  let at = 0;
  for (; at < tokens.length; at++) {
    const text = tokens[at]!.text;
    // No class or type starts with a digit, so a field that does is meant as a TTL.
    if (ttl === undefined && /^\d/.test(text)) {
      const parsed = parseTtl(text);
      if (!parsed.ok) return parsed;
      ttl = parsed.value;
      continue;
    }
    const parsedClass = recordClass === undefined ? parseRecordClass(text) : undefined;
    if (parsedClass === undefined) break;
    recordClass = parsedClass;
  }
  const typeText = tokens[at]?.text;
  if (typeText === undefined) return err('missing type');
  const type = parseRecordType(typeText);
  if (type === undefined) return err(`unknown type ${typeText}`);
  if (!isDataType(type)) {
    return err(`type ${recordTypeName(type)} is not a type of data (RFC 6895 §3.1)`);
  }
  if (recordClass !== undefined && !isDataClass(recordClass)) {
    return err(`class ${recordClassName(recordClass)} is not a class of data (RFC 6895 §3.2)`);
  }
  return ok({ ttl, class: recordClass, type, rdata: tokens.slice(at + 1) });
}

// RFC 6895 §3.1: 0 and 65535 are reserved, OPT and 128-255 are meta and query types, which
// live in messages only.
function isDataType(type: number): boolean {
  return type !== 0 && type !== RecordType.OPT && (type < 128 || type > 255) && type !== 0xffff;
}

// RFC 6895 §3.2: 0 and 65535 are reserved, NONE (254) and ANY (255) are query classes.
function isDataClass(value: number): boolean {
  return value !== 0 && value !== 254 && value !== 255 && value !== 0xffff;
}
