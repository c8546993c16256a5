// What a server's reply does for iteration (RFC 1034 §5.3.3 step 4): it answers, it refers the
// resolver to servers closer to the name, or it is a failure that sends the resolver to the
// zone's next server. What a reply may say depends on whose server it is: a server asked as a
// server of zone Z is believed about Z only (its "bailiwick", RFC 8499 §7), the rule that keeps
// one zone's servers from planting records for another (RFC 2181 §5.4.1, RFC 5452 §1).

import { Rcode, RecordType } from '../../wire/constants.ts';
import type { DnsMessage, DnsRecord } from '../../wire/message.ts';
import type { DnsName } from '../../wire/name.ts';

/** Why a server's reply was no use; each is counted. */
export type FailureReason = 'servfail' | 'refused' | 'rcode' | 'lame' | 'bad-referral';

/** A server name's addresses from a referral's additional section (glue, RFC 9471 §2). */
export interface Glue {
  readonly host: DnsName;
  readonly addresses: readonly string[];
  /** The smallest TTL of its records, seconds. */
  readonly ttl: number;
}

export interface Referral {
  readonly kind: 'referral';
  /** The zone delegated to: below the zone asked, at or above the name (RFC 9156 §3). */
  readonly zone: DnsName;
  readonly servers: readonly DnsName[];
  /** The NS RRset's TTL, seconds. */
  readonly ttl: number;
  readonly glue: readonly Glue[];
  /** A and AAAA records of the additional section that were not believed. */
  readonly ignoredGlue: number;
}

export type ServerReply =
  | { readonly kind: 'answer'; readonly message: DnsMessage }
  | Referral
  | { readonly kind: 'failure'; readonly reason: FailureReason };

/**
 * Classifies `message`, the reply of a server of `zone` to a question whose referrals may go no
 * deeper than `deepest` (the name asked; its parent for DS, which the parent side answers,
 * RFC 4035 §3.1.4.1).
 */
export function classifyReply(message: DnsMessage, zone: DnsName, deepest: DnsName): ServerReply {
  switch (message.rcode) {
    case Rcode.NOERROR:
    case Rcode.NXDOMAIN:
      break;
    case Rcode.SERVFAIL:
      return { kind: 'failure', reason: 'servfail' };
    case Rcode.REFUSED:
      return { kind: 'failure', reason: 'refused' };
    default:
      return { kind: 'failure', reason: 'rcode' };
  }
  // RFC 1034 §4.3.1 and RFC 1035 §4.1.1: AA says the server is an authority for the name
  // asked, which is what a resolver iterating asks for (RD clear). NXDOMAIN and NODATA count.
  if (message.aa) return { kind: 'answer', message };
  // A referral (RFC 1034 §4.3.2 step 3b): no answer, the child zone's NS RRset in authority.
  if (message.rcode === Rcode.NOERROR && message.answers.length === 0) {
    const ns = message.authorities.filter((record) => record.type === RecordType.NS);
    if (ns.length > 0) return referral(ns, message.additionals, zone, deepest);
  }
  // Neither authoritative nor a referral: the server does not serve the zone ("lame",
  // RFC 8499 §7), or it answers from a cache of its own, which an iterating resolver must not
  // take as the zone's word (RFC 1034 §5.3.3).
  return { kind: 'failure', reason: 'lame' };
}

function referral(
  ns: readonly DnsRecord[],
  additionals: readonly DnsRecord[],
  zone: DnsName,
  deepest: DnsName,
): ServerReply {
  // The delegation must lead down from the zone asked towards the name: an upward or sideways
  // referral is either broken or an attempt to take over another zone (RFC 9156 §3 follows
  // cuts down the name only; Unbound and BIND drop such referrals too).
  const owner = ns.find(
    (record) =>
      record.name.isSubdomainOf(zone) &&
      !record.name.equals(zone) &&
      deepest.isSubdomainOf(record.name),
  )?.name;
  if (owner === undefined) return { kind: 'failure', reason: 'bad-referral' };
  const servers: DnsName[] = [];
  let ttl = Number.POSITIVE_INFINITY;
  for (const record of ns) {
    if (!record.name.equals(owner) || record.data.kind !== 'NS') continue;
    ttl = Math.min(ttl, record.ttl);
    const host = record.data.host;
    if (!servers.some((server) => server.equals(host))) servers.push(host);
  }
  // Glue is believed only for the referral's own server names inside the zone asked: the
  // server is an authority for those names, and for no others (RFC 2181 §5.4.1). Addresses of
  // out-of-bailiwick names are ignored and the names looked up on their own, the defence
  // against the Kaminsky attack's forged additional records (RFC 5452 §6, RFC 9471 §2.1-2.2).
  const glue = new Map<string, { host: DnsName; addresses: string[]; ttl: number }>();
  let ignoredGlue = 0;
  for (const record of additionals) {
    if (record.data.kind !== 'A' && record.data.kind !== 'AAAA') continue;
    const host = servers.find((server) => server.equals(record.name));
    if (host === undefined || !host.isSubdomainOf(zone)) {
      ignoredGlue++;
      continue;
    }
    const entry = glue.get(host.key) ?? { host, addresses: [], ttl: record.ttl };
    if (!entry.addresses.includes(record.data.address)) entry.addresses.push(record.data.address);
    entry.ttl = Math.min(entry.ttl, record.ttl);
    glue.set(host.key, entry);
  }
  return { kind: 'referral', zone: owner, servers, ttl, glue: [...glue.values()], ignoredGlue };
}
