// The authoritative server's answer to a query: from the zone that holds the name, with AA set
// (RFC 1034 §4.3.2); REFUSED for names in none of its zones (RFC 1035 §4.1.1, as NSD and Knot
// answer); NOTIMP for opcodes other than QUERY; and zone transfers (AXFR, RFC 5936) over TCP to
// the clients an address list allows.

import type { AddressList } from '../address-list.ts';
import { responseTo } from '../response.ts';
import { Opcode, Rcode, RecordClass, RecordType } from '../wire/constants.ts';
import { DnsWriter } from '../wire/dns-writer.ts';
import type { DnsMessage, DnsRecord } from '../wire/message.ts';
import { writeRecord } from '../wire/message.ts';
import type { Zone } from './zone.ts';
import { lookupInZone } from './zone-lookup.ts';
import type { ZoneSet } from './zone-set.ts';

/** What the answer depends on besides the query: how and from whom it came. */
export interface QuerySource {
  readonly transport: 'udp' | 'tcp';
  readonly client: { readonly address: string };
}

export interface AuthoritativeOptions {
  /** Clients that may transfer zones; empty: nobody. */
  readonly axfrAllow: AddressList;
}

/** Bytes of records per transfer message: well under the 65,535 a TCP message may hold. */
const TRANSFER_MESSAGE_BYTES = 16_000;

export function answerAuthoritatively(
  zones: ZoneSet,
  query: DnsMessage,
  source: QuerySource,
  options: AuthoritativeOptions,
): DnsMessage | readonly DnsMessage[] {
  if (query.opcode !== Opcode.QUERY) return responseTo(query, { rcode: Rcode.NOTIMP });
  const question = query.questions[0];
  if (question === undefined) return responseTo(query, { rcode: Rcode.FORMERR });
  const zone = zones.find(question.name);
  if (zone === undefined) return responseTo(query, { rcode: Rcode.REFUSED });
  if (question.class !== zone.class && question.class !== RecordClass.ANY) {
    return responseTo(query, { rcode: Rcode.REFUSED });
  }
  if (question.type === RecordType.AXFR) return transfer(zone, query, source, options);
  // RFC 1995 lets a server answer IXFR with a whole zone; over UDP it says "use TCP" with the SOA.
  if (question.type === RecordType.IXFR) {
    if (source.transport === 'tcp') return transfer(zone, query, source, options);
    return responseTo(query, { rcode: Rcode.NOERROR, aa: true, answers: [zone.soa] });
  }
  const found = lookupInZone(zone, question.name, question.type);
  return responseTo(query, {
    rcode: found.rcode,
    aa: found.authoritative,
    answers: found.answers,
    authorities: found.authorities,
    additionals: found.additionals,
  });
}

/**
 * A zone transfer (RFC 5936 §2.2): the SOA, every other record, the SOA again, in as many
 * messages as needed, only over TCP (§4.2) and only to allowed clients (§6), for a zone apex.
 */
function transfer(
  zone: Zone,
  query: DnsMessage,
  source: QuerySource,
  options: AuthoritativeOptions,
): DnsMessage | readonly DnsMessage[] {
  const question = query.questions[0]!;
  if (!question.name.equals(zone.apex)) return responseTo(query, { rcode: Rcode.NOTAUTH });
  if (source.transport !== 'tcp' || !options.axfrAllow.includes(source.client.address)) {
    return responseTo(query, { rcode: Rcode.REFUSED });
  }
  const body = zone.records.filter((record) => record.type !== RecordType.SOA);
  const records = [zone.soa, ...body, zone.soa];
  const messages: DnsMessage[] = [];
  const writer = new DnsWriter();
  let chunk: DnsRecord[] = [];
  let bytes = 0;
  for (const record of records) {
    writer.reset();
    writeRecord(writer, record);
    if (chunk.length > 0 && bytes + writer.offset > TRANSFER_MESSAGE_BYTES) {
      messages.push(transferMessage(query, chunk, messages.length === 0));
      chunk = [];
      bytes = 0;
    }
    chunk.push(record);
    bytes += writer.offset;
  }
  messages.push(transferMessage(query, chunk, messages.length === 0));
  return messages;
}

function transferMessage(query: DnsMessage, answers: DnsRecord[], first: boolean): DnsMessage {
  const message = responseTo(query, { rcode: Rcode.NOERROR, aa: true, answers });
  // RFC 5936 §2.2.1: later messages may leave the question out.
  return first ? message : { ...message, questions: [] };
}
