// TCP on the host's sockets: the TcpStack, TcpListener and Flow contracts over node:net. Every
// socket allows half-open connections, so that a flow's two directions close separately as the
// contract's closeWrite promises (RFC 9293 §3.6); Node would otherwise answer the peer's FIN with
// its own. A flow reads its socket in paused mode, pulling one chunk per `read`: what the service
// does not read stays in Node's and then the kernel's buffers, and the window the kernel
// advertises shrinks, which is TCP's backpressure towards the peer.

import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import {
  AbortError,
  ClosedError,
  err,
  type Logger,
  OasisError,
  ok,
  type Result,
} from '@oasis/core';
import type {
  Flow,
  FlowCounters,
  FlowHandler,
  TcpConnectOptions,
  TcpEndpoint,
  TcpListener,
  TcpListenOptions,
  TcpStack,
} from '@oasis/runtime';
import { checkPort, endpointText, hostError, ipFamily } from './host-errors.ts';

const DEFAULT_BACKLOG = 128;

export interface HostTcpStackOptions {
  readonly logger: Logger;
  /** Adds one to the stack's counter `key`. */
  readonly count: (key: string) => void;
  /** How long `close` lets open flows finish before it resets them. */
  readonly closeGraceMs: number;
}

export class HostTcpStack implements TcpStack {
  readonly #options: HostTcpStackOptions;
  readonly #listeners = new Set<HostTcpListener>();
  readonly #flows = new Set<HostFlow>();
  readonly #connecting = new Set<Socket>();
  #closing: Promise<void> | undefined;

  constructor(options: HostTcpStackOptions) {
    this.#options = options;
  }

