// The answer of one zone to one question (RFC 1034 §4.3.2's algorithm, steps 3 a-c), with
// wildcards as RFC 4592 defines them, DNAME substitution (RFC 6672 §3.2), negative answers
// carrying the SOA (RFC 2308 §3) and additional-section addresses (RFC 1035 §3.3.9, §3.3.11,
// RFC 2782). CNAMEs are followed while they stay inside the zone.

import { Rcode, RecordType } from '../wire/constants.ts';
import type { DnsRecord } from '../wire/message.ts';
import type { DnsName } from '../wire/name.ts';
import type { RrSet, Zone, ZoneNode } from './zone.ts';

export interface ZoneAnswer {
  readonly rcode: number;
  /** False only for a referral: the zone is not the authority for the answer (RFC 1034 §4.3.2 b). */
  readonly authoritative: boolean;
  readonly answers: readonly DnsRecord[];
  readonly authorities: readonly DnsRecord[];
  readonly additionals: readonly DnsRecord[];
}

/** CNAME and DNAME steps followed before giving up on a chain (BIND and NSD stop near here too). */
const MAX_CHAIN = 16;
const WILDCARD_LABEL = Uint8Array.of(0x2a);

export function lookupInZone(zone: Zone, qname: DnsName, qtype: number): ZoneAnswer {
  const answers: DnsRecord[] = [];
  const seen = new Set<string>();
  let name = qname;
  for (let step = 0; step < MAX_CHAIN; step++) {
    seen.add(name.key);
    const cut = findCut(zone, name, qtype);
    if (cut !== undefined) {
      if (cut.kind === 'referral') return referral(zone, cut.node, answers);
      // DNAME: the record, a CNAME from the name to its substitute, then go on with that.
      const dname = cut.node.rrsets.get(RecordType.DNAME)!.records[0]!;
      answers.push(dname);
      if (dname.data.kind !== 'DNAME') break;
      const target = name.replaceSuffix(cut.node.name, dname.data.target);
      // RFC 6672 §2.2: a substitute longer than 255 bytes is YXDOMAIN.
      if (target === undefined) return answer(Rcode.YXDOMAIN, answers, [], []);
      answers.push({
        name,
        type: RecordType.CNAME,
        class: dname.class,
        ttl: dname.ttl,
        data: { kind: 'CNAME', target },
      });
      if (!target.isSubdomainOf(zone.apex) || seen.has(target.key)) break;
      name = target;
      continue;
    }
    const node = zone.node(name) ?? wildcardNode(zone, name);
    if (node === undefined) {
      return answer(Rcode.NXDOMAIN, answers, [negativeSoa(zone)], []);
    }
    if (qtype === RecordType.ANY) {
      const all = [...node.rrsets.values()].flatMap((rrset) => owned(rrset, name));
      if (all.length === 0) return answer(Rcode.NOERROR, answers, [negativeSoa(zone)], []);
      answers.push(...all);
      break;
    }
    const rrset = node.rrsets.get(qtype);
    if (rrset !== undefined) {
      answers.push(...owned(rrset, name));
      break;
    }
    const cname = node.rrsets.get(RecordType.CNAME)?.records[0];
    if (cname === undefined || cname.data.kind !== 'CNAME') {
      return answer(Rcode.NOERROR, answers, [negativeSoa(zone)], []);
    }
    answers.push(...owned(node.rrsets.get(RecordType.CNAME)!, name));
    const target = cname.data.target;
    if (!target.isSubdomainOf(zone.apex) || seen.has(target.key)) break;
    name = target;
  }
  return answer(Rcode.NOERROR, answers, [], additionalAddresses(zone, answers));
}

type Cut = { kind: 'referral' | 'dname'; node: ZoneNode };

/**
 * The first delegation (NS below the apex) or DNAME on the way from the apex down to `name`.
 * A delegation at `name` itself is a referral except for DS, which the parent side answers
 * (RFC 4035 §3.1.4.1); a DNAME at `name` itself does not redirect `name` (RFC 6672 §2.3).
 */
