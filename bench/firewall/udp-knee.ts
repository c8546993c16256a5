// The UDP rate to measure a router at: the highest target rate (iperf3 -b) whose loss stays
// within a limit, its "knee" (the throughput of RFC 2544 §26.1, with a loss allowance instead of
// none, since iperf3's pacing is bursty). Two steps:
//
// - `findUdpKnee`, once per side: short probes, the rate doubling from `start` until a probe
//   loses more than the limit, then the interval between the last rate within it and the first
//   beyond halved `bisections` times. It gives the rounds a starting rate.
// - `measureNearKnee`, in every round: a staircase (up-and-down) from that rate, since on a
//   shared 2-core machine one rate loses 1% in one test and 15% in the next. A test beyond the
//   limit is repeated at 85% of its rate, up to 4 times; the round reports the first test within
//   the limit, and the next round starts 5% above it. So each round measures just under the knee,
//   and the median over the rounds follows the knee rather than one lucky probe.
//
// When the sender cannot reach the rate it was asked for (it sent less than 90% of it) with the
// loss still within the limit, the knee is beyond what one iperf3 sender offers: both steps stop
// climbing there and say so.

import type { IperfResult } from './iperf.ts';

/** A test that sent less than this share of its target rate was limited by the sender. */
const SENDER_SHORTFALL = 0.9;
/** The staircase: down after a test beyond the loss limit, up after one within it. */
const STEP_DOWN = 0.85;
const STEP_UP = 1.05;
const MAX_ATTEMPTS = 4;

export interface KneeSearch {
  readonly startBitsPerSecond: number;
  readonly maxBitsPerSecond: number;
  readonly lossLimitPercent: number;
  readonly bisections: number;
}

export interface KneeProbe {
  readonly targetBitsPerSecond: number;
  readonly receivedBitsPerSecond: number;
  readonly sentBitsPerSecond: number;
  readonly lostPercent: number;
}

export interface Knee {
  /** The rate to measure at. */
  readonly bitsPerSecond: number;
  /** Whether a test at that rate stayed within the loss limit (false: even the lowest did not). */
  readonly withinLimit: boolean;
  /** The sender, not the router, set the limit. */
  readonly senderLimited: boolean;
  readonly probes: readonly KneeProbe[];
}

/** One round's UDP test near the knee: the test it reports, and the rate for the next round. */
export interface NearKnee extends Knee {
  readonly result: IperfResult;
  readonly nextBitsPerSecond: number;
}

/** `test(rate)` runs one UDP test at that target rate. */
type UdpTest = (bitsPerSecond: number) => Promise<IperfResult>;

/** Runs tests, keeping what each found. */
class Probes {
  readonly list: KneeProbe[] = [];
  readonly #lossLimitPercent: number;
  readonly #test: UdpTest;

  constructor(lossLimitPercent: number, test: UdpTest) {
    this.#lossLimitPercent = lossLimitPercent;
    this.#test = test;
  }

  async run(rate: number): Promise<{ result: IperfResult; within: boolean; senderShort: boolean }> {
    const result = await this.#test(rate);
    const lostPercent = result.lostPercent ?? 100;
    this.list.push({
      targetBitsPerSecond: rate,
      receivedBitsPerSecond: result.receivedBitsPerSecond,
      sentBitsPerSecond: result.sentBitsPerSecond,
      lostPercent,
    });
    return {
      result,
      within: lostPercent <= this.#lossLimitPercent,
      senderShort: result.sentBitsPerSecond < SENDER_SHORTFALL * rate,
    };
  }
}

export async function findUdpKnee(search: KneeSearch, test: UdpTest): Promise<Knee> {
  const probes = new Probes(search.lossLimitPercent, test);
  const done = (bitsPerSecond: number, withinLimit: boolean, senderLimited: boolean): Knee => ({
    bitsPerSecond,
    withinLimit,
    senderLimited,
    probes: probes.list,
  });
  let good = 0;
  let bad = search.startBitsPerSecond;
  for (let rate = search.startBitsPerSecond; ; rate = Math.min(2 * rate, search.maxBitsPerSecond)) {
    const { within, senderShort } = await probes.run(rate);
    if (!within) {
      bad = rate;
      break;
    }
    good = rate;
    if (senderShort) return done(rate, true, true);
    if (rate >= search.maxBitsPerSecond) return done(rate, true, false);
  }
  for (let i = 0; i < search.bisections; i++) {
    const rate = (good + bad) / 2;
    const { within, senderShort } = await probes.run(rate);
    if (!within) {
      bad = rate;
      continue;
    }
    good = rate;
    if (senderShort) return done(rate, true, true);
  }
  return good > 0 ? done(good, true, false) : done(bad, false, false);
}

export async function measureNearKnee(
  startBitsPerSecond: number,
  lossLimitPercent: number,
  test: UdpTest,
): Promise<NearKnee> {
  const probes = new Probes(lossLimitPercent, test);
  let rate = startBitsPerSecond;
  for (let attempt = 1; ; attempt++) {
    const { result, within, senderShort } = await probes.run(rate);
    if (within || attempt === MAX_ATTEMPTS) {
      return {
        bitsPerSecond: rate,
        withinLimit: within,
        senderLimited: within && senderShort,
        probes: probes.list,
        result,
        nextBitsPerSecond: !within ? rate * STEP_DOWN : senderShort ? rate : rate * STEP_UP,
      };
    }
    rate *= STEP_DOWN;
  }
}
