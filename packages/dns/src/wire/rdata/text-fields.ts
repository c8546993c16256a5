// Reading the RDATA fields of a zone file line (RFC 1035 §5.1): a cursor over the tokens with
// one reader per field syntax, each naming the field in its error. The readers throw a
// FieldError that `parseFields` turns into an Err, so a codec's parseText reads its fields in
// order like its decode does, and no exception leaves this module's callers.

import { err, ok, type Result } from '@oasis/core';
import { DnsName, readEscape } from '../name.ts';
import { decodeBase64, decodeHex } from './binary-text.ts';
import type { ZoneToken } from './rdata-codec.ts';

class FieldError {
  readonly message: string;

  constructor(message: string) {
    this.message = message;
  }
}

/** Ends the current parseText with `message`. */
export function fail(message: string): never {
  throw new FieldError(message);
}

/** The value `read` takes from the tokens, which it must use up; the first field error otherwise. */
export function parseFields<D>(
  tokens: readonly ZoneToken[],
  origin: DnsName | undefined,
  read: (fields: FieldCursor) => D,
): Result<D, string> {
  try {
    const fields = new FieldCursor(tokens, origin);
    const value = read(fields);
    fields.end();
    return ok(value);
  } catch (error) {
    if (error instanceof FieldError) return err(error.message);
    throw error;
  }
}

export class FieldCursor {
  readonly #tokens: readonly ZoneToken[];
  readonly #origin: DnsName | undefined;
  #index = 0;

  constructor(tokens: readonly ZoneToken[], origin: DnsName | undefined) {
    this.#tokens = tokens;
    this.#origin = origin;
  }

  get done(): boolean {
    return this.#index >= this.#tokens.length;
  }

  /** The next token; fails naming `field` when there is none. */
  token(field: string): ZoneToken {
    const token = this.#tokens[this.#index];
    if (token === undefined) fail(`the ${field} is missing`);
    this.#index++;
    return token;
  }

  /** The tokens not read yet, consumed. */
  rest(): readonly ZoneToken[] {
    const rest = this.#tokens.slice(this.#index);
    this.#index = this.#tokens.length;
    return rest;
  }

  /** The text of the tokens not read yet, joined (hex and base64 may be split by spaces); not empty. */
  #joinedRest(field: string): string {
    const text = this.rest()
      .map((token) => token.text)
      .join('');
    if (text === '') fail(`the ${field} is missing`);
    return text;
  }

  /** Hex split over one or more tokens (RFC 4034 §5.3, RFC 6698 §2.2). */
  hexRest(field: string): Uint8Array {
    const text = this.#joinedRest(field);
    const bytes = decodeHex(text);
    if (bytes === undefined) fail(`the ${field} '${text}' is not hex, two digits a byte`);
    return bytes;
  }

  /** Base64 split over one or more tokens (RFC 4034 §2.2, §3.2). */
  base64Rest(field: string): Uint8Array {
    const text = this.#joinedRest(field);
    const bytes = decodeBase64(text);
    if (bytes === undefined) fail(`the ${field} is not canonical padded base64`);
    return bytes;
  }

  u8(field: string): number {
    return parseDecimal(this.token(field).text, 0xff, field);
  }

  u16(field: string): number {
    return parseDecimal(this.token(field).text, 0xffff, field);
  }

  u32(field: string): number {
    return parseDecimal(this.token(field).text, 0xffff_ffff, field);
  }

  /** A domain name, relative to the origin unless it ends in a dot. */
  name(field: string): DnsName {
    const name = DnsName.parse(this.token(field).text, this.#origin);
    if (!name.ok) fail(`the ${field}: ${name.error}`);
    return name.value;
  }

  /** A <character-string> (RFC 1035 §3.3): quoted or not, escapes decoded, at most 255 bytes. */
  characterString(field: string): Uint8Array {
    const bytes = decodeText(this.token(field).text, field);
    if (bytes.length > 255) {
      fail(`the ${field} is ${bytes.length} bytes and a character-string holds at most 255`);
    }
    return bytes;
  }

  /** Fails when tokens are left over. */
  end(): void {
    const extra = this.#tokens[this.#index];
    if (extra !== undefined) fail(`'${extra.text}' is one field too many`);
  }
}

/** A decimal number in 0..max (RFC 1035 §5.1 writes numbers in decimal). */
export function parseDecimal(text: string, max: number, field: string): number {
  const value = /^\d{1,10}$/.test(text) ? Number(text) : Number.NaN;
  if (!(value <= max)) fail(`the ${field} '${text}' is not a number in 0-${max}`);
  return value;
}

/**
 * The bytes of a zone file text field: `\X` is X and `\DDD` the byte DDD (RFC 1035 §5.1), other
 * ASCII characters are themselves, and other characters their UTF-8 bytes (a zone file is read
 * as UTF-8; what this module writes is ASCII with `\DDD` for the rest, so it reads back exactly).
 */
export function decodeText(text: string, field: string): Uint8Array {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const code = text.codePointAt(i)!;
    if (code === 0x5c) {
      const escaped = readEscape(text, i);
      if (escaped === undefined) fail(`the ${field} has a bad escape at character ${i + 1}`);
      bytes.push(escaped.byte);
      i = escaped.end - 1;
    } else if (code < 0x80) {
      bytes.push(code);
    } else {
      if (code > 0xffff) i++;
      pushUtf8(bytes, code);
    }
  }
  return Uint8Array.from(bytes);
}

function pushUtf8(bytes: number[], code: number): void {
  if (code < 0x800) bytes.push(0xc0 | (code >> 6), 0x80 | (code & 0x3f));
  else if (code < 0x10000) {
    bytes.push(0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f));
  } else {
    bytes.push(
      0xf0 | (code >> 18),
      0x80 | ((code >> 12) & 0x3f),
      0x80 | ((code >> 6) & 0x3f),
      0x80 | (code & 0x3f),
    );
  }
}

/**
 * Bytes as presentation text without the quotes: printable ASCII as itself, `"` and `\` with a
 * backslash, every other byte as `\DDD` (RFC 1035 §5.1), as dig prints character-strings.
 */
export function escapeText(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) {
    const char = String.fromCharCode(byte);
    if (byte < 0x20 || byte > 0x7e) out += `\\${byte.toString().padStart(3, '0')}`;
    else if (byte === 0x22 || byte === 0x5c) out += `\\${char}`;
    else out += char;
  }
  return out;
}

/** A <character-string> in presentation form: always quoted, as dig prints TXT and CAA values. */
export function quoteText(bytes: Uint8Array): string {
  return `"${escapeText(bytes)}"`;
}

/** Fields separated by spaces; an empty last field (an NSEC3 without types) is left out. */
export function joinFields(...fields: readonly { toString(): string }[]): string {
  return fields
    .map(String)
    .filter((field) => field !== '')
    .join(' ');
}
