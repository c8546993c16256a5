// ICMPv6 for a host (RFC 4443): answers echo requests, sends rate-limited error messages about
// packets it could not deliver, hands errors about its own packets to their transport (Packet
// Too Big lowers the path MTU first, RFC 8201 §4), pings, and passes Neighbor Discovery
// (RFC 4861) and MLD queries (RFC 3810) to the interface they came in on.

import { type Counters, OasisError, type Sleep } from '@oasis/core';
import {
  emitIcmpv6,
  formatIpv6Address,
  ICMPV6_PARAMETER_UNRECOGNIZED_NEXT_HEADER,
  ICMPV6_UNREACHABLE_PORT,
  type Icmpv6EchoRepr,
  type Icmpv6Repr,
  IP_PROTOCOL_ICMPV6,
  IP_PROTOCOL_IPV6_FRAGMENT,
  IPV6_HEADER_LENGTH,
  icmpv6EchoReply,
  icmpv6IsError,
  icmpv6Length,
  ipv6PseudoHeaderSum,
  isIpv6Multicast,
  isIpv6Unspecified,
  MLD_QUERY,
  NDP_REDIRECT,
  NDP_ROUTER_SOLICITATION,
  parseIcmpv6,
  parseMldQuery,
  parseNdp,
} from '@oasis/wire';
import type { QuotedTransportError, TransportError } from './ip-network.ts';
import type { Ipv6Delivery, Ipv6Layer } from './ipv6-layer.ts';
import { type PingOptions, type PingReply, PingTracker } from './ping-tracker.ts';
import { TokenBucket } from './token-bucket.ts';

export interface Icmpv6LayerOptions {
  readonly ip: Ipv6Layer;
  readonly sleep: Sleep;
  readonly nowMs: () => number;
  readonly drops: Counters;
  readonly traffic: Counters;
  /** Error messages sent, at most: RFC 4443 §2.4 (f) requires a limit. */
  readonly errorRate: { readonly ratePerSecond: number; readonly burst: number };
  readonly identifier: number;
}

type QuotedErrorHandler = (error: QuotedTransportError<Uint8Array>, nowMs: number) => void;

/** RFC 4861 §6.1, §7.1: Neighbor Discovery is accepted with hop limit 255 only. */
const NDP_HOP_LIMIT = 255;

export class Icmpv6Layer {
  readonly #ip: Ipv6Layer;
  readonly #nowMs: () => number;
  readonly #drops: Counters;
  readonly #traffic: Counters;
  readonly #errorBucket: TokenBucket;
  readonly #pings: PingTracker;
  readonly #errorHandlers = new Map<number, QuotedErrorHandler>();

  constructor(options: Icmpv6LayerOptions) {
    this.#ip = options.ip;
    this.#nowMs = options.nowMs;
    this.#drops = options.drops;
    this.#traffic = options.traffic;
    this.#errorBucket = new TokenBucket(options.errorRate, options.nowMs());
    this.#pings = new PingTracker(options.sleep, options.identifier);
    options.ip.register(IP_PROTOCOL_ICMPV6, (delivery, nowMs) => this.#input(delivery, nowMs));
  }

  #input(delivery: Ipv6Delivery, nowMs: number): void {
    const { payload, source, destination } = delivery;
    const pseudoSum = ipv6PseudoHeaderSum(source, destination, IP_PROTOCOL_ICMPV6, payload.length);
    const parsed = parseIcmpv6(payload, pseudoSum);
    if (!parsed.ok) {
      this.#drops.add(parsed.error.key);
      return;
    }
    const message = parsed.value;
    this.#traffic.add('icmpv6.received');
    // RFC 4862 §5.4: a tentative address takes its Neighbor Discovery only.
    if (delivery.tentative && !(message.kind === 'other' && isNdp(message.type))) {
      this.#drops.add('ipv6.tentative-destination');
      return;
    }
    switch (message.kind) {
      case 'echo-request':
        // RFC 4443 §4.1: requests to a multicast address are answered too (from a unicast one).
        this.#reply(message, isIpv6Multicast(destination) ? undefined : destination, source, nowMs);
        return;
      case 'echo-reply':
        this.#pong(message, source, delivery.hopLimit, nowMs);
        return;
      case 'destination-unreachable':
      case 'packet-too-big':
      case 'time-exceeded':
      case 'parameter-problem':
        this.#traffic.add(`icmpv6.${message.kind}-received`);
        this.#error(message, delivery, nowMs);
        return;
      case 'other':
        this.#other(message.type, message.code, message.body, delivery, nowMs);
        return;
    }
  }

