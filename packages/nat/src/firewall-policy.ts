// The firewall's forwarding policy (the qubes-mirage-firewall's job): clients on one interface,
// the uplink on another. A client's new flow is checked against the rules once; accepted, it is
// source-translated to the uplink address with an endpoint-independent mapping (RFC 4787, RFC
// 5382) and tracked; later packets of the flow, both ways, are translated by the connection table
// alone, so a rules reload never cuts an established flow. DNS sent to the firewall's client-side
// address goes to the upstream resolver where `specialtarget=dns` allows; port forwards let the
// outside reach inside services; ICMP errors are translated back to the flow they belong to
// (RFC 5508 §4.2); a client may reach another client's mapping through the outside address
// (hairpinning, RFC 4787 REQ-9). Per packet it reads and rewrites in place and allocates nothing.

import { Counters, readU32BE } from '@oasis/core';
import type {
  ForwardingPolicy,
  ForwardVerdict,
  Ipv4Forwarding,
  ReceivedPacket,
} from '@oasis/runtime';
import { IP_PROTOCOL_ICMP, IP_PROTOCOL_TCP, ipv4InSubnet, ipv4Netmask } from '@oasis/wire';
import type { ConnectionTable } from './connection-table.ts';
import { emptyTuple, type FlowTuple, reverseTuple } from './flow-tuple.ts';
import { rewriteQuotedDestination, rewriteQuotedSource } from './icmp-error-rewrite.ts';
import { icmpType, readFlowTuple, readQuotedTuple, tcpFlags } from './packet-fields.ts';
import { rewriteDestination, rewriteSource } from './packet-rewrite.ts';
import type { PortForward } from './port-forward.ts';
import type { RuleSet } from './rules/rule-set.ts';

const DNS_PORT = 53;
const TCP_SYN = 0x02;
const TCP_ACK = 0x10;
const ICMP_ECHO_REQUEST = 8;
/** A hairpinned packet is translated twice: out through the mapping, back in to its target. */
const MAX_TRANSLATIONS = 2;
/** Tags of flows no rule created. */
export const TAG_PORT_FORWARD = -1;

export interface FirewallPolicyOptions {
  readonly forwarding: Ipv4Forwarding;
  /** Interface indexes in `forwarding.interfaces`. */
  readonly clientInterface: number;
  readonly uplinkInterface: number;
  readonly table: ConnectionTable;
  readonly rules: RuleSet;
  /** Where DNS sent to the client-side address goes; without it such DNS reaches the firewall. */
  readonly dnsUpstream?: number;
  readonly portForwards?: readonly PortForward[];
}

export class FirewallPolicy implements ForwardingPolicy {
  /** Packets dropped, by reason; rule drops are counted by the rule set. */
  readonly drops = new Counters();
  readonly #forwarding: Ipv4Forwarding;
  readonly #client: number;
  readonly #uplink: number;
  readonly #table: ConnectionTable;
  readonly #clientAddress: number;
  readonly #clientPrefixLength: number;
  readonly #uplinkAddress: number;
  readonly #dnsUpstream: number | undefined;
  readonly #forwards: readonly PortForward[];
  readonly #tuple = emptyTuple();
  readonly #quoted = emptyTuple();
  readonly #stored = emptyTuple();
  readonly #reply = emptyTuple();
  #rules: RuleSet;

