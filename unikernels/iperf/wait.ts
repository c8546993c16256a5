// Waiting with a deadline on the service's Sleep device, so that a stalled client cannot hold the
// server forever, and the same waits run in virtual time on the simulator.

import type { Clock, Sleep } from '@oasis/core';

export const TIMED_OUT: unique symbol = Symbol('timed out');

/** `promise`'s value, or TIMED_OUT once `timeoutMs` have passed on `clock`. */
export function withDeadline<T>(
  promise: Promise<T>,
  timeoutMs: number,
  clock: Clock,
  sleep: Sleep,
): Promise<T | typeof TIMED_OUT> {
  let cancel = (): void => undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    const timer = sleep.setTimer(clock.nowMs() + timeoutMs, () => resolve(TIMED_OUT));
    cancel = () => timer.cancel();
  });
  return Promise.race([promise, timeout]).finally(cancel);
}
