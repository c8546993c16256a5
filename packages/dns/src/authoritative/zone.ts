// One authoritative zone (RFC 1034 §4.2): the records at and below its apex, grouped by owner
// and type into RRsets, with the names that exist only as ancestors of others (empty
// non-terminals, RFC 8020) remembered so that they answer NODATA and not NXDOMAIN. Building a
// zone checks what RFC 1034/1035 and RFC 2181 require of one; a zone that breaks a rule is
// refused with the rule and the owner name.

import { bytesEqual, err, ok, type Result } from '@oasis/core';
import { RecordType, recordTypeName } from '../wire/constants.ts';
import { DnsWriter } from '../wire/dns-writer.ts';
import type { DnsRecord } from '../wire/message.ts';
import type { DnsName } from '../wire/name.ts';
import type { SoaData } from '../wire/rdata/record-data.ts';
import { encodeRdata } from '../wire/rdata/registry.ts';

export interface RrSet {
  readonly name: DnsName;
  readonly type: number;
  readonly records: readonly DnsRecord[];
}

export interface ZoneNode {
  readonly name: DnsName;
  /** RRsets by type; empty for an empty non-terminal. */
  readonly rrsets: ReadonlyMap<number, RrSet>;
}

// RFC 2181 §10.1 / RFC 4035 §2.5: these may share an owner with a CNAME.
const CNAME_COMPANIONS = new Set<number>([
  RecordType.CNAME,
  RecordType.RRSIG,
  RecordType.NSEC,
  RecordType.NSEC3,
]);

export class Zone {
  readonly apex: DnsName;
  readonly class: number;
  readonly soa: DnsRecord & { readonly data: SoaData };
  /** Every record, in the order they were given (a zone transfer sends them so). */
  readonly records: readonly DnsRecord[];
  readonly #nodes: ReadonlyMap<string, ZoneNode>;

  private constructor(
    apex: DnsName,
    zoneClass: number,
    soa: DnsRecord & { readonly data: SoaData },
    records: readonly DnsRecord[],
    nodes: ReadonlyMap<string, ZoneNode>,
  ) {
    this.apex = apex;
    this.class = zoneClass;
    this.soa = soa;
    this.records = records;
    this.#nodes = nodes;
  }

  /**
   * Builds the zone of `apex` from its records. Refuses: a record outside the zone; records of
   * several classes; no SOA or several at the apex, or an SOA elsewhere; no NS at the apex
   * (RFC 1034 §4.2.1); a CNAME beside other data, or two CNAMEs at one name (RFC 2181 §10.1);
   * two DNAMEs at one name (RFC 6672 §2.4).
   */
  static build(apex: DnsName, records: readonly DnsRecord[]): Result<Zone, string> {
    const nodes = new Map<string, { name: DnsName; rrsets: Map<number, DnsRecord[]> }>();
    let zoneClass: number | undefined;
    for (const record of records) {
      if (!record.name.isSubdomainOf(apex)) {
        return err(`${record.name} is outside the zone ${apex}`);
      }
      zoneClass ??= record.class;
      if (record.class !== zoneClass) {
        return err(
          `${record.name} has class ${record.class}, the zone's records class ${zoneClass}`,
        );
      }
      if (record.type === RecordType.SOA && !record.name.equals(apex)) {
        return err(`an SOA record at ${record.name}, below the apex ${apex}`);
      }
      let node = nodes.get(record.name.key);
      if (node === undefined) {
        node = { name: record.name, rrsets: new Map() };
        nodes.set(record.name.key, node);
      }
      const rrset = node.rrsets.get(record.type);
      if (rrset === undefined) node.rrsets.set(record.type, [record]);
      else if (!rrset.some((other) => sameData(other, record))) rrset.push(record);
    }
    const apexNode = nodes.get(apex.key);
    const soas = apexNode?.rrsets.get(RecordType.SOA) ?? [];
    if (soas.length !== 1) {
      return err(
        `the zone ${apex} needs exactly one SOA record at its apex, it has ${soas.length}`,
      );
    }
    if (apexNode?.rrsets.get(RecordType.NS) === undefined) {
      return err(`the zone ${apex} has no NS records at its apex`);
    }
    for (const node of nodes.values()) {
      const problem = nodeProblem(node.name, node.rrsets);
      if (problem !== undefined) return err(problem);
    }
    const frozen = new Map<string, ZoneNode>();
    for (const [key, node] of nodes) {
      const rrsets = new Map<number, RrSet>();
      for (const [type, list] of node.rrsets)
        rrsets.set(type, { name: node.name, type, records: list });
      frozen.set(key, { name: node.name, rrsets });
    }
    // Empty non-terminals: every ancestor of an owner, down from the apex, exists (RFC 8020).
    for (const node of nodes.values()) {
      for (let count = apex.labels.length + 1; count < node.name.labels.length; count++) {
        const ancestor = node.name.ancestor(count);
        if (!frozen.has(ancestor.key))
          frozen.set(ancestor.key, { name: ancestor, rrsets: new Map() });
      }
    }
    const soa = soas[0] as DnsRecord & { readonly data: SoaData };
    return ok(new Zone(apex, zoneClass ?? 1, soa, records, frozen));
  }

  /** The node of `name` (with data, or an empty non-terminal), if the name exists in the zone. */
  node(name: DnsName): ZoneNode | undefined {
    return this.#nodes.get(name.key);
  }

  rrset(name: DnsName, type: number): RrSet | undefined {
    return this.#nodes.get(name.key)?.rrsets.get(type);
  }
}

function nodeProblem(name: DnsName, rrsets: ReadonlyMap<number, DnsRecord[]>): string | undefined {
  const cnames = rrsets.get(RecordType.CNAME);
  if (cnames !== undefined) {
    if (cnames.length > 1) return `${name} has ${cnames.length} CNAME records; one is allowed`;
    for (const type of rrsets.keys()) {
      if (!CNAME_COMPANIONS.has(type)) {
        return `${name} has a CNAME and ${recordTypeName(type)} data; a CNAME must stand alone (RFC 2181 §10.1)`;
      }
    }
  }
  const dnames = rrsets.get(RecordType.DNAME);
  if (dnames !== undefined && dnames.length > 1) {
    return `${name} has ${dnames.length} DNAME records; one is allowed (RFC 6672 §2.4)`;
  }
  return undefined;
}

/** Duplicate records in a zone file are one record (RFC 2181 §5): same type and RDATA bytes. */
function sameData(a: DnsRecord, b: DnsRecord): boolean {
  return bytesEqual(rdataBytes(a), rdataBytes(b));
}

function rdataBytes(record: DnsRecord): Uint8Array {
  const writer = new DnsWriter(64);
  encodeRdata(record.type, record.data, writer);
  return writer.finish();
}
