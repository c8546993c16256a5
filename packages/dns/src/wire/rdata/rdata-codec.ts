// What each record type provides: its wire form both ways and its presentation (zone file) form
// both ways. `codecs.ts` lists them; `registry.ts` picks one by type and falls back to opaque
// RDATA (RFC 3597) for the types that have none.

import type { Result } from '@oasis/core';
import type { DnsReader } from '../dns-reader.ts';
import type { DnsWriter } from '../dns-writer.ts';
import type { DnsName } from '../name.ts';
import type { RecordData } from './record-data.ts';

/**
 * One field of a record in a zone file, as the tokenizer found it: `text` is the characters
 * between delimiters with backslash escapes left in place (names and character-strings decode
 * them their own way), and `quoted` says it was written inside double quotes.
 */
export interface ZoneToken {
  readonly text: string;
  readonly quoted: boolean;
}

export interface RdataCodec<D extends RecordData = RecordData> {
  readonly type: number;
  readonly kind: D['kind'];
  /**
   * Reads the RDATA between `reader.offset` and `reader.end` (names may point back into the
   * message) and must consume it exactly. Throws the DnsWireError `bad-rdata` (or what the
   * reader throws) for bytes that do not fit the type, never anything else.
   */
  decode(reader: DnsReader): D;
  /** Writes the RDATA (without RDLENGTH). Throws RangeError for a value the wire cannot hold. */
  encode(data: D, writer: DnsWriter): void;
  /** The RDATA fields of a zone file line; relative names are relative to `origin`. */
  parseText(tokens: readonly ZoneToken[], origin: DnsName | undefined): Result<D, string>;
  /** The RDATA in presentation form, fields separated by one space, as dig prints them. */
  formatText(data: D): string;
}
