// The lexical layer of master files (RFC 1035 §5.1): entries are lines, except that parentheses
// join lines into one entry; `;` starts a comment that runs to the end of the line; `"` quotes a
// field that may hold blanks, `;` and parentheses; `\X` and `\DDD` escape any character in any
// field. Escapes are left in the token text, for names and character-strings decode them their
// own way. Ends of lines may be CRLF; blanks are spaces and tabs.

import { err, ok, type Result } from '@oasis/core';
import type { ZoneToken } from '../wire/rdata/rdata-codec.ts';

export interface ZoneEntry {
  /** 1-based: the line where the entry starts. */
  readonly line: number;
  /** The entry starts with a blank: its owner is the previous entry's (RFC 1035 §5.1). */
  readonly blankOwner: boolean;
  /** At least one. */
  readonly tokens: readonly ZoneToken[];
}

export interface ZoneSyntaxError {
  readonly line: number;
  readonly reason: string;
}

const NEWLINE = '\n';

/**
 * The entries of `text` in order, each as soon as it is read, so that an error in an early entry
 * is found before a syntax error further down. Stops after the first error. Entries without any
 * field (blank lines, comment lines) are skipped.
 */
export function* zoneEntries(text: string): Generator<Result<ZoneEntry, ZoneSyntaxError>, void> {
  let at = 0;
  let line = 1;
  while (at < text.length) {
    const start = line;
    const blankOwner = text[at] === ' ' || text[at] === '\t';
    const tokens: ZoneToken[] = [];
    let depth = 0;
    for (;;) {
      const char = text[at];
      if (char === undefined) {
        if (depth > 0) {
          yield syntaxError(start, 'unbalanced parenthesis: end of file inside ( )');
          return;
        }
        break;
      }
      if (char === NEWLINE) {
        at++;
        line++;
        if (depth === 0) break;
      } else if (char === ' ' || char === '\t' || char === '\r') {
        at++;
      } else if (char === ';') {
        const end = text.indexOf(NEWLINE, at);
        at = end === -1 ? text.length : end;
      } else if (char === '(') {
        depth++;
        at++;
      } else if (char === ')') {
        if (depth === 0) {
          yield syntaxError(start, 'unbalanced parenthesis: ) without (');
          return;
        }
        depth--;
        at++;
      } else if (char === '"') {
        const end = quotedEnd(text, at + 1);
        if (end === undefined) {
          yield syntaxError(start, 'unterminated quoted string');
          return;
        }
        tokens.push({ text: text.slice(at + 1, end), quoted: true });
        at = end + 1;
      } else {
        const end = fieldEnd(text, at);
        if (end === undefined) {
          yield syntaxError(start, 'a backslash at the end of a line');
          return;
        }
        tokens.push({ text: text.slice(at, end), quoted: false });
        at = end;
      }
    }
    if (tokens.length > 0) yield ok({ line: start, blankOwner, tokens });
  }
}

function syntaxError(line: number, reason: string): Result<never, ZoneSyntaxError> {
  return err({ line, reason });
}

// The characters that end an unquoted field. BIND also ends a field at `"`, `(`, `)` and `;`
// written without a blank before them, so `a"b"` is two fields and `a;b` a field and a comment.
function isDelimiter(char: string): boolean {
  switch (char) {
    case ' ':
    case '\t':
    case '\r':
    case NEWLINE:
    case ';':
    case '(':
    case ')':
    case '"':
      return true;
    default:
      return false;
  }
}

/** The index of the closing quote of a string opened before `from`; undefined at a line's end. */
function quotedEnd(text: string, from: number): number | undefined {
  for (let at = from; at < text.length; at++) {
    const char = text[at];
    if (char === '"') return at;
    if (char === NEWLINE) return undefined;
    if (char === '\\') {
      if (text[at + 1] === NEWLINE) return undefined;
      at++;
    }
  }
  return undefined;
}

/** The index after an unquoted field starting at `from`; undefined for a backslash ending a line. */
function fieldEnd(text: string, from: number): number | undefined {
  let at = from;
  while (at < text.length) {
    const char = text[at]!;
    if (char === '\\') {
      const escaped = text[at + 1];
      if (escaped === undefined || escaped === NEWLINE || escaped === '\r') return undefined;
      at += 2;
    } else if (isDelimiter(char)) {
      break;
    } else {
      at++;
    }
  }
  return at;
}
