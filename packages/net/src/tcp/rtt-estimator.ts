// The TCP retransmission timeout (RFC 6298): a smoothed RTT and its variation, estimated from
// measurements the connection takes, and the timer's exponential backoff. Pure arithmetic: it
// reads no clock. Which segments may be measured (Karn's rule, RFC 6298 §3; timestamps,
// RFC 7323 §4) and when the timer runs (RFC 6298 §5) belong to the connection.

export interface RttEstimatorOptions {
  /** The RTO before the first measurement: 1 s (RFC 6298 §2.1). */
  readonly initialRtoMs?: number;
  /**
   * The smallest RTO. RFC 6298 §2.4 says an RTO below 1 s SHOULD be rounded up to 1 s; like
   * Linux (TCP_RTO_MIN) we default to 200 ms instead, since a 1 s floor stalls each timeout on
   * a LAN path for thousands of RTTs. The floor is what keeps a peer's delayed ACK from looking
   * like a loss: RFC 5681 §4.2 lets it wait up to 500 ms, but common stacks wait at most 200 ms.
   * Raise it toward 1 s for peers that delay longer.
   */
  readonly minRtoMs?: number;
  /** The largest RTO, backoff included: 60 s, the least RFC 6298 §2.5 allows as a maximum. */
  readonly maxRtoMs?: number;
  /** G, the clock granularity (RFC 6298 §2): the variance term is never below it. 1 ms. */
  readonly granularityMs?: number;
}

export const RTT_ESTIMATOR_DEFAULTS: Required<RttEstimatorOptions> = Object.freeze({
  initialRtoMs: 1000,
  minRtoMs: 200,
  maxRtoMs: 60_000,
  granularityMs: 1,
});

/** α and β of RFC 6298 §2.3. */
const ALPHA = 1 / 8;
const BETA = 1 / 4;
/** K of RFC 6298 §2. */
const K = 4;

export class RttEstimator {
  readonly #minRtoMs: number;
  readonly #maxRtoMs: number;
  readonly #granularityMs: number;
  #srttMs: number | undefined;
  #rttVarMs: number | undefined;
  #minRttMs: number | undefined;
  /** The RTO from the latest measurement (or the initial one), clamped, before any backoff. */
  #baseRtoMs: number;
  /** The RTO in force: `#baseRtoMs` doubled once per backoff, never above the maximum. */
  #rtoMs: number;
  #backoffCount = 0;

  /**
   * Throws RangeError for an option that is negative or not finite, a zero initial RTO, or a
   * minimum above the maximum. An initial RTO outside [min, max] is clamped into it.
   */
  constructor(options: RttEstimatorOptions = {}) {
    const { initialRtoMs, minRtoMs, maxRtoMs, granularityMs } = {
      ...RTT_ESTIMATOR_DEFAULTS,
      ...options,
    };
    for (const [name, value] of [
      ['initialRtoMs', initialRtoMs],
      ['minRtoMs', minRtoMs],
      ['maxRtoMs', maxRtoMs],
      ['granularityMs', granularityMs],
    ] as const) {
      if (!(Number.isFinite(value) && value >= 0)) {
        throw new RangeError(`${name} must be a finite number >= 0, got ${value}`);
      }
    }
    if (initialRtoMs === 0 || maxRtoMs === 0) {
      throw new RangeError('initialRtoMs and maxRtoMs must be above 0: a zero timer never waits');
    }
    if (minRtoMs > maxRtoMs) {
      throw new RangeError(`minRtoMs (${minRtoMs}) must not exceed maxRtoMs (${maxRtoMs})`);
    }
    this.#minRtoMs = minRtoMs;
    this.#maxRtoMs = maxRtoMs;
    this.#granularityMs = granularityMs;
    this.#baseRtoMs = this.#clamp(initialRtoMs);
    this.#rtoMs = this.#baseRtoMs;
  }

  /**
   * Takes one RTT measurement, in ms (RFC 6298 §2). The first sets SRTT = R and RTTVAR = R/2
   * (§2.2); later ones update RTTVAR = (1 - β)·RTTVAR + β·|SRTT - R| and then
   * SRTT = (1 - α)·SRTT + α·R with α = 1/8, β = 1/4 (§2.3). Either way
   * RTO = SRTT + max(G, 4·RTTVAR), clamped to [min, max] (§2.4, §2.5). A measurement also ends
   * any backoff: RFC 6298 §5 notes, after step 5.7, that a new RTT measurement after a
   * retransmission recomputes the RTO, which may collapse it back down.
   * Throws RangeError for a negative or non-finite RTT.
   */
  sample(rttMs: number): void {
    if (!(Number.isFinite(rttMs) && rttMs >= 0)) {
      throw new RangeError(`an RTT sample must be a finite number of ms >= 0, got ${rttMs}`);
    }
    if (this.#srttMs === undefined || this.#rttVarMs === undefined) {
      this.#srttMs = rttMs;
      this.#rttVarMs = rttMs / 2;
    } else {
      // RTTVAR first: it uses the SRTT from before this measurement (§2.3).
      this.#rttVarMs = (1 - BETA) * this.#rttVarMs + BETA * Math.abs(this.#srttMs - rttMs);
      this.#srttMs = (1 - ALPHA) * this.#srttMs + ALPHA * rttMs;
    }
    if (this.#minRttMs === undefined || rttMs < this.#minRttMs) this.#minRttMs = rttMs;
    this.#baseRtoMs = this.#clamp(this.#srttMs + Math.max(this.#granularityMs, K * this.#rttVarMs));
    this.#rtoMs = this.#baseRtoMs;
    this.#backoffCount = 0;
  }

  /** The retransmission timer expired: RTO = RTO·2, at most the maximum (RFC 6298 §5.5). */
  backoff(): void {
    this.#rtoMs = Math.min(this.#maxRtoMs, this.#rtoMs * 2);
    this.#backoffCount++;
  }

  /** The RTO in ms to arm the retransmission timer with, backoff included. */
  get rtoMs(): number {
    return this.#rtoMs;
  }

  /** SRTT in ms; undefined before the first measurement. */
  get srttMs(): number | undefined {
    return this.#srttMs;
  }

  /** RTTVAR in ms; undefined before the first measurement. */
  get rttVarMs(): number | undefined {
    return this.#rttVarMs;
  }

  /** The smallest measurement seen, in ms; undefined before the first. */
  get minRttMs(): number | undefined {
    return this.#minRttMs;
  }

  /** Backoffs since the latest measurement (or since the start). */
  get backoffCount(): number {
    return this.#backoffCount;
  }

  #clamp(rtoMs: number): number {
    return Math.min(this.#maxRtoMs, Math.max(this.#minRtoMs, rtoMs));
  }
}
