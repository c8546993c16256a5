// Test helper: splits RDATA text into zone tokens the way the zone file tokenizer does (RFC 1035
// §5.1): blanks separate fields, `"` starts a quoted field and also ends an unquoted one (so
// `alpn="h2"` is `alpn=` and a quoted `h2`), backslash escapes stay in the text, and
// parentheses only group lines.

import type { ZoneToken } from '../../src/wire/rdata/rdata-codec.ts';

export function zoneTokens(text: string): ZoneToken[] {
  const tokens: ZoneToken[] = [];
  const field = /"((?:[^"\\]|\\.)*)"|((?:[^\s"();\\]|\\.)+)|[\s()]+/gy;
  for (const match of text.matchAll(field)) {
    if (match[1] !== undefined) tokens.push({ text: match[1], quoted: true });
    else if (match[2] !== undefined) tokens.push({ text: match[2], quoted: false });
  }
  const consumed = [...text.matchAll(field)].reduce((sum, match) => sum + match[0].length, 0);
  if (consumed !== text.length) throw new RangeError(`unbalanced quote or escape in ${text}`);
  return tokens;
}
