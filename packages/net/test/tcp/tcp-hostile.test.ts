// Hostile and malformed segments (RFC 5961, RFC 7323 §5, RFC 9293 §3.10.7.4) injected by hand
// into a live connection between two direct stacks: each is answered (or not) exactly as the
// RFCs say, counted, and the connection carries on byte-exact afterwards.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Flow } from '@oasis/runtime';
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN } from '@oasis/wire';
import { runUntil } from '../sim-hosts.ts';
import {
  describeFlow,
  pattern,
  readAll,
  readExactly,
  type SeenSegment,
  type SegmentFields,
  sameBytes,
  type TwoHosts,
  tcpFrame,
  twoHosts,
} from './tcp-harness.ts';

const LATENCY_MS = 5;

interface Live {
  readonly hosts: TwoHosts;
  readonly client: Flow;
  readonly server: Flow;
  /** b's RCV.NXT, SND.NXT and the right edge of its window, from its last segment. */
  readonly rcvNxt: number;
  readonly sndNxt: number;
  readonly windowBytes: number;
  /** a's latest timestamp value, which b holds as TS.Recent. */
  readonly tsValue: number;
  /** Sends a segment to b as if from the client, returning what b sent in reply at once. */
  inject(fields: Partial<SegmentFields>): SeenSegment[];
}

/** A connection a → b:80 that has moved 30 kB each way and is quiet. */
async function live(options: Parameters<typeof twoHosts>[1] = {}): Promise<Live> {
  const hosts = await twoHosts(LATENCY_MS, options);
  const { network, a, b } = hosts;
  const listener = await b.stack.tcp.listen({ port: 80 });
  const accepted = new Promise<Flow>((resolve) => listener.onConnection(resolve));
  const client = await runUntil(network, a.stack.tcp.connect({ address: b.address, port: 80 }));
  const server = await runUntil(network, accepted);
  await client.write(pattern(30_000, 1));
  assert.ok(sameBytes(await runUntil(network, readExactly(server, 30_000)), pattern(30_000, 1)));
  await server.write(pattern(30_000, 2));
  assert.ok(sameBytes(await runUntil(network, readExactly(client, 30_000)), pattern(30_000, 2)));
  network.run(1000);
  const fromA = a.tap.sent().at(-1)!;
  const fromB = b.tap.sent().at(-1)!;
  const rcvShift = describeFlow(server)['rcvShift'] as number;
  const rcvNxt = fromB.ack;
  assert.equal(rcvNxt, (fromA.seq + fromA.payload.length) >>> 0, 'b has acknowledged everything');
  return {
    hosts,
    client,
    server,
    rcvNxt,
    sndNxt: (fromB.seq + fromB.payload.length) >>> 0,
    windowBytes: fromB.window * 2 ** rcvShift,
    tsValue: fromA.tsValue!,
    inject(fields) {
      const before = b.tap.sent().length;
      b.tap.inject(
        tcpFrameFromA(hosts, {
          sourcePort: client.local.port,
          destinationPort: 80,
          seq: rcvNxt,
          ack: (fromB.seq + fromB.payload.length) >>> 0,
          flags: TCP_ACK,
          window: fromA.window,
          options: { timestamp: { value: fromA.tsValue!, echo: fromB.tsValue! } },
          ...fields,
        }),
      );
      return b.tap.sent().slice(before);
    },
  };
}

function tcpFrameFromA(hosts: TwoHosts, fields: SegmentFields): Uint8Array {
  const { a, b } = hosts;
  return tcpFrame(
    { sourceMac: a.mac, destinationMac: b.mac, sourceIp: a.ip, destinationIp: b.ip },
    fields,
  );
}

/** The one reply expected: a bare ACK of RCV.NXT from SND.NXT. */
function assertAckOnly(replies: SeenSegment[], conn: Live): void {
  assert.equal(replies.length, 1);
  const [reply] = replies;
  assert.equal(reply!.flags, TCP_ACK);
  assert.equal(reply!.seq, conn.sndNxt);
  assert.equal(reply!.ack, conn.rcvNxt);
  assert.equal(reply!.payload.length, 0);
}

/** Moves 100 kB each way and closes both sides in order: the connection is still whole. */
async function finishCleanly(conn: Live): Promise<void> {
  const { network } = conn.hosts;
  const up = pattern(100_000, 3);
  const down = pattern(100_000, 4);
  const [gotUp, gotDown] = await runUntil(
    network,
    Promise.all([
      (async () => {
        await conn.client.write(up);
        await conn.client.closeWrite();
        return readAll(conn.server);
      })(),
      (async () => {
        await conn.server.write(down);
        await conn.server.closeWrite();
        return readAll(conn.client);
      })(),
    ]),
  );
  assert.ok(sameBytes(gotUp, up), 'client → server byte-exact');
  assert.ok(sameBytes(gotDown, down), 'server → client byte-exact');
  await runUntil(network, Promise.all([conn.client.close(), conn.server.close()]));
  assert.equal(conn.server.counters().bytesRead, 130_000);
  assert.equal(conn.client.counters().bytesRead, 130_000);
}

