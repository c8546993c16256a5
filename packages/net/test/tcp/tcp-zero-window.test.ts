// Flow control at a standstill: a reader that stops reading closes the window. The sender must
// keep probing it (RFC 9293 §3.8.6.1) with a backed-off interval, never give up on a peer that
// answers, and resume at once when the window opens, losing nothing, even when the window
// update that reopens it is lost.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Flow } from '@oasis/runtime';
import { runUntil } from '../sim-hosts.ts';
import {
  describeFlow,
  pattern,
  readAll,
  sameBytes,
  type TwoHosts,
  twoHosts,
} from './tcp-harness.ts';

const LATENCY_MS = 5;
const SIZE = 1_000_000;
const STALL_MS = 600_000;

/** a sends SIZE bytes to b, whose reader does not read until told to. */
async function stalledTransfer(hosts: TwoHosts) {
  const { network, a, b } = hosts;
  const listener = await b.stack.tcp.listen({ port: 80 });
  const accepted = new Promise<Flow>((resolve) => listener.onConnection(resolve));
  const client = await runUntil(network, a.stack.tcp.connect({ address: b.address, port: 80 }));
  const server = await runUntil(network, accepted);
  const data = pattern(SIZE, 7);
  const sending = client.write(data).then(() => client.close());
  sending.catch(() => {});
  // Until the window closes: the sender has filled the reader's buffer.
  network.run(1000);
  return { client, server, data, sending };
}

describe('TCP zero window (RFC 9293 §3.8.6.1)', () => {
  it('probes a closed window with backoff for 10 minutes, then resumes byte-exact', async () => {
    // A buffer of exactly 40 full segments: the window closes to 0.
    const hosts = await twoHosts(LATENCY_MS, { b: { tcp: { receiveBufferBytes: 40 * 1448 } } });
    const { network, a, b } = hosts;
    const { client, server, data, sending } = await stalledTransfer(hosts);
    const closedAt = b.tap.sent((s) => s.window === 0)[0]!.timeMs + 2 * LATENCY_MS;
    assert.equal(describeFlow(client)['sndWnd'], 0);
    network.run(STALL_MS);
    // Probes: an old sequence number and no data (SND.UNA − 1, as Linux sends them).
    const probes = a.tap.sent((s) => s.payload.length === 0 && s.timeMs > closedAt);
    assert.equal(a.stack.counters()['tcp.window-probes'], probes.length);
    const gaps = probes.map((s, i) => s.timeMs - (i === 0 ? closedAt : probes[i - 1]!.timeMs));
    // The first after one RTO (200 ms, the floor), then doubling up to maxRtoMs (60 s).
    const expected: number[] = [];
    for (let at = 0, gap = 200; at + gap <= network.clock.nowMs() - closedAt; ) {
      at += gap;
      expected.push(gap);
      gap = Math.min(gap * 2, 60_000);
    }
    assert.deepEqual(gaps, expected);
    assert.equal(gaps.length, 17);
    // Each was answered with the closed window; none counted towards giving up.
    assert.equal(b.stack.drops()['tcp.out-of-window'], probes.length);
    assert.equal(describeFlow(client)['state'], 'ESTABLISHED');
    assert.equal(a.stack.counters()['tcp.retransmit-timeouts'], undefined);
    assert.equal(server.counters().bytesRead, 0);
    // The reader comes back.
    const got = await runUntil(network, readAll(server));
    await runUntil(network, Promise.all([sending, server.close()]));
    assert.ok(sameBytes(got, data));
    assert.equal(a.stack.counters()['tcp.retransmitted-segments'], undefined);
  });

  it('gets going again when the window update is lost, from a too-small window too', async () => {
    // 60000 bytes is 41 segments and 632 bytes: the window stops at 632, too small to use
    // (sender SWS avoidance, RFC 9293 §3.8.6.2.1) yet not zero.
    const hosts = await twoHosts(LATENCY_MS, { b: { tcp: { receiveBufferBytes: 60_000 } } });
    const { network, a, b } = hosts;
    const { client, server, data, sending } = await stalledTransfer(hosts);
    network.run(60_000);
    assert.equal(describeFlow(client)['state'], 'ESTABLISHED');
    // With nothing in flight no ACK would ever come: one RTO (200 ms) after the window shrank
    // to 632 bytes the sender sends those 632 (the override timeout, RFC 1122 §4.2.3.4), which
    // closes the window to 0; zero-window probes follow.
    const smallAt = b.tap.sent((s) => s.window === 632)[0]!.timeMs + 2 * LATENCY_MS;
    const override = a.tap.sent((s) => s.payload.length > 0).at(-1)!;
    assert.equal(override.payload.length, 632);
    assert.equal(override.timeMs - smallAt, 200);
    assert.equal(describeFlow(client)['sndWnd'], 0);
    assert.ok((a.stack.counters()['tcp.window-probes'] ?? 0) >= 5);
    // The reader drains its buffer; every window update it sends at that moment is lost.
    const resumedAt = network.clock.nowMs();
    let lost = 0;
    b.tap.dropOut = (s) => {
      const drop = s.timeMs === resumedAt && s.payload.length === 0 && s.window > 0;
      if (drop) lost++;
      return drop;
    };
    const got = await runUntil(network, readAll(server), 300_000);
    await runUntil(network, Promise.all([sending, server.close()]));
    assert.ok(sameBytes(got, data));
    // An update each time reading at least doubles the window (0 → 2·MSS → ... → 60000): 5
    // in all, all lost.
    assert.equal(lost, 5);
    // The sender's next probe found the window open, and data followed its answer at once.
    const probe = a.tap.sent((s) => s.payload.length === 0 && s.timeMs > resumedAt)[0]!;
    const firstAfter = a.tap.sent((s) => s.payload.length > 0 && s.timeMs > resumedAt)[0]!;
    assert.equal(firstAfter.timeMs, probe.timeMs + 4 * LATENCY_MS);
    assert.equal(a.stack.counters()['tcp.retransmit-timeouts'], undefined);
  });
});
