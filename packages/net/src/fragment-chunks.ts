// How a datagram's data is cut into fragments, for IPv4 (RFC 791 §3.2) and IPv6 (RFC 8200 §4.5)
// alike: the Fragment Offset counts 8-byte units, so every fragment but the last carries a
// multiple of 8 bytes.

/** The most data a fragment other than the last carries when `room` bytes are left for it. */
export function fragmentDataLength(room: number): number {
  return room - (room % 8);
}

/**
 * How many fragments carry `length` bytes when the first takes up to `first` of them and each
 * later one up to `later`.
 */
export function fragmentCount(length: number, first: number, later: number): number {
  return length <= first ? 1 : 1 + Math.ceil((length - first) / later);
}
