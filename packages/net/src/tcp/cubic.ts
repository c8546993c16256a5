// CUBIC congestion control (RFC 9438). In congestion avoidance the window follows a cubic
// function of the time since the current congestion avoidance stage began: concave up to the
// window where the last loss happened (W_max), flat near it, then convex, probing for more.
// A Reno-friendly estimate keeps it at least as fast as standard TCP, which is what rules at small
// windows and short RTTs. Slow start, the loss window after a timeout and the end of recovery
// are standard TCP, as in NewReno; there is no HyStart (slow start runs until ssthresh or a
// loss). Not here: undoing spurious congestion events (§4.9), and holding cwnd while the sender
// is application-limited (§5.8), which is the connection's to decide since it alone knows.
//
// The cubic function works in segments and seconds, as the RFC writes it; cwnd and ssthresh
// are bytes, like the contract's.

import {
  type CongestionAlgorithm,
  type CongestionControl,
  checkByteCount,
  checkMss,
  initialWindow,
} from './congestion-control.ts';

/** C, in segments per second cubed (RFC 9438 §4.1, §5). */
const C = 0.4;
/** β_cubic, the multiplicative decrease factor (§4.6). */
const BETA = 0.7;
/** α_cubic = 3(1 − β)/(1 + β), the Reno-friendly additive increase (§4.3); ≈0.53. */
const ALPHA = (3 * (1 - BETA)) / (1 + BETA);

/** One congestion avoidance stage; the window sizes are in segments. */
interface Epoch {
  /** epoch_start: when the stage began, at its first ACK (§4.1). */
  readonly startMs: number;
  /** K in seconds: when W_cubic reaches `wMax`, counted from `startMs` (§4.2 eq. 2). */
  readonly k: number;
  /** The plateau of this stage's curve: W_max, or cwnd_epoch when that is larger. */
  readonly wMax: number;
  /** W_est, the Reno-friendly window (§4.3). */
  wEst: number;
}

export class Cubic implements CongestionControl {
  readonly algorithm: CongestionAlgorithm = 'cubic';
  #mss: number;
  /** In bytes, with a fraction: growth per ACK is often less than a byte. */
  #cwnd: number;
  #ssthresh = Number.POSITIVE_INFINITY;
  /**
   * W_max in segments: where the cubic function plateaus. Undefined before the first congestion
   * event and after a timeout, until the next congestion avoidance stage sets it (§4.8).
   */
  #wMax: number | undefined;
  /** cwnd_prior in segments: cwnd when ssthresh was last set, just before the reduction. */
  #cwndPrior = 0;
  /** The current congestion avoidance stage; undefined outside one, until its first ACK. */
  #epoch: Epoch | undefined;
  /** As in NewReno: a further timeout with no new data acknowledged keeps ssthresh. */
  #timedOut = false;

  /** Starts in slow start with the RFC 6928 initial window. RangeError for a bad MSS. */
  constructor(mss: number) {
    this.#mss = checkMss(mss);
    this.#cwnd = initialWindow(mss);
  }

