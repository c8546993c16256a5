// Direct stacks on a simulated network, for DNS tests: hosts on one switch, all driven by the
// network's ManualClock, and a helper that runs virtual time until a promise settles. The same
// approach as packages/net/test/sim-hosts.ts, through the packages' public entry points.

import { createLogger, MemorySink, SeededRandom } from '@oasis/core';
import { NetStack } from '@oasis/net';
import { type LearningSwitch, runVirtualTime, SimNetwork, settleInVirtualTime } from '@oasis/sim';

export interface SimHost {
  readonly stack: NetStack;
  readonly address: string;
  readonly log: MemorySink;
}

export interface SimLan {
  readonly network: SimNetwork;
  readonly lanSwitch: LearningSwitch;
  /** Adds a host with `address`/24 on the switch. */
  addHost(name: string, address: string): SimHost;
}

/** A network with one switch; links have `latencyMs` of delay each way (default 1). */
export function simLan(options: { seed?: number; latencyMs?: number } = {}): SimLan {
  const network = new SimNetwork({ seed: options.seed ?? 1 });
  const lanSwitch = network.addSwitch('sw');
  const latencyMs = options.latencyMs ?? 1;
  return {
    network,
    lanSwitch,
    addHost(name, address) {
      const nic = network.addNic(name);
      network.connect(nic, lanSwitch, { conditions: { latencyMs } });
      const log = new MemorySink();
      const stack = new NetStack({
        interfaces: [{ device: nic, ipv4: [`${address}/24`] }],
        clock: network.clock,
        sleep: network.clock,
        random: new SeededRandom(network.seed).derive(name),
        logger: createLogger({ source: name, sink: log, clock: network.clock }),
        probeAddresses: false,
      });
      return { stack, address, log };
    },
  };
}

/**
 * Runs the network's timers one at a time, letting promise callbacks run in between, until
 * `promise` settles or `limitMs` of virtual time pass. Returns the promise's outcome.
 */
export async function runUntil<T>(
  network: SimNetwork,
  promise: Promise<T>,
  limitMs = 60_000,
): Promise<T> {
  const settled = await settleInVirtualTime(network.clock, promise, {
    untilMs: network.clock.nowMs() + limitMs,
    settle: flush,
  });
  if (!settled) throw new Error(`still pending after ${limitMs} ms of virtual time`);
  return promise;
}

/** Runs virtual time for `durationMs`, letting the work it starts run. */
export function runFor(network: SimNetwork, durationMs: number): Promise<void> {
  return runVirtualTime(network.clock, {
    untilMs: network.clock.nowMs() + durationMs,
    settle: flush,
  });
}

/** Lets queued promise callbacks run. */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
