// One iperf3 test as the server runs it, from the client's cookie on the control connection to its
// IPERF_DONE. The server drives the states: PARAM_EXCHANGE (read the parameters), CREATE_STREAMS
// (wait for the data streams: TCP connections that open with the cookie, or UDP endpoints that
// say hello on the server's port), TEST_START and TEST_RUNNING (count or send), then, on the
// client's TEST_END, EXCHANGE_RESULTS (the client's results, then ours) and DISPLAY_RESULTS.
// Every wait has a deadline and gives way when the server stops (SERVER_TERMINATE); whatever
// happens, the streams and the control connection are closed at the end.

import { bytesEqual, type Clock, type Logger, type Sleep, writeU32BE } from '@oasis/core';
import type { Flow, Stack, UdpEndpoint, UdpSocket } from '@oasis/runtime';
import { CLOSED, ControlChannel } from './control-channel.ts';
import type { FlowReader } from './flow-reader.ts';
import { encodeJsonFrame } from './json-frame.ts';
import { Pacer } from './pacer.ts';
import {
  CLIENT_TERMINATE,
  CREATE_STREAMS,
  DISPLAY_RESULTS,
  EXCHANGE_RESULTS,
  IPERF_DONE,
  IPERF_ERRORS,
  PARAM_EXCHANGE,
  SERVER_ERROR,
  SERVER_TERMINATE,
  streamId,
  TEST_END,
  TEST_RUNNING,
  TEST_START,
  UDP_CONNECT_REPLY,
} from './protocol.ts';
import { parsePeerResults, resultsJson, type StreamReport } from './results.ts';
import { SendBudget } from './send-budget.ts';
import { type SendSwitch, TcpDataStream } from './tcp-stream.ts';
import { parseTestParams, serverSendsOn, streamCount, type TestParams } from './test-params.ts';
import {
  serverOutputText,
  summarizeTest,
  type TestOutcome,
  type TestSummary,
} from './test-summary.ts';
import { Turns } from './turns.ts';
import { UdpDataStream } from './udp-stream.ts';
import { TIMED_OUT, withDeadline } from './wait.ts';

export interface SessionTimeouts {
  /** How long the client may take for each step: parameters, streams, results, IPERF_DONE. */
  readonly stepMs: number;
  /** How long a timed test (-t) may run past its announced end before the server gives up. */
  readonly overrunMs: number;
  /** How long the results wait for bytes the client sent that are still on their way. */
  readonly settleMs: number;
  /** How long closing a connection may take before it is reset. */
  readonly closeMs: number;
}

export const DEFAULT_TIMEOUTS: SessionTimeouts = {
  stepMs: 10_000,
  overrunMs: 10_000,
  settleMs: 1_000,
  closeMs: 1_000,
};

export interface SessionContext {
  /** For UDP tests, whose streams use the server's port number over UDP. */
  readonly net: Stack;
  readonly clock: Clock;
  readonly sleep: Sleep;
  readonly log: Logger;
  /** The address and port the server listens on; UDP streams use them too. */
  readonly address: string | undefined;
  readonly port: number;
  readonly timeouts: SessionTimeouts;
}

const TERMINATED: unique symbol = Symbol('terminated');
type Interrupted = typeof CLOSED | typeof TERMINATED | typeof TIMED_OUT;

class Stop {
  readonly outcome: TestOutcome;
  readonly reason: string;
  constructor(outcome: TestOutcome, reason: string) {
    this.outcome = outcome;
    this.reason = reason;
  }
}

/** One signed byte per state, allocated once. */
const STATE_BYTES = new Map<number, Uint8Array>(
  [
    TEST_START,
    TEST_RUNNING,
    PARAM_EXCHANGE,
    CREATE_STREAMS,
    SERVER_TERMINATE,
    EXCHANGE_RESULTS,
    DISPLAY_RESULTS,
  ].map((state) => [state, Uint8Array.of(state & 0xff)]),
);

