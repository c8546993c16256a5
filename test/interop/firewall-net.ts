// The firewall's topology, in two shapes on the same addresses (10.S.x.x for a subnet octet S):
//
//   oasis:  client ns            router ns                               upstream ns
//           10.S.1.2/24 on TAPC ⟷ [node firewall: 10.S.1.1 | 10.S.2.2] ⟷ TAPU 10.S.2.1/24
//   linux:  client ns            router ns                               upstream ns
//           10.S.1.2/24 on veth ⟷ veth 10.S.1.1 | ip_forward, nft | veth 10.S.2.2 ⟷ veth 10.S.2.1/24
//
// The client host routes everything through 10.S.1.1; the upstream host has only its own
// subnet, no route back to the clients, so it can answer nothing but the router's uplink address
// (the NAT of RFC 3022 §2.2: outbound sessions only). Each host is a network namespace of its
// own (ip-netns(8)), named with this process' pid, and all traffic stays between them.
//
// How the TAP devices get to the hosts with no bridge on the path: both are created persistent
// in the router namespace (`ip tuntap add ... mode tap vnet_hdr`), where the firewall process
// runs and opens them by name; then `attachAfterOpen()` moves the kernel's end of each into the
// client and upstream namespace and configures it there. This works because:
// - TUNSETIFF looks the name up in the opener's namespace (tun.c, tun_set_iff): opened
//   anywhere else, the name would make a new, unconnected TAP. So the firewall must open them
//   where they are, before they move;
// - a tun/tap netdev may change namespace (`ip link set DEV netns NS`; tun does not set
//   NETIF_F_NETNS_LOCAL), and the descriptor stays attached to it: frames written to it
//   come out in the new namespace, and frames sent there are read from it (tested here: a
//   do-nothing forwarder between two moved TAPs carries ping and iperf3);
// - the move takes the interface down and drops its addresses, which is why the kernel's end is
//   configured only after it. `attachAfterOpen` checks the carrier: a TAP nobody holds has
//   none, which catches a move made before the firewall opened the device.
// TapDevice.open asks for IFF_VNET_HDR itself (packages/node/native/open.c): `vnet_hdr` at
// creation only makes `ip -d link` show from the start what the firewall will use. Running the
// firewall in a fourth, empty namespace of its own keeps its devices off the host's networks
// with nothing else there.
//
// The Linux router is the reference: forwarding on (`net.ipv4.ip_forward=1`, in its namespace
// only) and nftables rules equivalent to the firewall's `* accept`: forward what comes from
// the client subnet on the client link, and what belongs to a connection it started
// (conntrack's established/related), drop the rest; masquerade what leaves on the uplink.
//
// `delete()` removes everything and is idempotent; every net still alive is also deleted when the
// process exits, and on SIGINT/SIGTERM (then the process exits, unless someone else listens to
// the signal and so takes that on). Processes still running in a deleted namespace keep it alive
// until they end, so stop the firewall first where you can.

import { spawnSync } from 'node:child_process';
import { basename, dirname } from 'node:path';
import { NetNamespace } from './netns.ts';

export interface FirewallNetOptions {
  /** 1 to 6 lowercase letters or digits, starting with a letter: part of every name made here. */
  readonly tag: string;
  /** The second octet of every address: 89 gives 10.89.1.0/24 and 10.89.2.0/24. */
  readonly subnet: number;
}

/** The hosts' addresses, dotted quads; prefix length 24 everywhere. */
export interface FirewallNetAddresses {
  /** 10.S.1.2, in the client namespace. */
  readonly clientHost: string;
  /** 10.S.1.1, the router's address on the client link, the clients' gateway. */
  readonly firewallClient: string;
  /** 10.S.2.2, the router's address on the uplink: what the upstream host sees. */
  readonly firewallUplink: string;
  /** 10.S.2.1, in the upstream namespace, the router's gateway. */
  readonly upstreamHost: string;
  /** 10.S.1.0/24. */
  readonly clientSubnet: string;
  /** 24. */
  readonly prefixLength: number;
}

export type FirewallNetKind = 'oasis' | 'linux';

/**
 * How the firewall is run (unikernels/firewall/README.md): the 32 MB heap of MirageOS' firewall,
 * and a young generation of 1 MB semi-spaces, which per-packet garbage would otherwise grow to
 * 16 MB ones (its connection table is outside the heap).
 */
export const FIREWALL_NODE_FLAGS: readonly string[] = [
  '--max-old-space-size=32',
  '--max-semi-space-size=1',
];

const PREFIX_LENGTH = 24;
/** IFNAMSIZ less the terminating NUL (netdevice(7)). */
const MAX_INTERFACE_NAME = 15;
const TAG = /^[a-z][a-z0-9]{0,5}$/;

function addressesFor(subnet: number): FirewallNetAddresses {
  return {
    clientHost: `10.${subnet}.1.2`,
    firewallClient: `10.${subnet}.1.1`,
    firewallUplink: `10.${subnet}.2.2`,
    upstreamHost: `10.${subnet}.2.1`,
    clientSubnet: `10.${subnet}.1.0/${PREFIX_LENGTH}`,
    prefixLength: PREFIX_LENGTH,
  };
}

