// Idle timeouts of tracked flows. A flow is forgotten (and its port mapping freed with its last
// flow, RFC 4787 REQ-5) once no packet has been seen in either direction for its class's timeout.
// Each class is one LRU list in the connection table, so every flow of a list shares a timeout.

export interface NatTimeouts {
  /** TCP after the three-way handshake. RFC 5382 REQ-5: MUST NOT be less than 2 h 4 min. */
  tcpEstablishedMs: number;
  /** TCP partially open or partially closed (SYN, FIN, TIME-WAIT). RFC 5382 REQ-5: ≥ 4 min. */
  tcpTransitoryMs: number;
  /** TCP after a RST in either direction. 10 s, Linux's nf_conntrack_tcp_timeout_close. */
  tcpResetMs: number;
  /** UDP and protocols without ports. RFC 4787 REQ-5: ≥ 2 min, 5 min or more recommended. */
  udpMs: number;
  /** ICMP queries (echo). RFC 5508 REQ-1 b: the query session timer MUST NOT be < 60 s. */
  icmpMs: number;
}

export const NAT_TIMEOUTS: NatTimeouts = Object.freeze({
  tcpEstablishedMs: 7_440_000,
  tcpTransitoryMs: 240_000,
  tcpResetMs: 10_000,
  udpMs: 300_000,
  icmpMs: 60_000,
});

// The classes, indexing the table's lists. On equal expiry times the eviction victim is taken from
// the lowest class, so the short-lived classes come first and established TCP last.
export const CLASS_TCP_RESET = 0;
export const CLASS_ICMP = 1;
export const CLASS_TCP_TRANSITORY = 2;
export const CLASS_UDP = 3;
export const CLASS_TCP_ESTABLISHED = 4;
export type TimeoutClass =
  | typeof CLASS_TCP_RESET
  | typeof CLASS_ICMP
  | typeof CLASS_TCP_TRANSITORY
  | typeof CLASS_UDP
  | typeof CLASS_TCP_ESTABLISHED;
export const TIMEOUT_CLASS_COUNT = 5;

/** The timeouts in milliseconds indexed by class, defaults overridden by `overrides`. */
export function timeoutsByClass(overrides: Partial<NatTimeouts> = {}): Float64Array {
  const timeouts = { ...NAT_TIMEOUTS, ...overrides };
  for (const [name, value] of Object.entries(timeouts)) {
    if (!(value > 0 && Number.isFinite(value))) {
      throw new RangeError(
        `timeouts.${name} must be a positive number of milliseconds, got ${value}`,
      );
    }
  }
  const byClass = new Float64Array(TIMEOUT_CLASS_COUNT);
  byClass[CLASS_TCP_RESET] = timeouts.tcpResetMs;
  byClass[CLASS_ICMP] = timeouts.icmpMs;
  byClass[CLASS_TCP_TRANSITORY] = timeouts.tcpTransitoryMs;
  byClass[CLASS_UDP] = timeouts.udpMs;
  byClass[CLASS_TCP_ESTABLISHED] = timeouts.tcpEstablishedMs;
  return byClass;
}
