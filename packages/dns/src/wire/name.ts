// Domain names (RFC 1035 §3.1): a sequence of labels of 1-63 bytes, at most 255 bytes in wire
// form including the length bytes and the root's empty label. Labels are bytes, not text: any
// byte may appear (RFC 2181 §11). Names compare case-insensitively in ASCII only and keep the
// case they were written with (RFC 4343 §3), so `key` (lower-cased presentation text) is what
// maps and comparisons use, and `labels` is what goes back on the wire.

import { err, ok, type Result } from '@oasis/core';

export const MAX_LABEL_LENGTH = 63;
export const MAX_NAME_WIRE_LENGTH = 255;

const BACKSLASH = 0x5c;
const DOT = 0x2e;

export class DnsName {
  static readonly ROOT = new DnsName([], 1);

  /** The labels from the leftmost (most specific) to the one below the root. */
  readonly labels: readonly Uint8Array[];
  /** Bytes in uncompressed wire form: each label and its length byte, plus the root's 0. */
  readonly wireLength: number;
  #key: string | undefined;
  #text: string | undefined;

  private constructor(labels: readonly Uint8Array[], wireLength: number) {
    this.labels = labels;
    this.wireLength = wireLength;
  }

  /** A name from labels; throws RangeError for an empty or over-long label or name (a programmer error). */
  static fromLabels(labels: readonly Uint8Array[]): DnsName {
    const checked = DnsName.tryFromLabels(labels);
    if (checked === undefined) {
      throw new RangeError(
        'DNS labels must be 1-63 bytes and the name at most 255 bytes in wire form',
      );
    }
    return checked;
  }

  /** A name from labels, or undefined when a label or the whole name is too long or a label empty. */
  static tryFromLabels(labels: readonly Uint8Array[]): DnsName | undefined {
    let wireLength = 1;
    for (const label of labels) {
      if (label.length === 0 || label.length > MAX_LABEL_LENGTH) return undefined;
      wireLength += label.length + 1;
    }
    if (wireLength > MAX_NAME_WIRE_LENGTH) return undefined;
    return labels.length === 0 ? DnsName.ROOT : new DnsName(labels, wireLength);
  }

  /**
   * Parses presentation text (RFC 1035 §5.1): labels separated by dots, `\X` for a literal X,
   * `\DDD` for the byte of decimal value DDD. A name ending in an unescaped dot is absolute;
   * any other is relative to `origin`, and an error without one. `.` alone is the root.
   */
  static parse(text: string, origin?: DnsName): Result<DnsName, string> {
    if (text === '.') return ok(DnsName.ROOT);
    if (text === '') return err('an empty name');
    const labels: Uint8Array[] = [];
    let current: number[] = [];
    let absolute = false;
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code === BACKSLASH) {
        const escaped = readEscape(text, i);
        if (escaped === undefined) return err(`'${text}': a bad escape at character ${i + 1}`);
        current.push(escaped.byte);
        i = escaped.end - 1;
      } else if (code === DOT) {
        if (current.length === 0) return err(`'${text}': an empty label`);
        labels.push(Uint8Array.from(current));
        current = [];
        if (i === text.length - 1) absolute = true;
      } else if (code >= 0x80) {
        // Text beyond ASCII is taken as UTF-8 bytes, as TXT strings are; IDNs belong in their
        // xn-- form (RFC 5891), but a label is bytes and any byte is allowed (RFC 2181 §11).
        const point = text.codePointAt(i)!;
        current.push(...new TextEncoder().encode(String.fromCodePoint(point)));
        if (point > 0xffff) i++;
      } else {
        current.push(code);
      }
    }
    if (!absolute) {
      labels.push(Uint8Array.from(current));
      if (origin === undefined) return err(`'${text}' is relative and there is no origin`);
      labels.push(...origin.labels);
    }
    for (const label of labels) {
      if (label.length > MAX_LABEL_LENGTH) {
        return err(`'${text}': a label longer than ${MAX_LABEL_LENGTH} bytes`);
      }
    }
    const name = DnsName.tryFromLabels(labels);
    if (name === undefined) return err(`'${text}' is longer than 255 bytes in wire form`);
    return ok(name);
  }

  /** Parses presentation text; throws RangeError on bad text. For constants and tests. */
  static of(text: string, origin?: DnsName): DnsName {
    const parsed = DnsName.parse(text, origin);
    if (!parsed.ok) throw new RangeError(parsed.error);
    return parsed.value;
  }

  get isRoot(): boolean {
    return this.labels.length === 0;
  }

  /** Presentation text with the trailing dot, special and non-printable bytes escaped. */
  toString(): string {
    this.#text ??= presentation(this.labels, false);
    return this.#text;
  }

  /** The lower-cased presentation text: equal for names that are equal (RFC 4343). */
  get key(): string {
    this.#key ??= presentation(this.labels, true);
    return this.#key;
  }

  equals(other: DnsName): boolean {
    return this === other || (this.wireLength === other.wireLength && this.key === other.key);
  }

  /** True when this name is `ancestor` or below it. */
  isSubdomainOf(ancestor: DnsName): boolean {
    const skip = this.labels.length - ancestor.labels.length;
    if (skip < 0) return false;
    for (let i = 0; i < ancestor.labels.length; i++) {
      if (!labelEquals(this.labels[skip + i]!, ancestor.labels[i]!)) return false;
    }
    return true;
  }

  /** The name without its leftmost label; the root has no parent. */
  parent(): DnsName | undefined {
    if (this.isRoot) return undefined;
    return this.ancestor(this.labels.length - 1);
  }

  /** The ancestor with `labelCount` labels (this name's last `labelCount` labels). */
  ancestor(labelCount: number): DnsName {
    if (labelCount < 0 || labelCount > this.labels.length) {
      throw new RangeError(`${this} has no ancestor with ${labelCount} labels`);
    }
    if (labelCount === this.labels.length) return this;
    return DnsName.fromLabels(this.labels.slice(this.labels.length - labelCount));
  }

  /** `label` prepended to this name, or undefined when it would be too long. */
  child(label: Uint8Array): DnsName | undefined {
    return DnsName.tryFromLabels([label, ...this.labels]);
  }

  /** This name with `from` (a suffix of it) replaced by `to`: DNAME substitution (RFC 6672 §2.2). */
  replaceSuffix(from: DnsName, to: DnsName): DnsName | undefined {
    if (!this.isSubdomainOf(from)) return undefined;
    return DnsName.tryFromLabels([
      ...this.labels.slice(0, this.labels.length - from.labels.length),
      ...to.labels,
    ]);
  }

  /**
   * Canonical DNS name order (RFC 4034 §6.1): compares label by label from the root, each as
   * lower-cased bytes, a missing label sorting first. Negative, zero or positive.
   */
  compareCanonical(other: DnsName): number {
    const a = this.labels;
    const b = other.labels;
    for (let i = 1; i <= Math.min(a.length, b.length); i++) {
      const order = compareLabels(a[a.length - i]!, b[b.length - i]!);
      if (order !== 0) return order;
    }
    return a.length - b.length;
  }
}

