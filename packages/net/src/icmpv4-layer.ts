// ICMPv4 for a host (RFC 792, RFC 1122 §3.2.2): answers echo requests, sends rate-limited error
// messages about datagrams it could not deliver, counts the errors it receives, and pings (the
// client side of echo).

import { type Counters, OasisError, type Sleep } from '@oasis/core';
import {
  emitIcmpv4,
  formatIpv4Address,
  ICMPV4_DESTINATION_UNREACHABLE,
  ICMPV4_PARAMETER_PROBLEM,
  ICMPV4_REDIRECT,
  ICMPV4_TIME_EXCEEDED,
  type Icmpv4EchoRepr,
  type Icmpv4Repr,
  IP_PROTOCOL_ICMP,
  IPV4_BROADCAST,
  icmpv4EchoReply,
  icmpv4Length,
  isIpv4Loopback,
  isIpv4Multicast,
  parseIcmpv4,
} from '@oasis/wire';
import type { Ipv4Delivery, Ipv4Layer } from './ipv4-layer.ts';
import { type PingOptions, type PingReply, PingTracker } from './ping-tracker.ts';
import { TokenBucket } from './token-bucket.ts';

/** An ICMP error about a datagram we sent, for its transport; `quoted` is borrowed. */
export interface Icmpv4ErrorReport {
  readonly kind: 'destination-unreachable' | 'time-exceeded' | 'parameter-problem';
  readonly code: number;
  /** Code 4 of destination unreachable: the MTU of the next hop (RFC 1191 §4), or 0. */
  readonly nextHopMtu: number;
  /** Our datagram's IP header and at least the first 8 bytes of its payload. */
  readonly quoted: Uint8Array;
}

export type Icmpv4ErrorHandler = (error: Icmpv4ErrorReport, nowMs: number) => void;

export interface Icmpv4LayerOptions {
  readonly ip: Ipv4Layer;
  readonly sleep: Sleep;
  readonly nowMs: () => number;
  readonly drops: Counters;
  readonly traffic: Counters;
  /** Error messages sent, at most: RFC 1812 §4.3.2.8 asks for a limit. */
  readonly errorRate: { readonly ratePerSecond: number; readonly burst: number };
  readonly identifier: number;
}

export class Icmpv4Layer {
  readonly #ip: Ipv4Layer;
  readonly #nowMs: () => number;
  readonly #drops: Counters;
  readonly #traffic: Counters;
  readonly #errorBucket: TokenBucket;
  readonly #pings: PingTracker;
  readonly #errorHandlers = new Map<number, Icmpv4ErrorHandler>();

  constructor(options: Icmpv4LayerOptions) {
    this.#ip = options.ip;
    this.#nowMs = options.nowMs;
    this.#drops = options.drops;
    this.#traffic = options.traffic;
    this.#errorBucket = new TokenBucket(options.errorRate, options.nowMs());
    this.#pings = new PingTracker(options.sleep, options.identifier);
    options.ip.register(IP_PROTOCOL_ICMP, (delivery, nowMs) => this.#input(delivery, nowMs));
  }

  #input(delivery: Ipv4Delivery, nowMs: number): void {
    const { packet } = delivery;
    const parsed = parseIcmpv4(packet.payload, !delivery.checksumVerified);
    if (!parsed.ok) {
      this.#drops.add(parsed.error.key);
      return;
    }
    const message = parsed.value;
    this.#traffic.add('icmpv4.received');
    switch (message.kind) {
      case 'echo-request':
        // RFC 1122 §3.2.2.6: a host MAY ignore echo requests to a broadcast address; Linux does
        // by default (icmp_echo_ignore_broadcasts), and so does Oasis, against smurf attacks.
        if (delivery.broadcast) {
          this.#drops.add('icmpv4.broadcast-echo');
          return;
        }
        this.#reply(message, packet.destination, packet.source, nowMs);
        return;
      case 'echo-reply':
        this.#pong(message, packet.source, packet.ttl, nowMs);
        return;
      case 'destination-unreachable':
      case 'time-exceeded':
      case 'parameter-problem': {
        // Unconnected UDP sockets are not told (as on Linux without IP_RECVERR); TCP is, by
        // the protocol of the quoted datagram (RFC 1122 §3.2.2.1, §4.2.3.9).
        this.#traffic.add(`icmpv4.${message.kind}-received`);
        const quoted = message.quoted;
        if (quoted.length < 20 + 8) return;
        const handler = this.#errorHandlers.get(quoted[9]!);
        handler?.(
          {
            kind: message.kind,
            code: message.code,
            nextHopMtu: message.kind === 'destination-unreachable' ? message.nextHopMtu : 0,
            quoted,
          },
          nowMs,
        );
        return;
      }
      case 'other':
        // Timestamp, information, redirect (a host may ignore redirects from an unknown router;
        // routes here are static): counted, not acted on.
        this.#traffic.add('icmpv4.other-received');
        return;
    }
  }

