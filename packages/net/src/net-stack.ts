// The direct stack: interfaces, IPv4, ICMP and UDP assembled over NetDevices and driven by a
// clock. The protocol parts take `now` and say when they next need a poll; this is where the
// device's receive batches, the timer and the service's sends come in, each run as one output
// batch so that replies leave in one device call.

import {
  type Clock,
  ClosedError,
  Counters,
  type Logger,
  OasisError,
  type Random,
  type Sleep,
  type Timer,
} from '@oasis/core';
import {
  connectToHost,
  type Flow,
  type Frame,
  type HostConnectOptions,
  type HostEndpoint,
  type Ipv4Forwarding,
  type NameLookup,
  type NetDevice,
  type NetDeviceCounters,
  type Stack,
  type TcpStack,
  type UdpStack,
} from '@oasis/runtime';
import {
  ETHERNET_HEADER_LENGTH,
  formatIpv4Address,
  formatIpv6Address,
  formatMac,
  ICMPV4_REASSEMBLY_TIME_EXCEEDED,
  ICMPV4_UNREACHABLE_PROTOCOL,
  ICMPV6_REASSEMBLY_TIME_EXCEEDED,
  ICMPV6_UNREACHABLE_ADDRESS,
  IP_PROTOCOL_TCP,
  IP_PROTOCOL_UDP,
  IPV6_HEADER_LENGTH,
  type Ipv4Cidr,
  Ipv4Packet,
  icmpv4DestinationUnreachable,
  icmpv4TimeExceeded,
  icmpv6DestinationUnreachable,
  icmpv6ParameterProblem,
  icmpv6TimeExceeded,
  ipv4Netmask,
  parseIpv4Cidr,
  parseIpv6Cidr,
} from '@oasis/wire';
import type { ArpCacheOptions, ArpEntrySnapshot } from './arp-cache.ts';
import { earliestDeadline } from './deadline.ts';
import { Icmpv4Layer } from './icmpv4-layer.ts';
import { Icmpv6Layer } from './icmpv6-layer.ts';
import { parseIpText, parseIpv4Text } from './ip-address-text.ts';
import type { IpFamilyTypes, IpNetwork } from './ip-network.ts';
import { Ipv4Forwarder } from './ipv4-forwarder.ts';
import { Ipv4Interface } from './ipv4-interface.ts';
import { Ipv4Layer } from './ipv4-layer.ts';
import { type Ipv4Family, Ipv4Network } from './ipv4-network.ts';
import type { ReassemblyLimits } from './ipv4-reassembly.ts';
import { type Ipv4Route, type Ipv4RouteInit, Ipv4RouteTable } from './ipv4-route-table.ts';
import { Ipv6Interface, type Ipv6InterfaceConfig } from './ipv6-interface.ts';
import { Ipv6Layer } from './ipv6-layer.ts';
import { type Ipv6Family, Ipv6Network } from './ipv6-network.ts';
import type { NdpCacheOptions } from './ndp-cache.ts';
import type { PingOptions, PingReply } from './ping-tracker.ts';
import { TCP_DEFAULTS, type TcpConfig } from './tcp/tcp-config.ts';
import { TcpLayer } from './tcp/tcp-layer.ts';
import { DirectTcpStack } from './tcp/tcp-stack.ts';
import { UdpLayer } from './udp-layer.ts';
import { DirectUdpStack } from './udp-stack.ts';

export interface InterfaceConfig {
  readonly device: NetDevice;
  /** Addresses in CIDR notation ('10.0.0.2/24'); each adds an on-link route for its subnet. */
  readonly ipv4: readonly string[];
  /**
   * IPv6 on this link, absent for none: 'auto' (SLAAC from router advertisements, RFC 4862), or
   * static addresses in CIDR notation ('2001:db8::2/64') and a default router. A link-local
   * address (fe80::/64 and the modified EUI-64 of the MAC) comes with either.
   */
  readonly ipv6?: 'auto' | { readonly addresses: readonly string[]; readonly gateway?: string };
}