  #other(type: number, code: number, body: Uint8Array, delivery: Ipv6Delivery, nowMs: number) {
    if (isNdp(type)) {
      if (delivery.hopLimit !== NDP_HOP_LIMIT) {
        this.#drops.add('ndp.bad-hop-limit');
        return;
      }
      const parsed = parseNdp(type, code, body);
      if (!parsed.ok) {
        this.#drops.add(parsed.error.key);
        return;
      }
      delivery.iface.neighborDiscovery(parsed.value, delivery.source, delivery.destination, nowMs);
      return;
    }
    if (type === MLD_QUERY) {
      const parsed = parseMldQuery(body);
      if (!parsed.ok) {
        this.#drops.add(parsed.error.key);
        return;
      }
      delivery.iface.multicastListenerQuery(parsed.value, nowMs);
      return;
    }
    // MLD reports of other listeners, unknown informational messages (RFC 4443 §2.4 (b)).
    this.#traffic.add('icmpv6.other-received');
  }

  /** Hands ICMPv6 errors quoting a packet of `protocol` to its transport. */
  onError(protocol: number, handler: QuotedErrorHandler): void {
    this.#errorHandlers.set(protocol, handler);
  }

  #error(
    message: Extract<
      Icmpv6Repr,
      { kind: 'destination-unreachable' | 'packet-too-big' | 'time-exceeded' | 'parameter-problem' }
    >,
    delivery: Ipv6Delivery,
    nowMs: number,
  ): void {
    const { quoted } = message;
    if (quoted.length < IPV6_HEADER_LENGTH) {
      this.#drops.add('icmpv6.error-truncated');
      return;
    }
    const source = quoted.subarray(8, 24);
    const destination = quoted.subarray(24, 40);
    if (message.kind === 'packet-too-big') {
      // RFC 8201 §4: a PTB below 1280 lowers the path MTU to 1280, no further.
      if (this.#ip.lowerPathMtu(destination, message.mtu, delivery.iface.mtu, nowMs)) {
        this.#traffic.add('ipv6.path-mtu-lowered');
      }
    }
    // This stack sends no extension headers but the fragment header: the transport header
    // follows the fixed header or the fragment header.
    let protocol = quoted[6]!;
    let offset = IPV6_HEADER_LENGTH;
    if (protocol === IP_PROTOCOL_IPV6_FRAGMENT && quoted.length >= offset + 8) {
      protocol = quoted[offset]!;
      offset += 8;
    }
    const error = transportError(message);
    const handler = this.#errorHandlers.get(protocol);
    if (error === undefined || handler === undefined || quoted.length < offset + 8) return;
    handler({ error, source, destination, transport: quoted.subarray(offset) }, nowMs);
  }

  #reply(
    request: Icmpv6EchoRepr,
    ourAddress: Uint8Array | undefined,
    peer: Uint8Array,
    nowMs: number,
  ): void {
    try {
      this.#send(icmpv6EchoReply(request), ourAddress, peer, nowMs, false, undefined);
      this.#traffic.add('icmpv6.echo-replies-sent');
    } catch (error) {
      if (!(error instanceof OasisError)) throw error;
      this.#drops.add(`icmpv6.reply-${error.code.toLowerCase()}`);
    }
  }

  #send(
    message: Icmpv6Repr,
    source: Uint8Array | undefined,
    destination: Uint8Array,
    nowMs: number,
    dontFragment: boolean,
    hopLimit: number | undefined,
  ): void {
    const length = icmpv6Length(message);
    this.#ip.send(
      {
        destination,
        source,
        protocol: IP_PROTOCOL_ICMPV6,
        hopLimit,
        dontFragment,
        payloadLength: length,
        checksumOffset: undefined,
        write: (payload, chosen) =>
          emitIcmpv6(
            message,
            payload,
            ipv6PseudoHeaderSum(chosen, destination, IP_PROTOCOL_ICMPV6, length),
          ),
      },
      nowMs,
    );
  }

  /**
   * Sends `message`, an error about `offending`, unless RFC 4443 §2.4 (e) forbids it or the rate
   * limit (§2.4 (f)) says no: never about an ICMPv6 error or a Redirect, nor to a source that does
   * not name one host; about a packet to a multicast address only when `evenIfMulticast` (Packet
   * Too Big, or an unrecognised option of action 10).
   */
  sendError(
    message: Icmpv6Repr,
    offending: Pick<Ipv6Delivery, 'packet' | 'source' | 'destination' | 'payload'>,
    nowMs: number,
    evenIfMulticast = false,
  ): void {
    const { source, destination, packet } = offending;
    if (
      (isIpv6Multicast(destination) && !evenIfMulticast) ||
      isIpv6Unspecified(source) ||
      isIpv6Multicast(source) ||
      isIcmpv6ErrorOrRedirect(packet)
    ) {
      return;
    }
    if (!this.#errorBucket.take(nowMs)) {
      this.#drops.add('icmpv6.rate-limited');
      return;
    }
    try {
      const from = this.#ip.isLocal(destination) ? destination : undefined;
      this.#send(message, from, source, nowMs, false, undefined);
      this.#traffic.add('icmpv6.errors-sent');
    } catch (error) {
      if (!(error instanceof OasisError)) throw error;
      this.#drops.add('icmpv6.error-unroutable');
    }
  }

  /** Sends an echo request and waits for the reply (RFC 4443 §4.1). */
  ping(destination: Uint8Array, options: PingOptions = {}): Promise<PingReply> {
    const nowMs = this.#nowMs();
    // 65535 (the payload length) − 8 (ICMPv6).
    return this.#pings.start(
      formatIpv6Address(destination),
      options,
      0xffff - 8,
      nowMs,
      (sequence, data) => {
        const request: Icmpv6EchoRepr = {
          kind: 'echo-request',
          checksum: 'compute',
          identifier: this.#pings.identifier,
          sequence,
          data,
        };
        this.#send(
          request,
          undefined,
          destination,
          nowMs,
          options.dontFragment ?? false,
          options.ttl,
        );
        this.#traffic.add('icmpv6.echo-requests-sent');
      },
    );
  }

  #pong(reply: Icmpv6EchoRepr, from: Uint8Array, hopLimit: number, nowMs: number): void {
    const { identifier, sequence, data } = reply;
    if (
      !this.#pings.answer(
        identifier,
        sequence,
        data.length,
        formatIpv6Address(from),
        hopLimit,
        nowMs,
      )
    ) {
      this.#drops.add('icmpv6.unexpected-echo-reply');
    }
  }

  /** Rejects the pings still waiting: the stack is closing. */
  close(error: Error): void {
    this.#pings.close(error);
  }
}