  /** Hands ICMP errors quoting a datagram of `protocol` to its transport. */
  onError(protocol: number, handler: Icmpv4ErrorHandler): void {
    this.#errorHandlers.set(protocol, handler);
  }

  #reply(request: Icmpv4EchoRepr, ourAddress: number, peer: number, nowMs: number): void {
    const reply = icmpv4EchoReply(request);
    this.#send(reply, ourAddress, peer, nowMs, false);
    this.#traffic.add('icmpv4.echo-replies-sent');
  }

  #send(
    message: Icmpv4Repr,
    source: number | undefined,
    destination: number,
    nowMs: number,
    dontFragment: boolean,
    ttl?: number,
  ): void {
    this.#ip.send(
      {
        destination,
        source,
        protocol: IP_PROTOCOL_ICMP,
        dontFragment,
        hopLimit: ttl,
        payloadLength: icmpv4Length(message),
        checksumOffset: undefined,
        write: (payload) => emitIcmpv4(message, payload),
      },
      nowMs,
    );
  }

  /**
   * Sends `message`, an error about `offending` (delivered to us), unless RFC 1122 §3.2.2 forbids
   * it or the rate limit says no. Errors are never sent about an ICMP error, a broadcast or
   * multicast datagram, a fragment other than the first, or a datagram whose source does not
   * name one host.
   */
  sendError(
    message: Icmpv4Repr,
    offending: Pick<Ipv4Delivery, 'packet' | 'broadcast'>,
    nowMs: number,
  ): void {
    const { packet } = offending;
    const source = packet.source;
    if (
      offending.broadcast ||
      isIpv4Multicast(packet.destination) ||
      packet.fragmentOffset !== 0 ||
      source === 0 ||
      source === IPV4_BROADCAST ||
      isIpv4Multicast(source) ||
      isIpv4Loopback(source) ||
      this.#ip.isBroadcast(source) ||
      isIcmpError(packet.protocol, packet.payload)
    ) {
      return;
    }
    if (!this.#errorBucket.take(nowMs)) {
      this.#drops.add('icmpv4.rate-limited');
      return;
    }
    try {
      // A router's error about a datagram it forwards comes from its own address on the way
      // back (RFC 1812 §4.3.2.4); a host's, from the address the datagram was sent to.
      const from = this.#ip.isLocal(packet.destination) ? packet.destination : undefined;
      this.#send(message, from, source, nowMs, false);
      this.#traffic.add('icmpv4.errors-sent');
    } catch (error) {
      // No route back to the source: nothing to tell it.
      if (!(error instanceof OasisError)) throw error;
      this.#drops.add('icmpv4.error-unroutable');
    }
  }

  /** Sends an echo request and waits for the reply (RFC 792). */
  ping(destination: number, options: PingOptions = {}): Promise<PingReply> {
    const nowMs = this.#nowMs();
    // 65535 − 20 (IP) − 8 (ICMP).
    return this.#pings.start(
      formatIpv4Address(destination),
      options,
      65507 - 8,
      nowMs,
      (sequence, data) => {
        const request: Icmpv4EchoRepr = {
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
        this.#traffic.add('icmpv4.echo-requests-sent');
      },
    );
  }

  #pong(reply: Icmpv4EchoRepr, from: number, ttl: number, nowMs: number): void {
    const { identifier, sequence, data } = reply;
    if (
      !this.#pings.answer(identifier, sequence, data.length, formatIpv4Address(from), ttl, nowMs)
    ) {
      this.#drops.add('icmpv4.unexpected-echo-reply');
    }
  }

  /** Rejects the pings still waiting: the stack is closing. */
  close(error: Error): void {
    this.#pings.close(error);
  }
}

/** Source quench (RFC 792), deprecated by RFC 6633 but still an error message. */
const ICMPV4_SOURCE_QUENCH = 4;

/** Whether an ICMP message is an error message (RFC 1122 §3.2.2). */
function isIcmpError(protocol: number, payload: Uint8Array): boolean {
  if (protocol !== IP_PROTOCOL_ICMP) return false;
  switch (payload[0]) {
    case ICMPV4_DESTINATION_UNREACHABLE:
    case ICMPV4_SOURCE_QUENCH:
    case ICMPV4_REDIRECT:
    case ICMPV4_TIME_EXCEEDED:
    case ICMPV4_PARAMETER_PROBLEM:
      return true;
    default:
      return false;
  }
}