export interface StaticRouteConfig {
  /** 'network/prefix', e.g. '192.168.10.0/24'. */
  readonly destination: string;
  /** The next hop; absent for an on-link route. */
  readonly gateway?: string;
  /** Index into `interfaces`; default: the interface whose subnet holds the gateway, else 0. */
  readonly interface?: number;
  readonly metric?: number;
}

export interface NetStackOptions {
  readonly interfaces: readonly InterfaceConfig[];
  /** The interfaces' names for a forwarding policy (`client`, `uplink`); default `eth0`, ... */
  readonly interfaceNames?: readonly string[];
  /** The default route's next hop. */
  readonly ipv4Gateway?: string;
  readonly routes?: readonly StaticRouteConfig[];
  readonly clock: Clock;
  readonly sleep: Sleep;
  readonly random: Random;
  /** Address conflicts and internal errors are logged here. */
  readonly logger: Logger;
  /**
   * RFC 5227 conflict detection: probe each address (about 7 s) before using it. Default true;
   * false only announces it (gratuitous ARP), for links where the address is known to be free.
   */
  readonly probeAddresses?: boolean;
  /** Time to live of the datagrams the stack sends (RFC 1700 recommends 64). */
  readonly ttl?: number;
  readonly arp?: Partial<ArpCacheOptions>;
  readonly ndp?: Partial<NdpCacheOptions>;
  /**
   * Neighbor Solicitations sent to check each IPv6 address is free before using it (RFC 4862
   * §5.1, DupAddrDetectTransmits); default 1, 0 uses addresses at once.
   */
  readonly dadTransmits?: number;
  readonly reassembly?: Partial<ReassemblyLimits>;
  /** ICMP error messages sent per second, and the burst; default 100 and 50. */
  readonly icmpErrorRate?: { readonly ratePerSecond: number; readonly burst: number };
  /** Datagrams a UDP socket holds until it has a handler; default 256. */
  readonly udpReceiveQueueLength?: number;
  /** TCP tunables (tcp/tcp-config.ts), each defaulting to TCP_DEFAULTS. */
  readonly tcp?: Partial<TcpConfig>;
  /**
   * How `connect` finds a host name's addresses, made once the stack exists, so that it can be
   * a DNS client over the stack itself. Without it `connect` takes address literals only.
   */
  readonly nameLookup?: (stack: NetStack) => NameLookup;
}

export interface InterfaceStatus {
  readonly name: string;
  readonly mac: string;
  readonly mtu: number;
  readonly addresses: readonly { readonly cidr: string; readonly state: string }[];
  readonly arp: readonly ArpEntrySnapshot[];
  /** The IPv6 neighbour cache, when the link has IPv6. */
  readonly ndp: readonly { readonly ip: string; readonly mac: string; readonly state: string }[];
  /** The device's own counters: frames it dropped before the stack saw them are here. */
  readonly device: NetDeviceCounters;
}

const DEFAULT_TTL = 64;

/**
 * Opens the stack and waits until its addresses are usable: after RFC 5227 probing, or at once
 * without it. Rejects with EADDRINUSE when another host holds one of them.
 */
export async function createNetStack(options: NetStackOptions): Promise<NetStack> {
  const stack = new NetStack(options);
  await stack.ready;
  return stack;
}

