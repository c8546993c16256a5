// TCP over one address family (ip-network.ts): the connection table, listeners, the
// CLOSED-state replies, SYN cookies and the emission of segments through the network layer (with
// segmentation offload where the device has it). A dual-stack service gets one layer per family
// behind one TcpStack (tcp-stack.ts). Connections themselves know nothing of addresses: each gets
// an environment from here that carries its addresses and route.

import { type Counters, OasisError, type Random, readU16BE, readU32BE } from '@oasis/core';
import type { Flow, TcpEndpoint } from '@oasis/runtime';
import {
  IP_PROTOCOL_TCP,
  ParsedTcpOptions,
  parseTcpOptions,
  TCP_ACK,
  TCP_CHECKSUM_OFFSET,
  TCP_FIN,
  TCP_HEADER_LENGTH,
  TCP_RST,
  TCP_SYN,
  TcpPacket,
  tcpChecksumValid,
  tcpFinishChecksum,
  writeTcpHeader,
  writeTcpOptions,
} from '@oasis/wire';
import { findEphemeralPort } from '../ephemeral-port.ts';
import type { IpFamilyTypes, IpNetwork, QuotedTransportError } from '../ip-network.ts';
import { TokenBucket } from '../token-bucket.ts';
import { DeadlineQueue } from './deadline-queue.ts';
import { InitialSequenceGenerator } from './initial-sequence.ts';
import { seqAdd, seqGt } from './sequence.ts';
import { SynCookies } from './syn-cookies.ts';
import { receiveWindowShift, type TcpConfig } from './tcp-config.ts';
import { type SegmentOut, TcpConnection, type TcpConnectionEnvironment } from './tcp-connection.ts';
import { TcpFlow } from './tcp-flow.ts';
import type { DirectTcpListener } from './tcp-listener.ts';

const NO_OPTIONS = new Uint8Array(0);

export interface TcpLayerOptions<F extends IpFamilyTypes> {
  readonly network: IpNetwork<F>;
  readonly random: Random;
  readonly nowMs: () => number;
  readonly drops: Counters;
  readonly traffic: Counters;
  readonly config: TcpConfig;
  /** Runs work inside the stack's output batch (which ends with `flush`). */
  readonly run: (work: () => void) => void;
}

/** A connection's addresses and route: its environment, made by the layer. */
class TcpEndpointEnvironment<F extends IpFamilyTypes> implements TcpConnectionEnvironment {
  readonly #layer: TcpLayer<F>;
  readonly localAddress: F['address'];
  readonly localPort: number;
  readonly remoteAddress: F['address'];
  readonly remotePort: number;
  readonly path: F['path'];
  /**
   * The path MTU (RFC 1191, RFC 8201): the interface's at first, lowered by ICMP "fragmentation
   * needed" and "packet too big".
   */
  pathMtu: number;
  /** The listener of a passive open while it is half-open. */
  listener: DirectTcpListener | undefined;
  flow: TcpFlow | undefined;
  dirty = false;

  constructor(
    layer: TcpLayer<F>,
    path: F['path'],
    localPort: number,
    remoteAddress: F['address'],
    remotePort: number,
  ) {
    this.#layer = layer;
    this.path = path;
    this.pathMtu = layer.network.linkMtu(path);
    this.localAddress = path.source;
    this.localPort = localPort;
    this.remoteAddress = remoteAddress;
    this.remotePort = remotePort;
  }

  get traffic(): Counters {
    return this.#layer.traffic;
  }

  get drops(): Counters {
    return this.#layer.drops;
  }

  get defaultSendMss(): number {
    return this.#layer.defaultSendMss;
  }

  transmit(connection: TcpConnection, segment: SegmentOut, nowMs: number): void {
    this.#layer.transmit(this, connection, segment, nowMs);
  }

  maxSegmentLength(_connection: TcpConnection, nowMs: number): number {
    const { network } = this.#layer;
    return network.maxPacketLength(this.path, nowMs) - network.headerLength;
  }

