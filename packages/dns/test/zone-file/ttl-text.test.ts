// TTL text: decimal seconds and BIND units, bounded by RFC 2181 §8.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { MAX_TTL, parseTtl } from '../../src/zone-file/ttl-text.ts';

describe('TTL text', () => {
  it('reads decimal seconds and units, in either case, in any order', () => {
    const cases: [string, number][] = [
      ['0', 0],
      ['3600', 3600],
      ['007', 7],
      ['1h', 3600],
      ['1H30M', 5400],
      ['30m1h', 5400],
      ['1w2d3h4m5s', 788645],
      ['2147483647', MAX_TTL],
      ['3550w5d3h14m7s', MAX_TTL],
    ];
    for (const [text, seconds] of cases)
      assert.deepEqual(parseTtl(text), { ok: true, value: seconds });
  });

  it('refuses other text and values above 2^31-1', () => {
    for (const text of ['', 'x', '-1', '1.5', '1h30', 'h', '1x', '1 h', '0x10', '+5']) {
      assert.deepEqual(parseTtl(text), { ok: false, error: `bad TTL '${text}'` });
    }
    for (const text of ['2147483648', '3550w5d3h14m8s', '99999999999999999999']) {
      assert.deepEqual(parseTtl(text), {
        ok: false,
        error: `bad TTL '${text}': above 2147483647 seconds (RFC 2181 §8)`,
      });
    }
  });

  it('agrees with the sum of the units for any counts', () => {
    const count = fc.integer({ min: 0, max: 4000 });
    fc.assert(
      fc.property(count, count, count, count, count, (w, d, h, m, s) => {
        const seconds = w * 604800 + d * 86400 + h * 3600 + m * 60 + s;
        const parsed = parseTtl(`${w}w${d}d${h}h${m}m${s}s`);
        assert.deepEqual(
          parsed.ok ? parsed.value : undefined,
          seconds <= MAX_TTL ? seconds : undefined,
        );
      }),
    );
  });
});
