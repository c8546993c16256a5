// `oasis list`: the services under a directory (`unikernels/`), with their one-line docs.

import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DEFINITION_FILE, loadDefinition } from './load-definition.ts';
import { UsageError } from './usage-error.ts';

export async function listServices(directory: string): Promise<string[]> {
  if (!existsSync(directory)) throw new UsageError(`${directory}: no such directory`);
  const dirs = readdirSync(directory, { withFileTypes: true })
    .filter(
      (entry) => entry.isDirectory() && existsSync(join(directory, entry.name, DEFINITION_FILE)),
    )
    .map((entry) => join(directory, entry.name))
    .sort();
  const rows: [string, string][] = [];
  for (const dir of dirs) {
    const definition = await loadDefinition(dir);
    rows.push([dir, definition.doc]);
  }
  const width = Math.max(0, ...rows.map(([dir]) => dir.length));
  return rows.map(([dir, doc]) => `${dir.padEnd(width)}  ${doc}`);
}
