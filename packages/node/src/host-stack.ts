// The `node` target's network stack: the Stack contract over the host's own sockets (node:net,
// node:dgram). The kernel does IP, TCP and UDP; this layer gives them the direct stack's
// interface and error codes, and counts what the contract keeps quiet about (datagrams dropped
// before a handler, failed sends, connections beyond a listener's backlog).

import { networkInterfaces } from 'node:os';
import {
  type Clock,
  Counters,
  type Logger,
  type Sleep,
  SystemClock,
  SystemSleep,
} from '@oasis/core';
import { connectToHost, type NameLookup, type Stack } from '@oasis/runtime';
import { hostNameLookup } from './host-name-lookup.ts';
import { HostTcpStack } from './host-tcp.ts';
import { HostUdpStack } from './host-udp.ts';

export interface HostStackOptions {
  readonly logger: Logger;
  /** How long `close` lets open flows finish before it resets them (default 1000). */
  readonly closeGraceMs?: number;
  /** How `connect` looks names up (default: the host's resolver, hostNameLookup). */
  readonly lookup?: NameLookup;
  /** The time `connect`'s attempts are paced by (default the system's). */
  readonly clock?: Clock;
  readonly sleep?: Sleep;
}

export interface HostStack extends Stack {
  /** Events by key ('udp.queue-overflow', 'udp.send-error', 'tcp.backlog-overflow'), sorted. */
  counters(): Record<string, number>;
}

const DEFAULT_CLOSE_GRACE_MS = 1000;

export function createHostStack(options: HostStackOptions): HostStack {
  const counts = new Counters();
  const count = (key: string): void => counts.add(key);
  const tcp = new HostTcpStack({
    logger: options.logger.child('tcp'),
    count,
    closeGraceMs: options.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS,
  });
  const udp = new HostUdpStack({ logger: options.logger.child('udp'), count });
  const clock = options.clock ?? new SystemClock();
  const connector = {
    tcp,
    lookup: options.lookup ?? hostNameLookup,
    clock,
    sleep: options.sleep ?? new SystemSleep(clock),
  };
  let closing: Promise<void> | undefined;
  return {
    tcp,
    udp,
    connect: (to, connectOptions) => connectToHost(connector, to, connectOptions),
    addresses: hostAddresses,
    describe: () => 'host sockets (node:net, node:dgram)',
    counters: () => counts.snapshot(),
    close() {
      closing ??= Promise.all([udp.close(), tcp.close()]).then(() => undefined);
      return closing;
    },
  };
}

/**
 * The host's addresses as they are now, loopback included: a service bound to 0.0.0.0 is
 * reachable on each. Node lists unicast addresses only; an IPv6 link-local one is given without
 * its zone ('fe80::1', not 'fe80::1%eth0').
 */
function hostAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((entries) =>
    (entries ?? []).map((entry) => entry.address),
  );
}
