// Forwarding on a stack that owns its interfaces (the direct stack): what a router, a firewall or
// a NAT is written against. The stack keeps the mechanism (validation, reassembly, routes, ARP,
// TTL, fragmentation, ICMP errors, batching); the service installs a policy that sees each
// received IPv4 packet first and says what becomes of it, rewriting it in place when it
// translates addresses. Stacks on the host's sockets cannot forward and have no `forwarding`.

/** One interface of a forwarding stack, in the order the service declared them. */
export interface ForwardingInterface {
  /** The declared name (`client`, `uplink`). */
  readonly name: string;
  /** The largest IP packet a frame carries. */
  readonly mtu: number;
  /** Its IPv4 addresses, as unsigned 32-bit numbers, with their prefix lengths. */
  readonly ipv4: readonly { readonly address: number; readonly prefixLength: number }[];
}

/**
 * What becomes of a packet:
 * - `deliver`: the stack handles it as a host would (its own addresses, broadcasts; others dropped);
 * - `forward`: the stack sends it on towards its (possibly rewritten) destination by the route
 *   table, with the TTL decremented (RFC 1812 §5.3.1), fragmented when it is too big and allowed;
 * - `drop`: consumed; the policy counted why;
 * - `time-exceeded`, `too-big`: the stack answers the sender with ICMP Time Exceeded (RFC 792) or
 *   Fragmentation Needed carrying the egress MTU (RFC 1191 §4), quoting the packet as it is.
 */
export type ForwardVerdict = 'deliver' | 'forward' | 'drop' | 'time-exceeded' | 'too-big';

/** Facts about a received packet, in a record the stack reuses for every packet. */
export interface ReceivedPacket {
  /** The index of the interface it came in on. */
  ingress: number;
  /**
   * The TCP/UDP checksum is partial: it holds the pseudo-header sum, for a device to finish
   * (virtio-net NEEDS_CSUM); rewrites must update it as a sum, and leave port changes to the device.
   */
  partialChecksum: boolean;
  /** A TCP super-frame for the egress device to cut into segments of this size; 0 otherwise. */
  segmentSize: number;
}

export interface ForwardingPolicy {
  /**
   * Decides the fate of a received IPv4 packet before the stack handles it. `packet` is exactly
   * one whole datagram (reassembled when it came in fragments), its header checked and its header
   * checksum verified; it is lent for the call and may be rewritten in place. A policy that
   * forwards answers `time-exceeded` for a TTL of 1 or less and `too-big` for a packet longer than
   * the egress MTU with Don't Fragment set (unless `segmentSize` says it is a super-frame), before
   * rewriting it, so that the error quotes what the sender sent.
   */
  route(packet: Uint8Array, received: ReceivedPacket, nowMs: number): ForwardVerdict;
}

export interface Ipv4Forwarding {
  readonly interfaces: readonly ForwardingInterface[];
  /** The index of the interface a packet to `destination` leaves by, or -1 without a route. */
  egressOf(destination: number): number;
  /** Whether one of the stack's own sockets uses `port` (protocol 6 TCP or 17 UDP). */
  portInUse(protocol: number, port: number): boolean;
  /** Installs the policy (undefined: forward nothing, as a host). */
  setPolicy(policy: ForwardingPolicy | undefined): void;
}
