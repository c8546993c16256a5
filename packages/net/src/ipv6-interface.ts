// IPv6 on one Ethernet link: the addresses, routers and groups of Ipv6HostConfig (RFC 4862,
// RFC 4861 §6.3, RFC 3810) turned into packets, Neighbor Discovery (RFC 4861 §7: answering
// solicitations for our addresses, resolving next hops through the NDP cache), and the frames
// of IPv6 packets (RFC 2464: multicast to 33:33 and the group's low 32 bits).

import { bytesEqual, type Counters, type Logger, type Random } from '@oasis/core';
import type { FrameOffload, NetDevice } from '@oasis/runtime';
import {
  ETHERNET_HEADER_LENGTH,
  ETHERTYPE_IPV6,
  emitMldv2Report,
  emitNdp,
  eui64InterfaceIdentifier,
  formatIpv6Address,
  IP_PROTOCOL_HOP_BY_HOP,
  IP_PROTOCOL_ICMPV6,
  IPV6_ALL_MLDV2_ROUTERS,
  IPV6_ALL_NODES,
  IPV6_ALL_ROUTERS,
  IPV6_HEADER_LENGTH,
  IPV6_UNSPECIFIED,
  ipv6MulticastMac,
  ipv6PseudoHeaderSum,
  isIpv6LinkLocal,
  isIpv6Multicast,
  isIpv6Unspecified,
  type MldQuery,
  mldv2ReportLength,
  type NdpRepr,
  ndpLength,
  solicitedNodeAddress,
  writeEthernetHeader,
  writeIpv6Header,
} from '@oasis/wire';
import { earliestDeadline } from './deadline.ts';
import type { FrameOutput } from './frame-output.ts';
import { type Ipv6ConfigAction, Ipv6HostConfig } from './ipv6-host-config.ts';
import {
  createNdpCache,
  NDP_LEARN_NEIGHBOR_SOLICITATION,
  NDP_LEARN_ROUTER_ADVERTISEMENT,
  type NdpCache,
  type NdpCacheOptions,
} from './ndp-cache.ts';

/** RFC 4861 §6.1, §7.1: Neighbor Discovery messages are sent, and accepted, with hop limit 255. */
const NDP_HOP_LIMIT = 255;
/** RFC 3810 §5: MLD messages go with hop limit 1 and a Router Alert option. */
const MLD_HOP_LIMIT = 1;
/** A hop-by-hop header holding Router Alert 0 (RFC 2711 §2.1, MLD) and a 2-byte PadN. */
const ROUTER_ALERT_HEADER = Uint8Array.of(IP_PROTOCOL_ICMPV6, 0, 5, 2, 0, 0, 1, 0);

/** How an interface's IPv6 is configured: addresses from router advertisements, or static. */
export type Ipv6InterfaceConfig =
  | { readonly mode: 'auto' }
  | {
      readonly mode: 'static';
      readonly addresses: readonly {
        readonly address: Uint8Array;
        readonly prefixLength: number;
      }[];
      readonly gateway: Uint8Array | undefined;
    };

/** The Ethernet link the interface shares with IPv4. */
export interface Ipv6Link {
  readonly device: NetDevice;
  readonly mac: Uint8Array;
  readonly output: FrameOutput;
}

export interface Ipv6InterfaceOptions {
  readonly link: Ipv6Link;
  readonly config: Ipv6InterfaceConfig;
  readonly ndp: Partial<NdpCacheOptions>;
  /** Neighbor Solicitations sent for duplicate address detection (RFC 4862 §5.1); 0 = none. */
  readonly dadTransmits: number;
  readonly random: Random;
  readonly nowMs: number;
  readonly drops: Counters;
  readonly traffic: Counters;
  readonly logger: Logger;
  /** Packets whose next hop did not answer, for ICMPv6 address unreachable (RFC 4861 §7.2.2). */
  readonly unresolved: (frames: readonly Uint8Array[]) => void;
}

export class Ipv6Interface {
  readonly device: NetDevice;
  readonly mac: Uint8Array;
  readonly config: Ipv6HostConfig;
  readonly neighbours: NdpCache;
  readonly #link: Ipv6Link;
  readonly #drops: Counters;
  readonly #traffic: Counters;
  readonly #logger: Logger;

