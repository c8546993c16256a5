// UDP on the host's sockets: the UdpStack contract over node:dgram, with the direct stack's
// semantics. What can be known at once is checked here and thrown, with the direct stack's codes:
// dgram would report most of it later, through the send callback, where the contract has no room
// for it. Failures only the kernel knows (no route, a full queue) are counted and logged at debug
// level, as the direct stack counts a datagram it cannot deliver (UDP promises no delivery,
// RFC 768). A socket bound to an IPv6 address is dual-stack, as Node makes it: it sends to IPv4
// destinations through their IPv4-mapped form (RFC 4291 §2.5.5.2) and receives from them in that
// form ('::ffff:10.0.0.2').

import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { networkInterfaces } from 'node:os';
import { ClosedError, type Logger, OasisError } from '@oasis/core';
import {
  HandlerQueue,
  type UdpBindOptions,
  type UdpEndpoint,
  type UdpMessageHandler,
  type UdpSocket,
  type UdpStack,
} from '@oasis/runtime';
import { formatIpv4Address, parseIpv4Address } from '@oasis/wire';
import { checkPort, endpointText, hostError, ipFamily } from './host-errors.ts';

/** The largest UDP payload in one IPv4 datagram: 65535 - 20 (IP header) - 8 (UDP header). */
const UDP_MAX_PAYLOAD_IPV4 = 65_507;
/** In one IPv6 packet without jumbograms (RFC 8200 §3, RFC 2675): 65535 - 8 (UDP header). */
const UDP_MAX_PAYLOAD_IPV6 = 65_527;
/** The limited broadcast address (RFC 919 §7). */
const LIMITED_BROADCAST = '255.255.255.255';
/** Datagrams a socket holds until it has a handler; beyond that the oldest is dropped. */
const RECEIVE_QUEUE_LENGTH = 256;

export interface HostUdpStackOptions {
  readonly logger: Logger;
  /** Adds one to the stack's counter `key`. */
  readonly count: (key: string) => void;
}

export class HostUdpStack implements UdpStack {
  readonly #options: HostUdpStackOptions;
  readonly #sockets = new Set<HostUdpSocket>();
  #closed = false;
  #broadcast: { readonly addresses: ReadonlySet<string>; readonly readMs: number } | undefined;

  constructor(options: HostUdpStackOptions) {
    this.#options = options;
  }

  async bind(options: UdpBindOptions = {}): Promise<UdpSocket> {
    if (this.#closed) throw new ClosedError('the network stack');
    const address = options.address ?? '0.0.0.0';
    const family = ipFamily(address, 'a UDP bind address');
    const port = options.port ?? 0;
    checkPort(port, 0, 'a UDP port');
    const socket = createSocket(family === 4 ? 'udp4' : 'udp6');
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind({ address, port }, () => {
          socket.off('error', reject);
          resolve();
        });
      });
    } catch (error) {
      socket.close();
      throw hostError(error, `UDP bind to ${endpointText(address, port)}`);
    }
    if (this.#closed) {
      socket.close();
      throw new ClosedError('the network stack');
    }
    const broadcast = options.broadcast ?? false;
    if (broadcast) socket.setBroadcast(true);
    const udpSocket = new HostUdpSocket({
      ...this.#options,
      socket,
      family,
      forbiddenDestinations: broadcast ? new Set() : this.#currentBroadcastAddresses(),
      onClosed: (closed) => this.#sockets.delete(closed),
    });
    this.#sockets.add(udpSocket);
    return udpSocket;
  }

  /**
   * The host's broadcast addresses, read again at most once a second: a client that binds a
   * socket per query (a DNS resolver) must not list the interfaces each time.
   */
  #currentBroadcastAddresses(): ReadonlySet<string> {
    const now = performance.now();
    if (this.#broadcast === undefined || now - this.#broadcast.readMs > BROADCAST_REREAD_MS) {
      this.#broadcast = { addresses: broadcastAddresses(), readMs: now };
    }
    return this.#broadcast.addresses;
  }

  /** Closes every socket; later binds reject with ECLOSED. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#sockets].map((socket) => socket.close()));
  }
}

/**
 * The broadcast addresses of the host's IPv4 subnets as they are now, and the limited broadcast:
 * the destinations the kernel refuses without SO_BROADCAST (EACCES from sendmsg).
 */
const BROADCAST_REREAD_MS = 1000;

