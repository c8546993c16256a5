// Forwarding, the router's half of IPv4 (RFC 1812 §5): a policy installed by the service sees each
// received datagram first (Ipv4Forwarding in @oasis/runtime); what it forwards leaves by the
// route table with its TTL decremented. A datagram that came in one frame leaves in that same
// frame: the Ethernet header is rewritten in place and the received buffer is sent, offload
// metadata included, so a TCP super-frame crosses the router whole and is cut by the egress
// device. Only a datagram that waits for ARP, was reassembled or must be fragmented is copied.

import {
  type Counters,
  readU16BE,
  readU32BE,
  sumWords,
  updateChecksum16,
  writeU16BE,
} from '@oasis/core';
import type {
  ForwardingInterface,
  ForwardingPolicy,
  FrameOffload,
  Ipv4Forwarding,
  ReceivedPacket,
} from '@oasis/runtime';
import {
  ETHERNET_HEADER_LENGTH,
  ETHERTYPE_IPV4,
  ICMPV4_TTL_EXCEEDED,
  IP_PROTOCOL_UDP,
  IPV4_BROADCAST,
  type Ipv4Packet,
  icmpv4FragmentationNeeded,
  icmpv4TimeExceeded,
  isIpv4Multicast,
  parseIpv4,
  writeEthernetHeader,
} from '@oasis/wire';
import type { Icmpv4Layer } from './icmpv4-layer.ts';
import { fragmentIpv4 } from './ipv4-fragmentation.ts';
import type { Ipv4Interface } from './ipv4-interface.ts';
import type { Ipv4RouteTable } from './ipv4-route-table.ts';

export interface Ipv4ForwarderOptions {
  readonly interfaces: readonly Ipv4Interface[];
  /** The declared interface names, in order; default `eth0`, `eth1`, ... */
  readonly names: readonly string[] | undefined;
  readonly routes: Ipv4RouteTable;
  readonly icmp: () => Icmpv4Layer;
  readonly portInUse: (protocol: number, port: number) => boolean;
  readonly drops: Counters;
  readonly traffic: Counters;
}

export class Ipv4Forwarder implements Ipv4Forwarding {
  readonly interfaces: readonly ForwardingInterface[];
  readonly #ifaces: readonly Ipv4Interface[];
  readonly #routes: Ipv4RouteTable;
  readonly #icmp: () => Icmpv4Layer;
  readonly #portInUse: (protocol: number, port: number) => boolean;
  readonly #drops: Counters;
  readonly #traffic: Counters;
  readonly #received: ReceivedPacket = { ingress: 0, partialChecksum: false, segmentSize: 0 };
  #policy: ForwardingPolicy | undefined;

  constructor(options: Ipv4ForwarderOptions) {
    this.#ifaces = options.interfaces;
    this.#routes = options.routes;
    this.#icmp = options.icmp;
    this.#portInUse = options.portInUse;
    this.#drops = options.drops;
    this.#traffic = options.traffic;
    this.interfaces = options.interfaces.map((iface, index) => ({
      name: options.names?.[index] ?? `eth${index}`,
      mtu: iface.mtu,
      ipv4: iface.addresses.map(({ address, prefixLength }) => ({ address, prefixLength })),
    }));
  }

  get active(): boolean {
    return this.#policy !== undefined;
  }

  setPolicy(policy: ForwardingPolicy | undefined): void {
    this.#policy = policy;
  }

  egressOf(destination: number): number {
    return this.#routes.routeFor(destination)?.interfaceIndex ?? -1;
  }

  portInUse(protocol: number, port: number): boolean {
    return this.#portInUse(protocol, port);
  }

