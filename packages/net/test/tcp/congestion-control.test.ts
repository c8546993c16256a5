import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type CongestionAlgorithm, initialWindow } from '../../src/tcp/congestion-control.ts';
import { createCongestionControl } from '../../src/tcp/create-congestion-control.ts';
import { NewReno } from '../../src/tcp/new-reno.ts';

const MSS = 1460;
const ALGORITHMS: readonly CongestionAlgorithm[] = ['newreno', 'cubic'];

/** A NewReno sender after a loss with `flightSize` bytes out: cwnd = ssthresh = flight/2. */
function afterLoss(flightSize: number): NewReno {
  const cc = new NewReno(MSS);
  cc.onCongestionEvent(flightSize, 0);
  return cc;
}

describe('initialWindow (RFC 6928 §2)', () => {
  it('is min(10·MSS, max(2·MSS, 14600))', () => {
    assert.equal(initialWindow(536), 5360, '10 segments');
    assert.equal(initialWindow(1460), 14_600, '10 segments, exactly 14600');
    assert.equal(initialWindow(4000), 14_600, '14600 bytes, 3.65 segments');
    assert.equal(initialWindow(9000), 18_000, '2 segments for a jumbo MSS');
  });

  it('refuses an MSS that is not a positive integer', () => {
    for (const mss of [0, -1460, 1460.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => initialWindow(mss), RangeError, String(mss));
    }
  });
});

describe('createCongestionControl', () => {
  it('makes either algorithm, in slow start with the initial window', () => {
    for (const algorithm of ALGORITHMS) {
      const cc = createCongestionControl(algorithm, 536, 0);
      assert.equal(cc.algorithm, algorithm);
      assert.equal(cc.cwnd, 5360);
      assert.equal(cc.ssthresh, Number.POSITIVE_INFINITY, 'RFC 5681 §3.1: arbitrarily high');
    }
  });

  it('refuses an unknown algorithm or a bad MSS', () => {
    assert.throws(
      () => createCongestionControl('vegas' as CongestionAlgorithm, MSS, 0),
      RangeError,
    );
    for (const algorithm of ALGORITHMS) {
      assert.throws(() => createCongestionControl(algorithm, 0, 0), RangeError);
    }
  });

  it('refuses byte counts that are negative or not finite, for both algorithms', () => {
    for (const algorithm of ALGORITHMS) {
      const cc = createCongestionControl(algorithm, MSS, 0);
      for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
        assert.throws(() => cc.onAck(bad, 0, 100), RangeError, `${algorithm} onAck ${bad}`);
        assert.throws(() => cc.onCongestionEvent(bad, 0), RangeError);
        assert.throws(() => cc.onRecoveryEnd(bad, 0), RangeError);
        assert.throws(() => cc.onRetransmitTimeout(bad, 0), RangeError);
      }
      assert.throws(() => cc.setMss(0), RangeError);
      assert.equal(cc.cwnd, 14_600, `${algorithm}: a refused call changes nothing`);
      assert.equal(cc.ssthresh, Number.POSITIVE_INFINITY);
      cc.onAck(0, 0, 100);
      assert.equal(cc.cwnd, 14_600, `${algorithm}: an ACK of nothing changes nothing`);
    }
  });
});

