// Root hints: where iteration starts before anything is cached (RFC 1034 §5.3.2 "SBELT"). The
// file IANA publishes as named.root is a master file (RFC 1035 §5.1): NS records at the root
// naming the root servers, and an A and an AAAA record for each of those names.

import { err, ok, type Result } from '@oasis/core';
import { DnsName } from '../../wire/name.ts';
import { formatZoneFileError } from '../../zone-file/zone-file-error.ts';
import { parseZoneFile } from '../../zone-file/zone-file-parser.ts';

export interface RootHint {
  readonly name: DnsName;
  /** IPv4 (dotted quad) and IPv6 (RFC 5952) addresses, as text. */
  readonly addresses: readonly string[];
}

/**
 * Root hints from a named.root-format file. Refuses a file that does not parse, that names no
 * root server, that has records other than NS at the root and A/AAAA for the servers it names,
 * or a server without an address (the resolver could not reach it to learn one).
 */
export function parseRootHints(
  text: string,
  fileName: string,
): Result<readonly RootHint[], string> {
  const parsed = parseZoneFile(text, { fileName, origin: DnsName.ROOT });
  if (!parsed.ok) return err(formatZoneFileError(parsed.error));
  const addresses = new Map<string, { name: DnsName; addresses: string[] }>();
  for (const record of parsed.value) {
    if (record.data.kind !== 'NS' || !record.name.isRoot) continue;
    const host = record.data.host;
    if (!addresses.has(host.key)) addresses.set(host.key, { name: host, addresses: [] });
  }
  if (addresses.size === 0) return err(`${fileName}: no NS records at the root (.)`);
  for (const record of parsed.value) {
    if (record.data.kind === 'NS' && record.name.isRoot) continue;
    const server = addresses.get(record.name.key);
    if (server === undefined || (record.data.kind !== 'A' && record.data.kind !== 'AAAA')) {
      return err(
        `${fileName}: ${record.name} ${record.data.kind}: a root hints file holds only NS records at . and A/AAAA records of the servers they name`,
      );
    }
    if (!server.addresses.includes(record.data.address)) server.addresses.push(record.data.address);
  }
  for (const server of addresses.values()) {
    if (server.addresses.length === 0) {
      return err(`${fileName}: the root server ${server.name} has no A or AAAA record`);
    }
  }
  return ok([...addresses.values()]);
}
