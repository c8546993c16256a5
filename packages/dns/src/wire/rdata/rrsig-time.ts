// RRSIG signature times in presentation form (RFC 4034 §3.2): YYYYMMDDHHmmSS in UTC, or the
// number of seconds since 1970-01-01T00:00:00Z. The wire field is 32 bits, so the dates it can
// name run from 1970 to 2106-02-07T06:28:15Z.

import { fail, parseDecimal } from './text-fields.ts';

const MAX_SECONDS = 0xffff_ffff;

export function formatRrsigTime(seconds: number): string {
  const date = new Date(seconds * 1000);
  const pad = (value: number) => value.toString().padStart(2, '0');
  return (
    date.getUTCFullYear().toString() +
    pad(date.getUTCMonth() + 1) +
    pad(date.getUTCDate()) +
    pad(date.getUTCHours()) +
    pad(date.getUTCMinutes()) +
    pad(date.getUTCSeconds())
  );
}

/**
 * Fourteen digits are a date (no 32-bit number has that many), anything shorter is seconds,
 * as RFC 4034 §3.2 lets the two forms be told apart.
 */
export function parseRrsigTime(text: string, field: string): number {
  if (!/^\d{14}$/.test(text)) return parseDecimal(text, MAX_SECONDS, field);
  const [year, month, day, hour, minute, second] = [0, 4, 6, 8, 10, 12].map((start, i) =>
    Number(text.slice(start, i === 0 ? 4 : start + 2)),
  ) as [number, number, number, number, number, number];
  const milliseconds = Date.UTC(year, month - 1, day, hour, minute, second);
  // Date.UTC rolls over out-of-range parts (month 13, second 60): a real date formats back the same.
  const seconds = milliseconds / 1000;
  if (seconds < 0 || seconds > MAX_SECONDS || formatRrsigTime(seconds) !== text) {
    fail(`the ${field} '${text}' is not a date and time in 1970-2106 as YYYYMMDDHHmmSS`);
  }
  return seconds;
}
