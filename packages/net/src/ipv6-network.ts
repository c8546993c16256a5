// IPv6 as the transports see it (ip-network.ts): addresses are 16 bytes, keyed as strings, and
// everything else is the IPv6 and ICMPv6 layers'.

import { readU32BE } from '@oasis/core';
import {
  formatIpv6Address,
  ICMPV6_UNREACHABLE_PORT,
  IPV6_HEADER_LENGTH,
  IPV6_MIN_MTU,
  IPV6_UNSPECIFIED,
  icmpv6DestinationUnreachable,
  ipv6Equal,
  ipv6Key,
  ipv6PseudoHeaderSum,
  isIpv6Multicast,
  isIpv6Unspecified,
  parseIpv6Address,
} from '@oasis/wire';
import type { Icmpv6Layer } from './icmpv6-layer.ts';
import type { IpNetwork, QuotedTransportError, TransportSend } from './ip-network.ts';
import type { Ipv6Delivery, Ipv6Input, Ipv6Layer, Ipv6Path } from './ipv6-layer.ts';

export interface Ipv6Family {
  readonly address: Uint8Array;
  readonly path: Ipv6Path;
  readonly delivery: Ipv6Delivery;
}

export class Ipv6Network implements IpNetwork<Ipv6Family> {
  readonly family = 'IPv6';
  readonly headerLength = IPV6_HEADER_LENGTH;
  readonly minimumMtu = IPV6_MIN_MTU;
  readonly zeroUdpChecksumAllowed = false;
  /** 65535 (the payload length) − 8 (UDP); jumbograms (RFC 2675) are not supported. */
  readonly maxUdpPayload = 65527;
  readonly unspecified = IPV6_UNSPECIFIED;
  readonly #ip: Ipv6Layer;
  readonly #icmp: Icmpv6Layer;

  constructor(ip: Ipv6Layer, icmp: Icmpv6Layer) {
    this.#ip = ip;
    this.#icmp = icmp;
  }

  parse(text: string): Uint8Array | undefined {
    const parsed = parseIpv6Address(text);
    return parsed.ok ? parsed.value : undefined;
  }

  format(address: Uint8Array): string {
    return formatIpv6Address(address);
  }

  isUnspecified(address: Uint8Array): boolean {
    return isIpv6Unspecified(address);
  }

  isLocal(address: Uint8Array): boolean {
    return this.#ip.isLocal(address);
  }

  isGroup(address: Uint8Array): boolean {
    return isIpv6Multicast(address);
  }

  isBroadcast(): boolean {
    return false;
  }

  equals(a: Uint8Array, b: Uint8Array): boolean {
    return ipv6Equal(a, b);
  }

  key(address: Uint8Array, port: number): string {
    return port === 0 ? ipv6Key(address) : `${ipv6Key(address)}:${port}`;
  }

  identity(
    words: Uint32Array,
    local: Uint8Array,
    remote: Uint8Array,
    localPort: number,
    remotePort: number,
  ): number {
    for (let i = 0; i < 4; i++) {
      words[i] = readU32BE(local, 4 * i);
      words[4 + i] = readU32BE(remote, 4 * i);
    }
    words[8] = ((localPort << 16) | remotePort) >>> 0;
    return 9;
  }

  pseudoSum(source: Uint8Array, destination: Uint8Array, protocol: number, length: number) {
    return ipv6PseudoHeaderSum(source, destination, protocol, length);
  }

  path(destination: Uint8Array, source: Uint8Array | undefined): Ipv6Path {
    return this.#ip.path(destination, source);
  }

  linkMtu(path: Ipv6Path): number {
    return path.iface.mtu;
  }

  maxPacketLength(path: Ipv6Path, nowMs: number): number {
    return this.#ip.maxPacketLength(path, nowMs);
  }

  send(request: TransportSend<Uint8Array>, nowMs: number, path?: Ipv6Path): void {
    this.#ip.send(request, nowMs, path);
  }

  register(protocol: number, input: Ipv6Input): void {
    this.#ip.register(protocol, input);
  }

  onError(
    protocol: number,
    handler: (error: QuotedTransportError<Uint8Array>, nowMs: number) => void,
  ): void {
    this.#icmp.onError(protocol, handler);
  }

  portUnreachable(delivery: Ipv6Delivery, nowMs: number): void {
    // RFC 4443 §3.1: code 4, port unreachable.
    this.#icmp.sendError(
      icmpv6DestinationUnreachable(ICMPV6_UNREACHABLE_PORT, delivery.packet),
      delivery,
      nowMs,
    );
  }
}
