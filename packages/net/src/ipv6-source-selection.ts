// Source address selection (RFC 6724 §5) among the addresses of one interface, simplified to the
// rules that can tell them apart on a host with one interface, no home address, no temporary
// addresses and no policy table:
//   Rule 1, prefer the destination itself; Rule 2, prefer an appropriate scope; Rule 3, avoid
//   deprecated addresses; Rule 8, prefer the longest matching prefix.
// Rules 4 (home addresses), 5 and 5.5 (outgoing interface, next hop), 6 (policy table labels)
// and 7 (temporary addresses) are not applied; ties keep the address configured first.
// Allocates nothing: the stack may ask per connection, or per packet.

import { bytesEqual } from '@oasis/core';
import {
  IPV6_SCOPE_GLOBAL,
  IPV6_SCOPE_LINK_LOCAL,
  ipv6MulticastScope,
  isIpv6LinkLocal,
  isIpv6Loopback,
  isIpv6Multicast,
} from '@oasis/wire';

/** An address of ours as selection sees it. */
export interface SourceCandidate {
  readonly address: Uint8Array;
  readonly prefixLength: number;
  readonly state: 'tentative' | 'preferred' | 'deprecated' | 'duplicate';
}

/**
 * The best source for `destination` among `candidates`, or undefined when none may be used.
 * Only preferred and deprecated addresses are candidates (RFC 4862 §5.5.4: never tentative or
 * duplicate ones). A link-local source is no candidate for a destination beyond the link: a
 * router never forwards it (RFC 4291 §2.5.6).
 */
export function selectSourceAddress(
  candidates: readonly SourceCandidate[],
  destination: Uint8Array,
): Uint8Array | undefined {
  const destinationScope = ipv6Scope(destination);
  let best: SourceCandidate | undefined;
  for (const candidate of candidates) {
    if (candidate.state !== 'preferred' && candidate.state !== 'deprecated') continue;
    const scope = ipv6Scope(candidate.address);
    if (scope <= IPV6_SCOPE_LINK_LOCAL && destinationScope > IPV6_SCOPE_LINK_LOCAL) continue;
    if (best === undefined || isBetter(candidate, best, destination, destinationScope)) {
      best = candidate;
    }
  }
  return best?.address;
}

/** Whether `a` beats `b` as the source for `destination` (RFC 6724 §5). */
function isBetter(
  a: SourceCandidate,
  b: SourceCandidate,
  destination: Uint8Array,
  destinationScope: number,
): boolean {
  // Rule 1: the destination itself.
  if (bytesEqual(a.address, destination)) return true;
  if (bytesEqual(b.address, destination)) return false;
  // Rule 2: the smaller scope if it still reaches the destination, else the larger.
  const scopeA = ipv6Scope(a.address);
  const scopeB = ipv6Scope(b.address);
  if (scopeA < scopeB) return scopeA >= destinationScope;
  if (scopeB < scopeA) return scopeB < destinationScope;
  // Rule 3: preferred before deprecated.
  if (a.state !== b.state) return a.state === 'preferred';
  // Rule 8: the longest prefix shared with the destination, counting no further than the
  // source's own prefix (§2.2 CommonPrefixLen).
  return (
    commonPrefixLength(a.address, destination, a.prefixLength) >
    commonPrefixLength(b.address, destination, b.prefixLength)
  );
}

/** The deprecated site-local scope (RFC 3879), which fec0::/10 still has in RFC 6724 §3.1. */
const IPV6_SCOPE_SITE_LOCAL = 0x5;

/**
 * The scope of an address as RFC 6724 §3.1 sees it: a multicast address's own scope field;
 * link-local for fe80::/10 and for the loopback address; site-local for fec0::/10; global for
 * every other unicast address, unique local addresses included.
 */
function ipv6Scope(address: Uint8Array): number {
  if (isIpv6Multicast(address)) return ipv6MulticastScope(address);
  if (isIpv6LinkLocal(address) || isIpv6Loopback(address)) return IPV6_SCOPE_LINK_LOCAL;
  if (address[0] === 0xfe && (address[1]! & 0xc0) === 0xc0) return IPV6_SCOPE_SITE_LOCAL;
  return IPV6_SCOPE_GLOBAL;
}

/** How many leading bits `a` and `b` share, counting at most `limit`. */
function commonPrefixLength(a: Uint8Array, b: Uint8Array, limit: number): number {
  for (let i = 0; i < 16 && 8 * i < limit; i++) {
    const difference = a[i]! ^ b[i]!;
    if (difference !== 0) return Math.min(limit, 8 * i + Math.clz32(difference) - 24);
  }
  return Math.min(limit, 128);
}
