// UDP as a service sees it, the same on every target: the direct stack implements it over its own
// IP layer, the host-socket stack over node:dgram. Addresses are strings in their usual text form
// ('10.0.0.2', later 'fe80::1'), so a service never depends on the address family.

export interface UdpEndpoint {
  readonly address: string;
  readonly port: number;
}

export interface UdpBindOptions {
  /**
   * A local address of the stack; '0.0.0.0' for every IPv4 address, '::' for every address of
   * both families. Absent: every address the stack has (both families on the direct stack; the
   * host stack takes '0.0.0.0').
   */
  readonly address?: string;
  /** 1-65535, or 0 / absent for an ephemeral port (RFC 6335 §6: 49152-65535). */
  readonly port?: number;
  /** May send to broadcast addresses (SO_BROADCAST); without it such a send throws EACCES. */
  readonly broadcast?: boolean;
}

/**
 * Called once per datagram. `data` belongs to the handler: the stack does not touch it again.
 * `from` is the sender's address and port.
 */
export type UdpMessageHandler = (data: Uint8Array, from: UdpEndpoint) => void;

export interface UdpSocket {
  /** The bound address and port (the port chosen, for an ephemeral bind). */
  readonly local: UdpEndpoint;
  /**
   * Sends one datagram. UDP does not confirm delivery: a datagram lost later (no link-layer
   * answer, a full queue) is counted by the stack, not reported here. Throws OasisError for what
   * is known at once: EMSGSIZE (longer than 65507 bytes, or the path forbids fragmenting),
   * ENETUNREACH (no route), EACCES (a broadcast without the `broadcast` option), EINVAL (a
   * malformed address or port), ECLOSED.
   */
  send(data: Uint8Array, to: UdpEndpoint): void;
  /**
   * Installs the handler, replacing any earlier one. Datagrams that arrive before there is one
   * wait in a bounded queue and are delivered to the first handler.
   */
  onMessage(handler: UdpMessageHandler): void;
  /** Unbinds; later sends throw ClosedError. */
  close(): Promise<void>;
}

export interface UdpStack {
  /** Binds a socket. Rejects with EADDRINUSE (taken), EADDRNOTAVAIL (not our address), EINVAL. */
  bind(options?: UdpBindOptions): Promise<UdpSocket>;
}
