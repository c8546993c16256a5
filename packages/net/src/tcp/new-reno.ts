// NewReno congestion control (RFC 5681, with RFC 6582 recovery run by the connection): slow
// start and congestion avoidance with byte counting (RFC 3465 §2.1), halving on loss.

import {
  type CongestionAlgorithm,
  type CongestionControl,
  checkByteCount,
  checkMss,
  initialWindow,
} from './congestion-control.ts';

export class NewReno implements CongestionControl {
  readonly algorithm: CongestionAlgorithm = 'newreno';
  #mss: number;
  #cwnd: number;
  #ssthresh = Number.POSITIVE_INFINITY;
  /**
   * bytes_acked of RFC 3465 §2.1: bytes acknowledged in congestion avoidance since cwnd last
   * grew there. Each time it reaches cwnd, it drops by cwnd and cwnd grows by one MSS.
   */
  #bytesAcked = 0;
  /**
   * The retransmission timer expired and no new data has been acknowledged since: a further
   * expiry retransmits the same segment, and keeps ssthresh (RFC 5681 §3.1, note on eq. 4).
   */
  #timedOut = false;

  /** Starts in slow start with the RFC 6928 initial window. RangeError for a bad MSS. */
  constructor(mss: number) {
    this.#mss = checkMss(mss);
    this.#cwnd = initialWindow(mss);
  }

  get cwnd(): number {
    return this.#cwnd;
  }

  get ssthresh(): number {
    return this.#ssthresh;
  }

  /**
   * Slow start (cwnd < ssthresh) adds the acknowledged bytes, up to ssthresh (RFC 3465 §2.2
   * without L); the rest, and every ACK in congestion avoidance, adds to bytes_acked, and cwnd
   * grows by one MSS per cwnd bytes acknowledged (RFC 5681 §3.1, RFC 3465 §2.1).
   */
  onAck(ackedBytes: number, _nowMs: number, _srttMs: number | undefined): void {
    checkByteCount('ackedBytes', ackedBytes);
    if (ackedBytes === 0) return;
    this.#timedOut = false;
    let rest = ackedBytes;
    if (this.#cwnd < this.#ssthresh) {
      const growth = Math.min(rest, this.#ssthresh - this.#cwnd);
      this.#cwnd += growth;
      rest -= growth;
      if (rest === 0) return;
    }
    this.#bytesAcked += rest;
    while (this.#bytesAcked >= this.#cwnd) {
      this.#bytesAcked -= this.#cwnd;
      this.#cwnd += this.#mss;
    }
  }

  /** ssthresh = max(FlightSize / 2, 2·MSS) (RFC 5681 §3.1 eq. 4), and cwnd = ssthresh. */
  onCongestionEvent(flightSize: number, _nowMs: number): void {
    this.#ssthresh = this.#halved(flightSize);
    this.#cwnd = this.#ssthresh;
    this.#bytesAcked = 0;
    this.#timedOut = false;
  }

  /** cwnd = min(ssthresh, max(FlightSize, MSS) + MSS) (RFC 6582 §3.2 step 3). */
  onRecoveryEnd(flightSize: number, _nowMs: number): void {
    checkByteCount('flightSize', flightSize);
    this.#cwnd = Math.min(this.#ssthresh, Math.max(flightSize, this.#mss) + this.#mss);
    this.#bytesAcked = 0;
    this.#timedOut = false;
  }

  /**
   * ssthresh = max(FlightSize / 2, 2·MSS) (eq. 4), unless the timer already expired with no
   * new data acknowledged since; cwnd = 1·MSS, the loss window (RFC 5681 §3.1).
   */
  onRetransmitTimeout(flightSize: number, _nowMs: number): void {
    const ssthresh = this.#halved(flightSize);
    if (!this.#timedOut) this.#ssthresh = ssthresh;
    this.#cwnd = this.#mss;
    this.#bytesAcked = 0;
    this.#timedOut = true;
  }

  /** cwnd = min(cwnd, restart window), the restart window being the initial window (§4.1). */
  onIdleRestart(_nowMs: number): void {
    const restartWindow = initialWindow(this.#mss);
    if (this.#cwnd > restartWindow) {
      this.#cwnd = restartWindow;
      this.#bytesAcked = 0;
    }
  }

  /** Scales cwnd, ssthresh and bytes_acked by new MSS / old MSS: the same window in segments. */
  setMss(mss: number): void {
    checkMss(mss);
    const ratio = mss / this.#mss;
    this.#cwnd = Math.max(mss, Math.round(this.#cwnd * ratio));
    this.#ssthresh = Math.max(2 * mss, Math.round(this.#ssthresh * ratio));
    this.#bytesAcked = Math.round(this.#bytesAcked * ratio);
    this.#mss = mss;
  }

  /** max(FlightSize / 2, 2·MSS) in whole bytes (RFC 5681 §3.1 eq. 4). */
  #halved(flightSize: number): number {
    checkByteCount('flightSize', flightSize);
    return Math.max(Math.floor(flightSize / 2), 2 * this.#mss);
  }
}
