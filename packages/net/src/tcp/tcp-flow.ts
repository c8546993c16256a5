// The Flow contract over a TcpConnection: promises for the application, events from the
// connection. Reads hand out the pieces copied when segments arrived; writes copy into the send
// buffer and wait for room when it is full, which is the backpressure.

import { OasisError } from '@oasis/core';
import type { Flow, FlowCounters, TcpEndpoint } from '@oasis/runtime';
import type { TcpConnection, TcpConnectionEvents } from './tcp-connection.ts';

/** What a flow needs of its stack. */
export interface FlowHost {
  /** Runs a piece of work inside the stack's output batch, which flushes TCP at its end. */
  run(work: () => void): void;
  nowMs(): number;
}

export interface DirectFlowCounters extends FlowCounters {
  readonly segmentsSent: number;
  readonly segmentsReceived: number;
  readonly retransmittedSegments: number;
}

interface Pending<T> {
  resolve(value: T): void;
  reject(error: Error): void;
}

export class TcpFlow implements Flow, TcpConnectionEvents {
  readonly local: TcpEndpoint;
  readonly remote: TcpEndpoint;
  readonly #connection: TcpConnection;
  readonly #host: FlowHost;
  #bytesRead = 0;
  #bytesWritten = 0;
  #read: Pending<Uint8Array | undefined> | undefined;
  #write: (Pending<void> & { data: Uint8Array; offset: number }) | undefined;
  #closeWaiters: (() => void)[] = [];
  #opened: Pending<void> | undefined;
  #aborted = false;
  #finished = false;

  constructor(connection: TcpConnection, local: TcpEndpoint, remote: TcpEndpoint, host: FlowHost) {
    this.#connection = connection;
    this.local = local;
    this.remote = remote;
    this.#host = host;
    connection.events = this;
  }

  /** Resolves once the handshake completes (an active open), rejects if it fails. */
  opened(): Promise<void> {
    if (this.#connection.state !== 'SYN-SENT' && this.#connection.state !== 'SYN-RECEIVED') {
      return this.#connection.error === undefined
        ? Promise.resolve()
        : Promise.reject(this.#connection.error);
    }
    return new Promise((resolve, reject) => {
      this.#opened = { resolve, reject };
    });
  }

  read(): Promise<Uint8Array | undefined> {
    if (this.#read !== undefined) {
      throw new TypeError('a read is already pending on this flow: await it first');
    }
    let piece: Uint8Array | undefined;
    if (this.#connection.receiveBuffer.length > 0) {
      this.#host.run(() => {
        piece = this.#take();
      });
    }
    if (piece !== undefined) return Promise.resolve(piece);
    if (this.#connection.readEnded) return Promise.resolve(undefined);
    const failure = this.#failure();
    if (failure !== undefined) return Promise.reject(failure);
    return new Promise((resolve, reject) => {
      this.#read = { resolve, reject };
    });
  }

