// TCP as a service sees it, the same on every target: a listener hands out flows, `connect` opens
// one. The direct stack implements it with its own TCP (RFC 9293), the host-socket stack with
// node:net. Addresses are text, as for UDP.

export interface TcpEndpoint {
  readonly address: string;
  readonly port: number;
}

/** What a flow has moved so far; the stack's own counters add segments and retransmissions. */
export interface FlowCounters {
  readonly bytesRead: number;
  readonly bytesWritten: number;
}

/**
 * One TCP connection, read and written as byte streams. At most one `read` and one `write` may be
 * pending at a time (a second one throws TypeError): callers await each before the next.
 */
export interface Flow {
  readonly local: TcpEndpoint;
  readonly remote: TcpEndpoint;
  /**
   * The next bytes in order, owned by the caller; `undefined` once the peer has closed its
   * sending side and everything before that was read. Rejects with OasisError ECONNRESET (the
   * peer reset the connection), ETIMEDOUT (it stopped answering), ECLOSED (after `abort`).
   */
  read(): Promise<Uint8Array | undefined>;
  /**
   * Queues `data` for sending and resolves when the stack has room for more: awaiting each write
   * is the backpressure. `data` may be reused once the promise resolves. Resolving does not mean
   * the peer has the bytes. Rejects with EPIPE after `closeWrite`/`close`, ECONNRESET, ETIMEDOUT,
   * ECLOSED.
   */
  write(data: Uint8Array): Promise<void>;
  /**
   * Half-close: sends FIN after the queued data (RFC 9293 §3.6). Reading goes on until the peer
   * closes too. Resolves once the FIN is queued.
   */
  closeWrite(): Promise<void>;
  /**
   * Closes both directions: queued data still goes out, then FIN; bytes not yet read, and bytes
   * that arrive later, are discarded. Resolves when the peer has closed its side too.
   */
  close(): Promise<void>;
  /** Resets the connection at once (RST); pending and later reads and writes reject ECLOSED. */
  abort(): void;
  /** Disables (true) or re-enables (false) Nagle's algorithm (RFC 1122 §4.2.3.4). */
  setNoDelay(noDelay: boolean): void;
  counters(): FlowCounters;
}

export type FlowHandler = (flow: Flow) => void;

export interface TcpListenOptions {
  /**
   * A local address of the stack; '0.0.0.0' for every IPv4 address, '::' for every address of
   * both families. Absent: every address the stack has (both families on the direct stack; the
   * host stack takes '0.0.0.0').
   */
  readonly address?: string;
  /** 1-65535, or 0 for an ephemeral port. */
  readonly port: number;
  /** How many established connections may wait for the handler (default 128). */
  readonly backlog?: number;
}

export interface TcpListener {
  /** The bound address and port (the port chosen, for an ephemeral listen). */
  readonly local: TcpEndpoint;
  /**
   * Installs the handler, replacing any earlier one. Connections established before there is one
   * wait in the backlog and are handed to the first handler; the handler owns each flow.
   */
  onConnection(handler: FlowHandler): void;
  /** Stops accepting; flows already handed out stay open. */
  close(): Promise<void>;
}

export interface TcpConnectOptions {
  /** The local address to use (default: chosen by the route to the peer). */
  readonly localAddress?: string;
  /** The local port (default: ephemeral). */
  readonly localPort?: number;
  /** Aborting rejects the attempt with EABORTED. */
  readonly signal?: AbortSignal;
}

export interface TcpStack {
  /** Listens. Rejects with EADDRINUSE, EADDRNOTAVAIL, EACCES (a privileged port), EINVAL. */
  listen(options: TcpListenOptions): Promise<TcpListener>;
  /**
   * Opens a connection. Rejects with ECONNREFUSED, ETIMEDOUT, ENETUNREACH, EHOSTUNREACH, EINVAL,
   * EABORTED.
   */
  connect(to: TcpEndpoint, options?: TcpConnectOptions): Promise<Flow>;
}
