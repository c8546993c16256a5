// The RFC 9293 state machine between two direct stacks (and a scripted raw peer where a test
// needs segments no stack would send): simultaneous open and close, half-close, abort, refused
// and unanswered connects, TIME-WAIT and its reuse by a new SYN (RFC 6191).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Flow } from '@oasis/runtime';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '@oasis/wire';
import { runUntil } from '../sim-hosts.ts';
import {
  flagText,
  pattern,
  RawPeer,
  readAll,
  readExactly,
  sameBytes,
  type TwoHosts,
  twoHosts,
} from './tcp-harness.ts';

const LATENCY_MS = 5;
const RTT_MS = 4 * LATENCY_MS;

async function connectPair(hosts: TwoHosts, port = 80): Promise<{ client: Flow; server: Flow }> {
  const listener = await hosts.b.stack.tcp.listen({ port });
  const accepted = new Promise<Flow>((resolve) => listener.onConnection(resolve));
  const client = await runUntil(
    hosts.network,
    hosts.a.stack.tcp.connect({ address: hosts.b.address, port }),
  );
  const server = await runUntil(hosts.network, accepted);
  await listener.close();
  return { client, server };
}

function state(flow: Flow): string {
  return (flow as Flow & { describe(): Record<string, unknown> }).describe()['state'] as string;
}

/** Waits (in virtual time) until `flow` reaches `wanted`. */
async function until(hosts: TwoHosts, flow: Flow, wanted: string): Promise<void> {
  await runUntil(
    hosts.network,
    new Promise<void>((resolve) => {
      const check = (): void => {
        if (state(flow) === wanted) resolve();
        else setImmediate(check);
      };
      check();
    }),
  );
}

