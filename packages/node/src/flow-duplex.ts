// A Flow as a Node Duplex stream, so that Node's own http, https, http2 and tls, and libraries
// written for net.Socket (ssh2), run over any stack: the host's sockets, the direct stack, the
// simulator. A server takes it as a connection (`http.createServer(handler).emit('connection',
// flowToDuplex(flow))`), a client from an Agent's createConnection. Besides the stream, it has
// the part of net.Socket's interface those modules use: the addresses, setNoDelay, setKeepAlive,
// ref/unref, the idle timer (setTimeout and 'timeout', which http's keep-alive relies on) and
// destroySoon.
//
// Destroying the stream without an error closes the flow gracefully, as destroying a net.Socket
// closes its descriptor: the queued bytes go out, then FIN. http destroys a connection that way
// right after the last byte of a `Connection: close` response; a reset there could throw that
// response's unsent tail away. Destroying it with an error resets the flow.

import { Duplex } from 'node:stream';
import { concatBytes } from '@oasis/core';
import type { Flow } from '@oasis/runtime';

type Callback = (error?: Error | null) => void;

export function flowToDuplex(flow: Flow): FlowDuplex {
  return new FlowDuplex(flow);
}

export class FlowDuplex extends Duplex {
  readonly #flow: Flow;
  /** The flow's input ended (read returned undefined). */
  #readEnded = false;
  /** Our side's FIN is queued (closeWrite resolved). */
  #writeFinished = false;
  #idleTimer: NodeJS.Timeout | undefined;

  constructor(flow: Flow) {
    // Half-open, as TCP is: the peer's FIN ends our input and leaves our output open.
    super({ allowHalfOpen: true });
    this.#flow = flow;
  }

  get remoteAddress(): string {
    return this.#flow.remote.address;
  }

  get remotePort(): number {
    return this.#flow.remote.port;
  }

  get localAddress(): string {
    return this.#flow.local.address;
  }

  get localPort(): number {
    return this.#flow.local.port;
  }

  override _read(): void {
    // Node calls _read again only after a push, so one flow read is pending at a time.
    this.#flow.read().then(
      (chunk) => {
        if (this.destroyed) return;
        this.#idleTimer?.refresh();
        if (chunk === undefined) this.#readEnded = true;
        this.push(chunk ?? null);
      },
      (error: Error) => this.destroy(error),
    );
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: Callback): void {
    this.#send(chunk, callback);
  }

  /** What was corked together (an HTTP head and body) goes out as one write, one segment. */
  override _writev(chunks: { chunk: Buffer }[], callback: Callback): void {
    this.#send(concatBytes(chunks.map(({ chunk }) => chunk)), callback);
  }

  #send(data: Uint8Array, callback: Callback): void {
    this.#idleTimer?.refresh();
    this.#flow.write(data).then(() => callback(), callback);
  }

  override _final(callback: Callback): void {
    this.#flow.closeWrite().then(() => {
      this.#writeFinished = true;
      callback();
    }, callback);
  }

  override _destroy(error: Error | null, callback: Callback): void {
    clearTimeout(this.#idleTimer);
    if (!(this.#readEnded && this.#writeFinished)) {
      if (error === null) {
        // Nobody is left to hear how the close ends: the stream is gone.
        this.#flow.close().catch(() => undefined);
      } else {
        this.#flow.abort();
      }
    }
    callback(error);
  }

  /** As net.Socket's: ends the output, and destroys the stream once it is finished. */
  destroySoon(): void {
    if (this.writable) this.end();
    if (this.writableFinished) this.destroy();
    else this.once('finish', () => this.destroy());
  }

  setNoDelay(noDelay = true): this {
    this.#flow.setNoDelay(noDelay);
    return this;
  }

  /** A no-op: keep-alive probes (RFC 1122 §4.2.3.6) are not part of the Flow contract. */
  setKeepAlive(_enable?: boolean, _initialDelayMs?: number): this {
    return this;
  }

  /** A no-op: a flow holds no handle of its own to keep the event loop alive or let it go. */
  ref(): this {
    return this;
  }

  /** A no-op, as `ref`; an http Agent calls both on the sockets it keeps. */
  unref(): this {
    return this;
  }

  /**
   * As net.Socket's: emits 'timeout' once the stream has been idle (nothing read or written) for
   * `timeoutMs`, and again after later activity; 0 disables. Nothing is closed: the listener
   * decides. The timer does not keep the process alive.
   */
  setTimeout(timeoutMs: number, onTimeout?: () => void): this {
    if (onTimeout !== undefined) {
      if (timeoutMs === 0) this.off('timeout', onTimeout);
      else this.once('timeout', onTimeout);
    }
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    if (timeoutMs > 0 && !this.destroyed) {
      this.#idleTimer = setTimeout(() => this.emit('timeout'), timeoutMs).unref();
    }
    return this;
  }
}
