import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RTT_ESTIMATOR_DEFAULTS, RttEstimator } from '../../src/tcp/rtt-estimator.ts';

// The sample values are chosen so that every step of RFC 6298 §2 is exact in binary floating
// point (multiples of powers of two), so the expected values are written out in full.

describe('RttEstimator', () => {
  it('starts with the initial RTO and no estimate (RFC 6298 §2.1)', () => {
    const rtt = new RttEstimator();
    assert.equal(rtt.rtoMs, 1000);
    assert.equal(rtt.srttMs, undefined);
    assert.equal(rtt.rttVarMs, undefined);
    assert.equal(rtt.minRttMs, undefined);
    assert.equal(rtt.backoffCount, 0);
    assert.deepEqual(RTT_ESTIMATOR_DEFAULTS, {
      initialRtoMs: 1000,
      minRtoMs: 200,
      maxRtoMs: 60_000,
      granularityMs: 1,
    });
  });

  it('takes the first sample as SRTT = R, RTTVAR = R/2, RTO = SRTT + 4·RTTVAR (§2.2)', () => {
    const rtt = new RttEstimator();
    rtt.sample(100);
    assert.equal(rtt.srttMs, 100);
    assert.equal(rtt.rttVarMs, 50);
    assert.equal(rtt.rtoMs, 300);
    assert.equal(rtt.minRttMs, 100);
  });

  it('smooths later samples with α = 1/8, β = 1/4, RTTVAR before SRTT (§2.3)', () => {
    const rtt = new RttEstimator();
    rtt.sample(100);

    rtt.sample(200);
    // RTTVAR = 3/4·50 + 1/4·|100 − 200| = 62.5; SRTT = 7/8·100 + 1/8·200 = 112.5.
    assert.equal(rtt.rttVarMs, 62.5);
    assert.equal(rtt.srttMs, 112.5);
    assert.equal(rtt.rtoMs, 112.5 + 4 * 62.5);

    rtt.sample(60);
    // RTTVAR = 3/4·62.5 + 1/4·|112.5 − 60| = 60; SRTT = 7/8·112.5 + 1/8·60 = 105.9375.
    assert.equal(rtt.rttVarMs, 60);
    assert.equal(rtt.srttMs, 105.9375);
    assert.equal(rtt.rtoMs, 345.9375);
    assert.equal(rtt.minRttMs, 60);

    rtt.sample(80);
    assert.equal(rtt.minRttMs, 60, 'the minimum is the smallest sample, not the latest');
  });

  it('never lets the variance term fall below the granularity G (§2.3)', () => {
    const rtt = new RttEstimator({ minRtoMs: 0, granularityMs: 10 });
    rtt.sample(20);
    assert.equal(rtt.rtoMs, 20 + 4 * 10, '4·RTTVAR = 40 is above G');
    for (let i = 0; i < 10; i++) rtt.sample(20);
    // RTTVAR = 10·(3/4)^10 ≈ 0.56, so 4·RTTVAR ≈ 2.25 < G.
    assert.equal(rtt.srttMs, 20);
    assert.equal(rtt.rttVarMs, 10 * 0.75 ** 10);
    assert.equal(rtt.rtoMs, 30);
  });

  it('clamps the RTO to the minimum (§2.4, 200 ms by default) and the maximum (§2.5)', () => {
    const rtt = new RttEstimator();
    rtt.sample(10);
    assert.equal(rtt.rtoMs, 200, '10 + 4·5 = 30 ms is below the minimum');
    assert.equal(rtt.srttMs, 10, 'the clamp does not touch the estimate');

    const slow = new RttEstimator();
    slow.sample(30_000);
    assert.equal(slow.rtoMs, 60_000, '30 s + 4·15 s = 90 s is above the maximum');

    const rfcFloor = new RttEstimator({ minRtoMs: 1000 });
    rfcFloor.sample(100);
    assert.equal(rfcFloor.rtoMs, 1000, 'the RFC 6298 §2.4 one-second floor, when asked for');

    const clampedInitial = new RttEstimator({ initialRtoMs: 100, minRtoMs: 150, maxRtoMs: 500 });
    assert.equal(clampedInitial.rtoMs, 150, 'the initial RTO is clamped too');
  });

  it('handles a zero RTT, as on virtual time', () => {
    const rtt = new RttEstimator({ minRtoMs: 0 });
    rtt.sample(0);
    assert.equal(rtt.srttMs, 0);
    assert.equal(rtt.rttVarMs, 0);
    assert.equal(rtt.rtoMs, 1, 'SRTT + max(G, 0) with G = 1 ms');
    assert.equal(rtt.minRttMs, 0);
  });

  it('doubles the RTO on each backoff, up to the maximum (§5.5)', () => {
    const rtt = new RttEstimator();
    rtt.sample(100);
    const seen: number[] = [];
    for (let i = 0; i < 10; i++) {
      rtt.backoff();
      seen.push(rtt.rtoMs);
    }
    assert.deepEqual(seen, [600, 1200, 2400, 4800, 9600, 19_200, 38_400, 60_000, 60_000, 60_000]);
    assert.equal(rtt.backoffCount, 10);
    assert.equal(rtt.srttMs, 100, 'backoff leaves the estimate alone');
    assert.equal(rtt.rttVarMs, 50);
  });

  it('backs off the initial RTO before any sample', () => {
    const rtt = new RttEstimator({ maxRtoMs: 5000 });
    rtt.backoff();
    assert.equal(rtt.rtoMs, 2000);
    rtt.backoff();
    assert.equal(rtt.rtoMs, 4000);
    rtt.backoff();
    assert.equal(rtt.rtoMs, 5000);
    assert.equal(rtt.backoffCount, 3);
  });

  it('ends the backoff with a new sample (§5, note after step 5.7)', () => {
    const rtt = new RttEstimator();
    rtt.sample(100);
    rtt.backoff();
    rtt.backoff();
    rtt.backoff();
    assert.equal(rtt.rtoMs, 2400);
    rtt.sample(100);
    // RTTVAR = 3/4·50 + 0 = 37.5, SRTT = 100: RTO = 250, not 2400 or a multiple of 250.
    assert.equal(rtt.backoffCount, 0);
    assert.equal(rtt.rttVarMs, 37.5);
    assert.equal(rtt.rtoMs, 250);
    rtt.backoff();
    assert.equal(rtt.rtoMs, 500, 'a later backoff doubles the new RTO');
  });

  it('refuses options and samples that cannot be RTTs', () => {
    for (const options of [
      { initialRtoMs: 0 },
      { initialRtoMs: -1 },
      { minRtoMs: -1 },
      { maxRtoMs: 0 },
      { maxRtoMs: Number.POSITIVE_INFINITY },
      { granularityMs: Number.NaN },
      { minRtoMs: 2000, maxRtoMs: 1000 },
    ]) {
      assert.throws(() => new RttEstimator(options), RangeError, JSON.stringify(options));
    }
    const rtt = new RttEstimator();
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => rtt.sample(bad), RangeError, String(bad));
    }
    assert.equal(rtt.srttMs, undefined, 'a refused sample changes nothing');
  });
});
