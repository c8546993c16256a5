// One DNS-over-TCP connection (RFC 7766). Queries are read as they come and handled side by side,
// and each answer is written as soon as it is ready, in any order (§6.2.1.1); at most
// `maxPipeline` queries are in progress (handled or waiting to be written), and reading pauses
// while that many are, which is the backpressure towards a client that sends faster than it
// reads. A zone transfer's messages go out in order, each write awaited. The connection closes
// when idle (§6.2.3), when the client has finished sending and every answer is out, and at once
// on a frame that cannot be a message: the stream may be out of step (§8).

import type { Clock, Counters, Logger, Sleep, Timer } from '@oasis/core';
import type { Flow } from '@oasis/runtime';
import { HEADER_LENGTH } from '../wire/message.ts';
import { frameMessage, TcpFrameReader } from '../wire/tcp-framing.ts';
import type { DnsResponder, EncodedReply, ReplySink } from './query-responder.ts';

/** What every connection of a server shares. */
export interface TcpConnectionSettings {
  readonly responder: DnsResponder;
  readonly counters: Counters;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly sleep: Sleep;
  readonly idleMs: number;
  readonly maxPipeline: number;
  /** How long a closing connection may wait for the client's FIN before it is reset. */
  readonly closeGraceMs: number;
  /** Called once, when the connection is gone. */
  readonly removed: (connection: DnsTcpConnection) => void;
}

/**
 * 'open': reading queries. 'draining': the client finished sending; the answers in progress go
 * out, then the connection closes. 'closed': closing or gone; answers are thrown away.
 */
type ConnectionState = 'open' | 'draining' | 'closed';

export class DnsTcpConnection implements ReplySink {
  readonly #flow: Flow;
  readonly #settings: TcpConnectionSettings;
  readonly #frames = new TcpFrameReader();
  #state: ConnectionState = 'open';
  /** Queries read and not yet answered: with the handler, or their answer not yet written. */
  #inProgress = 0;
  /** Queries with the handler. */
  #withHandler = 0;
  readonly #writeQueue: (Uint8Array | Iterable<Uint8Array>)[] = [];
  #writing = false;
  /** Wakes the read loop, paused while the pipeline is full. */
  #wakeReader: (() => void) | undefined;
  #lastActivityMs: number;
  #timer: Timer | undefined;
  #gone = false;
  #goneWaiters: (() => void)[] = [];

  constructor(flow: Flow, settings: TcpConnectionSettings) {
    this.#flow = flow;
    this.#settings = settings;
    this.#lastActivityMs = settings.clock.nowMs();
  }

