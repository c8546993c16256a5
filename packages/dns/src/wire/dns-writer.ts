// Builds a DNS message in one growing buffer. Names are compressed (RFC 1035 §4.1.4) against
// every name written before with compression allowed, matching byte for byte so that a name
// keeps its case; `mark`/`rollback` undo whole records when a message is truncated.

import { writeU16BE, writeU32BE } from '@oasis/core';
import type { DnsName } from './name.ts';

/** The largest message: what DNS over TCP's two-byte length prefix allows (RFC 1035 §4.2.2). */
export const MAX_MESSAGE_LENGTH = 65_535;
/** Pointers hold 14-bit offsets. */
const MAX_POINTER_TARGET = 0x3fff;

/** Thrown when a message would grow past 65,535 bytes; encoders truncate on it. */
export class DnsMessageOverflow extends RangeError {
  constructor() {
    super(`a DNS message cannot exceed ${MAX_MESSAGE_LENGTH} bytes`);
  }
}

export interface WriterMark {
  readonly offset: number;
  readonly suffixCount: number;
}

export class DnsWriter {
  #buffer: Uint8Array;
  offset = 0;
  /** Hash of (offset of the rest of the name, label) → where that suffix was written. */
  readonly #suffixes = new Map<number, number>();
  readonly #suffixOrder: number[] = [];

  constructor(initialCapacity = 512) {
    this.#buffer = new Uint8Array(initialCapacity);
  }

  /** Clears the writer for the next message, keeping its buffer. */
  reset(): void {
    this.offset = 0;
    this.#suffixes.clear();
    this.#suffixOrder.length = 0;
  }

  #ensure(extra: number): void {
    const needed = this.offset + extra;
    if (needed <= this.#buffer.length) return;
    if (needed > MAX_MESSAGE_LENGTH) {
      throw new DnsMessageOverflow();
    }
    const grown = new Uint8Array(
      Math.min(MAX_MESSAGE_LENGTH, Math.max(needed, this.#buffer.length * 2)),
    );
    grown.set(this.#buffer.subarray(0, this.offset));
    this.#buffer = grown;
  }

  u8(value: number): void {
    this.#ensure(1);
    this.#buffer[this.offset++] = value;
  }

  u16(value: number): void {
    this.#ensure(2);
    writeU16BE(this.#buffer, this.offset, value);
    this.offset += 2;
  }

  u32(value: number): void {
    this.#ensure(4);
    writeU32BE(this.#buffer, this.offset, value);
    this.offset += 4;
  }

  bytes(bytes: Uint8Array): void {
    this.#ensure(bytes.length);
    this.#buffer.set(bytes, this.offset);
    this.offset += bytes.length;
  }

  /** A <character-string>: throws RangeError over 255 bytes. */
  characterString(bytes: Uint8Array): void {
    if (bytes.length > 255) throw new RangeError('a DNS character-string holds at most 255 bytes');
    this.u8(bytes.length);
    this.bytes(bytes);
  }

  /** Reserves two bytes (an RDLENGTH) and returns where they are. */
  reserveU16(): number {
    const at = this.offset;
    this.u16(0);
    return at;
  }

  patchU16(at: number, value: number): void {
    writeU16BE(this.#buffer, at, value);
  }

  /**
   * Writes `name`, ending in a pointer to the longest suffix written before when `compress` is
   * set. RFC 3597 §4: only the names of RFC 1035's own types may be compressed; others pass false.
   * Either way the suffixes written become targets for later names.
   *
   * Suffixes are found as a trie keyed by (where the rest of the name was written, this label's
   * bytes), hashed to a number and checked against the bytes written, from the last label towards
   * the first. Labels are compared byte for byte, so compression never changes a name's case.
   */
  name(name: DnsName, compress: boolean): void {
    const labels = name.labels;
    let written = labels.length;
    let pointer = ROOT;
    if (compress) {
      for (let i = labels.length - 1; i >= 0; i--) {
        const label = labels[i]!;
        const target = this.#suffixes.get(suffixKey(pointer, label));
        if (target === undefined || !this.#isSuffixAt(target, label, pointer)) break;
        pointer = target;
        written = i;
      }
    }
    // Where each written label goes, to key it under the label that follows it.
    let offset = this.offset;
    const offsets = new Array<number>(written);
    for (let i = 0; i < written; i++) {
      offsets[i] = offset;
      offset += labels[i]!.length + 1;
    }
    let parent = pointer;
    for (let i = written - 1; i >= 0; i--) {
      const at = offsets[i]!;
      const key = suffixKey(parent, labels[i]!);
      if (at <= MAX_POINTER_TARGET && !this.#suffixes.has(key)) {
        this.#suffixes.set(key, at);
        this.#suffixOrder.push(key);
      }
      parent = at;
    }
    for (let i = 0; i < written; i++) {
      const label = labels[i]!;
      this.u8(label.length);
      this.bytes(label);
    }
    if (pointer !== ROOT) this.u16(0xc000 | pointer);
    else this.u8(0);
  }

  /** Whether `label` followed by the suffix at `parent` was written at `at` (a hash may collide). */
  #isSuffixAt(at: number, label: Uint8Array, parent: number): boolean {
    const buffer = this.#buffer;
    if (buffer[at] !== label.length) return false;
    for (let i = 0; i < label.length; i++) if (buffer[at + 1 + i] !== label[i]) return false;
    const next = at + 1 + label.length;
    const byte = buffer[next]!;
    const follows =
      byte === 0 ? ROOT : byte >= 0xc0 ? ((byte & 0x3f) << 8) | buffer[next + 1]! : next;
    return follows === parent;
  }

  mark(): WriterMark {
    return { offset: this.offset, suffixCount: this.#suffixOrder.length };
  }

  /** Forgets everything written since `mark`, compression targets included. */
  rollback(mark: WriterMark): void {
    this.offset = mark.offset;
    while (this.#suffixOrder.length > mark.suffixCount) {
      this.#suffixes.delete(this.#suffixOrder.pop()!);
    }
  }

  /** A copy of the bytes written. */
  finish(): Uint8Array {
    return this.#buffer.slice(0, this.offset);
  }

  /** The bytes written, borrowed until the next write or reset. */
  view(): Uint8Array {
    return this.#buffer.subarray(0, this.offset);
  }
}

/** The "parent" of a name's last label: the root, written as the name's final zero byte. */
const ROOT = -1;

/** (parent + 1) in the high bits, FNV-1a of the label in the low 32: exact below 2^53. */
function suffixKey(parent: number, label: Uint8Array): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) hash = Math.imul(hash ^ label[i]!, 0x01000193);
  return (parent + 1) * 0x1_0000_0000 + (hash >>> 0);
}
