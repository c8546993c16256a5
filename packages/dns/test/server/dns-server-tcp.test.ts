import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex, isOasisError } from '@oasis/core';
import type { Flow } from '@oasis/runtime';
import { settleInVirtualTime } from '@oasis/sim';
import { flush, runUntil } from '../../../net/test/sim-hosts.ts';
import type { DnsQueryHandler } from '../../src/server/query-handler.ts';
import { Rcode } from '../../src/wire/constants.ts';
import type { DnsMessage } from '../../src/wire/message.ts';
import {
  answerEverything,
  answerWith,
  aQueryBytes,
  aRecord,
  decoded,
  framed,
  manyRrsets,
  readFrames,
  runFor,
  type ServerSetup,
  simServer,
  tcpConnect,
} from './server-harness.ts';

async function write(setup: ServerSetup, flow: Flow, bytes: Uint8Array): Promise<void> {
  await runUntil(setup.network, flow.write(bytes));
}

/** The one read per flow that watches for the server's close: a flow allows one pending read. */
const endOfFlow = new WeakMap<Flow, Promise<boolean>>();

/** Whether the server closed `flow` (its read ends or fails) within `withinMs` of virtual time. */
async function closedWithin(setup: ServerSetup, flow: Flow, withinMs: number): Promise<boolean> {
  let ended = endOfFlow.get(flow);
  if (ended === undefined) {
    ended = flow.read().then(
      (chunk) => chunk === undefined,
      (error: unknown) => isOasisError(error),
    );
    endOfFlow.set(flow, ended);
  }
  const settled = await settleInVirtualTime(setup.network.clock, ended, {
    untilMs: setup.network.clock.nowMs() + withinMs,
    settle: flush,
  });
  return settled && (await ended);
}

/** A handler whose answers to names under slow. wait until the test releases them. */
function heldHandler() {
  const held: (() => void)[] = [];
  let calls = 0;
  const handler: DnsQueryHandler = (query) => {
    calls += 1;
    const answer = answerWith(query, [aRecord(query.questions[0]!.name.toString(), '192.0.2.1')]);
    if (!query.questions[0]!.name.toString().startsWith('slow.')) return answer;
    return new Promise<DnsMessage>((resolve) => held.push(() => resolve(answer)));
  };
  return { handler, held, calls: () => calls };
}

