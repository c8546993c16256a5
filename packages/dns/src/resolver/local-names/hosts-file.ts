// hosts(5) files and the names they list, which the resolver answers itself before any cache or
// upstream (as dnsmasq answers /etc/hosts and its addn-hosts files).
// The file: one address per line followed by its canonical name and any aliases, fields
// separated by blanks or tabs, `#` starting a comment that runs to the end of the line (at any
// position, as hosts(5) says). Addresses are IPv4 or IPv6 (RFC 952's HOST lines, extended as
// glibc reads them). A bad line or name is reported with its line number and skipped; the rest
// of the file is still read, because one typo must not take every local name away.
// The answers: a name listed on several lines gets every address it is listed with, in file
// order, as dnsmasq does. Each listed address also answers PTR at its reverse name with the first
// name listed for it, the canonical name of its first line (RFC 1035 §3.5, RFC 3596 §2.5), as
// gethostbyaddr(3) reads hosts(5).

import { RecordClass, RecordType } from '../../wire/constants.ts';
import type { DnsRecord } from '../../wire/message.ts';
import type { DnsName } from '../../wire/name.ts';
import type { RecordData } from '../../wire/rdata/record-data.ts';
import { parseHostAddress } from './host-address.ts';
import { parseHostName } from './host-name.ts';
import { LabelArena } from './label-arena.ts';
import { forEachLine, type ListLineError, splitFields } from './list-lines.ts';
import { reverseName } from './reverse-name.ts';

export interface HostsEntry {
  readonly name: DnsName;
  /** A dotted quad for family 4, RFC 5952 text for family 6. */
  readonly address: string;
  readonly family: 4 | 6;
}

export type HostsFileError = ListLineError;

export interface ParsedHostsFile {
  /** In file order; on each line the canonical name first, then the aliases. */
  readonly entries: readonly HostsEntry[];
  readonly errors: readonly HostsFileError[];
}

export function parseHostsFile(text: string): ParsedHostsFile {
  const entries: HostsEntry[] = [];
  const errors: HostsFileError[] = [];
  const arena = new LabelArena();
  forEachLine(text, (line, lineNumber) => {
    const comment = line.indexOf('#');
    const fields = splitFields(comment < 0 ? line : line.slice(0, comment));
    const [first, ...names] = fields;
    if (first === undefined) return;
    const address = parseHostAddress(first);
    if (!address.ok) {
      errors.push({ line: lineNumber, reason: address.error });
      return;
    }
    if (names.length === 0) {
      errors.push({ line: lineNumber, reason: `the address ${first} is not followed by a name` });
      return;
    }
    const { text: canonical, family } = address.value;
    for (const nameText of names) {
      const name = parseHostName(nameText, arena);
      if (name.ok) entries.push({ name: name.value, address: canonical, family });
      else errors.push({ line: lineNumber, reason: name.error });
    }
  });
  return { entries, errors };
}

/** Seconds. dnsmasq answers hosts names with TTL 0 (its local-ttl); 60 lets clients cache a little
 *  while an edited hosts file still takes effect within a minute. */
export const DEFAULT_HOSTS_TTL = 60;
/** RFC 2181 §8: TTLs are 31-bit. */
const MAX_TTL = 0x7fff_ffff;

export interface LocalHostsOptions {
  /** TTL of every answer, in seconds (0 to 2^31-1); DEFAULT_HOSTS_TTL when absent. */
  readonly ttl?: number;
}

/** What one name has: the addresses listed for it, and the PTR target when it is a reverse name. */
interface LocalNode {
  readonly ipv4: string[];
  readonly ipv6: string[];
  ptr: DnsName | undefined;
}

export class LocalHosts {
  /** Distinct names listed (reverse names not counted). */
  readonly size: number;
  readonly #ttl: number;
  readonly #nodes = new Map<string, LocalNode>();

  /**
   * Throws RangeError for a TTL out of range or an entry whose address is not the text of an
   * address of its family (a programmer error: parseHostsFile never produces one).
   */
  constructor(entries: readonly HostsEntry[], options: LocalHostsOptions = {}) {
    const ttl = options.ttl ?? DEFAULT_HOSTS_TTL;
    if (!Number.isInteger(ttl) || ttl < 0 || ttl > MAX_TTL) {
      throw new RangeError(
        `a TTL is an integer number of seconds from 0 to ${MAX_TTL}, got ${ttl}`,
      );
    }
    this.#ttl = ttl;
    const forwardNames = new Set<string>();
    for (const entry of entries) {
      const address = parseHostAddress(entry.address);
      if (!address.ok || address.value.family !== entry.family) {
        throw new RangeError(
          `hosts entry ${entry.name}: '${entry.address}' is not an IPv${entry.family} address`,
        );
      }
      forwardNames.add(entry.name.key);
      const node = this.#node(entry.name);
      const addresses = entry.family === 4 ? node.ipv4 : node.ipv6;
      if (!addresses.includes(address.value.text)) addresses.push(address.value.text);
      const reverse = this.#node(reverseName(address.value.bytes));
      reverse.ptr ??= entry.name;
    }
    this.size = forwardNames.size;
  }

  /**
   * Records for an A/AAAA/ANY question at a hosts name; 'nodata' when the name is listed but not
   * for that type; undefined when not listed. PTR questions under in-addr.arpa/ip6.arpa for listed
   * addresses answer the first name (RFC 1035 §3.5, RFC 3596 §2.5). Records are owned by `name`
   * as asked and are of class IN: ask only for IN questions.
   */
  lookup(name: DnsName, type: number): readonly DnsRecord[] | 'nodata' | undefined {
    const node = this.#nodes.get(name.key);
    if (node === undefined) return undefined;
    const records: DnsRecord[] = [];
    const add = (recordType: number, data: RecordData): void => {
      records.push({ name, type: recordType, class: RecordClass.IN, ttl: this.#ttl, data });
    };
    if (type === RecordType.A || type === RecordType.ANY) {
      for (const address of node.ipv4) add(RecordType.A, { kind: 'A', address });
    }
    if (type === RecordType.AAAA || type === RecordType.ANY) {
      for (const address of node.ipv6) add(RecordType.AAAA, { kind: 'AAAA', address });
    }
    if ((type === RecordType.PTR || type === RecordType.ANY) && node.ptr !== undefined) {
      add(RecordType.PTR, { kind: 'PTR', target: node.ptr });
    }
    // RFC 2308 §2.2: the name exists (it is listed) but has no data of this type.
    return records.length === 0 ? 'nodata' : records;
  }

  #node(name: DnsName): LocalNode {
    let node = this.#nodes.get(name.key);
    if (node === undefined) {
      node = { ipv4: [], ipv6: [], ptr: undefined };
      this.#nodes.set(name.key, node);
    }
    return node;
  }
}
