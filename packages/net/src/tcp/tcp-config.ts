// The tunables of the direct stack's TCP, with their defaults and where each comes from.

import type { CongestionAlgorithm } from './congestion-control.ts';

export interface TcpKeepAlive {
  /** Quiet time before the first probe (RFC 1122 §4.2.3.6: default no less than two hours). */
  readonly idleMs: number;
  readonly intervalMs: number;
  /** Unanswered probes before the connection is dropped with ETIMEDOUT. */
  readonly probes: number;
}

export interface TcpConfig {
  /** Bytes a connection holds for the reader; the advertised window (scaled, RFC 7323). */
  readonly receiveBufferBytes: number;
  /** Unacknowledged bytes a connection holds for the writer before `write` waits. */
  readonly sendBufferBytes: number;
  readonly congestion: CongestionAlgorithm;
  /** Delayed ACK timer (RFC 9293 §3.8.6.3: under 0.5 s; Linux waits 40 ms at least). */
  readonly ackDelayMs: number;
  /** TIME-WAIT lasts 2·MSL (RFC 9293 §3.4.2); Linux uses 60 s in all. */
  readonly timeWaitMs: number;
  /** SYN retransmissions before connect gives up with ETIMEDOUT (Linux: 6, about 2 min). */
  readonly synRetries: number;
  /** Retransmissions of data before the connection is dropped (RFC 1122 §4.2.3.5 R2; Linux: 15). */
  readonly maxRetransmits: number;
  readonly initialRtoMs: number;
  readonly minRtoMs: number;
  readonly maxRtoMs: number;
  /** Off unless set (RFC 1122 §4.2.3.6: keep-alives MUST default to off). */
  readonly keepAlive: TcpKeepAlive | undefined;
  /** Established and closing connections the stack holds at most; SYNs beyond are dropped. */
  readonly maxConnections: number;
  /** Half-open connections per listener; beyond it SYN-ACKs carry SYN cookies (RFC 4987 §3.6). */
  readonly synBacklog: number;
  /** Challenge ACKs per second, the stack-wide limit of RFC 5961 §7. */
  readonly challengeAckRate: number;
  /**
   * Selective acknowledgments (RFC 2018): offer SACK-Permitted in SYNs and SYN-ACKs and use SACK
   * when the peer offers it too. Off, recovery is NewReno's (RFC 6582).
   */
  readonly sack: boolean;
}

export const TCP_DEFAULTS: TcpConfig = {
  receiveBufferBytes: 4 * 1024 * 1024,
  sendBufferBytes: 4 * 1024 * 1024,
  congestion: 'cubic',
  ackDelayMs: 40,
  timeWaitMs: 60_000,
  synRetries: 6,
  maxRetransmits: 15,
  initialRtoMs: 1000,
  minRtoMs: 200,
  maxRtoMs: 60_000,
  keepAlive: undefined,
  maxConnections: 65_536,
  synBacklog: 256,
  challengeAckRate: 1000,
  sack: true,
};

/** RFC 7323 §2.3: the smallest shift that fits `receiveBufferBytes` in the 16-bit window field, at most 14. */
export function receiveWindowShift(receiveBufferBytes: number): number {
  let shift = 0;
  while (shift < 14 && receiveBufferBytes >> shift > 0xffff) shift++;
  return shift;
}
