// The header of an answer to a query (RFC 1035 §4.1.1): the query's ID, opcode, RD and CD
// (RFC 4035 §3.2.2) and its question, QR set. An answer carries EDNS only if the query did (RFC
// 6891 §7); its OPT record also carries the upper bits of an extended RCODE such as BADVERS.

import { defaultEdns } from './wire/edns.ts';
import type { DnsMessage, DnsRecord, EdnsOption } from './wire/message.ts';

/** The UDP payload size this implementation offers: the DNS flag day 2020 value, which avoids fragmentation. */
export const EDNS_PAYLOAD_SIZE = 1232;

export interface AnswerContent {
  readonly rcode: number;
  readonly aa?: boolean;
  readonly ra?: boolean;
  readonly ad?: boolean;
  readonly answers?: readonly DnsRecord[];
  readonly authorities?: readonly DnsRecord[];
  readonly additionals?: readonly DnsRecord[];
  /** EDNS options to add when the query had EDNS (extended errors, RFC 8914). */
  readonly ednsOptions?: readonly EdnsOption[];
  /** The UDP payload size offered in the answer's OPT record (default EDNS_PAYLOAD_SIZE). */
  readonly udpPayloadSize?: number;
}

const NONE: readonly never[] = [];

export function responseTo(query: DnsMessage, content: AnswerContent): DnsMessage {
  const response: DnsMessage = {
    id: query.id,
    qr: true,
    opcode: query.opcode,
    aa: content.aa ?? false,
    tc: false,
    rd: query.rd,
    ra: content.ra ?? false,
    z: false,
    ad: content.ad ?? false,
    cd: query.cd,
    rcode: content.rcode,
    // A query with several questions is answered without them: echoing them all would let a
    // large query make a large answer (RFC 9619 refuses QDCOUNT > 1 anyway).
    questions: query.questions.length === 1 ? query.questions : NONE,
    answers: content.answers ?? NONE,
    authorities: content.authorities ?? NONE,
    additionals: content.additionals ?? NONE,
  };
  if (query.edns === undefined) {
    return content.rcode > 15 ? { ...response, rcode: content.rcode & 15 } : response;
  }
  return {
    ...response,
    edns: defaultEdns(content.udpPayloadSize ?? EDNS_PAYLOAD_SIZE, content.ednsOptions ?? NONE),
  };
}
