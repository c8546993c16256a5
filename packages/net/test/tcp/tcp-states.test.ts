// The RFC 9293 state machine between two direct stacks (and a scripted raw peer where a test
// needs segments no stack would send): simultaneous open and close, half-close, abort, refused
// and unanswered connects, TIME-WAIT and its reuse by a new SYN (RFC 6191).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Flow } from '@oasis/runtime';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '@oasis/wire';
import { runUntil } from '../sim-hosts.ts';
import {
  describeFlow,
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
  return describeFlow(flow)['state'] as string;
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
    const hosts = await twoHosts(LATENCY_MS, {
      a: { tcp: { timeWaitMs: 10_000 } },
      b: { tcp: { timeWaitMs: 10_000 } },
    });
    const { network, a, b } = hosts;
    const { client, server } = await connectPair(hosts);
    const t0 = network.clock.nowMs();
    const closing = Promise.all([client.close(), server.close()]);
    await runUntil(network, closing);
    // FIN each way at 0, arriving at RTT/2 in FIN-WAIT-1: CLOSING, and its ACK at RTT.
    assert.equal(network.clock.nowMs() - t0, RTT_MS / 2);
    assert.equal(state(client), 'CLOSING');
    assert.equal(state(server), 'CLOSING');
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
    await assert.rejects(
      runUntil(network, a.stack.tcp.connect({ address: '10.0.0.9', port: 80 })),
      {
        code: 'ETIMEDOUT',
      },
    );
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

  it('holds TIME-WAIT for timeWaitMs, then forgets the connection', async () => {
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
    a.tap.dropOut = (s) =>
      s.flags === TCP_ACK &&
      s.payload.length === 0 &&
      state(client) === 'TIME-WAIT' &&
      lost++ === 0;
    await runUntil(network, server.close());
    await until(hosts, client, 'TIME-WAIT');
    const firstMs = network.clock.nowMs();
    await until(hosts, server, 'CLOSED');
    const fins = b.tap.sent((s) => (s.flags & TCP_FIN) !== 0);
    assert.equal(fins.length, 2);
    const refinMs = fins[1]!.timeMs + RTT_MS / 2;
    assert.ok(refinMs > firstMs);
    // Both FINs were acknowledged; the first ACK was lost.
    assert.equal(
      a.tap.attempted((s) => s.flags === TCP_ACK && s.ack === (fins[0]!.seq + 1) >>> 0).length,
      2,
    );
    assert.equal(a.stack.drops()['tcp.out-of-window'], 1);
    network.run(refinMs + timeWaitMs - 1 - network.clock.nowMs());
    assert.equal(state(client), 'TIME-WAIT');
    network.run(1);
    assert.equal(state(client), 'CLOSED');
    assert.equal(a.stack.counters()['tcp.connections-closed'], 1);
  });

  for (const seed of [1, 2, 3, 4]) {
    it(`reopens a TIME-WAIT connection at once for the same client port (RFC 6191, seed ${seed})`, async () => {
      const hosts = await twoHosts(LATENCY_MS, { seed });
      const { network, a, b } = hosts;
      const listener = await b.stack.tcp.listen({ port: 80 });
      const accepted: Flow[] = [];
      // The server closes first, so the server holds TIME-WAIT.
      listener.onConnection((flow) => {
        accepted.push(flow);
        void flow.close();
      });
      const first = await runUntil(
        network,
        a.stack.tcp.connect({ address: b.address, port: 80 }, { localPort: 40_000 }),
      );
      await runUntil(network, readAll(first));
      await runUntil(network, first.close());
      await until(hosts, accepted[0]!, 'TIME-WAIT');
      await until(hosts, first, 'CLOSED');
      const oldFin = b.tap.sent((s) => (s.flags & TCP_FIN) !== 0)[0]!;
      const t0 = network.clock.nowMs();
      const second = await runUntil(
        network,
        a.stack.tcp.connect({ address: b.address, port: 80 }, { localPort: 40_000 }),
      );
      // One round trip: the SYN's timestamp is above TS.Recent (the same 4-tuple keeps one
      // timestamp clock), so the TIME-WAIT connection makes way for it.
      assert.equal(network.clock.nowMs() - t0, RTT_MS);
      assert.equal(state(second), 'ESTABLISHED');
      assert.equal(b.stack.counters()['tcp.time-wait-reused'], 1);
      assert.equal(state(accepted[0]!), 'CLOSED');
      const synAck = b.tap.sent((s) => s.flags === (TCP_SYN | TCP_ACK)).at(-1)!;
      // The new incarnation's sequence numbers start beyond the old one's.
      assert.ok(((synAck.seq - oldFin.seq) | 0) > 0);
      assert.deepEqual(a.stack.drops(), {});
      assert.deepEqual(b.stack.drops(), {});
    });
  }

  for (const timestamps of [true, false]) {
    it(`lets only a SYN ${timestamps ? 'with a newer timestamp' : 'above RCV.NXT'} reopen TIME-WAIT (RFC 6191)`, async () => {
      const hosts = await twoHosts(LATENCY_MS);
      const { network, b, lanSwitch } = hosts;
      const listener = await b.stack.tcp.listen({ port: 80 });
      const accepted: Flow[] = [];
      listener.onConnection((flow) => {
        accepted.push(flow);
        void flow.close();
      });
      const peer = new RawPeer(network, lanSwitch, 'peer', '10.0.0.5', { latencyMs: LATENCY_MS });
      peer.introduce(b.ip);
      network.run(100);
      const to = { mac: b.mac, ip: b.ip };
      const iss = 1_000_000;
      const ts = (value: number, echo = 0) => (timestamps ? { timestamp: { value, echo } } : {});
      const last = () => peer.received.at(-1)!;
      peer.send(to, {
        sourcePort: 999,
        destinationPort: 80,
        seq: iss,
        flags: TCP_SYN,
        options: { mss: 1460, ...ts(1000) },
      });
      network.run(100);
      const synAck = last();
      assert.equal(synAck.flags, TCP_SYN | TCP_ACK);
      peer.send(to, {
        sourcePort: 999,
        destinationPort: 80,
        seq: iss + 1,
        ack: synAck.seq + 1,
        flags: TCP_ACK,
        options: ts(1001, synAck.tsValue),
      });
      network.run(100);
      const fin = last();
      assert.equal(fin.flags, TCP_FIN | TCP_ACK);
      peer.send(to, {
        sourcePort: 999,
        destinationPort: 80,
        seq: iss + 1,
        ack: fin.seq + 1,
        flags: TCP_FIN | TCP_ACK,
        options: ts(1002, fin.tsValue),
      });
      network.run(100);
      assert.equal(state(accepted[0]!), 'TIME-WAIT');
      assert.equal(last().ack, iss + 2);

      // An old SYN: for timestamps a TSval below TS.Recent (PAWS, RFC 7323 §5), without them
      // a sequence number below RCV.NXT. TIME-WAIT stays and answers with an ACK.
      const sent = peer.received.length;
      peer.send(to, {
        sourcePort: 999,
        destinationPort: 80,
        seq: timestamps ? iss + 500_000 : iss,
        flags: TCP_SYN,
        options: { mss: 1460, ...ts(900) },
      });
      network.run(100);
      assert.deepEqual(
        peer.received.slice(sent).map((s) => [flagText(s.flags), s.ack]),
        [['.', iss + 2]],
      );
      assert.equal(state(accepted[0]!), 'TIME-WAIT');
      assert.equal(b.stack.counters()['tcp.time-wait-reused'], undefined);
      assert.equal(b.stack.drops()[timestamps ? 'tcp.paws' : 'tcp.out-of-window'], 1);

      // A new SYN: the old connection goes, a new one answers.
      const newIss = iss + 500_000;
      peer.send(to, {
        sourcePort: 999,
        destinationPort: 80,
        seq: newIss,
        flags: TCP_SYN,
        options: { mss: 1460, ...ts(2000) },
      });
      network.run(100);
      const reopened = last();
      assert.equal(reopened.flags, TCP_SYN | TCP_ACK);
      assert.equal(reopened.ack, newIss + 1);
      assert.ok(((reopened.seq - fin.seq) | 0) > 0);
      assert.equal(b.stack.counters()['tcp.time-wait-reused'], 1);
      assert.equal(state(accepted[0]!), 'CLOSED');
      peer.send(to, {
        sourcePort: 999,
        destinationPort: 80,
        seq: newIss + 1,
        ack: reopened.seq + 1,
        flags: TCP_ACK,
        options: ts(2001, reopened.tsValue),
      });
      network.run(100);
      assert.equal(accepted.length, 2);
      assert.equal(b.stack.counters()['tcp.connections-accepted'], 2);
    });
  }
});
