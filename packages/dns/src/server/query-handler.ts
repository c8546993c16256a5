// What a DNS server asks of the code that answers: one function from a decoded query to its
// answer. The transport (sockets, framing, size limits, error answers) is the server's; the
// authoritative server and the resolver each give their own handler.

import type { DnsMessage } from '../wire/message.ts';

export interface QueryContext {
  readonly transport: 'udp' | 'tcp';
  readonly client: { readonly address: string; readonly port: number };
  /**
   * The largest answer this client accepts over this transport: over UDP 512 without EDNS, else
   * the size it offered, at least 512 and at most the server's own limit (RFC 6891 §6.2.5);
   * over TCP 65,535 (RFC 1035 §4.2.2). Larger answers are truncated with TC set.
   */
  readonly maxAnswerLength: number;
}

/** Several messages only over TCP (zone transfers); over UDP return one. undefined = no answer (drop). */
export type DnsAnswer = DnsMessage | readonly DnsMessage[] | undefined;

/**
 * Answers one query. A handler that can answer at once should return the answer, not a promise:
 * the server then sends it without a trip through the microtask queue. Throwing or rejecting
 * answers SERVFAIL.
 */
export type DnsQueryHandler = (
  query: DnsMessage,
  context: QueryContext,
) => DnsAnswer | Promise<DnsAnswer>;
