// Master files (RFC 1035 §5.1) into records, for an authoritative server to load. This layer
// resolves names against $ORIGIN, fills in omitted owners, classes and TTLs, and hands the RDATA
// fields to the type's codec. It checks what a single line can get wrong; the structure of the
// zone (an SOA at the apex, CNAME alone at its name, glue) is the zone builder's to check.
//
// Omitted TTLs: RFC 1035 §5.1 repeats the last stated TTL, RFC 2308 §4 added $TTL for them, and
// BIND falls back to the SOA minimum. This parser takes, in order: the record's own TTL, the last
// $TTL, `options.defaultTtl`, the MINIMUM of the first SOA read (the SOA itself included), and
// otherwise refuses the record. It does not repeat the previous record's TTL.

import { err, ok, type Result } from '@oasis/core';
import { RecordClass, recordClassName, recordTypeName } from '../wire/constants.ts';
import type { DnsRecord } from '../wire/message.ts';
import { DnsName } from '../wire/name.ts';
import type { ZoneToken } from '../wire/rdata/rdata-codec.ts';
import { rdataFromText } from '../wire/rdata/registry.ts';
import { parseRecordHeader } from './record-header.ts';
import { MAX_TTL, parseTtl } from './ttl-text.ts';
import type { ZoneFileError } from './zone-file-error.ts';
import { type ZoneEntry, zoneEntries } from './zone-tokenizer.ts';

export interface ZoneFileOptions {
  /** Names the file in errors. */
  readonly fileName: string;
  /**
   * The zone apex: the initial $ORIGIN, and every owner must be at or below it. Without it, the
   * file must set $ORIGIN before its first relative name, and owners may be anywhere.
   */
  readonly origin?: DnsName;
  /** Seconds, for records with neither their own TTL nor a $TTL before them. */
  readonly defaultTtl?: number;
}

/** The records of a zone file in file order, or the first error in it. */
export function parseZoneFile(
  text: string,
  options: ZoneFileOptions,
): Result<readonly DnsRecord[], ZoneFileError> {
  const { defaultTtl } = options;
  if (defaultTtl !== undefined && !(Number.isInteger(defaultTtl) && isTtl(defaultTtl))) {
    throw new RangeError(`defaultTtl must be an integer of 0 to ${MAX_TTL} seconds (RFC 2181 §8)`);
  }
  const parser = new ZoneFileParser(options.origin, defaultTtl);
  for (const entry of zoneEntries(text)) {
    if (!entry.ok) return err({ file: options.fileName, ...entry.error });
    const reason = parser.read(entry.value);
    if (reason !== undefined) {
      return err({ file: options.fileName, line: entry.value.line, reason });
    }
  }
  return ok(parser.records);
}

function isTtl(seconds: number): boolean {
  return seconds >= 0 && seconds <= MAX_TTL;
}

class ZoneFileParser {
  readonly records: DnsRecord[] = [];
  readonly #zone: DnsName | undefined;
  readonly #defaultTtl: number | undefined;
  #origin: DnsName | undefined;
  /** The last $TTL. */
  #ttl: number | undefined;
  #soaMinimum: number | undefined;
  #previousOwner: DnsName | undefined;
  /** The class of the records read so far. */
  #class: number | undefined;

  constructor(zone: DnsName | undefined, defaultTtl: number | undefined) {
    this.#zone = zone;
    this.#origin = zone;
    this.#defaultTtl = defaultTtl;
  }

  /** Reads one entry: undefined when it is good, else the reason it is not. */
  read(entry: ZoneEntry): string | undefined {
    const first = entry.tokens[0]!;
    // RFC 1035 §5.1: control entries start with `$` in the first column.
    if (!entry.blankOwner && !first.quoted && first.text.startsWith('$')) {
      return this.#directive(first.text, entry.tokens.slice(1));
    }
    return this.#record(entry);
  }