  constructor(options: Ipv6InterfaceOptions) {
    this.#link = options.link;
    this.device = options.link.device;
    this.mac = options.link.mac;
    this.#drops = options.drops;
    this.#traffic = options.traffic;
    this.#logger = options.logger;
    const { config } = options;
    this.config = new Ipv6HostConfig({
      mode: config.mode,
      interfaceIdentifier: eui64InterfaceIdentifier(this.mac),
      staticAddresses: config.mode === 'static' ? config.addresses : [],
      ...(config.mode === 'static' && config.gateway !== undefined
        ? { staticGateway: config.gateway }
        : {}),
      linkMtu: this.device.mtu,
      dadTransmits: options.dadTransmits,
      random: options.random,
      nowMs: options.nowMs,
    });
    this.neighbours = createNdpCache(
      {
        request: (target, targetMac) => this.#solicit(target, targetMac),
        transmit: (frame) => this.#link.output.send(frame),
        drop: (reason, frames) => this.#drops.add(reason, frames),
        unresolved: (frames) => options.unresolved(frames),
        routerLost: (address) => this.config.routerLost(address),
      },
      options.ndp,
    );
  }

  get name(): string {
    return this.device.name;
  }

  /** The link MTU: the device's, or less when a router advertised less (RFC 4861 §6.3.4). */
  get mtu(): number {
    return this.config.mtu;
  }

  get hopLimit(): number {
    return this.config.hopLimit;
  }

  /** Whether every address that must be checked first is past duplicate address detection. */
  get ready(): boolean {
    return this.config.ready;
  }

  owns(address: Uint8Array): boolean {
    return this.config.owns(address);
  }

  isTentative(address: Uint8Array): boolean {
    return this.config.isTentative(address);
  }

  /** Whether packets to the multicast `group` are for this host (all-nodes, joined groups). */
  listens(group: Uint8Array): boolean {
    if (this.config.disabled) return false;
    return bytesEqual(group, IPV6_ALL_NODES) || this.config.isJoined(group);
  }

  /**
   * Whether a frame to the multicast MAC `mac` may carry a group this host listens to: all-nodes
   * (33:33:00:00:00:01) and the solicited-node groups (33:33:ff:..., RFC 2464 §7 with RFC 4291
   * §2.7.1). Which of those are joined is decided by the packet's address (`listens`).
   */
  acceptsMulticastMac(mac: Uint8Array): boolean {
    if (mac[0] !== 0x33 || mac[1] !== 0x33) return false;
    if (mac[2] === 0xff) return true;
    return mac[2] === 0 && mac[3] === 0 && mac[4] === 0 && mac[5] === 1;
  }

  isOnLink(address: Uint8Array): boolean {
    return this.config.isOnLink(address);
  }

  defaultRouter(): Uint8Array | undefined {
    return this.config.defaultRouter();
  }

  sourceFor(destination: Uint8Array): Uint8Array | undefined {
    return this.config.sourceFor(destination);
  }

  /** Whether a frame to `nextHop` leaves at once: multicast, or its link address is known. */
  sendsAtOnce(nextHop: Uint8Array, nowMs: number): boolean {
    return isIpv6Multicast(nextHop) || this.neighbours.lookup(nextHop, nowMs) !== undefined;
  }

  /**
   * Sends an IPv6 packet of `length` bytes to `nextHop` on this link; `write` fills it (as
   * Ipv4Interface.sendIpv4's does). Frames waiting for Neighbor Discovery carry no offload.
   */
  sendIpv6(
    nextHop: Uint8Array,
    length: number,
    nowMs: number,
    write: (packet: Uint8Array, mayOffload: boolean) => FrameOffload | undefined,
  ): void {
    const output = this.#link.output;
    const destinationMac = isIpv6Multicast(nextHop)
      ? ipv6MulticastMac(nextHop)
      : this.neighbours.lookup(nextHop, nowMs);
    if (destinationMac !== undefined) {
      const frame = output.allocate(ETHERNET_HEADER_LENGTH + length);
      writeEthernetHeader(frame, destinationMac, this.mac, ETHERTYPE_IPV6);
      const offload = write(frame.subarray(ETHERNET_HEADER_LENGTH), this.device.offload.txChecksum);
      output.send(frame, offload);
      return;
    }
    const frame = new Uint8Array(ETHERNET_HEADER_LENGTH + length);
    writeEthernetHeader(frame, IPV6_UNSPECIFIED.subarray(0, 6), this.mac, ETHERTYPE_IPV6);
    write(frame.subarray(ETHERNET_HEADER_LENGTH), false);
    const mac = this.neighbours.resolve(nextHop, frame, nowMs);
    if (mac !== undefined) {
      frame.set(mac, 0);
      output.send(frame);
    }
  }