export class TestSession {
  readonly #control: ControlChannel;
  readonly #cookie: Uint8Array;
  readonly #ctx: SessionContext;
  readonly client: string;
  #phase: 'params' | 'streams' | 'running' | 'ending' = 'params';
  #params: TestParams | undefined;
  readonly #tcpStreams: TcpDataStream[] = [];
  readonly #udpStreams: UdpDataStream[] = [];
  #udpSocket: UdpSocket | undefined;
  readonly #senders: SendSwitch = { stopped: false };
  #streamsReady: () => void = () => undefined;
  readonly #allStreams: Promise<void>;
  #terminate: () => void = () => undefined;
  readonly #terminated: Promise<typeof TERMINATED>;
  #finished: TestSummary | undefined;
  #startMs: number | undefined;
  #endMs: number | undefined;
  #omitTimer: { cancel(): void } | undefined;
  /** The results sent to the client; the summary repeats them, whatever came after. */
  #reported: StreamReport[] | undefined;

  /** `control` has just delivered `cookie`, the test's identity. */
  constructor(control: FlowReader, cookie: Uint8Array, context: SessionContext) {
    this.#control = new ControlChannel(control);
    this.#cookie = cookie;
    this.#ctx = context;
    const { remote } = control.flow;
    this.client = `${remote.address}:${remote.port}`;
    this.#allStreams = new Promise((resolve) => {
      this.#streamsReady = resolve;
    });
    this.#terminated = new Promise((resolve) => {
      this.#terminate = () => resolve(TERMINATED);
    });
  }

  /** Whether a TCP connection that sent `cookie` is a data stream this test is waiting for. */
  acceptsStream(cookie: Uint8Array): boolean {
    const params = this.#params;
    return (
      this.#phase === 'streams' &&
      params?.protocol === 'tcp' &&
      this.#tcpStreams.length < streamCount(params) &&
      bytesEqual(cookie, this.#cookie)
    );
  }

  /** Adopts a data stream that `acceptsStream` approved; its reader has consumed the cookie. */
  addStream(reader: FlowReader): void {
    const params = this.#params;
    if (params === undefined || !this.acceptsStream(this.#cookie)) {
      throw new TypeError('addStream: the test is not waiting for streams (ask acceptsStream)');
    }
    const index = this.#tcpStreams.length;
    const stream = new TcpDataStream(
      reader.flow,
      streamId(index),
      serverSendsOn(params, index),
      this.#ctx.clock,
      reader.takeBuffered(),
    );
    this.#tcpStreams.push(stream);
    if (!stream.sending) void stream.receive();
    if (this.#tcpStreams.length === streamCount(params)) this.#streamsReady();
  }

  /**
   * The server is stopping: SERVER_TERMINATE goes to the client now (before the stack closes the
   * connection), the test ends at its next wait, and its summary so far is returned (undefined
   * when it has already ended).
   */
  terminate(): TestSummary | undefined {
    if (this.#finished !== undefined) return undefined;
    this.#terminate();
    this.#senders.stopped = true;
    this.#endMs ??= this.#ctx.clock.nowMs();
    void this.#control.write(STATE_BYTES.get(SERVER_TERMINATE) as Uint8Array);
    this.#finished = this.#summary('server-terminated', 'the server is stopping');
    return this.#finished;
  }

  /** Runs the test to its end and sums it up; rejects only on a bug. */
  async run(): Promise<TestSummary> {
    let outcome: TestOutcome = 'done';
    let reason: string | undefined;
    try {
      await this.#runSteps();
    } catch (error) {
      if (!(error instanceof Stop)) throw error;
      outcome = error.outcome;
      reason = error.reason;
    } finally {
      await this.#cleanUp();
    }
    this.#finished ??= this.#summary(outcome, reason);
    return this.#finished;
  }

  async #runSteps(): Promise<void> {
    const { timeouts } = this.#ctx;
    await this.#sendState(PARAM_EXCHANGE);
    const frame = this.#expect(
      await this.#wait(this.#control.readFrame(), timeouts.stepMs),
      'the parameters',
    );
    if (!frame.ok) return this.#refuse(IPERF_ERRORS.receiveParams, frame.error);
    const parsed = parseTestParams(frame.value);
    if (!parsed.ok) return this.#refuse(parsed.error.code, parsed.error.message);
    const params = parsed.value;
    this.#params = params;
    this.#ctx.log.info('test started', {
      client: this.client,
      protocol: params.protocol,
      mode: params.mode,
      streams: params.parallel,
      ...(params.bytes > 0 ? { bytes: params.bytes } : {}),
      ...(params.blocks > 0 ? { blocks: params.blocks } : {}),
      ...(params.bytes === 0 && params.blocks === 0 ? { seconds: params.durationS } : {}),
      blockSize: params.blockSize,
      ...(params.ignored.length > 0 ? { notApplied: params.ignored.join(',') } : {}),
    });
    if (params.protocol === 'udp') {
      try {
        const { address, port } = this.#ctx;
        this.#udpSocket = await this.#ctx.net.udp.bind({
          port,
          ...(address !== undefined ? { address } : {}),
        });
      } catch (error) {
        return this.#refuse(IPERF_ERRORS.streamListen, `UDP bind: ${String(error)}`);
      }
      const socket = this.#udpSocket;
      socket.onMessage((data, from) => this.#onDatagram(socket, data, from));
    }

    this.#phase = 'streams';
    await this.#sendState(CREATE_STREAMS);
    // From here the client may speak at any time (CLIENT_TERMINATE, or TEST_END at the end).
    const clientState = this.#control.readState();
    const created = await this.#wait(
      Promise.race([this.#allStreams, clientState]),
      timeouts.stepMs,
    );
    if (created !== undefined) this.#clientSpoke(this.#expect(created, 'the data streams'));

    this.#phase = 'running';
    await this.#sendState(TEST_START);
    this.#startMs = this.#ctx.clock.nowMs();
    await this.#sendState(TEST_RUNNING);
    this.#startSenders(params);
    if (params.omitS > 0) {
      this.#omitTimer = this.#ctx.sleep.setTimer(
        this.#ctx.clock.nowMs() + params.omitS * 1000,
        () => this.#endOmitted(),
      );
    }
    const timed = params.bytes === 0 && params.blocks === 0;
    const ending = await this.#wait(
      clientState,
      timed
        ? (params.durationS + params.omitS) * 1000 + timeouts.overrunMs
        : Number.POSITIVE_INFINITY,
    );
    this.#endMs = this.#ctx.clock.nowMs();
    this.#stopSending();
    this.#clientSpoke(this.#expect(ending, 'TEST_END'), TEST_END);
    this.#ctx.log.debug('test ended by the client', {
      client: this.client,
      afterMs: Math.round(this.#endMs - (this.#startMs ?? this.#endMs)),
    });

    this.#phase = 'ending';
    await this.#exchangeResults(params);
  }

  async #exchangeResults(params: TestParams): Promise<void> {
    const { timeouts } = this.#ctx;
    await this.#sendState(EXCHANGE_RESULTS);
    const frame = this.#expect(
      await this.#wait(this.#control.readFrame(), timeouts.stepMs),
      "the client's results",
    );
    if (!frame.ok) throw new Stop('protocol-error', `the client's results: ${frame.error}`);
    const theirs = parsePeerResults(frame.value);
    if (!theirs.ok) throw new Stop('protocol-error', `the client's results: ${theirs.error}`);
    // What the client wrote before TEST_END may still be on its way: count it, briefly.
    if (params.omitS === 0) {
      const arrivals: Promise<void>[] = [];
      for (const stream of this.#tcpStreams) {
        const sent = theirs.value.find((result) => result.id === stream.id);
        if (!stream.sending && sent !== undefined) arrivals.push(stream.whenReceived(sent.bytes));
      }
      await this.#wait(Promise.all(arrivals), timeouts.settleMs);
    }
    const reports = this.#reports();
    this.#reported = reports;
    const sending = reports.length > 0 && this.#streams().some((stream) => stream.sending);
    await this.#write(
      encodeJsonFrame(
        resultsJson({
          senderHasRetransmits: sending ? 0 : -1,
          streams: reports,
          ...(params.getServerOutput
            ? { serverOutputText: serverOutputText(this.client, params, this.#streams(), reports) }
            : {}),
        }),
      ),
    );
    await this.#sendState(DISPLAY_RESULTS);
    const done = await this.#wait(this.#control.readState(), timeouts.stepMs);
    // The results are out: a client that closes instead of saying IPERF_DONE is no failure.
    if (done === TERMINATED) throw new Stop('server-terminated', 'the server is stopping');
    if (typeof done === 'number' && done !== IPERF_DONE) {
      this.#ctx.log.debug('unexpected state after the results', { client: this.client, done });
    }
  }

  /** Raises the Stop for a state the client sent where `expected` (or nothing) was due. */
  #clientSpoke(state: number, expected?: number): void {
    if (state === expected) return;
    if (state === CLIENT_TERMINATE) throw new Stop('client-terminated', 'the client terminated');
    throw new Stop('protocol-error', `unexpected state ${state} from the client`);
  }

  /** The value, or the Stop for an interruption while the server waited for `what`. */
  #expect<T>(value: T | Interrupted, what: string): T {
    if (value === CLOSED) {
      throw new Stop('client-gone', `the client left while the server waited for ${what}`);
    }
    if (value === TIMED_OUT) throw new Stop('timed-out', `timed out waiting for ${what}`);
    if (value === TERMINATED) throw new Stop('server-terminated', 'the server is stopping');
    return value;
  }

  async #refuse(code: number, reason: string): Promise<never> {
    const message = new Uint8Array(9);
    message[0] = SERVER_ERROR & 0xff;
    writeU32BE(message, 1, code);
    writeU32BE(message, 5, 0);
    await this.#write(message);
    throw new Stop('refused', reason);
  }

  #onDatagram(socket: UdpSocket, data: Uint8Array, from: UdpEndpoint): void {
    for (const stream of this.#udpStreams) {
      if (!stream.matches(from)) continue;
      if (this.#phase === 'running') {
        if (!stream.sending) stream.stats.add(data, this.#ctx.clock.nowMs());
      } else if (this.#phase === 'streams') {
        this.#replyHello(socket, from);
      }
      return;
    }
    const params = this.#params;
    if (this.#phase !== 'streams' || params === undefined) return;
    if (this.#udpStreams.length >= streamCount(params)) return;
    const index = this.#udpStreams.length;
    this.#udpStreams.push(
      new UdpDataStream(from, streamId(index), serverSendsOn(params, index), params.udpCounters64),
    );
    this.#replyHello(socket, from);
    if (this.#udpStreams.length === streamCount(params)) this.#streamsReady();
  }

  #replyHello(socket: UdpSocket, to: UdpEndpoint): void {
    try {
      socket.send(UDP_CONNECT_REPLY, to);
    } catch (error) {
      this.#ctx.log.debug('UDP stream reply not sent', { to: `${to.address}:${to.port}`, error });
    }
  }

  #startSenders(params: TestParams): void {
    const { clock, sleep } = this.#ctx;
    const budget = new SendBudget(params.bytes, params.blocks);
    // One block for all of the test's senders; its content does not matter, so it is filled once.
    const block = new Uint8Array(params.blockSize);
    for (let i = 0, x = 0x9e3779b9; i < block.length; i++) {
      x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
      block[i] = x >>> 24;
    }
    for (const stream of this.#tcpStreams) {
      if (!stream.sending) continue;
      const pacer = new Pacer(clock, sleep, params.bitsPerSecond);
      pacer.start();
      const turns = new Turns(clock, sleep);
      void stream.send(block, budget, { pacer, turns }, this.#senders);
    }
    const socket = this.#udpSocket;
    for (const stream of this.#udpStreams) {
      if (!stream.sending || socket === undefined) continue;
      const pacer = new Pacer(clock, sleep, params.bitsPerSecond);
      pacer.start();
      // Each UDP sender stamps its own header, so each has its own datagram buffer.
      const datagram = block.slice();
      void stream.send(
        socket,
        datagram,
        params.udpCounters64,
        budget,
        pacer,
        { clock, sleep },
        this.#senders,
      );
    }
  }

  /**
   * Stops the senders and half-closes their streams. The iperf3 client (3.12) drains a reverse
   * test's streams after TEST_END with blocking block-sized reads: only the end of the stream
   * lets it go on to the results.
   */
  #stopSending(): void {
    this.#senders.stopped = true;
    for (const stream of this.#tcpStreams) {
      if (stream.sending) stream.flow.closeWrite().catch(() => undefined);
    }
  }

  #endOmitted(): void {
    this.#omitTimer = undefined;
    for (const stream of this.#streams()) stream.markOmitted();
    this.#startMs = this.#ctx.clock.nowMs();
  }

  #streams(): readonly (TcpDataStream | UdpDataStream)[] {
    return this.#params?.protocol === 'udp' ? this.#udpStreams : this.#tcpStreams;
  }

  #reports(): StreamReport[] {
    const startMs = this.#startMs;
    if (startMs === undefined) return [];
    const endMs = this.#endMs ?? this.#ctx.clock.nowMs();
    return this.#streams().map((stream) => stream.report(startMs, endMs));
  }

  #summary(outcome: TestOutcome, reason: string | undefined): TestSummary {
    return summarizeTest({
      client: this.client,
      outcome,
      reason,
      params: this.#params,
      streams: this.#streams(),
      reports: this.#reported ?? this.#reports(),
    });
  }

  async #sendState(state: number): Promise<void> {
    await this.#write(STATE_BYTES.get(state) as Uint8Array);
  }

  /** Writes on the control connection and waits for it, giving up as any wait does. */
  async #write(bytes: Uint8Array): Promise<void> {
    this.#expect(
      await this.#wait(this.#control.write(bytes), this.#ctx.timeouts.stepMs),
      'the client to take a message',
    );
  }

  /** Waits for `promise` at most `timeoutMs`, and no longer than the server runs. */
  #wait<T>(promise: Promise<T>, timeoutMs: number): Promise<T | Interrupted> {
    const raced = Promise.race([promise, this.#terminated]);
    if (timeoutMs === Number.POSITIVE_INFINITY) return raced;
    return withDeadline(raced, timeoutMs, this.#ctx.clock, this.#ctx.sleep);
  }

  async #cleanUp(): Promise<void> {
    this.#senders.stopped = true;
    this.#omitTimer?.cancel();
    this.#endMs ??= this.#ctx.clock.nowMs();
    this.#phase = 'ending';
    const socket = this.#udpSocket;
    this.#udpSocket = undefined;
    await Promise.all([
      socket?.close().catch(() => undefined),
      ...this.#tcpStreams.map((stream) => this.#closeFlow(stream.flow)),
      this.#closeControl(),
    ]);
  }

  /** Closes the control connection once the queued writes are out (or given up on). */
  async #closeControl(): Promise<void> {
    const { clock, sleep, timeouts } = this.#ctx;
    await withDeadline(this.#control.written(), timeouts.closeMs, clock, sleep);
    await this.#closeFlow(this.#control.flow);
  }

  /** Closes `flow`, and resets it if that takes longer than `closeMs`. */
  async #closeFlow(flow: Flow): Promise<void> {
    const closed = await withDeadline(
      flow.close().catch(() => undefined),
      this.#ctx.timeouts.closeMs,
      this.#ctx.clock,
      this.#ctx.sleep,
    );
    if (closed === TIMED_OUT) flow.abort();
  }
}
