// Time as the rest of Oasis sees it. Protocol code never reads global time: it is handed a
// Clock, and asks a Sleep to wake it. The real implementations below use the platform's timers;
// ManualClock (manual-clock.ts) is the virtual-time one for simulations and tests.

import { AbortError } from './errors.ts';

export interface Clock {
  /** Monotonic time in milliseconds from an arbitrary origin. Never goes back; may have a fraction. */
  nowMs(): number;
  /** Wall-clock time in milliseconds since the Unix epoch. May jump when the host's clock is set. */
  wallMs(): number;
}

/** A pending wake-up; cancelling one that has fired or was cancelled does nothing. */
export interface Timer {
  cancel(): void;
}

export interface Sleep {
  /**
   * Resolves after `durationMs` of monotonic time; rejects with AbortError (code EABORTED) if
   * `signal` aborts first.
   */
  sleep(durationMs: number, signal?: AbortSignal): Promise<void>;
  /**
   * Calls `callback` once, when the monotonic clock reaches `deadlineMs` (at once if it already
   * has). This is how a state machine's `pollAt` is honoured.
   */
  setTimer(deadlineMs: number, callback: () => void): Timer;
}

/** The host's clocks: `performance.now()` and `Date.now()`. */
export class SystemClock implements Clock {
  nowMs(): number {
    return performance.now();
  }

  wallMs(): number {
    return Date.now();
  }
}

/** The longest delay setTimeout honours (a signed 32-bit millisecond count). */
const MAX_TIMEOUT_MS = 0x7fff_ffff;

/** Sleeps on the platform's timers, measured against a Clock (the system one by default). */
export class SystemSleep implements Sleep {
  readonly #clock: Clock;

  constructor(clock: Clock = new SystemClock()) {
    this.#clock = clock;
  }

  setTimer(deadlineMs: number, callback: () => void): Timer {
    let handle: ReturnType<typeof setTimeout>;
    const arm = (): void => {
      const delayMs = Math.max(0, deadlineMs - this.#clock.nowMs());
      // setTimeout takes at most 2^31 - 1 ms and fires at once beyond it: wait in steps.
      if (delayMs <= MAX_TIMEOUT_MS) handle = setTimeout(callback, delayMs);
      else handle = setTimeout(arm, MAX_TIMEOUT_MS);
    };
    arm();
    return { cancel: () => clearTimeout(handle) };
  }

  sleep(durationMs: number, signal?: AbortSignal): Promise<void> {
    return sleepWith(this, this.#clock.nowMs() + durationMs, signal);
  }
}

/** `Sleep.sleep` in terms of `setTimer`, for any implementation of the contract. */
export function sleepWith(
  timers: Pick<Sleep, 'setTimer'>,
  deadlineMs: number,
  signal?: AbortSignal,
): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new AbortError());
      return;
    }
    const onAbort = (): void => {
      timer.cancel();
      reject(new AbortError());
    };
    const timer = timers.setTimer(deadlineMs, () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