  pathSegmentLength(): number {
    return this.pathMtu - this.#layer.network.headerLength;
  }

  lowerPathMtu(mtu: number): boolean {
    // RFC 1191 §3, RFC 8201 §4: never below the family's minimum MTU; only ever lowered here.
    const lowered = Math.max(mtu, this.#layer.network.minimumMtu);
    if (lowered >= this.pathMtu) return false;
    this.pathMtu = lowered;
    return true;
  }

  markDirty(connection: TcpConnection): void {
    this.#layer.markDirty(this, connection);
  }

  accepted(connection: TcpConnection): void {
    this.#layer.accepted(this, connection);
  }

  closed(connection: TcpConnection): void {
    this.#layer.closed(this, connection);
  }

  mayChallenge(nowMs: number): boolean {
    return this.#layer.mayChallenge(nowMs);
  }

  endpoints(): { local: TcpEndpoint; remote: TcpEndpoint } {
    const { network } = this.#layer;
    return {
      local: { address: network.format(this.localAddress), port: this.localPort },
      remote: { address: network.format(this.remoteAddress), port: this.remotePort },
    };
  }
}

interface PortListeners {
  any: DirectTcpListener | undefined;
  readonly byAddress: Map<number | string, DirectTcpListener>;
}

export class TcpLayer<F extends IpFamilyTypes> {
  readonly network: IpNetwork<F>;
  readonly traffic: Counters;
  readonly drops: Counters;
  readonly #options: TcpLayerOptions<F>;
  readonly #config: TcpConfig;
  /** Local port → the network's key of (remote address, remote port) → connection. */
  readonly #connections = new Map<number, Map<number | string, TcpConnection>>();
  readonly #endpoints = new Map<TcpConnection, TcpEndpointEnvironment<F>>();
  readonly #listeners = new Map<number, PortListeners>();
  readonly #dirty: TcpConnection[] = [];
  readonly #timers = new DeadlineQueue<TcpConnection>();
  readonly #isn: InitialSequenceGenerator;
  readonly #cookies: SynCookies;
  /**
   * Timestamp clock offsets: a keyed hash of the connection identity (its own key), like the
   * ISN's F of RFC 6528, so one 4-tuple keeps one increasing clock across incarnations: a SYN
   * reopening TIME-WAIT (RFC 6191) and the segments after a cookie's SYN-ACK pass PAWS.
   */
  readonly #timestampOffsets: InitialSequenceGenerator;
  readonly #challenges: TokenBucket;
  readonly #parsed = new ParsedTcpOptions();
  readonly #words = new Uint32Array(9);
  readonly #control: SegmentOut = {
    seq: 0,
    ack: 0,
    flags: 0,
    window: 0,
    options: NO_OPTIONS,
    dataOffset: 0,
    dataLength: 0,
    segmentSize: 0,
  };
  readonly #synAckOptions = new Uint8Array(40);
  #closed = false;

