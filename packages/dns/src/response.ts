// The header of an answer to a query (RFC 1035 §4.1.1): the query's ID, opcode, RD and CD and
// its question, QR set. An answer carries EDNS only if the query did (RFC 6891 §7).

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
}

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
    questions: query.questions,
    answers: content.answers ?? [],
    authorities: content.authorities ?? [],
    additionals: content.additionals ?? [],
  };
  if (query.edns === undefined) {
    return content.rcode > 15 ? { ...response, rcode: content.rcode & 15 } : response;
  }
  return { ...response, edns: defaultEdns(EDNS_PAYLOAD_SIZE, content.ednsOptions ?? []) };
}
