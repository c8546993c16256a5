// Embedding a host directory into a bundle, as MirageOS' crunch does: every regular file under
// it becomes an entry of an EmbeddedTree (key relative to the directory, content in base64,
// modification time), served at run time by an in-memory read-only store.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { EmbeddedFile, EmbeddedTree } from '@oasis/runtime';

/** The regular files under `directory`, depth first, sorted; symbolic links are not followed. */
export function treeFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .flatMap((entry) => {
      const path = join(directory, entry.name);
      if (entry.isDirectory()) return treeFiles(path);
      return entry.isFile() ? [path] : [];
    });
}

export function embedTree(directory: string): EmbeddedTree {
  const files: EmbeddedFile[] = treeFiles(directory).map((path) => ({
    key: relative(directory, path).split(sep).join('/'),
    base64: readFileSync(path).toString('base64'),
    modifiedMs: Math.trunc(statSync(path).mtimeMs),
  }));
  return { files };
}