function isNdp(type: number): boolean {
  return type >= NDP_ROUTER_SOLICITATION && type <= NDP_REDIRECT;
}

/**
 * Whether a packet carries an ICMPv6 error or a Redirect right after its fixed header (RFC 4443
 * §2.4 (e.1), (e.2)); packets with extension headers before ICMPv6 are rare enough to be answered.
 */
function isIcmpv6ErrorOrRedirect(packet: Uint8Array): boolean {
  if (packet[6] !== IP_PROTOCOL_ICMPV6 || packet.length <= IPV6_HEADER_LENGTH) return false;
  const type = packet[IPV6_HEADER_LENGTH]!;
  return icmpv6IsError(type) || type === NDP_REDIRECT;
}

/** What an ICMPv6 error means to a transport; undefined for those it ignores. */
function transportError(
  message: Extract<
    Icmpv6Repr,
    { kind: 'destination-unreachable' | 'packet-too-big' | 'time-exceeded' | 'parameter-problem' }
  >,
): TransportError | undefined {
  switch (message.kind) {
    case 'packet-too-big':
      return { kind: 'too-big', description: 'packet too big', nextHopMtu: message.mtu };
    case 'destination-unreachable':
      return {
        // RFC 4443 §3.1: port unreachable is the hard error; the others are soft (RFC 5461).
        kind: message.code === ICMPV6_UNREACHABLE_PORT ? 'refused' : 'soft',
        description: `destination unreachable, code ${message.code}`,
        nextHopMtu: 0,
      };
    case 'parameter-problem':
      // An unrecognised next header is IPv6's protocol unreachable (RFC 4443 §3.4).
      return message.code === ICMPV6_PARAMETER_UNRECOGNIZED_NEXT_HEADER
        ? { kind: 'refused', description: 'unrecognized next header', nextHopMtu: 0 }
        : undefined;
    case 'time-exceeded':
      return undefined;
  }
}
