// What a transport protocol needs of the network layer, the same for IPv4 and IPv6: one UDP and
// one TCP implementation run over either family through this contract. An address family fixes
// three types: its addresses (IPv4: an unsigned 32-bit number, IPv6: 16 bytes), its paths (where a
// packet leaves, with which source) and its deliveries (a received datagram, borrowed for the
// call). ipv4-network.ts and ipv6-network.ts implement it over their layers.

/** The types one address family works with. */
export interface IpFamilyTypes {
  readonly address: unknown;
  readonly path: NetworkPath<unknown>;
  readonly delivery: TransportDelivery<unknown>;
}

/** Where packets to one destination leave. */
export interface NetworkPath<A> {
  /** The source address chosen for this destination (RFC 1122 §3.3.4.3, RFC 6724). */
  readonly source: A;
}

/** A datagram for a transport protocol: whole (reassembled), its IP header checked. */
export interface TransportDelivery<A> {
  readonly source: A;
  readonly destination: A;
  /** The transport header and data. */
  readonly payload: Uint8Array;
  /** The device verified the transport checksum, or the sender left it partial (virtio-net). */
  readonly checksumVerified: boolean;
  /** Sent to a broadcast or multicast address: never answered with an error, never TCP. */
  readonly broadcast: boolean;
}

export type TransportInput<D> = (delivery: D, nowMs: number) => void;

/** What a transport protocol asks the network layer to send. */
export interface TransportSend<A> {
  readonly destination: A;
  /** One of our addresses, or undefined to take the route's. */
  readonly source: A | undefined;
  readonly protocol: number;
  /** IPv4 time to live, IPv6 hop limit; undefined: the layer's default. */
  readonly hopLimit: number | undefined;
  /** Never fragment at the source: too long a datagram fails with EMSGSIZE. */
  readonly dontFragment: boolean;
  readonly payloadLength: number;
  /** Where the transport checksum sits in the payload, for a device to finish; undefined: none. */
  readonly checksumOffset: number | undefined;
  /**
   * A TCP super-frame longer than the MTU, for the device to cut into `segmentSize`-byte
   * segments behind copies of the first `headerLength` bytes of the payload (TSO). Only when
   * `maxPacketLength` allowed it; the transport checksum is then always left to the device.
   */
  readonly segmentation?: { readonly segmentSize: number; readonly headerLength: number };
  /**
   * Writes exactly `payloadLength` bytes into `payload`. With `offload` the transport leaves the
   * checksum partial (the pseudo-header sum) for the device to complete.
   */
  write(payload: Uint8Array, source: A, offload: boolean): void;
}

/**
 * An ICMP error about a datagram we sent, as its transport needs it, whatever the family:
 * - `too-big`: the path MTU is `nextHopMtu` (RFC 1191 §4 fragmentation needed, RFC 8201 packet
 *   too big); 0 when the router did not say.
 * - `refused`: the peer has no such port or protocol (RFC 1122 §4.2.3.9 hard errors, RFC 4443
 *   port unreachable);
 * - `soft`: anything else worth remembering for when the connection times out.
 */
export interface TransportError {
  readonly kind: 'too-big' | 'refused' | 'soft';
  /** ICMP type and code as text ('destination unreachable, code 1'), for error messages. */
  readonly description: string;
  readonly nextHopMtu: number;
}

/** A transport error with the endpoints of the datagram it quotes. */
export interface QuotedTransportError<A> {
  readonly error: TransportError;
  /** Our address and the peer's, as in the quoted datagram. */
  readonly source: A;
  readonly destination: A;
  /** The quoted transport header, at least its first 8 bytes. */
  readonly transport: Uint8Array;
}

export interface IpNetwork<F extends IpFamilyTypes> {
  readonly family: 'IPv4' | 'IPv6';
  /** The IP header a transport segment gets, without options or extension headers. */
  readonly headerLength: number;
  /** The smallest MTU the family guarantees: 68 (RFC 791), 1280 (RFC 8200 §5). */
  readonly minimumMtu: number;
  /** A UDP checksum of zero means "none" (IPv4, RFC 768); IPv6 forbids it (RFC 8200 §8.1). */
  readonly zeroUdpChecksumAllowed: boolean;
  /** The largest UDP payload one datagram carries. */
  readonly maxUdpPayload: number;
  /** The unspecified address, "any" for binds (0.0.0.0, ::). */
  readonly unspecified: F['address'];
  /** The address `text` names in this family, or undefined when it names none. */
  parse(text: string): F['address'] | undefined;
  format(address: F['address']): string;
  isUnspecified(address: F['address']): boolean;
  /** A usable address of this stack. */
  isLocal(address: F['address']): boolean;
  /** A broadcast (IPv4) or multicast address: no connection can go there. */
  isGroup(address: F['address']): boolean;
  /** An IPv4 broadcast address (limited, or directed to one of our subnets); IPv6 has none. */
  isBroadcast(address: F['address']): boolean;
  /** Whether two addresses are the same; allocates nothing. */
  equals(a: F['address'], b: F['address']): boolean;
  /** A Map key for an address and port, cheap to build per segment. */
  key(address: F['address'], port: number): number | string;
  /** Writes the words of a connection identity into `words` for keyed hashing; returns how many. */
  identity(
    words: Uint32Array,
    local: F['address'],
    remote: F['address'],
    localPort: number,
    remotePort: number,
  ): number;
  /** The transport checksum's pseudo-header sum (RFC 768, RFC 9293 §3.1, RFC 8200 §8.1). */
  pseudoSum(
    source: F['address'],
    destination: F['address'],
    protocol: number,
    length: number,
  ): number;
  /**
   * The path to `destination`; throws OasisError ENETUNREACH without a route, EADDRNOTAVAIL while
   * no source address is usable yet.
   */
  path(destination: F['address'], source: F['address'] | undefined): F['path'];
  /** The MTU of the link the path leaves by. */
  linkMtu(path: F['path']): number;
  /** The longest packet `send` takes for `path` unfragmented (a super-frame with TSO). */
  maxPacketLength(path: F['path'], nowMs: number): number;
  /** Sends a datagram; throws OasisError as `path`, and EMSGSIZE. */
  send(request: TransportSend<F['address']>, nowMs: number, path?: F['path']): void;
  register(protocol: number, input: TransportInput<F['delivery']>): void;
  /** Hands ICMP errors quoting a datagram of `protocol` to its transport. */
  onError(
    protocol: number,
    handler: (error: QuotedTransportError<F['address']>, nowMs: number) => void,
  ): void;
  /** Answers a datagram nobody listens for with a (rate-limited) port unreachable. */
  portUnreachable(delivery: F['delivery'], nowMs: number): void;
}