describe('DNS server over TCP', () => {
  it('answers a query, the full answer without truncation', async () => {
    const setup = await simServer((query) => answerWith(query, manyRrsets('example.com.', 400)));
    const flow = await tcpConnect(setup);
    await write(setup, flow, framed(aQueryBytes(1, 'example.com.')));
    const [frame] = await readFrames(setup, flow, 1);
    const answer = decoded(frame!);
    assert.equal(answer.id, 1);
    assert.equal(answer.tc, false);
    assert.equal(answer.answers.length, 400);
    assert.ok(frame!.length > 4000);
    const counters = setup.server.counters();
    assert.equal(counters['queries.tcp'], 1);
    assert.equal(counters['tcp.connections'], 1);
    assert.equal(counters['truncated'] ?? 0, 0);
  });

  it('answers pipelined queries as they are ready, out of order', async () => {
    const { handler, held } = heldHandler();
    const setup = await simServer(handler);
    const flow = await tcpConnect(setup);
    await write(
      setup,
      flow,
      framed(aQueryBytes(1, 'slow.example.'), aQueryBytes(2, 'fast.example.')),
    );
    const [first] = await readFrames(setup, flow, 1);
    assert.equal(decoded(first!).id, 2, 'the fast answer does not wait for the slow one');
    assert.equal(held.length, 1);
    held[0]!();
    const [second] = await readFrames(setup, flow, 1);
    assert.equal(decoded(second!).id, 1);
    assert.equal(decoded(second!).answers[0]?.name.toString(), 'slow.example.');
  });

  it('reads frames split across writes and several frames in one write', async () => {
    const setup = await simServer(answerEverything);
    const flow = await tcpConnect(setup);
    const stream = framed(
      aQueryBytes(1, 'one.example.'),
      aQueryBytes(2, 'two.example.'),
      aQueryBytes(3, 'three.example.'),
    );
    // Cut inside the first length prefix, inside the first message, and inside the third's prefix.
    const cuts = [1, 10, 2 + 30 + 2 + 30 + 1];
    let from = 0;
    for (const to of [...cuts, stream.length]) {
      await write(setup, flow, stream.slice(from, to));
      await runFor(setup.network, 20);
      from = to;
    }
    const frames = await readFrames(setup, flow, 3);
    assert.deepEqual(frames.map((frame) => decoded(frame).id).sort(), [1, 2, 3]);
    assert.equal(setup.server.counters()['queries.tcp'], 3);
  });

  it('holds at most maxTcpPipeline queries in progress per connection', async () => {
    const { handler, held, calls } = heldHandler();
    const setup = await simServer(handler, { maxTcpPipeline: 2 });
    const flow = await tcpConnect(setup);
    await write(
      setup,
      flow,
      framed(
        aQueryBytes(1, 'slow.example.'),
        aQueryBytes(2, 'slow.example.'),
        aQueryBytes(3, 'fast.example.'),
      ),
    );
    await runFor(setup.network, 100);
    assert.equal(calls(), 2, 'the third query waits for room');
    held[0]!();
    const frames = await readFrames(setup, flow, 2);
    assert.deepEqual(frames.map((frame) => decoded(frame).id).sort(), [1, 3]);
    assert.equal(calls(), 3);
    assert.ok((setup.server.counters()['tcp.pipeline-full'] ?? 0) >= 1);
    held[1]!();
    const [last] = await readFrames(setup, flow, 1);
    assert.equal(decoded(last!).id, 2);
  });

  it('writes the messages of a transfer in order', async () => {
    const setup = await simServer((query) =>
      // About 20 KB each: more than a TCP send buffer's worth in all, so writes wait.
      [0, 1, 2, 3, 4, 5].map((part) => answerWith(query, manyRrsets(`part${part}.example.`, 1000))),
    );
    const flow = await tcpConnect(setup);
    await write(setup, flow, framed(aQueryBytes(7, 'example.')));
    const frames = await readFrames(setup, flow, 6);
    assert.deepEqual(
      frames.map((frame) => decoded(frame).answers[0]?.name.toString()),
      [0, 1, 2, 3, 4, 5].map((part) => `h0.part${part}.example.`),
    );
    assert.equal(setup.server.counters()['answers'], 6);
  });

  it('answers SERVFAIL when the handler throws and keeps the connection', async () => {
    const setup = await simServer((query) => {
      if (query.id === 1) throw new Error('boom');
      return answerWith(query, [aRecord('example.com.', '192.0.2.1')]);
    });
    const flow = await tcpConnect(setup);
    await write(setup, flow, framed(aQueryBytes(1, 'example.com.')));
    const [failed] = await readFrames(setup, flow, 1);
    assert.equal(decoded(failed!).rcode, Rcode.SERVFAIL);
    await write(setup, flow, framed(aQueryBytes(2, 'example.com.')));
    const [answered] = await readFrames(setup, flow, 1);
    assert.equal(decoded(answered!).rcode, Rcode.NOERROR);
  });

  it('answers FORMERR to a frame with a header that does not decode, and stays open', async () => {
    const setup = await simServer(answerEverything);
    const flow = await tcpConnect(setup);
    await write(setup, flow, framed(fromHex('abcd 0100 0001 0000 0000 0000 c00c 0001 0001')));
    const [frame] = await readFrames(setup, flow, 1);
    assert.equal(decoded(frame!).rcode, Rcode.FORMERR);
    assert.equal(decoded(frame!).id, 0xabcd);
    await write(setup, flow, framed(aQueryBytes(2, 'example.com.')));
    assert.equal(decoded((await readFrames(setup, flow, 1))[0]!).id, 2);
  });

  it('closes the connection on an empty frame and on one shorter than a header', async () => {
    const setup = await simServer(answerEverything);
    for (const bad of [new Uint8Array(0), fromHex('abcd 0100 00')]) {
      const flow = await tcpConnect(setup);
      await write(setup, flow, framed(bad, aQueryBytes(3, 'never.example.')));
      assert.equal(await closedWithin(setup, flow, 2000), true);
    }
    const counters = setup.server.counters();
    assert.equal(counters['tcp.bad-frame'], 2);
    assert.equal(counters['dropped.short'], 2);
    assert.equal(counters['answers'] ?? 0, 0, 'the query after the bad frame is not read');
  });

  it('closes a connection idle for tcpIdleMs, counting from the last activity', async () => {
    const setup = await simServer(answerEverything, { tcpIdleMs: 5000 });
    const flow = await tcpConnect(setup);
    await runFor(setup.network, 3000);
    await write(setup, flow, framed(aQueryBytes(1, 'example.com.')));
    await readFrames(setup, flow, 1);
    assert.equal(await closedWithin(setup, flow, 4000), false, 'activity restarted the idle time');
    assert.equal(await closedWithin(setup, flow, 2000), true);
    assert.equal(setup.server.counters()['tcp.idle-timeout'], 1);
  });

  it('does not time out a query the handler is still working on', async () => {
    const { handler, held } = heldHandler();
    const setup = await simServer(handler, { tcpIdleMs: 1000 });
    const flow = await tcpConnect(setup);
    await write(setup, flow, framed(aQueryBytes(1, 'slow.example.')));
    await runFor(setup.network, 5000);
    held[0]!();
    const [frame] = await readFrames(setup, flow, 1);
    assert.equal(decoded(frame!).id, 1);
    assert.equal(await closedWithin(setup, flow, 1500), true, 'idle again after the answer');
  });

  it('finishes the answers in progress after the client closes its side, then closes', async () => {
    const { handler, held } = heldHandler();
    const setup = await simServer(handler);
    const flow = await tcpConnect(setup);
    await write(setup, flow, framed(aQueryBytes(1, 'slow.example.')));
    await runUntil(setup.network, flow.closeWrite());
    await runFor(setup.network, 100);
    held[0]!();
    const [frame] = await readFrames(setup, flow, 1);
    assert.equal(decoded(frame!).id, 1);
    assert.equal(await closedWithin(setup, flow, 100), true);
  });

  it('resets connections beyond maxTcpConnections and serves the others', async () => {
    const setup = await simServer(answerEverything, { maxTcpConnections: 2 });
    const first = await tcpConnect(setup);
    const second = await tcpConnect(setup);
    const third = await tcpConnect(setup);
    assert.equal(await closedWithin(setup, third, 1000), true);
    for (const [id, flow] of [first, second].entries()) {
      await write(setup, flow, framed(aQueryBytes(id, 'example.com.')));
      assert.equal(decoded((await readFrames(setup, flow, 1))[0]!).id, id);
    }
    const counters = setup.server.counters();
    assert.equal(counters['tcp.refused'], 1);
    assert.equal(counters['tcp.connections'], 2);
    // Once one closes, there is room again.
    await runUntil(setup.network, first.close());
    await runFor(setup.network, 100);
    const fourth = await tcpConnect(setup);
    await write(setup, fourth, framed(aQueryBytes(4, 'example.com.')));
    assert.equal(decoded((await readFrames(setup, fourth, 1))[0]!).id, 4);
  });

  it('closes its connections when the server closes', async () => {
    const setup = await simServer(answerEverything);
    const flow = await tcpConnect(setup);
    await write(setup, flow, framed(aQueryBytes(1, 'example.com.')));
    await readFrames(setup, flow, 1);
    const closing = setup.server.close();
    assert.equal(await closedWithin(setup, flow, 500), true);
    await runUntil(setup.network, flow.close());
    await runUntil(setup.network, closing);
    await assert.rejects(
      runUntil(
        setup.network,
        setup.client.stack.tcp.connect({ address: '10.0.0.1', port: setup.server.tcpPort }),
      ),
      (error: unknown) => isOasisError(error, 'ECONNREFUSED'),
    );
  });
});
