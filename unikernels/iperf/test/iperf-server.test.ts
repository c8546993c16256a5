// The server's state machine driven over in-memory flows by a scripted client: the state
// sequence of a test, its results in both directions, several streams, one test at a time
// (ACCESS_DENIED), refused parameters (SERVER_ERROR), clients that leave or stall, a server that
// stops (SERVER_TERMINATE), and UDP streams.

import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import {
  createLogger,
  type LogRecord,
  MemorySink,
  readU32BE,
  SystemClock,
  SystemSleep,
} from '@oasis/core';
import type { Stack } from '@oasis/runtime';
import { FlowReader } from '../flow-reader.ts';
import { IperfServer } from '../iperf-server.ts';
import {
  ACCESS_DENIED,
  CLIENT_TERMINATE,
  CREATE_STREAMS,
  DISPLAY_RESULTS,
  EXCHANGE_RESULTS,
  PARAM_EXCHANGE,
  SERVER_ERROR,
  SERVER_TERMINATE,
  TEST_RUNNING,
  TEST_START,
} from '../protocol.ts';
import type { SessionTimeouts } from '../test-session.ts';
import type { TestSummary } from '../test-summary.ts';
import { MemoryNetwork } from './memory-stack.ts';
import {
  makeCookie,
  receiveBytes,
  sendBytes,
  TestClient,
  UdpClient,
  udpDatagram,
} from './test-client.ts';

const PORT = 5201;

interface Harness {
  readonly server: IperfServer;
  readonly client: Stack;
  readonly records: LogRecord[];
  /** The summary of the next test to end. */
  nextSummary(): Promise<TestSummary>;
}

let running: IperfServer | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

async function startServer(timeouts: Partial<SessionTimeouts> = {}): Promise<Harness> {
  const network = new MemoryNetwork();
  const clock = new SystemClock();
  const sink = new MemorySink();
  const summaries: TestSummary[] = [];
  const waiting: Array<(summary: TestSummary) => void> = [];
  const server = await IperfServer.listen({
    net: network.stack(),
    clock,
    sleep: new SystemSleep(clock),
    log: createLogger({ source: 'iperf', sink, clock, level: 'debug' }),
    port: PORT,
    timeouts: { closeMs: 50, ...timeouts },
    onTestDone: (summary) => {
      const waiter = waiting.shift();
      if (waiter !== undefined) waiter(summary);
      else summaries.push(summary);
    },
  });
  running = server;
  return {
    server,
    client: network.stack(),
    records: sink.records,
    nextSummary: () => {
      const summary = summaries.shift();
      if (summary !== undefined) return Promise.resolve(summary);
      return new Promise((resolve) => waiting.push(resolve));
    },
  };
}

const TCP = { tcp: true, omit: 0, time: 0, pacing_timer: 1000, client_version: '3.12' };

/** Connects and goes through PARAM_EXCHANGE and CREATE_STREAMS with `params`. */
async function begin(stack: Stack, params: Readonly<Record<string, unknown>>) {
  const client = await TestClient.connect(stack, PORT);
  assert.equal(await client.state(), PARAM_EXCHANGE);
  await client.sendParams(params);
  assert.equal(await client.state(), CREATE_STREAMS);
  return client;
}

/** Reads TEST_START and TEST_RUNNING, once the streams are open. */
async function untilRunning(client: TestClient): Promise<void> {
  assert.equal(await client.state(), TEST_START);
  assert.equal(await client.state(), TEST_RUNNING);
}

/** Whether a read ends the stream: the end (FIN) or a reset, after the server gave up. */
async function ends(read: Promise<unknown>): Promise<boolean> {
  return read.then(
    (value) => value === undefined,
    () => true,
  );
}

function streamsOf(results: Readonly<Record<string, unknown>>) {
  return (results['streams'] as Array<Record<string, unknown>>).map((stream) => ({
    id: stream['id'],
    bytes: stream['bytes'],
  }));
}

