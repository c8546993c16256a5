// Which records of an upstream's answer a resolver believes: those on the chain from the
// question's name through CNAMEs and DNAMEs (RFC 1034 §3.6.2, RFC 6672 §3.1) to records of the
// type asked, and for a negative answer the SOA of a zone above the chain's last name (RFC 2308
// §2). Anything else in the message (records for unrelated names, a classic poisoning vector:
// RFC 5452 §1, RFC 2181 §5.4.1) is dropped, and so are records outside `bailiwick` when a
// recursive resolver says whose answer this is.

import { Rcode, RecordType } from '../wire/constants.ts';
import type { DnsMessage, DnsQuestion, DnsRecord } from '../wire/message.ts';
import { DnsName } from '../wire/name.ts';
import type { ResolvedAnswer } from './dns-cache.ts';

const MAX_CHAIN = 16;

export function relevantAnswer(
  question: DnsQuestion,
  message: DnsMessage,
  bailiwick: DnsName = DnsName.ROOT,
): ResolvedAnswer {
  const answers: DnsRecord[] = [];
  let name = question.name;
  for (let step = 0; step < MAX_CHAIN; step++) {
    const owned = message.answers.filter(
      (record) => record.name.equals(name) && record.name.isSubdomainOf(bailiwick),
    );
    const direct = owned.filter(
      (record) => record.type === question.type || question.type === RecordType.ANY,
    );
    if (direct.length > 0) {
      answers.push(...direct);
      break;
    }
    const dname = message.answers.find(
      (record) =>
        record.data.kind === 'DNAME' &&
        name.isSubdomainOf(record.name) &&
        !name.equals(record.name) &&
        record.name.isSubdomainOf(bailiwick),
    );
    if (dname !== undefined) answers.push(dname);
    const cname = owned.find((record) => record.type === RecordType.CNAME);
    if (cname === undefined || cname.data.kind !== 'CNAME') break;
    answers.push(cname);
    name = cname.data.target;
  }
  const negative =
    message.rcode === Rcode.NXDOMAIN ||
    (message.rcode === Rcode.NOERROR && !endsInData(answers, question));
  const authorities = negative
    ? message.authorities.filter(
        (record) =>
          record.type === RecordType.SOA &&
          name.isSubdomainOf(record.name) &&
          record.name.isSubdomainOf(bailiwick),
      )
    : [];
  return { rcode: message.rcode, answers, authorities };
}

function endsInData(answers: readonly DnsRecord[], question: DnsQuestion): boolean {
  const last = answers.at(-1);
  return last !== undefined && (last.type === question.type || question.type === RecordType.ANY);
}
