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
import type {
  Frame,
  Ipv4Forwarding,
  NetDevice,
  NetDeviceCounters,
  Stack,
  TcpStack,
  UdpBindOptions,
  UdpSocket,
  UdpStack,
} from '@oasis/runtime';
import {
  formatIpv4Address,
  formatMac,
  ICMPV4_REASSEMBLY_TIME_EXCEEDED,
  ICMPV4_UNREACHABLE_PROTOCOL,
  IP_PROTOCOL_TCP,
  IP_PROTOCOL_UDP,
  type Ipv4Cidr,
  Ipv4Packet,
  icmpv4DestinationUnreachable,
  icmpv4TimeExceeded,
  ipv4Netmask,
  parseIpv4Cidr,
} from '@oasis/wire';
import type { ArpCacheOptions, ArpEntrySnapshot } from './arp-cache.ts';
import { Icmpv4Layer, type PingOptions, type PingReply } from './icmpv4-layer.ts';
import { parseIpv4Text } from './ip-address-text.ts';
import { Ipv4Forwarder } from './ipv4-forwarder.ts';
import { Ipv4Interface } from './ipv4-interface.ts';
import { Ipv4Layer } from './ipv4-layer.ts';
import type { ReassemblyLimits } from './ipv4-reassembly.ts';
import { type Ipv4Route, type Ipv4RouteInit, Ipv4RouteTable } from './ipv4-route-table.ts';
import { TCP_DEFAULTS, type TcpConfig } from './tcp/tcp-config.ts';
import { TcpLayer } from './tcp/tcp-layer.ts';
import { UdpLayer } from './udp-layer.ts';

export interface InterfaceConfig {
  readonly device: NetDevice;
  /** Addresses in CIDR notation ('10.0.0.2/24'); each adds an on-link route for its subnet. */
  readonly ipv4: readonly string[];
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
  readonly reassembly?: Partial<ReassemblyLimits>;
  /** ICMP error messages sent per second, and the burst; default 100 and 50. */
  readonly icmpErrorRate?: { readonly ratePerSecond: number; readonly burst: number };
  /** Datagrams a UDP socket holds until it has a handler; default 256. */
  readonly udpReceiveQueueLength?: number;
  /** TCP tunables (tcp/tcp-config.ts), each defaulting to TCP_DEFAULTS. */
  readonly tcp?: Partial<TcpConfig>;
}

export interface InterfaceStatus {
  readonly name: string;
  readonly mac: string;
  readonly mtu: number;
  readonly addresses: readonly { readonly cidr: string; readonly state: string }[];
  readonly arp: readonly ArpEntrySnapshot[];
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
  readonly #ip: Ipv4Layer;
  readonly #icmp: Icmpv4Layer;
  readonly #udpLayer: UdpLayer;
  readonly #tcpLayer: TcpLayer;
  #runDepth = 0;
  #timer: Timer | undefined;
  #timerAtMs = Number.POSITIVE_INFINITY;
  #closed = false;
  #settleReady: ((error?: Error) => void) | undefined;

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
          { iface, packet, checksumVerified: true, broadcast: false },
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
      ttl,
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
    this.#udpLayer = new UdpLayer({
      ip: this.#ip,
      icmp: this.#icmp,
      random: options.random,
      nowMs: () => this.#clock.nowMs(),
      drops: this.#drops,
      traffic: this.#traffic,
      ttl,
      receiveQueueLength: options.udpReceiveQueueLength ?? 256,
      transmit: (work) => this.#run(work),
    });
    this.udp = { bind: async (bind?: UdpBindOptions): Promise<UdpSocket> => this.#bindUdp(bind) };
    this.#tcpLayer = new TcpLayer({
      ip: this.#ip,
      icmp: this.#icmp,
      random: options.random,
      nowMs: () => this.#clock.nowMs(),
      drops: this.#drops,
      traffic: this.#traffic,
      ttl,
      config: { ...TCP_DEFAULTS, ...options.tcp },
      run: (work) => this.#run(work),
    });
    this.tcp = this.#tcpLayer.api;
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

  #bindUdp(options: UdpBindOptions | undefined): UdpSocket {
    if (this.#closed) throw new ClosedError('the network stack');
    return this.#udpLayer.bind(options);
  }

  /** Sends an ICMP echo request and resolves with the reply (like ping(8), one probe). */
  ping(destination: string, options?: PingOptions): Promise<PingReply> {
    if (this.#closed) return Promise.reject(new ClosedError('the network stack'));
    const address = parseIpv4Text(destination);
    let reply: Promise<PingReply> | undefined;
    this.#run(() => {
      reply = this.#icmp.ping(address, options);
    });
    return reply!;
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
    return this.#interfaces.map((iface) => ({
      name: iface.device.name,
      mac: formatMac(iface.mac),
      mtu: iface.mtu,
      addresses: iface.addresses.map((entry) => ({
        cidr: `${formatIpv4Address(entry.address)}/${entry.prefixLength}`,
        state: entry.detector.state,
      })),
      arp: iface.arp.entries(),
      device: iface.device.counters(),
    }));
  }

  addresses(): readonly string[] {
    return this.#interfaces.flatMap((iface) =>
      iface.addresses.map((entry) => formatIpv4Address(entry.address)),
    );
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
    this.#run(() => this.#tcpLayer.close(error));
    this.#icmp.close(error);
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
    this.#ip.poll(nowMs);
    this.#tcpLayer.poll(nowMs);
    if (this.#settleReady !== undefined && this.#interfaces.every((iface) => iface.ready)) {
      this.#settleReady();
      this.#settleReady = undefined;
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
    let at: number | undefined = this.#ip.pollAt();
    const tcpAt = this.#tcpLayer.pollAt();
    if (tcpAt !== undefined && (at === undefined || tcpAt < at)) at = tcpAt;
    for (const iface of this.#interfaces) {
      const ifaceAt = iface.pollAt();
      if (ifaceAt !== undefined && (at === undefined || ifaceAt < at)) at = ifaceAt;
    }
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
