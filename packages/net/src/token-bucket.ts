// A token bucket: bursts of up to `burst` events, then `ratePerSecond` on average. Used to limit
// the rate of ICMP error messages (RFC 1812 §4.3.2.8, RFC 1122 §3.2.2), whose generation an
// attacker can otherwise drive at line rate.

export interface TokenBucketOptions {
  /** Tokens added per second; any positive rate, fractions included (0.5 is one every 2 s). */
  readonly ratePerSecond: number;
  /** The most tokens the bucket holds, >= 1: the longest burst allowed after a quiet period. */
  readonly burst: number;
}

export class TokenBucket {
  readonly #ratePerSecond: number;
  /**
   * Tokens are counted in thousandths, so that the refill for a whole number of milliseconds at
   * a whole rate is an exact integer and many small refills add up to exactly a token.
   */
  readonly #capacityMilli: number;
  #milliTokens: number;
  #lastMs: number;

  /** Starts full at `nowMs`. RangeError for a rate that is not positive or a burst below 1. */
  constructor(options: TokenBucketOptions, nowMs: number) {
    const { ratePerSecond, burst } = options;
    if (!(Number.isFinite(ratePerSecond) && ratePerSecond > 0)) {
      throw new RangeError(`ratePerSecond must be a positive number, got ${ratePerSecond}`);
    }
    if (!(Number.isFinite(burst) && burst >= 1)) {
      throw new RangeError(
        `burst must be a number >= 1 (a smaller bucket never holds a whole token), got ${burst}`,
      );
    }
    this.#ratePerSecond = ratePerSecond;
    this.#capacityMilli = burst * 1000;
    this.#milliTokens = this.#capacityMilli;
    this.#lastMs = nowMs;
  }

  /**
   * Refills for the time since the latest `nowMs` seen (up to `burst`), then takes one token if
   * there is one. A time earlier than one already seen refills nothing, and does not move the
   * bucket's notion of the present back, so the same interval is never credited twice.
   */
  take(nowMs: number): boolean {
    if (nowMs > this.#lastMs) {
      // ratePerSecond tokens per 1000 ms is ratePerSecond thousandths per millisecond.
      this.#milliTokens = Math.min(
        this.#capacityMilli,
        this.#milliTokens + (nowMs - this.#lastMs) * this.#ratePerSecond,
      );
      this.#lastMs = nowMs;
    }
    if (this.#milliTokens < 1000) return false;
    this.#milliTokens -= 1000;
    return true;
  }
}
