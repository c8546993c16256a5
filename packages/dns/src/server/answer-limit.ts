// How long an answer may be, by transport. UDP answers are 512 bytes at most unless the query's
// OPT record offers more (RFC 1035 §4.2.1, RFC 6891 §6.2.3), and a server caps what it sends at
// a size that avoids IP fragmentation; TCP carries up to 65,535 bytes (RFC 1035 §4.2.2).

import { MAX_MESSAGE_LENGTH } from '../wire/dns-writer.ts';
import type { Edns } from '../wire/message.ts';

/** RFC 1035 §4.2.1: the UDP limit without EDNS, and the least an EDNS offer can mean (RFC 6891 §6.2.5). */
export const CLASSIC_UDP_LIMIT = 512;

/** The EDNS buffer size of the 2020 DNS flag day: answers that fit an IPv6 minimum-MTU packet. */
export const DEFAULT_MAX_UDP_PAYLOAD = 1232;

export const TCP_ANSWER_LIMIT = MAX_MESSAGE_LENGTH;

/**
 * The largest UDP answer for a query with `edns`: RFC 6891 §6.2.5 reads offers below 512 as 512,
 * and the server sends no more than its own `maxUdpPayload`.
 */
export function udpAnswerLimit(edns: Edns | undefined, maxUdpPayload: number): number {
  if (edns === undefined) return CLASSIC_UDP_LIMIT;
  return Math.min(Math.max(edns.udpPayloadSize, CLASSIC_UDP_LIMIT), maxUdpPayload);
}
