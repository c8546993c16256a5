// UDP (RFC 768, RFC 1122 §4.1) over one address family (ip-network.ts): the port table, input
// demultiplexing with checksum verification, and output for the sockets. A datagram for a port
// nobody holds is answered with a rate-limited ICMP port unreachable (RFC 1122 §4.1.3.1,
// RFC 4443 §3.1). Sockets are dual-stack: one may be bound in both families' layers
// (udp-stack.ts).

import { type Counters, OasisError } from '@oasis/core';
import {
  emitUdp,
  IP_PROTOCOL_UDP,
  UDP_CHECKSUM_OFFSET,
  UDP_HEADER_LENGTH,
  UdpPacket,
  udpChecksumValid,
} from '@oasis/wire';
import type { IpFamilyTypes, IpNetwork } from './ip-network.ts';
import type { DirectUdpSocket } from './udp-socket.ts';

interface PortBindings {
  /** Bound to every address of the family. */
  any: DirectUdpSocket | undefined;
  readonly byAddress: Map<number | string, DirectUdpSocket>;
}

export interface UdpLayerOptions<F extends IpFamilyTypes> {
  readonly network: IpNetwork<F>;
  readonly nowMs: () => number;
  readonly drops: Counters;
  readonly traffic: Counters;
  /** Wraps a send in the stack's output batch and wakes its timers. */
  readonly transmit: (work: () => void) => void;
}

export class UdpLayer<F extends IpFamilyTypes> {
  readonly network: IpNetwork<F>;
  readonly #ports = new Map<number, PortBindings>();
  readonly #options: UdpLayerOptions<F>;

  constructor(options: UdpLayerOptions<F>) {
    this.#options = options;
    this.network = options.network;
    options.network.register(IP_PROTOCOL_UDP, (delivery, nowMs) => this.#input(delivery, nowMs));
  }

  /** Whether a socket is bound to `port`, on any address. */
  portInUse(port: number): boolean {
    return this.#ports.has(port);
  }

  /**
   * Whether `port` may be bound on `address` (undefined: every address). Without SO_REUSEADDR
   * semantics: a wildcard bind conflicts with every bind of the port.
   */
  available(port: number, address: F['address'] | undefined): boolean {
    const bindings = this.#ports.get(port);
    if (bindings === undefined) return true;
    if (bindings.any !== undefined) return false;
    return address === undefined
      ? bindings.byAddress.size === 0
      : !bindings.byAddress.has(this.network.key(address, 0));
  }

  add(socket: DirectUdpSocket, address: F['address'] | undefined, port: number): void {
    let bindings = this.#ports.get(port);
    if (bindings === undefined) {
      bindings = { any: undefined, byAddress: new Map() };
      this.#ports.set(port, bindings);
    }
    if (address === undefined) bindings.any = socket;
    else bindings.byAddress.set(this.network.key(address, 0), socket);
  }

  remove(socket: DirectUdpSocket, address: F['address'] | undefined, port: number): void {
    const bindings = this.#ports.get(port);
    if (bindings === undefined) return;
    if (address === undefined) {
      if (bindings.any === socket) bindings.any = undefined;
    } else {
      const key = this.network.key(address, 0);
      if (bindings.byAddress.get(key) === socket) bindings.byAddress.delete(key);
    }
    if (bindings.any === undefined && bindings.byAddress.size === 0) this.#ports.delete(port);
  }

  /**
   * Sends one datagram from `source` (undefined: the route's) and `sourcePort`. Throws OasisError
   * EMSGSIZE, EACCES (a broadcast without `broadcastAllowed`), and what the network throws.
   */
  send(
    data: Uint8Array,
    source: F['address'] | undefined,
    sourcePort: number,
    destination: F['address'],
    port: number,
    broadcastAllowed: boolean,
  ): void {
    const network = this.network;
    if (data.length > network.maxUdpPayload) {
      throw new OasisError(
        'EMSGSIZE',
        `a UDP datagram carries at most ${network.maxUdpPayload} bytes over ${network.family}, got ${data.length}`,
      );
    }
    if (network.isBroadcast(destination) && !broadcastAllowed) {
      throw new OasisError(
        'EACCES',
        `${network.format(destination)} is a broadcast address: bind with { broadcast: true } to send to it`,
      );
    }
    this.#options.transmit(() => {
      network.send(
        {
          destination,
          source,
          protocol: IP_PROTOCOL_UDP,
          hopLimit: undefined,
          dontFragment: false,
          payloadLength: UDP_HEADER_LENGTH + data.length,
          checksumOffset: UDP_CHECKSUM_OFFSET,
          write: (payload, chosenSource, offload) => {
            const pseudoSum = network.pseudoSum(
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

  #input(delivery: F['delivery'], nowMs: number): void {
    const checked = UdpPacket.checked(delivery.payload);
    if (!checked.ok) {
      this.#options.drops.add(checked.error.key);
      return;
    }
    const datagram = checked.value;
    const network = this.network;
    if (!delivery.checksumVerified) {
      const pseudoSum = network.pseudoSum(
        delivery.source,
        delivery.destination,
        IP_PROTOCOL_UDP,
        datagram.length,
      );
      // RFC 768: a zero checksum means the sender computed none, which IPv4 allows and IPv6
      // does not (RFC 8200 §8.1).
      if (!udpChecksumValid(datagram, pseudoSum, network.zeroUdpChecksumAllowed)) {
        this.#options.drops.add('udp.bad-checksum');
        return;
      }
    }
    this.#options.traffic.add('udp.received');
    const socket = this.#lookup(datagram.destinationPort, delivery.destination, delivery.broadcast);
    if (socket === undefined) {
      this.#options.drops.add('udp.no-socket');
      network.portUnreachable(delivery, nowMs);
      return;
    }
    socket.deliver(datagram.payload, network.format(delivery.source), datagram.sourcePort);
  }

  #lookup(
    port: number,
    destination: F['address'],
    broadcast: boolean,
  ): DirectUdpSocket | undefined {
    const bindings = this.#ports.get(port);
    if (bindings === undefined) return undefined;
    // A broadcast reaches the wildcard socket (as on Linux, a socket bound to one unicast
    // address does not see broadcasts).
    if (broadcast) return bindings.any;
    return bindings.byAddress.get(this.network.key(destination, 0)) ?? bindings.any;
  }
}
