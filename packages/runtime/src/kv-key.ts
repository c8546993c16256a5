// The argument rules every KvRo/KvRw implementation shares, so that a memory store, an embedded
// tree and a host directory accept and refuse exactly the same keys and ranges, and list in the
// same order. A key is a relative `/`-separated path; the root dictionary is ''.

import { OasisError } from '@oasis/core';

/**
 * The segments of `key` ('' is the root: no segments). Rejects with OasisError EINVAL a leading,
 * trailing or doubled slash, a `.` or `..` segment (a key must not climb out of its store) and NUL
 * (which no host file name can hold).
 */
export function splitKvKey(key: string): string[] {
  if (key === '') return [];
  const segments = key.split('/');
  for (const segment of segments) {
    if (segment === '' || segment === '.' || segment === '..' || segment.includes('\0')) {
      throw new OasisError(
        'EINVAL',
        `invalid key '${key}': use '/'-separated names without empty, '.' or '..' segments, NUL, or a leading or trailing '/'`,
      );
    }
  }
  return segments;
}

/** Like splitKvKey, for the operations that name one entry, which the root dictionary is not. */
export function splitKvEntryKey(key: string): [string, ...string[]] {
  const [first, ...rest] = splitKvKey(key);
  if (first === undefined) {
    throw new OasisError('EINVAL', `the root dictionary '' cannot be read, written or moved`);
  }
  return [first, ...rest];
}

/**
 * Orders entry names by their UTF-8 bytes, which is code point order. JavaScript's `<` compares
 * UTF-16 code units, which differs from it when a surrogate pair meets U+E000..U+FFFF.
 */
export function compareKvNames(a: string, b: string): number {
  let index = 0;
  while (index < a.length && index < b.length) {
    const x = a.codePointAt(index)!;
    const y = b.codePointAt(index)!;
    if (x !== y) return x < y ? -1 : 1;
    index += x > 0xffff ? 2 : 1;
  }
  return Math.sign(a.length - b.length);
}

/** Checks `getPartial`'s range: a misuse (negative, fractional) throws RangeError. */
export function checkKvRange(offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
    throw new RangeError(
      `getPartial needs a non-negative integer offset and length, got ${offset} and ${length}`,
    );
  }
}
