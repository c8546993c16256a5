// The contract between a TCP sender and its congestion control algorithm. The connection detects
// losses, runs recovery (RFC 6582 "recover", the RFC 6675 pipe and scoreboard) and decides when
// each event below happens; the algorithm owns cwnd and ssthresh, both in bytes. Algorithms are
// pure: the time comes in as `nowMs`, and nothing here sends, sets a timer or reads a clock.
// The factory is in create-congestion-control.ts, so that the algorithms can import from this
// file without an import cycle.

export type CongestionAlgorithm = 'cubic' | 'newreno';

export interface CongestionControl {
  readonly algorithm: CongestionAlgorithm;
  /** The congestion window in whole bytes, never below one MSS. */
  readonly cwnd: number;
  /**
   * The slow start threshold in bytes: Infinity until the first congestion event or timeout
   * (RFC 5681 §3.1 lets it start "arbitrarily high"). Slow start runs while cwnd < ssthresh.
   */
  readonly ssthresh: number;
  /**
   * `ackedBytes` newly acknowledged outside loss recovery. In slow start cwnd grows by the bytes
   * acknowledged (byte counting, RFC 3465 §2.2, without its L limit: a receiver that batches
   * and segmentation offload make stretch ACKs normal), up to ssthresh; the rest of an ACK that
   * crosses ssthresh counts as congestion avoidance, the algorithm's own growth.
   * `srttMs` is undefined before the first RTT measurement.
   */
  onAck(ackedBytes: number, nowMs: number, srttMs: number | undefined): void;
  /**
   * A loss found by duplicate ACKs or SACK, at fast retransmit (RFC 5681 §3.2 step 2,
   * RFC 6675 §5 step 4): ssthresh is set from `flightSize`, the bytes outstanding, and
   * cwnd = ssthresh. Call it once per recovery episode.
   */
  onCongestionEvent(flightSize: number, nowMs: number): void;
  /**
   * Recovery ended with a full ACK: cwnd = min(ssthresh, max(flightSize, MSS) + MSS), the
   * RFC 6582 §3.2 step 3 option that avoids a burst.
   */
  onRecoveryEnd(flightSize: number, nowMs: number): void;
  /**
   * The retransmission timer expired: cwnd = 1 MSS, the loss window (RFC 5681 §3.1), and
   * ssthresh is set from `flightSize` the way the algorithm does for a loss. Call it at every
   * expiry: the algorithm holds ssthresh constant across expiries with no ACK of new data
   * between them, since those retransmit the same segment again (RFC 5681 §3.1, note on eq. 4).
   */
  onRetransmitTimeout(flightSize: number, nowMs: number): void;
  /**
   * Sending restarts after an idle period longer than the RTO (RFC 5681 §4.1):
   * cwnd = min(cwnd, the initial window).
   */
  onIdleRestart(nowMs: number): void;
  /**
   * The sender MSS changed (path MTU): the window keeps its size in segments, and is never
   * below one new MSS. Throws RangeError for an MSS that is not a positive integer.
   */
  setMss(mss: number): void;
}

/**
 * The initial window in bytes for a sender MSS of `mss` (RFC 6928 §2):
 * min(10·MSS, max(2·MSS, 14600)). It is also the restart window after idle (RFC 5681 §4.1).
 * Throws RangeError for an MSS that is not a positive integer.
 */
export function initialWindow(mss: number): number {
  checkMss(mss);
  return Math.min(10 * mss, Math.max(2 * mss, 14_600));
}

/** For algorithms: throws RangeError unless `mss` is a positive integer; returns it. */
export function checkMss(mss: number): number {
  if (!(Number.isSafeInteger(mss) && mss > 0)) {
    throw new RangeError(`an MSS must be a positive integer number of bytes, got ${mss}`);
  }
  return mss;
}

/** For algorithms: throws RangeError unless `bytes` is a finite number >= 0; returns it. */
export function checkByteCount(name: string, bytes: number): number {
  if (!(Number.isFinite(bytes) && bytes >= 0)) {
    throw new RangeError(`${name} must be a finite number of bytes >= 0, got ${bytes}`);
  }
  return bytes;
}
