// The zones named on the command line, read from the zone-file tree: `--zone [ORIGIN=]FILE`.
// Without an origin, one is taken from a file named after its zone (`example.com.zone`,
// `example.com.db`); a file may set its own with $ORIGIN. The zone's apex is the owner of its
// SOA record. Any problem refuses the whole set, naming the file, line and reason.

import { err, ok, type Result } from '@oasis/core';
import { DnsName, formatZoneFileError, parseZoneFile, RecordType, Zone, ZoneSet } from '@oasis/dns';
import type { KvRo } from '@oasis/runtime';

export interface ZoneFileSpec {
  readonly file: string;
  readonly origin?: DnsName;
}

/** Parses `[ORIGIN=]FILE`; the message says what is wrong. */
export function parseZoneSpec(text: string): Result<ZoneFileSpec, string> {
  const at = text.indexOf('=');
  const file = at < 0 ? text : text.slice(at + 1);
  if (file === '') return err('give a zone file: --zone [ORIGIN=]FILE');
  if (file.startsWith('/')) {
    return err(`'${file}': name zone files relative to --zones DIR (the directory holding them)`);
  }
  if (at < 0) {
    const named = /^(.+?)\.(zone|db)$/i.exec(file.split('/').at(-1) ?? '');
    const origin = named === null ? undefined : DnsName.parse(`${named[1]}.`);
    return ok(origin?.ok ? { file, origin: origin.value } : { file });
  }
  const origin = DnsName.parse(absolute(text.slice(0, at)));
  if (!origin.ok) return err(`zone origin: ${origin.error}`);
  return ok({ file, origin: origin.value });
}

function absolute(name: string): string {
  return name.endsWith('.') ? name : `${name}.`;
}

/** Every `*.zone` file at the top of the tree, for a service started without `--zone`. */
export async function defaultZoneSpecs(tree: KvRo): Promise<readonly ZoneFileSpec[]> {
  const entries = await tree.list('');
  const specs: ZoneFileSpec[] = [];
  for (const entry of entries) {
    if (entry.kind !== 'value' || !/\.zone$/i.test(entry.name)) continue;
    const spec = parseZoneSpec(entry.name);
    if (spec.ok) specs.push(spec.value);
  }
  return specs;
}

/** Reads, parses and builds every zone; the first problem refuses them all. */
export async function loadZones(
  tree: KvRo,
  specs: readonly ZoneFileSpec[],
): Promise<Result<ZoneSet, string>> {
  if (specs.length === 0)
    return err('no zone files: give --zone FILE, or put *.zone files in --zones DIR');
  const zones: Zone[] = [];
  for (const spec of specs) {
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(await tree.get(spec.file));
    } catch (error) {
      return err(
        `${spec.file}: cannot read it (${error instanceof Error ? error.message : String(error)})`,
      );
    }
    const records = parseZoneFile(text, {
      fileName: spec.file,
      ...(spec.origin === undefined ? {} : { origin: spec.origin }),
    });
    if (!records.ok) return err(formatZoneFileError(records.error));
    const soa = records.value.find((record) => record.type === RecordType.SOA);
    if (soa === undefined) return err(`${spec.file}: no SOA record, so no zone apex`);
    const zone = Zone.build(soa.name, records.value);
    if (!zone.ok) return err(`${spec.file}: ${zone.error}`);
    zones.push(zone.value);
  }
  try {
    return ok(new ZoneSet(zones));
  } catch (error) {
    return err(error instanceof Error ? error.message : String(error));
  }
}
