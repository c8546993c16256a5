// Driving virtual time from asynchronous code. Timer callbacks on a ManualClock run at once, but
// what they start (promise reactions, the work of an async service) runs later, on the event
// loop; so between timers the driver lets that work settle, and only then runs the next timer.
// Otherwise a reply scheduled by a promise callback would miss the instant it belongs to.

import type { ManualClock } from '@oasis/core';

export interface VirtualTimeOptions {
  /** Virtual time not to run past (the clock reads exactly this at the end unless `done` first). */
  readonly untilMs: number;
  /** Lets pending callbacks run: on Node a macrotask (`setImmediate`), elsewhere its equivalent. */
  readonly settle: () => Promise<void>;
  /** Checked after each settle; true stops the run at the current virtual time. */
  readonly done?: () => boolean;
}

/**
 * Settles, then fires timers one at a time, settling after each, until `done()` is true or the
 * next deadline lies past `untilMs`; then moves the clock to `untilMs` and settles once more.
 * Throws RangeError when the clock already reads past `untilMs`.
 */
export async function runVirtualTime(
  clock: ManualClock,
  options: VirtualTimeOptions,
): Promise<void> {
  const { untilMs, settle, done = () => false } = options;
  await settle();
  while (!done()) {
    const next = clock.nextDeadlineMs();
    if (next === undefined || next > untilMs) {
      clock.advanceTo(untilMs);
      await settle();
      return;
    }
    clock.runNext();
    await settle();
  }
}

/**
 * Runs virtual time as runVirtualTime does until `promise` settles, or to `untilMs`. Resolves
 * to whether the promise settled; its outcome stays with the caller.
 */
export async function settleInVirtualTime(
  clock: ManualClock,
  promise: Promise<unknown>,
  options: Omit<VirtualTimeOptions, 'done'>,
): Promise<boolean> {
  let settled = false;
  const mark = (): void => {
    settled = true;
  };
  promise.then(mark, mark);
  await runVirtualTime(clock, { ...options, done: () => settled });
  return settled;
}
