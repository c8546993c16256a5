import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Cubic } from '../../src/tcp/cubic.ts';
import { NewReno } from '../../src/tcp/new-reno.ts';

// RFC 9438 works in segments and seconds; an MSS of 1000 bytes makes a segment count and a byte
// count easy to read side by side.
const MSS = 1000;
const C = 0.4;
const BETA = 0.7;
const ALPHA = (3 * (1 - BETA)) / (1 + BETA);

/** W_cubic(t) of RFC 9438 §4.2 eq. 1, in bytes. */
function wCubicBytes(tSeconds: number, kSeconds: number, wMaxSegments: number): number {
  return MSS * (C * (tSeconds - kSeconds) ** 3 + wMaxSegments);
}

/**
 * One round trip of a sender that fills its window: one ACK per full segment of cwnd, spread
 * evenly over `rttMs` from `startMs`, with SRTT = `rttMs`. Returns the time one RTT later.
 */
function ackOneRtt(cc: Cubic, startMs: number, rttMs: number): number {
  const segments = Math.floor(cc.cwnd / MSS);
  for (let i = 0; i < segments; i++) cc.onAck(MSS, startMs + (i * rttMs) / segments, rttMs);
  return startMs + rttMs;
}

/**
 * A CUBIC sender that slow-started to `wMaxSegments`, lost a segment with the window full at
 * time 0, and finished recovery at 100 ms: cwnd = ssthresh = β·W_max, no stage started yet.
 */
function afterLoss(wMaxSegments: number): Cubic {
  const cc = new Cubic(MSS);
  cc.onAck(wMaxSegments * MSS - cc.cwnd, 0, 100);
  assert.equal(cc.cwnd, wMaxSegments * MSS);
  cc.onCongestionEvent(wMaxSegments * MSS, 0);
  cc.onRecoveryEnd(cc.ssthresh, 100);
  return cc;
}