  write(data: Uint8Array): Promise<void> {
    if (this.#write !== undefined) {
      throw new TypeError('a write is already pending on this flow: await it first');
    }
    const failure = this.#failure();
    if (failure !== undefined) return Promise.reject(failure);
    if (!this.#connection.canSend) {
      return Promise.reject(new OasisError('EPIPE', 'the flow was closed for writing'));
    }
    if (data.length === 0) return Promise.resolve();
    let taken = 0;
    this.#host.run(() => {
      taken = this.#connection.write(data);
    });
    this.#bytesWritten += taken;
    if (taken === data.length) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#write = { resolve, reject, data, offset: taken };
    });
  }

  async closeWrite(): Promise<void> {
    const failure = this.#failure();
    if (failure !== undefined) throw failure;
    await this.#drainWrite();
    this.#host.run(() => this.#connection.closeWrite());
  }

  async close(): Promise<void> {
    if (this.#aborted) return;
    if (this.#finished && this.#connection.error !== undefined) return;
    this.#host.run(() => this.#connection.discardInput());
    if (this.#write === undefined) this.#host.run(() => this.#connection.closeWrite());
    else await this.#drainWrite().then(() => this.#host.run(() => this.#connection.closeWrite()));
    if (this.#connection.peerFinished || this.#finished) return;
    await new Promise<void>((resolve) => this.#closeWaiters.push(resolve));
  }

  abort(): void {
    if (this.#aborted) return;
    this.#aborted = true;
    const error = new OasisError('ECLOSED', 'the flow was aborted');
    this.#host.run(() => this.#connection.abort(error, this.#host.nowMs()));
    this.#failPending(error);
  }

  setNoDelay(noDelay: boolean): void {
    this.#host.run(() => this.#connection.setNoDelay(noDelay));
  }

  counters(): DirectFlowCounters {
    return {
      bytesRead: this.#bytesRead,
      bytesWritten: this.#bytesWritten,
      segmentsSent: this.#connection.segmentsSent,
      segmentsReceived: this.#connection.segmentsReceived,
      retransmittedSegments: this.#connection.retransmittedSegments,
    };
  }

  /** A snapshot of the connection's state, for logs and tests. */
  describe(): Record<string, number | string | boolean> {
    return this.#connection.describe();
  }

  // --- Events from the connection (inside the stack's batch) ----------------------------------

  established(): void {
    const opened = this.#opened;
    this.#opened = undefined;
    opened?.resolve();
  }

  readable(): void {
    const read = this.#read;
    if (read !== undefined) {
      const piece = this.#take();
      if (piece !== undefined) {
        this.#read = undefined;
        read.resolve(piece);
      } else if (this.#connection.readEnded) {
        this.#read = undefined;
        read.resolve(undefined);
      }
    }
    if (this.#connection.peerFinished) this.#wakeClosers();
  }

  writable(): void {
    const write = this.#write;
    if (write === undefined) return;
    const taken = this.#connection.write(write.data.subarray(write.offset));
    this.#bytesWritten += taken;
    write.offset += taken;
    if (write.offset === write.data.length) {
      this.#write = undefined;
      write.resolve();
    }
  }

  finished(error: OasisError | undefined): void {
    this.#finished = true;
    const failure = error ?? (this.#aborted ? undefined : this.#connection.error);
    if (this.#opened !== undefined) {
      const opened = this.#opened;
      this.#opened = undefined;
      opened.reject(failure ?? new OasisError('ECONNRESET', 'the connection closed while opening'));
    }
    if (failure !== undefined) this.#failPending(failure);
    else {
      // TIME-WAIT or an orderly end: a pending read sees the end of the stream.
      this.readable();
      const write = this.#write;
      this.#write = undefined;
      write?.reject(new OasisError('EPIPE', 'the connection closed'));
    }
    this.#wakeClosers();
  }

  // --- Internals ------------------------------------------------------------------------------

  #take(): Uint8Array | undefined {
    const piece = this.#connection.receiveBuffer.shift();
    if (piece === undefined) return undefined;
    this.#bytesRead += piece.length;
    this.#connection.consumed();
    return piece;
  }

  #failure(): OasisError | undefined {
    if (this.#aborted) return new OasisError('ECLOSED', 'the flow was aborted');
    return this.#connection.error;
  }

  #failPending(error: OasisError): void {
    const read = this.#read;
    const write = this.#write;
    const opened = this.#opened;
    this.#read = this.#write = this.#opened = undefined;
    read?.reject(error);
    write?.reject(error);
    opened?.reject(error);
    this.#wakeClosers();
  }

  #wakeClosers(): void {
    for (const wake of this.#closeWaiters.splice(0)) wake();
  }

  async #drainWrite(): Promise<void> {
    const write = this.#write;
    if (write === undefined) return;
    await new Promise<void>((resolve) => {
      const { resolve: done, reject } = write;
      write.resolve = () => {
        done();
        resolve();
      };
      write.reject = (error) => {
        reject(error);
        resolve();
      };
    });
  }
}
