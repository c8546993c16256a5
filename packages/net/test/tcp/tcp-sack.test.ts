// Loss recovery without timeouts: three non-adjacent segments of one window are lost. With SACK
// (RFC 2018, RFC 6675) the sender learns all three holes from the scoreboard; without it
// (NewReno, RFC 6582) partial ACKs reveal them one per round trip. Either way each lost segment
// is retransmitted exactly once, no retransmission timer expires, and the data arrives intact.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Flow } from '@oasis/runtime';
import { TCP_SYN } from '@oasis/wire';
import { runUntil } from '../sim-hosts.ts';
import {
  describeFlow,
  offsetOf,
  pattern,
  readAll,
  sameBytes,
  type TcpHostOptions,
  twoHosts,
} from './tcp-harness.ts';

const LATENCY_MS = 5;
const SIZE = 200_000;

async function recoverThreeLosses(receiver: TcpHostOptions, sender: TcpHostOptions = {}) {
  const hosts = await twoHosts(LATENCY_MS, { a: sender, b: receiver });
  const { network, a, b } = hosts;
  const listener = await b.stack.tcp.listen({ port: 80 });
  const received = new Promise<Uint8Array>((resolve, reject) => {
    listener.onConnection((flow) => {
      readAll(flow)
        .then(async (data) => {
          await flow.close();
          return data;
        })
        .then(resolve, reject);
    });
  });
  const flow: Flow = await runUntil(network, a.stack.tcp.connect({ address: b.address, port: 80 }));
  const syn = a.tap.sent((s) => s.flags === TCP_SYN)[0]!;
  const firstByte = (syn.seq + 1) >>> 0;
  const mss = describeFlow(flow)['sendMss'] as number;
  // Segments 3, 5 and 8 of the initial window (10 segments, RFC 6928), first copies only.
  const lost = [2, 4, 7].map((k) => k * mss);
  const seen = new Set<number>();
  a.tap.dropOut = (s) => {
    if (s.payload.length === 0) return false;
    const offset = offsetOf(s.seq, firstByte);
    if (!lost.includes(offset) || seen.has(offset)) return false;
    seen.add(offset);
    return true;
  };
  const data = pattern(SIZE, 3);
  const client = (async () => {
    await flow.write(data);
    await flow.close();
  })();
  const got = await runUntil(network, received);
  await runUntil(network, client);
  assert.ok(sameBytes(got, data), 'the data arrived byte-exact');
  // Every data segment sent, by its offset in the stream.
  const copies = new Map<number, number>();
  for (const s of a.tap.attempted((s) => s.payload.length > 0)) {
    const offset = offsetOf(s.seq, firstByte);
    copies.set(offset, (copies.get(offset) ?? 0) + 1);
  }
  const resent = [...copies].filter(([, n]) => n > 1).map(([offset]) => offset);
  // When each hole was filled, in ms after the first data segment left.
  const start = a.tap.attempted((s) => s.payload.length > 0)[0]!.timeMs;
  const resentAtMs = a.tap
    .sent((s) => s.payload.length > 0 && lost.includes(offsetOf(s.seq, firstByte)))
    .map((s) => s.timeMs - start);
  return { hosts, flow, mss, lost, resent, resentAtMs, copies };
}

describe('TCP loss recovery of three holes in one window', () => {
  it('with SACK: one recovery, each hole resent once, no timeout', async () => {
    const { hosts, flow, mss, lost, resent, resentAtMs, copies } = await recoverThreeLosses({});
    const { a, b } = hosts;
    assert.equal(describeFlow(flow)['sack'], true);
    assert.equal(mss, 1448);
    assert.deepEqual(resent, lost);
    for (const offset of lost) assert.equal(copies.get(offset), 2);
    // The round trip is 20 ms. One round trip after the loss the scoreboard marks segments 3
    // and 5 lost (three segments SACKed above each, RFC 6675 §4 IsLost) and both go at once;
    // segment 8 follows once enough new data above it is SACKed.
    assert.deepEqual(resentAtMs, [20, 20, 40]);
    const counters = a.stack.counters();
    assert.equal(counters['tcp.retransmit-timeouts'], undefined);
    assert.equal(counters['tcp.fast-retransmits'], 1);
    assert.equal(counters['tcp.retransmitted-segments'], 3);
    // The receiver queued what came after each hole.
    assert.ok((b.stack.counters()['tcp.out-of-order-segments'] ?? 0) > 0);
    // SACK blocks were on its ACKs.
    assert.ok(b.tap.sent((s) => s.sack.length > 0).length > 0);
  });

  it('without SACK (the receiver does not offer it): NewReno, one hole per partial ACK', async () => {
    const { hosts, flow, lost, resent, resentAtMs, copies } = await recoverThreeLosses({
      tcp: { sack: false },
    });
    const { a, b } = hosts;
    assert.equal(describeFlow(flow)['sack'], false);
    // Neither the receiver's SYN-ACK nor any of its ACKs carried SACK.
    assert.equal(b.tap.sent((s) => s.sackPermitted || s.sack.length > 0).length, 0);
    assert.deepEqual(resent, lost);
    for (const offset of lost) assert.equal(copies.get(offset), 2);
    // The third duplicate ACK starts recovery with segment 3; each partial ACK (RFC 6582 §3.2
    // step 4) then names the next hole, one round trip (20 ms) later.
    assert.deepEqual(resentAtMs, [20, 40, 60]);
    const counters = a.stack.counters();
    assert.equal(counters['tcp.retransmit-timeouts'], undefined);
    assert.equal(counters['tcp.fast-retransmits'], 1);
    assert.equal(counters['tcp.retransmitted-segments'], 3);
  });
});