  async listen(options: TcpListenOptions): Promise<TcpListener> {
    this.#checkOpen();
    const address = options.address ?? '0.0.0.0';
    ipFamily(address, 'a TCP listen address');
    checkPort(options.port, 0, 'a TCP port');
    const backlog = options.backlog ?? DEFAULT_BACKLOG;
    if (!(Number.isInteger(backlog) && backlog > 0)) {
      throw new OasisError('EINVAL', `a TCP backlog is a positive integer, got ${backlog}`);
    }
    const server = createServer({ allowHalfOpen: true });
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: address, port: options.port, backlog }, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (error) {
      throw hostError(error, `TCP listen on ${endpointText(address, options.port)}`);
    }
    if (this.#closing !== undefined) {
      server.close();
      throw new ClosedError('the network stack');
    }
    const listener = new HostTcpListener({
      ...this.#options,
      server,
      backlog,
      adopt: (socket) => this.#adopt(socket),
      onClosed: (closed) => this.#listeners.delete(closed),
    });
    this.#listeners.add(listener);
    return listener;
  }

  async connect(to: TcpEndpoint, options: TcpConnectOptions = {}): Promise<Flow> {
    this.#checkOpen();
    const family = ipFamily(to.address, 'a TCP destination');
    checkPort(to.port, 1, 'a TCP destination port');
    const { localAddress, localPort, signal } = options;
    if (localAddress !== undefined && ipFamily(localAddress, 'a local address') !== family) {
      throw new OasisError(
        'EINVAL',
        `local address ${localAddress} and destination ${to.address} are of different IP versions`,
      );
    }
    if (localPort !== undefined) checkPort(localPort, 0, 'a local TCP port');
    if (signal?.aborted === true) throw new AbortError();
    const socket = connect({
      host: to.address,
      port: to.port,
      allowHalfOpen: true,
      ...(localAddress === undefined ? {} : { localAddress }),
      ...(localPort === undefined ? {} : { localPort }),
    });
    this.#connecting.add(socket);
    const stop = (): void => {
      socket.destroy();
    };
    signal?.addEventListener('abort', stop, { once: true });
    try {
      await connected(socket, signal);
    } catch (error) {
      throw hostError(error, `TCP connect to ${endpointText(to.address, to.port)}`);
    } finally {
      this.#connecting.delete(socket);
      signal?.removeEventListener('abort', stop);
    }
    return this.#adopt(socket);
  }

  #checkOpen(): void {
    if (this.#closing !== undefined) throw new ClosedError('the network stack');
  }

  /** A flow for an established socket, tracked until the socket is gone. */
  #adopt(socket: Socket): HostFlow {
    const flow = new HostFlow(socket);
    this.#flows.add(flow);
    socket.once('close', () => this.#flows.delete(flow));
    return flow;
  }

  /**
   * Stops listening and connecting, then closes every flow (FIN, as `Flow.close`), and resets
   * those whose peer has not closed its side within `closeGraceMs`.
   */
  close(): Promise<void> {
    this.#closing ??= this.#closeAll();
    return this.#closing;
  }

  async #closeAll(): Promise<void> {
    for (const socket of this.#connecting) socket.destroy();
    await Promise.all([...this.#listeners].map((listener) => listener.close()));
    const flows = [...this.#flows];
    if (flows.length === 0) return;
    const resetTimer = setTimeout(() => {
      for (const flow of flows) flow.abort();
    }, this.#options.closeGraceMs);
    await Promise.all(flows.map((flow) => flow.close()));
    clearTimeout(resetTimer);
  }
}

/** Resolves on 'connect'; rejects with Node's error, or EABORTED / ECLOSED if it was destroyed. */
function connected(socket: Socket, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const settle = (outcome: () => void): void => {
      socket.off('connect', onConnect);
      socket.off('error', onError);
      socket.off('close', onClose);
      outcome();
    };
    const onConnect = (): void => settle(resolve);
    const onError = (error: Error): void => settle(() => reject(error));
    const onClose = (): void =>
      settle(() =>
        reject(signal?.aborted === true ? new AbortError() : new ClosedError('the network stack')),
      );
    socket.on('connect', onConnect);
    socket.on('error', onError);
    socket.on('close', onClose);
  });
}

interface HostTcpListenerOptions extends HostTcpStackOptions {
  readonly server: Server;
  readonly backlog: number;
  readonly adopt: (socket: Socket) => HostFlow;
  readonly onClosed: (listener: HostTcpListener) => void;
}

class HostTcpListener implements TcpListener {
  readonly local: TcpEndpoint;
  readonly #options: HostTcpListenerOptions;
  #handler: FlowHandler | undefined;
  /** Established flows waiting for the first handler. */
  #waiting: HostFlow[] = [];
  #closed = false;

  constructor(options: HostTcpListenerOptions) {
    this.#options = options;
    const { address, port } = options.server.address() as AddressInfo;
    this.local = { address, port };
    options.server.on('connection', (socket) => this.#accept(socket));
    // After listening, 'error' means accept(2) failed (EMFILE, ENFILE); the server goes on.
    options.server.on('error', (error) => {
      options.count('tcp.accept-error');
      options.logger.warn('TCP accept failed', { local: endpointText(address, port), error });
    });
  }

  #accept(socket: Socket): void {
    // The peer may be gone before Node hands the socket over (no peer address): nothing to serve.
    if (socket.remoteAddress === undefined) {
      socket.destroy();
      return;
    }
    if (this.#handler === undefined && this.#waiting.length >= this.#options.backlog) {
      // A reset tells the client at once, where a FIN would look like a served empty reply.
      socket.resetAndDestroy();
      this.#options.count('tcp.backlog-overflow');
      this.#options.logger.debug('TCP backlog full: connection reset', {
        local: endpointText(this.local.address, this.local.port),
        remote: endpointText(socket.remoteAddress, socket.remotePort ?? 0),
      });
      return;
    }
    const flow = this.#options.adopt(socket);
    if (this.#handler === undefined) this.#waiting.push(flow);
    else this.#handler(flow);
  }

  onConnection(handler: FlowHandler): void {
    this.#handler = handler;
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const flow of waiting) handler(flow);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // Closing the server's handle stops accepting at once; server.close's callback would wait for
    // every connection it ever accepted to end, and those belong to their handlers.
    this.#options.server.close();
    // Nobody was handed these flows, so nobody else would ever close them.
    for (const flow of this.#waiting) flow.abort();
    this.#waiting = [];
    this.#options.onClosed(this);
  }
}

interface Pending<T> {
  readonly resolve: (value: T) => void;
  readonly reject: (error: OasisError) => void;
}

/** A read the socket cannot satisfy yet. */
const WAIT = 'wait';

class HostFlow implements Flow {
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
