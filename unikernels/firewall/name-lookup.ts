// Looks up the IPv4 addresses of a dstname rule's name through the firewall's DNS client, with
// the TTL the rules follow: the smallest TTL on the answer's chain (RFC 2181 §5.2: an RRset has
// one TTL; a CNAME chain is cached no longer than its shortest link), or for a name with no
// address the negative TTL, the SOA's MINIMUM capped by its TTL (RFC 2308 §5). Only records on
// the chain from the name count: an accept rule must not open to addresses an upstream added
// for other names (RFC 5452 §1).

import { OasisError } from '@oasis/core';
import {
  type DnsClient,
  DnsName,
  Rcode,
  RecordClass,
  RecordType,
  relevantAnswer,
} from '@oasis/dns';
import type { NameAnswer } from '@oasis/nat';
import { parseIpv4Address } from '@oasis/wire';

/** When an answer without addresses carries no SOA either. */
const DEFAULT_NEGATIVE_TTL_SECONDS = 60;

export async function lookUpAddresses(client: DnsClient, name: string): Promise<NameAnswer> {
  const parsed = DnsName.parse(`${name}.`);
  if (!parsed.ok) throw new OasisError('EINVAL', `'${name}': ${parsed.error}`);
  const question = { name: parsed.value, type: RecordType.A, class: RecordClass.IN };
  const answer = relevantAnswer(question, await client.query(question));
  if (answer.rcode !== Rcode.NOERROR && answer.rcode !== Rcode.NXDOMAIN) {
    throw new OasisError('EIO', `${name}: the DNS server answered rcode ${answer.rcode}`);
  }
  const addresses: number[] = [];
  let ttlSeconds = Number.POSITIVE_INFINITY;
  for (const record of answer.answers) {
    ttlSeconds = Math.min(ttlSeconds, record.ttl);
    if (record.data.kind !== 'A') continue;
    const address = parseIpv4Address(record.data.address);
    if (address.ok) addresses.push(address.value);
  }
  if (addresses.length > 0) return { addresses, ttlSeconds };
  const soa = answer.authorities.find((record) => record.data.kind === 'SOA');
  const negative =
    soa?.data.kind === 'SOA' ? Math.min(soa.ttl, soa.data.minimum) : DEFAULT_NEGATIVE_TTL_SECONDS;
  return { addresses: [], ttlSeconds: negative };
}
