// A key-value store over a host directory: keys are relative paths, values are regular files,
// dictionaries are directories. The `node` target serves a static site's files from one and
// stores a service's data in another.
//
// - Keys never leave the directory: a key whose real path (symbolic links resolved) lies outside
//   it is refused, and listings skip such links. This guards against links in the tree, not
//   against another process rewriting the tree while an operation runs.
// - `set` is durable once it resolves: the value goes to a temporary file beside the key, which
//   is synced and renamed over the key, and the directory is synced, so a crash leaves the old
//   value or the new one, never a mix. Names starting with TEMPORARY_PREFIX are those files:
//   they are hidden from listings and refused as keys.
// - Dictionaries exist while something is stored under them, as in MemoryKv: removing or moving
//   away the last entry of a directory removes the directory.
// - The digest and modification time of a dictionary come from metadata of everything under it
//   (names, kinds, sizes, mtimes, inode numbers): a walk, but no file is read.

import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, type Dirent, type Stats } from 'node:fs';
import {
  mkdir,
  open,
  readdir,
  readFile,
  realpath,
  rename,
  rm,
  rmdir,
  stat,
} from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import { OasisError } from '@oasis/core';
import {
  checkKvRange,
  compareKvNames,
  type KvEntry,
  type KvEntryKind,
  type KvRw,
  splitKvEntryKey,
  splitKvKey,
} from '@oasis/runtime';
import { fsError, syncDirectory } from './host-fs.ts';

const TEMPORARY_PREFIX = '.oasis-tmp-';

export interface HostDirectoryKvOptions {
  /** Refuse set, remove and rename with EPERM. */
  readonly readOnly?: boolean;
}

/** A file or directory found under the root. */
interface Found {
  readonly path: string;
  readonly stats: Stats;
  readonly kind: KvEntryKind;
}

export class HostDirectoryKv implements KvRw {
  /** The directory's real path, resolved once when the store was opened. */
  readonly directory: string;
  readonly readOnly: boolean;
  /** The tail of the chain that runs writes one at a time (see #mutate). */
  #mutations: Promise<unknown> = Promise.resolve();

  /** Rejects with OasisError ENOENT when `directory` is missing, EINVAL when it is a file. */
  static async open(
    directory: string,
    options: HostDirectoryKvOptions = {},
  ): Promise<HostDirectoryKv> {
    let root: string;
    let stats: Stats;
    try {
      root = await realpath(directory);
      stats = await stat(root);
    } catch (error) {
      throw fsError(error, `cannot open the key-value directory '${directory}'`);
    }
    if (!stats.isDirectory()) {
      throw new OasisError('EINVAL', `'${directory}' is not a directory: give a directory`);
    }
    return new HostDirectoryKv(root, options.readOnly ?? false);
  }

  private constructor(directory: string, readOnly: boolean) {
    this.directory = directory;
    this.readOnly = readOnly;
  }

  async get(key: string): Promise<Uint8Array> {
    const found = await this.#value(key);
    try {
      const buffer = await readFile(found.path);
      // A plain Uint8Array: Buffer's `slice` shares memory, where a caller expects a copy.
      return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    } catch (error) {
      throw fsError(error, `cannot read '${key}'`);
    }
  }

  async getPartial(key: string, offset: number, length: number): Promise<Uint8Array> {
    checkKvRange(offset, length);
    const found = await this.#value(key);
    try {
      const handle = await open(found.path, 'r');
      try {
        const { size } = await handle.stat();
        const bytes = new Uint8Array(Math.max(0, Math.min(length, size - offset)));
        let filled = 0;
        while (filled < bytes.length) {
          const { bytesRead } = await handle.read(
            bytes,
            filled,
            bytes.length - filled,
            offset + filled,
          );
          if (bytesRead === 0) break; // the file shrank since its size was read
          filled += bytesRead;
        }
        return bytes.subarray(0, filled);
      } finally {
        await handle.close();
      }
    } catch (error) {
      throw fsError(error, `cannot read '${key}'`);
    }
  }

