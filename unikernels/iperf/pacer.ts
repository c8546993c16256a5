// -b: a sender keeps its average rate since the start at or under the target, as iperf3 does,
// sleeping until the bytes sent so far are due instead of polling. Without a target it never
// waits.

import type { Clock, Sleep } from '@oasis/core';

export class Pacer {
  readonly #clock: Clock;
  readonly #sleep: Sleep;
  /** Bytes per millisecond; 0 for no limit. */
  readonly #bytesPerMs: number;
  #startMs = 0;

  constructor(clock: Clock, sleep: Sleep, bitsPerSecond: number) {
    this.#clock = clock;
    this.#sleep = sleep;
    this.#bytesPerMs = bitsPerSecond / 8000;
  }

  get limited(): boolean {
    return this.#bytesPerMs > 0;
  }

  start(): void {
    this.#startMs = this.#clock.nowMs();
  }

  /** Resolves once `sentBytes` since `start` no longer exceed the rate (at once without a limit). */
  async wait(sentBytes: number): Promise<void> {
    if (this.#bytesPerMs === 0) return;
    const dueMs = this.#startMs + sentBytes / this.#bytesPerMs;
    const waitMs = dueMs - this.#clock.nowMs();
    if (waitMs > 0) await this.#sleep.sleep(waitMs);
  }
}
