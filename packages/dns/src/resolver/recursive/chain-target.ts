// Where an answer's alias chain goes on when the server that gave it did not answer for the
// end of it: the target of a CNAME (RFC 1034 §3.6.2) or the name a DNAME substitutes
// (RFC 6672 §2.2) that lies outside the server's zone. The resolver asks for that name anew
// (RFC 1034 §5.3.3 step 4c: "change SNAME to the canonical name in the CNAME RR").

import { Rcode, RecordType } from '../../wire/constants.ts';
import type { DnsQuestion } from '../../wire/message.ts';
import type { DnsName } from '../../wire/name.ts';
import type { ResolvedAnswer } from '../dns-cache.ts';

/** The name to resolve next, or undefined when `answer` (from relevantAnswer) is complete. */
export function unansweredTarget(
  question: DnsQuestion,
  answer: ResolvedAnswer,
): DnsName | undefined {
  // A negative answer ends the chain: NXDOMAIN, or NODATA with the SOA of the last name's zone.
  if (answer.rcode !== Rcode.NOERROR || answer.authorities.length > 0) return undefined;
  let name = question.name;
  for (const record of answer.answers) {
    if (record.type === question.type || question.type === RecordType.ANY) return undefined;
    if (record.data.kind === 'CNAME' && record.name.equals(name)) name = record.data.target;
  }
  const last = answer.answers.at(-1);
  // A DNAME without the CNAME a server synthesises from it (RFC 6672 §3.1): do the substitution.
  if (last?.data.kind === 'DNAME') return name.replaceSuffix(last.name, last.data.target);
  return last?.data.kind === 'CNAME' ? name : undefined;
}
