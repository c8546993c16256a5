// Retransmission timing (RFC 6298) on scripted losses, in exact virtual time. The path between
// the hosts takes 50 ms each way (100 ms round trip); a tap in front of the sender's NIC drops
// the frames a test picks and records when each copy of a segment left.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Flow } from '@oasis/runtime';
import { TCP_ACK, TCP_SYN } from '@oasis/wire';
import { runUntil } from '../sim-hosts.ts';
import { describeFlow, pattern, RawPeer, readExactly, sameBytes, twoHosts } from './tcp-harness.ts';

/** One way across the switch: 25 ms on each host's link. */
const LATENCY_MS = 25;
const RTT_MS = 4 * LATENCY_MS;

async function accept(listenerPort: number, hosts: Awaited<ReturnType<typeof twoHosts>>) {
  const listener = await hosts.b.stack.tcp.listen({ port: listenerPort });
  return new Promise<Flow>((resolve) => listener.onConnection(resolve));
}

describe('TCP retransmission timing (RFC 6298)', () => {
  it('retransmits a lost SYN after 1 s, then 2 s, then 4 s', async () => {
    const hosts = await twoHosts(LATENCY_MS);
    const { network, a, b } = hosts;
    const accepted = accept(80, hosts);
    let dropped = 0;
    a.tap.dropOut = (s) => (s.flags & TCP_SYN) !== 0 && dropped++ < 3;
    const t0 = network.clock.nowMs();
    const flow = await runUntil(network, a.stack.tcp.connect({ address: b.address, port: 80 }));
    const syns = a.tap.attempted((s) => s.flags === TCP_SYN);
    // RFC 6298 §2.1 initial RTO 1 s, §5.5 doubled on each expiry.
    assert.deepEqual(
      syns.map((s) => s.timeMs - t0),
      [0, 1000, 3000, 7000],
    );
    assert.deepEqual(
      syns.map((s) => s.dropped),
      [true, true, true, false],
    );
    // Every copy is the same SYN.
    assert.equal(new Set(syns.map((s) => s.seq)).size, 1);
    // Established one round trip after the fourth SYN.
    assert.equal(network.clock.nowMs() - t0, 7000 + RTT_MS);
    await runUntil(network, accepted);
    // The SYN-ACK echoes the fourth SYN's timestamp (RFC 7323 §4): the sample is the path's
    // 100 ms, not the 7.1 s since the first SYN. SRTT = R, RTTVAR = R/2, RTO = R + 4·R/2.
    const state = describeFlow(flow);
    assert.equal(state['srttMs'], RTT_MS);
    assert.equal(state['rtoMs'], RTT_MS + 4 * (RTT_MS / 2));
    assert.equal(a.stack.counters()['tcp.retransmit-timeouts'], 3);
  });

  it('gives up with ETIMEDOUT after synRetries SYNs: at 1, 3, 7, 15, 31, 63 s, failing at 123 s', async () => {
    const hosts = await twoHosts(LATENCY_MS);
    const { network, a, b } = hosts;
    a.tap.dropOut = (s) => (s.flags & TCP_SYN) !== 0;
    const t0 = network.clock.nowMs();
    const connect = a.stack.tcp.connect({ address: b.address, port: 80 });
    await assert.rejects(runUntil(network, connect, 200_000), { code: 'ETIMEDOUT' });
    // The seventh wait would be 64 s; maxRtoMs (60 s, RFC 6298 §2.5) caps it.
    assert.equal(network.clock.nowMs() - t0, 123_000);
    assert.deepEqual(
      a.tap.attempted((s) => s.flags === TCP_SYN).map((s) => s.timeMs - t0),
      [0, 1000, 3000, 7000, 15_000, 31_000, 63_000],
    );
    assert.equal(a.stack.counters()['tcp.connections-closed'], 1);
  });

  it('retransmits a lost data segment after SRTT + 4·RTTVAR, doubling on each further loss', async () => {
    const hosts = await twoHosts(LATENCY_MS);
    const { network, a, b } = hosts;
    const accepted = accept(80, hosts);
    const flow = await runUntil(network, a.stack.tcp.connect({ address: b.address, port: 80 }));
    const server = await runUntil(network, accepted);
    // One sample so far, the handshake's: SRTT 100, RTTVAR 50, RTO 300 ms.
    assert.equal(describeFlow(flow)['rtoMs'], 300);
    let dropped = 0;
    a.tap.dropOut = (s) => s.payload.length > 0 && dropped++ < 4;
    const data = pattern(1000, 1);
    const t1 = network.clock.nowMs();
    await flow.write(data);
    const got = await runUntil(network, readExactly(server, data.length));
    assert.ok(sameBytes(got, data));
    const copies = a.tap.attempted((s) => s.payload.length > 0);
    // RTO 300, then 600, 1200, 2400 (RFC 6298 §5.5): sent at 0, 300, 900, 2100, 4500 ms.
    assert.deepEqual(
      copies.map((s) => s.timeMs - t1),
      [0, 300, 900, 2100, 4500],
    );
    assert.equal(new Set(copies.map((s) => s.seq)).size, 1);
    assert.deepEqual(
      copies.map((s) => s.dropped),
      [true, true, true, true, false],
    );
    // The fifth copy arrives at 4550 ms; b's delayed ACK (40 ms) reaches a at 4640 ms.
    await runUntil(
      network,
      new Promise<void>((resolve) => {
        const check = (): void => {
          if (describeFlow(flow)['inFlight'] === 0) resolve();
          else setImmediate(check);
        };
        check();
      }),
    );
    assert.equal(network.clock.nowMs() - t1, 4500 + RTT_MS + 40);
    // With timestamps the ACK of a retransmission is measured too (RFC 7323 §4.1), since its
    // echo names the copy that arrived: R = 140 ms. RTTVAR = 3/4·50 + 1/4·|100 − 140| = 47.5,
    // SRTT = 7/8·100 + 1/8·140 = 105, and the new RTO (RFC 6298 §2.3) ends the backoff.
    assert.equal(describeFlow(flow)['srttMs'], 105);
    assert.equal(describeFlow(flow)['rtoMs'], 105 + 4 * 47.5);
    const counters = a.stack.counters();
    assert.equal(counters['tcp.retransmit-timeouts'], 4);
    assert.equal(counters['tcp.retransmitted-segments'], 4);
    assert.equal(counters['tcp.fast-retransmits'], undefined);
  });

  it("keeps the backed-off RTO after an ambiguous ACK without timestamps (Karn's rule)", async () => {
    const hosts = await twoHosts(LATENCY_MS);
    const { network, a, lanSwitch } = hosts;
    // A peer that offers neither timestamps nor SACK, acknowledging by hand.
    const peer = new RawPeer(network, lanSwitch, 'peer', '10.0.0.3', { latencyMs: LATENCY_MS });
    const peerIss = 0x1000_0000;
    let ignoreNext = 0;
    let acked = 0;
    peer.onSegment = (s) => {
      if (s.flags === TCP_SYN) {
        peer.send(a, {
          sourcePort: 80,
          destinationPort: s.sourcePort,
          seq: peerIss,
          ack: s.seq + 1,
          flags: TCP_SYN | TCP_ACK,
          window: 65535,
          options: { mss: 1460 },
        });
        return;
      }
      if (s.payload.length === 0) return;
      if (ignoreNext > 0) {
        ignoreNext--;
        return;
      }
      acked = (s.seq + s.payload.length) >>> 0;
      peer.send(a, {
        sourcePort: 80,
        destinationPort: s.sourcePort,
        seq: peerIss + 1,
        ack: acked,
        flags: TCP_ACK,
        window: 65535,
      });
    };
    peer.introduce(a.ip);
    network.run(1000);
    const t0 = network.clock.nowMs();
    const flow = await runUntil(network, a.stack.tcp.connect({ address: '10.0.0.3', port: 80 }));
    assert.equal(network.clock.nowMs() - t0, RTT_MS);
    assert.equal(describeFlow(flow)['timestamps'], false);
    assert.equal(describeFlow(flow)['sack'], false);
    // The handshake was timed without timestamps (its SYN was sent once): RTO 300 ms.
    assert.equal(describeFlow(flow)['srttMs'], RTT_MS);
    assert.equal(describeFlow(flow)['rtoMs'], 300);

    const settle = async (): Promise<void> => {
      await runUntil(
        network,
        new Promise<void>((resolve) => {
          const check = (): void => {
            if (describeFlow(flow)['inFlight'] === 0) resolve();
            else setImmediate(check);
          };
          check();
        }),
      );
    };
    const copiesSince = (since: number) =>
      a.tap.sent((s) => s.payload.length > 0 && s.timeMs >= since).map((s) => s.timeMs - since);

    // 1. The first copy is ignored; the retransmission at 300 ms is acknowledged. That ACK may
    //    be for either copy, so it gives no sample and the backed-off RTO (600 ms) stays.
    ignoreNext = 1;
    let since = network.clock.nowMs();
    await flow.write(pattern(500, 1));
    await settle();
    assert.deepEqual(copiesSince(since), [0, 300]);
    assert.equal(network.clock.nowMs() - since, 300 + RTT_MS);
    assert.equal(describeFlow(flow)['srttMs'], RTT_MS);
    assert.equal(describeFlow(flow)['rtoMs'], 600);

    // 2. New data, lost once: it waits the kept 600 ms, then backs off to 1200.
    ignoreNext = 1;
    since = network.clock.nowMs();
    await flow.write(pattern(500, 2));
    await settle();
    assert.deepEqual(copiesSince(since), [0, 600]);
    assert.equal(describeFlow(flow)['rtoMs'], 1200);

    // 3. New data acknowledged at once: a valid sample (R = 100) recomputes the RTO:
    //    RTTVAR = 3/4·50 + 1/4·0 = 37.5, SRTT = 100, RTO = 100 + 150 = 250.
    since = network.clock.nowMs();
    await flow.write(pattern(500, 3));
    await settle();
    assert.deepEqual(copiesSince(since), [0]);
    assert.equal(describeFlow(flow)['srttMs'], RTT_MS);
    assert.equal(describeFlow(flow)['rtoMs'], 250);
    assert.equal(acked, (peer.received[0]!.seq + 1 + 1500) >>> 0);
    assert.equal(a.stack.counters()['tcp.retransmit-timeouts'], 2);
  });
});