export class NetStack implements Stack {
  readonly udp: UdpStack;
  readonly tcp: TcpStack;
  readonly forwarding: Ipv4Forwarding;
  /** Resolves once every address is usable; rejects on an address conflict. */
  readonly ready: Promise<void>;
  readonly #clock: Clock;
  readonly #sleep: Sleep;
  readonly #logger: Logger;
  readonly #drops = new Counters();
  readonly #traffic = new Counters();
  readonly #interfaces: Ipv4Interface[];
  /** By interface index; undefined where a link has no IPv6. */
  readonly #ipv6Interfaces: (Ipv6Interface | undefined)[];
  readonly #ipv6: Ipv6Layer | undefined;
  readonly #icmpv6: Icmpv6Layer | undefined;
  readonly #ip: Ipv4Layer;
  readonly #icmp: Icmpv4Layer;
  readonly #udpLayer: UdpLayer<Ipv4Family>;
  readonly #tcpLayer: TcpLayer<Ipv4Family>;
  readonly #tcpv6Layer: TcpLayer<Ipv6Family> | undefined;
  #runDepth = 0;
  #timer: Timer | undefined;
  #timerAtMs = Number.POSITIVE_INFINITY;
  #closed = false;
  #settleReady: ((error?: Error) => void) | undefined;
  readonly #nameLookup: NameLookup;

