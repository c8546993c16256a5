// The answers a server makes itself, without its handler: FORMERR for what it cannot read or
// refuses (RFC 1035 §4.1.1, RFC 9619), BADVERS for an EDNS version it does not speak (RFC 6891
// §6.1.3), SERVFAIL when the handler fails.

import { responseTo } from '../response.ts';
import { Rcode } from '../wire/constants.ts';
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

/** An error answer to a decoded query, its OPT record offering `udpPayloadSize`. */
export function errorAnswer(query: DnsMessage, rcode: number, udpPayloadSize: number): DnsMessage {
  return responseTo(query, { rcode, udpPayloadSize });
}
