// Direct stacks on a simulated network, for DNS tests: hosts on one switch, all driven by the
// network's ManualClock, built with the network stack's own test helpers.

import type { MemorySink } from '@oasis/core';
import type { NetStack, NetStackOptions } from '@oasis/net';
import { type LearningSwitch, runVirtualTime, SimNetwork } from '@oasis/sim';
import { addHost as addNetHost, flush, runUntil } from '../../net/test/sim-hosts.ts';

export { flush, runUntil };

export interface SimHost {
  readonly stack: NetStack;
  readonly address: string;
  readonly log: MemorySink;
}

export interface SimLan {
  readonly network: SimNetwork;
  readonly lanSwitch: LearningSwitch;
  /**
   * Adds a host with `address`/24 on the switch, and with `ipv6` (an address/prefix) when given;
   * `stack` adds options of its direct stack.
   */
  addHost(
    name: string,
    address: string,
    options?: { readonly ipv6?: string; readonly stack?: Partial<NetStackOptions> },
  ): SimHost;
}

/** A network with one switch; links have `latencyMs` of delay each way (default 1). */
export function simLan(options: { seed?: number; latencyMs?: number } = {}): SimLan {
  const network = new SimNetwork({ seed: options.seed ?? 1 });
  const lanSwitch = network.addSwitch('sw');
  const latencyMs = options.latencyMs ?? 1;
  return {
    network,
    lanSwitch,
    addHost(name, address, options = {}) {
      const host = addNetHost(network, lanSwitch, name, `${address}/24`, {
        conditions: { latencyMs },
        // Every address here is free: no duplicate address detection to wait for (RFC 4862 §5.4).
        ...(options.ipv6 === undefined
          ? {}
          : { ipv6: { addresses: [options.ipv6] }, dadTransmits: 0 }),
        ...options.stack,
      });
      return { stack: host.stack, address, log: host.log };
    },
  };
}

/** Runs virtual time for `durationMs`, letting the work it starts run. */
export function runFor(network: SimNetwork, durationMs: number): Promise<void> {
  return runVirtualTime(network.clock, {
    untilMs: network.clock.nowMs() + durationMs,
    settle: flush,
  });
}
