// An in-memory Stack for the iperf server's tests: TCP flows as pairs of byte queues with
// backpressure, UDP sockets as a port table, all on 127.0.0.1. It keeps the Flow contract's
// promises the server relies on: one pending read and write, a write resolves once the peer has
// room, half-close and close, and abort seen by the peer as a reset.

import { ClosedError, OasisError } from '@oasis/core';
import {
  type Flow,
  type FlowCounters,
  type FlowHandler,
  HandlerQueue,
  type Stack,
  type TcpEndpoint,
  type TcpListener,
  type TcpListenOptions,
  type TcpStack,
  type UdpBindOptions,
  type UdpEndpoint,
  type UdpMessageHandler,
  type UdpSocket,
  type UdpStack,
} from '@oasis/runtime';

const ADDRESS = '127.0.0.1';
/** A writer waits while its peer holds this many unread bytes. */
const WINDOW_BYTES = 256 * 1024;

class Pipe {
  readonly chunks: Uint8Array[] = [];
  queued = 0;
  /** The writing side sent FIN. */
  ended = false;
  /** The reading side closed: bytes are dropped. */
  discarding = false;
  /** The connection was reset. */
  reset = false;
  onData: (() => void) | undefined;
  onRoom: (() => void) | undefined;
  readonly onEnd: Array<() => void> = [];

  /** FIN from the writer, or a reset. */
  end(reset: boolean): void {
    if (reset) this.reset = true;
    else this.ended = true;
    for (const wake of this.onEnd.splice(0)) wake();
    this.wakeReader();
    this.wakeWriter();
  }

  wakeReader(): void {
    const wake = this.onData;
    this.onData = undefined;
    wake?.();
  }

  wakeWriter(): void {
    const wake = this.onRoom;
    this.onRoom = undefined;
    wake?.();
  }
}

export class MemoryFlow implements Flow {
  readonly local: TcpEndpoint;
  readonly remote: TcpEndpoint;
  readonly #in: Pipe;
  readonly #out: Pipe;
  #reading = false;
  #writing = false;
  #aborted = false;
  #closed: Promise<void> | undefined;
  #bytesRead = 0;
  #bytesWritten = 0;

  constructor(local: TcpEndpoint, remote: TcpEndpoint, incoming: Pipe, outgoing: Pipe) {
    this.local = local;
    this.remote = remote;
    this.#in = incoming;
    this.#out = outgoing;
  }

  static pair(a: TcpEndpoint, b: TcpEndpoint): [MemoryFlow, MemoryFlow] {
    const ab = new Pipe();
    const ba = new Pipe();
    return [new MemoryFlow(a, b, ba, ab), new MemoryFlow(b, a, ab, ba)];
  }