  async size(key: string): Promise<number> {
    return (await this.#value(key)).stats.size;
  }

  async exists(key: string): Promise<KvEntryKind | undefined> {
    const segments = this.#split(key);
    return (await this.#find(key, segments))?.kind;
  }

  async list(key: string): Promise<readonly KvEntry[]> {
    const segments = this.#split(key);
    const found = await this.#dictionary(key, segments);
    const children = await this.#children(found.path);
    return children.map(({ name, kind }) => ({ name, kind }));
  }

  async lastModifiedMs(key: string): Promise<number> {
    const segments = this.#split(key);
    const found = await this.#entry(key, segments);
    let latestMs = found.stats.mtimeMs;
    if (found.kind === 'dictionary') {
      for await (const { stats } of this.#descendants(found, '')) {
        latestMs = Math.max(latestMs, stats.mtimeMs);
      }
    }
    return latestMs;
  }

  async digest(key: string): Promise<string> {
    const segments = this.#split(key);
    const found = await this.#entry(key, segments);
    const hash = createHash('sha256');
    try {
      if (found.kind === 'value') {
        for await (const chunk of createReadStream(found.path)) hash.update(chunk as Buffer);
      } else {
        // NUL cannot occur in a name, so each line parses one way only. A new inode number is
        // what shows a value replaced within the file system's timestamp granularity.
        for await (const { key: path, kind, stats } of this.#descendants(found, '')) {
          hash.update(`${path}\0${kind}\0${stats.size}\0${stats.mtimeMs}\0${stats.ino}\0`);
        }
      }
    } catch (error) {
      throw fsError(error, `cannot digest '${key}'`);
    }
    return hash.digest('hex');
  }

  async set(key: string, value: Uint8Array): Promise<void> {
    this.#checkWritable();
    const segments = this.#splitEntry(key);
    const bytes = value.slice(); // the caller may reuse its buffer while this waits its turn
    await this.#mutate(async () => {
      const path = await this.#confine(key, segments);
      if ((await statEntry(path))?.kind === 'dictionary') {
        throw new OasisError('EINVAL', `cannot store at '${key}': it is a dictionary`);
      }
      const parent = dirname(path);
      const temporary = join(parent, `${TEMPORARY_PREFIX}${randomUUID()}`);
      try {
        const created = await mkdir(parent, { recursive: true });
        try {
          const handle = await open(temporary, 'wx');
          try {
            await handle.writeFile(bytes);
            await handle.sync();
          } finally {
            await handle.close();
          }
          await rename(temporary, path);
        } catch (error) {
          await rm(temporary, { force: true });
          throw error;
        }
        await syncDirectories(parent, created);
      } catch (error) {
        throw fsError(error, `cannot store '${key}'`);
      }
    });
  }

