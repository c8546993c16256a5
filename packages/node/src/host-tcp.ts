// TCP on the host's sockets: the TcpStack, TcpListener and Flow contracts over node:net. Every
// socket allows half-open connections, so that a flow's two directions close separately as the
// contract's closeWrite promises (RFC 9293 §3.6); Node would otherwise answer the peer's FIN with
// its own. A flow reads its socket in paused mode, pulling one chunk per `read`: what the service
// does not read stays in Node's and then the kernel's buffers, and the window the kernel
// advertises shrinks, which is TCP's backpressure towards the peer.

import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { AbortError, ClosedError, type Logger, OasisError } from '@oasis/core';
import {
  type Flow,
  type FlowHandler,
  HandlerQueue,
  type TcpConnectOptions,
  type TcpEndpoint,
  type TcpListener,
  type TcpListenOptions,
  type TcpStack,
} from '@oasis/runtime';
import { checkPort, endpointText, hostError, ipFamily } from './host-errors.ts';
import { HostFlow } from './host-flow.ts';

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
  /** Established flows, handed to the handler or waiting for the first one. */
  readonly #accepted: HandlerQueue<HostFlow>;
  #closed = false;

  constructor(options: HostTcpListenerOptions) {
    this.#options = options;
    this.#accepted = new HandlerQueue(options.backlog);
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
    if (this.#accepted.full) {
      // A reset tells the client at once, where a FIN would look like a served empty reply.
      socket.resetAndDestroy();
      this.#options.count('tcp.backlog-overflow');
      this.#options.logger.debug('TCP backlog full: connection reset', {
        local: endpointText(this.local.address, this.local.port),
        remote: endpointText(socket.remoteAddress, socket.remotePort ?? 0),
      });
      return;
    }
    this.#accepted.offer(this.#options.adopt(socket));
  }

  onConnection(handler: FlowHandler): void {
    this.#accepted.setHandler(handler);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // Closing the server's handle stops accepting at once; server.close's callback would wait for
    // every connection it ever accepted to end, and those belong to their handlers.
    this.#options.server.close();
    // Nobody was handed these flows, so nobody else would ever close them.
    for (const flow of this.#accepted.clear()) flow.abort();
    this.#options.onClosed(this);
  }
}