  constructor(options: FirewallPolicyOptions) {
    this.#forwarding = options.forwarding;
    this.#client = options.clientInterface;
    this.#uplink = options.uplinkInterface;
    this.#table = options.table;
    this.#rules = options.rules;
    this.#dnsUpstream = options.dnsUpstream;
    this.#forwards = options.portForwards ?? [];
    const client = options.forwarding.interfaces[this.#client]?.ipv4[0];
    const uplink = options.forwarding.interfaces[this.#uplink]?.ipv4[0];
    if (client === undefined || uplink === undefined || this.#client === this.#uplink) {
      throw new RangeError(
        'the firewall needs a client and an uplink interface, each with an address',
      );
    }
    this.#clientAddress = client.address;
    this.#clientPrefixLength = client.prefixLength;
    this.#uplinkAddress = uplink.address;
    for (const forward of this.#forwards) {
      if (!this.#isClientHost(forward.insideAddress)) {
        throw new RangeError('a port forward must point at an address of the client network');
      }
      if (!this.#table.reservePort(forward.protocol, forward.port)) {
        throw new RangeError(`port ${forward.port} is already mapped`);
      }
    }
  }

  get rules(): RuleSet {
    return this.#rules;
  }

  /** New flows are checked against `rules` from now on; established flows keep going. */
  setRules(rules: RuleSet): void {
    this.#rules = rules;
  }

  route(packet: Uint8Array, received: ReceivedPacket, nowMs: number): ForwardVerdict {
    const tuple = this.#tuple;
    const fromClient = received.ingress === this.#client;
    if (!fromClient && received.ingress !== this.#uplink) return this.#drop('unknown-interface');
    // Anti-spoofing (RFC 2827, RFC 3704): a client speaks only from an address of the client
    // network, and nothing from outside may claim one.
    const source = readU32BE(packet, 12);
    if (fromClient !== this.#isClientHost(source) || this.#isOwn(source)) {
      return this.#drop('spoofed');
    }
    switch (readFlowTuple(packet, tuple)) {
      case 'ok':
        return this.#routeFlow(packet, received, tuple, fromClient, nowMs);
      case 'icmp-error':
        return this.#routeIcmpError(packet, received, nowMs);
      case 'truncated':
        return this.#drop('truncated');
      case 'fragment':
        return this.#drop('fragment');
      case 'unsupported-protocol':
      case 'unsupported-icmp':
        // Not translatable: only the firewall itself may be its destination.
        return this.#isOwn(tuple.destination) ? 'deliver' : this.#drop('unsupported-protocol');
    }
  }

  #routeFlow(
    packet: Uint8Array,
    received: ReceivedPacket,
    tuple: FlowTuple,
    fromClient: boolean,
    nowMs: number,
  ): ForwardVerdict {
    let handle = this.#table.find(
      tuple.protocol,
      tuple.source,
      tuple.sourcePort,
      tuple.destination,
      tuple.destinationPort,
    );
    if (handle < 0) {
      handle = fromClient
        ? this.#newFromClient(packet, tuple, nowMs)
        : this.#newFromUplink(tuple, nowMs);
      if (handle === DELIVER) return 'deliver';
      if (handle < 0) return 'drop';
    }
    const check = this.#forwardable(packet, received, handle);
    if (check !== 'forward') return check;
    for (let pass = 0; pass < MAX_TRANSLATIONS; pass++) {
      this.#translate(packet, received, handle, nowMs);
      // A packet now addressed to the outside address came from a client to a mapping or a
      // port forward of the firewall itself: it turns around (hairpinning, RFC 4787 REQ-9).
      if (readU32BE(packet, 16) !== this.#uplinkAddress) return 'forward';
      readFlowTuple(packet, tuple);
      handle = this.#table.find(
        tuple.protocol,
        tuple.source,
        tuple.sourcePort,
        tuple.destination,
        tuple.destinationPort,
      );
      if (handle < 0) handle = this.#newFromUplink(tuple, nowMs);
      if (handle < 0) return this.#drop('hairpin-no-flow');
    }
    return this.#drop('hairpin-loop');
  }

  /** A client's first packet of a flow: the rules decide. Returns a handle, DELIVER or -1. */
  #newFromClient(packet: Uint8Array, tuple: FlowTuple, nowMs: number): number {
    const { protocol, destination, destinationPort } = tuple;
    const toDns =
      destination === this.#clientAddress &&
      destinationPort === DNS_PORT &&
      protocol !== IP_PROTOCOL_ICMP &&
      this.#dnsUpstream !== undefined;
    // The firewall's own services (ping, DNS without an upstream, ...), except a port forward
    // of its outside address, which the client reaches by hairpinning.
    if (
      !toDns &&
      this.#isOwn(destination) &&
      !this.#isForwarded(protocol, destination, destinationPort)
    ) {
      return DELIVER;
    }
    if (!this.#opensFlow(packet, protocol)) return this.#dropFlow('no-flow');
    if (!toDns && this.#forwarding.egressOf(destination) === this.#client) {
      return this.#dropFlow('client-to-client');
    }
    const type = protocol === IP_PROTOCOL_ICMP ? icmpType(packet) : -1;
    const index = this.#rules.match(
      tuple.source,
      protocol,
      destination,
      destinationPort,
      type,
      toDns,
    );
    const rule = this.#rules.rules[index];
    if (rule === undefined || rule.action === 'drop') return this.#dropFlow('rule');
    const handle = this.#table.addWithSourceNat(
      tuple,
      toDns ? (this.#dnsUpstream ?? destination) : destination,
      destinationPort,
      this.#uplinkAddress,
      nowMs,
      index,
    );
    if (handle < 0) return this.#dropFlow('no-port');
    return handle * 2;
  }