  async remove(key: string): Promise<void> {
    this.#checkWritable();
    const segments = this.#splitEntry(key);
    await this.#mutate(async () => {
      const found = await this.#find(key, segments);
      if (found === undefined) return;
      try {
        await rm(found.path, { recursive: true, force: true });
        await this.#prune(dirname(found.path));
      } catch (error) {
        throw fsError(error, `cannot remove '${key}'`);
      }
    });
  }

  async rename(from: string, to: string): Promise<void> {
    this.#checkWritable();
    const fromSegments = this.#splitEntry(from);
    const toSegments = this.#splitEntry(to);
    await this.#mutate(async () => {
      const source = await this.#entry(from, fromSegments);
      if (from === to) return;
      if (to.startsWith(`${from}/`)) {
        throw new OasisError('EINVAL', `cannot move '${from}' into itself ('${to}')`);
      }
      const path = await this.#confine(to, toSegments);
      const target = await statEntry(path);
      if (target?.kind === 'dictionary') {
        throw new OasisError('EINVAL', `cannot store at '${to}': it is a dictionary`);
      }
      if (target !== undefined && source.kind === 'dictionary') {
        throw new OasisError('EINVAL', `cannot move a dictionary to '${to}': it is a value`);
      }
      try {
        const created = await mkdir(dirname(path), { recursive: true });
        await rename(source.path, path);
        await syncDirectories(dirname(path), created);
        await this.#prune(dirname(source.path));
      } catch (error) {
        throw fsError(error, `cannot move '${from}' to '${to}'`);
      }
    });
  }

  #checkWritable(): void {
    if (this.readOnly) {
      throw new OasisError('EPERM', `the key-value directory '${this.directory}' is read-only`);
    }
  }

  #split(key: string): string[] {
    return refuseTemporary(key, splitKvKey(key));
  }

  #splitEntry(key: string): string[] {
    return refuseTemporary(key, splitKvEntryKey(key));
  }

  /**
   * Runs writes one at a time, so that pruning a directory left empty cannot race with a `set`
   * that has just created it, and a rename's checks still hold when it renames. Reads need no
   * turn: a value is replaced by an atomic rename.
   */
  #mutate(task: () => Promise<void>): Promise<void> {
    const result = this.#mutations.then(task);
    this.#mutations = result.catch(() => undefined);
    return result;
  }

  /** The host path of `segments`; EINVAL when it resolves outside the root. */
  async #confine(key: string, segments: readonly string[]): Promise<string> {
    const path = join(this.directory, ...segments);
    if (!(await this.#staysInside(path))) {
      throw new OasisError('EINVAL', `'${key}' leads outside the key-value directory`);
    }
    return path;
  }

  /** Whether the real path of `path`, or of its deepest existing ancestor, is under the root. */
  async #staysInside(path: string): Promise<boolean> {
    for (let current = path; ; current = dirname(current)) {
      try {
        const inside = relative(this.directory, await realpath(current));
        return (
          inside === '' || !(inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside))
        );
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (current === this.directory || (code !== 'ENOENT' && code !== 'ENOTDIR')) {
          throw fsError(error, `cannot resolve '${path}'`);
        }
      }
    }
  }

  async #find(key: string, segments: readonly string[]): Promise<Found | undefined> {
    return statEntry(await this.#confine(key, segments));
  }

  async #entry(key: string, segments: readonly string[]): Promise<Found> {
    const found = await this.#find(key, segments);
    if (found === undefined) throw new OasisError('ENOENT', `no value or dictionary at '${key}'`);
    return found;
  }

  async #value(key: string): Promise<Found> {
    const found = await this.#entry(key, this.#splitEntry(key));
    if (found.kind === 'dictionary') {
      throw new OasisError('EINVAL', `'${key}' is a dictionary, not a value`);
    }
    return found;
  }

  async #dictionary(key: string, segments: readonly string[]): Promise<Found> {
    const found = await this.#entry(key, segments);
    if (found.kind === 'value') {
      throw new OasisError('EINVAL', `'${key}' is a value, not a dictionary`);
    }
    return found;
  }

  /** The entries of directory `path` that are keys, sorted by name. */
  async #children(path: string): Promise<(Found & { readonly name: string })[]> {
    let dirents: Dirent[];
    try {
      dirents = await readdir(path, { withFileTypes: true });
    } catch (error) {
      throw fsError(error, `cannot list '${path}'`);
    }
    const children = await Promise.all(
      dirents.map(async (dirent) => {
        if (dirent.name.startsWith(TEMPORARY_PREFIX)) return undefined;
        const childPath = join(path, dirent.name);
        if (dirent.isSymbolicLink() && !(await this.#staysInside(childPath))) return undefined;
        const found = await statEntry(childPath);
        return found && { ...found, name: dirent.name };
      }),
    );
    return children
      .filter((child) => child !== undefined)
      .sort((a, b) => compareKvNames(a.name, b.name));
  }

  /**
   * Everything under `dictionary`, depth first in name order, with keys relative to it. A linked
   * directory that is also one of its own ancestors is listed but not entered again.
   */
  async *#descendants(
    dictionary: Found,
    prefix: string,
    ancestors: ReadonlySet<string> = new Set([identity(dictionary.stats)]),
  ): AsyncGenerator<Found & { readonly key: string }> {
    for (const child of await this.#children(dictionary.path)) {
      const key = `${prefix}${child.name}`;
      yield { ...child, key };
      if (child.kind === 'dictionary' && !ancestors.has(identity(child.stats))) {
        const inner = new Set(ancestors).add(identity(child.stats));
        yield* this.#descendants(child, `${key}/`, inner);
      }
    }
  }

  /**
   * Removes `directory` and its ancestors below the root while they are empty, then syncs the
   * directory whose listing changed last.
   */
  async #prune(directory: string): Promise<void> {
    let current = directory;
    while (current !== this.directory) {
      try {
        await rmdir(current);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        // Not empty, or a link to a directory: this is where the removals stop.
        if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOTDIR') break;
        throw error;
      }
      current = dirname(current);
    }
    await syncDirectory(current);
  }
}

function refuseTemporary<T extends string[]>(key: string, segments: T): T {
  if (segments.some((segment) => segment.startsWith(TEMPORARY_PREFIX))) {
    throw new OasisError(
      'EINVAL',
      `invalid key '${key}': names starting with '${TEMPORARY_PREFIX}' are reserved for writes in progress`,
    );
  }
  return segments;
}

/** What is at `path` (links followed), or undefined for nothing or a special file. */
async function statEntry(path: string): Promise<Found | undefined> {
  let stats: Stats;
  try {
    stats = await stat(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw fsError(error, `cannot inspect '${path}'`);
  }
  if (stats.isFile()) return { path, stats, kind: 'value' };
  if (stats.isDirectory()) return { path, stats, kind: 'dictionary' };
  return undefined;
}

function identity(stats: Stats): string {
  return `${stats.dev}:${stats.ino}`;
}

/**
 * Syncs `directory`, and when mkdir created directories for it (the first being
 * `firstCreated`), the parents whose listings gained them: each new name is durable too.
 */
async function syncDirectories(directory: string, firstCreated: string | undefined): Promise<void> {
  const last = firstCreated === undefined ? directory : dirname(firstCreated);
  for (let current = directory; ; current = dirname(current)) {
    await syncDirectory(current);
    if (current === last || current === dirname(current)) return;
  }
}