function findCut(zone: Zone, name: DnsName, qtype: number): Cut | undefined {
  const depth = name.labels.length;
  for (let count = zone.apex.labels.length; count <= depth; count++) {
    const node = zone.node(name.ancestor(count));
    if (node === undefined) return undefined;
    const atName = count === depth;
    if (count > zone.apex.labels.length && node.rrsets.has(RecordType.NS)) {
      if (!(atName && qtype === RecordType.DS)) return { kind: 'referral', node };
    }
    if (!atName && node.rrsets.has(RecordType.DNAME)) return { kind: 'dname', node };
  }
  return undefined;
}

/**
 * The wildcard that covers a name that does not exist (RFC 4592 §3.3.1): `*` below the closest
 * encloser, which is the name's longest existing ancestor. A wildcard that is an empty
 * non-terminal still matches, and answers NODATA.
 */
function wildcardNode(zone: Zone, name: DnsName): ZoneNode | undefined {
  for (let count = name.labels.length - 1; count >= zone.apex.labels.length; count--) {
    const encloser = name.ancestor(count);
    if (zone.node(encloser) === undefined) continue;
    const source = encloser.child(WILDCARD_LABEL);
    return source === undefined ? undefined : zone.node(source);
  }
  return undefined;
}

/** The records of `rrset` under `owner`: the same records, or those synthesised from a wildcard. */
function owned(rrset: RrSet, owner: DnsName): readonly DnsRecord[] {
  if (rrset.name === owner || rrset.name.equals(owner)) return rrset.records;
  return rrset.records.map((record) => ({ ...record, name: owner }));
}

function referral(zone: Zone, cut: ZoneNode, answers: readonly DnsRecord[]): ZoneAnswer {
  const ns = cut.rrsets.get(RecordType.NS)!.records;
  const ds = cut.rrsets.get(RecordType.DS)?.records ?? [];
  // Glue: addresses of the name servers that lie inside this zone, even below the cut
  // (RFC 1034 §4.2.1), which no other answer reveals.
  const glue = ns.flatMap((record) =>
    record.data.kind === 'NS' ? addresses(zone, record.data.host) : [],
  );
  return {
    rcode: Rcode.NOERROR,
    authoritative: answers.length > 0,
    answers,
    authorities: [...ns, ...ds],
    additionals: glue,
  };
}

function additionalAddresses(zone: Zone, answers: readonly DnsRecord[]): DnsRecord[] {
  const out: DnsRecord[] = [];
  const added = new Set<string>();
  for (const record of answers) {
    let host: DnsName | undefined;
    if (record.data.kind === 'MX') host = record.data.exchange;
    else if (record.data.kind === 'SRV') host = record.data.target;
    else if (record.data.kind === 'NS') host = record.data.host;
    if (host === undefined || added.has(host.key)) continue;
    added.add(host.key);
    out.push(...addresses(zone, host));
  }
  return out;
}

function addresses(zone: Zone, host: DnsName): readonly DnsRecord[] {
  if (!host.isSubdomainOf(zone.apex)) return [];
  return [
    ...(zone.rrset(host, RecordType.A)?.records ?? []),
    ...(zone.rrset(host, RecordType.AAAA)?.records ?? []),
  ];
}

/** The SOA for a negative answer, its TTL the lesser of its own and its MINIMUM (RFC 2308 §3). */
function negativeSoa(zone: Zone): DnsRecord {
  const { soa } = zone;
  return { ...soa, ttl: Math.min(soa.ttl, soa.data.minimum) };
}

function answer(
  rcode: number,
  answers: readonly DnsRecord[],
  authorities: readonly DnsRecord[],
  additionals: readonly DnsRecord[],
): ZoneAnswer {
  return { rcode, authoritative: true, answers, authorities, additionals };
}
