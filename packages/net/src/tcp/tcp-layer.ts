// TCP over IPv4: the connection table, listeners, the CLOSED-state replies, SYN cookies and the
// emission of segments through the IPv4 layer (with segmentation offload where the device has
// it). Connections themselves know nothing of addresses: each gets an environment from here
// that carries its addresses and route.

import { type Counters, OasisError, type Random, readU16BE, readU32BE } from '@oasis/core';
import type {
  Flow,
  TcpConnectOptions,
  TcpEndpoint,
  TcpListenOptions,
  TcpStack,
} from '@oasis/runtime';
import {
  formatIpv4Address,
  IP_PROTOCOL_TCP,
  ipv4PseudoHeaderSum,
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
import type { Icmpv4Layer, TransportError } from '../icmpv4-layer.ts';
import { parseIpv4Text } from '../ip-address-text.ts';
import type { Ipv4Delivery, Ipv4Layer, Ipv4Path } from '../ipv4-layer.ts';
import { TokenBucket } from '../token-bucket.ts';
import { DeadlineQueue } from './deadline-queue.ts';
import { InitialSequenceGenerator } from './initial-sequence.ts';
import { seqAdd, seqGt } from './sequence.ts';
import { SynCookies } from './syn-cookies.ts';
import { receiveWindowShift, type TcpConfig } from './tcp-config.ts';
import { type SegmentOut, TcpConnection, type TcpConnectionEnvironment } from './tcp-connection.ts';
import { TcpFlow } from './tcp-flow.ts';
import { DirectTcpListener } from './tcp-listener.ts';

const IPV4_HEADER_LENGTH = 20;
const NO_OPTIONS = new Uint8Array(0);
const DEFAULT_BACKLOG = 128;

export interface TcpLayerOptions {
  readonly ip: Ipv4Layer;
  readonly icmp: Icmpv4Layer;
  readonly random: Random;
  readonly nowMs: () => number;
  readonly drops: Counters;
  readonly traffic: Counters;
  readonly ttl: number;
  readonly config: TcpConfig;
  /** Runs work inside the stack's output batch (which ends with `flush`). */
  readonly run: (work: () => void) => void;
}

/** A connection's addresses and route: its environment, made by the layer. */
class Ipv4Endpoint implements TcpConnectionEnvironment {
  readonly #layer: TcpLayer;
  readonly localAddress: number;
  readonly localPort: number;
  readonly remoteAddress: number;
  readonly remotePort: number;
  readonly path: Ipv4Path;
  /** RFC 1191: the path MTU, from the interface's and lowered by ICMP "fragmentation needed". */
  pathMtu: number;
  /** The listener of a passive open while it is half-open. */
  listener: DirectTcpListener | undefined;
  flow: TcpFlow | undefined;
  dirty = false;

  constructor(
    layer: TcpLayer,
    path: Ipv4Path,
    localPort: number,
    remoteAddress: number,
    remotePort: number,
  ) {
    this.#layer = layer;
    this.path = path;
    this.pathMtu = path.iface.mtu;
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

  transmit(connection: TcpConnection, segment: SegmentOut, nowMs: number): void {
    this.#layer.transmit(this, connection, segment, nowMs);
  }

  maxSegmentLength(_connection: TcpConnection, nowMs: number): number {
    return this.#layer.ip.maxPacketLength(this.path, nowMs) - IPV4_HEADER_LENGTH;
  }

  pathSegmentLength(): number {
    return this.pathMtu - IPV4_HEADER_LENGTH;
  }

  lowerPathMtu(mtu: number): boolean {
    // RFC 1191 §3: never below 68 bytes; only ever lowered here.
    const lowered = Math.max(mtu, 68);
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
    return {
      local: { address: formatIpv4Address(this.localAddress), port: this.localPort },
      remote: { address: formatIpv4Address(this.remoteAddress), port: this.remotePort },
    };
  }
}

interface PortListeners {
  any: DirectTcpListener | undefined;
  readonly byAddress: Map<number, DirectTcpListener>;
}

export class TcpLayer {
  readonly ip: Ipv4Layer;
  readonly traffic: Counters;
  readonly drops: Counters;
  readonly api: TcpStack;
  readonly #options: TcpLayerOptions;
  readonly #config: TcpConfig;
  /** Local port → (remote address · 2^16 + remote port) → connection. */
  readonly #connections = new Map<number, Map<number, TcpConnection>>();
  readonly #endpoints = new Map<TcpConnection, Ipv4Endpoint>();
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
  readonly #words = new Uint32Array(3);
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

  constructor(options: TcpLayerOptions) {
    this.#options = options;
    this.#config = options.config;
    this.ip = options.ip;
    this.traffic = options.traffic;
    this.drops = options.drops;
    this.#isn = new InitialSequenceGenerator(options.random);
    this.#cookies = new SynCookies(options.random);
    this.#timestampOffsets = new InitialSequenceGenerator(options.random);
    this.#challenges = new TokenBucket(
      { ratePerSecond: options.config.challengeAckRate, burst: options.config.challengeAckRate },
      options.nowMs(),
    );
    options.ip.register(IP_PROTOCOL_TCP, (delivery, nowMs) => this.#input(delivery, nowMs));
    options.icmp.onError(IP_PROTOCOL_TCP, (error) => this.#icmpError(error));
    this.api = {
      listen: async (listen) => this.#listen(listen),
      connect: (to, connect) => this.#connect(to, connect),
    };
  }

  // --- Service API ----------------------------------------------------------------------------

  #listen(options: TcpListenOptions): DirectTcpListener {
    if (this.#closed) throw new OasisError('ECLOSED', 'the network stack is closed');
    const address = parseIpv4Text(options.address ?? '0.0.0.0');
    if (address !== 0 && !this.ip.isLocal(address)) {
      throw new OasisError('EADDRNOTAVAIL', `${options.address} is not an address of this stack`);
    }
    const requested = options.port;
    if (!(Number.isInteger(requested) && requested >= 0 && requested <= 0xffff)) {
      throw new OasisError('EINVAL', `a TCP port is an integer in 0-65535, got ${requested}`);
    }
    const backlog = options.backlog ?? DEFAULT_BACKLOG;
    if (!(Number.isInteger(backlog) && backlog >= 0)) {
      throw new OasisError('EINVAL', `a backlog is a non-negative integer, got ${backlog}`);
    }
    const port = requested === 0 ? this.#ephemeralListenPort(address) : requested;
    if (!this.#listenAvailable(port, address)) {
      throw new OasisError(
        'EADDRINUSE',
        `TCP port ${port} on ${formatIpv4Address(address)} is already listening`,
      );
    }
    const listener = new DirectTcpListener(
      { address: formatIpv4Address(address), port },
      address,
      port,
      backlog,
      (closing) => this.#unlisten(closing),
    );
    let entry = this.#listeners.get(port);
    if (entry === undefined) {
      entry = { any: undefined, byAddress: new Map() };
      this.#listeners.set(port, entry);
    }
    if (address === 0) entry.any = listener;
    else entry.byAddress.set(address, listener);
    return listener;
  }

  /** Whether a listener or a connection uses local `port`. */
  portInUse(port: number): boolean {
    return this.#listeners.has(port) || this.#connections.has(port);
  }

  #listenAvailable(port: number, address: number): boolean {
    const entry = this.#listeners.get(port);
    if (entry === undefined) return true;
    if (entry.any !== undefined) return false;
    return address !== 0 ? !entry.byAddress.has(address) : entry.byAddress.size === 0;
  }

  #ephemeralListenPort(address: number): number {
    const port = findEphemeralPort(
      this.#options.random,
      (p) => this.#listenAvailable(p, address) && !this.#connections.has(p),
    );
    if (port === undefined) {
      throw new OasisError('EADDRINUSE', 'every ephemeral TCP port (49152-65535) is in use');
    }
    return port;
  }

  #unlisten(listener: DirectTcpListener): void {
    const entry = this.#listeners.get(listener.port);
    if (entry === undefined) return;
    if (entry.any === listener) entry.any = undefined;
    else if (entry.byAddress.get(listener.address) === listener) {
      entry.byAddress.delete(listener.address);
    }
    if (entry.any === undefined && entry.byAddress.size === 0)
      this.#listeners.delete(listener.port);
  }

  async #connect(to: TcpEndpoint, options: TcpConnectOptions = {}): Promise<Flow> {
    if (this.#closed) throw new OasisError('ECLOSED', 'the network stack is closed');
    if (options.signal?.aborted) throw new OasisError('EABORTED', 'the connect was aborted');
    const remote = parseIpv4Text(to.address);
    if (!(Number.isInteger(to.port) && to.port > 0 && to.port <= 0xffff)) {
      throw new OasisError(
        'EINVAL',
        `a TCP destination port is an integer in 1-65535, got ${to.port}`,
      );
    }
    if (remote === 0 || this.ip.isBroadcast(remote) || remote >>> 28 === 0xe) {
      throw new OasisError('EINVAL', `cannot connect to ${to.address}`);
    }
    const local =
      options.localAddress === undefined ? undefined : parseIpv4Text(options.localAddress);
    if (local !== undefined && !this.ip.isLocal(local)) {
      throw new OasisError(
        'EADDRNOTAVAIL',
        `${options.localAddress} is not an address of this stack`,
      );
    }
    if (this.#endpoints.size >= this.#config.maxConnections) {
      throw new OasisError(
        'ENOSPC',
        `the stack holds its limit of ${this.#config.maxConnections} connections`,
      );
    }
    const path = this.ip.path(remote, local);
    const remoteKey = remote * 0x10000 + to.port;
    const localPort = options.localPort ?? this.#ephemeralPort(remoteKey);
    if (this.#connections.get(localPort)?.has(remoteKey)) {
      throw new OasisError(
        'EADDRINUSE',
        `a connection from port ${localPort} to ${to.address}:${to.port} exists`,
      );
    }
    const nowMs = this.#options.nowMs();
    const endpoint = new Ipv4Endpoint(this, path, localPort, remote, to.port);
    const connection = this.#create(endpoint, remoteKey, this.#nextIsn(endpoint, nowMs), nowMs);
    const { local: localEndpoint, remote: remoteEndpoint } = endpoint.endpoints();
    const flow = new TcpFlow(connection, localEndpoint, remoteEndpoint, this.#host);
    endpoint.flow = flow;
    this.#options.run(() => connection.open(nowMs));
    // After open: in CLOSED, before it, `opened` would resolve at once.
    const opened = flow.opened();
    const signal = options.signal;
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
  #ephemeralPort(remoteKey: number): number {
    const port = findEphemeralPort(
      this.#options.random,
      (p) => !this.#listeners.has(p) && !this.#connections.get(p)?.has(remoteKey),
    );
    if (port === undefined) {
      throw new OasisError('EADDRNOTAVAIL', 'every ephemeral TCP port towards that peer is in use');
    }
    return port;
  }

  #nextIsn(endpoint: Ipv4Endpoint, nowMs: number): number {
    this.#identity(
      endpoint.localAddress,
      endpoint.remoteAddress,
      endpoint.localPort,
      endpoint.remotePort,
    );
    return this.#isn.next(this.#words, 3, nowMs);
  }

  #timestampOffset(endpoint: Ipv4Endpoint): number {
    this.#identity(
      endpoint.localAddress,
      endpoint.remoteAddress,
      endpoint.localPort,
      endpoint.remotePort,
    );
    // With the clock at 0, the generator's value is its keyed hash alone.
    return this.#timestampOffsets.next(this.#words, 3, 0);
  }

  #identity(local: number, remote: number, localPort: number, remotePort: number): void {
    this.#words[0] = local;
    this.#words[1] = remote;
    this.#words[2] = ((localPort << 16) | remotePort) >>> 0;
  }

  #create(endpoint: Ipv4Endpoint, remoteKey: number, iss: number, nowMs: number): TcpConnection {
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

  markDirty(endpoint: Ipv4Endpoint, connection: TcpConnection): void {
    if (endpoint.dirty) return;
    endpoint.dirty = true;
    this.#dirty.push(connection);
  }

  accepted(endpoint: Ipv4Endpoint, connection: TcpConnection): void {
    const listener = endpoint.listener;
    endpoint.listener = undefined;
    if (listener === undefined) return;
    listener.halfOpen--;
    this.#handOver(listener, endpoint, connection);
  }

  #handOver(listener: DirectTcpListener, endpoint: Ipv4Endpoint, connection: TcpConnection): void {
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

  closed(endpoint: Ipv4Endpoint, connection: TcpConnection): void {
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
    endpoint: Ipv4Endpoint,
    connection: TcpConnection | undefined,
    segment: SegmentOut,
    nowMs: number,
  ): void {
    const headerLength = TCP_HEADER_LENGTH + segment.options.length;
    const length = headerLength + segment.dataLength;
    const destination = endpoint.remoteAddress;
    const { segmentSize } = segment;
    try {
      this.ip.send(
        {
          destination,
          source: endpoint.localAddress,
          protocol: IP_PROTOCOL_TCP,
          ttl: this.#options.ttl,
          // RFC 1191 path MTU discovery: TCP segments are never fragmented.
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
            const pseudoSum = ipv4PseudoHeaderSum(source, destination, IP_PROTOCOL_TCP, length);
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

  /** An ICMP error quoting one of our segments (RFC 1122 §4.2.3.9, RFC 5927). */
  #icmpError(error: TransportError): void {
    const quoted = error.quoted;
    const headerLength = (quoted[0]! & 0x0f) * 4;
    if (headerLength < IPV4_HEADER_LENGTH || quoted.length < headerLength + 8) {
      this.drops.add('tcp.icmp-truncated');
      return;
    }
    const source = readU32BE(quoted, 12);
    const destination = readU32BE(quoted, 16);
    const localPort = readU16BE(quoted, headerLength);
    const remoteKey = destination * 0x10000 + readU16BE(quoted, headerLength + 2);
    const connection = this.#connections.get(localPort)?.get(remoteKey);
    if (connection === undefined || this.#endpoints.get(connection)?.localAddress !== source) {
      this.drops.add('tcp.icmp-no-connection');
      return;
    }
    connection.icmpError(error, readU32BE(quoted, headerLength + 4));
  }

  #input(delivery: Ipv4Delivery, nowMs: number): void {
    const { packet: ipPacket } = delivery;
    const checked = TcpPacket.checked(ipPacket.payload);
    if (!checked.ok) {
      this.drops.add(checked.error.key);
      return;
    }
    const packet = checked.value;
    const source = ipPacket.source;
    const destination = ipPacket.destination;
    if (!delivery.checksumVerified) {
      const pseudoSum = ipv4PseudoHeaderSum(
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
    const remoteKey = source * 0x10000 + packet.sourcePort;
    const connection = this.#connections.get(localPort)?.get(remoteKey);
    if (connection !== undefined && this.#endpoints.get(connection)?.localAddress === destination) {
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

  /** A segment for no connection: LISTEN (RFC 9293 §3.10.7.2) or CLOSED (§3.10.7.1). */
  #passive(
    packet: TcpPacket,
    options: ParsedTcpOptions,
    source: number,
    destination: number,
    remoteKey: number,
    nowMs: number,
    isnFloor: number | undefined,
  ): void {
    const flags = packet.flags;
    if ((flags & TCP_RST) !== 0) {
      this.drops.add('tcp.rst-no-connection');
      return;
    }
    const listeners = this.#listeners.get(packet.destinationPort);
    const listener = listeners?.byAddress.get(destination) ?? listeners?.any;
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
    const endpoint = new Ipv4Endpoint(
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
    path: Ipv4Path,
    packet: TcpPacket,
    options: ParsedTcpOptions,
    source: number,
    destination: number,
    nowMs: number,
  ): void {
    this.#identity(destination, source, packet.destinationPort, packet.sourcePort);
    const peerMss = options.mss > 0 ? options.mss : 536;
    const mss = Math.min(peerMss, path.iface.mtu - IPV4_HEADER_LENGTH - TCP_HEADER_LENGTH);
    const cookie = this.#cookies.make(this.#words, 3, packet.sequence, mss, nowMs);
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
      mss: path.iface.mtu - IPV4_HEADER_LENGTH - TCP_HEADER_LENGTH,
      ...(windowScale === undefined ? {} : { windowScale }),
      // Without timestamps the cookie cannot carry SACK or the window scale (RFC 4987 §3.6).
      ...(options.hasTimestamp
        ? {
            sackPermitted: sackPermitted,
            timestamp: {
              // The connection's own clock (its offset, as #create gives it), less 64.
              value: SynCookies.encodeTimestampOptions(
                (Math.floor(nowMs) - 64 + this.#timestampOffsets.next(this.#words, 3, 0)) >>> 0,
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
    source: number,
    destination: number,
    remoteKey: number,
    nowMs: number,
  ): void {
    this.#identity(destination, source, packet.destinationPort, packet.sourcePort);
    const clientIsn = seqAdd(packet.sequence, -1);
    const isn = seqAdd(packet.acknowledgment, -1);
    const mss = this.#cookies.check(this.#words, 3, clientIsn, isn, nowMs);
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
    const endpoint = new Ipv4Endpoint(
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
  #replyPath(source: number, destination: number): Ipv4Path | undefined {
    try {
      return this.ip.path(source, destination);
    } catch {
      this.drops.add('tcp.no-route');
      return undefined;
    }
  }

  /** Sends `segment` back to the sender of `packet`, for which no connection is kept. */
  #reply(
    path: Ipv4Path,
    packet: TcpPacket,
    source: number,
    segment: SegmentOut,
    nowMs: number,
  ): void {
    const endpoint = new Ipv4Endpoint(
      this,
      path,
      packet.destinationPort,
      source,
      packet.sourcePort,
    );
    this.transmit(endpoint, undefined, segment, nowMs);
  }

  /** RFC 9293 §3.10.7.1: the reset that answers a segment for no connection. */
  #reset(packet: TcpPacket, source: number, destination: number, nowMs: number): void {
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
