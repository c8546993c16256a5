// The IPv4 layer of a host (RFC 791, RFC 1122 §3.2.1, §3.3): input validation, reassembly and
// demultiplexing to the transport protocols; output with route and source selection and
// fragmentation to the interface MTU. A host does not forward: packets for other hosts are
// dropped, unless a forwarding policy is installed (ipv4-forwarder.ts): it sees every packet
// first, whole, and the router's work is built on the same parts.

import { type Counters, OasisError, type Random } from '@oasis/core';
import type { FrameOffload } from '@oasis/runtime';
import {
  ETHERNET_HEADER_LENGTH,
  emitIpv4,
  formatIpv4Address,
  IPV4_BROADCAST,
  IPV4_HEADER_LENGTH,
  Ipv4Packet,
  type Ipv4Repr,
  isIpv4Multicast,
} from '@oasis/wire';
import type { TransportDelivery, TransportInput, TransportSend } from './ip-network.ts';
import type { Ipv4Forwarder } from './ipv4-forwarder.ts';
import { fragmentIpv4 } from './ipv4-fragmentation.ts';
import type { Ipv4Interface } from './ipv4-interface.ts';
import { type ExpiredDatagram, Ipv4Reassembler, type ReassemblyLimits } from './ipv4-reassembly.ts';
import type { Ipv4RouteTable } from './ipv4-route-table.ts';

/** A datagram delivered to a transport protocol, borrowed for the call. */
export interface Ipv4Delivery extends TransportDelivery<number> {
  readonly iface: Ipv4Interface;
  /** Whole (reassembled when it came in fragments), checked, header checksum verified. */
  readonly packet: Ipv4Packet;
}

export type Ipv4Input = TransportInput<Ipv4Delivery>;

/** What a transport protocol asks the layer to send; `hopLimit` is the TTL. */
export type Ipv4Send = TransportSend<number>;

export interface Ipv4LayerOptions {
  readonly interfaces: readonly Ipv4Interface[];
  readonly routes: Ipv4RouteTable;
  /** The time to live of datagrams sent without one (RFC 1700 recommends 64). */
  readonly ttl: number;
  readonly reassembly: Partial<ReassemblyLimits>;
  readonly random: Random;
  readonly drops: Counters;
  readonly traffic: Counters;
  /** A datagram whose reassembly timed out, for an ICMP Time Exceeded. */
  readonly reassemblyExpired: (expired: ExpiredDatagram, nowMs: number) => void;
}

/** Where a packet goes: out of which interface, to which neighbour, from which address. */
export interface Ipv4Path {
  readonly iface: Ipv4Interface;
  readonly nextHop: number;
  readonly source: number;
}

export class Ipv4Layer {
  readonly routes: Ipv4RouteTable;
  readonly #interfaces: readonly Ipv4Interface[];
  readonly #transports = new Map<number, Ipv4Input>();
  readonly #reassembler: Ipv4Reassembler;
  readonly #drops: Counters;
  readonly #traffic: Counters;
  readonly #reassemblyExpired: Ipv4LayerOptions['reassemblyExpired'];
  readonly #ttl: number;
  #unknownProtocol: Ipv4Input | undefined;
  #identification: number;
  #forwarder: Ipv4Forwarder | undefined;

