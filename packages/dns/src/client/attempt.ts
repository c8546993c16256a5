// One attempt of a query: a question sent to one server over one transport, waiting for the
// first of four endings. The transport settles it with an answer or a failure it saw (a refused
// connection, a reset); the deadline settles it with a timeout, which sends the client on to the
// next server; the caller's AbortSignal rejects it with AbortError, and the client's `close`
// with ClosedError: those two end the whole query. Timers come from the Sleep device, never the
// platform's, so attempts run in virtual time in the simulator.

import { AbortError, ClosedError, type OasisError, type Sleep, TimeoutError } from '@oasis/core';
import type { DnsMessage } from '../wire/message.ts';

export type AttemptOutcome =
  | { readonly kind: 'answer'; readonly message: DnsMessage }
  | { readonly kind: 'failed'; readonly error: OasisError };

export type SettleAttempt = (outcome: AttemptOutcome) => void;

export interface AttemptLimits {
  readonly sleep: Sleep;
  /** Monotonic time (the Sleep device's clock) at which the attempt times out. */
  readonly deadlineMs: number;
  /** The caller's signal, if any. */
  readonly signal: AbortSignal | undefined;
  /** Aborted when the client closes. */
  readonly closed: AbortSignal;
}

/**
 * Calls `start` (which sends the query and calls `settle` once it knows the outcome; later calls
 * do nothing) and resolves with the outcome, or TimeoutError at the deadline. Rejects with
 * AbortError or ClosedError, without calling `start` when the signal or the client was already
 * done. The caller releases what the attempt used (sockets, the query's place on a connection)
 * once this settles, whichever way.
 */
export function runAttempt(
  limits: AttemptLimits,
  start: (settle: SettleAttempt) => void,
): Promise<AttemptOutcome> {
  const { signal, closed } = limits;
  return new Promise((resolve, reject) => {
    if (closed.aborted) {
      reject(new ClosedError('the DNS client'));
      return;
    }
    if (signal?.aborted) {
      reject(new AbortError('the DNS query was aborted'));
      return;
    }
    let done = false;
    const finish = (end: () => void): void => {
      if (done) return;
      done = true;
      timer.cancel();
      signal?.removeEventListener('abort', onAbort);
      closed.removeEventListener('abort', onClose);
      end();
    };
    const onAbort = (): void => finish(() => reject(new AbortError('the DNS query was aborted')));
    const onClose = (): void => finish(() => reject(new ClosedError('the DNS client')));
    const timer = limits.sleep.setTimer(limits.deadlineMs, () =>
      finish(() =>
        resolve({ kind: 'failed', error: new TimeoutError('no answer before the deadline') }),
      ),
    );
    signal?.addEventListener('abort', onAbort, { once: true });
    closed.addEventListener('abort', onClose, { once: true });
    try {
      start((outcome) => finish(() => resolve(outcome)));
    } catch (error) {
      // A bug in the transport, not an outcome: surface it rather than wait for the deadline.
      finish(() => reject(error));
    }
  });
}