  constructor(options: TcpLayerOptions<F>) {
    this.#options = options;
    this.#config = options.config;
    this.network = options.network;
    this.traffic = options.traffic;
    this.drops = options.drops;
    this.#isn = new InitialSequenceGenerator(options.random);
    this.#cookies = new SynCookies(options.random);
    this.#timestampOffsets = new InitialSequenceGenerator(options.random);
    this.#challenges = new TokenBucket(
      { ratePerSecond: options.config.challengeAckRate, burst: options.config.challengeAckRate },
      options.nowMs(),
    );
    options.network.register(IP_PROTOCOL_TCP, (delivery, nowMs) => this.#input(delivery, nowMs));
    options.network.onError(IP_PROTOCOL_TCP, (error) => this.#icmpError(error));
  }

  // --- Service API: addresses come parsed from the TcpStack (tcp-stack.ts) ------------------

  get isClosed(): boolean {
    return this.#closed;
  }

  /**
   * The MSS assumed when the peer sends none: RFC 9293 §3.7.1 says 536 over IPv4; RFC 8200 §8.3,
   * the minimum MTU less both headers over IPv6 (1220).
   */
  get defaultSendMss(): number {
    const { network } = this;
    return network.family === 'IPv4'
      ? 536
      : network.minimumMtu - network.headerLength - TCP_HEADER_LENGTH;
  }

  /** Whether a listener may take `port` on `address` (undefined: every address of the family). */
  listenAvailable(port: number, address: F['address'] | undefined): boolean {
    const entry = this.#listeners.get(port);
    if (entry === undefined) return true;
    if (entry.any !== undefined) return false;
    return address === undefined
      ? entry.byAddress.size === 0
      : !entry.byAddress.has(this.network.key(address, 0));
  }

  /** Whether a listener or a connection uses local `port`. */
  portInUse(port: number): boolean {
    return this.#listeners.has(port) || this.#connections.has(port);
  }

  /** Registers `listener` for `port` on `address` (undefined: every address of the family). */
  addListener(listener: DirectTcpListener, address: F['address'] | undefined, port: number): void {
    let entry = this.#listeners.get(port);
    if (entry === undefined) {
      entry = { any: undefined, byAddress: new Map() };
      this.#listeners.set(port, entry);
    }
    if (address === undefined) entry.any = listener;
    else entry.byAddress.set(this.network.key(address, 0), listener);
  }

  removeListener(
    listener: DirectTcpListener,
    address: F['address'] | undefined,
    port: number,
  ): void {
    const entry = this.#listeners.get(port);
    if (entry === undefined) return;
    if (address === undefined) {
      if (entry.any === listener) entry.any = undefined;
    } else {
      const key = this.network.key(address, 0);
      if (entry.byAddress.get(key) === listener) entry.byAddress.delete(key);
    }
    if (entry.any === undefined && entry.byAddress.size === 0) this.#listeners.delete(port);
  }

  /**
   * Opens a connection to `remote` (a unicast address of this family; the TcpStack checked the
   * port). Rejects as TcpStack.connect.
   */
  async connect(
    remote: F['address'],
    remotePort: number,
    local: F['address'] | undefined,
    requestedPort: number | undefined,
    signal: AbortSignal | undefined,
  ): Promise<Flow> {
    const network = this.network;
    if (network.isUnspecified(remote) || network.isGroup(remote)) {
      throw new OasisError('EINVAL', `cannot connect to ${network.format(remote)}`);
    }
    if (local !== undefined && !network.isLocal(local)) {
      throw new OasisError(
        'EADDRNOTAVAIL',
        `${network.format(local)} is not an address of this stack`,
      );
    }
    if (this.#endpoints.size >= this.#config.maxConnections) {
      throw new OasisError(
        'ENOSPC',
        `the stack holds its limit of ${this.#config.maxConnections} connections`,
      );
    }
    const path = network.path(remote, local);
    const remoteKey = network.key(remote, remotePort);
    const localPort = requestedPort ?? this.#ephemeralPort(remoteKey);
    if (this.#connections.get(localPort)?.has(remoteKey)) {
      throw new OasisError(
        'EADDRINUSE',
        `a connection from port ${localPort} to ${network.format(remote)} port ${remotePort} exists`,
      );
    }
    const nowMs = this.#options.nowMs();
    const endpoint = new TcpEndpointEnvironment(this, path, localPort, remote, remotePort);
    const connection = this.#create(endpoint, remoteKey, this.#nextIsn(endpoint, nowMs), nowMs);
    const { local: localEndpoint, remote: remoteEndpoint } = endpoint.endpoints();
    const flow = new TcpFlow(connection, localEndpoint, remoteEndpoint, this.#host);
    endpoint.flow = flow;
    this.#options.run(() => connection.open(nowMs));
    // After open: in CLOSED, before it, `opened` would resolve at once.
    const opened = flow.opened();
    const onAbort = (): void => {
      this.#options.run(() =>
        connection.abort(
          new OasisError('EABORTED', 'the connect was aborted'),
          this.#options.nowMs(),
        ),
      );
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await opened;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    return flow;
  }

  readonly #host = {
    run: (work: () => void) => this.#options.run(work),
    nowMs: () => this.#options.nowMs(),
  };

  /** The first ephemeral port free towards this peer (RFC 6056 §3.3.1). */
  #ephemeralPort(remoteKey: number | string): number {
    const port = findEphemeralPort(
      this.#options.random,
      (p) => !this.#listeners.has(p) && !this.#connections.get(p)?.has(remoteKey),
    );
    if (port === undefined) {
      throw new OasisError('EADDRNOTAVAIL', 'every ephemeral TCP port towards that peer is in use');
    }
    return port;
  }

