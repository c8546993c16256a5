// What the stack hands Ipv6Reassembler: the fragment fields of a packet, read by the wire
// package's header walker, so that tests feed the reassembler as the receive path does.

import assert from 'node:assert/strict';
import { Ipv6HeaderChain, Ipv6Packet, walkIpv6Headers } from '@oasis/wire';
import type { Ipv6Fragment } from '../src/ipv6-reassembly.ts';

const chain = new Ipv6HeaderChain();

/** The walk of `bytes`, which must be a fragment needing reassembly. */
export function walkFragment(bytes: Uint8Array): Ipv6Fragment {
  const checked = Ipv6Packet.checked(bytes);
  assert.ok(checked.ok, 'a valid IPv6 header');
  const verdict = walkIpv6Headers(checked.value, chain);
  assert.equal(verdict, undefined, verdict?.key);
  assert.ok(chain.fragment && !chain.atomicFragment, 'a fragment needing reassembly');
  return {
    headerOffset: chain.fragmentHeaderOffset,
    dataOffset: chain.fragmentDataOffset,
    offset: chain.fragmentOffset,
    more: chain.moreFragments,
    identification: chain.fragmentIdentification,
    nextHeader: chain.fragmentNextHeader,
    payloadEnd: checked.value.totalLength,
  };
}
