// Makes the congestion control algorithm a connection asked for. It is kept out of the contract
// (congestion-control.ts) because the algorithms import that file: no import cycle forms.

import type { CongestionAlgorithm, CongestionControl } from './congestion-control.ts';
import { Cubic } from './cubic.ts';
import { NewReno } from './new-reno.ts';

/**
 * A new algorithm instance for a connection whose sender MSS is `mss`, at `nowMs` (the
 * algorithms here start their clocks at their first congestion avoidance ACK, so it is not used
 * yet). Throws RangeError for an MSS that is not a positive integer.
 */
export function createCongestionControl(
  algorithm: CongestionAlgorithm,
  mss: number,
  _nowMs: number,
): CongestionControl {
  switch (algorithm) {
    case 'newreno':
      return new NewReno(mss);
    case 'cubic':
      return new Cubic(mss);
    default: {
      const unknown: never = algorithm;
      throw new RangeError(`unknown congestion control algorithm '${String(unknown)}'`);
    }
  }
}
