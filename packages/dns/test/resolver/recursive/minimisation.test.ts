// nextMinimisedName: the names a resolver asks on its way down (RFC 9156 §2.3).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  MAX_MINIMISE_COUNT,
  nextMinimisedName,
} from '../../../src/resolver/recursive/minimisation.ts';
import { DnsName } from '../../../src/wire/name.ts';

/** The names asked from `known` down to `target`, as if no name on the way were a cut. */
function walk(target: DnsName, known: DnsName): string[] {
  const asked: string[] = [];
  let at = known;
  for (let iteration = 0; !at.equals(target); iteration++) {
    at = nextMinimisedName(target, at, iteration);
    asked.push(at.toString());
  }
  return asked;
}

describe('nextMinimisedName', () => {
  it('adds one label at a time to a short name', () => {
    assert.deepEqual(walk(DnsName.of('a.b.example.com.'), DnsName.ROOT), [
      'com.',
      'example.com.',
      'b.example.com.',
      'a.b.example.com.',
    ]);
    assert.deepEqual(walk(DnsName.of('www.example.com.'), DnsName.of('example.com.')), [
      'www.example.com.',
    ]);
  });

  it('adds several labels at a time after the first four, for a long name', () => {
    const long = DnsName.of(`${Array.from({ length: 16 }, (_, i) => `l${i}`).join('.')}.`);
    const asked = walk(long, DnsName.ROOT);
    assert.deepEqual(
      asked.map((text) => DnsName.of(text).labels.length),
      [1, 2, 3, 4, 6, 8, 10, 12, 14, 16],
    );
  });

  it('reaches any name within MAX_MINIMISE_COUNT + 1 steps, one label or more each', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 127 }),
        fc.integer({ min: 0, max: 127 }),
        (length, knownLength) => {
          const target = DnsName.fromLabels(Array.from({ length }, () => Uint8Array.of(0x61)));
          const known = target.ancestor(Math.min(knownLength, length));
          const asked = walk(target, known);
          assert.ok(asked.length <= MAX_MINIMISE_COUNT + 1);
          let previous = known.labels.length;
          for (const text of asked) {
            const count = DnsName.of(text).labels.length;
            assert.ok(count > previous);
            previous = count;
          }
        },
      ),
    );
  });
});