  /**
   * Shows `packet` (whole, checked; `frame` the Ethernet frame it sits in, or undefined when it
   * was reassembled) to the policy. Returns true when the policy took it: the stack must not
   * deliver it.
   */
  input(
    iface: Ipv4Interface,
    frame: Uint8Array | undefined,
    packet: Ipv4Packet,
    offload: FrameOffload | undefined,
    nowMs: number,
  ): boolean {
    const policy = this.#policy;
    if (policy === undefined) return false;
    const length = packet.totalLength;
    const datagram =
      packet.bytes.length === length ? packet.bytes : packet.bytes.subarray(0, length);
    const received = this.#received;
    received.ingress = iface.index;
    received.partialChecksum = offload?.checksumStart !== undefined;
    received.segmentSize = offload?.segmentation?.segmentSize ?? 0;
    const verdict = policy.route(datagram, received, nowMs);
    switch (verdict) {
      case 'deliver':
        return false;
      case 'drop':
        return true;
      case 'forward':
        this.#forward(frame, datagram, offload, nowMs);
        return true;
      case 'time-exceeded':
        // RFC 1812 §5.3.1: a router that will not forward a datagram for its TTL tells the sender.
        this.#drops.add('forward.ttl-exceeded');
        this.#icmp().sendError(
          icmpv4TimeExceeded(ICMPV4_TTL_EXCEEDED, datagram),
          { packet, broadcast: false },
          nowMs,
        );
        return true;
      case 'too-big': {
        this.#drops.add('forward.too-big');
        const egress = this.#ifaces[this.egressOf(readU32BE(datagram, 16))] ?? iface;
        // RFC 1191 §4: the next-hop MTU goes in the low-order 16 bits of the unused field.
        this.#icmp().sendError(
          icmpv4FragmentationNeeded(egress.mtu, datagram),
          { packet, broadcast: false },
          nowMs,
        );
        return true;
      }
    }
  }

  #forward(
    frame: Uint8Array | undefined,
    datagram: Uint8Array,
    offload: FrameOffload | undefined,
    nowMs: number,
  ): void {
    const destination = readU32BE(datagram, 16);
    // RFC 1812 §5.3.5 and §4.2.2.11: limited broadcasts and multicast are not forwarded here,
    // nor are datagrams to this-network or loopback addresses.
    if (
      destination === IPV4_BROADCAST ||
      isIpv4Multicast(destination) ||
      destination >>> 24 === 0 ||
      destination >>> 24 === 127
    ) {
      this.#drops.add('forward.bad-destination');
      return;
    }
    const route = this.#routes.routeFor(destination);
    const out = route === undefined ? undefined : this.#ifaces[route.interfaceIndex];
    if (route === undefined || out === undefined) {
      this.#drops.add('forward.no-route');
      return;
    }
    if (out.isBroadcast(destination)) {
      // RFC 2644: directed broadcasts are not forwarded by default.
      this.#drops.add('forward.directed-broadcast');
      return;
    }
    if (datagram[8]! <= 1) {
      // The policy should have answered `time-exceeded`; never send a TTL of 0.
      this.#drops.add('forward.ttl-exceeded');
      return;
    }
    decrementTtl(datagram);
    const nextHop = route.gateway ?? destination;
    const { device } = out;
    const segmentation = offload?.segmentation;
    if (segmentation !== undefined && !(device.offload.tso4 && device.offload.txChecksum)) {
      this.#drops.add('forward.no-segmentation-offload');
      return;
    }
    const length = datagram.length;
    if (length > out.mtu && segmentation === undefined) {
      this.#fragment(out, nextHop, datagram, offload, nowMs);
      return;
    }
    this.#traffic.add('forward.packets');
    const mac = out.arp.lookup(nextHop, nowMs);
    if (
      frame !== undefined &&
      mac !== undefined &&
      (offload?.checksumStart === undefined || device.offload.txChecksum)
    ) {
      // The frame leaves as it came: the same buffer, a new Ethernet header, the same offload.
      const whole = frame.subarray(0, ETHERNET_HEADER_LENGTH + length);
      writeEthernetHeader(whole, mac, out.mac, ETHERTYPE_IPV4);
      out.output.send(whole, offload);
      return;
    }
    if (segmentation !== undefined) {
      // A super-frame cannot wait for ARP: queued frames carry no offload metadata.
      this.#drops.add('forward.unresolved-super-frame');
      return;
    }
    if (offload?.checksumStart !== undefined) finishChecksum(datagram, offload);
    out.sendIpv4(nextHop, length, nowMs, (packet) => {
      packet.set(datagram);
      return undefined;
    });
  }

  /** RFC 791 §3.2 fragmentation of a forwarded datagram that is too big for the egress link. */
  #fragment(
    out: Ipv4Interface,
    nextHop: number,
    datagram: Uint8Array,
    offload: FrameOffload | undefined,
    nowMs: number,
  ): void {
    // The header was verified on input and rewritten with checksum updates since.
    const parsed = parseIpv4(datagram, { verifyChecksum: false });
    if (!parsed.ok || parsed.value.dontFragment) {
      // The policy should have answered `too-big` for DF; a header we cannot re-emit is dropped.
      this.#drops.add('forward.too-big');
      return;
    }
    if (offload?.checksumStart !== undefined) finishChecksum(datagram, offload);
    const repr = { ...parsed.value, checksum: 'compute' as const };
    const payload = datagram.subarray(datagram.length - repr.payloadLength);
    const fragments: Uint8Array[] = [];
    fragmentIpv4(repr, payload, out.mtu, (size) => {
      const fragment = new Uint8Array(size);
      fragments.push(fragment);
      return fragment;
    });
    this.#traffic.add('forward.packets');
    this.#traffic.add('forward.fragments-sent', fragments.length);
    for (const fragment of fragments) {
      out.sendIpv4(nextHop, fragment.length, nowMs, (packet) => {
        packet.set(fragment);
        return undefined;
      });
    }
  }
}

/** TTL − 1 with the header checksum updated incrementally (RFC 1624 §3 works this very case). */
export function decrementTtl(datagram: Uint8Array): void {
  const oldWord = readU16BE(datagram, 8);
  datagram[8] = datagram[8]! - 1;
  writeU16BE(datagram, 10, updateChecksum16(readU16BE(datagram, 10), oldWord, oldWord - 0x100));
}

/**
 * Completes a checksum the sender left partial (virtio-net NEEDS_CSUM, virtio v1.2 §5.1.6.2): the
 * field holds the pseudo-header sum, so summing from `checksumStart` to the end and complementing
 * gives the checksum. For a datagram leaving without offload (queued for ARP, or fragmented).
 */
function finishChecksum(datagram: Uint8Array, offload: FrameOffload): void {
  const start = (offload.checksumStart ?? 0) - ETHERNET_HEADER_LENGTH;
  const at = start + (offload.checksumOffset ?? 0);
  if (start < 0 || at + 2 > datagram.length) return;
  let checksum = ~sumWords(datagram.subarray(start)) & 0xffff;
  // RFC 768: a UDP checksum that computes to zero is sent as all ones.
  if (checksum === 0 && datagram[9] === IP_PROTOCOL_UDP) checksum = 0xffff;
  datagram[at] = checksum >>> 8;
  datagram[at + 1] = checksum & 0xff;
}
