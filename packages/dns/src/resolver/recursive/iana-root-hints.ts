// IANA's root servers (RFC 7720 §2: reachable over IPv4 and IPv6), with the addresses of the
// current named.root (https://www.internic.net/domain/named.root), which has b.root-servers.net
// at 170.247.170.2 and 2801:1b8:10::b since its renumbering in November 2023. Used only when
// the service is given no root hints file. A stale address costs a timeout, not a wrong answer:
// any root server that answers is as good as the others.

import { DnsName } from '../../wire/name.ts';
import type { RootHint } from './root-hints.ts';

const SERVERS: readonly (readonly [letter: string, ipv4: string, ipv6: string])[] = [
  ['a', '198.41.0.4', '2001:503:ba3e::2:30'],
  ['b', '170.247.170.2', '2801:1b8:10::b'],
  ['c', '192.33.4.12', '2001:500:2::c'],
  ['d', '199.7.91.13', '2001:500:2d::d'],
  ['e', '192.203.230.10', '2001:500:a8::e'],
  ['f', '192.5.5.241', '2001:500:2f::f'],
  ['g', '192.112.36.4', '2001:500:12::d0d'],
  ['h', '198.97.190.53', '2001:500:1::53'],
  ['i', '192.36.148.17', '2001:7fe::53'],
  ['j', '192.58.128.30', '2001:503:c27::2:30'],
  ['k', '193.0.14.129', '2001:7fd::1'],
  ['l', '199.7.83.42', '2001:500:9f::42'],
  ['m', '202.12.27.33', '2001:dc3::35'],
];

export const IANA_ROOT_HINTS: readonly RootHint[] = SERVERS.map(([letter, ipv4, ipv6]) => ({
  name: DnsName.of(`${letter}.root-servers.net.`),
  addresses: [ipv4, ipv6],
}));
