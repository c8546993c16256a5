// @oasis/net: Oasis' own network stack over NetDevices (the TAP device, the simulator's NICs).
// Per interface: Ethernet, ARP with a bounded cache and RFC 5227 address conflict detection;
// IPv4 with static routes, fragmentation to the MTU and bounded reassembly; optionally IPv6
// (RFC 8200) with Neighbor Discovery, SLAAC and duplicate address detection, MLDv2 reports,
// path MTU and fragments; ICMP and ICMPv6 echo and rate-limited errors; UDP and TCP over both
// families behind the runtime's UdpStack and TcpStack contracts. Malformed input never
// throws: it is dropped and counted by reason (`drops()`). The protocol parts are state machines
// that take `now` and say when to poll next, so the same code runs on real and virtual time.
// Platform-neutral.

export {
  ADDRESS_CONFLICT_DEFAULTS,
  AddressConflictDetector,
  type AddressConflictOptions,
  type AddressConflictState,
} from './address-conflict.ts';
export {
  ArpCache,
  type ArpCacheOptions,
  type ArpEntrySnapshot,
  type ArpEntryState,
} from './arp-cache.ts';
export type { ReassemblyLimits } from './ipv4-reassembly.ts';
export type { Ipv4Route } from './ipv4-route-table.ts';
export {
  createNetStack,
  type InterfaceConfig,
  type InterfaceStatus,
  NetStack,
  type NetStackOptions,
  type StaticRouteConfig,
} from './net-stack.ts';
export type { PingOptions, PingReply } from './ping-tracker.ts';