  #nextIsn(endpoint: TcpEndpointEnvironment<F>, nowMs: number): number {
    const words = this.#endpointIdentity(endpoint);
    return this.#isn.next(this.#words, words, nowMs);
  }

  #timestampOffset(endpoint: TcpEndpointEnvironment<F>): number {
    const words = this.#endpointIdentity(endpoint);
    // With the clock at 0, the generator's value is its keyed hash alone.
    return this.#timestampOffsets.next(this.#words, words, 0);
  }

  #endpointIdentity(endpoint: TcpEndpointEnvironment<F>): number {
    return this.#identity(
      endpoint.localAddress,
      endpoint.remoteAddress,
      endpoint.localPort,
      endpoint.remotePort,
    );
  }

  /** Writes a connection's identity into #words for keyed hashing; returns the word count. */
  #identity(
    local: F['address'],
    remote: F['address'],
    localPort: number,
    remotePort: number,
  ): number {
    return this.network.identity(this.#words, local, remote, localPort, remotePort);
  }

  #create(
    endpoint: TcpEndpointEnvironment<F>,
    remoteKey: number | string,
    iss: number,
    nowMs: number,
  ): TcpConnection {
    const connection = new TcpConnection({
      env: endpoint,
      config: this.#config,
      iss,
      timestampOffset: this.#timestampOffset(endpoint),
      nowMs,
    });
    connection.key = remoteKey;
    let table = this.#connections.get(endpoint.localPort);
    if (table === undefined) {
      table = new Map();
      this.#connections.set(endpoint.localPort, table);
    }
    table.set(remoteKey, connection);
    this.#endpoints.set(connection, endpoint);
    this.traffic.add('tcp.connections-opened');
    return connection;
  }

  // --- Callbacks from connections -------------------------------------------------------------

  markDirty(endpoint: TcpEndpointEnvironment<F>, connection: TcpConnection): void {
    if (endpoint.dirty) return;
    endpoint.dirty = true;
    this.#dirty.push(connection);
  }

  accepted(endpoint: TcpEndpointEnvironment<F>, connection: TcpConnection): void {
    const listener = endpoint.listener;
    endpoint.listener = undefined;
    if (listener === undefined) return;
    listener.halfOpen--;
    this.#handOver(listener, endpoint, connection);
  }

  #handOver(
    listener: DirectTcpListener,
    endpoint: TcpEndpointEnvironment<F>,
    connection: TcpConnection,
  ): void {
    const { local, remote } = endpoint.endpoints();
    const flow = new TcpFlow(connection, local, remote, this.#host);
    endpoint.flow = flow;
    this.traffic.add('tcp.connections-accepted');
    if (listener.closed || !listener.offer(flow)) {
      this.drops.add('tcp.accept-queue-full');
      connection.abort(
        new OasisError('ECONNREFUSED', 'the listener backlog is full'),
        this.#options.nowMs(),
      );
    }
  }

  closed(endpoint: TcpEndpointEnvironment<F>, connection: TcpConnection): void {
    if (endpoint.listener !== undefined) {
      endpoint.listener.halfOpen--;
      endpoint.listener = undefined;
    }
    const table = this.#connections.get(endpoint.localPort);
    if (table?.get(connection.key) === connection) {
      table.delete(connection.key);
      if (table.size === 0) this.#connections.delete(endpoint.localPort);
    }
    this.#endpoints.delete(connection);
    this.traffic.add('tcp.connections-closed');
  }

  mayChallenge(nowMs: number): boolean {
    return this.#challenges.take(nowMs);
  }

  // --- Output ---------------------------------------------------------------------------------

  transmit(
    endpoint: TcpEndpointEnvironment<F>,
    connection: TcpConnection | undefined,
    segment: SegmentOut,
    nowMs: number,
  ): void {
    const headerLength = TCP_HEADER_LENGTH + segment.options.length;
    const length = headerLength + segment.dataLength;
    const destination = endpoint.remoteAddress;
    const { segmentSize } = segment;
    try {
      this.network.send(
        {
          destination,
          source: endpoint.localAddress,
          protocol: IP_PROTOCOL_TCP,
          hopLimit: undefined,
          // RFC 1191, RFC 8201 path MTU discovery: TCP segments are never fragmented.
          dontFragment: true,
          payloadLength: length,
          checksumOffset: TCP_CHECKSUM_OFFSET,
          ...(segmentSize > 0 ? { segmentation: { segmentSize, headerLength } } : {}),
          write: (payload, source, offload) => {
            writeTcpHeader(
              payload,
              endpoint.localPort,
              endpoint.remotePort,
              segment.seq,
              segment.ack,
              headerLength,
              segment.flags,
              segment.window,
              0,
            );
            payload.set(segment.options, TCP_HEADER_LENGTH);
            if (segment.dataLength > 0 && connection !== undefined) {
              connection.sendBuffer.copyOut(
                segment.dataOffset,
                segment.dataLength,
                payload,
                headerLength,
              );
            }
            const pseudoSum = this.network.pseudoSum(source, destination, IP_PROTOCOL_TCP, length);
            tcpFinishChecksum(payload, pseudoSum, offload ? 'offload' : 'compute');
          },
        },
        nowMs,
        endpoint.path,
      );
      this.traffic.add('tcp.segments-sent');
    } catch (error) {
      if (!(error instanceof OasisError)) throw error;
      this.drops.add(`tcp.send-${error.code.toLowerCase()}`);
    }
  }

  /** Sends the deferred output of every connection touched in this batch. */
  flush(): void {
    if (this.#dirty.length === 0) return;
    const nowMs = this.#options.nowMs();
    // Flushing may dirty more connections (a reset handing over a listener's queue): loop.
    for (let i = 0; i < this.#dirty.length; i++) {
      const connection = this.#dirty[i]!;
      const endpoint = this.#endpoints.get(connection);
      if (endpoint === undefined) continue;
      endpoint.dirty = false;
      connection.flush(nowMs);
      this.#timers.schedule(connection);
    }
    this.#dirty.length = 0;
  }

  poll(nowMs: number): void {
    this.#timers.runDue(nowMs, (connection) => {
      if (connection.state !== 'CLOSED') connection.poll(nowMs);
    });
  }

  pollAt(): number | undefined {
    const at = this.#timers.nextAt;
    return at === Number.POSITIVE_INFINITY ? undefined : at;
  }

  /** Resets every connection and forgets the listeners. */
  close(error: OasisError): void {
    this.#closed = true;
    const nowMs = this.#options.nowMs();
    for (const connection of [...this.#endpoints.keys()]) connection.abort(error, nowMs);
    this.#listeners.clear();
  }

  // --- Input ----------------------------------------------------------------------------------

  /** An ICMP error quoting one of our segments (RFC 1122 §4.2.3.9, RFC 5927, RFC 4443). */
  #icmpError(quoted: QuotedTransportError<F['address']>): void {
    const { transport } = quoted;
    if (transport.length < 8) {
      this.drops.add('tcp.icmp-truncated');
      return;
    }
    const localPort = readU16BE(transport, 0);
    const remoteKey = this.network.key(quoted.destination, readU16BE(transport, 2));
    const connection = this.#connections.get(localPort)?.get(remoteKey);
    const endpoint = connection === undefined ? undefined : this.#endpoints.get(connection);
    if (
      connection === undefined ||
      endpoint === undefined ||
      !this.network.equals(endpoint.localAddress, quoted.source)
    ) {
      this.drops.add('tcp.icmp-no-connection');
      return;
    }
    connection.icmpError(quoted.error, readU32BE(transport, 4));
  }

  #input(delivery: F['delivery'], nowMs: number): void {
    const checked = TcpPacket.checked(delivery.payload);
    if (!checked.ok) {
      this.drops.add(checked.error.key);
      return;
    }
    const packet = checked.value;
    const source = delivery.source;
    const destination = delivery.destination;
    if (!delivery.checksumVerified) {
      const pseudoSum = this.network.pseudoSum(
        source,
        destination,
        IP_PROTOCOL_TCP,
        packet.bytes.length,
      );
      if (!tcpChecksumValid(packet, pseudoSum)) {
        this.drops.add('tcp.bad-checksum');
        return;
      }
    }
    // RFC 1122 §4.2.3.10: a SYN to a broadcast or multicast address is ignored; so is the rest.
    if (delivery.broadcast) {
      this.drops.add('tcp.broadcast');
      return;
    }
    const options = this.#parsed;
    if (!parseTcpOptions(packet.options, options)) {
      this.drops.add('tcp.bad-option');
      return;
    }
    this.traffic.add('tcp.segments-received');
    const localPort = packet.destinationPort;
    const remoteKey = this.network.key(source, packet.sourcePort);
    const connection = this.#connections.get(localPort)?.get(remoteKey);
    if (connection !== undefined && this.#isLocalEnd(connection, destination)) {
      const flags = packet.flags;
      const reopen =
        connection.state === 'TIME-WAIT' &&
        (flags & (TCP_SYN | TCP_ACK | TCP_RST)) === TCP_SYN &&
        connection.timeWaitAcceptsSyn(packet, options);
      if (!reopen) {
        connection.input(packet, options, nowMs);
        this.#timers.schedule(connection);
        return;
      }
      // RFC 9293 §3.6.1, RFC 6191: a new incarnation from TIME-WAIT.
      const floor = connection.successorIsnFloor;
      connection.abort(new OasisError('ECONNRESET', 'reused from TIME-WAIT'), nowMs);
      this.traffic.add('tcp.time-wait-reused');
      this.#passive(packet, options, source, destination, remoteKey, nowMs, floor);
      return;
    }
    this.#passive(packet, options, source, destination, remoteKey, nowMs, undefined);
  }

  /** Whether `connection` is the one at our `address` (the table is keyed by the remote end). */
  #isLocalEnd(connection: TcpConnection, address: F['address']): boolean {
    const endpoint = this.#endpoints.get(connection);
    return endpoint !== undefined && this.network.equals(endpoint.localAddress, address);
  }

  /** A segment for no connection: LISTEN (RFC 9293 §3.10.7.2) or CLOSED (§3.10.7.1). */
  #passive(
    packet: TcpPacket,
    options: ParsedTcpOptions,
    source: F['address'],
    destination: F['address'],
    remoteKey: number | string,
    nowMs: number,
    isnFloor: number | undefined,
  ): void {
    const flags = packet.flags;
    if ((flags & TCP_RST) !== 0) {
      this.drops.add('tcp.rst-no-connection');
      return;
    }
    const listeners = this.#listeners.get(packet.destinationPort);
    const listener =
      listeners === undefined
        ? undefined
        : (listeners.byAddress.get(this.network.key(destination, 0)) ?? listeners.any);
    if (listener === undefined) {
      this.drops.add('tcp.no-listener');
      this.#reset(packet, source, destination, nowMs);
      return;
    }
    if ((flags & TCP_ACK) !== 0) {
      if ((flags & TCP_SYN) === 0)
        this.#cookieAck(listener, packet, options, source, destination, remoteKey, nowMs);
      else this.#reset(packet, source, destination, nowMs);
      return;
    }
    if ((flags & TCP_SYN) === 0) {
      this.drops.add('tcp.no-connection');
      return;
    }
    if (this.#endpoints.size >= this.#config.maxConnections) {
      this.drops.add('tcp.connection-limit');
      return;
    }
    const path = this.#replyPath(source, destination);
    if (path === undefined) return;
    if (listener.halfOpen >= this.#config.synBacklog || listener.backlogFull) {
      this.#sendCookie(path, packet, options, source, destination, nowMs);
      return;
    }
    const endpoint = new TcpEndpointEnvironment<F>(
      this,
      path,
      packet.destinationPort,
      source,
      packet.sourcePort,
    );
    let iss = this.#nextIsn(endpoint, nowMs);
    if (isnFloor !== undefined && !seqGt(iss, isnFloor)) iss = isnFloor;
    const connection = this.#create(endpoint, remoteKey, iss, nowMs);
    endpoint.listener = listener;
    listener.halfOpen++;
    connection.acceptSyn(packet, options, nowMs);
  }

  /** RFC 4987 §3.6: a SYN-ACK whose ISN carries what we would otherwise keep. */
  #sendCookie(
    path: F['path'],
    packet: TcpPacket,
    options: ParsedTcpOptions,
    source: F['address'],
    destination: F['address'],
    nowMs: number,
  ): void {
    const words = this.#identity(destination, source, packet.destinationPort, packet.sourcePort);
    const ourMss = this.network.linkMtu(path) - this.network.headerLength - TCP_HEADER_LENGTH;
    const peerMss = options.mss > 0 ? options.mss : this.defaultSendMss;
    const mss = Math.min(peerMss, ourMss);
    const cookie = this.#cookies.make(this.#words, words, packet.sequence, mss, nowMs);
    this.traffic.add('tcp.syn-cookies-sent');
    const out = this.#synAckOptions;
    // Announced only where the timestamp can carry the peer's shift back (see below): a shift
    // announced and then forgotten would leave every window we send misread.
    const windowScale =
      options.hasTimestamp && options.windowScale >= 0
        ? receiveWindowShift(this.#config.receiveBufferBytes)
        : undefined;
    // RFC 2018 §2: SACK-Permitted answers the peer's only if this stack uses SACK.
    const sackPermitted = options.sackPermitted && this.#config.sack;
    const length = writeTcpOptions(out, 0, {
      mss: ourMss,
      ...(windowScale === undefined ? {} : { windowScale }),
      // Without timestamps the cookie cannot carry SACK or the window scale (RFC 4987 §3.6).
      ...(options.hasTimestamp
        ? {
            sackPermitted: sackPermitted,
            timestamp: {
              // The connection's own clock (its offset, as #create gives it), less 64.
              value: SynCookies.encodeTimestampOptions(
                (Math.floor(nowMs) - 64 + this.#timestampOffsets.next(this.#words, words, 0)) >>> 0,
                options.windowScale >= 0 ? options.windowScale : undefined,
                sackPermitted,
              ),
              echo: options.tsValue,
            },
          }
        : {}),
    });
    const segment = this.#control;
    segment.seq = cookie.isn;
    segment.ack = seqAdd(packet.sequence, 1);
    segment.flags = TCP_SYN | TCP_ACK;
    segment.window = Math.min(this.#config.receiveBufferBytes, 0xffff);
    segment.options = out.subarray(0, length);
    segment.dataLength = 0;
    segment.segmentSize = 0;
    this.#reply(path, packet, source, segment, nowMs);
  }

  /** The third segment of a handshake we answered with a cookie. */
  #cookieAck(
    listener: DirectTcpListener,
    packet: TcpPacket,
    options: ParsedTcpOptions,
    source: F['address'],
    destination: F['address'],
    remoteKey: number | string,
    nowMs: number,
  ): void {
    const words = this.#identity(destination, source, packet.destinationPort, packet.sourcePort);
    const clientIsn = seqAdd(packet.sequence, -1);
    const isn = seqAdd(packet.acknowledgment, -1);
    const mss = this.#cookies.check(this.#words, words, clientIsn, isn, nowMs);
    if (mss === undefined || this.#endpoints.size >= this.#config.maxConnections) {
      this.drops.add('tcp.bad-cookie');
      this.#reset(packet, source, destination, nowMs);
      return;
    }
    const decoded = options.hasTimestamp
      ? SynCookies.decodeTimestampOptions(options.tsEcho)
      : { windowScale: undefined, sackPermitted: false };
    if (decoded === undefined) {
      this.drops.add('tcp.bad-cookie');
      return;
    }
    const path = this.#replyPath(source, destination);
    if (path === undefined) return;
    this.traffic.add('tcp.syn-cookies-accepted');
    const endpoint = new TcpEndpointEnvironment<F>(
      this,
      path,
      packet.destinationPort,
      source,
      packet.sourcePort,
    );
    const connection = this.#create(endpoint, remoteKey, isn, nowMs);
    connection.acceptCookie(
      packet,
      mss,
      decoded.windowScale,
      decoded.sackPermitted,
      options.hasTimestamp,
      options.tsValue,
      nowMs,
    );
    this.#handOver(listener, endpoint, connection);
    if (connection.state !== 'CLOSED') connection.input(packet, options, nowMs);
    this.#timers.schedule(connection);
  }

  /** The way back to a segment's sender from the address it was sent to; undefined (counted) without a route. */
  #replyPath(source: F['address'], destination: F['address']): F['path'] | undefined {
    try {
      return this.network.path(source, destination);
    } catch {
      this.drops.add('tcp.no-route');
      return undefined;
    }
  }

  /** Sends `segment` back to the sender of `packet`, for which no connection is kept. */
  #reply(
    path: F['path'],
    packet: TcpPacket,
    source: F['address'],
    segment: SegmentOut,
    nowMs: number,
  ): void {
    const endpoint = new TcpEndpointEnvironment<F>(
      this,
      path,
      packet.destinationPort,
      source,
      packet.sourcePort,
    );
    this.transmit(endpoint, undefined, segment, nowMs);
  }

  /** RFC 9293 §3.10.7.1: the reset that answers a segment for no connection. */
  #reset(packet: TcpPacket, source: F['address'], destination: F['address'], nowMs: number): void {
    const path = this.#replyPath(source, destination);
    if (path === undefined) return;
    const segment = this.#control;
    const flags = packet.flags;
    if ((flags & TCP_ACK) !== 0) {
      segment.seq = packet.acknowledgment;
      segment.ack = 0;
      segment.flags = TCP_RST;
    } else {
      const length =
        packet.payload.length +
        ((flags & TCP_SYN) !== 0 ? 1 : 0) +
        ((flags & TCP_FIN) !== 0 ? 1 : 0);
      segment.seq = 0;
      segment.ack = seqAdd(packet.sequence, length);
      segment.flags = TCP_RST | TCP_ACK;
    }
    segment.window = 0;
    segment.options = NO_OPTIONS;
    segment.dataLength = 0;
    segment.segmentSize = 0;
    this.traffic.add('tcp.resets-sent');
    this.#reply(path, packet, source, segment, nowMs);
  }
}