  constructor(options: Ipv4LayerOptions) {
    this.#interfaces = options.interfaces;
    this.routes = options.routes;
    this.#drops = options.drops;
    this.#traffic = options.traffic;
    this.#reassemblyExpired = options.reassemblyExpired;
    this.#ttl = options.ttl;
    this.#reassembler = new Ipv4Reassembler(
      (reason) => this.#drops.add(`ipv4.${reason}`),
      options.reassembly,
    );
    // RFC 6864 §4.1: unique per source, destination and protocol while a datagram may live; a
    // random start keeps restarts from reusing the last run's values.
    this.#identification = options.random.below(0x10000);
  }

  /** Shows every received packet to `forwarder` first, while it has a policy. */
  attachForwarder(forwarder: Ipv4Forwarder): void {
    this.#forwarder = forwarder;
  }

  register(protocol: number, input: Ipv4Input): void {
    this.#transports.set(protocol, input);
  }

  /** Whether `address` is a usable address of any interface. */
  isLocal(address: number): boolean {
    for (const iface of this.#interfaces) if (iface.owns(address)) return true;
    return false;
  }

  /** Whether a send to `address` is a broadcast: limited, or directed to one of our subnets. */
  isBroadcast(address: number): boolean {
    for (const iface of this.#interfaces) if (iface.isBroadcast(address)) return true;
    return false;
  }

  /** `frame`: the Ethernet frame `bytes` sits in, which a forwarded packet leaves in. */
  input(
    iface: Ipv4Interface,
    bytes: Uint8Array,
    offload: FrameOffload | undefined,
    nowMs: number,
    frame?: Uint8Array,
  ) {
    const checked = Ipv4Packet.checked(bytes);
    if (!checked.ok) {
      this.#drops.add(checked.error.key);
      return;
    }
    let packet = checked.value;
    // The header checksum is always verified here: virtio-net's DATA_VALID speaks for the
    // transport checksum only, and 20 bytes cost little.
    if (!packet.checksumValid()) {
      this.#drops.add('ipv4.bad-checksum');
      return;
    }
    this.#traffic.add('ipv4.received');
    let checksumVerified = offload?.checksumValid === true || offload?.checksumStart !== undefined;
    if (this.#forwarder?.active === true) {
      let inFrame = frame;
      let received = offload;
      if (packet.isFragment) {
        // A router that translates needs whole datagrams: the ports are in the first fragment
        // only. It reassembles what it forwards, as Linux' connection tracking does.
        const whole = this.#reassemble(packet, nowMs);
        if (whole === undefined) return;
        packet = whole;
        inFrame = undefined;
        received = undefined;
        checksumVerified = false;
      }
      if (this.#forwarder.input(iface, inFrame, packet, received, nowMs)) return;
    }
    const destination = packet.destination;
    const broadcast = iface.isBroadcast(destination);
    // The weak host model (RFC 1122 §3.3.4.2): any of our addresses, on any interface.
    if (!broadcast && !this.isLocal(destination)) {
      this.#drops.add(isIpv4Multicast(destination) ? 'ipv4.multicast' : 'ipv4.not-for-us');
      return;
    }
    // RFC 1122 §3.2.1.3: a source that is a broadcast or multicast address is silently dropped.
    const source = packet.source;
    if (source === IPV4_BROADCAST || isIpv4Multicast(source) || this.isBroadcast(source)) {
      this.#drops.add('ipv4.bad-source');
      return;
    }
    if (packet.isFragment) {
      const whole = this.#reassemble(packet, nowMs);
      if (whole === undefined) return;
      packet = whole;
      // The device's verdict covered one fragment, not the datagram.
      checksumVerified = false;
    }
    const transport = this.#transports.get(packet.protocol);
    if (transport === undefined) {
      this.#drops.add('ipv4.unknown-protocol');
      this.#unknownProtocol?.(delivery(iface, packet, checksumVerified, broadcast), nowMs);
      return;
    }
    transport(delivery(iface, packet, checksumVerified, broadcast), nowMs);
  }

  /** Adds a fragment; returns the datagram once it is whole. */
  #reassemble(fragment: Ipv4Packet, nowMs: number): Ipv4Packet | undefined {
    const whole = this.#reassembler.add(fragment, nowMs);
    if (whole === undefined) return undefined;
    this.#traffic.add('ipv4.reassembled');
    const reassembled = Ipv4Packet.checked(whole);
    if (!reassembled.ok) {
      this.#drops.add(reassembled.error.key);
      return undefined;
    }
    return reassembled.value;
  }

  /** Called for a datagram of a protocol nobody registered (ICMP answers protocol unreachable). */
  onUnknownProtocol(handler: Ipv4Input): void {
    this.#unknownProtocol = handler;
  }

  /**
   * The path to `destination`. A limited broadcast leaves by `broadcastInterface` (default the
   * first). Throws OasisError ENETUNREACH without a route, EADDRNOTAVAIL while the interface has
   * no usable address (RFC 5227 probing).
   */
  path(destination: number, source: number | undefined, broadcastInterface = 0): Ipv4Path {
    let iface: Ipv4Interface | undefined;
    let nextHop: number;
    if (destination === IPV4_BROADCAST) {
      iface = this.#interfaces[broadcastInterface];
      nextHop = destination;
    } else {
      const hop = this.routes.lookup(destination);
      if (hop !== undefined) iface = this.#interfaces[hop.route.interfaceIndex];
      nextHop = hop?.nextHop ?? destination;
    }
    if (iface === undefined) {
      throw new OasisError('ENETUNREACH', `no route to ${formatIpv4Address(destination)}`);
    }
    const chosen = source ?? iface.sourceFor(nextHop);
    if (chosen === undefined) {
      throw new OasisError(
        'EADDRNOTAVAIL',
        `interface ${iface.device.name} has no usable IPv4 address yet (address conflict detection is still probing)`,
      );
    }
    return { iface, nextHop, source: chosen };
  }

  /**
   * The longest packet `send` may be given for `path` without fragmenting: the MTU, or the
   * 65,535 bytes of an IPv4 total length (RFC 791 §3.1) when the device segments TCP
   * super-frames and the frame can leave at once (one waiting for ARP carries no offload).
   */
  maxPacketLength(path: Ipv4Path, nowMs: number): number {
    const { iface } = path;
    const { offload } = iface.device;
    if (offload.tso4 && offload.txChecksum && iface.sendsAtOnce(path.nextHop, nowMs)) {
      return 0xffff;
    }
    return iface.mtu;
  }

  /**
   * Sends a datagram, fragmenting it to the interface MTU (RFC 791 §2.3). Throws OasisError:
   * as `path`, and EMSGSIZE when it needs fragmenting and `dontFragment` is set.
   */
  send(request: Ipv4Send, nowMs: number, path = this.path(request.destination, request.source)) {
    const { iface, nextHop, source } = path;
    const totalLength = IPV4_HEADER_LENGTH + request.payloadLength;
    const repr: Ipv4Repr = {
      dscp: 0,
      ecn: 0,
      identification: this.#nextIdentification(),
      reservedFlag: false,
      dontFragment: request.dontFragment,
      moreFragments: false,
      fragmentOffset: 0,
      ttl: request.hopLimit ?? this.#ttl,
      protocol: request.protocol,
      source,
      destination: request.destination,
      options: NO_OPTIONS,
      payloadLength: request.payloadLength,
      checksum: 'compute',
    };
    this.#traffic.add('ipv4.sent');
    const { segmentation } = request;
    if (totalLength > iface.mtu && segmentation !== undefined) {
      const { checksumOffset } = request;
      if (checksumOffset === undefined || totalLength > this.maxPacketLength(path, nowMs)) {
        throw new RangeError(
          `a ${totalLength}-byte super-frame cannot leave ${iface.device.name} now: it needs a checksum offset and maxPacketLength's consent`,
        );
      }
      iface.sendIpv4(nextHop, totalLength, nowMs, (packet) => {
        emitIpv4(repr, packet);
        request.write(packet.subarray(IPV4_HEADER_LENGTH), source, true);
        return {
          checksumStart: ETHERNET_HEADER_LENGTH + IPV4_HEADER_LENGTH,
          checksumOffset,
          segmentation: {
            kind: 'tcp4',
            segmentSize: segmentation.segmentSize,
            headerLength: ETHERNET_HEADER_LENGTH + IPV4_HEADER_LENGTH + segmentation.headerLength,
          },
        };
      });
      return;
    }
    if (totalLength <= iface.mtu) {
      iface.sendIpv4(nextHop, totalLength, nowMs, (packet, mayOffload) => {
        emitIpv4(repr, packet);
        const offload = mayOffload && request.checksumOffset !== undefined;
        request.write(packet.subarray(IPV4_HEADER_LENGTH), source, offload);
        if (!offload) return undefined;
        return {
          checksumStart: ETHERNET_HEADER_LENGTH + IPV4_HEADER_LENGTH,
          checksumOffset: request.checksumOffset,
        };
      });
      return;
    }
    if (request.dontFragment) {
      throw new OasisError(
        'EMSGSIZE',
        `a ${totalLength}-byte datagram exceeds the ${iface.mtu}-byte MTU of ${iface.device.name} and must not be fragmented`,
      );
    }
    const payload = new Uint8Array(request.payloadLength);
    request.write(payload, source, false);
    const fragments: Uint8Array[] = [];
    fragmentIpv4(repr, payload, iface.mtu, (length) => {
      const fragment = new Uint8Array(length);
      fragments.push(fragment);
      return fragment;
    });
    this.#traffic.add('ipv4.fragments-sent', fragments.length);
    for (const fragment of fragments) {
      iface.sendIpv4(nextHop, fragment.length, nowMs, (packet) => {
        packet.set(fragment);
        return undefined;
      });
    }
  }

  #nextIdentification(): number {
    this.#identification = (this.#identification + 1) & 0xffff;
    return this.#identification;
  }

  poll(nowMs: number): void {
    for (const expired of this.#reassembler.poll(nowMs)) this.#reassemblyExpired(expired, nowMs);
  }

  pollAt(): number | undefined {
    return this.#reassembler.pollAt();
  }
}

const NO_OPTIONS = new Uint8Array(0);

function delivery(
  iface: Ipv4Interface,
  packet: Ipv4Packet,
  checksumVerified: boolean,
  broadcast: boolean,
): Ipv4Delivery {
  return {
    iface,
    packet,
    source: packet.source,
    destination: packet.destination,
    payload: packet.payload,
    checksumVerified,
    broadcast,
  };
}