  /** An outside packet with no flow: a port forward's first packet, or the firewall's own. */
  #newFromUplink(tuple: FlowTuple, nowMs: number): number {
    if (tuple.destination !== this.#uplinkAddress) {
      return this.#isOwn(tuple.destination) ? DELIVER : this.#dropFlow('not-translated');
    }
    for (const forward of this.#forwards) {
      if (forward.protocol !== tuple.protocol || forward.port !== tuple.destinationPort) continue;
      const reply = this.#reply;
      reply.protocol = tuple.protocol;
      reply.source = forward.insideAddress;
      reply.sourcePort = forward.insidePort;
      reply.destination = tuple.source;
      reply.destinationPort = tuple.sourcePort;
      const flow = this.#table.add(tuple, reply, nowMs, TAG_PORT_FORWARD);
      return flow < 0 ? this.#dropFlow('no-flow') : flow * 2;
    }
    // Replies to the firewall's own sockets, and anything else for its address.
    return DELIVER;
  }

  #isForwarded(protocol: number, destination: number, port: number): boolean {
    if (destination !== this.#uplinkAddress) return false;
    for (const forward of this.#forwards) {
      if (forward.protocol === protocol && forward.port === port) return true;
    }
    return false;
  }

  /** RFC 5382 §3.3 / RFC 5508 §3.1: only a SYN, a UDP datagram or an echo request opens a flow. */
  #opensFlow(packet: Uint8Array, protocol: number): boolean {
    if (protocol === IP_PROTOCOL_TCP) return (tcpFlags(packet) & (TCP_SYN | TCP_ACK)) === TCP_SYN;
    if (protocol === IP_PROTOCOL_ICMP) return icmpType(packet) === ICMP_ECHO_REQUEST;
    return true;
  }

  /** The TTL and size checks a router makes before it changes the packet (RFC 1812 §5.3.1). */
  #forwardable(packet: Uint8Array, received: ReceivedPacket, handle: number): ForwardVerdict {
    if (packet[8]! <= 1) return 'time-exceeded';
    if (received.segmentSize === 0 && (packet[6]! & 0x40) !== 0) {
      this.#table.tupleOf(handle >>> 1, ((handle & 1) ^ 1) as 0 | 1, this.#stored);
      const egress = this.#forwarding.interfaces[this.#forwarding.egressOf(this.#stored.source)];
      if (egress !== undefined && packet.length > egress.mtu) return 'too-big';
    }
    return 'forward';
  }

  /**
   * Rewrites a packet travelling in `handle`'s direction into what the other side expects: the
   * reverse of the other direction's tuple.
   */
  #translate(packet: Uint8Array, received: ReceivedPacket, handle: number, nowMs: number): void {
    const other = this.#table.tupleOf(handle >>> 1, ((handle & 1) ^ 1) as 0 | 1, this.#stored);
    const tuple = this.#tuple;
    this.#table.seen(handle, tuple.protocol === IP_PROTOCOL_TCP ? tcpFlags(packet) : 0, nowMs);
    const partial = received.partialChecksum;
    if (tuple.source !== other.destination || tuple.sourcePort !== other.destinationPort) {
      rewriteSource(packet, other.destination, other.destinationPort, partial);
    }
    if (tuple.destination !== other.source || tuple.destinationPort !== other.sourcePort) {
      rewriteDestination(packet, other.source, other.sourcePort, partial);
    }
  }

  /**
   * An ICMP error about a datagram of a tracked flow goes where that flow's packets go, its
   * quoted datagram restored to what that side sent (RFC 5508 §4.2 REQ-3, REQ-4).
   */
  #routeIcmpError(packet: Uint8Array, received: ReceivedPacket, nowMs: number): ForwardVerdict {
    const quoted = this.#quoted;
    const outer = this.#tuple;
    if (readQuotedTuple(packet, quoted) !== 'ok') {
      return this.#isOwn(outer.destination) ? 'deliver' : this.#drop('icmp-error-unreadable');
    }
    // The quoted datagram went the other way: the error travels as a reply to it.
    const reversed = reverseTuple(quoted, this.#reply);
    const handle = this.#table.find(
      reversed.protocol,
      reversed.source,
      reversed.sourcePort,
      reversed.destination,
      reversed.destinationPort,
    );
    if (handle < 0) {
      return this.#isOwn(outer.destination) ? 'deliver' : this.#drop('icmp-error-no-flow');
    }
    if (packet[8]! <= 1) return 'time-exceeded';
    const flow = handle >>> 1;
    const direction = (handle & 1) as 0 | 1;
    // What the quoted datagram looked like before translation: its direction's stored tuple.
    const sent = this.#table.tupleOf(flow, (direction ^ 1) as 0 | 1, this.#stored);
    if (quoted.source !== sent.source || quoted.sourcePort !== sent.sourcePort) {
      rewriteQuotedSource(packet, sent.source, sent.sourcePort);
    }
    if (
      quoted.destination !== sent.destination ||
      quoted.destinationPort !== sent.destinationPort
    ) {
      rewriteQuotedDestination(packet, sent.destination, sent.destinationPort);
    }
    // The error came from the far end of the flow itself (port unreachable from the very host):
    // it must seem to come from the address the sender spoke to.
    const farEnd = this.#table.tupleOf(flow, direction, this.#reply);
    const partial = received.partialChecksum;
    if (outer.source === farEnd.source && outer.source !== sent.destination) {
      rewriteSource(packet, sent.destination, 0, partial);
    }
    rewriteDestination(packet, sent.source, 0, partial);
    this.#table.seen(handle, 0, nowMs);
    return 'forward';
  }

  /** A host address of the client network: not the firewall's, not the network or broadcast. */
  #isClientHost(address: number): boolean {
    if (!ipv4InSubnet(address, this.#clientAddress, this.#clientPrefixLength)) return false;
    if (address === this.#clientAddress) return false;
    // RFC 3021: a /31 (or /32) has no network or broadcast address to exclude.
    if (this.#clientPrefixLength >= 31) return true;
    const hostMask = ~ipv4Netmask(this.#clientPrefixLength) >>> 0;
    const host = (address & hostMask) >>> 0;
    return host !== 0 && host !== hostMask;
  }

  #isOwn(address: number): boolean {
    for (const iface of this.#forwarding.interfaces) {
      for (const entry of iface.ipv4) if (entry.address === address) return true;
    }
    return false;
  }

  #drop(reason: string): 'drop' {
    this.drops.add(reason);
    return 'drop';
  }

  #dropFlow(reason: string): number {
    this.drops.add(reason);
    return -1;
  }
}

/** #newFromClient / #newFromUplink: not a flow, the firewall's own packet. */
const DELIVER = -2;
