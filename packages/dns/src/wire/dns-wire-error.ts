// Why the DNS codec refused a message. A server answers FORMERR or drops the datagram and counts
// it under `dns.${reason}`; errors are made once, so refusing bad input allocates nothing.

export type DnsWireReason =
  /** The message ends inside a field (RFC 1035 §4.1). */
  | 'truncated'
  /** Bytes after the last record the counts announce. */
  | 'trailing-data'
  /** A compression pointer that does not point backwards, before the name it is part of (RFC 1035 §4.1.4). */
  | 'bad-pointer'
  /** A label type other than 0b00 (length) and 0b11 (pointer): RFC 6891 §5 retired extended labels. */
  | 'bad-label-type'
  /** A name longer than 255 bytes in wire form (RFC 1035 §3.1). */
  | 'name-too-long'
  /** RDATA that does not fit its type's format, or not its RDLENGTH exactly. */
  | 'bad-rdata'
  /** An OPT record that is not unique, not in the additional section, or not owned by the root (RFC 6891 §6.1.1). */
  | 'bad-opt'
  /** A record count no message of this size can hold. */
  | 'bad-count';

export interface DnsWireError {
  readonly reason: DnsWireReason;
  /** `dns.${reason}`, the key drop counters use. */
  readonly key: string;
}

const errors = new Map<DnsWireReason, DnsWireError>();

/** The one error value of `reason`. */
export function dnsWireError(reason: DnsWireReason): DnsWireError {
  let error = errors.get(reason);
  if (error === undefined) {
    error = Object.freeze({ reason, key: `dns.${reason}` });
    errors.set(reason, error);
  }
  return error;
}

export function isDnsWireError(value: unknown): value is DnsWireError {
  return (
    typeof value === 'object' &&
    value !== null &&
    errors.get((value as DnsWireError).reason) === value
  );
}
