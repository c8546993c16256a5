// UDP (RFC 768, RFC 1122 §4.1): the port table, input demultiplexing with checksum
// verification, and output for the sockets. A datagram for a port nobody holds is answered with
// a rate-limited ICMP port unreachable (RFC 1122 §4.1.3.1).

import { type Counters, OasisError, type Random } from '@oasis/core';
import type { UdpBindOptions } from '@oasis/runtime';
import {
  emitUdp,
  formatIpv4Address,
  ICMPV4_UNREACHABLE_PORT,
  IP_PROTOCOL_UDP,
  icmpv4DestinationUnreachable,
  ipv4PseudoHeaderSum,
  UDP_CHECKSUM_OFFSET,
  UDP_HEADER_LENGTH,
  UdpPacket,
  udpChecksumValid,
} from '@oasis/wire';
import { findEphemeralPort } from './ephemeral-port.ts';
import type { Icmpv4Layer } from './icmpv4-layer.ts';
import { parseIpv4Text } from './ip-address-text.ts';
import type { Ipv4Delivery, Ipv4Layer } from './ipv4-layer.ts';
import { DirectUdpSocket } from './udp-socket.ts';

/** The largest UDP payload in one IPv4 datagram: 65535 - 20 (IP) - 8 (UDP). */
export const UDP_MAX_PAYLOAD = 65507;

interface PortBindings {
  /** Bound to 0.0.0.0. */
  any: DirectUdpSocket | undefined;
  readonly byAddress: Map<number, DirectUdpSocket>;
}

export interface UdpLayerOptions {
  readonly ip: Ipv4Layer;
  readonly icmp: Icmpv4Layer;
  readonly random: Random;
  readonly nowMs: () => number;
  readonly drops: Counters;
  readonly traffic: Counters;
  readonly ttl: number;
  /** Datagrams a socket holds before it has a handler. */
  readonly receiveQueueLength: number;
  /** Wraps a send in the stack's output batch and wakes its timers. */
  readonly transmit: (work: () => void) => void;
}

export class UdpLayer {
  readonly #ports = new Map<number, PortBindings>();
  readonly #options: UdpLayerOptions;

  constructor(options: UdpLayerOptions) {
    this.#options = options;
    options.ip.register(IP_PROTOCOL_UDP, (delivery, nowMs) => this.#input(delivery, nowMs));
  }

  bind(options: UdpBindOptions = {}): DirectUdpSocket {
    const address = parseIpv4Text(options.address ?? '0.0.0.0');
    if (address !== 0 && !this.#options.ip.isLocal(address)) {
      throw new OasisError(
        'EADDRNOTAVAIL',
        `${options.address} is not an address of this stack (bind to one of its addresses or 0.0.0.0)`,
      );
    }
    const requested = options.port ?? 0;
    if (!(Number.isInteger(requested) && requested >= 0 && requested <= 0xffff)) {
      throw new OasisError('EINVAL', `a UDP port is an integer in 0-65535, got ${requested}`);
    }
    const port = requested === 0 ? this.#ephemeralPort(address) : requested;
    if (!this.#available(port, address)) {
      throw new OasisError(
        'EADDRINUSE',
        `UDP port ${port} on ${formatIpv4Address(address)} is already bound`,
      );
    }
    const socket = new DirectUdpSocket({
      layer: this,
      address,
      port,
      broadcast: options.broadcast ?? false,
      receiveQueueLength: this.#options.receiveQueueLength,
      drops: this.#options.drops,
    });
    let bindings = this.#ports.get(port);
    if (bindings === undefined) {
      bindings = { any: undefined, byAddress: new Map() };
      this.#ports.set(port, bindings);
    }
    if (address === 0) bindings.any = socket;
    else bindings.byAddress.set(address, socket);
    return socket;
  }

  /** Without SO_REUSEADDR semantics: a wildcard bind conflicts with every bind of the port. */
  /** Whether a socket is bound to `port`, on any address. */
  portInUse(port: number): boolean {
    return this.#ports.has(port);
  }

  #available(port: number, address: number): boolean {
    const bindings = this.#ports.get(port);
    if (bindings === undefined) return true;
    if (bindings.any !== undefined) return false;
    return address !== 0 ? !bindings.byAddress.has(address) : bindings.byAddress.size === 0;
  }

