// One TCP connection on the host's sockets: the Flow contract over a node:net Socket in paused
// mode. `read` pulls one chunk at a time, so what the service does not read stays in Node's and
// then the kernel's buffers and the advertised window shrinks (TCP's backpressure); `write`
// resolves on the socket's write callback, when the caller may reuse its buffer.

import type { Socket } from 'node:net';
import { ClosedError, err, OasisError, ok, type Result } from '@oasis/core';
import type { Flow, FlowCounters, TcpEndpoint } from '@oasis/runtime';
import { endpointText, hostError } from './host-errors.ts';

interface Pending<T> {
  readonly resolve: (value: T) => void;
  readonly reject: (error: OasisError) => void;
}

/** A read the socket cannot satisfy yet. */
const WAIT = 'wait';

export class HostFlow implements Flow {
  readonly local: TcpEndpoint;
  readonly remote: TcpEndpoint;
  readonly #socket: Socket;
  /** Resolves on the socket's 'close': both directions are done, or it was reset. */
  readonly #socketClosed: Promise<void>;
  #reading: Pending<Uint8Array | undefined> | undefined;
  #writing: Pending<void> | undefined;
  /** socket.end() with its outcome, once either closeWrite or close asked for it. */
  #ending: Promise<void> | undefined;
  /** After closeWrite or close: writes fail with EPIPE. */
  #writeClosed = false;
  /** After close: incoming bytes are thrown away and reads see the end of the stream. */
  #discarding = false;
  #aborted = false;

  /** `socket` is connected, so its addresses are known. */
  constructor(socket: Socket) {
    this.#socket = socket;
    this.local = { address: socket.localAddress!, port: socket.localPort! };
    this.remote = { address: socket.remoteAddress!, port: socket.remotePort! };
    this.#socketClosed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('readable', () => {
      if (this.#discarding) this.#discardIncoming();
      else this.#serveRead();
    });
    socket.on('end', () => this.#serveRead());
    // The failure stays in socket.errored, where the next read or write finds it.
    socket.on('error', () => this.#serveRead());
    socket.on('close', () => this.#serveRead());
  }

  read(): Promise<Uint8Array | undefined> {
    if (this.#reading !== undefined) {
      throw new TypeError('a read is already pending on this flow: await it before reading again');
    }
    return new Promise((resolve, reject) => {
      this.#reading = { resolve, reject };
      this.#serveRead();
    });
  }

  /** Settles the pending read if the socket has an answer for it. */
  #serveRead(): void {
    const reader = this.#reading;
    if (reader === undefined) return;
    const outcome = this.#readNow();
    if (outcome === WAIT) return;
    this.#reading = undefined;
    if (outcome.ok) reader.resolve(outcome.value);
    else reader.reject(outcome.error);
  }

  #readNow(): Result<Uint8Array | undefined, OasisError> | typeof WAIT {
    if (this.#aborted) return err(new ClosedError('the TCP flow'));
    if (this.#discarding) return ok(undefined);
    // In paused mode read() returns all that Node holds (one chunk, or several joined) or null.
    const chunk: Buffer | null = this.#socket.read();
    if (chunk !== null) {
      // A plain view, not the Buffer: services are written against Uint8Array only.
      return ok(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    }
    if (this.#socket.readableEnded) return ok(undefined);
    const failure = this.#socket.errored;
    if (failure !== null) return err(this.#failure(failure));
    // Destroyed without an end or an error: nothing more will come, and waiting would hang.
    if (this.#socket.destroyed) return err(new ClosedError('the TCP flow'));
    return WAIT;
  }

  write(data: Uint8Array): Promise<void> {
    if (this.#writing !== undefined) {
      throw new TypeError('a write is already pending on this flow: await it before writing again');
    }
    const refusal = this.#writeRefusal();
    if (refusal !== undefined) return Promise.reject(refusal);
    return new Promise((resolve, reject) => {
      const writer = { resolve, reject };
      this.#writing = writer;
      // The callback runs once the kernel has taken every byte, when Node has let go of `data`,
      // which the caller may reuse after we resolve. write() returning true is too early for
      // that (it only says Node's queue is below its mark, and the bytes may still be in it).
      // As a flow has one write pending, the callback also waits while the kernel's send buffer
      // is full: that is the backpressure the contract promises.
      this.#socket.write(data, (error) => {
        if (this.#writing !== writer) return;
        this.#writing = undefined;
        if (error == null) resolve();
        else reject(this.#failure(error));
      });
    });
  }

  #writeRefusal(): OasisError | undefined {
    if (this.#aborted) return new ClosedError('the TCP flow');
    if (this.#writeClosed) {
      return new OasisError('EPIPE', 'the flow was closed for writing (closeWrite or close)');
    }
    const failure = this.#socket.errored;
    if (failure !== null) return this.#failure(failure);
    return undefined;
  }

  closeWrite(): Promise<void> {
    if (this.#aborted) return Promise.reject(new ClosedError('the TCP flow'));
    return this.#end();
  }

  /** socket.end(): FIN after the queued bytes; resolves on 'finish', when shutdown(2) is done. */
  #end(): Promise<void> {
    this.#writeClosed = true;
    this.#ending ??= new Promise((resolve, reject) => {
      this.#socket.end((error?: Error | null) => {
        if (error == null) resolve();
        else reject(this.#failure(error));
      });
    });
    return this.#ending;
  }

  close(): Promise<void> {
    if (!this.#discarding) {
      this.#discarding = true;
      this.#serveRead();
      this.#discardIncoming();
      // A failed connection is closed too: close only waits for the socket to be gone.
      if (!this.#aborted) this.#end().catch(() => undefined);
    }
    return this.#socketClosed;
  }

  /** Reads and drops what Node holds, so that the peer's FIN is seen and the socket can close. */
  #discardIncoming(): void {
    let chunk: Buffer | null = this.#socket.read();
    while (chunk !== null) chunk = this.#socket.read();
  }

  abort(): void {
    if (this.#aborted) return;
    this.#aborted = true;
    // SO_LINGER with a zero timeout, then close(2): the kernel sends RST, not FIN.
    if (!this.#socket.destroyed) this.#socket.resetAndDestroy();
    this.#serveRead();
    // Node may still report the interrupted write as done: settle it here.
    const writer = this.#writing;
    this.#writing = undefined;
    writer?.reject(new ClosedError('the TCP flow'));
  }

  setNoDelay(noDelay: boolean): void {
    this.#socket.setNoDelay(noDelay);
  }

  counters(): FlowCounters {
    return { bytesRead: this.#socket.bytesRead, bytesWritten: this.#socket.bytesWritten };
  }

  /** The OasisError for a failure of the socket: ECLOSED after abort, else Node's error mapped. */
  #failure(error: Error): OasisError {
    if (this.#aborted) return new ClosedError('the TCP flow');
    const cause = this.#socket.errored ?? error;
    const failure = hostError(
      cause,
      `TCP flow to ${endpointText(this.remote.address, this.remote.port)}`,
    );
    // Linux reports a reset by the peer once, as ECONNRESET; sends after that fail with EPIPE
    // (tcp_sendmsg). The contract keeps EPIPE for a flow whose sending side we shut ourselves.
    if (failure.code === 'EPIPE' && !this.#writeClosed) {
      return new OasisError('ECONNRESET', `the peer reset the connection: ${failure.message}`, {
        cause,
      });
    }
    return failure;
  }
}
