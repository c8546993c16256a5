// Taking turns on the event loop. A sender whose writes complete at once (the socket buffer has
// room, and Node calls back on the next tick) runs on microtasks alone and never lets the loop
// poll for input: the client's TEST_END would wait behind it, and the server would go on sending
// what the client no longer counts. So a sender hands over a turn every `everyMs` of
// uninterrupted work: a macrotask, `setImmediate` where the platform has it (Node's zero timeout
// is a millisecond), otherwise a zero-length sleep on the Sleep device.

import type { Clock, Sleep } from '@oasis/core';

/** Measured on loopback: every 5 ms costs no throughput and keeps TEST_END prompt. */
export const TURN_EVERY_MS = 5;

const immediate: (() => Promise<void>) | undefined =
  typeof setImmediate === 'function'
    ? () => new Promise<void>((resolve) => setImmediate(resolve))
    : undefined;

export class Turns {
  readonly #clock: Clock;
  readonly #sleep: Sleep;
  readonly #everyMs: number;
  #sinceMs: number;

  constructor(clock: Clock, sleep: Sleep, everyMs = TURN_EVERY_MS) {
    this.#clock = clock;
    this.#sleep = sleep;
    this.#everyMs = everyMs;
    this.#sinceMs = clock.nowMs();
  }

  /** Resolves at once, or after a turn of the event loop when `everyMs` have passed. */
  async take(): Promise<void> {
    if (this.#clock.nowMs() - this.#sinceMs < this.#everyMs) return;
    await (immediate?.() ?? this.#sleep.sleep(0));
    this.#sinceMs = this.#clock.nowMs();
  }
}
