// The five values that name one direction of a connection: protocol, source and destination
// address, source and destination port. For ICMP queries (echo) the query identifier stands in
// for both ports, as RFC 5508 §3.1 has NATs treat it. A FlowTuple is a mutable scratch record:
// the per-packet code fills one it owns instead of allocating.

export interface FlowTuple {
  /** IP protocol number: 6 TCP, 17 UDP, 1 ICMP. */
  protocol: number;
  /** Unsigned 32-bit IPv4 address. */
  source: number;
  sourcePort: number;
  destination: number;
  destinationPort: number;
}

export function emptyTuple(): FlowTuple {
  return { protocol: 0, source: 0, sourcePort: 0, destination: 0, destinationPort: 0 };
}

/** The tuple a reply to `tuple` carries: source and destination swapped. */
export function reverseTuple(tuple: FlowTuple, into: FlowTuple): FlowTuple {
  const { protocol, source, sourcePort, destination, destinationPort } = tuple;
  into.protocol = protocol;
  into.source = destination;
  into.sourcePort = destinationPort;
  into.destination = source;
  into.destinationPort = sourcePort;
  return into;
}