function checkOptions({ tag, subnet }: FirewallNetOptions): void {
  if (typeof tag !== 'string' || !TAG.test(tag)) {
    throw new RangeError(
      `tag must be 1 to 6 lowercase letters or digits starting with a letter (it goes into interface names), got '${tag}'`,
    );
  }
  if (!(Number.isInteger(subnet) && subnet >= 0 && subnet <= 255)) {
    throw new RangeError(
      `subnet is the second octet of 10.S.x.x, an integer 0..255, got ${subnet}`,
    );
  }
}

/** Every net not yet deleted, for the exit and signal handlers. */
const live = new Set<FirewallNet>();

function deleteLive(): void {
  for (const net of live) net.delete();
}

function onSignal(signal: NodeJS.Signals): void {
  // Another listener (a benchmark stopping its processes, say) decides how the process ends.
  // Counted first: deleting the last net removes this listener.
  const alone = process.listenerCount(signal) === 1;
  deleteLive();
  if (alone) process.exit(signal === 'SIGINT' ? 130 : 143);
}

function track(net: FirewallNet): void {
  if (live.size === 0) {
    process.on('exit', deleteLive);
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  live.add(net);
}

function untrack(net: FirewallNet): void {
  if (!live.delete(net) || live.size > 0) return;
  process.off('exit', deleteLive);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
}

/** `nft -f -` inside `namespace` with `ruleset` on its standard input. */
function loadRuleset(namespace: NetNamespace, ruleset: string): void {
  const args = ['netns', 'exec', namespace.name, 'nft', '-f', '-'];
  const result = spawnSync('ip', args, { input: ruleset, encoding: 'utf8' });
  if (result.error !== undefined) throw result.error;
  if (result.status !== 0) {
    throw new Error(`nft -f - in ${namespace.name} exited with ${result.status}: ${result.stderr}`);
  }
}

/**
 * The Linux router's rules, equivalent to the firewall's `* accept`. Forward chain: conntrack's
 * established/related first (replies, and ICMP errors about the flows, RFC 5508 §4), then new
 * flows from the client subnet on the client link; policy drop. Postrouting: masquerade on the
 * uplink, the NAPT of RFC 3022 §2.2 with the uplink's address.
 */
function routerRuleset(clientLink: string, uplink: string, clientSubnet: string): string {
  return `table ip oasis_firewall {
  chain forward {
    type filter hook forward priority filter; policy drop;
    ct state established,related accept
    iifname "${clientLink}" oifname "${uplink}" ip saddr ${clientSubnet} accept
  }
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "${uplink}" masquerade
  }
}
`;
}

export class FirewallNet {
  readonly kind: FirewallNetKind;
  readonly addresses: FirewallNetAddresses;
  readonly client: NetNamespace;
  readonly router: NetNamespace;
  readonly upstream: NetNamespace;
  /** The client namespace's interface: the kernel's end of the client TAP, or a veth. */
  readonly clientLink: string;
  /** The upstream namespace's interface: the kernel's end of the uplink TAP, or a veth. */
  readonly upstreamLink: string;
  #attached = false;
  #deleted = false;

  /** Client ns ⟷ TAP ⟷ (the firewall process, in the router ns) ⟷ TAP ⟷ upstream ns. */
  static oasis(options: FirewallNetOptions): FirewallNet {
    return new FirewallNet('oasis', options);
  }

  /** Client ns ⟷ veth ⟷ router ns (ip_forward, nftables masquerade) ⟷ veth ⟷ upstream ns. */
  static linux(options: FirewallNetOptions): FirewallNet {
    return new FirewallNet('linux', options);
  }

  private constructor(kind: FirewallNetKind, options: FirewallNetOptions) {
    checkOptions(options);
    const { tag, subnet } = options;
    const pid = process.pid;
    this.kind = kind;
    this.addresses = addressesFor(subnet);
    this.clientLink = `${tag}c${pid}`;
    this.upstreamLink = `${tag}u${pid}`;
    if (`${tag}rc${pid}`.length > MAX_INTERFACE_NAME) {
      throw new RangeError(`tag '${tag}' with pid ${pid} makes interface names over 15 bytes`);
    }
    const namespaces: NetNamespace[] = [];
    try {
      for (const role of ['client', 'router', 'upstream']) {
        const namespace = new NetNamespace(`oasis-${tag}-${role}-${pid}`);
        namespaces.push(namespace);
        namespace.ip(['link', 'set', 'lo', 'up']);
      }
      [this.client, this.router, this.upstream] = namespaces as [
        NetNamespace,
        NetNamespace,
        NetNamespace,
      ];
      if (kind === 'oasis') this.#createTaps();
      else this.#createLinuxRouter(`${tag}rc${pid}`, `${tag}ru${pid}`);
    } catch (error) {
      for (const namespace of namespaces) namespace.delete();
      throw error;
    }
    track(this);
  }

  /** The client TAP's name (oasis only): the firewall's --client-tap. */
  get clientTap(): string {
    this.#oasisOnly('clientTap');
    return this.clientLink;
  }

  /** The uplink TAP's name (oasis only): the firewall's --uplink-tap. */
  get uplinkTap(): string {
    this.#oasisOnly('uplinkTap');
    return this.upstreamLink;
  }

  /**
   * The firewall's command line after the bundle, for these devices and addresses; run it in
   * `router`. `rulesFile` is the path of its rules (a line `* accept` accepts every client):
   * the service reads it as a key of its `--files` directory, so both are given.
   */
  firewallArgs(rulesFile: string): string[] {
    this.#oasisOnly('firewallArgs');
    const a = this.addresses;
    return [
      '--client-tap',
      this.clientTap,
      '--client-ipv4',
      `${a.firewallClient}/${a.prefixLength}`,
      '--uplink-tap',
      this.uplinkTap,
      '--uplink-ipv4',
      `${a.firewallUplink}/${a.prefixLength}`,
      '--uplink-ipv4-gateway',
      a.upstreamHost,
      '--files',
      dirname(rulesFile),
      '--rules',
      basename(rulesFile),
    ];
  }

  /**
   * Oasis only: moves the kernel's end of each TAP into the client and upstream namespaces and
   * configures the hosts there. Call it once the firewall has opened both devices (it logged
   * `firewall ready`); throws if a TAP has no carrier there, which means nobody holds it.
   */
  attachAfterOpen(): void {
    this.#oasisOnly('attachAfterOpen');
    if (this.#deleted) throw new TypeError('attachAfterOpen: this net was deleted');
    if (this.#attached) throw new TypeError('attachAfterOpen: already attached');
    this.#attached = true;
    for (const [namespace, link] of [
      [this.client, this.clientLink],
      [this.upstream, this.upstreamLink],
    ] as const) {
      this.router.ip(['link', 'set', link, 'netns', namespace.name]);
    }
    this.#configureHosts();
    for (const [namespace, link] of [
      [this.client, this.clientLink],
      [this.upstream, this.upstreamLink],
    ] as const) {
      const state = namespace.ip(['link', 'show', 'dev', link]);
      if (state.includes('NO-CARRIER')) {
        throw new Error(
          `TAP ${link} has no carrier in ${namespace.name}: no process holds it (open it in ${this.router.name} before attachAfterOpen)`,
        );
      }
    }
  }

  /** Removes the namespaces and so every interface in them; harmless when already done. */
  delete(): void {
    if (this.#deleted) return;
    this.#deleted = true;
    untrack(this);
    const failures: string[] = [];
    for (const namespace of [this.client, this.router, this.upstream]) {
      try {
        namespace.delete();
      } catch (error) {
        failures.push(error instanceof Error ? error.message : String(error));
      }
    }
    if (failures.length > 0) throw new Error(failures.join('; '));
  }

  #oasisOnly(what: string): void {
    if (this.kind !== 'oasis') {
      throw new TypeError(`${what} is for the oasis shape; this is the ${this.kind} router`);
    }
  }

  #createTaps(): void {
    for (const tap of [this.clientLink, this.upstreamLink]) {
      this.router.ip(['tuntap', 'add', 'dev', tap, 'mode', 'tap', 'vnet_hdr']);
    }
  }

  #createLinuxRouter(routerClientLink: string, routerUplink: string): void {
    const a = this.addresses;
    for (const [namespace, link, peer] of [
      [this.client, this.clientLink, routerClientLink],
      [this.upstream, this.upstreamLink, routerUplink],
    ] as const) {
      namespace.ip(['link', 'add', link, 'type', 'veth', 'peer', 'name', peer]);
      namespace.ip(['link', 'set', peer, 'netns', this.router.name]);
    }
    for (const [link, address] of [
      [routerClientLink, a.firewallClient],
      [routerUplink, a.firewallUplink],
    ] as const) {
      this.router.ip(['addr', 'add', `${address}/${a.prefixLength}`, 'dev', link]);
      this.router.ip(['link', 'set', link, 'up']);
    }
    // The router namespace's own copy of the setting: the host's stays as it is.
    this.router.exec('sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']);
    loadRuleset(this.router, routerRuleset(routerClientLink, routerUplink, a.clientSubnet));
    this.#configureHosts();
  }

  /** The client host (default route via the router) and the upstream host (no route back). */
  #configureHosts(): void {
    const a = this.addresses;
    this.client.ip(['addr', 'add', `${a.clientHost}/${a.prefixLength}`, 'dev', this.clientLink]);
    this.client.ip(['link', 'set', this.clientLink, 'up']);
    this.client.ip(['route', 'add', 'default', 'via', a.firewallClient]);
    this.upstream.ip([
      'addr',
      'add',
      `${a.upstreamHost}/${a.prefixLength}`,
      'dev',
      this.upstreamLink,
    ]);
    this.upstream.ip(['link', 'set', this.upstreamLink, 'up']);
  }
}
