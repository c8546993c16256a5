// IPv6 host configuration for one interface: its addresses and their Duplicate Address Detection
// and lifetimes (RFC 4862), router discovery (RFC 4861 §6.3, in ipv6-router-discovery.ts), source
// address selection (RFC 6724, in ipv6-source-selection.ts) and multicast listening (RFC 3810, in
// ipv6-multicast-listener.ts). A pure state machine like address-conflict.ts: nothing here parses
// or emits a packet. The stack passes parsed and validated Neighbor Discovery and MLD messages to
// the `on…` methods, sends what the actions returned by `poll` describe, and calls `poll` again at
// `pollAt()`. Every method takes the time; none reads a clock.
//
// Addresses (RFC 4862 §5):
// - the link-local address fe80::/64 + the interface identifier, from the start (§5.3);
// - the static addresses of the options, from the start, with infinite lifetimes;
// - in `auto` mode, one address per /64 prefix that Router Advertisements offer for autonomous
//   configuration (§5.5.3), made of the prefix and the interface identifier.
// Each is `tentative` while DAD runs (§5.4), then `preferred`, `deprecated` once its preferred
// lifetime ends (§5.5.4: still used by existing connections, not by new ones), and removed once
// its valid lifetime ends; or `duplicate` when DAD finds another node using it. A duplicate
// link-local address disables IPv6 on the interface (§5.4.5): every other address is removed and
// nothing more is sent. The stack passes a modified EUI-64 interface identifier, made from the
// hardware address, which is the case where §5.4.5 asks for that.
//
// Router Solicitations are sent in `auto` mode only: in `static` mode nothing is learned from the
// network, and Router Advertisements are ignored (and counted), so that a configured interface
// behaves as configured.
//
// Counters (`counters`): `dad.looped-back` (our own DAD NS came back, RFC 7527),
// `dad.conflict-after-dad` (an NA for an address we already use, RFC 4862 §5.4.4 asks to log it),
// `slaac.prefix-length` (an autonomous prefix that is not /64), `slaac.preferred-above-valid`,
// `slaac.addresses-full`, `ndp.ra-ignored-static`, and those of RouterDiscovery: `ndp.ra-mtu-out-
// of-range`, `ndp.routers-full`, `ndp.prefixes-full`, `ndp.prefix-length-invalid`,
// `ndp.dns-servers-full`.
//
// Not implemented: Optimistic DAD (RFC 4429), temporary addresses (RFC 8981), stable interface
// identifiers (RFC 7217; the identifier is given), DHCPv6 (the M and O flags are not read).

import { bytesEqual, Counters, type Random } from '@oasis/core';
import {
  IPV6_MIN_MTU,
  ipv6FromPrefixAndIdentifier,
  ipv6InPrefix,
  isIpv6LinkLocal,
  isIpv6Multicast,
  isIpv6Unspecified,
  type MldRecord,
  solicitedNodeAddress,
} from '@oasis/wire';
import { earliestDeadline } from './deadline.ts';
import { MulticastListener } from './ipv6-multicast-listener.ts';
import {
  lifetimeMs,
  MAX_RTR_SOLICITATION_DELAY_MS,
  type PrefixInformation,
  type RouterAdvertisementInfo,
  RouterDiscovery,
} from './ipv6-router-discovery.ts';
import { selectSourceAddress } from './ipv6-source-selection.ts';

export type Ipv6AddressState = 'tentative' | 'preferred' | 'deprecated' | 'duplicate';

/** Where an address came from: §5.3, the options, or §5.5.3 (SLAAC). */
export type Ipv6AddressOrigin = 'link-local' | 'static' | 'autoconf';

/** An address with its state, for status output. Infinite lifetimes end at Infinity. */
export interface Ipv6AddressInfo {
  readonly address: Uint8Array;
  readonly prefixLength: number;
  readonly state: Ipv6AddressState;
  readonly origin: Ipv6AddressOrigin;
  readonly validUntilMs: number;
  readonly preferredUntilMs: number;
}

