// Direct stacks on a simulated network, for tests: hosts on one switch, a helper that runs
// virtual time until a promise settles, and frame builders for hand-made input.

import { createLogger, MemorySink, SeededRandom } from '@oasis/core';
import { type LinkConditions, type SimNetwork, type SimNic, settleInVirtualTime } from '@oasis/sim';
import { type InterfaceConfig, NetStack, type NetStackOptions } from '../src/index.ts';

export interface SimHost {
  readonly stack: NetStack;
  readonly nic: SimNic;
  readonly log: MemorySink;
}

export function addHost(
  network: SimNetwork,
  attachTo: Parameters<SimNetwork['connect']>[1],
  name: string,
  cidr: string,
  options: Partial<NetStackOptions> & {
    conditions?: LinkConditions;
    mtu?: number;
    ipv6?: InterfaceConfig['ipv6'];
  } = {},
): SimHost {
  const nic = network.addNic(name, options.mtu === undefined ? {} : { mtu: options.mtu });
  network.connect(
    nic,
    attachTo,
    options.conditions === undefined ? {} : { conditions: options.conditions },
  );
  const log = new MemorySink();
  const stack = new NetStack({
    interfaces: [
      { device: nic, ipv4: [cidr], ...(options.ipv6 === undefined ? {} : { ipv6: options.ipv6 }) },
    ],
    clock: network.clock,
    sleep: network.clock,
    random: new SeededRandom(network.seed).derive(name),
    logger: createLogger({ source: name, sink: log, clock: network.clock }),
    probeAddresses: false,
    ...options,
  });
  return { stack, nic, log };
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

/** Lets queued promise callbacks run. */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