  constructor(options: NetStackOptions) {
    if (options.interfaces.length === 0)
      throw new RangeError('a stack needs at least one interface');
    this.#clock = options.clock;
    this.#sleep = options.sleep;
    this.#logger = options.logger;
    const nowMs = this.#clock.nowMs();
    const ttl = options.ttl ?? DEFAULT_TTL;
    const routes = new Ipv4RouteTable();
    this.#interfaces = options.interfaces.map((config, index) => {
      const addresses = config.ipv4.map(parseCidr);
      for (const { address, prefixLength } of addresses) {
        const network = (address & ipv4Netmask(prefixLength)) >>> 0;
        routes.add({ network, prefixLength, gateway: undefined, interfaceIndex: index });
      }
      return new Ipv4Interface({
        index,
        device: config.device,
        addresses,
        probe: options.probeAddresses ?? true,
        arp: options.arp ?? {},
        random: options.random,
        nowMs,
        drops: this.#drops,
        traffic: this.#traffic,
        upcalls: {
          ipv4: (iface, packet, offload, frame) =>
            this.#ip.input(iface, packet, offload, this.#clock.nowMs(), frame),
          addressConflict: (iface, address) => this.#addressConflict(iface, address),
          ...(config.ipv6 === undefined
            ? {}
            : {
                ipv6: (packet, offload) => {
                  const ipv6 = this.#ipv6Interfaces[index]!;
                  this.#ipv6!.input(ipv6, packet, offload, this.#clock.nowMs());
                },
                acceptsMulticast: (mac) => this.#ipv6Interfaces[index]!.acceptsMulticastMac(mac),
              }),
        },
      });
    });
    for (const route of options.routes ?? []) routes.add(this.#staticRoute(route, routes));
    if (options.ipv4Gateway !== undefined) {
      routes.add(
        this.#staticRoute({ destination: '0.0.0.0/0', gateway: options.ipv4Gateway }, routes),
      );
    }
    this.#ip = new Ipv4Layer({
      interfaces: this.#interfaces,
      routes,
      ttl,
      reassembly: options.reassembly ?? {},
      random: options.random,
      drops: this.#drops,
      traffic: this.#traffic,
      reassemblyExpired: (expired, at) => {
        const iface = this.#interfaces.find((candidate) => candidate.owns(expired.destination));
        if (expired.firstFragment === undefined || iface === undefined) return;
        // The header was checked when the fragment arrived; the copy keeps it and 8 bytes of
        // data, less than its total length says, which is what an error message quotes.
        const packet = Ipv4Packet.unchecked(expired.firstFragment);
        // RFC 792, RFC 1122 §3.3.2: time exceeded, code 1, when the first fragment came.
        this.#icmp.sendError(
          icmpv4TimeExceeded(ICMPV4_REASSEMBLY_TIME_EXCEEDED, expired.firstFragment),
          { packet, broadcast: false },
          at,
        );
      },
    });
    this.#icmp = new Icmpv4Layer({
      ip: this.#ip,
      sleep: this.#sleep,
      nowMs: () => this.#clock.nowMs(),
      drops: this.#drops,
      traffic: this.#traffic,
      errorRate: options.icmpErrorRate ?? { ratePerSecond: 100, burst: 50 },
      identifier: options.random.below(0x10000),
    });
    this.#ip.onUnknownProtocol((delivery, at) => {
      this.#icmp.sendError(
        icmpv4DestinationUnreachable(
          ICMPV4_UNREACHABLE_PROTOCOL,
          delivery.packet.bytes.subarray(0, delivery.packet.totalLength),
        ),
        delivery,
        at,
      );
    });
    const ipv4 = new Ipv4Network(this.#ip, this.#icmp);
    this.#ipv6Interfaces = options.interfaces.map((config, index) =>
      config.ipv6 === undefined
        ? undefined
        : new Ipv6Interface({
            link: this.#interfaces[index]!,
            config: parseIpv6Config(config.ipv6),
            ndp: options.ndp ?? {},
            dadTransmits: options.dadTransmits ?? 1,
            random: options.random,
            nowMs,
            drops: this.#drops,
            traffic: this.#traffic,
            logger: this.#logger,
            unresolved: (frames) => this.#addressUnreachable(frames),
          }),
    );
    const ipv6Interfaces = this.#ipv6Interfaces.filter((iface) => iface !== undefined);
    let ipv6Network: Ipv6Network | undefined;
    if (ipv6Interfaces.length > 0) {
      const ipv6 = new Ipv6Layer({
        interfaces: ipv6Interfaces,
        reassembly: options.reassembly ?? {},
        random: options.random,
        drops: this.#drops,
        traffic: this.#traffic,
        parameterProblem: (problem, delivery, at) =>
          this.#icmpv6?.sendError(
            icmpv6ParameterProblem(problem.code, problem.pointer, delivery.packet),
            delivery,
            at,
            problem.evenIfMulticast,
          ),
        reassemblyExpired: (expired, at) => {
          if (expired.firstFragment === undefined) return;
          const packet = expired.firstFragment;
          // RFC 8200 §4.5: time exceeded, code 1, when the first fragment came.
          this.#icmpv6?.sendError(
            icmpv6TimeExceeded(ICMPV6_REASSEMBLY_TIME_EXCEEDED, packet),
            {
              packet,
              source: expired.source,
              destination: expired.destination,
              payload: packet.subarray(IPV6_HEADER_LENGTH),
            },
            at,
          );
        },
      });
      const icmpv6 = new Icmpv6Layer({
        ip: ipv6,
        sleep: this.#sleep,
        nowMs: () => this.#clock.nowMs(),
        drops: this.#drops,
        traffic: this.#traffic,
        errorRate: options.icmpErrorRate ?? { ratePerSecond: 100, burst: 50 },
        identifier: options.random.below(0x10000),
      });
      this.#ipv6 = ipv6;
      this.#icmpv6 = icmpv6;
      ipv6Network = new Ipv6Network(ipv6, icmpv6);
    }
    // One UDP and one TCP layer per family, alike but for the network they run over.
    const tcpConfig = { ...TCP_DEFAULTS, ...options.tcp };
    const nowMsOf = () => this.#clock.nowMs();
    const run = (work: () => void) => this.#run(work);
    const udpOver = <F extends IpFamilyTypes>(network: IpNetwork<F>) =>
      new UdpLayer<F>({
        network,
        nowMs: nowMsOf,
        drops: this.#drops,
        traffic: this.#traffic,
        transmit: run,
      });
    const tcpOver = <F extends IpFamilyTypes>(network: IpNetwork<F>) =>
      new TcpLayer<F>({
        network,
        random: options.random,
        nowMs: nowMsOf,
        drops: this.#drops,
        traffic: this.#traffic,
        config: tcpConfig,
        run,
      });
    this.#udpLayer = udpOver(ipv4);
    this.#tcpLayer = tcpOver(ipv4);
    this.#tcpv6Layer = ipv6Network === undefined ? undefined : tcpOver(ipv6Network);
    this.udp = new DirectUdpStack({
      ipv4: this.#udpLayer,
      ipv6: ipv6Network === undefined ? undefined : udpOver(ipv6Network),
      random: options.random,
      drops: this.#drops,
      receiveQueueLength: options.udpReceiveQueueLength ?? 256,
      checkOpen: () => {
        if (this.#closed) throw new ClosedError('the network stack');
      },
    });
    this.tcp = new DirectTcpStack(this.#tcpLayer, this.#tcpv6Layer, options.random);
    const forwarder = new Ipv4Forwarder({
      interfaces: this.#interfaces,
      names: options.interfaceNames,
      routes,
      icmp: () => this.#icmp,
      portInUse: (protocol, port) =>
        protocol === IP_PROTOCOL_TCP
          ? this.#tcpLayer.portInUse(port)
          : protocol === IP_PROTOCOL_UDP && this.#udpLayer.portInUse(port),
      drops: this.#drops,
      traffic: this.#traffic,
    });
    this.#ip.attachForwarder(forwarder);
    this.forwarding = forwarder;
    this.#nameLookup = options.nameLookup?.(this) ?? noNameLookup;
    this.ready = new Promise<void>((resolve, reject) => {
      this.#settleReady = (error) => (error === undefined ? resolve() : reject(error));
    });
    for (const iface of this.#interfaces) {
      iface.device.listen((frames) => this.#receive(iface, frames));
    }
    // Starts probing or announcing at once, and settles `ready` if nothing needs to wait.
    this.#run(() => this.#pollNow());
  }

  #staticRoute(config: StaticRouteConfig, routes: Ipv4RouteTable): Ipv4RouteInit {
    const { address, prefixLength } = parseCidr(config.destination);
    const gateway = config.gateway === undefined ? undefined : parseIpv4Text(config.gateway);
    let interfaceIndex = config.interface;
    if (interfaceIndex === undefined && gateway !== undefined) {
      interfaceIndex = routes.lookup(gateway)?.route.interfaceIndex;
    }
    interfaceIndex ??= 0;
    if (this.#interfaces[interfaceIndex] === undefined) {
      throw new RangeError(`route ${config.destination}: there is no interface ${interfaceIndex}`);
    }
    return {
      network: address,
      prefixLength,
      gateway,
      interfaceIndex,
      ...(config.metric === undefined ? {} : { metric: config.metric }),
    };
  }

  /** Sends an ICMP echo request and resolves with the reply (like ping(8), one probe). */
  ping(destination: string, options?: PingOptions): Promise<PingReply> {
    if (this.#closed) return Promise.reject(new ClosedError('the network stack'));
    const address = parseIpText(destination);
    const icmpv6 = this.#icmpv6;
    if (address.family === 'IPv6' && icmpv6 === undefined) {
      return Promise.reject(
        new OasisError('ENETUNREACH', `${destination} is IPv6, and this stack has no IPv6`),
      );
    }
    let reply: Promise<PingReply> | undefined;
    this.#run(() => {
      reply =
        address.family === 'IPv4'
          ? this.#icmp.ping(address.address, options)
          : icmpv6!.ping(address.address, options);
    });
    return reply!;
  }

  connect(to: HostEndpoint, options?: HostConnectOptions): Promise<Flow> {
    if (this.#closed) return Promise.reject(new ClosedError('the network stack'));
    return connectToHost(
      { tcp: this.tcp, lookup: this.#nameLookup, clock: this.#clock, sleep: this.#sleep },
      to,
      options,
    );
  }

  /** The DNS servers router advertisements named (RFC 8106 RDNSS), while their lifetimes last. */
  dnsServers(): string[] {
    return this.#ipv6Interfaces.flatMap((iface) =>
      (iface?.config.dnsServers() ?? []).map((server) => formatIpv6Address(server)),
    );
  }

  /** Drops since the stack started, by reason. */
  drops(): Record<string, number> {
    return this.#drops.snapshot();
  }

  /** Traffic counters: packets received, sent, answered, by protocol. */
  counters(): Record<string, number> {
    return this.#traffic.snapshot();
  }

  interfaces(): InterfaceStatus[] {
    return this.#interfaces.map((iface, index) => {
      const ipv6 = this.#ipv6Interfaces[index];
      return {
        name: iface.device.name,
        mac: formatMac(iface.mac),
        mtu: iface.mtu,
        addresses: [
          ...iface.addresses.map((entry) => ({
            cidr: `${formatIpv4Address(entry.address)}/${entry.prefixLength}`,
            state: entry.detector.state,
          })),
          ...(ipv6?.config.addresses() ?? []).map((entry) => ({
            cidr: `${formatIpv6Address(entry.address)}/${entry.prefixLength}`,
            state: entry.state,
          })),
        ],
        arp: iface.arp.entries(),
        ndp: (ipv6?.neighbours.entries() ?? []).map((entry) => ({
          ip: formatIpv6Address(entry.ip),
          mac: entry.mac === undefined ? '' : formatMac(entry.mac),
          state: entry.state,
        })),
        device: iface.device.counters(),
      };
    });
  }

  addresses(): readonly string[] {
    const ipv4 = this.#interfaces.flatMap((iface) =>
      iface.addresses.map((entry) => formatIpv4Address(entry.address)),
    );
    const ipv6 = this.#ipv6Interfaces.flatMap((iface) =>
      (iface?.config.addresses() ?? [])
        .filter((entry) => entry.state === 'preferred' || entry.state === 'deprecated')
        .map((entry) => formatIpv6Address(entry.address)),
    );
    return [...ipv4, ...ipv6];
  }

  describe(): string {
    const parts = this.interfaces().map(
      (iface) => `${iface.name} ${iface.addresses.map((entry) => entry.cidr).join(' ')}`,
    );
    return `direct stack on ${parts.join(', ')}`;
  }

  routes(): readonly Ipv4Route[] {
    return this.#ip.routes.routes();
  }

  /** Stops the timers, rejects pending pings and closes the devices. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#timer?.cancel();
    this.#timer = undefined;
    const error = new ClosedError('the network stack');
    this.#run(() => {
      this.#tcpLayer.close(error);
      this.#tcpv6Layer?.close(error);
    });
    this.#icmp.close(error);
    this.#icmpv6?.close(error);
    this.#settleReady?.(error);
    await Promise.all(this.#interfaces.map((iface) => iface.device.close()));
  }

  #receive(iface: Ipv4Interface, frames: readonly Frame[]): void {
    if (this.#closed) return;
    this.#run(() => {
      const nowMs = this.#clock.nowMs();
      for (const frame of frames) {
        try {
          iface.receive(frame.data, frame.offload, nowMs);
        } catch (error) {
          // A bug, in the stack or in a handler it called: count it, keep serving.
          this.#drops.add('internal.exception');
          this.#logger.error('receive path threw', { error: String(error) });
        }
      }
    });
  }

  /**
   * Runs `work` as one output batch on every interface, sends what TCP deferred during it, then
   * re-arms the timer. Nested runs (a flow's event calling back into its flow) join the
   * outermost one.
   */
  #run(work: () => void): void {
    if (this.#runDepth > 0) {
      work();
      return;
    }
    let index = 0;
    const nest = (): void => {
      const iface = this.#interfaces[index++];
      if (iface !== undefined) {
        iface.output.batch(nest);
        return;
      }
      try {
        work();
      } finally {
        this.#tcpLayer.flush();
        this.#tcpv6Layer?.flush();
      }
    };
    this.#runDepth++;
    try {
      nest();
    } finally {
      this.#runDepth--;
      this.#arm();
    }
  }

  #pollNow(): void {
    const nowMs = this.#clock.nowMs();
    for (const iface of this.#interfaces) iface.poll(nowMs);
    for (const iface of this.#ipv6Interfaces) iface?.poll(nowMs);
    this.#ip.poll(nowMs);
    this.#ipv6?.poll(nowMs);
    this.#tcpLayer.poll(nowMs);
    this.#tcpv6Layer?.poll(nowMs);
    if (
      this.#settleReady !== undefined &&
      this.#interfaces.every((iface) => iface.ready) &&
      this.#ipv6Interfaces.every((iface) => iface?.ready ?? true)
    ) {
      this.#settleReady();
      this.#settleReady = undefined;
    }
  }

  /**
   * Packets dropped because their next hop never answered Neighbor Discovery: each sender hears
   * ICMPv6 address unreachable (RFC 4861 §7.2.2, RFC 4443 §3.1 code 3).
   */
  #addressUnreachable(frames: readonly Uint8Array[]): void {
    const icmpv6 = this.#icmpv6;
    if (icmpv6 === undefined) return;
    const nowMs = this.#clock.nowMs();
    for (const frame of frames) {
      const packet = frame.subarray(ETHERNET_HEADER_LENGTH);
      if (packet.length < IPV6_HEADER_LENGTH) continue;
      icmpv6.sendError(
        icmpv6DestinationUnreachable(ICMPV6_UNREACHABLE_ADDRESS, packet),
        {
          packet,
          source: packet.subarray(8, 24),
          destination: packet.subarray(24, 40),
          payload: packet.subarray(IPV6_HEADER_LENGTH),
        },
        nowMs,
      );
    }
  }

  #addressConflict(iface: Ipv4Interface, address: number): void {
    const error = new OasisError(
      'EADDRINUSE',
      `another host on ${iface.device.name} already uses ${formatIpv4Address(address)} (RFC 5227 conflict)`,
    );
    this.#logger.error(error.message);
    this.#settleReady?.(error);
    this.#settleReady = undefined;
  }

  #arm(): void {
    if (this.#closed) return;
    let at = earliestDeadline(this.#ip.pollAt(), this.#tcpLayer.pollAt());
    at = earliestDeadline(at, this.#tcpv6Layer?.pollAt());
    at = earliestDeadline(at, this.#ipv6?.pollAt());
    for (const iface of this.#interfaces) at = earliestDeadline(at, iface.pollAt());
    for (const iface of this.#ipv6Interfaces) at = earliestDeadline(at, iface?.pollAt());
    const deadline = at ?? Number.POSITIVE_INFINITY;
    if (deadline === this.#timerAtMs) return;
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#timerAtMs = deadline;
    if (at === undefined) return;
    this.#timer = this.#sleep.setTimer(at, () => {
      this.#timer = undefined;
      this.#timerAtMs = Number.POSITIVE_INFINITY;
      this.#run(() => this.#pollNow());
    });
  }
}

function parseCidr(text: string): Ipv4Cidr {
  const parsed = parseIpv4Cidr(text);
  if (!parsed.ok)
    throw new RangeError(`'${text}' is not an IPv4 address with a prefix: ${parsed.error}`);
  return parsed.value;
}

function parseIpv6Config(config: NonNullable<InterfaceConfig['ipv6']>): Ipv6InterfaceConfig {
  if (config === 'auto') return { mode: 'auto' };
  const addresses = config.addresses.map((text) => {
    const parsed = parseIpv6Cidr(text);
    if (!parsed.ok) throw new RangeError(parsed.error);
    return parsed.value;
  });
  let gateway: Uint8Array | undefined;
  if (config.gateway !== undefined) {
    const parsed = parseIpText(config.gateway);
    if (parsed.family !== 'IPv6') {
      throw new RangeError(`the IPv6 gateway ${config.gateway} is not an IPv6 address`);
    }
    gateway = parsed.address;
  }
  return { mode: 'static', addresses, gateway };
}

/** The lookup of a stack that was given none: names are refused, addresses still connect. */
const noNameLookup: NameLookup = (name) =>
  Promise.reject(
    new OasisError('EINVAL', `cannot look up ${name}: this stack has no DNS server to ask`),
  );
