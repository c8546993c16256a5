// Host names as hosts files and blocklists write them: plain dotted text, no escapes. The
// characters are those of RFC 952 and RFC 1123 §2.1 host names (letters, digits, hyphens) plus
// the underscore, which real lists contain (`_dmarc`, tracker names) and DNS allows in any label
// (RFC 2181 §11). Anything else (`\`, `*`, `/`, non-ASCII text: IDNs must be written in their
// xn-- form, RFC 5890 §2.3.2.1) is refused, so a name read here means the same to every reader.
// Names are absolute: a trailing dot is allowed and the root is appended when it is missing.

import { err, ok, type Result } from '@oasis/core';
import { DnsName, MAX_LABEL_LENGTH, MAX_NAME_WIRE_LENGTH } from '../../wire/name.ts';
import type { LabelArena } from './label-arena.ts';

const DOT = 0x2e;

/** Parses a host name, its labels stored in `arena`. */
export function parseHostName(text: string, arena: LabelArena): Result<DnsName, string> {
  const end = text.endsWith('.') ? text.length - 1 : text.length;
  if (end === 0) return err(`'${text}' is not a host name`);
  // Check every character before storing any label: a bad name leaves nothing in the arena.
  let start = 0;
  for (let i = 0; i <= end; i++) {
    const code = i === end ? DOT : text.charCodeAt(i);
    if (code === DOT) {
      if (i === start) return err(`'${text}' has an empty label`);
      if (i - start > MAX_LABEL_LENGTH) {
        return err(`'${text}' has a label longer than ${MAX_LABEL_LENGTH} bytes`);
      }
      start = i + 1;
    } else if (!isHostNameCharacter(code)) {
      const character = String.fromCodePoint(text.codePointAt(i)!);
      return err(`'${text}' contains '${character}', which is not a letter, digit, '-' or '_'`);
    }
  }
  // Wire form: each label with its length byte (the dots and the first label's byte), and the root's 0.
  if (end + 2 > MAX_NAME_WIRE_LENGTH) {
    return err(`'${text}' is longer than ${MAX_NAME_WIRE_LENGTH} bytes in wire form`);
  }
  const labels: Uint8Array[] = [];
  start = 0;
  for (let i = 0; i <= end; i++) {
    if (i === end || text.charCodeAt(i) === DOT) {
      labels.push(arena.copy(text, start, i));
      start = i + 1;
    }
  }
  return ok(DnsName.fromLabels(labels));
}

function isHostNameCharacter(code: number): boolean {
  return (
    (code >= 0x61 && code <= 0x7a) || // a-z
    (code >= 0x41 && code <= 0x5a) || // A-Z
    (code >= 0x30 && code <= 0x39) || // 0-9
    code === 0x2d || // -
    code === 0x5f // _
  );
}
