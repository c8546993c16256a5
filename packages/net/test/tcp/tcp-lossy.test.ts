// Two direct stacks over a bad path in virtual time: every frame crossing host a's link may be
// lost (5%), reordered, duplicated, and waits 100 ms each way. Data must arrive byte-exact in
// both directions at once.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Flow } from '@oasis/runtime';
import { SimNetwork } from '@oasis/sim';
import { addHost, runUntil } from '../sim-hosts.ts';

const MEGABYTES = Number(process.env['OASIS_TCP_LOSSY_MB'] ?? 50);

/** A stream of `length` bytes of a pattern that a shifted copy does not match. */
function pattern(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    bytes[i] = x >>> 24;
  }
  return bytes;
}

async function send(flow: Flow, data: Uint8Array): Promise<void> {
  for (let at = 0; at < data.length; at += 100_000) {
    await flow.write(data.subarray(at, Math.min(data.length, at + 100_000)));
  }
  await flow.closeWrite();
}

/** Reads to the end, comparing against `expected` as it goes (no copy of 50 MB kept). */
async function receive(flow: Flow, expected: Uint8Array): Promise<number> {
  let at = 0;
  for (let piece = await flow.read(); piece !== undefined; piece = await flow.read()) {
    for (let i = 0; i < piece.length; i++) {
      if (piece[i] !== expected[at + i]) throw new Error(`byte ${at + i} differs`);
    }
    at += piece.length;
  }
  return at;
}

describe('TCP over a lossy, reordering, duplicating 100 ms path', () => {
  it(`moves ${MEGABYTES} MB each way byte-exact`, { timeout: 600_000 }, async () => {
    const network = new SimNetwork({ seed: 7 });
    const lanSwitch = network.addSwitch('sw');
    const a = addHost(network, lanSwitch, 'a', '10.0.0.1/24', {
      conditions: {
        latencyMs: 100,
        loss: 0.05,
        reorder: 0.05,
        reorderDelayMs: 10,
        duplicate: 0.02,
      },
    });
    const b = addHost(network, lanSwitch, 'b', '10.0.0.2/24');
    const size = MEGABYTES * 1_000_000;
    const up = pattern(size, 1);
    const down = pattern(size, 2);
    const listener = await b.stack.tcp.listen({ port: 5001 });
    const server = new Promise<number>((resolve, reject) => {
      listener.onConnection((flow) => {
        Promise.all([receive(flow, up), send(flow, down)])
          .then(([received]) => flow.close().then(() => resolve(received)))
          .catch(reject);
      });
    });
    const flow = await runUntil(network, a.stack.tcp.connect({ address: '10.0.0.2', port: 5001 }));
    const client = Promise.all([send(flow, up), receive(flow, down)]).then(async ([, got]) => {
      await flow.close();
      return got;
    });
    const limitMs = 4 * 3600_000;
    const [clientGot, serverGot] = await runUntil(network, Promise.all([client, server]), limitMs);
    assert.equal(clientGot, size);
    assert.equal(serverGot, size);
    const counters = a.stack.counters();
    // The path lost frames, so the stacks had to recover, mostly without timeouts.
    assert.ok((counters['tcp.retransmitted-segments'] ?? 0) > 0);
    assert.ok((counters['tcp.fast-retransmits'] ?? 0) > 0);
    console.log(
      network.clock.nowMs(),
      a.stack.counters(),
      b.stack.counters(),
      a.stack.drops(),
      b.stack.drops(),
    );
  });
});
