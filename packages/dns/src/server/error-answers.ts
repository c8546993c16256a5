// The answers a server makes itself, without its handler: FORMERR for what it cannot read or
// refuses (RFC 1035 §4.1.1, RFC 9619), BADVERS for an EDNS version it does not speak (RFC 6891
// §6.1.3), SERVFAIL when the handler fails.

import { Rcode } from '../wire/constants.ts';
import { defaultEdns } from '../wire/edns.ts';
import type { DnsHeaderPeek, DnsMessage } from '../wire/message.ts';

const NONE: readonly never[] = [];

/**
 * FORMERR for a message that did not decode: only the header's ID and opcode can be trusted, so
 * the answer copies those, sets QR and has empty sections (RFC 1035 §4.1.1).
 */
export function formatErrorForHeader(header: DnsHeaderPeek): DnsMessage {
  return {
    id: header.id,
    qr: true,
    opcode: header.opcode,
    aa: false,
    tc: false,
    rd: false,
    ra: false,
    z: false,
    ad: false,
    cd: false,
    rcode: Rcode.FORMERR,
    questions: NONE,
    answers: NONE,
    authorities: NONE,
    additionals: NONE,
  };
}

/**
 * An error answer to a decoded query: ID, opcode, RD and CD copied (RFC 1035 §4.1.1, RFC 4035
 * §3.2.2), the question when there is exactly one, and an OPT record of version 0 when the query
 * had one (RFC 6891 §7), which also carries the upper bits of an extended RCODE such as BADVERS.
 */
export function errorAnswer(query: DnsMessage, rcode: number, udpPayloadSize: number): DnsMessage {
  const answer: DnsMessage = {
    id: query.id,
    qr: true,
    opcode: query.opcode,
    aa: false,
    tc: false,
    rd: query.rd,
    ra: false,
    z: false,
    ad: false,
    cd: query.cd,
    rcode,
    // A query with several questions is answered without them: echoing them all would let a
    // large query make a large answer (RFC 9619 §3 refuses QDCOUNT > 1 anyway).
    questions: query.questions.length === 1 ? query.questions : NONE,
    answers: NONE,
    authorities: NONE,
    additionals: NONE,
  };
  return query.edns === undefined ? answer : { ...answer, edns: defaultEdns(udpPayloadSize) };
}
