// Where a DNS server listens. Addresses are text, as everywhere in the Stack contract, and are
// compared as text: give them in the form the stack reports senders in (dotted quad for IPv4,
// RFC 5952 for IPv6), or answers will not match their server.

import type { UdpBindOptions, UdpEndpoint } from '@oasis/runtime';

export interface DnsServerAddress {
  readonly address: string;
  /** 53 for the usual service (RFC 1035 §4.2). */
  readonly port: number;
}

/** The key of a server in maps: one TCP connection per key. */
export function serverKey(server: DnsServerAddress): string {
  return server.address.includes(':')
    ? `[${server.address}]:${server.port}`
    : `${server.address}:${server.port}`;
}

/** RFC 5452 §9.1: an answer must come from the address and port the query went to. */
export function isFromServer(from: UdpEndpoint, server: DnsServerAddress): boolean {
  return from.port === server.port && from.address === server.address;
}

/** An ephemeral port on every address of the server's family ('::' is dual-stack on hosts). */
export function bindOptionsFor(server: DnsServerAddress): UdpBindOptions {
  return server.address.includes(':') ? { address: '::' } : {};
}

/** Throws RangeError for a port outside 1-65535: a programmer's mistake in the configuration. */
export function checkServer(server: DnsServerAddress): void {
  if (!(Number.isInteger(server.port) && server.port >= 1 && server.port <= 0xffff)) {
    throw new RangeError(
      `a DNS server port is an integer in 1-65535, got ${server.port} for ${server.address}`,
    );
  }
}
