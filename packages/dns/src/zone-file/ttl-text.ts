// TTLs in zone files: decimal seconds (RFC 1035 §5.1) or BIND's unit form `1w2d3h4m5s`, letters
// in either case, at most 2^31-1 seconds (RFC 2181 §8).

import { err, ok, type Result } from '@oasis/core';

export const MAX_TTL = 0x7fff_ffff;

const UNIT_SECONDS: Readonly<Record<string, number>> = {
  w: 604_800,
  d: 86_400,
  h: 3_600,
  m: 60,
  s: 1,
};

/** The TTL that `text` writes, or the reason it is not one. */
export function parseTtl(text: string): Result<number, string> {
  let seconds = 0;
  if (/^\d+$/.test(text)) {
    seconds = Number(text);
  } else if (/^(\d+[wdhms])+$/i.test(text)) {
    for (const [, count, unit] of text.matchAll(/(\d+)([wdhms])/gi)) {
      seconds += Number(count) * UNIT_SECONDS[unit!.toLowerCase()]!;
    }
  } else {
    return err(`bad TTL '${text}'`);
  }
  if (seconds > MAX_TTL) return err(`bad TTL '${text}': above ${MAX_TTL} seconds (RFC 2181 §8)`);
  return ok(seconds);
}