function broadcastAddresses(): Set<string> {
  const addresses = new Set([LIMITED_BROADCAST]);
  for (const entries of Object.values(networkInterfaces())) {
    for (const entry of entries ?? []) {
      if (entry.family !== 'IPv4') continue;
      const address = parseIpv4Address(entry.address);
      const netmask = parseIpv4Address(entry.netmask);
      if (!(address.ok && netmask.ok)) continue;
      // A /31 or /32 has no broadcast address (RFC 3021 §2.1).
      if (netmask.value >>> 0 >= 0xffff_fffe) continue;
      addresses.add(formatIpv4Address((address.value | ~netmask.value) >>> 0));
    }
  }
  return addresses;
}

interface HostUdpSocketOptions extends HostUdpStackOptions {
  readonly socket: Socket;
  readonly family: 4 | 6;
  /** Broadcast addresses, for a socket bound without the `broadcast` option. */
  readonly forbiddenDestinations: ReadonlySet<string>;
  readonly onClosed: (socket: HostUdpSocket) => void;
}

interface ReceivedDatagram {
  readonly data: Uint8Array;
  readonly from: UdpEndpoint;
}

class HostUdpSocket implements UdpSocket {
  readonly local: UdpEndpoint;
  readonly #options: HostUdpSocketOptions;
  readonly #socket: Socket;
  readonly #received = new HandlerQueue<ReceivedDatagram>(RECEIVE_QUEUE_LENGTH);
  #closed = false;

  constructor(options: HostUdpSocketOptions) {
    this.#options = options;
    this.#socket = options.socket;
    const { address, port } = this.#socket.address();
    this.local = { address, port };
    this.#socket.on('message', (message, sender) => this.#receive(message, sender));
    // With a callback on every send, 'error' only reports a failed receive (recvmsg).
    this.#socket.on('error', (error) => {
      options.count('udp.receive-error');
      options.logger.debug('UDP receive failed', {
        local: endpointText(this.local.address, this.local.port),
        error,
      });
    });
  }

  send(data: Uint8Array, to: UdpEndpoint): void {
    if (this.#closed) throw new ClosedError('the UDP socket');
    const family = ipFamily(to.address, 'a UDP destination');
    checkPort(to.port, 1, 'a UDP destination port');
    const maxPayload = family === 4 ? UDP_MAX_PAYLOAD_IPV4 : UDP_MAX_PAYLOAD_IPV6;
    if (data.length > maxPayload) {
      throw new OasisError(
        'EMSGSIZE',
        `a UDP datagram carries at most ${maxPayload} bytes over IPv${family}, got ${data.length}`,
      );
    }
    if (this.#options.forbiddenDestinations.has(to.address)) {
      throw new OasisError(
        'EACCES',
        `${to.address} is a broadcast address: bind with { broadcast: true } to send to it`,
      );
    }
    const destination = this.#destination(to.address, family);
    // dgram sends a tick later, after resolving even a literal address; the copy lets the caller
    // reuse `data` as soon as send returns, as it may on the direct stack.
    this.#socket.send(Buffer.from(data), to.port, destination, (error) => {
      if (error === null || this.#closed) return;
      this.#options.count('udp.send-error');
      this.#options.logger.debug('UDP send failed', {
        to: endpointText(to.address, to.port),
        error,
      });
    });
  }

  #destination(address: string, family: 4 | 6): string {
    if (this.#options.family === 6) return family === 4 ? `::ffff:${address}` : address;
    if (family === 6) {
      throw new OasisError(
        'EINVAL',
        `${address} is an IPv6 address and this socket is bound to IPv4 ${this.local.address}: bind to '::' to reach both families`,
      );
    }
    return address;
  }

  onMessage(handler: UdpMessageHandler): void {
    this.#received.setHandler(({ data, from }) => handler(data, from));
  }

  #receive(message: Buffer, sender: RemoteInfo): void {
    // Node gives each datagram memory of its own, so a view hands it over without a copy; a plain
    // Uint8Array, because platform-neutral services must not come to rely on Buffer's methods.
    const data = new Uint8Array(message.buffer, message.byteOffset, message.byteLength);
    const from = { address: sender.address, port: sender.port };
    if (!this.#received.offer({ data, from })) this.#options.count('udp.queue-overflow');
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#received.clear();
    await new Promise<void>((resolve) => this.#socket.close(resolve));
    this.#options.onClosed(this);
  }
}
