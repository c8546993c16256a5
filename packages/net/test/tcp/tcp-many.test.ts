// A thousand concurrent connections from one stack to one listener on another: each moves 10 kB
// each way and closes in order. Afterwards the server holds nothing, the client holds exactly
// the thousand TIME-WAIT connections, and those go after timeWaitMs.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Flow } from '@oasis/runtime';
import { runUntil } from '../sim-hosts.ts';
import { describeFlow, pattern, readAll, sameBytes, twoHosts } from './tcp-harness.ts';

const CONNECTIONS = 1000;
const SIZE = 10_000;
const TIME_WAIT_MS = 30_000;

/** The request of connection `i`: its number in the first 4 bytes, then its own pattern. */
function request(i: number): Uint8Array {
  const bytes = pattern(SIZE, i);
  new DataView(bytes.buffer).setUint32(0, i);
  return bytes;
}

function response(i: number): Uint8Array {
  return pattern(SIZE, CONNECTIONS + i);
}

describe('TCP with many connections', () => {
  it(`runs ${CONNECTIONS} concurrent connections of ${SIZE} bytes each way to one listener`, async () => {
    // 1 Gbit/s links with room to queue every initial window (1000 × 10 segments).
    const conditions = { latencyMs: 1, bandwidthBitsPerSecond: 1e9, queueFrames: 20_000 };
    const hosts = await twoHosts(1, {
      a: { conditions, tcp: { timeWaitMs: TIME_WAIT_MS } },
      b: { conditions, tcp: { timeWaitMs: TIME_WAIT_MS, synBacklog: CONNECTIONS } },
    });
    const { network, a, b } = hosts;
    const listener = await b.stack.tcp.listen({ port: 80, backlog: CONNECTIONS });
    const served = new Set<number>();
    const serverFlows: Flow[] = [];
    const servers: Promise<void>[] = [];
    listener.onConnection((flow) => {
      serverFlows.push(flow);
      servers.push(
        (async () => {
          const got = await readAll(flow);
          const i = new DataView(got.buffer, got.byteOffset).getUint32(0);
          assert.ok(sameBytes(got, request(i)), `request ${i} arrived byte-exact`);
          assert.ok(!served.has(i), `request ${i} arrived once`);
          served.add(i);
          await flow.write(response(i));
          await flow.close();
        })(),
      );
    });
    const t0 = network.clock.nowMs();
    const clientFlows: Flow[] = [];
    const clients = Array.from({ length: CONNECTIONS }, async (_, i) => {
      const flow = await a.stack.tcp.connect({ address: b.address, port: 80 });
      clientFlows.push(flow);
      await flow.write(request(i));
      await flow.closeWrite();
      const got = await readAll(flow);
      assert.ok(sameBytes(got, response(i)), `response ${i} arrived byte-exact`);
      await flow.close();
    });
    await runUntil(network, Promise.all(clients), 60_000);
    await runUntil(network, Promise.all(servers), 1000);
    const tookMs = network.clock.nowMs() - t0;
    assert.equal(served.size, CONNECTIONS);
    assert.equal(new Set(clientFlows.map((flow) => flow.local.port)).size, CONNECTIONS);
    // The servers' last ACKs are on their way; let them land.
    network.run(100);

    const server = b.stack.counters();
    assert.equal(server['tcp.connections-opened'], CONNECTIONS);
    assert.equal(server['tcp.connections-accepted'], CONNECTIONS);
    assert.equal(server['tcp.connections-closed'], CONNECTIONS);
    assert.equal(server['tcp.syn-cookies-sent'], undefined);
    assert.ok(serverFlows.every((flow) => describeFlow(flow)['state'] === 'CLOSED'));
    // The clients closed first, so they hold TIME-WAIT.
    const client = a.stack.counters();
    assert.equal(client['tcp.connections-opened'], CONNECTIONS);
    assert.equal(client['tcp.connections-closed'] ?? 0, 0);
    assert.ok(clientFlows.every((flow) => describeFlow(flow)['state'] === 'TIME-WAIT'));
    // A clean run: no loss, no retransmission, nothing dropped.
    for (const stack of [a.stack, b.stack]) {
      assert.equal(stack.counters()['tcp.retransmitted-segments'], undefined);
      assert.deepEqual(stack.drops(), {});
    }
    assert.ok(tookMs < 1000, `took ${tookMs} ms of virtual time`);

    // TIME-WAIT ends timeWaitMs after each began: all within this window.
    network.run(TIME_WAIT_MS - tookMs - 200);
    assert.equal(a.stack.counters()['tcp.connections-closed'] ?? 0, 0);
    network.run(tookMs + 300);
    assert.equal(a.stack.counters()['tcp.connections-closed'], CONNECTIONS);
    assert.ok(clientFlows.every((flow) => describeFlow(flow)['state'] === 'CLOSED'));
  });
});
