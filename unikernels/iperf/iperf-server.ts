// The iperf3 server: one TCP listener for control connections and data streams alike, one test at
// a time. Every new connection first sends a cookie. Without a running test it becomes the control
// connection of a new one; during the running test's CREATE_STREAMS, a connection with that test's
// cookie becomes one of its data streams; any other connection is sent ACCESS_DENIED and closed.
// When a test ends, the next client may start one.

import type { Clock, Logger, Sleep } from '@oasis/core';
import type { Flow, Stack, TcpListener } from '@oasis/runtime';
import { FlowReader } from './flow-reader.ts';
import { ACCESS_DENIED, COOKIE_SIZE } from './protocol.ts';
import { bitsPerSecond } from './results.ts';
import { DEFAULT_TIMEOUTS, type SessionTimeouts, TestSession } from './test-session.ts';
import type { TestSummary } from './test-summary.ts';
import { TIMED_OUT, withDeadline } from './wait.ts';

export interface IperfServerOptions {
  readonly net: Stack;
  readonly clock: Clock;
  readonly sleep: Sleep;
  readonly log: Logger;
  /** The TCP port, and the UDP port of UDP tests; 0 for an ephemeral one. */
  readonly port: number;
  /** The local address to listen on (default: every address of the stack, 0.0.0.0). */
  readonly address?: string;
  readonly timeouts?: Partial<SessionTimeouts>;
  /** Called with each test's summary after it was logged. */
  readonly onTestDone?: (summary: TestSummary) => void;
}

const DENIED = Uint8Array.of(ACCESS_DENIED & 0xff);

export class IperfServer {
  readonly #options: IperfServerOptions;
  readonly #listener: TcpListener;
  readonly #timeouts: SessionTimeouts;
  #session: TestSession | undefined;
  #running: Promise<void> | undefined;
  #closed = false;

  private constructor(options: IperfServerOptions, listener: TcpListener) {
    this.#options = options;
    this.#listener = listener;
    this.#timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    listener.onConnection((flow) => void this.#accept(flow));
  }

  /** Listens on TCP. Rejects as `TcpStack.listen` does (EADDRINUSE, EINVAL, ...). */
  static async listen(options: IperfServerOptions): Promise<IperfServer> {
    const listener = await options.net.tcp.listen({
      port: options.port,
      ...(options.address !== undefined ? { address: options.address } : {}),
    });
    return new IperfServer(options, listener);
  }

  get port(): number {
    return this.#listener.local.port;
  }

  /** Stops listening and ends a running test with SERVER_TERMINATE. */
  async close(): Promise<void> {
    this.#closed = true;
    // First, while the stack still carries it: the client hears SERVER_TERMINATE.
    const summary = this.#session?.terminate();
    if (summary !== undefined) this.#report(summary);
    await this.#listener.close();
    await this.#running;
  }

  async #accept(flow: Flow): Promise<void> {
    const { clock, sleep, log } = this.#options;
    const reader = new FlowReader(flow);
    const cookie = await withDeadline(
      reader.readExact(COOKIE_SIZE).catch(() => undefined),
      this.#timeouts.stepMs,
      clock,
      sleep,
    );
    if (cookie === undefined || cookie === TIMED_OUT || this.#closed) {
      flow.abort();
      return;
    }
    const session = this.#session;
    if (session === undefined) {
      this.#startTest(reader, cookie.slice());
    } else if (session.acceptsStream(cookie)) {
      session.addStream(reader);
    } else {
      log.info('client refused: a test is running', {
        client: `${flow.remote.address}:${flow.remote.port}`,
        running: session.client,
      });
      await this.#deny(flow);
    }
  }

  #startTest(control: FlowReader, cookie: Uint8Array): void {
    const { net, clock, sleep, log } = this.#options;
    const session = new TestSession(control, cookie, {
      net,
      clock,
      sleep,
      log,
      address: this.#options.address,
      port: this.port,
      timeouts: this.#timeouts,
    });
    this.#session = session;
    this.#running = session.run().then(
      (summary) => {
        this.#session = undefined;
        // A test the server ended was reported when it did.
        if (summary.outcome !== 'server-terminated') this.#report(summary);
      },
      (error: unknown) => {
        this.#session = undefined;
        log.error('test failed', { client: session.client, error });
      },
    );
  }

  #report(summary: TestSummary): void {
    const { log } = this.#options;
    const { params } = summary;
    const fields = {
      client: summary.client,
      ...(params !== undefined
        ? { protocol: params.protocol, mode: params.mode, streams: params.parallel }
        : {}),
      bytes: summary.received + summary.sent,
      received: summary.received,
      sent: summary.sent,
      seconds: Number(summary.seconds.toFixed(3)),
      bitsPerSecond: bitsPerSecond(summary.received + summary.sent, summary.seconds),
      ...(summary.udp !== undefined
        ? {
            packets: summary.udp.packets,
            lost: summary.udp.lost,
            jitterMs: Number(summary.udp.jitterMs.toFixed(3)),
          }
        : {}),
    };
    if (summary.outcome === 'done') log.info('test done', fields);
    else
      log.warn('test ended early', { outcome: summary.outcome, reason: summary.reason, ...fields });
    this.#options.onTestDone?.(summary);
  }

  /** ACCESS_DENIED, then close; a client that does not take it is reset. */
  async #deny(flow: Flow): Promise<void> {
    const { clock, sleep } = this.#options;
    const closed = await withDeadline(
      flow.write(DENIED).then(
        () => flow.close(),
        () => undefined,
      ),
      this.#timeouts.closeMs,
      clock,
      sleep,
    ).catch(() => undefined);
    if (closed === TIMED_OUT || closed === undefined) flow.abort();
  }
}
