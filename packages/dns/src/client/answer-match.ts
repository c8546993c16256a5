// Whether a message is the answer to a query we sent. RFC 5452 §9.1: accept an answer only when
// it carries the query's ID and the same question (name compared case-insensitively, RFC 4343
// §3, type and class); the transport checks the rest (the server's address and port for UDP, the
// connection for TCP). RFC 7766 §7 asks the same of answers matched by ID on a TCP connection.

import { Rcode } from '../wire/constants.ts';
import type { DnsMessage, DnsQuestion } from '../wire/message.ts';

export function isAnswerTo(message: DnsMessage, id: number, question: DnsQuestion): boolean {
  if (!message.qr || message.id !== id) return false;
  const echoed = message.questions;
  if (echoed.length === 0) return isUnechoedError(message);
  const only = echoed[0]!;
  return (
    echoed.length === 1 &&
    only.type === question.type &&
    only.class === question.class &&
    only.name.equals(question.name)
  );
}

/**
 * A server that cannot parse a query, typically one that predates EDNS (RFC 6891 §7), answers
 * FORMERR or NOTIMP with the header only: RFC 1035 §4.1.1 does not make it echo a question it
 * could not read. Such an answer is what makes the client retry without EDNS, so it must not be
 * dropped as a mismatch; any other answer without the question is.
 */
function isUnechoedError(message: DnsMessage): boolean {
  return message.rcode === Rcode.FORMERR || message.rcode === Rcode.NOTIMP;
}
