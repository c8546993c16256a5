// The IPv6 layer of a host (RFC 8200): input validation, the extension-header chain, reassembly
// and demultiplexing to the upper layers; output with route and source selection, path MTU
// (RFC 8201) and fragmentation at the source. Neighbour discovery, addresses and multicast
// listening belong to each link's Ipv6Interface.

import { type Counters, OasisError, type Random } from '@oasis/core';
import type { FrameOffload } from '@oasis/runtime';
import {
  ETHERNET_HEADER_LENGTH,
  formatIpv6Address,
  ICMPV6_PARAMETER_UNRECOGNIZED_NEXT_HEADER,
  IP_PROTOCOL_ICMPV6,
  IP_PROTOCOL_IPV6_FRAGMENT,
  IP_PROTOCOL_IPV6_NO_NEXT,
  IPV6_HEADER_LENGTH,
  IPV6_MAX_PAYLOAD_LENGTH,
  IPV6_MIN_MTU,
  Ipv6HeaderChain,
  Ipv6Packet,
  type Ipv6ParameterProblem,
  isIpv6LinkLocal,
  isIpv6Multicast,
  walkIpv6Headers,
  writeIpv6Header,
} from '@oasis/wire';
import type { ReassemblyLimits } from './fragment-reassembly.ts';
import type { TransportDelivery, TransportInput, TransportSend } from './ip-network.ts';
import { fragmentIpv6 } from './ipv6-fragmentation.ts';
import type { Ipv6Interface } from './ipv6-interface.ts';
import { Ipv6PathMtuCache } from './ipv6-path-mtu.ts';
import { type ExpiredIpv6Datagram, Ipv6Reassembler } from './ipv6-reassembly.ts';

/** A packet delivered to an upper layer, borrowed for the call. */
export interface Ipv6Delivery extends TransportDelivery<Uint8Array> {
  readonly iface: Ipv6Interface;
  /** The whole packet from its IPv6 header on (reassembled when it came in fragments). */
  readonly packet: Uint8Array;
  readonly hopLimit: number;
  /** The destination is one of our addresses still under duplicate address detection. */
  readonly tentative: boolean;
}

export type Ipv6Input = TransportInput<Ipv6Delivery>;

/** Where a packet goes: out of which link, to which neighbour, from which address. */
export interface Ipv6Path {
  readonly iface: Ipv6Interface;
  readonly nextHop: Uint8Array;
  readonly source: Uint8Array;
  readonly destination: Uint8Array;
}

export interface Ipv6LayerOptions {
  readonly interfaces: readonly Ipv6Interface[];
  readonly reassembly: Partial<ReassemblyLimits>;
  readonly random: Random;
  readonly drops: Counters;
  readonly traffic: Counters;
  /** A packet refused with an ICMPv6 Parameter Problem (RFC 8200 §4, RFC 4443 §3.4). */
  readonly parameterProblem: (
    problem: Ipv6ParameterProblem,
    delivery: Ipv6Delivery,
    nowMs: number,
  ) => void;
  /** A packet whose reassembly timed out, for an ICMPv6 Time Exceeded (RFC 8200 §4.5). */
  readonly reassemblyExpired: (expired: ExpiredIpv6Datagram, nowMs: number) => void;
}

export class Ipv6Layer {
  readonly interfaces: readonly Ipv6Interface[];
  readonly pathMtu = new Ipv6PathMtuCache();
  readonly #upper = new Map<number, Ipv6Input>();
  readonly #chain = new Ipv6HeaderChain();
  /** The Parameter Problem for an unrecognised next header, reused. */
  readonly #problem: Ipv6ParameterProblem = { code: 0, pointer: 0, evenIfMulticast: false };
  readonly #reassembler: Ipv6Reassembler;
  readonly #options: Ipv6LayerOptions;
  readonly #drops: Counters;
  readonly #traffic: Counters;
  #identification: number;

