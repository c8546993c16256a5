// The network stack a service declares: TCP and UDP over whatever the target provides (the
// host's sockets, the direct stack on a TAP device, the direct stack on a simulated network).
// A service cannot tell which it got, except by what `describe` reports.

import type { Ipv4Forwarding } from './forwarding.ts';
import type { HostConnectOptions, HostEndpoint } from './happy-eyeballs.ts';
import type { Flow, TcpStack } from './tcp.ts';
import type { UdpStack } from './udp.ts';

export interface Stack {
  readonly tcp: TcpStack;
  readonly udp: UdpStack;
  /** Packet forwarding, on stacks that own their interfaces (the direct stack) only. */
  readonly forwarding?: Ipv4Forwarding;
  /**
   * Opens a TCP connection to a host name or an address literal. A name is looked up in both
   * families (the direct stack asks its DNS servers, the host stack the host's resolver) and
   * its addresses are tried as Happy Eyeballs does (RFC 8305): IPv6 first, the next address
   * after 250 ms or as soon as an attempt fails, the first connection wins. Rejects as
   * `tcp.connect` does, and with ENOTFOUND when the name has no address.
   */
  connect(to: HostEndpoint, options?: HostConnectOptions): Promise<Flow>;
  /** The stack's unicast addresses, as text ('10.0.0.2'). */
  addresses(): readonly string[];
  /** One line for logs: which implementation, on what ('direct stack on tap0, 10.0.0.2/24'). */
  describe(): string;
  /**
   * Closes listeners and sockets, then closes open flows (FIN, and a reset for those that do not
   * finish within a grace period). Later calls on the stack reject with ECLOSED.
   */
  close(): Promise<void>;
}
