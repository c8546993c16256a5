// How a stack finds the addresses of a host name: one family at a time, because Happy Eyeballs
// (RFC 8305 §3) asks for AAAA and A separately and acts on whichever answers first. The direct
// stack looks names up with its own DNS client; the host stack asks the host's resolver.

/**
 * The addresses of `name` in one family, as text, in the order the answer gave them: A records
 * for 4, AAAA for 6. Resolves [] when the name has none of that family (NODATA or NXDOMAIN,
 * RFC 2308); rejects with an OasisError when the lookup itself failed (ETIMEDOUT, EIO, ...), or
 * with EABORTED when `signal` aborts first.
 */
export type NameLookup = (
  name: string,
  family: 4 | 6,
  signal: AbortSignal,
) => Promise<readonly string[]>;