  start(): void {
    // RFC 7766 §8: the length and the message go in one write; with Nagle's algorithm a second
    // pipelined answer would wait for the first one's ACK.
    this.#flow.setNoDelay(true);
    this.#timer = this.#settings.sleep.setTimer(
      this.#lastActivityMs + this.#settings.idleMs,
      this.#onTimer,
    );
    void this.#readLoop();
  }

  /** Closes (FIN, then a reset if the client lingers); resolves when the connection is gone. */
  shutdown(): Promise<void> {
    this.#close();
    if (this.#gone) return Promise.resolve();
    return new Promise((resolve) => this.#goneWaiters.push(resolve));
  }

  async #readLoop(): Promise<void> {
    for (;;) {
      if (!this.#dispatchFrames()) return;
      if (this.#inProgress >= this.#settings.maxPipeline) {
        this.#settings.counters.add('tcp.pipeline-full');
        await new Promise<void>((resolve) => {
          this.#wakeReader = resolve;
        });
        if (this.#state !== 'open') return;
        continue;
      }
      let chunk: Uint8Array | undefined;
      try {
        chunk = await this.#flow.read();
      } catch (error) {
        this.#failed('tcp.read-error', error);
        return;
      }
      if (this.#state !== 'open') return;
      if (chunk === undefined) {
        // The client has sent its last query (RFC 7766 §6.2.3): answer what is in progress.
        this.#state = 'draining';
        this.#closeIfDrained();
        return;
      }
      this.#lastActivityMs = this.#settings.clock.nowMs();
      this.#frames.push(chunk);
    }
  }

  /** Hands the buffered frames to the responder while the pipeline has room; false once closed. */
  #dispatchFrames(): boolean {
    while (this.#inProgress < this.#settings.maxPipeline) {
      const frame = this.#frames.next();
      if (frame === undefined) break;
      this.#inProgress += 1;
      this.#withHandler += 1;
      this.#settings.responder.receive(frame, this.#flow.remote, this);
      if (frame.length < HEADER_LENGTH) {
        // An empty frame or one without a header: not a DNS client's, and the framing may be
        // lost. The responder counted it; close.
        this.#settings.counters.add('tcp.bad-frame');
        this.#close();
      }
      if (this.#state !== 'open') return false;
    }
    return true;
  }

  deliver(reply: EncodedReply): void {
    this.#withHandler -= 1;
    this.#lastActivityMs = this.#settings.clock.nowMs();
    if (reply === undefined || this.#state === 'closed') {
      this.#answered();
      return;
    }
    this.#writeQueue.push(reply);
    if (!this.#writing) void this.#writeLoop();
  }

  async #writeLoop(): Promise<void> {
    this.#writing = true;
    try {
      for (
        let reply = this.#writeQueue.shift();
        reply !== undefined;
        reply = this.#writeQueue.shift()
      ) {
        if (reply instanceof Uint8Array) await this.#writeFrame(reply);
        else {
          for (const message of reply) {
            if (this.#state === 'closed') break;
            await this.#writeFrame(message);
          }
        }
        this.#answered();
      }
    } catch (error) {
      this.#failed('tcp.write-error', error);
    } finally {
      this.#writing = false;
    }
  }

  async #writeFrame(message: Uint8Array): Promise<void> {
    if (this.#state === 'closed') return;
    await this.#flow.write(frameMessage(message));
    this.#lastActivityMs = this.#settings.clock.nowMs();
  }

  /** One query is done (answered or dropped). */
  #answered(): void {
    this.#inProgress -= 1;
    const wake = this.#wakeReader;
    this.#wakeReader = undefined;
    wake?.();
    this.#closeIfDrained();
  }

  #closeIfDrained(): void {
    if (this.#state === 'draining' && this.#inProgress === 0) this.#close();
  }

  readonly #onTimer = (): void => {
    this.#timer = undefined;
    if (this.#state === 'closed') {
      // The client did not close its side within the grace period.
      this.#abort();
      return;
    }
    const now = this.#settings.clock.nowMs();
    const deadline = this.#lastActivityMs + this.#settings.idleMs;
    // A query with the handler is the server's own delay, not the client's idleness.
    if (deadline > now || this.#withHandler > 0) {
      const next = deadline > now ? deadline : now + this.#settings.idleMs;
      this.#timer = this.#settings.sleep.setTimer(next, this.#onTimer);
      return;
    }
    // RFC 7766 §6.2.3: close a connection idle for too long. An answer still unwritten after
    // the idle time means the client stopped reading: reset rather than wait for it.
    this.#settings.counters.add('tcp.idle-timeout');
    if (this.#writing) this.#abort();
    else this.#close();
  };

  #failed(key: string, error: unknown): void {
    if (this.#state === 'closed') return;
    this.#settings.counters.add(key);
    if (this.#settings.logger.enabled('debug')) {
      const { address, port } = this.#flow.remote;
      this.#settings.logger.debug('DNS over TCP connection failed', {
        error,
        client: `${address}:${port}`,
      });
    }
    this.#abort();
  }

  /** Closes gracefully: FIN now, a reset if the client has not closed within the grace period. */
  #close(): void {
    if (this.#state === 'closed') return;
    this.#enterClosed();
    this.#timer = this.#settings.sleep.setTimer(
      this.#settings.clock.nowMs() + this.#settings.closeGraceMs,
      this.#onTimer,
    );
    this.#flow.close().then(
      () => this.#finish(),
      () => this.#finish(),
    );
  }

  #abort(): void {
    this.#enterClosed();
    this.#flow.abort();
    this.#finish();
  }

  #enterClosed(): void {
    this.#state = 'closed';
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#writeQueue.length = 0;
    const wake = this.#wakeReader;
    this.#wakeReader = undefined;
    wake?.();
  }

  #finish(): void {
    if (this.#gone) return;
    this.#gone = true;
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#settings.removed(this);
    for (const wake of this.#goneWaiters.splice(0)) wake();
  }
}
