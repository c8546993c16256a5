// A key-value store in memory: the `sim` target's store, a test double, and (through fromTree)
// the read-only store of a tree embedded in the bundle. Values live in a tree of dictionaries
// that exist only while something is stored under them, as with paths in an object store.
// Stored and returned values are copies, so no caller can change the store behind its back.

import { type Clock, OasisError, toHex } from '@oasis/core';
import { decodeBase64, type EmbeddedTree } from './embedded-tree.ts';
import type { KvEntry, KvEntryKind, KvRw } from './kv.ts';
import { checkKvRange, compareKvNames, splitKvEntryKey, splitKvKey } from './kv-key.ts';

export interface MemoryKvOptions {
  /** Stamps each change with its wall-clock time. */
  readonly clock: Pick<Clock, 'wallMs'>;
  /** Refuse set, remove and rename with EPERM. */
  readonly readOnly?: boolean;
}

interface ValueNode {
  readonly kind: 'value';
  readonly bytes: Uint8Array;
  readonly modifiedMs: number;
  /** Computed on first request: a stored value never changes, a new one is a new node. */
  digest?: string;
}

interface DictionaryNode {
  readonly kind: 'dictionary';
  readonly entries: Map<string, Node>;
  /** The latest change anywhere inside. */
  modifiedMs: number;
}

type Node = ValueNode | DictionaryNode;

const encoder = new TextEncoder();

export class MemoryKv implements KvRw {
  readonly readOnly: boolean;
  readonly #clock: Pick<Clock, 'wallMs'>;
  readonly #root: DictionaryNode;

  constructor(options: MemoryKvOptions) {
    this.#clock = options.clock;
    this.readOnly = options.readOnly ?? false;
    this.#root = { kind: 'dictionary', entries: new Map(), modifiedMs: this.#clock.wallMs() };
  }

  /**
   * A store holding an embedded tree, read-only unless `options.readOnly` is false. Each file
   * keeps its build-time modification time; the root's is the latest of them. Throws OasisError
   * EINVAL on a malformed key or two files whose keys conflict.
   */
  static fromTree(tree: EmbeddedTree, options: MemoryKvOptions): MemoryKv {
    const kv = new MemoryKv({ clock: options.clock, readOnly: options.readOnly ?? true });
    let latestMs = Number.NEGATIVE_INFINITY;
    for (const file of tree.files) {
      const segments = splitKvEntryKey(file.key);
      if (kv.#lookup(segments) !== undefined) {
        throw new OasisError('EINVAL', `the embedded tree holds '${file.key}' twice`);
      }
      kv.#checkPlaceable(file.key, segments, 'value');
      const node: ValueNode = {
        kind: 'value',
        bytes: decodeBase64(file.base64),
        modifiedMs: file.modifiedMs,
      };
      kv.#place(file.key, segments, node, file.modifiedMs);
      latestMs = Math.max(latestMs, file.modifiedMs);
    }
    if (tree.files.length > 0) kv.#root.modifiedMs = latestMs;
    return kv;
  }

  async get(key: string): Promise<Uint8Array> {
    return this.#value(key).bytes.slice();
  }

  async getPartial(key: string, offset: number, length: number): Promise<Uint8Array> {
    checkKvRange(offset, length);
    return this.#value(key).bytes.slice(offset, offset + length);
  }

  async size(key: string): Promise<number> {
    return this.#value(key).bytes.length;
  }

  async exists(key: string): Promise<KvEntryKind | undefined> {
    return this.#lookup(splitKvKey(key))?.kind;
  }

  async list(key: string): Promise<readonly KvEntry[]> {
    const node = this.#entry(key, splitKvKey(key));
    if (node.kind === 'value') {
      throw new OasisError('EINVAL', `'${key}' is a value, not a dictionary`);
    }
    return sortedEntries(node).map(([name, child]) => ({ name, kind: child.kind }));
  }

  async lastModifiedMs(key: string): Promise<number> {
    return this.#entry(key, splitKvKey(key)).modifiedMs;
  }

  async digest(key: string): Promise<string> {
    return digestOf(this.#entry(key, splitKvKey(key)));
  }

  async set(key: string, value: Uint8Array): Promise<void> {
    this.#checkWritable();
    const segments = splitKvEntryKey(key);
    this.#checkPlaceable(key, segments, 'value');
    const nowMs = this.#clock.wallMs();
    this.#place(key, segments, { kind: 'value', bytes: value.slice(), modifiedMs: nowMs }, nowMs);
  }

  async remove(key: string): Promise<void> {
    this.#checkWritable();
    this.#detach(splitKvEntryKey(key), this.#clock.wallMs());
  }

  async rename(from: string, to: string): Promise<void> {
    this.#checkWritable();
    const fromSegments = splitKvEntryKey(from);
    const toSegments = splitKvEntryKey(to);
    const node = this.#entry(from, fromSegments);
    if (from === to) return;
    if (to.startsWith(`${from}/`)) {
      throw new OasisError('EINVAL', `cannot move '${from}' into itself ('${to}')`);
    }
    this.#checkPlaceable(to, toSegments, node.kind);
    // Placing first keeps a dictionary shared by both paths from being dropped as empty.
    const nowMs = this.#clock.wallMs();
    this.#place(to, toSegments, node, nowMs);
    this.#detach(fromSegments, nowMs);
  }

  #checkWritable(): void {
    if (this.readOnly) throw new OasisError('EPERM', 'this key-value store is read-only');
  }