  get cwnd(): number {
    return Math.floor(this.#cwnd);
  }

  get ssthresh(): number {
    return this.#ssthresh;
  }

  /** W_max in segments, for inspection: undefined before the first loss and after a timeout. */
  get wMaxSegments(): number | undefined {
    return this.#wMax;
  }

  /** K in seconds, for inspection: undefined outside a congestion avoidance stage. */
  get kSeconds(): number | undefined {
    return this.#epoch?.k;
  }

  /**
   * Slow start as in NewReno, up to ssthresh. In congestion avoidance, the first ACK starts the
   * stage (epoch_start, K, W_est); then each ACK moves cwnd toward the target
   * W_cubic(t + SRTT), clamped to [cwnd, 1.5·cwnd] (§4.2), by (target − cwnd)/cwnd per segment
   * acknowledged (§4.4, §4.5), and grows W_est (§4.3); cwnd takes the larger of the two.
   */
  onAck(ackedBytes: number, nowMs: number, srttMs: number | undefined): void {
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
    const mss = this.#mss;
    const cwnd = this.#cwnd / mss;
    this.#epoch ??= this.#startEpoch(nowMs, cwnd);
    const epoch = this.#epoch;
    const acked = rest / mss;

    // §4.2: t is the time since epoch_start, and the target looks one RTT ahead.
    const t = Math.max(0, nowMs - epoch.startMs) / 1000;
    const rtt = (srttMs ?? 0) / 1000;
    const wCubic = C * (t + rtt - epoch.k) ** 3 + epoch.wMax;
    const target = Math.min(1.5 * cwnd, Math.max(cwnd, wCubic));
    const cubicCwnd = Math.min(target, cwnd + ((target - cwnd) / cwnd) * acked);

    // §4.3: W_est grows like Reno with α_cubic per RTT, or α = 1 once it reaches cwnd_prior.
    const alpha = epoch.wEst >= this.#cwndPrior ? 1 : ALPHA;
    epoch.wEst += (alpha * acked) / cwnd;

    this.#cwnd = Math.max(cubicCwnd, epoch.wEst) * mss;
  }

  /**
   * §4.7 then §4.6: W_max = cwnd, or cwnd·(1 + β)/2 when cwnd is below the previous W_max (fast
   * convergence: a shrinking share releases bandwidth to newer flows); cwnd_prior = cwnd;
   * ssthresh = max(FlightSize·β, 2·MSS); cwnd = ssthresh. The next congestion avoidance ACK
   * starts a new stage.
   */
  onCongestionEvent(flightSize: number, _nowMs: number): void {
    const ssthresh = this.#reduced(flightSize);
    const cwnd = this.#cwnd / this.#mss;
    this.#wMax = this.#wMax !== undefined && cwnd < this.#wMax ? (cwnd * (1 + BETA)) / 2 : cwnd;
    this.#cwndPrior = cwnd;
    this.#ssthresh = ssthresh;
    this.#cwnd = ssthresh;
    this.#epoch = undefined;
    this.#timedOut = false;
  }

  /** cwnd = min(ssthresh, max(FlightSize, MSS) + MSS), as in NewReno (RFC 6582 §3.2 step 3). */
  onRecoveryEnd(flightSize: number, _nowMs: number): void {
    checkByteCount('flightSize', flightSize);
    this.#cwnd = Math.min(this.#ssthresh, Math.max(flightSize, this.#mss) + this.#mss);
    this.#epoch = undefined;
    this.#timedOut = false;
  }

  /**
   * §4.8: cwnd = 1·MSS as in Reno; ssthresh = max(FlightSize·β, 2·MSS) as for a loss (kept if
   * the timer already expired with no new data acknowledged since). W_max is forgotten: the
   * first congestion avoidance stage after a timeout starts with K = 0 and W_max = cwnd.
   */
  onRetransmitTimeout(flightSize: number, _nowMs: number): void {
    const ssthresh = this.#reduced(flightSize);
    if (!this.#timedOut) {
      this.#cwndPrior = this.#cwnd / this.#mss;
      this.#ssthresh = ssthresh;
    }
    this.#cwnd = this.#mss;
    this.#wMax = undefined;
    this.#epoch = undefined;
    this.#timedOut = true;
  }

  /**
   * cwnd = min(cwnd, initial window) (RFC 5681 §4.1), and the congestion avoidance stage ends:
   * the next one starts at the next ACK in congestion avoidance, from the cwnd then, so the idle
   * time never counts as growth time (RFC 9438 §5.8) and cannot make cwnd leap to a far point
   * on the old curve.
   */
  onIdleRestart(_nowMs: number): void {
    this.#cwnd = Math.min(this.#cwnd, initialWindow(this.#mss));
    this.#epoch = undefined;
  }

  /**
   * Scales cwnd and ssthresh by new MSS / old MSS; the cubic state is in segments already, so
   * the window keeps its size and its course in segments.
   */
  setMss(mss: number): void {
    checkMss(mss);
    const ratio = mss / this.#mss;
    this.#cwnd = Math.max(mss, this.#cwnd * ratio);
    this.#ssthresh = Math.max(2 * mss, Math.round(this.#ssthresh * ratio));
    this.#mss = mss;
  }

  /**
   * A congestion avoidance stage starting at `nowMs` with cwnd_epoch = `cwnd` segments, for
   * W_cubic(t) = C·(t − K)³ + W_max (§4.2 eq. 1) with K = cbrt((W_max − cwnd_epoch)/C) (eq. 2;
   * when a loss left cwnd_epoch = β·W_max, that is cbrt(W_max·(1 − β)/C), and the curve passes
   * through cwnd_epoch at t = 0 in every case), and W_est = cwnd_epoch (§4.3). With no W_max (after a timeout, §4.8) or one at or below cwnd_epoch, the curve
   * starts flat at cwnd_epoch: K = 0 and W_max = cwnd_epoch.
   */
  #startEpoch(nowMs: number, cwnd: number): Epoch {
    if (this.#wMax === undefined || this.#wMax <= cwnd) {
      this.#wMax = cwnd;
      return { startMs: nowMs, k: 0, wMax: cwnd, wEst: cwnd };
    }
    const k = Math.cbrt((this.#wMax - cwnd) / C);
    return { startMs: nowMs, k, wMax: this.#wMax, wEst: cwnd };
  }

  /** max(FlightSize·β, 2·MSS) in whole bytes (§4.6). */
  #reduced(flightSize: number): number {
    checkByteCount('flightSize', flightSize);
    return Math.max(Math.floor(flightSize * BETA), 2 * this.#mss);
  }
}