describe('TCP connection states (RFC 9293 §3.3.2)', () => {
  it('opens simultaneously: two SYNs cross, both sides ESTABLISHED after one round trip', async () => {
    const hosts = await twoHosts(LATENCY_MS);
    const { network, a, b } = hosts;
    const t0 = network.clock.nowMs();
    const fromA = a.stack.tcp.connect({ address: b.address, port: 5000 }, { localPort: 6000 });
    const fromB = b.stack.tcp.connect({ address: a.address, port: 6000 }, { localPort: 5000 });
    const [flowA, flowB] = await runUntil(network, Promise.all([fromA, fromB]));
    // SYN each way at 0, SYN-ACK each way at RTT/2 (RFC 9293 §3.5 figure 8), open at RTT.
    assert.equal(network.clock.nowMs() - t0, RTT_MS);
    assert.equal(state(flowA), 'ESTABLISHED');
    assert.equal(state(flowB), 'ESTABLISHED');
    for (const host of [a, b]) {
      assert.deepEqual(
        host.tap.sent().map((s) => [s.timeMs - t0, flagText(s.flags)]),
        [
          [0, 'S'],
          [RTT_MS / 2, 'S.'],
        ],
      );
    }
    // Both ends move data over it.
    const up = pattern(50_000, 1);
    const down = pattern(50_000, 2);
    const moved = Promise.all([
      flowA.write(up),
      flowB.write(down),
      readExactly(flowB, up.length),
      readExactly(flowA, down.length),
    ]);
    const [, , gotUp, gotDown] = await runUntil(network, moved);
    assert.ok(sameBytes(gotUp, up));
    assert.ok(sameBytes(gotDown, down));
    assert.equal(a.stack.counters()['tcp.retransmit-timeouts'], undefined);
    assert.deepEqual(a.stack.drops(), {});
    assert.deepEqual(b.stack.drops(), {});
  });

  it('closes simultaneously: FINs cross, CLOSING, then both in TIME-WAIT', async () => {
    const hosts = await twoHosts(LATENCY_MS, { a: { tcp: { timeWaitMs: 10_000 } }, b: { tcp: { timeWaitMs: 10_000 } } });
    const { network, a, b } = hosts;
    const { client, server } = await connectPair(hosts);
    const t0 = network.clock.nowMs();
    const closing = Promise.all([client.close(), server.close()]);
    await runUntil(network, closing);
    // FIN each way at 0, arriving at RTT/2 in FIN-WAIT-1: CLOSING, and its ACK at RTT.
    for (const host of [a, b]) {
      const fins = host.tap.sent((s) => (s.flags & TCP_FIN) !== 0);
      assert.deepEqual(
        fins.map((s) => s.timeMs - t0),
        [0],
      );
    }
    await until(hosts, client, 'TIME-WAIT');
    await until(hosts, server, 'TIME-WAIT');
    assert.equal(network.clock.nowMs() - t0, RTT_MS);
    // Both hold TIME-WAIT for timeWaitMs, then forget the connection.
    network.run(10_000 - 1);
    assert.equal(state(client), 'TIME-WAIT');
    assert.equal(state(server), 'TIME-WAIT');
    network.run(1);
    assert.equal(state(client), 'CLOSED');
    assert.equal(state(server), 'CLOSED');
    assert.equal(a.stack.counters()['tcp.connections-closed'], 1);
    assert.equal(b.stack.counters()['tcp.connections-closed'], 1);
  });

  it('half-closes: the client stops sending, the server keeps sending, then closes', async () => {
    const hosts = await twoHosts(LATENCY_MS);
    const { network } = hosts;
    const { client, server } = await connectPair(hosts);
    const request = pattern(20_000, 1);
    const response = pattern(300_000, 2);
    await client.write(request);
    await client.closeWrite();
    const got = await runUntil(network, readAll(server));
    assert.ok(sameBytes(got, request));
    await until(hosts, client, 'FIN-WAIT-2');
    assert.equal(state(server), 'CLOSE-WAIT');
    // Writing after closeWrite fails; reading still works.
    await assert.rejects(client.write(Uint8Array.of(1)), { code: 'EPIPE' });
    const reading = readAll(client);
    await server.write(response);
    assert.equal(state(client), 'FIN-WAIT-2');
    await server.close();
    const answer = await runUntil(network, reading);
    assert.ok(sameBytes(answer, response));
    await until(hosts, server, 'CLOSED');
    assert.equal(state(client), 'TIME-WAIT');
    await runUntil(network, client.close());
    assert.equal(server.counters().bytesWritten, response.length);
    assert.equal(client.counters().bytesRead, response.length);
  });

  it('aborts: the peer sees ECONNRESET, the aborting side ECLOSED', async () => {
    const hosts = await twoHosts(LATENCY_MS);
    const { network, a, b } = hosts;
    const { client, server } = await connectPair(hosts);
    const pending = server.read();
    const t0 = network.clock.nowMs();
    client.abort();
    await assert.rejects(runUntil(network, pending), { code: 'ECONNRESET' });
    assert.equal(network.clock.nowMs() - t0, RTT_MS / 2);
    assert.equal(a.tap.sent((s) => s.flags === TCP_RST).length, 1);
    assert.equal(b.stack.counters()['tcp.resets-received'], 1);
    assert.equal(state(server), 'CLOSED');
    assert.equal(state(client), 'CLOSED');
    await assert.rejects(client.read(), { code: 'ECLOSED' });
    await assert.rejects(server.write(Uint8Array.of(1)), { code: 'ECONNRESET' });
    assert.equal(a.stack.counters()['tcp.connections-closed'], 1);
    assert.equal(b.stack.counters()['tcp.connections-closed'], 1);
  });

  it('is refused by a port nobody listens on: RST, ECONNREFUSED after one round trip', async () => {
    const hosts = await twoHosts(LATENCY_MS);
    const { network, a, b } = hosts;
    const t0 = network.clock.nowMs();
    await assert.rejects(runUntil(network, a.stack.tcp.connect({ address: b.address, port: 81 })), {
      code: 'ECONNREFUSED',
    });
    assert.equal(network.clock.nowMs() - t0, RTT_MS);
    const reset = b.tap.sent()[0]!;
    const syn = a.tap.sent()[0]!;
    // RFC 9293 §3.10.7.1: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
    assert.equal(reset.flags, TCP_RST | TCP_ACK);
    assert.equal(reset.seq, 0);
    assert.equal(reset.ack, (syn.seq + 1) >>> 0);
    assert.equal(b.stack.drops()['tcp.no-listener'], 1);
    assert.equal(b.stack.counters()['tcp.resets-sent'], 1);
    assert.equal(a.stack.counters()['tcp.connections-closed'], 1);
  });

  it('times out on a silent address after synRetries: ETIMEDOUT at 1+2+4+8 s', async () => {
    const hosts = await twoHosts(LATENCY_MS, { a: { tcp: { synRetries: 3 } } });
    const { network, a, lanSwitch } = hosts;
    // A host that answers ARP and nothing else.
    const silent = new RawPeer(network, lanSwitch, 'silent', '10.0.0.9');
    silent.introduce(a.ip);
    network.run(100);
    const t0 = network.clock.nowMs();
    await assert.rejects(runUntil(network, a.stack.tcp.connect({ address: '10.0.0.9', port: 80 })), {
      code: 'ETIMEDOUT',
    });
    assert.equal(network.clock.nowMs() - t0, 15_000);
    // Sent at 0, 1, 3 and 7 s; the silent host's link adds no delay to a's 5 ms.
    assert.deepEqual(
      silent.received.map((s) => [s.timeMs - t0 - LATENCY_MS, flagText(s.flags)]),
      [
        [0, 'S'],
        [1000, 'S'],
        [3000, 'S'],
        [7000, 'S'],
      ],
    );
    assert.equal(a.stack.counters()['tcp.connections-closed'], 1);
  });

  it('holds TIME-WAIT for timeWaitMs, answering a retransmitted FIN, then forgets it', async () => {
    const timeWaitMs = 30_000;
    const hosts = await twoHosts(LATENCY_MS, { a: { tcp: { timeWaitMs } } });
    const { network, a, b } = hosts;
    const { client, server } = await connectPair(hosts);
    // The client closes first, so it is the one in TIME-WAIT.
    await runUntil(network, client.closeWrite());
    await runUntil(network, readAll(server));
    await runUntil(network, server.close());
    await until(hosts, client, 'TIME-WAIT');
    const enteredMs = network.clock.nowMs();
    assert.equal(b.stack.counters()['tcp.connections-closed'] ?? 0, 0);
    await until(hosts, server, 'CLOSED');
    assert.equal(a.stack.counters()['tcp.connections-closed'] ?? 0, 0);
    network.run(enteredMs + timeWaitMs - 1 - network.clock.nowMs());
    assert.equal(state(client), 'TIME-WAIT');
    network.run(1);
    assert.equal(state(client), 'CLOSED');
    assert.equal(network.clock.nowMs() - enteredMs, timeWaitMs);
    assert.equal(a.stack.counters()['tcp.connections-closed'], 1);
    assert.equal(b.stack.counters()['tcp.connections-closed'], 1);
    // Gone: a segment for it now draws a reset.
    assert.equal(a.stack.counters()['tcp.resets-sent'] ?? 0, 0);
  });

  it('restarts TIME-WAIT when the peer retransmits its FIN (its ACK was lost)', async () => {
    const timeWaitMs = 30_000;
    const hosts = await twoHosts(LATENCY_MS, { a: { tcp: { timeWaitMs } } });
    const { network, a, b } = hosts;
    const { client, server } = await connectPair(hosts);
    await runUntil(network, client.closeWrite());
    await runUntil(network, readAll(server));
    // The client's ACK of the server's FIN is lost once.
    let lost = 0;
    a.tap.dropOut = (s) => s.flags === TCP_ACK && s.payload.length === 0 && state(client) === 'TIME-WAIT' && lost++ === 0;
    await runUntil(network, server.close());
    await until(hosts, client, 'TIME-WAIT');
    const firstMs = network.clock.nowMs();
    await until(hosts, server, 'CLOSED');
    const fins = b.tap.sent((s) => (s.flags & TCP_FIN) !== 0);
    assert.equal(fins.length, 2);
    const refinMs = fins[1]!.timeMs + RTT_MS / 2;
    assert.ok(refinMs > firstMs);
    network.run(refinMs + timeWaitMs - 1 - network.clock.nowMs());
    assert.equal(state(client), 'TIME-WAIT');
    network.run(1);
    assert.equal(state(client), 'CLOSED');
    assert.equal(a.stack.counters()['tcp.connections-closed'], 1);
  });
});
