import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { TokenBucket } from '../src/token-bucket.ts';

/** How many of `count` takes at `nowMs` succeed. */
function takeMany(bucket: TokenBucket, nowMs: number, count: number): number {
  let taken = 0;
  for (let i = 0; i < count; i++) if (bucket.take(nowMs)) taken++;
  return taken;
}

describe('TokenBucket', () => {
  it('starts full: a burst, then refusal', () => {
    const bucket = new TokenBucket({ ratePerSecond: 10, burst: 5 }, 0);
    assert.equal(takeMany(bucket, 0, 5), 5);
    assert.equal(bucket.take(0), false);
    assert.equal(bucket.take(99), false, '0.99 of a token is not a token');
  });

  it('refills at the rate', () => {
    const bucket = new TokenBucket({ ratePerSecond: 10, burst: 5 }, 0);
    takeMany(bucket, 0, 5);
    assert.equal(bucket.take(100), true, 'one token per 100 ms');
    assert.equal(bucket.take(100), false);
    assert.equal(takeMany(bucket, 350, 10), 2, '250 ms more is 2.5 tokens');
    assert.equal(takeMany(bucket, 400, 10), 1, 'the half token left and 50 ms make one');
  });

  it('never holds more than the burst', () => {
    const bucket = new TokenBucket({ ratePerSecond: 1000, burst: 3 }, 0);
    assert.equal(takeMany(bucket, 3_600_000, 10), 3);
    assert.equal(takeMany(bucket, 3_600_001, 10), 1);
  });

  it('accumulates fractions exactly across many small refills', () => {
    const bucket = new TokenBucket({ ratePerSecond: 1, burst: 1 }, 0);
    assert.equal(bucket.take(0), true);
    for (let t = 1; t < 1000; t++) assert.equal(bucket.take(t), false, `at ${t} ms`);
    assert.equal(bucket.take(1000), true, 'a thousand 1 ms refills make one token');
  });

  it('supports fractional rates and bursts', () => {
    const bucket = new TokenBucket({ ratePerSecond: 0.5, burst: 1.5 }, 0);
    assert.equal(takeMany(bucket, 0, 3), 1);
    assert.equal(bucket.take(999), false, 'half a token plus just under half');
    assert.equal(bucket.take(1000), true);
    assert.equal(takeMany(bucket, 100_000, 3), 1, 'capped at 1.5 tokens');
    assert.equal(bucket.take(101_000), true, 'the half token kept and 1 s make one');
  });

  it('refills nothing when time goes backwards, and credits no interval twice', () => {
    const bucket = new TokenBucket({ ratePerSecond: 10, burst: 2 }, 1000);
    takeMany(bucket, 1000, 2);
    assert.equal(bucket.take(500), false);
    assert.equal(bucket.take(1050), false, '50 ms since the latest time seen, not since 500');
    assert.equal(bucket.take(1100), true);
  });

  it('never allows more than burst + rate × elapsed (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100 }),
        fc.integer({ min: 1, max: 10 }),
        fc.array(fc.integer({ min: -200, max: 500 }), { maxLength: 200 }),
        (ratePerSecond, burst, steps) => {
          const bucket = new TokenBucket({ ratePerSecond, burst }, 0);
          let nowMs = 0;
          let latestMs = 0;
          let taken = 0;
          for (const step of steps) {
            nowMs += step;
            latestMs = Math.max(latestMs, nowMs);
            if (bucket.take(nowMs)) taken++;
            assert.ok(taken <= burst + Math.floor((ratePerSecond * latestMs) / 1000));
          }
        },
      ),
    );
  });

  it('refuses a rate or burst that cannot work', () => {
    for (const options of [
      { ratePerSecond: 0, burst: 1 },
      { ratePerSecond: -1, burst: 1 },
      { ratePerSecond: Number.NaN, burst: 1 },
      { ratePerSecond: Number.POSITIVE_INFINITY, burst: 1 },
      { ratePerSecond: 1, burst: 0 },
      { ratePerSecond: 1, burst: -3 },
      { ratePerSecond: 1, burst: 0.5 },
    ]) {
      assert.throws(() => new TokenBucket(options, 0), RangeError, JSON.stringify(options));
    }
  });
});