  #ephemeralPort(address: number): number {
    const port = findEphemeralPort(this.#options.random, (p) => this.#available(p, address));
    if (port === undefined) {
      throw new OasisError('EADDRINUSE', 'every ephemeral UDP port (49152-65535) is in use');
    }
    return port;
  }

  unbind(socket: DirectUdpSocket): void {
    const bindings = this.#ports.get(socket.port);
    if (bindings === undefined) return;
    if (bindings.any === socket) bindings.any = undefined;
    else if (bindings.byAddress.get(socket.address) === socket)
      bindings.byAddress.delete(socket.address);
    if (bindings.any === undefined && bindings.byAddress.size === 0)
      this.#ports.delete(socket.port);
  }

  send(socket: DirectUdpSocket, data: Uint8Array, destination: number, port: number): void {
    if (data.length > UDP_MAX_PAYLOAD) {
      throw new OasisError(
        'EMSGSIZE',
        `a UDP datagram carries at most ${UDP_MAX_PAYLOAD} bytes over IPv4, got ${data.length}`,
      );
    }
    const ip = this.#options.ip;
    if (ip.isBroadcast(destination) && !socket.broadcast) {
      throw new OasisError(
        'EACCES',
        `${formatIpv4Address(destination)} is a broadcast address: bind with { broadcast: true } to send to it`,
      );
    }
    const source = socket.address === 0 ? undefined : socket.address;
    const sourcePort = socket.port;
    this.#options.transmit(() => {
      ip.send(
        {
          destination,
          source,
          protocol: IP_PROTOCOL_UDP,
          ttl: this.#options.ttl,
          dontFragment: false,
          payloadLength: UDP_HEADER_LENGTH + data.length,
          checksumOffset: UDP_CHECKSUM_OFFSET,
          write: (payload, chosenSource, offload) => {
            const pseudoSum = ipv4PseudoHeaderSum(
              chosenSource,
              destination,
              IP_PROTOCOL_UDP,
              payload.length,
            );
            emitUdp(
              {
                sourcePort,
                destinationPort: port,
                checksum: offload ? 'offload' : 'compute',
                payload: data,
              },
              payload,
              pseudoSum,
            );
          },
        },
        this.#options.nowMs(),
      );
      this.#options.traffic.add('udp.sent');
    });
  }

  #input(delivery: Ipv4Delivery, nowMs: number): void {
    const { packet } = delivery;
    const checked = UdpPacket.checked(packet.payload);
    if (!checked.ok) {
      this.#options.drops.add(checked.error.key);
      return;
    }
    const datagram = checked.value;
    if (!delivery.checksumVerified) {
      const pseudoSum = ipv4PseudoHeaderSum(
        packet.source,
        packet.destination,
        IP_PROTOCOL_UDP,
        datagram.length,
      );
      // RFC 768: a zero checksum means the sender computed none, which IPv4 allows.
      if (!udpChecksumValid(datagram, pseudoSum, true)) {
        this.#options.drops.add('udp.bad-checksum');
        return;
      }
    }
    this.#options.traffic.add('udp.received');
    const socket = this.#lookup(datagram.destinationPort, packet.destination, delivery.broadcast);
    if (socket === undefined) {
      this.#options.drops.add('udp.no-socket');
      this.#options.icmp.sendError(
        icmpv4DestinationUnreachable(
          ICMPV4_UNREACHABLE_PORT,
          packet.bytes.subarray(0, packet.totalLength),
        ),
        delivery,
        nowMs,
      );
      return;
    }
    socket.deliver(datagram.payload, packet.source, datagram.sourcePort);
  }

  #lookup(port: number, destination: number, broadcast: boolean): DirectUdpSocket | undefined {
    const bindings = this.#ports.get(port);
    if (bindings === undefined) return undefined;
    // A broadcast reaches the wildcard socket (as on Linux, a socket bound to one unicast
    // address does not see broadcasts).
    if (broadcast) return bindings.any;
    return bindings.byAddress.get(destination) ?? bindings.any;
  }
}
