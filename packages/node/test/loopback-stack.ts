// Host stacks on loopback for the tests: one closed after the test, and a connected pair of flows.

import { after } from 'node:test';
import { createLogger, MemorySink } from '@oasis/core';
import type { Flow, TcpListener } from '@oasis/runtime';
import { createHostStack, type HostStack, type HostStackOptions } from '../src/host-stack.ts';

export const LOOPBACK = '127.0.0.1';

/** A host stack logging to memory, closed when the calling test ends. */
export function openStack(options: Partial<HostStackOptions> = {}): HostStack {
  const logger = createLogger({
    source: 'test',
    sink: new MemorySink(),
    clock: { wallMs: () => 0 },
    level: 'debug',
  });
  const stack = createHostStack({ logger, ...options });
  after(() => stack.close());
  return stack;
}

/** A listener on loopback and the two ends of one connection to it. */
export async function connectedPair(
  stack: HostStack,
): Promise<{ listener: TcpListener; client: Flow; server: Flow }> {
  const listener = await stack.tcp.listen({ address: LOOPBACK, port: 0 });
  const accepted = new Promise<Flow>((resolve) => listener.onConnection(resolve));
  const client = await stack.tcp.connect(listener.local);
  return { listener, client, server: await accepted };
}
