// One DNS-over-TCP connection to one server, shared by every query to that server (RFC 7766
// §6.2.1): queries are pipelined on it without waiting for earlier answers (§6.2.1.1), each under
// an ID no other outstanding query on the connection has, and answers, which may come in any
// order, are matched to their query by ID and question (§7). Writes are queued, so that each
// frame goes out whole and in order. The connection closes itself once it has been idle for the
// configured time (§6.2.3), and ends when the server closes or resets it; the queries it was
// carrying then fail, and the client retries them (§6.2.4).

import {
  type Clock,
  type Counters,
  type Logger,
  OasisError,
  type Random,
  type Sleep,
  TimeoutError,
  type Timer,
  writeU16BE,
} from '@oasis/core';
import type { Flow, TcpStack } from '@oasis/runtime';
import { type DnsQuestion, decodeMessage } from '../wire/message.ts';
import { frameMessage, TcpFrameReader } from '../wire/tcp-framing.ts';
import { isAnswerTo } from './answer-match.ts';
import type { SettleAttempt } from './attempt.ts';
import { randomQueryId } from './query-id.ts';
import { type DnsServerAddress, serverKey } from './server-address.ts';
import { asOasisError } from './stack-error.ts';

export interface DnsTcpConnectionOptions {
  readonly tcp: TcpStack;
  readonly server: DnsServerAddress;
  readonly clock: Clock;
  readonly sleep: Sleep;
  readonly random: Random;
  /** How long the connection stays open with no query outstanding. */
  readonly idleMs: number;
  /** How long connecting may take before the connection fails with ETIMEDOUT. */
  readonly connectTimeoutMs: number;
  readonly counters: Counters;
  readonly logger: Logger | undefined;
  /** Called once, when the connection ends for whatever reason, so its owner forgets it. */
  readonly onEnd: (connection: DnsTcpConnection) => void;
}

interface Outstanding {
  readonly question: DnsQuestion;
  readonly settle: SettleAttempt;
}

/** IDs are 16 bits (RFC 1035 §4.1.1): no more queries than that can be outstanding at once. */
const ID_SPACE = 0x1_0000;

export class DnsTcpConnection {
  readonly #options: DnsTcpConnectionOptions;
  readonly #outstanding = new Map<number, Outstanding>();
  /** The flow once connected; undefined while connecting and after a failed connect. */
  #flow: Flow | undefined;
  /** The last queued write: each write waits for the one before it (one pending write per flow). */
  #writes: Promise<void>;
  #idleTimer: Timer | undefined;
  /** Aborts connecting when the connection ends first. */
  readonly #connecting = new AbortController();
  #ended = false;
  /** Settles once the flow is closed (or reset after the grace period). */
  #closed: Promise<void> = Promise.resolve();
  #queriesSent = 0;