/**
 * What the stack must do now. Addresses in actions are copies the stack may keep.
 * - `dad-solicit`: a Neighbor Solicitation for `target` from :: to the solicited-node group of
 *   `target`, without a Source Link-Layer Address option (RFC 4862 §5.4.2), with a Nonce option
 *   (RFC 7527 §4.1, RFC 3971 §5.3.2) carrying the 6 bytes of `nonce`.
 * - `router-solicit`: a Router Solicitation to ff02::2 (RFC 4861 §6.3.7) from `source`; when
 *   `source` is undefined, from :: and then without a Source Link-Layer Address option (§4.1).
 * - `mld-report`: an MLDv2 Report (RFC 3810 §5.2) to ff02::16 with these records, each with no
 *   sources; from our link-local address when `sourceFor(ff02::16)` gives one, else from ::
 *   (§5.2.13).
 * - `address-ready`: DAD passed, the address may be used (RFC 4862 §5.4).
 * - `address-duplicate`: DAD failed (§5.4.5): log it; with `linkLocal`, IPv6 is now disabled on
 *   the interface (`disabled`).
 * - `address-removed`: the address is no longer ours (valid lifetime ended, or the interface was
 *   disabled).
 * - `unsolicited-advertise`: an unsolicited Neighbor Advertisement for the address to ff02::2
 *   (Solicited and Override flags clear, with the Target Link-Layer Address option), so that
 *   routers learn the new address before traffic to it arrives (RFC 9131 §4.1). Sent once, for
 *   every address but the link-local one, when it becomes ready.
 */
export type Ipv6ConfigAction =
  | { readonly kind: 'dad-solicit'; readonly target: Uint8Array; readonly nonce: Uint8Array }
  | { readonly kind: 'router-solicit'; readonly source: Uint8Array | undefined }
  | { readonly kind: 'mld-report'; readonly records: readonly MldRecord[] }
  | { readonly kind: 'address-ready'; readonly address: Uint8Array; readonly prefixLength: number }
  | {
      readonly kind: 'address-duplicate';
      readonly address: Uint8Array;
      readonly linkLocal: boolean;
    }
  | { readonly kind: 'address-removed'; readonly address: Uint8Array }
  | { readonly kind: 'unsolicited-advertise'; readonly address: Uint8Array };

export interface Ipv6HostConfigOptions {
  /** `auto`: router discovery and SLAAC; `static`: only the configured addresses and gateway. */
  readonly mode: 'auto' | 'static';
  /** 8 bytes: the modified EUI-64 of the MAC (RFC 4291 §2.5.1, Appendix A). */
  readonly interfaceIdentifier: Uint8Array;
  /** Configured addresses (`--ipv6 ADDR/LEN`); their prefixes are on link. */
  readonly staticAddresses: readonly { address: Uint8Array; prefixLength: number }[];
  /** A configured default router (`--ipv6-gateway`). */
  readonly staticGateway?: Uint8Array;
  /** The link's MTU, the most an MTU option may raise LinkMTU to (RFC 4861 §6.3.4). */
  readonly linkMtu: number;
  /** DupAddrDetectTransmits (RFC 4862 §5.1): DAD solicitations per address; 0 turns DAD off. */
  readonly dadTransmits?: number;
  readonly random: Random;
  readonly nowMs: number;
}