  /** The node at `segments`, or undefined when there is none (a value in the path included). */
  #lookup(segments: readonly string[]): Node | undefined {
    let node: Node | undefined = this.#root;
    for (const segment of segments) {
      if (node?.kind !== 'dictionary') return undefined;
      node = node.entries.get(segment);
    }
    return node;
  }

  #entry(key: string, segments: readonly string[]): Node {
    const node = this.#lookup(segments);
    if (node === undefined) throw new OasisError('ENOENT', `no value or dictionary at '${key}'`);
    return node;
  }

  #value(key: string): ValueNode {
    const node = this.#entry(key, splitKvEntryKey(key));
    if (node.kind === 'dictionary') {
      throw new OasisError('EINVAL', `'${key}' is a dictionary, not a value`);
    }
    return node;
  }

  /**
   * Refuses to store a `kind` at `segments` when a value is in the path or the key holds a
   * dictionary, or a value when `kind` is a dictionary (replacing one value by another is fine).
   */
  #checkPlaceable(key: string, segments: readonly string[], kind: KvEntryKind): void {
    let node: Node | undefined = this.#root;
    for (const [depth, segment] of segments.entries()) {
      if (node === undefined) return;
      if (node.kind === 'value') {
        const prefix = segments.slice(0, depth).join('/');
        throw new OasisError('EINVAL', `cannot store '${key}': '${prefix}' is a value`);
      }
      node = node.entries.get(segment);
    }
    if (node?.kind === 'dictionary') {
      throw new OasisError('EINVAL', `cannot store at '${key}': it is a dictionary`);
    }
    if (node !== undefined && kind === 'dictionary') {
      throw new OasisError('EINVAL', `cannot move a dictionary to '${key}': it is a value`);
    }
  }

  /**
   * Stores `node` (after #checkPlaceable), creating the dictionaries above it and dating them
   * `changedMs` (a moved entry keeps its own date).
   */
  #place(key: string, segments: readonly string[], node: Node, changedMs: number): void {
    let dictionary = this.#root;
    for (const segment of segments.slice(0, -1)) {
      dictionary.modifiedMs = Math.max(dictionary.modifiedMs, changedMs);
      let next = dictionary.entries.get(segment);
      if (next === undefined) {
        next = { kind: 'dictionary', entries: new Map(), modifiedMs: changedMs };
        dictionary.entries.set(segment, next);
      }
      if (next.kind === 'value') throw new Error(`unchecked placement of '${key}'`);
      dictionary = next;
    }
    dictionary.modifiedMs = Math.max(dictionary.modifiedMs, changedMs);
    dictionary.entries.set(segments.at(-1)!, node);
  }

  /** Removes the entry at `segments`, if any, with the dictionaries it leaves empty. */
  #detach(segments: readonly string[], changedMs: number): void {
    const path: DictionaryNode[] = [];
    let node: Node | undefined = this.#root;
    for (const segment of segments) {
      if (node?.kind !== 'dictionary') return;
      path.push(node);
      node = node.entries.get(segment);
    }
    if (node === undefined) return;
    let emptied = true; // whether the entry below `dictionary` goes
    for (let depth = path.length - 1; depth >= 0; depth--) {
      const dictionary = path[depth]!;
      if (emptied) dictionary.entries.delete(segments[depth]!);
      dictionary.modifiedMs = Math.max(dictionary.modifiedMs, changedMs);
      emptied = dictionary.entries.size === 0;
    }
  }
}

function sortedEntries(dictionary: DictionaryNode): [string, Node][] {
  return [...dictionary.entries].sort(([a], [b]) => compareKvNames(a, b));
}

/** A value's SHA-256; a dictionary's is the SHA-256 of its sorted names, kinds and digests. */
async function digestOf(node: Node): Promise<string> {
  if (node.kind === 'value') {
    node.digest ??= await sha256Hex(node.bytes);
    return node.digest;
  }
  let listing = '';
  for (const [name, child] of sortedEntries(node)) {
    // NUL cannot occur in a name, so the listing parses one way only.
    listing += `${name}\0${child.kind}\0${await digestOf(child)}\0`;
  }
  return sha256Hex(encoder.encode(listing));
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)));
}