  constructor(options: DnsTcpConnectionOptions) {
    this.#options = options;
    options.counters.add('tcp-connections');
    this.#writes = this.#connect();
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** How many queries were sent on the connection: one that carried some before is a reused one. */
  get queriesSent(): number {
    return this.#queriesSent;
  }

  /**
   * Sends `query` under a fresh ID unique on this connection; `settle` gets the answer, or the
   * failure that ended the connection. Returns the function that withdraws the query (after its
   * attempt ended): a late answer to it then counts as mismatched.
   */
  send(query: Uint8Array, question: DnsQuestion, settle: SettleAttempt): () => void {
    if (this.#ended) {
      settle({ kind: 'failed', error: new OasisError('ECONNRESET', 'the connection has ended') });
      return () => {};
    }
    if (this.#outstanding.size === ID_SPACE) {
      settle({ kind: 'failed', error: new OasisError('ENOSPC', 'every query ID is in use') });
      return () => {};
    }
    let id = randomQueryId(this.#options.random);
    while (this.#outstanding.has(id)) id = randomQueryId(this.#options.random);
    const entry: Outstanding = { question, settle };
    this.#outstanding.set(id, entry);
    this.#queriesSent += 1;
    this.#idleTimer?.cancel();
    this.#idleTimer = undefined;
    const frame = frameMessage(query);
    writeU16BE(frame, 2, id);
    this.#writes = this.#writes.then(() => this.#write(frame, id, entry));
    return () => {
      if (this.#outstanding.get(id) === entry) this.#outstanding.delete(id);
      this.#armIdleTimer();
    };
  }

  /**
   * Closes the connection: a FIN after what is queued (RFC 7766 §6.2.4: the client closes
   * connections it no longer needs), and a reset if the server has not closed its side within
   * the connect timeout. Outstanding queries fail with ECLOSED. Resolves once the flow is closed.
   */
  close(): Promise<void> {
    this.#end(new OasisError('ECLOSED', 'the DNS client closed the connection'));
    return this.#closed;
  }

  async #connect(): Promise<void> {
    const { tcp, server, sleep, clock, connectTimeoutMs } = this.#options;
    const abort = this.#connecting;
    let timedOut = false;
    const timer = sleep.setTimer(clock.nowMs() + connectTimeoutMs, () => {
      timedOut = true;
      abort.abort();
    });
    try {
      const flow = await tcp.connect(server, { signal: abort.signal });
      if (this.#ended) {
        flow.abort();
        return;
      }
      this.#flow = flow;
      // A query must leave at once, not wait behind Nagle's algorithm for the ACK of the one
      // before it (RFC 1122 §4.2.3.4): pipelined queries are small and latency is what counts.
      flow.setNoDelay(true);
      void this.#readLoop(flow);
      this.#armIdleTimer();
    } catch (error) {
      this.#end(
        timedOut
          ? new TimeoutError(`no TCP connection to ${serverKey(server)} in ${connectTimeoutMs} ms`)
          : asOasisError(error),
      );
    } finally {
      timer.cancel();
    }
  }

  async #write(frame: Uint8Array, id: number, entry: Outstanding): Promise<void> {
    // Connecting failed, or the query was withdrawn while it waited its turn.
    if (this.#flow === undefined || this.#outstanding.get(id) !== entry) return;
    try {
      await this.#flow.write(frame);
    } catch (error) {
      this.#end(asOasisError(error));
    }
  }

  async #readLoop(flow: Flow): Promise<void> {
    // Answers split across reads and several answers in one read (RFC 7766 §8).
    const frames = new TcpFrameReader();
    try {
      for (let chunk = await flow.read(); chunk !== undefined; chunk = await flow.read()) {
        frames.push(chunk);
        for (let message = frames.next(); message !== undefined; message = frames.next()) {
          this.#receive(message);
        }
      }
      this.#end(new OasisError('ECONNRESET', 'the server closed the connection'));
    } catch (error) {
      this.#end(asOasisError(error));
    }
  }

  #receive(bytes: Uint8Array): void {
    const { counters } = this.#options;
    const decoded = decodeMessage(bytes);
    if (!decoded.ok) {
      counters.add('undecodable');
      return;
    }
    const message = decoded.value;
    const entry = this.#outstanding.get(message.id);
    if (entry === undefined || !isAnswerTo(message, message.id, entry.question)) {
      counters.add('mismatched');
      return;
    }
    this.#outstanding.delete(message.id);
    entry.settle({ kind: 'answer', message });
    this.#armIdleTimer();
  }

  #armIdleTimer(): void {
    if (this.#ended || this.#flow === undefined) return;
    if (this.#outstanding.size > 0 || this.#idleTimer !== undefined) return;
    const { sleep, clock, idleMs } = this.#options;
    this.#idleTimer = sleep.setTimer(clock.nowMs() + idleMs, () => {
      this.#idleTimer = undefined;
      this.#options.counters.add('tcp-idle-closes');
      this.#end(new OasisError('ECLOSED', 'the connection was idle'));
    });
  }

  /** Ends the connection once: fails what is outstanding, tells the owner, closes the flow. */
  #end(error: OasisError): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#idleTimer?.cancel();
    this.#idleTimer = undefined;
    const outstanding = [...this.#outstanding.values()];
    this.#outstanding.clear();
    this.#options.onEnd(this);
    this.#options.logger?.debug('DNS TCP connection ended', {
      server: serverKey(this.#options.server),
      error,
    });
    for (const entry of outstanding) entry.settle({ kind: 'failed', error });
    if (this.#flow === undefined) this.#connecting.abort();
    else this.#closed = this.#closeFlow(this.#flow);
  }

  #closeFlow(flow: Flow): Promise<void> {
    const { sleep, clock, connectTimeoutMs } = this.#options;
    return new Promise((resolve) => {
      const timer = sleep.setTimer(clock.nowMs() + connectTimeoutMs, () => {
        flow.abort();
        resolve();
      });
      const done = (): void => {
        timer.cancel();
        resolve();
      };
      flow.close().then(done, done);
    });
  }
}