export function lowerAscii(byte: number): number {
  return byte >= 0x41 && byte <= 0x5a ? byte | 0x20 : byte;
}

export function labelEquals(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (lowerAscii(a[i]!) !== lowerAscii(b[i]!)) return false;
  return true;
}

function compareLabels(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const order = lowerAscii(a[i]!) - lowerAscii(b[i]!);
    if (order !== 0) return order;
  }
  return a.length - b.length;
}

/** `\X` or `\DDD` at `start` (the backslash): the byte and the index after the escape. */
export function readEscape(text: string, start: number): { byte: number; end: number } | undefined {
  const first = text.charCodeAt(start + 1);
  if (Number.isNaN(first)) return undefined;
  if (first >= 0x30 && first <= 0x39) {
    const digits = text.slice(start + 1, start + 4);
    if (!/^\d{3}$/.test(digits)) return undefined;
    const byte = Number(digits);
    return byte > 0xff ? undefined : { byte, end: start + 4 };
  }
  return first > 0xff ? undefined : { byte: first, end: start + 2 };
}

// Bytes written as themselves in names; everything else printable is escaped with a backslash,
// the rest as \DDD (RFC 1035 §5.1, RFC 4343 §2.1).
const SPECIAL = new Set([0x2e, 0x5c, 0x22, 0x28, 0x29, 0x3b, 0x40, 0x24]);

function presentation(labels: readonly Uint8Array[], lower: boolean): string {
  if (labels.length === 0) return '.';
  let out = '';
  for (const label of labels) out += `${labelText(label, lower)}.`;
  return out;
}

/** One label in presentation form: most labels need no escape and take one string call. */
function labelText(label: Uint8Array, lower: boolean): string {
  let plain = true;
  for (let i = 0; i < label.length; i++) {
    const byte = label[i]!;
    if (byte <= 0x20 || byte >= 0x7f || SPECIAL.has(byte)) {
      plain = false;
      break;
    }
  }
  if (plain) {
    // Only ASCII bytes remain, so toLowerCase changes A-Z and nothing else (RFC 4343 §3).
    const text = String.fromCharCode.apply(null, label as unknown as number[]);
    return lower ? text.toLowerCase() : text;
  }
  let out = '';
  for (const raw of label) {
    const byte = lower ? lowerAscii(raw) : raw;
    if (byte <= 0x20 || byte >= 0x7f) out += `\\${byte.toString().padStart(3, '0')}`;
    else if (SPECIAL.has(byte)) out += `\\${String.fromCharCode(byte)}`;
    else out += String.fromCharCode(byte);
  }
  return out;
}
