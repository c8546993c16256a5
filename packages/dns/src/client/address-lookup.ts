// A host name's addresses through a DnsClient: what a stack needs to connect to a name, and what
// the firewall's dstname rules follow. Only the records on the chain from the name count (CNAME
// and DNAME steps included): an answer must not point a name at addresses an upstream added for
// other names (RFC 5452 §1). The TTL is the smallest on that chain (RFC 2181 §5.2: a CNAME chain
// is cached no longer than its shortest link); for a name without addresses it is the negative
// TTL, the SOA's MINIMUM capped by the SOA's own TTL (RFC 2308 §5).

import { OasisError } from '@oasis/core';
import type { NameLookup } from '@oasis/runtime';
import { relevantAnswer } from '../resolver/answer-chain.ts';
import { Rcode, RecordClass, RecordType } from '../wire/constants.ts';
import { DnsName } from '../wire/name.ts';
import type { DnsClient } from './dns-client.ts';
import type { DnsServerAddress } from './server-address.ts';

export interface AddressAnswer {
  /** As text, in the answer's order; empty for NXDOMAIN and NODATA. */
  readonly addresses: readonly string[];
  readonly ttlSeconds: number;
}

export interface AddressLookupOptions {
  /** These servers instead of the client's. */
  readonly servers?: readonly DnsServerAddress[];
  readonly signal?: AbortSignal;
}

/** When an answer without addresses carries no SOA either. */
const DEFAULT_NEGATIVE_TTL_SECONDS = 60;

/**
 * Asks for `name`'s A (family 4) or AAAA (family 6) records. Rejects with EINVAL for a name that
 * is not one, EIO when the server answers with an error (SERVFAIL, REFUSED, ...), and as
 * `DnsClient.query` does when no server answers.
 */
export async function lookUpAddresses(
  client: DnsClient,
  name: string,
  family: 4 | 6,
  options: AddressLookupOptions = {},
): Promise<AddressAnswer> {
  const parsed = DnsName.parse(name.endsWith('.') ? name : `${name}.`);
  if (!parsed.ok) throw new OasisError('EINVAL', `'${name}': ${parsed.error}`);
  const type = family === 4 ? RecordType.A : RecordType.AAAA;
  const question = { name: parsed.value, type, class: RecordClass.IN };
  const answer = relevantAnswer(question, await client.query(question, options));
  if (answer.rcode !== Rcode.NOERROR && answer.rcode !== Rcode.NXDOMAIN) {
    throw new OasisError('EIO', `${name}: the DNS server answered rcode ${answer.rcode}`);
  }
  const addresses: string[] = [];
  let ttlSeconds = Number.POSITIVE_INFINITY;
  for (const record of answer.answers) {
    ttlSeconds = Math.min(ttlSeconds, record.ttl);
    const { data } = record;
    if ((data.kind === 'A' && family === 4) || (data.kind === 'AAAA' && family === 6)) {
      addresses.push(data.address);
    }
  }
  if (addresses.length > 0) return { addresses, ttlSeconds };
  const soa = answer.authorities.find((record) => record.data.kind === 'SOA');
  const negative =
    soa?.data.kind === 'SOA' ? Math.min(soa.ttl, soa.data.minimum) : DEFAULT_NEGATIVE_TTL_SECONDS;
  return { addresses: [], ttlSeconds: negative };
}

/**
 * A stack's NameLookup over `client`, asking the servers `servers()` gives at the time of each
 * lookup (configured ones, then those a router advertised). With none, a lookup rejects EINVAL.
 */
export function dnsNameLookup(
  client: DnsClient,
  servers: () => readonly DnsServerAddress[],
): NameLookup {
  return async (name, family, signal) => {
    const current = servers();
    if (current.length === 0) {
      throw new OasisError('EINVAL', `cannot look up ${name}: no DNS server is known`);
    }
    return (await lookUpAddresses(client, name, family, { servers: current, signal })).addresses;
  };
}