describe('TCP against hostile segments (RFC 5961)', () => {
  it('survives blind resets, SYNs, stray data and bad ACKs, then carries on byte-exact', async () => {
    const conn = await live();
    const { a, b } = conn.hosts;
    const counters = () => b.stack.counters();
    const drops = () => b.stack.drops();

    // RFC 5961 §3.2: a RST in the window but not at RCV.NXT draws a challenge ACK.
    assertAckOnly(conn.inject({ seq: conn.rcvNxt + 1000, flags: TCP_RST, options: {} }), conn);
    assert.equal(counters()['tcp.challenge-acks'], 1);
    assert.equal(describeFlow(conn.server)['state'], 'ESTABLISHED');

    // Outside the window (beyond it, or before RCV.NXT): silently dropped.
    assert.deepEqual(
      conn.inject({ seq: conn.rcvNxt + conn.windowBytes + 1000, flags: TCP_RST, options: {} }),
      [],
    );
    assert.deepEqual(
      conn.inject({ seq: conn.rcvNxt - 1, flags: TCP_RST | TCP_ACK, options: {} }),
      [],
    );
    assert.equal(drops()['tcp.rst-out-of-window'], 2);

    // RFC 5961 §4.2: a SYN on a synchronized connection, in the window or not, never resets it.
    assertAckOnly(conn.inject({ seq: conn.rcvNxt + 10, flags: TCP_SYN }), conn);
    assert.equal(counters()['tcp.challenge-acks'], 2);
    assertAckOnly(conn.inject({ seq: conn.rcvNxt - 100_000, flags: TCP_SYN }), conn);
    assert.equal(describeFlow(conn.server)['state'], 'ESTABLISHED');

    // RFC 9293 §3.10.7.4: data beyond the window, or wholly old, is dropped with an ACK.
    const junk = pattern(200, 99);
    assertAckOnly(
      conn.inject({
        seq: conn.rcvNxt + conn.windowBytes + 100,
        flags: TCP_ACK | TCP_PSH,
        payload: junk,
      }),
      conn,
    );
    assertAckOnly(
      conn.inject({ seq: conn.rcvNxt - 500, flags: TCP_ACK | TCP_PSH, payload: junk }),
      conn,
    );
    // (The SYN before RCV.NXT above was out of the window too.)
    assert.equal(drops()['tcp.out-of-window'], 3);

    // RFC 9293 §3.1 MUST-7: an illegal option length drops the segment, with no answer.
    const badLengths = [
      Uint8Array.of(8, 0, 0, 0),
      Uint8Array.of(1, 1, 2, 5),
      Uint8Array.of(1, 1, 1, 8),
    ];
    for (const options of badLengths) {
      assert.deepEqual(conn.inject({ flags: TCP_ACK | TCP_PSH, options, payload: junk }), []);
    }
    assert.equal(drops()['tcp.bad-option'], 3);

    // RFC 5961 §5.2: an ACK of data never sent, or older than the largest window allows, draws a
    // challenge ACK and is dropped, data and all.
    assertAckOnly(
      conn.inject({ ack: conn.sndNxt + 100_000, flags: TCP_ACK | TCP_PSH, payload: junk }),
      conn,
    );
    assertAckOnly(conn.inject({ ack: conn.sndNxt - 0x4000_0000, flags: TCP_ACK }), conn);
    assert.equal(drops()['tcp.bad-ack'], 2);
    assert.equal(counters()['tcp.challenge-acks'], 4);

    // RFC 7323 §5.3: an older timestamp fails PAWS: dropped, acknowledged.
    assertAckOnly(
      conn.inject({
        flags: TCP_ACK | TCP_PSH,
        payload: junk,
        options: { timestamp: { value: conn.tsValue - 1000, echo: 0 } },
      }),
      conn,
    );
    assert.equal(drops()['tcp.paws'], 1);

    // A FIN outside the window is data like any other: dropped, acknowledged.
    assertAckOnly(
      conn.inject({ seq: conn.rcvNxt + conn.windowBytes + 1, flags: TCP_ACK | TCP_FIN }),
      conn,
    );
    assert.equal(drops()['tcp.out-of-window'], 4);

    // None of it reached the reader, nor reset anything.
    assert.equal(counters()['tcp.resets-received'], undefined);
    assert.equal(describeFlow(conn.server)['state'], 'ESTABLISHED');
    assert.equal(a.stack.counters()['tcp.resets-received'], undefined);
    await finishCleanly(conn);
    assert.equal(b.stack.drops()['internal.exception'], undefined);
  });

  it('resets on a RST exactly at RCV.NXT: the reader sees ECONNRESET, the peer a reset too', async () => {
    const conn = await live();
    const { network, a, b } = conn.hosts;
    const pending = conn.server.read();
    assert.deepEqual(conn.inject({ flags: TCP_RST | TCP_ACK, options: {} }), []);
    await assert.rejects(runUntil(network, pending), { code: 'ECONNRESET' });
    assert.equal(b.stack.counters()['tcp.resets-received'], 1);
    assert.equal(describeFlow(conn.server)['state'], 'CLOSED');
    // The client does not know yet: its next segment finds no connection and draws a reset.
    const reading = conn.client.read();
    await conn.client.write(Uint8Array.of(1, 2, 3));
    await assert.rejects(runUntil(network, reading), { code: 'ECONNRESET' });
    assert.equal(b.stack.counters()['tcp.resets-sent'], 1);
    assert.equal(a.stack.counters()['tcp.resets-received'], 1);
  });

  it('limits challenge ACKs to challengeAckRate a second (RFC 5961 §7)', async () => {
    const conn = await live({ b: { tcp: { challengeAckRate: 10 } } });
    const { network, b } = conn.hosts;
    let answered = 0;
    for (let i = 0; i < 25; i++) {
      answered += conn.inject({ seq: conn.rcvNxt + 1 + i, flags: TCP_RST, options: {} }).length;
    }
    assert.equal(answered, 10);
    assert.equal(b.stack.counters()['tcp.challenge-acks'], 10);
    assert.equal(b.stack.drops()['tcp.challenge-ack-limited'], 15);
    // A second later the budget is back.
    network.run(1000);
    assert.equal(conn.inject({ seq: conn.rcvNxt + 1, flags: TCP_RST, options: {} }).length, 1);
    assert.equal(describeFlow(conn.server)['state'], 'ESTABLISHED');
    await finishCleanly(conn);
  });
});