describe('NewReno', () => {
  it('grows by the bytes acknowledged in slow start, stretch ACKs included (RFC 3465)', () => {
    const cc = new NewReno(MSS);
    cc.onAck(MSS, 0, undefined);
    assert.equal(cc.cwnd, 16_060);
    cc.onAck(2 * MSS, 10, 100);
    assert.equal(cc.cwnd, 18_980);
    cc.onAck(20 * MSS, 20, 100);
    assert.equal(cc.cwnd, 48_180, 'no L limit: a 20-segment stretch ACK counts in full');
    cc.onAck(100, 30, 100);
    assert.equal(cc.cwnd, 48_280, 'a partial segment counts too');
  });

  it('stops slow start at ssthresh and counts the rest of the ACK as congestion avoidance', () => {
    const cc = afterLoss(40 * MSS);
    assert.equal(cc.ssthresh, 29_200);
    cc.onRecoveryEnd(4 * MSS, 0);
    assert.equal(cc.cwnd, 7300, 'min(ssthresh, 5840 + 1460)');

    cc.onAck(20_000, 0, 100);
    assert.equal(cc.cwnd, 27_300, 'slow start below ssthresh');
    cc.onAck(4000, 0, 100);
    assert.equal(cc.cwnd, 29_200, 'slow start ends exactly at ssthresh, not 31300');
    // The 2100 bytes beyond ssthresh are congestion avoidance credit: 27100 more make a window.
    cc.onAck(27_099, 0, 100);
    assert.equal(cc.cwnd, 29_200);
    cc.onAck(1, 0, 100);
    assert.equal(cc.cwnd, 30_660);
  });

  it('grows by one MSS per window acknowledged in congestion avoidance (RFC 5681 §3.1)', () => {
    const cc = afterLoss(40 * MSS);
    assert.equal(cc.cwnd, 20 * MSS);
    const cwndAfterEachWindow: number[] = [];
    for (let window = 0; window < 5; window++) {
      const segments = cc.cwnd / MSS;
      for (let i = 0; i < segments - 1; i++) cc.onAck(MSS, 0, 100);
      assert.equal(cc.cwnd, (20 + window) * MSS, 'no growth before the window is acknowledged');
      cc.onAck(MSS, 0, 100);
      cwndAfterEachWindow.push(cc.cwnd / MSS);
    }
    assert.deepEqual(cwndAfterEachWindow, [21, 22, 23, 24, 25]);
  });

  it('keeps growing by one MSS per window with stretch ACKs', () => {
    const cc = afterLoss(40 * MSS);
    cc.onAck(10 * MSS, 0, 100);
    assert.equal(cc.cwnd, 20 * MSS);
    cc.onAck(10 * MSS, 0, 100);
    assert.equal(cc.cwnd, 21 * MSS);
    cc.onAck(21 * MSS, 0, 100);
    assert.equal(cc.cwnd, 22 * MSS);
  });

  it('halves to ssthresh = max(FlightSize/2, 2·MSS) on a congestion event (eq. 4)', () => {
    const cc = new NewReno(MSS);
    cc.onAck(85_400, 0, 100);
    assert.equal(cc.cwnd, 100_000);
    cc.onCongestionEvent(80_000, 0);
    assert.equal(cc.ssthresh, 40_000, 'from FlightSize, not cwnd');
    assert.equal(cc.cwnd, 40_000);

    cc.onCongestionEvent(14_601, 0);
    assert.equal(cc.ssthresh, 7300, 'whole bytes');
    cc.onCongestionEvent(3000, 0);
    assert.equal(cc.ssthresh, 2920, 'never below 2·MSS');
    assert.equal(cc.cwnd, 2920);
  });

  it('drops to one MSS on a timeout, and keeps ssthresh across back-to-back timeouts', () => {
    const cc = new NewReno(MSS);
    cc.onAck(85_400, 0, 100);
    cc.onRetransmitTimeout(50_000, 0);
    assert.equal(cc.cwnd, MSS, 'the loss window (RFC 5681 §3.1)');
    assert.equal(cc.ssthresh, 25_000);

    cc.onRetransmitTimeout(MSS, 1000);
    assert.equal(cc.ssthresh, 25_000, 'the same segment again: ssthresh held (note on eq. 4)');
    assert.equal(cc.cwnd, MSS);

    cc.onAck(MSS, 2000, 100);
    assert.equal(cc.cwnd, 2 * MSS, 'slow start again');
    cc.onRetransmitTimeout(10_000, 3000);
    assert.equal(cc.ssthresh, 5000, 'new data was acknowledged in between: a new loss');
    assert.equal(cc.cwnd, MSS);
  });

  it('ends recovery with cwnd = min(ssthresh, max(FlightSize, MSS) + MSS) (RFC 6582 §3.2)', () => {
    const cc = afterLoss(100_000);
    assert.equal(cc.ssthresh, 50_000);
    cc.onRecoveryEnd(20_000, 0);
    assert.equal(cc.cwnd, 21_460);
    cc.onRecoveryEnd(100_000, 0);
    assert.equal(cc.cwnd, 50_000);
    cc.onRecoveryEnd(0, 0);
    assert.equal(cc.cwnd, 2920, 'max(0, MSS) + MSS');
    assert.equal(cc.ssthresh, 50_000, 'ssthresh is left alone');
  });

  it('restarts from the initial window after idle (RFC 5681 §4.1)', () => {
    const cc = afterLoss(100_000);
    cc.onIdleRestart(60_000);
    assert.equal(cc.cwnd, 14_600);
    assert.equal(cc.ssthresh, 50_000, 'ssthresh is left alone');
    cc.onAck(MSS, 60_100, 100);
    assert.equal(cc.cwnd, 16_060, 'slow start back toward ssthresh');

    const small = afterLoss(100_000);
    small.onRetransmitTimeout(50_000, 0);
    small.onIdleRestart(60_000);
    assert.equal(small.cwnd, MSS, 'a window below the restart window stays');
  });

  it('keeps the window in segments when the MSS changes, never below one MSS', () => {
    const cc = new NewReno(MSS);
    cc.setMss(1000);
    assert.equal(cc.cwnd, 10_000, '10 segments of 1460 become 10 of 1000');
    assert.equal(cc.ssthresh, Number.POSITIVE_INFINITY);

    cc.onCongestionEvent(40_000, 0);
    assert.equal(cc.ssthresh, 20_000);
    cc.setMss(500);
    assert.equal(cc.ssthresh, 10_000);
    assert.equal(cc.cwnd, 10_000);
    // bytes_acked scales too: half a window of credit stays half a window.
    cc.onAck(5000, 0, 100);
    cc.setMss(1000);
    assert.equal(cc.cwnd, 20_000);
    cc.onAck(9999, 0, 100);
    assert.equal(cc.cwnd, 20_000);
    cc.onAck(1, 0, 100);
    assert.equal(cc.cwnd, 21_000);

    cc.onRetransmitTimeout(0, 0);
    assert.equal(cc.cwnd, 1000);
    cc.setMss(100);
    assert.equal(cc.cwnd, 100, 'one segment stays one segment');
    cc.setMss(9000);
    assert.equal(cc.cwnd, 9000);
  });
});
