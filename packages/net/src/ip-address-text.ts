// Addresses as the socket API takes them: text, so that services stay family-agnostic. Which
// family a text names decides which layer a socket or connection uses.

import { OasisError } from '@oasis/core';
import { parseIpv4Address, parseIpv6Address } from '@oasis/wire';

export type ParsedIpText =
  | { readonly family: 'IPv4'; readonly address: number }
  | { readonly family: 'IPv6'; readonly address: Uint8Array };

/** The address `text` names, in either family; throws OasisError EINVAL when it names none. */
export function parseIpText(text: string): ParsedIpText {
  const ipv4 = parseIpv4Address(text);
  if (ipv4.ok) return { family: 'IPv4', address: ipv4.value };
  if (text.includes(':')) {
    const ipv6 = parseIpv6Address(text);
    if (ipv6.ok) return { family: 'IPv6', address: ipv6.value };
    throw new OasisError('EINVAL', ipv6.error);
  }
  throw new OasisError('EINVAL', `'${text}' is not an IPv4 address: ${ipv4.error}`);
}

/**
 * The IPv4 address `text` names, where only IPv4 will do (IPv4 routes and gateways, ping over
 * IPv4); throws OasisError EINVAL (malformed) or ENOTSUP (an IPv6 address).
 */
export function parseIpv4Text(text: string): number {
  const parsed = parseIpText(text);
  if (parsed.family === 'IPv4') return parsed.address;
  throw new OasisError('ENOTSUP', `${text} is an IPv6 address; an IPv4 one is needed here`);
}