describe('Cubic', () => {
  it('slow-starts exactly like NewReno (no HyStart)', () => {
    const cubic = new Cubic(MSS);
    const reno = new NewReno(MSS);
    for (const [acked, nowMs] of [
      [MSS, 0],
      [3 * MSS, 50],
      [500, 60],
      [40 * MSS, 100],
    ] as const) {
      cubic.onAck(acked, nowMs, 100);
      reno.onAck(acked, nowMs, 100);
      assert.equal(cubic.cwnd, reno.cwnd);
    }
    assert.equal(cubic.cwnd, 54_500);
    assert.equal(cubic.ssthresh, Number.POSITIVE_INFINITY);
  });

  it('reduces to β·W_max on a loss and sets K = cbrt(W_max·(1 − β)/C) (§4.2, §4.6)', () => {
    const cc = new Cubic(MSS);
    cc.onAck(90_000, 0, 100);
    cc.onCongestionEvent(100_000, 0);
    assert.equal(cc.wMaxSegments, 100);
    assert.equal(cc.ssthresh, 70_000);
    assert.equal(cc.cwnd, 70_000);
    assert.equal(cc.kSeconds, undefined, 'the stage starts at the first ACK after recovery');

    cc.onRecoveryEnd(70_000, 100);
    assert.equal(cc.cwnd, 70_000, 'min(ssthresh, FlightSize + MSS)');
    cc.onAck(MSS, 100, 100);
    // K = cbrt(100·0.3/0.4) = cbrt(75) ≈ 4.217 s.
    assert.ok(Math.abs((cc.kSeconds ?? 0) - 4.217_163_326_508_746) < 1e-12, `K ${cc.kSeconds}`);

    const fromFlight = new Cubic(MSS);
    fromFlight.onCongestionEvent(12_345, 0);
    assert.equal(fromFlight.ssthresh, 8641, 'FlightSize·β in whole bytes');
    assert.equal(fromFlight.wMaxSegments, 10, 'W_max is the cwnd before the reduction');
  });

  it('follows W_cubic(t) back to W_max at t = K (§4.4), one ACK per segment per RTT', () => {
    const cc = afterLoss(100);
    const kSeconds = Math.cbrt(75);
    const epochMs = 100;
    let nowMs = epochMs;
    for (let round = 1; round <= 42; round++) {
      nowMs = ackOneRtt(cc, nowMs, 100);
      const expected = wCubicBytes((nowMs - epochMs) / 1000, kSeconds, 100);
      assert.ok(
        Math.abs(cc.cwnd - expected) < 0.25 * MSS,
        `round ${round}: cwnd ${cc.cwnd}, W_cubic ${expected.toFixed(0)}`,
      );
    }
    // 4.2 s after the stage began, t ≈ K: back at the window where the loss happened.
    assert.equal(nowMs - epochMs, 4200);
    assert.ok(Math.abs(cc.cwnd - 100_000) < 50, `cwnd ${cc.cwnd}`);
    assert.equal(cc.wMaxSegments, 100);
  });

  it('grows concave below W_max and convex above it (§4.4, §4.5)', () => {
    const cc = afterLoss(100);
    let nowMs = 100;
    const growth: number[] = [];
    for (let round = 0; round < 55; round++) {
      const before = cc.cwnd;
      nowMs = ackOneRtt(cc, nowMs, 100);
      growth.push(cc.cwnd - before);
    }
    /** Growth over rounds [from, from + 5). */
    const fiveRounds = (from: number) => growth.slice(from, from + 5).reduce((a, b) => a + b, 0);
    // Concave: each 5 rounds grow less than the 5 before, until the plateau around K (42 RTTs).
    for (let from = 5; from <= 35; from += 5) {
      assert.ok(fiveRounds(from) < fiveRounds(from - 5), `concave at round ${from}`);
    }
    // Convex: past the plateau, each 5 rounds grow more than the 5 before.
    for (let from = 45; from <= 50; from += 5) {
      assert.ok(fiveRounds(from) > fiveRounds(from - 5), `convex at round ${from}`);
    }
    // First RTT: W_cubic(0.1 s) − 70 segments ≈ 2.05 segments; at the plateau, almost nothing.
    assert.ok(Math.abs((growth[0] ?? 0) - 2051) < 50, `first round ${growth[0]}`);
    assert.ok((growth[41] ?? 0) < 10, `plateau ${growth[41]}`);
    assert.ok((growth[54] ?? 0) > 150, `convex ${growth[54]}`);
    assert.ok(cc.cwnd > 100_000 && cc.cwnd < 101_000, `cwnd ${cc.cwnd}`);
  });

  it('never grows by more than half the window per RTT: target ≤ 1.5·cwnd (§4.2)', () => {
    // W_max = 10 segments, 1 s RTT: W_cubic(20 s) is about 2350 segments, far above cwnd.
    const cc = new Cubic(MSS);
    cc.onCongestionEvent(10_000, 0);
    let nowMs = 0;
    let before = cc.cwnd;
    for (let round = 0; round < 25; round++) {
      nowMs = ackOneRtt(cc, nowMs, 1000);
      assert.ok(cc.cwnd <= 1.5 * before + MSS, `round ${round}: ${before} to ${cc.cwnd}`);
      before = cc.cwnd;
    }
    assert.ok(cc.cwnd > 2_300_000, `then it follows the convex curve: ${cc.cwnd}`);
  });

  it('lowers W_max to cwnd·(1 + β)/2 when a loss comes below the last W_max (§4.7)', () => {
    const cc = afterLoss(100);
    cc.onAck(MSS, 100, 100);
    const lossCwnd = cc.cwnd / MSS;
    assert.ok(lossCwnd > 70 && lossCwnd < 70.1, `cwnd ${lossCwnd} segments, below W_max = 100`);
    cc.onCongestionEvent(70_000, 200);
    const wMax = cc.wMaxSegments ?? 0;
    assert.ok(Math.abs(wMax - lossCwnd * 0.85) < 0.001, `W_max ${wMax}: cwnd·0.85, not cwnd`);
    assert.equal(cc.ssthresh, 49_000);
    assert.equal(cc.cwnd, 49_000);
    cc.onAck(MSS, 300, 100);
    // K = cbrt((59.5 − 49)/0.4) ≈ 2.97 s, where it would be cbrt((70 − 49)/0.4) ≈ 3.74 s.
    const expectedK = Math.cbrt((wMax - 49) / C);
    assert.ok(Math.abs((cc.kSeconds ?? 0) - expectedK) < 1e-9, `K ${cc.kSeconds}`);
    assert.ok(Math.abs(expectedK - 2.97) < 0.01);

    // A loss above the last W_max: W_max is simply the cwnd then.
    const growing = afterLoss(100);
    let nowMs = 100;
    for (let round = 0; round < 55; round++) nowMs = ackOneRtt(growing, nowMs, 100);
    const cwnd = growing.cwnd;
    assert.ok(cwnd > 100_000);
    growing.onCongestionEvent(cwnd, nowMs);
    assert.ok(Math.abs((growing.wMaxSegments ?? 0) - cwnd / MSS) < 0.001);
    assert.equal(growing.ssthresh, Math.floor(cwnd * BETA));
  });

  it('is Reno-friendly at small windows and short RTTs (§4.3)', () => {
    // W_max = 10 segments, 1 ms RTT: in 20 ms the cubic curve climbs from 7 to 7.091 segments.
    const cc = new Cubic(MSS);
    cc.onCongestionEvent(10_000, 0);
    assert.equal(cc.cwnd, 7000);
    let nowMs = 10;
    for (let round = 0; round < 20; round++) nowMs = ackOneRtt(cc, nowMs, 1);
    const cubicAlone = wCubicBytes(0.02, Math.cbrt(3 / C), 10);
    assert.ok(Math.abs(cubicAlone - 7091) < 1);
    // W_est: α_cubic ≈ 0.53 segments per RTT up to cwnd_prior = 10 segments (5.7 RTTs), then 1
    // per RTT (α = 1): about 24 segments, less a little for ACKing whole segments only.
    assert.ok(Math.abs(ALPHA - 0.529_411_764_705_882_4) < 1e-15);
    assert.ok(cc.cwnd > 22_000 && cc.cwnd < 24_500, `cwnd ${cc.cwnd}`);
  });

  it('starts the stage after a timeout flat at the window then, K = 0 (§4.8)', () => {
    const cc = new Cubic(MSS);
    cc.onAck(90_000, 0, 100);
    cc.onRetransmitTimeout(100_000, 0);
    assert.equal(cc.cwnd, MSS);
    assert.equal(cc.ssthresh, 70_000, 'FlightSize·β, as for a loss');
    assert.equal(cc.wMaxSegments, undefined);

    cc.onRetransmitTimeout(MSS, 1000);
    assert.equal(cc.ssthresh, 70_000, 'held across back-to-back timeouts (RFC 5681 §3.1)');

    cc.onAck(69_000, 1100, 100);
    assert.equal(cc.cwnd, 70_000, 'slow start up to ssthresh');
    const before = cc.cwnd;
    ackOneRtt(cc, 1200, 100);
    assert.equal(cc.kSeconds, 0);
    assert.equal(cc.wMaxSegments, 70);
    // C·(0.2 s)³ ≈ 0.003 segments from the curve: W_est's α_cubic ≈ 0.53 segments rules.
    assert.ok(Math.abs(cc.cwnd - before - ALPHA * MSS) < 10, `growth ${cc.cwnd - before}`);
  });

  it('never goes below one MSS', () => {
    const cc = new Cubic(MSS);
    cc.onRetransmitTimeout(0, 0);
    assert.equal(cc.cwnd, MSS);
    assert.equal(cc.ssthresh, 2 * MSS);
    cc.onRetransmitTimeout(0, 1000);
    assert.equal(cc.cwnd, MSS);
    cc.onCongestionEvent(0, 2000);
    assert.equal(cc.cwnd, 2 * MSS, 'a loss leaves at least 2·MSS');
    assert.equal(cc.ssthresh, 2 * MSS);
    cc.onRecoveryEnd(0, 2100);
    assert.equal(cc.cwnd, 2 * MSS);
    cc.onRetransmitTimeout(0, 3000);
    cc.onIdleRestart(100_000);
    assert.equal(cc.cwnd, MSS);
    cc.setMss(100);
    assert.equal(cc.cwnd, 100, 'one segment stays one segment');
  });

  it('does not count idle time as growth time: no leap after an idle restart (§5.8)', () => {
    // A large window: restarting at the initial window, slow start back to ssthresh, and then
    // a new stage that climbs from ssthresh as after a loss, not at 1.5·cwnd per RTT.
    const cc = afterLoss(100);
    let nowMs = 100;
    for (let round = 0; round < 10; round++) nowMs = ackOneRtt(cc, nowMs, 100);
    // W_cubic(1 s) ≈ 86.68 segments.
    assert.ok(Math.abs(cc.cwnd - 86_680) < 250, `cwnd ${cc.cwnd}`);
    nowMs += 100_000;
    cc.onIdleRestart(nowMs);
    assert.equal(cc.cwnd, 10_000, 'the restart window (RFC 5681 §4.1)');
    assert.equal(cc.ssthresh, 70_000);
    assert.equal(cc.kSeconds, undefined);
    cc.onAck(60_000, nowMs, 100);
    assert.equal(cc.cwnd, 70_000);
    const before = cc.cwnd;
    nowMs = ackOneRtt(cc, nowMs, 100);
    assert.ok(Math.abs((cc.kSeconds ?? 0) - Math.cbrt(75)) < 1e-9, `K ${cc.kSeconds}`);
    assert.ok(Math.abs(cc.cwnd - before - 2051) < 50, `growth ${cc.cwnd - before}`);

    // A small window, below the restart window: cwnd stays, and the next RTT grows it by well
    // under a segment (the old stage, 60 s on, would have allowed 1.5·cwnd).
    const small = new Cubic(MSS);
    small.onCongestionEvent(10_000, 0);
    nowMs = 100;
    for (let round = 0; round < 5; round++) nowMs = ackOneRtt(small, nowMs, 100);
    const cwnd = small.cwnd;
    assert.ok(Math.abs(cwnd - 9398) < 20, `cwnd ${cwnd}`);
    nowMs += 60_000;
    small.onIdleRestart(nowMs);
    assert.equal(small.cwnd, cwnd);
    ackOneRtt(small, nowMs, 100);
    assert.ok(small.cwnd - cwnd > 400 && small.cwnd - cwnd < 600, `growth ${small.cwnd - cwnd}`);
    assert.ok(Math.abs((small.kSeconds ?? 0) - Math.cbrt((10 - cwnd / MSS) / C)) < 0.01);
  });

  it('keeps the window and its course in segments when the MSS changes', () => {
    const cc = afterLoss(100);
    cc.setMss(1500);
    assert.equal(cc.cwnd, 105_000);
    assert.equal(cc.ssthresh, 105_000);
    assert.equal(cc.wMaxSegments, 100);
    cc.onAck(1500, 100, 100);
    assert.ok(Math.abs((cc.kSeconds ?? 0) - Math.cbrt(75)) < 1e-9, 'K still from 70 to 100');
  });

  it('works before any RTT sample, with SRTT taken as 0', () => {
    const cc = afterLoss(100);
    // At t = 0 with no RTT the target is W_cubic(0) = cwnd: only W_est grows, by α_cubic/70.
    cc.onAck(MSS, 100, undefined);
    const first = 70 + ALPHA / 70;
    assert.equal(cc.cwnd, Math.floor(first * MSS));
    assert.equal(cc.cwnd, 70_007);
    // At t = 1 s: W_cubic(1) = 0.4·(1 − 4.217)³ + 100 ≈ 86.68 segments.
    cc.onAck(MSS, 1100, undefined);
    const target = wCubicBytes(1, Math.cbrt(75), 100) / MSS;
    const expected = MSS * (first + (target - first) / first);
    assert.ok(Math.abs(cc.cwnd - expected) < 1, `cwnd ${cc.cwnd}, expected ${expected}`);
    assert.equal(cc.cwnd, 70_245);
  });
});