  // --- Neighbor Discovery and MLD input (validated by the ICMPv6 layer) ---------------------

  /**
   * A Neighbor Discovery message for this link, its hop limit 255 and code checked (RFC 4861
   * §6.1, §7.1) by the caller, from `source` to `destination`.
   */
  neighborDiscovery(
    message: NdpRepr,
    source: Uint8Array,
    destination: Uint8Array,
    nowMs: number,
  ): void {
    switch (message.kind) {
      case 'neighbor-solicitation':
        this.#neighborSolicitation(message, source, destination, nowMs);
        return;
      case 'neighbor-advertisement': {
        // RFC 4861 §7.1.2: an NA to a multicast address must not have the Solicited flag.
        if (message.solicited && isIpv6Multicast(destination)) {
          this.#drops.add('ndp.bad-advertisement');
          return;
        }
        this.config.onNeighborAdvertisement({ target: message.target }, nowMs);
        if (this.config.owns(message.target) || this.config.isTentative(message.target)) {
          this.#drops.add('ndp.advertisement-for-us');
          return;
        }
        this.neighbours.learn(message.target, message.options.targetLinkAddress, nowMs, {
          create: false,
          confirmed: message.solicited,
          override: message.override,
          isRouter: message.router,
        });
        return;
      }
      case 'router-advertisement': {
        // RFC 4861 §6.1.2: only from a link-local source.
        if (!isIpv6LinkLocal(source)) {
          this.#drops.add('ndp.bad-advertisement');
          return;
        }
        this.#traffic.add('ndp.router-advertisements');
        // RFC 4861 §6.3.4: the sender is a router, even when it names no link-layer address.
        this.neighbours.learn(
          source,
          message.options.sourceLinkAddress,
          nowMs,
          NDP_LEARN_ROUTER_ADVERTISEMENT,
        );
        this.config.onRouterAdvertisement(
          {
            source,
            curHopLimit: message.curHopLimit,
            routerLifetimeS: message.routerLifetimeS,
            reachableTimeMs: message.reachableTimeMs,
            retransTimerMs: message.retransTimerMs,
            prefixes: message.options.prefixes,
            ...(message.options.mtu === undefined ? {} : { mtu: message.options.mtu }),
            ...(message.options.rdnss === undefined ? {} : { rdnss: message.options.rdnss }),
          },
          nowMs,
        );
        this.neighbours.setTimes({
          reachableMs: this.config.reachableTimeMs,
          retransmitMs: this.config.retransTimerMs,
        });
        return;
      }
      case 'router-solicitation':
        // RFC 4861 §6.2.6: hosts ignore them.
        this.#traffic.add('ndp.router-solicitations-ignored');
        return;
      case 'redirect':
        // RFC 4861 §8.3 is not implemented: routes here come from advertisements and options.
        this.#traffic.add('ndp.redirects-ignored');
        return;
    }
  }

