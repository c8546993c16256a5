// IPv4 as the transports see it (ip-network.ts): addresses are unsigned 32-bit numbers, and
// everything else is the IPv4 and ICMPv4 layers'.

import { readU32BE } from '@oasis/core';
import {
  formatIpv4Address,
  ICMPV4_UNREACHABLE_FRAGMENTATION_NEEDED,
  ICMPV4_UNREACHABLE_PORT,
  ICMPV4_UNREACHABLE_PROTOCOL,
  IPV4_HEADER_LENGTH,
  icmpv4DestinationUnreachable,
  ipv4PseudoHeaderSum,
  isIpv4Multicast,
  parseIpv4Address,
} from '@oasis/wire';
import type { Icmpv4Layer } from './icmpv4-layer.ts';
import type {
  IpNetwork,
  QuotedTransportError,
  TransportError,
  TransportSend,
} from './ip-network.ts';
import type { Ipv4Delivery, Ipv4Input, Ipv4Layer, Ipv4Path } from './ipv4-layer.ts';

export interface Ipv4Family {
  readonly address: number;
  readonly path: Ipv4Path;
  readonly delivery: Ipv4Delivery;
}

/** RFC 1191 §5: a router that does not say the next hop's MTU leaves the sender to guess. */
const GUESSED_MTU = 576;

export class Ipv4Network implements IpNetwork<Ipv4Family> {
  readonly family = 'IPv4';
  readonly headerLength = IPV4_HEADER_LENGTH;
  /** RFC 791 §3.2: every internet module forwards 68-byte datagrams unfragmented. */
  readonly minimumMtu = 68;
  readonly zeroUdpChecksumAllowed = true;
  /** 65535 − 20 (IP) − 8 (UDP). */
  readonly maxUdpPayload = 65507;
  readonly unspecified = 0;
  readonly #ip: Ipv4Layer;
  readonly #icmp: Icmpv4Layer;

  constructor(ip: Ipv4Layer, icmp: Icmpv4Layer) {
    this.#ip = ip;
    this.#icmp = icmp;
  }

  parse(text: string): number | undefined {
    const parsed = parseIpv4Address(text);
    return parsed.ok ? parsed.value : undefined;
  }

  format(address: number): string {
    return formatIpv4Address(address);
  }

  isUnspecified(address: number): boolean {
    return address === 0;
  }

  isLocal(address: number): boolean {
    return this.#ip.isLocal(address);
  }

  isBroadcast(address: number): boolean {
    return this.#ip.isBroadcast(address);
  }

  isGroup(address: number): boolean {
    return this.#ip.isBroadcast(address) || isIpv4Multicast(address);
  }

  equals(a: number, b: number): boolean {
    return a === b;
  }

  key(address: number, port: number): number {
    return address * 0x10000 + port;
  }

  identity(
    words: Uint32Array,
    local: number,
    remote: number,
    localPort: number,
    remotePort: number,
  ): number {
    words[0] = local;
    words[1] = remote;
    words[2] = ((localPort << 16) | remotePort) >>> 0;
    return 3;
  }

  pseudoSum(source: number, destination: number, protocol: number, length: number): number {
    return ipv4PseudoHeaderSum(source, destination, protocol, length);
  }

  path(destination: number, source: number | undefined): Ipv4Path {
    return this.#ip.path(destination, source);
  }

  linkMtu(path: Ipv4Path): number {
    return path.iface.mtu;
  }

  maxPacketLength(path: Ipv4Path, nowMs: number): number {
    return this.#ip.maxPacketLength(path, nowMs);
  }

  send(request: TransportSend<number>, nowMs: number, path?: Ipv4Path): void {
    this.#ip.send(request, nowMs, path);
  }

  register(protocol: number, input: Ipv4Input): void {
    this.#ip.register(protocol, input);
  }

  onError(
    protocol: number,
    handler: (error: QuotedTransportError<number>, nowMs: number) => void,
  ): void {
    this.#icmp.onError(protocol, (message, nowMs) => {
      const error = transportError(message.kind, message.code, message.nextHopMtu);
      if (error === undefined) return;
      const { quoted } = message;
      const headerLength = (quoted[0]! & 0x0f) * 4;
      if (headerLength < IPV4_HEADER_LENGTH || quoted.length < headerLength + 8) return;
      handler(
        {
          error,
          source: readU32BE(quoted, 12),
          destination: readU32BE(quoted, 16),
          transport: quoted.subarray(headerLength),
        },
        nowMs,
      );
    });
  }

  portUnreachable(delivery: Ipv4Delivery, nowMs: number): void {
    const { packet } = delivery;
    this.#icmp.sendError(
      icmpv4DestinationUnreachable(
        ICMPV4_UNREACHABLE_PORT,
        packet.bytes.subarray(0, packet.totalLength),
      ),
      delivery,
      nowMs,
    );
  }
}

/**
 * What an ICMPv4 error means to a transport; undefined for those it ignores (time exceeded and
 * parameter problems say nothing a connection acts on).
 */
function transportError(
  kind: 'destination-unreachable' | 'time-exceeded' | 'parameter-problem',
  code: number,
  nextHopMtu: number,
): TransportError | undefined {
  if (kind !== 'destination-unreachable') return undefined;
  switch (code) {
    case ICMPV4_UNREACHABLE_FRAGMENTATION_NEEDED:
      return {
        kind: 'too-big',
        description: 'fragmentation needed',
        nextHopMtu: nextHopMtu === 0 ? GUESSED_MTU : nextHopMtu,
      };
    case ICMPV4_UNREACHABLE_PROTOCOL:
    case ICMPV4_UNREACHABLE_PORT:
      return { kind: 'refused', description: `destination unreachable, code ${code}`, nextHopMtu };
    default:
      return { kind: 'soft', description: `destination unreachable, code ${code}`, nextHopMtu };
  }
}