  constructor(options: Ipv6LayerOptions) {
    this.interfaces = options.interfaces;
    this.#options = options;
    this.#drops = options.drops;
    this.#traffic = options.traffic;
    this.#reassembler = new Ipv6Reassembler(
      (reason) => this.#drops.add(`ipv6.${reason}`),
      options.reassembly,
    );
    // RFC 7739 §5: fragment identifications that an observer cannot predict.
    this.#identification = options.random.below(0x1_0000_0000);
  }

  register(protocol: number, input: Ipv6Input): void {
    this.#upper.set(protocol, input);
  }

  /** Whether `address` is a usable unicast address of any interface. */
  isLocal(address: Uint8Array): boolean {
    for (const iface of this.interfaces) if (iface.owns(address)) return true;
    return false;
  }

  input(iface: Ipv6Interface, bytes: Uint8Array, offload: FrameOffload | undefined, nowMs: number) {
    const checked = Ipv6Packet.checked(bytes);
    if (!checked.ok) {
      this.#drops.add(checked.error.key);
      return;
    }
    let packet = checked.value;
    this.#traffic.add('ipv6.received');
    // RFC 4291 §2.7: a multicast address is never a source.
    if (bytes[8] === 0xff) {
      this.#drops.add('ipv6.bad-source');
      return;
    }
    const destination = packet.destination;
    const multicast = isIpv6Multicast(destination);
    let tentative = false;
    if (multicast) {
      if (!iface.listens(destination)) {
        this.#drops.add('ipv6.not-joined');
        return;
      }
    } else if (!this.isLocal(destination)) {
      // RFC 4862 §5.4: a tentative address takes Neighbor Discovery only (checked above it).
      tentative = iface.isTentative(destination);
      if (!tentative) {
        this.#drops.add('ipv6.not-for-us');
        return;
      }
    }
    let checksumVerified = offload?.checksumValid === true || offload?.checksumStart !== undefined;
    const chain = this.#chain;
    let verdict = walkIpv6Headers(packet, chain);
    if (verdict === undefined && chain.protocol === IP_PROTOCOL_IPV6_FRAGMENT) {
      const whole = this.#reassembler.add(
        packet.bytes,
        {
          headerOffset: chain.fragmentHeaderOffset,
          dataOffset: chain.fragmentDataOffset,
          offset: chain.fragmentOffset,
          more: chain.moreFragments,
          identification: chain.fragmentIdentification,
          nextHeader: chain.fragmentNextHeader,
          payloadEnd: packet.totalLength,
        },
        nowMs,
      );
      if (whole === undefined) return;
      this.#traffic.add('ipv6.reassembled');
      const reassembled = Ipv6Packet.checked(whole);
      if (!reassembled.ok) {
        this.#drops.add(reassembled.error.key);
        return;
      }
      packet = reassembled.value;
      // The device's verdict covered one fragment, not the packet.
      checksumVerified = false;
      verdict = walkIpv6Headers(packet, chain);
    }
    const delivery: Ipv6Delivery = {
      iface,
      packet: packet.bytes.subarray(0, packet.totalLength),
      source: packet.source,
      destination,
      payload: packet.bytes.subarray(chain.upperOffset, packet.totalLength),
      checksumVerified,
      broadcast: multicast,
      hopLimit: packet.hopLimit,
      tentative,
    };
    if (verdict !== undefined) {
      this.#drops.add(verdict.key);
      const problem = verdict.icmp;
      // RFC 4443 §2.4 (e): no error about a packet to a multicast address, but for option
      // action 10 (RFC 8200 §4.2).
      if (problem !== undefined && (!multicast || problem.evenIfMulticast)) {
        this.#options.parameterProblem(problem, delivery, nowMs);
      }
      return;
    }
    if (chain.atomicFragment) this.#traffic.add('ipv6.atomic-fragments');
    if (chain.protocol === IP_PROTOCOL_IPV6_NO_NEXT) {
      this.#traffic.add('ipv6.no-next-header');
      return;
    }
    const upper = this.#upper.get(chain.protocol);
    if (upper === undefined) {
      this.#drops.add('ipv6.unknown-next-header');
      if (!multicast) {
        // RFC 8200 §4: an unrecognised Next Header is answered with a Parameter Problem, code 1,
        // pointing at the field that named it.
        this.#problem.code = ICMPV6_PARAMETER_UNRECOGNIZED_NEXT_HEADER;
        this.#problem.pointer = chain.protocolPointer;
        this.#options.parameterProblem(this.#problem, delivery, nowMs);
      }
      return;
    }
    // The ICMPv6 layer lets Neighbor Discovery through to a tentative address; nothing else.
    if (tentative && chain.protocol !== IP_PROTOCOL_ICMPV6) {
      this.#drops.add('ipv6.tentative-destination');
      return;
    }
    upper(delivery, nowMs);
  }

  /**
   * The path to `destination`, from `source` when given. Link-local and multicast destinations
   * leave by the source's interface, else the first (RFC 4007 §6: without a zone, the default
   * zone). Others by the interface that has them on link, else by a default router. Throws
   * OasisError ENETUNREACH without either, EADDRNOTAVAIL when no source address is usable yet.
   */
  path(destination: Uint8Array, source: Uint8Array | undefined): Ipv6Path {
    let iface: Ipv6Interface | undefined;
    let nextHop: Uint8Array | undefined;
    if (source !== undefined) {
      iface = this.interfaces.find((candidate) => candidate.owns(source));
      if (iface === undefined) {
        throw new OasisError(
          'EADDRNOTAVAIL',
          `${formatIpv6Address(source)} is not an address of this stack`,
        );
      }
    }
    if (isIpv6LinkLocal(destination) || isIpv6Multicast(destination)) {
      iface ??= this.interfaces[0];
      nextHop = destination;
    } else {
      for (const candidate of source === undefined ? this.interfaces : [iface!]) {
        if (candidate.isOnLink(destination)) {
          iface = candidate;
          nextHop = destination;
          break;
        }
      }
      if (nextHop === undefined) {
        for (const candidate of source === undefined ? this.interfaces : [iface!]) {
          const router = candidate.defaultRouter();
          if (router !== undefined) {
            iface = candidate;
            nextHop = router;
            break;
          }
        }
      }
    }
    if (iface === undefined || nextHop === undefined) {
      throw new OasisError('ENETUNREACH', `no route to ${formatIpv6Address(destination)}`);
    }
    const chosen = source ?? iface.sourceFor(destination);
    if (chosen === undefined) {
      throw new OasisError(
        'EADDRNOTAVAIL',
        `interface ${iface.name} has no usable IPv6 address for ${formatIpv6Address(destination)} yet (duplicate address detection, or no router advertisement)`,
      );
    }
    return { iface, nextHop, source: chosen, destination };
  }

  /** The path MTU towards the path's destination: the link's, lowered by Packet Too Big. */
  mtuOf(path: Ipv6Path, nowMs: number): number {
    return this.pathMtu.mtu(path.destination, path.iface.mtu, nowMs);
  }

  /**
   * The longest packet `send` may be given for `path` unfragmented: the path MTU, or a TCP
   * super-frame (40 + 65,535 bytes) when the device segments TCP over IPv6 and the frame can
   * leave at once.
   */
  maxPacketLength(path: Ipv6Path, nowMs: number): number {
    const { iface } = path;
    const { offload } = iface.device;
    if (offload.tso6 && offload.txChecksum && iface.sendsAtOnce(path.nextHop, nowMs)) {
      return IPV6_HEADER_LENGTH + IPV6_MAX_PAYLOAD_LENGTH;
    }
    return this.mtuOf(path, nowMs);
  }

  /**
   * Sends a packet, fragmenting it to the path MTU unless `dontFragment` (RFC 8200 §4.5: only
   * the source fragments). Throws OasisError: as `path`, and EMSGSIZE.
   */
  send(
    request: TransportSend<Uint8Array>,
    nowMs: number,
    path = this.path(request.destination, request.source),
  ): void {
    const { iface, nextHop, source } = path;
    const destination = request.destination;
    const hopLimit = request.hopLimit ?? iface.hopLimit;
    const packetLength = IPV6_HEADER_LENGTH + request.payloadLength;
    if (request.payloadLength > IPV6_MAX_PAYLOAD_LENGTH) {
      throw new OasisError(
        'EMSGSIZE',
        `an IPv6 payload holds at most ${IPV6_MAX_PAYLOAD_LENGTH} bytes, got ${request.payloadLength}`,
      );
    }
    this.#traffic.add('ipv6.sent');
    const writeHeader = (packet: Uint8Array, nextHeader: number, payloadLength: number) =>
      writeIpv6Header(packet, source, destination, nextHeader, hopLimit, payloadLength);
    const mtu = this.mtuOf(path, nowMs);
    const { segmentation, checksumOffset } = request;
    if (packetLength > mtu && segmentation !== undefined) {
      if (checksumOffset === undefined || packetLength > this.maxPacketLength(path, nowMs)) {
        throw new RangeError(
          `a ${packetLength}-byte super-frame cannot leave ${iface.name} now: it needs a checksum offset and maxPacketLength's consent`,
        );
      }
      iface.sendIpv6(nextHop, packetLength, nowMs, (packet) => {
        writeHeader(packet, request.protocol, request.payloadLength);
        request.write(packet.subarray(IPV6_HEADER_LENGTH), source, true);
        return {
          checksumStart: ETHERNET_HEADER_LENGTH + IPV6_HEADER_LENGTH,
          checksumOffset,
          segmentation: {
            kind: 'tcp6',
            segmentSize: segmentation.segmentSize,
            headerLength: ETHERNET_HEADER_LENGTH + IPV6_HEADER_LENGTH + segmentation.headerLength,
          },
        };
      });
      return;
    }
    if (packetLength <= mtu) {
      iface.sendIpv6(nextHop, packetLength, nowMs, (packet, mayOffload) => {
        writeHeader(packet, request.protocol, request.payloadLength);
        const offload = mayOffload && checksumOffset !== undefined;
        request.write(packet.subarray(IPV6_HEADER_LENGTH), source, offload);
        if (!offload) return undefined;
        return { checksumStart: ETHERNET_HEADER_LENGTH + IPV6_HEADER_LENGTH, checksumOffset };
      });
      return;
    }
    if (request.dontFragment) {
      throw new OasisError(
        'EMSGSIZE',
        `a ${packetLength}-byte packet exceeds the ${mtu}-byte path MTU to ${formatIpv6Address(destination)} and must not be fragmented`,
      );
    }
    const header = new Uint8Array(IPV6_HEADER_LENGTH);
    writeHeader(header, request.protocol, 0);
    const payload = new Uint8Array(request.payloadLength);
    request.write(payload, source, false);
    const fragments: Uint8Array[] = [];
    fragmentIpv6(header, request.protocol, payload, mtu, this.#nextIdentification(), (length) => {
      const fragment = new Uint8Array(length);
      fragments.push(fragment);
      return fragment;
    });
    this.#traffic.add('ipv6.fragments-sent', fragments.length);
    for (const fragment of fragments) {
      iface.sendIpv6(nextHop, fragment.length, nowMs, (packet) => {
        packet.set(fragment);
        return undefined;
      });
    }
  }

  /** Lowers the path MTU to `destination` (RFC 8201 §4); true if it was lowered. */
  lowerPathMtu(destination: Uint8Array, mtu: number, linkMtu: number, nowMs: number): boolean {
    return this.pathMtu.lower(destination, Math.max(mtu, IPV6_MIN_MTU), linkMtu, nowMs);
  }

  #nextIdentification(): number {
    this.#identification = (this.#identification + 1) >>> 0;
    return this.#identification;
  }

  poll(nowMs: number): void {
    for (const expired of this.#reassembler.poll(nowMs)) {
      this.#options.reassemblyExpired(expired, nowMs);
    }
    this.pathMtu.poll(nowMs);
  }

  pollAt(): number | undefined {
    return this.#reassembler.pollAt();
  }
}