  async read(): Promise<Uint8Array | undefined> {
    if (this.#reading) throw new TypeError('a read is already pending');
    this.#reading = true;
    try {
      for (;;) {
        if (this.#aborted) throw new ClosedError('the memory flow');
        if (this.#in.reset) throw new OasisError('ECONNRESET', 'the peer reset the flow');
        const chunk = this.#in.chunks.shift();
        if (chunk !== undefined) {
          this.#in.queued -= chunk.length;
          this.#bytesRead += chunk.length;
          this.#in.wakeWriter();
          return chunk;
        }
        if (this.#in.ended || this.#in.discarding) return undefined;
        await new Promise<void>((resolve) => {
          this.#in.onData = resolve;
        });
      }
    } finally {
      this.#reading = false;
    }
  }

  async write(data: Uint8Array): Promise<void> {
    if (this.#writing) throw new TypeError('a write is already pending');
    this.#writing = true;
    try {
      this.#checkWritable();
      if (!this.#out.discarding && data.length > 0) {
        this.#out.chunks.push(data.slice());
        this.#out.queued += data.length;
        this.#bytesWritten += data.length;
        this.#out.wakeReader();
      }
      while (this.#out.queued >= WINDOW_BYTES && !this.#out.discarding) {
        await new Promise<void>((resolve) => {
          this.#out.onRoom = resolve;
        });
        this.#checkWritable();
      }
    } finally {
      this.#writing = false;
    }
  }

  #checkWritable(): void {
    if (this.#aborted) throw new ClosedError('the memory flow');
    if (this.#out.reset) throw new OasisError('ECONNRESET', 'the peer reset the flow');
    if (this.#out.ended) throw new OasisError('EPIPE', 'the flow was closed for writing');
  }

  async closeWrite(): Promise<void> {
    if (this.#aborted) throw new ClosedError('the memory flow');
    this.#out.end(false);
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      if (!this.#aborted && !this.#out.ended) this.#out.end(false);
      this.#in.discarding = true;
      this.#in.chunks.length = 0;
      this.#in.queued = 0;
      this.#in.wakeWriter();
      this.#in.wakeReader();
      if (!this.#in.ended && !this.#in.reset && !this.#aborted) {
        await new Promise<void>((resolve) => this.#in.onEnd.push(resolve));
      }
    })();
    return this.#closed;
  }

  abort(): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#out.end(true);
    this.#in.end(true);
  }

  setNoDelay(): void {}

  counters(): FlowCounters {
    return { bytesRead: this.#bytesRead, bytesWritten: this.#bytesWritten };
  }
}

class MemoryListener implements TcpListener {
  readonly local: TcpEndpoint;
  readonly queue = new HandlerQueue<Flow>(128);
  readonly #network: MemoryNetwork;

  constructor(local: TcpEndpoint, network: MemoryNetwork) {
    this.local = local;
    this.#network = network;
  }

  onConnection(handler: FlowHandler): void {
    this.queue.setHandler(handler);
  }

  async close(): Promise<void> {
    this.#network.listeners.delete(this.local.port);
  }
}

class MemoryUdpSocket implements UdpSocket {
  readonly local: UdpEndpoint;
  readonly queue = new HandlerQueue<[Uint8Array, UdpEndpoint]>(1024);
  readonly #network: MemoryNetwork;
  #closed = false;

  constructor(local: UdpEndpoint, network: MemoryNetwork) {
    this.local = local;
    this.#network = network;
  }

  send(data: Uint8Array, to: UdpEndpoint): void {
    if (this.#closed) throw new ClosedError('the UDP socket');
    const copy = data.slice();
    const from = this.local;
    // Delivered a turn later, as a network would.
    queueMicrotask(() => this.#network.sockets.get(to.port)?.queue.offer([copy, from]));
  }

  onMessage(handler: UdpMessageHandler): void {
    this.queue.setHandler(([data, from]) => handler(data, from));
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#network.sockets.get(this.local.port) === this) {
      this.#network.sockets.delete(this.local.port);
    }
  }
}

/** Where the stacks of one test meet: listeners and UDP sockets by port. */
export class MemoryNetwork {
  readonly listeners = new Map<number, MemoryListener>();
  readonly sockets = new Map<number, MemoryUdpSocket>();
  #nextPort = 40000;

  ephemeralPort(): number {
    return this.#nextPort++;
  }

  stack(): Stack {
    const tcp: TcpStack = {
      listen: async (options: TcpListenOptions) => {
        const port = options.port === 0 ? this.ephemeralPort() : options.port;
        if (this.listeners.has(port)) throw new OasisError('EADDRINUSE', `port ${port} is taken`);
        const listener = new MemoryListener({ address: ADDRESS, port }, this);
        this.listeners.set(port, listener);
        return listener;
      },
      connect: async (to: TcpEndpoint) => {
        const listener = this.listeners.get(to.port);
        if (listener === undefined) throw new OasisError('ECONNREFUSED', `nothing on ${to.port}`);
        const [client, server] = MemoryFlow.pair(
          { address: ADDRESS, port: this.ephemeralPort() },
          { address: ADDRESS, port: to.port },
        );
        listener.queue.offer(server);
        return client;
      },
    };
    const udp: UdpStack = {
      bind: async (options: UdpBindOptions = {}) => {
        const port =
          options.port === undefined || options.port === 0 ? this.ephemeralPort() : options.port;
        if (this.sockets.has(port)) throw new OasisError('EADDRINUSE', `UDP port ${port} is taken`);
        const socket = new MemoryUdpSocket({ address: ADDRESS, port }, this);
        this.sockets.set(port, socket);
        return socket;
      },
    };
    return {
      tcp,
      udp,
      // One address and no names: every host is this network.
      connect: (to) => tcp.connect({ address: ADDRESS, port: to.port }),
      addresses: () => [ADDRESS],
      describe: () => 'memory stack',
      close: async () => undefined,
    };
  }
}