/** DupAddrDetectTransmits by default (RFC 4862 §5.1). */
export const DUP_ADDR_DETECT_TRANSMITS = 1;
/** RFC 7527 §4.1: a nonce of 6 bytes, the smallest the Nonce option carries. */
const DAD_NONCE_LENGTH = 6;
/** RFC 4862 §5.5.3 (e): the floor under which an advertisement cannot cut a valid lifetime. */
const TWO_HOURS_MS = 2 * 60 * 60 * 1000;
/** RFC 4862 §5.5.3 (d): autoconfiguration needs prefix + 64-bit identifier = 128 bits. */
const SLAAC_PREFIX_LENGTH = 64;
/** fe80::/64 (RFC 4291 §2.5.6). */
const LINK_LOCAL_PREFIX = Uint8Array.of(0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
/** Addresses formed by SLAAC, at most (as Linux's max_addresses): forged prefixes cost no more. */
const MAX_AUTOCONF_ADDRESSES = 16;

interface AddressEntry {
  readonly address: Uint8Array;
  readonly prefixLength: number;
  readonly origin: Ipv6AddressOrigin;
  /** The solicited-node group the interface listens to for this address. */
  readonly group: Uint8Array;
  state: Ipv6AddressState;
  validUntilMs: number;
  preferredUntilMs: number;
  /** When the next DAD solicitation, or the end of DAD, is due; undefined once it ended. */
  dadDueMs: number | undefined;
  dadSent: number;
  /** The nonces of our DAD solicitations for this address (RFC 7527 §4.2). */
  nonces: Uint8Array[];
}

export class Ipv6HostConfig {
  readonly counters = new Counters();
  readonly #mode: 'auto' | 'static';
  readonly #interfaceIdentifier: Uint8Array;
  readonly #dadTransmits: number;
  readonly #random: Random;
  readonly #listener: MulticastListener;
  readonly #routers: RouterDiscovery;
  #addresses: AddressEntry[] = [];
  #disabled = false;
  /** Actions produced by the `on…` methods, handed out by the next `poll`. */
  #queued: Ipv6ConfigAction[] = [];
  #queuedAtMs: number | undefined;

  /** Configures the link-local and static addresses at `options.nowMs`. Throws RangeError on bad options. */
  constructor(options: Ipv6HostConfigOptions) {
    validate(options);
    this.#mode = options.mode;
    this.#interfaceIdentifier = options.interfaceIdentifier.slice();
    this.#dadTransmits = options.dadTransmits ?? DUP_ADDR_DETECT_TRANSMITS;
    this.#random = options.random;
    this.#listener = new MulticastListener(options.random);
    this.#routers = new RouterDiscovery({
      solicit: options.mode === 'auto',
      linkMtu: options.linkMtu,
      staticGateway: options.staticGateway,
      random: options.random,
      counters: this.counters,
      nowMs: options.nowMs,
    });
    // RFC 4862 §5.3: the link-local address, with infinite lifetimes.
    const linkLocal = linkLocalAddress(this.#interfaceIdentifier);
    this.#addAddress(linkLocal, 64, 'link-local', Infinity, Infinity, options.nowMs);
    for (const { address, prefixLength } of options.staticAddresses) {
      this.#addAddress(address.slice(), prefixLength, 'static', Infinity, Infinity, options.nowMs);
    }
  }

  /**
   * Whether DAD has ended, one way or the other, for the link-local address and every static
   * address: in `static` mode the configuration is then complete; in `auto` mode global addresses
   * come whenever a Router Advertisement does. Check `disabled` and `addresses()` for how it ended.
   */
  get ready(): boolean {
    return this.#addresses.every(
      (entry) => entry.origin === 'autoconf' || entry.state !== 'tentative',
    );
  }

  /** Whether IPv6 is disabled on the interface because its link-local address is a duplicate. */
  get disabled(): boolean {
    return this.#disabled;
  }

  /** CurHopLimit (RFC 4861 §6.3.2). */
  get hopLimit(): number {
    return this.#routers.hopLimit;
  }

  /** LinkMTU (RFC 4861 §6.3.2), as an MTU option may have lowered it. */
  get mtu(): number {
    return this.#routers.mtu;
  }

  /** ReachableTime for Neighbor Unreachability Detection (RFC 4861 §6.3.2). */
  get reachableTimeMs(): number {
    return this.#routers.reachableTimeMs;
  }

  /** RetransTimer (RFC 4861 §6.3.2). */
  get retransTimerMs(): number {
    return this.#routers.retransTimerMs;
  }

  /** The actions due now: first those the `on…` methods produced, then the timers'. */
  poll(nowMs: number): Ipv6ConfigAction[] {
    const actions = this.#queued;
    this.#queued = [];
    this.#queuedAtMs = undefined;
    if (this.#disabled) return actions;
    this.#expireAddresses(nowMs, actions);
    // Before DAD: RFC 4862 §5.4.2 joins the solicited-node group before the solicitation goes out.
    const records = this.#listener.poll(nowMs);
    if (records.length > 0) actions.push({ kind: 'mld-report', records });
    this.#runDad(nowMs, actions);
    if (this.#routers.poll(nowMs)) {
      // RFC 4861 §6.3.7: from an address of ours, or from :: while none may be used yet (the
      // link-local address is still tentative).
      const linkLocal = this.#addresses.find((entry) => entry.origin === 'link-local');
      const source = linkLocal?.state === 'preferred' ? linkLocal.address.slice() : undefined;
      actions.push({ kind: 'router-solicit', source });
    }
    return actions;
  }

  /** When `poll` next has something to do; undefined when nothing will ever be due. */
  pollAt(): number | undefined {
    let atMs = this.#queuedAtMs;
    if (this.#disabled) return atMs;
    for (const entry of this.#addresses) {
      if (entry.dadDueMs !== undefined) atMs = earliestDeadline(atMs, entry.dadDueMs);
      if (entry.state === 'preferred') atMs = earliestDeadline(atMs, entry.preferredUntilMs);
      atMs = earliestDeadline(atMs, entry.validUntilMs);
    }
    atMs = earliestDeadline(atMs, this.#listener.pollAt());
    return earliestDeadline(atMs, this.#routers.pollAt());
  }

  /** Every address with its state, for status output. */
  addresses(): Ipv6AddressInfo[] {
    return this.#addresses.map((entry) => ({
      address: entry.address.slice(),
      prefixLength: entry.prefixLength,
      state: entry.state,
      origin: entry.origin,
      validUntilMs: entry.validUntilMs,
      preferredUntilMs: entry.preferredUntilMs,
    }));
  }

  /**
   * Whether `address` is ours to send from and receive for: preferred or deprecated (RFC 4862
   * §5.5.4). No allocation.
   */
  owns(address: Uint8Array): boolean {
    const entry = this.#find(address);
    return entry !== undefined && (entry.state === 'preferred' || entry.state === 'deprecated');
  }

  /**
   * Whether `address` is ours but still under DAD: the stack delivers only Neighbor Solicitations
   * and Advertisements for it, to `on…` here (RFC 4862 §5.4). No allocation.
   */
  isTentative(address: Uint8Array): boolean {
    return this.#find(address)?.state === 'tentative';
  }

  /** The source address for packets to `destination` (see ipv6-source-selection.ts). Ours: do not change it. */
  sourceFor(destination: Uint8Array): Uint8Array | undefined {
    return selectSourceAddress(this.#addresses, destination);
  }

  /**
   * Whether `address` is reached directly rather than through a router (RFC 4861 §5.2): multicast
   * and link-local addresses, addresses in an on-link prefix a router advertised, and addresses
   * in the prefix of a static address. An autoconfigured address says nothing about its prefix
   * being on link (RFC 5942 §4). No allocation.
   */
  isOnLink(address: Uint8Array): boolean {
    if (this.#disabled) return false;
    if (isIpv6Multicast(address) || isIpv6LinkLocal(address)) return true;
    if (this.#routers.inOnLinkPrefix(address)) return true;
    for (const entry of this.#addresses) {
      if (entry.origin === 'static' && ipv6InPrefix(address, entry.address, entry.prefixLength)) {
        return true;
      }
    }
    return false;
  }

  /**
   * The router for off-link destinations: the static gateway, else a learned default router,
   * preferring one `isReachable` (the neighbour cache) does not rule out (RFC 4861 §6.3.6). Ours:
   * do not change it. No allocation.
   */
  defaultRouter(isReachable?: (router: Uint8Array) => boolean): Uint8Array | undefined {
    return this.#disabled ? undefined : this.#routers.defaultRouter(isReachable);
  }

  /** The learned default routers with the time each expires, for status output. */
  routers(): { address: Uint8Array; expiresMs: number }[] {
    return this.#routers.routers();
  }

  /** The on-link prefixes routers advertised, with the time each expires, for status output. */
  onLinkPrefixes(): { prefix: Uint8Array; prefixLength: number; expiresMs: number }[] {
    return this.#routers.onLinkPrefixes();
  }

  /** Recursive DNS servers from Router Advertisements (RFC 8106), while their lifetime lasts. */
  dnsServers(): Uint8Array[] {
    return this.#routers.dnsServers();
  }

  /** The multicast groups whose frames the interface must accept, ff02::1 first. */
  groups(): Uint8Array[] {
    return this.#disabled ? [] : this.#listener.groups();
  }

  /** Whether the interface accepts packets to the multicast `group`. No allocation. */
  isJoined(group: Uint8Array): boolean {
    return !this.#disabled && this.#listener.isJoined(group);
  }

  /**
   * A Neighbor Solicitation received for one of our tentative addresses decides DAD (RFC 4862
   * §5.4.3). Pass every valid NS; the others are ignored here.
   */
  onNeighborSolicitation(
    ns: { readonly source: Uint8Array; readonly target: Uint8Array; readonly nonce?: Uint8Array },
    nowMs: number,
  ): void {
    if (this.#disabled) return;
    const entry = this.#find(ns.target);
    if (entry === undefined || entry.state !== 'tentative') return;
    // §5.4.3: from a unicast source, a node resolving the address, which it cannot have from
    // us: no sign of a duplicate.
    if (!isIpv6Unspecified(ns.source)) return;
    // RFC 7527 §4.2: our own solicitation, looped back by the link, carries one of our nonces.
    const nonce = ns.nonce;
    if (nonce !== undefined && entry.nonces.some((sent) => bytesEqual(sent, nonce))) {
      this.counters.add('dad.looped-back');
      return;
    }
    // §5.4.3: another node is running DAD for the same address.
    this.#markDuplicate(entry, nowMs);
  }

  /** A Neighbor Advertisement for a tentative address of ours means another node has it (RFC 4862 §5.4.4). */
  onNeighborAdvertisement(na: { readonly target: Uint8Array }, nowMs: number): void {
    if (this.#disabled) return;
    const entry = this.#find(na.target);
    if (entry === undefined) return;
    switch (entry.state) {
      case 'tentative':
        this.#markDuplicate(entry, nowMs);
        return;
      case 'preferred':
      case 'deprecated':
        // §5.4.4: a duplicate DAD missed; there is nothing to do but to log it.
        this.counters.add('dad.conflict-after-dad');
        return;
      case 'duplicate':
        return;
    }
  }

  /** A valid Router Advertisement (RFC 4861 §6.1.2 checks done by the stack). */
  onRouterAdvertisement(ra: RouterAdvertisementInfo, nowMs: number): void {
    if (this.#disabled) return;
    if (this.#mode === 'static') {
      this.counters.add('ndp.ra-ignored-static');
      return;
    }
    this.#routers.onRouterAdvertisement(ra, nowMs);
    for (const option of ra.prefixes) this.#autoconfigure(option, nowMs);
  }

  /**
   * An MLD query heard on the link (RFC 3810 §6.2): `multicastAddress` :: for a General Query,
   * `maxResponseDelayMs` decoded from the Maximum Response Code (§5.1.3).
   */
  onMldQuery(
    query: { readonly multicastAddress: Uint8Array; readonly maxResponseDelayMs: number },
    nowMs: number,
  ): void {
    if (this.#disabled) return;
    this.#listener.onQuery(query.multicastAddress, query.maxResponseDelayMs, nowMs);
  }

  /** Listens to `group` for a socket and reports it (RFC 3810 §6.1). Throws RangeError if not multicast. */
  join(group: Uint8Array, nowMs: number): void {
    if (!this.#disabled) this.#listener.join(group, nowMs);
  }

  /** Stops listening to `group` for a socket and reports it (RFC 3810 §6.1). */
  leave(group: Uint8Array, nowMs: number): void {
    if (!this.#disabled) this.#listener.leave(group, nowMs);
  }

  /** The neighbour cache saw `address` stop being a router (RFC 4861 §7.2.5). */
  routerLost(address: Uint8Array): void {
    this.#routers.routerLost(address);
  }

  #addAddress(
    address: Uint8Array,
    prefixLength: number,
    origin: Ipv6AddressOrigin,
    validUntilMs: number,
    preferredUntilMs: number,
    nowMs: number,
  ): void {
    const entry: AddressEntry = {
      address,
      prefixLength,
      origin,
      group: solicitedNodeAddress(address),
      state: 'tentative',
      validUntilMs,
      preferredUntilMs,
      dadDueMs: undefined,
      dadSent: 0,
      nonces: [],
    };
    this.#addresses.push(entry);
    if (this.#dadTransmits === 0) {
      // RFC 4862 §5.4: no DAD, the address is assigned at once.
      this.#listener.hold(entry.group, nowMs);
      const actions: Ipv6ConfigAction[] = [];
      this.#assign(entry, nowMs, actions);
      for (const action of actions) this.#enqueue(action, nowMs);
      return;
    }
    // RFC 4862 §5.4.2: the first solicitation, and the MLD report joining the solicited-node
    // group that precedes it, wait a random time in [0, MAX_RTR_SOLICITATION_DELAY], so that
    // nodes configuring together (after one multicast RA, or a power failure) do not all send
    // at once. The interface listens to the group from now on, to hear others' DAD meanwhile.
    entry.dadDueMs = nowMs + this.#random.below(MAX_RTR_SOLICITATION_DELAY_MS + 1);
    this.#listener.hold(entry.group, entry.dadDueMs);
  }

  /** RFC 4862 §5.4.2: DupAddrDetectTransmits solicitations, RetransTimer apart, then assigned. */
  #runDad(nowMs: number, actions: Ipv6ConfigAction[]): void {
    for (const entry of this.#addresses) {
      if (entry.state !== 'tentative' || entry.dadDueMs === undefined || nowMs < entry.dadDueMs) {
        continue;
      }
      if (entry.dadSent < this.#dadTransmits) {
        const nonce = this.#random.fill(new Uint8Array(DAD_NONCE_LENGTH));
        entry.nonces.push(nonce);
        entry.dadSent++;
        entry.dadDueMs = nowMs + this.#routers.retransTimerMs;
        actions.push({ kind: 'dad-solicit', target: entry.address.slice(), nonce: nonce.slice() });
      } else {
        // §5.4.3, §5.4.4: RetransTimer after the last solicitation, nobody objected.
        this.#assign(entry, nowMs, actions);
      }
    }
  }

  #assign(entry: AddressEntry, nowMs: number, actions: Ipv6ConfigAction[]): void {
    entry.state = entry.preferredUntilMs > nowMs ? 'preferred' : 'deprecated';
    entry.dadDueMs = undefined;
    entry.nonces = [];
    actions.push({
      kind: 'address-ready',
      address: entry.address.slice(),
      prefixLength: entry.prefixLength,
    });
    if (entry.origin !== 'link-local') {
      actions.push({ kind: 'unsolicited-advertise', address: entry.address.slice() });
    }
  }

  /** RFC 4862 §5.5.4: deprecated when the preferred lifetime ends, removed when the valid one does. */
  #expireAddresses(nowMs: number, actions: Ipv6ConfigAction[]): void {
    for (const entry of [...this.#addresses]) {
      if (entry.validUntilMs <= nowMs) {
        this.#removeAddress(entry, nowMs);
        actions.push({ kind: 'address-removed', address: entry.address.slice() });
      } else if (entry.state === 'preferred' && entry.preferredUntilMs <= nowMs) {
        entry.state = 'deprecated';
      }
    }
  }

  #removeAddress(entry: AddressEntry, nowMs: number): void {
    this.#addresses.splice(this.#addresses.indexOf(entry), 1);
    // A duplicate address let its group go when DAD failed.
    if (entry.state !== 'duplicate') this.#listener.release(entry.group, nowMs);
  }

  /** RFC 4862 §5.4.5: the address is not used; a duplicate link-local address disables IPv6. */
  #markDuplicate(entry: AddressEntry, nowMs: number): void {
    entry.state = 'duplicate';
    entry.dadDueMs = undefined;
    entry.nonces = [];
    this.#listener.release(entry.group, nowMs);
    const linkLocal = entry.origin === 'link-local';
    this.#enqueue({ kind: 'address-duplicate', address: entry.address.slice(), linkLocal }, nowMs);
    if (!linkLocal) return;
    // §5.4.5: IP operation on the interface stops: no address, no router, no group, nothing
    // sent. The duplicate stays listed, for status output.
    this.#disabled = true;
    for (const other of this.#addresses) {
      if (other !== entry)
        this.#enqueue({ kind: 'address-removed', address: other.address.slice() }, nowMs);
    }
    this.#addresses = [entry];
    this.#listener.clear();
    this.#routers.clear();
  }

  /** RFC 4862 §5.5.3: a Prefix Information option forms or refreshes an address. */
  #autoconfigure(option: PrefixInformation, nowMs: number): void {
    // (a) only prefixes offered for autonomous configuration; (b) never the link-local prefix.
    if (!option.autonomous || isIpv6LinkLocal(option.prefix)) return;
    // (c) a preferred lifetime beyond the valid one makes the option invalid.
    if (option.preferredLifetimeS > option.validLifetimeS) {
      this.counters.add('slaac.preferred-above-valid');
      return;
    }
    // (d) the prefix and our 64-bit identifier must make 128 bits.
    if (option.prefixLength !== SLAAC_PREFIX_LENGTH) {
      this.counters.add('slaac.prefix-length');
      return;
    }
    const address = ipv6FromPrefixAndIdentifier(
      option.prefix,
      SLAAC_PREFIX_LENGTH,
      this.#interfaceIdentifier,
    );
    const existing = this.#find(address);
    if (existing !== undefined) {
      // A static address that happens to be the same is configuration, not SLAAC's to change.
      if (existing.origin === 'autoconf') this.#refreshLifetimes(existing, option, nowMs);
      return;
    }
    // (d) a new prefix with a valid lifetime of zero forms nothing.
    if (option.validLifetimeS === 0) return;
    let autoconfigured = 0;
    for (const entry of this.#addresses) if (entry.origin === 'autoconf') autoconfigured++;
    if (autoconfigured >= MAX_AUTOCONF_ADDRESSES) {
      this.counters.add('slaac.addresses-full');
      return;
    }
    const validUntilMs = nowMs + lifetimeMs(option.validLifetimeS);
    const preferredUntilMs = nowMs + lifetimeMs(option.preferredLifetimeS);
    this.#addAddress(
      address,
      SLAAC_PREFIX_LENGTH,
      'autoconf',
      validUntilMs,
      preferredUntilMs,
      nowMs,
    );
  }

  /** RFC 4862 §5.5.3 (e): the lifetimes of an address SLAAC formed earlier. */
  #refreshLifetimes(entry: AddressEntry, option: PrefixInformation, nowMs: number): void {
    const receivedMs = lifetimeMs(option.validLifetimeS);
    const remainingMs = entry.validUntilMs - nowMs;
    if (receivedMs > TWO_HOURS_MS || receivedMs > remainingMs) {
      // (e) 1: a valid lifetime above two hours, or above what remains, is taken as is.
      entry.validUntilMs = nowMs + receivedMs;
    } else if (remainingMs > TWO_HOURS_MS) {
      // (e) 3: otherwise it cannot cut the remaining lifetime below two hours, so that a forged
      // advertisement cannot take the address away at once.
      entry.validUntilMs = nowMs + TWO_HOURS_MS;
    }
    // (e) 2: with two hours or less remaining, an unauthenticated advertisement cannot shorten
    // the valid lifetime: it is left as it is.
    // The preferred lifetime is always reset, but cannot outlast the valid one.
    entry.preferredUntilMs = Math.min(
      nowMs + lifetimeMs(option.preferredLifetimeS),
      entry.validUntilMs,
    );
    // §5.5.4: a deprecated address whose preferred lifetime is extended is preferred again.
    if (entry.state === 'preferred' || entry.state === 'deprecated') {
      entry.state = entry.preferredUntilMs > nowMs ? 'preferred' : 'deprecated';
    }
  }

  #enqueue(action: Ipv6ConfigAction, nowMs: number): void {
    this.#queued.push(action);
    this.#queuedAtMs = earliestDeadline(this.#queuedAtMs, nowMs);
  }

  #find(address: Uint8Array): AddressEntry | undefined {
    for (const entry of this.#addresses) if (bytesEqual(entry.address, address)) return entry;
    return undefined;
  }
}

function validate(options: Ipv6HostConfigOptions): void {
  if (options.mode !== 'auto' && options.mode !== 'static') {
    throw new RangeError(`mode must be 'auto' or 'static', got ${String(options.mode)}`);
  }
  if (options.interfaceIdentifier.length !== 8) {
    throw new RangeError(
      `the interface identifier must be 8 bytes (a modified EUI-64), got ${options.interfaceIdentifier.length}`,
    );
  }
  if (!(Number.isSafeInteger(options.linkMtu) && options.linkMtu >= IPV6_MIN_MTU)) {
    throw new RangeError(`an IPv6 link's MTU must be an integer >= 1280, got ${options.linkMtu}`);
  }
  const transmits = options.dadTransmits;
  if (transmits !== undefined && !(Number.isSafeInteger(transmits) && transmits >= 0)) {
    throw new RangeError(
      `dadTransmits must be an integer >= 0 (0 turns DAD off), got ${transmits}`,
    );
  }
  if (!Number.isFinite(options.nowMs)) {
    throw new RangeError(`nowMs must be a finite time, got ${options.nowMs}`);
  }
  const seen = [linkLocalAddress(options.interfaceIdentifier)];
  for (const { address, prefixLength } of options.staticAddresses) {
    requireUnicast(address, 'a static address');
    if (!(Number.isInteger(prefixLength) && prefixLength >= 1 && prefixLength <= 128)) {
      throw new RangeError(`a static address's prefix length must be 1-128, got ${prefixLength}`);
    }
    if (seen.some((other) => bytesEqual(other, address))) {
      throw new RangeError(
        'each static address may be given once, and not be the link-local address',
      );
    }
    seen.push(address);
  }
  if (options.staticGateway !== undefined) requireUnicast(options.staticGateway, 'the gateway');
}

/** fe80::/64 and the interface identifier (RFC 4862 §5.3, RFC 4291 §2.5.6). */
function linkLocalAddress(interfaceIdentifier: Uint8Array): Uint8Array {
  return ipv6FromPrefixAndIdentifier(LINK_LOCAL_PREFIX, 64, interfaceIdentifier);
}

function requireUnicast(address: Uint8Array, what: string): void {
  if (address.length !== 16 || isIpv6Multicast(address) || isIpv6Unspecified(address)) {
    throw new RangeError(`${what} must be a 16-byte unicast IPv6 address`);
  }
}