describe('iperf server over in-memory flows', () => {
  it('runs a test the client sends in, over two streams, and reports what arrived', async () => {
    const harness = await startServer();
    const client = await begin(harness.client, { ...TCP, num: 1_000_000, parallel: 2, len: 65536 });
    const [first, second] = await client.openStreams(2);
    await untilRunning(client);
    await Promise.all([sendBytes(first!, 600_000), sendBytes(second!, 400_000)]);
    const { states, results } = await client.finish([
      { id: 1, bytes: 600_000 },
      { id: 3, bytes: 400_000 },
    ]);
    assert.deepEqual(states, [EXCHANGE_RESULTS, DISPLAY_RESULTS]);
    assert.deepEqual(streamsOf(results), [
      { id: 1, bytes: 600_000 },
      { id: 3, bytes: 400_000 },
    ]);
    assert.equal(results['sender_has_retransmits'], -1);
    const summary = await harness.nextSummary();
    assert.equal(summary.outcome, 'done');
    assert.equal(summary.received, 1_000_000);
    assert.equal(summary.sent, 0);
    const done = harness.records.find((record) => record.message === 'test done');
    assert.ok(done !== undefined);
    assert.equal(done.fields?.['bytes'], 1_000_000);
    assert.equal(typeof done.fields?.['seconds'], 'number');
    assert.equal(typeof done.fields?.['bitsPerSecond'], 'number');
  });

  it('sends in reverse mode exactly the bytes asked for, then ends its streams', async () => {
    const harness = await startServer();
    const client = await begin(harness.client, {
      ...TCP,
      num: 1_000_000,
      parallel: 2,
      len: 100_000,
      reverse: true,
    });
    const streams = await client.openStreams(2);
    await untilRunning(client);
    // The budget is shared by the streams, as iperf3 counts -n: read until it is all here.
    let total = 0;
    const counts = [0, 0];
    await new Promise<void>((resolve) => {
      streams.forEach(async (flow, i) => {
        for (let chunk = await flow.read(); chunk !== undefined; chunk = await flow.read()) {
          counts[i]! += chunk.length;
          total += chunk.length;
          if (total === 1_000_000) resolve();
        }
      });
    });
    const { results } = await client.finish([
      { id: 1, bytes: counts[0]! },
      { id: 3, bytes: counts[1]! },
    ]);
    assert.deepEqual(streamsOf(results), [
      { id: 1, bytes: counts[0] },
      { id: 3, bytes: counts[1] },
    ]);
    assert.equal(results['sender_has_retransmits'], 0);
    const summary = await harness.nextSummary();
    assert.equal(summary.sent, 1_000_000);
    assert.equal(summary.params?.mode, 'reverse');
  });

  it('counts -k blocks and ends the stream at TEST_END', async () => {
    const harness = await startServer();
    const client = await begin(harness.client, {
      ...TCP,
      blockcount: 5,
      len: 1000,
      reverse: true,
    });
    const [flow] = await client.openStreams(1);
    await untilRunning(client);
    assert.equal(await receiveBytes(flow!, 5000), 5000);
    const finished = client.finish([{ id: 1, bytes: 5000 }]);
    // After TEST_END the server half-closes: the client's drain sees the end of the stream.
    assert.equal(await flow!.read(), undefined);
    const { results } = await finished;
    assert.deepEqual(streamsOf(results), [{ id: 1, bytes: 5000 }]);
    assert.equal((await harness.nextSummary()).sent, 5000);
  });

  it('runs a bidirectional test: receives on the first streams, sends on the others', async () => {
    const harness = await startServer();
    const client = await begin(harness.client, {
      ...TCP,
      num: 300_000,
      len: 50_000,
      bidirectional: true,
    });
    const [up, down] = await client.openStreams(2);
    await untilRunning(client);
    const [, received] = await Promise.all([sendBytes(up!, 300_000), receiveBytes(down!, 300_000)]);
    assert.equal(received, 300_000);
    const { results } = await client.finish([
      { id: 1, bytes: 300_000 },
      { id: 3, bytes: 300_000 },
    ]);
    assert.deepEqual(streamsOf(results), [
      { id: 1, bytes: 300_000 },
      { id: 3, bytes: 300_000 },
    ]);
    const summary = await harness.nextSummary();
    assert.equal(summary.received, 300_000);
    assert.equal(summary.sent, 300_000);
  });

  it('denies a second client while a test runs, and a stream with another cookie', async () => {
    const harness = await startServer();
    const first = await begin(harness.client, { ...TCP, num: 1000, parallel: 2 });
    const [stranger] = await first.openStreams(1, makeCookie());
    const strangerReader = new FlowReader(stranger!);
    assert.equal(await strangerReader.readSignedByte(), ACCESS_DENIED);
    const second = await TestClient.connect(harness.client, PORT);
    assert.equal(await second.state(), ACCESS_DENIED);
    assert.equal(await second.state(), undefined);
    await first.openStreams(2);
    await untilRunning(first);
    await sendBytes(first.streams[1]!, 1000);
    await first.finish([
      { id: 1, bytes: 1000 },
      { id: 3, bytes: 0 },
    ]);
    await harness.nextSummary();
    // The next test may start.
    const third = await TestClient.connect(harness.client, PORT);
    assert.equal(await third.state(), PARAM_EXCHANGE);
  });

  for (const [what, params, code] of [
    ['200 streams', { ...TCP, parallel: 200 }, 6],
    ['SCTP', { sctp: true, time: 1 }, 18],
    ['a 2 MB block', { ...TCP, len: 2_000_000 }, 7],
    ['8-byte UDP datagrams', { udp: true, time: 1, len: 8 }, 20],
    ['reverse and bidirectional', { ...TCP, reverse: true, bidirectional: true }, 25],
    ['a malformed parameter', { ...TCP, parallel: 'two' }, 114],
  ] as const) {
    it(`refuses ${what} with SERVER_ERROR ${code}, then serves the next client`, async () => {
      const harness = await startServer();
      const client = await TestClient.connect(harness.client, PORT);
      assert.equal(await client.state(), PARAM_EXCHANGE);
      await client.sendParams(params);
      assert.equal(await client.state(), SERVER_ERROR);
      assert.deepEqual(await client.serverError(), [code, 0]);
      assert.ok(await ends(client.state()));
      assert.equal((await harness.nextSummary()).outcome, 'refused');
      const next = await TestClient.connect(harness.client, PORT);
      assert.equal(await next.state(), PARAM_EXCHANGE);
    });
  }

  it('ends a test whose client closes the control connection', async () => {
    const harness = await startServer();
    const client = await begin(harness.client, { ...TCP, time: 10 });
    await client.openStreams(1);
    await untilRunning(client);
    client.control.abort();
    const summary = await harness.nextSummary();
    assert.equal(summary.outcome, 'client-gone');
    assert.ok(await ends(client.streams[0]!.read()));
  });

  it('ends a test on CLIENT_TERMINATE', async () => {
    const harness = await startServer();
    const client = await begin(harness.client, { ...TCP, time: 10, reverse: true });
    await client.openStreams(1);
    await untilRunning(client);
    await client.sendState(CLIENT_TERMINATE);
    assert.equal((await harness.nextSummary()).outcome, 'client-terminated');
  });

  it('tells the client SERVER_TERMINATE when it stops during a test', async () => {
    const harness = await startServer();
    const client = await begin(harness.client, { ...TCP, time: 10, reverse: true });
    await client.openStreams(1);
    await untilRunning(client);
    const summary = harness.nextSummary();
    const state = client.state();
    await harness.server.close();
    running = undefined;
    assert.equal(await state, SERVER_TERMINATE);
    assert.equal((await summary).outcome, 'server-terminated');
  });

  it('gives up on a client that does not send its parameters', async () => {
    const harness = await startServer({ stepMs: 30 });
    const client = await TestClient.connect(harness.client, PORT);
    assert.equal(await client.state(), PARAM_EXCHANGE);
    const closed = ends(client.state());
    const summary = await harness.nextSummary();
    assert.equal(summary.outcome, 'timed-out');
    assert.ok(await closed);
  });

  it('gives up on a client that does not open its streams', async () => {
    const harness = await startServer({ stepMs: 30 });
    const client = await begin(harness.client, { ...TCP, parallel: 2 });
    await client.openStreams(1);
    assert.equal((await harness.nextSummary()).outcome, 'timed-out');
  });

  it('receives UDP: answers each stream hello, counts losses and late datagrams', async () => {
    const harness = await startServer();
    const client = await begin(harness.client, {
      udp: true,
      time: 1,
      len: 64,
      bandwidth: 1_000_000,
    });
    const udp = await UdpClient.open(harness.client);
    udp.socket.send(Uint8Array.of(0x39, 0x38, 0x37, 0x36), { address: '127.0.0.1', port: PORT });
    await udp.waitFor(1);
    assert.deepEqual([...udp.received[0]!], [0x36, 0x37, 0x38, 0x39]);
    await untilRunning(client);
    // 4 and 6 are missing when 5 and 7 arrive; 4 comes late.
    for (const counter of [1, 2, 3, 5, 7, 4]) {
      udp.socket.send(udpDatagram(counter, 1000 + counter), { address: '127.0.0.1', port: PORT });
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
    const { results } = await client.finish([{ id: 1, bytes: 7 * 64, packets: 7 }]);
    const [stream] = results['streams'] as Array<Record<string, unknown>>;
    assert.equal(stream?.['bytes'], 6 * 64);
    assert.equal(stream?.['packets'], 7);
    assert.equal(stream?.['errors'], 1);
    const summary = await harness.nextSummary();
    assert.deepEqual(
      { packets: summary.udp?.packets, lost: summary.udp?.lost, late: summary.udp?.outOfOrder },
      { packets: 7, lost: 1, late: 1 },
    );
    await udp.socket.close();
  });

  it('sends UDP in reverse mode: numbered datagrams of the block size', async () => {
    const harness = await startServer();
    const client = await begin(harness.client, {
      udp: true,
      time: 0,
      num: 1000,
      len: 100,
      reverse: true,
    });
    const udp = await UdpClient.open(harness.client);
    udp.socket.send(Uint8Array.of(0x39, 0x38, 0x37, 0x36), { address: '127.0.0.1', port: PORT });
    await untilRunning(client);
    await udp.waitFor(11);
    const data = udp.received.slice(1);
    assert.deepEqual(
      data.map((datagram) => datagram.length),
      Array(10).fill(100),
    );
    assert.deepEqual(
      data.map((datagram) => readU32BE(datagram, 8)),
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    );
    const { results } = await client.finish([{ id: 1, bytes: 1000, packets: 10 }]);
    const [stream] = results['streams'] as Array<Record<string, unknown>>;
    assert.deepEqual([stream?.['bytes'], stream?.['packets']], [1000, 10]);
    await udp.socket.close();
  });
});
