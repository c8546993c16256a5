// Key-value stores: the unikernel's view of a file tree. Keys are `/`-separated paths without a
// leading slash (`css/site.css`); values are bytes. KvRo is what a static site reads (a host
// directory, or a tree embedded at build time); KvRw adds writes (a host directory, memory).

export type KvEntryKind = 'value' | 'dictionary';

export interface KvEntry {
  /** The entry's name inside the listed dictionary (one path segment). */
  readonly name: string;
  readonly kind: KvEntryKind;
}

export interface KvRo {
  /** The value at `key`; rejects with OasisError ENOENT when there is none. */
  get(key: string): Promise<Uint8Array>;
  /** `length` bytes of the value from `offset` (fewer at its end), for range requests. */
  getPartial(key: string, offset: number, length: number): Promise<Uint8Array>;
  /** The size of the value at `key` in bytes; ENOENT when there is none. */
  size(key: string): Promise<number>;
  /** Whether `key` names a value, a dictionary, or nothing. */
  exists(key: string): Promise<KvEntryKind | undefined>;
  /** The entries directly inside dictionary `key` ('' is the root), sorted by name. */
  list(key: string): Promise<readonly KvEntry[]>;
  /** When the value or dictionary last changed, ms since the Unix epoch. */
  lastModifiedMs(key: string): Promise<number>;
  /** A digest of the value or dictionary that changes when its content does (for ETags). */
  digest(key: string): Promise<string>;
}

export interface KvRw extends KvRo {
  /** Stores `value` at `key`, creating parent dictionaries; durable once the promise resolves. */
  set(key: string, value: Uint8Array): Promise<void>;
  /** Removes a value or a whole dictionary; removing nothing is not an error. */
  remove(key: string): Promise<void>;
  /** Renames a value or dictionary; ENOENT when `from` does not exist. */
  rename(from: string, to: string): Promise<void>;
}