  #neighborSolicitation(
    message: Extract<NdpRepr, { kind: 'neighbor-solicitation' }>,
    source: Uint8Array,
    destination: Uint8Array,
    nowMs: number,
  ): void {
    const { target } = message;
    const fromUnspecified = isIpv6Unspecified(source);
    const link = message.options.sourceLinkAddress;
    // RFC 4861 §7.1.1: from :: only to a solicited-node address, and without a link-layer option.
    if (fromUnspecified && (link !== undefined || !isSolicitedNode(destination))) {
      this.#drops.add('ndp.bad-solicitation');
      return;
    }
    this.config.onNeighborSolicitation(
      {
        source,
        target,
        ...(message.options.nonce === undefined ? {} : { nonce: message.options.nonce }),
      },
      nowMs,
    );
    if (!this.config.owns(target)) {
      // A tentative target: duplicate address detection above decided; others are not ours.
      if (!this.config.isTentative(target)) this.#drops.add('ndp.solicitation-not-for-us');
      return;
    }
    if (!fromUnspecified && link !== undefined) {
      this.neighbours.learn(source, link, nowMs, NDP_LEARN_NEIGHBOR_SOLICITATION);
    }
    // RFC 4861 §7.2.4: answer to the source, solicited and overriding; to all-nodes, unsolicited,
    // when the source is unspecified (another node's duplicate address detection).
    this.#traffic.add('ndp.advertisements-sent');
    this.#sendNdp(
      {
        kind: 'neighbor-advertisement',
        router: false,
        solicited: !fromUnspecified,
        override: true,
        target,
        options: { prefixes: [], targetLinkAddress: this.mac },
      },
      target,
      fromUnspecified ? IPV6_ALL_NODES : source,
      nowMs,
    );
  }

  /** An MLD query (RFC 3810 §6.2): reports are scheduled by the host configuration. */
  multicastListenerQuery(query: MldQuery, nowMs: number): void {
    this.config.onMldQuery(
      { multicastAddress: query.multicastAddress, maxResponseDelayMs: query.maxResponseDelayMs },
      nowMs,
    );
  }

  // --- Output of Neighbor Discovery and MLD ---------------------------------------------------

  /** A Neighbor Solicitation from the NDP cache: multicast to resolve, unicast to probe. */
  #solicit(target: Uint8Array, targetMac: Uint8Array | undefined): void {
    const source = this.config.sourceFor(target);
    // RFC 4861 §7.2.2: from an address of ours; without a usable one there is nothing to say.
    if (source === undefined) return;
    this.#traffic.add('ndp.solicitations-sent');
    const repr: NdpRepr = {
      kind: 'neighbor-solicitation',
      target,
      options: { prefixes: [], sourceLinkAddress: this.mac },
    };
    const destination = targetMac === undefined ? solicitedNodeAddress(target) : target;
    this.#emitNdp(repr, source, destination, targetMac ?? ipv6MulticastMac(destination));
  }

  /** Sends an NDP message to `destination`, resolving it if unicast. */
  #sendNdp(repr: NdpRepr, source: Uint8Array, destination: Uint8Array, nowMs: number): void {
    const length = ndpLength(repr);
    const pseudoSum = ipv6PseudoHeaderSum(source, destination, IP_PROTOCOL_ICMPV6, length);
    this.sendIpv6(destination, IPV6_HEADER_LENGTH + length, nowMs, (packet) => {
      writeIpv6Header(packet, source, destination, IP_PROTOCOL_ICMPV6, NDP_HOP_LIMIT, length);
      emitNdp(repr, packet.subarray(IPV6_HEADER_LENGTH), pseudoSum);
      return undefined;
    });
  }

  /** Sends an NDP message in a frame to `mac`, without resolution. */
  #emitNdp(repr: NdpRepr, source: Uint8Array, destination: Uint8Array, mac: Uint8Array): void {
    const length = ndpLength(repr);
    const pseudoSum = ipv6PseudoHeaderSum(source, destination, IP_PROTOCOL_ICMPV6, length);
    const frame = this.#link.output.allocate(ETHERNET_HEADER_LENGTH + IPV6_HEADER_LENGTH + length);
    writeEthernetHeader(frame, mac, this.mac, ETHERTYPE_IPV6);
    const packet = frame.subarray(ETHERNET_HEADER_LENGTH);
    writeIpv6Header(packet, source, destination, IP_PROTOCOL_ICMPV6, NDP_HOP_LIMIT, length);
    emitNdp(repr, packet.subarray(IPV6_HEADER_LENGTH), pseudoSum);
    this.#link.output.send(frame);
  }

  #sendMldReport(records: Parameters<typeof mldv2ReportLength>[0]): void {
    // RFC 3810 §5.2.13: from a link-local address, or :: while none is usable yet.
    const source = this.config.sourceFor(IPV6_ALL_MLDV2_ROUTERS) ?? IPV6_UNSPECIFIED;
    const length = mldv2ReportLength(records);
    const destination = IPV6_ALL_MLDV2_ROUTERS;
    const pseudoSum = ipv6PseudoHeaderSum(source, destination, IP_PROTOCOL_ICMPV6, length);
    const headers = IPV6_HEADER_LENGTH + ROUTER_ALERT_HEADER.length;
    const frame = this.#link.output.allocate(ETHERNET_HEADER_LENGTH + headers + length);
    writeEthernetHeader(frame, ipv6MulticastMac(destination), this.mac, ETHERTYPE_IPV6);
    const packet = frame.subarray(ETHERNET_HEADER_LENGTH);
    writeIpv6Header(
      packet,
      source,
      destination,
      IP_PROTOCOL_HOP_BY_HOP,
      MLD_HOP_LIMIT,
      ROUTER_ALERT_HEADER.length + length,
    );
    packet.set(ROUTER_ALERT_HEADER, IPV6_HEADER_LENGTH);
    emitMldv2Report(records, packet.subarray(headers), pseudoSum);
    this.#traffic.add('mld.reports-sent');
    this.#link.output.send(frame);
  }

  // --- Timers ---------------------------------------------------------------------------------

  poll(nowMs: number): void {
    this.neighbours.poll(nowMs);
    for (const action of this.config.poll(nowMs)) this.#act(action);
  }

  #act(action: Ipv6ConfigAction): void {
    switch (action.kind) {
      case 'dad-solicit': {
        this.#traffic.add('ndp.dad-solicitations-sent');
        const destination = solicitedNodeAddress(action.target);
        this.#emitNdp(
          {
            kind: 'neighbor-solicitation',
            target: action.target,
            options: { prefixes: [], nonce: action.nonce },
          },
          IPV6_UNSPECIFIED,
          destination,
          ipv6MulticastMac(destination),
        );
        return;
      }
      case 'router-solicit': {
        this.#traffic.add('ndp.router-solicitations-sent');
        const source = action.source ?? IPV6_UNSPECIFIED;
        // RFC 4861 §4.1: no link-layer option from the unspecified address.
        this.#emitNdp(
          {
            kind: 'router-solicitation',
            options:
              action.source === undefined
                ? { prefixes: [] }
                : { prefixes: [], sourceLinkAddress: this.mac },
          },
          source,
          IPV6_ALL_ROUTERS,
          ipv6MulticastMac(IPV6_ALL_ROUTERS),
        );
        return;
      }
      case 'mld-report':
        this.#sendMldReport(action.records);
        return;
      case 'address-ready':
        this.#logger.info('IPv6 address ready', {
          interface: this.name,
          address: `${formatIpv6Address(action.address)}/${action.prefixLength}`,
        });
        return;
      case 'address-duplicate':
        this.#drops.add('ipv6.duplicate-address');
        this.#logger.error(
          `another host on ${this.name} already uses ${formatIpv6Address(action.address)} (RFC 4862 duplicate address detection)${action.linkLocal ? ': IPv6 is off on this interface' : ''}`,
        );
        return;
      case 'unsolicited-advertise':
        // RFC 9131 §4.1: to all-routers, so that routers learn the address before traffic to it
        // arrives; Override clear, so that it never displaces an entry another node holds.
        this.#traffic.add('ndp.advertisements-sent');
        this.#emitNdp(
          {
            kind: 'neighbor-advertisement',
            router: false,
            solicited: false,
            override: false,
            target: action.address,
            options: { prefixes: [], targetLinkAddress: this.mac },
          },
          action.address,
          IPV6_ALL_ROUTERS,
          ipv6MulticastMac(IPV6_ALL_ROUTERS),
        );
        return;
      case 'address-removed':
        this.#logger.info('IPv6 address removed', {
          interface: this.name,
          address: formatIpv6Address(action.address),
        });
        return;
    }
  }

  pollAt(): number | undefined {
    return earliestDeadline(this.neighbours.pollAt(), this.config.pollAt());
  }
}

/** ff02::1:ff00:0/104 (RFC 4291 §2.7.1). */
function isSolicitedNode(address: Uint8Array): boolean {
  return (
    address[0] === 0xff &&
    address[1] === 0x02 &&
    address[11] === 1 &&
    address[12] === 0xff &&
    address.subarray(2, 11).every((byte) => byte === 0)
  );
}