  #directive(name: string, args: readonly ZoneToken[]): string | undefined {
    switch (name.toUpperCase()) {
      case '$ORIGIN': {
        // RFC 1035 §5.1: a relative $ORIGIN is relative to the current origin.
        if (args.length !== 1) return '$ORIGIN takes one domain name';
        const origin = resolveName(args[0]!, this.#origin);
        if (!origin.ok) return origin.error;
        this.#origin = origin.value;
        return undefined;
      }
      case '$TTL': {
        // RFC 2308 §4
        if (args.length !== 1) return '$TTL takes one TTL';
        const ttl = parseTtl(args[0]!.text);
        if (!ttl.ok) return ttl.error;
        this.#ttl = ttl.value;
        return undefined;
      }
      case '$INCLUDE':
        return '$INCLUDE is not supported: put the records in this file';
      default:
        return `unknown directive ${name}`;
    }
  }

  #record(entry: ZoneEntry): string | undefined {
    let owner = this.#previousOwner;
    let fields = entry.tokens;
    if (!entry.blankOwner) {
      const parsed = resolveName(entry.tokens[0]!, this.#origin);
      if (!parsed.ok) return parsed.error;
      owner = parsed.value;
      fields = entry.tokens.slice(1);
    } else if (owner === undefined) {
      return 'a line starting with a blank repeats the previous owner, and there is none yet';
    }
    if (this.#zone !== undefined && !owner.isSubdomainOf(this.#zone)) {
      return `'${owner}' is outside the zone ${this.#zone}`;
    }
    this.#previousOwner = owner;
    const header = parseRecordHeader(fields);
    if (!header.ok) return header.error;
    const { type } = header.value;
    // RFC 1035 §5.1 lets an omitted class repeat the last one; a zone holds one class, so
    // that is the class of every record before.
    const recordClass = header.value.class ?? this.#class ?? RecordClass.IN;
    if (this.#class !== undefined && recordClass !== this.#class) {
      return `class ${recordClassName(recordClass)} after records of class ${recordClassName(this.#class)}: all the records of a zone file must share one class`;
    }
    const data = rdataFromText(type, this.#withOrigin(header.value.rdata), this.#origin);
    if (!data.ok) return `${recordTypeName(type)}: ${data.error}`;
    if (data.value.kind === 'SOA') {
      // The MINIMUM is unsigned 32-bit; as a TTL it is capped by RFC 2181 §8.
      this.#soaMinimum ??= Math.min(data.value.minimum, MAX_TTL);
    }
    const ttl = header.value.ttl ?? this.#ttl ?? this.#defaultTtl ?? this.#soaMinimum;
    if (ttl === undefined) return 'no TTL: give the record one, or put a $TTL line before it';
    this.#class = recordClass;
    this.records.push({ name: owner, type, class: recordClass, ttl, data: data.value });
    return undefined;
  }

  /** RDATA fields with an unquoted `@` written as the origin's text, which the codecs parse. */
  #withOrigin(tokens: readonly ZoneToken[]): readonly ZoneToken[] {
    const origin = this.#origin;
    if (origin === undefined) return tokens;
    return tokens.map((token) =>
      isAt(token) ? { text: origin.toString(), quoted: false } : token,
    );
  }
}

function isAt(token: ZoneToken): boolean {
  return token.text === '@' && !token.quoted;
}

/** A name field: `@` for the origin, an absolute name, or a name relative to the origin. */
function resolveName(token: ZoneToken, origin: DnsName | undefined): Result<DnsName, string> {
  if (isAt(token)) return origin === undefined ? err("'@' with no $ORIGIN") : ok(origin);
  if (origin === undefined && !isAbsolute(token.text)) {
    return err(`relative name '${token.text}' with no $ORIGIN`);
  }
  return DnsName.parse(token.text, origin);
}

/** True when `text` ends in an unescaped dot (RFC 1035 §5.1). `\DDD` never ends in `\`. */
function isAbsolute(text: string): boolean {
  if (!text.endsWith('.')) return false;
  let backslashes = 0;
  for (let at = text.length - 2; at >= 0 && text[at] === '\\'; at--) backslashes++;
  return backslashes % 2 === 0;
}
