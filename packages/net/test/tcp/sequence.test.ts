import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  seqAdd,
  seqDiff,
  seqGe,
  seqGt,
  seqLe,
  seqLt,
  seqMax,
  seqMin,
} from '../../src/tcp/sequence.ts';

const MODULUS = 2n ** 32n;
const HALF = 2n ** 31n;

/** a + n modulo 2^32, computed exactly. */
function referenceAdd(a: number, n: number): number {
  return Number((((BigInt(a) + BigInt(n)) % MODULUS) + MODULUS) % MODULUS);
}

/** a − b modulo 2^32, as a signed value in [−2^31, 2^31). */
function referenceDiff(a: number, b: number): number {
  const d = (((BigInt(a) - BigInt(b)) % MODULUS) + MODULUS) % MODULUS;
  return Number(d >= HALF ? d - MODULUS : d);
}

const sequenceNumber = fc.oneof(
  fc.integer({ min: 0, max: 0xffff_ffff }),
  // Numbers near the wrap and near the half-way point, where a naive comparison fails.
  fc.integer({ min: 0xffff_ff00, max: 0xffff_ffff }),
  fc.integer({ min: 0, max: 0xff }),
  fc.integer({ min: 0x7fff_ff00, max: 0x8000_00ff }),
);

describe('sequence arithmetic', () => {
  it('adds modulo 2^32, forward and backward across the wrap', () => {
    assert.equal(seqAdd(0xffff_ffff, 1), 0);
    assert.equal(seqAdd(0xffff_fff0, 0x20), 0x10);
    assert.equal(seqAdd(0, -1), 0xffff_ffff);
    assert.equal(seqAdd(0x10, -0x20), 0xffff_fff0);
    assert.equal(seqAdd(1000, 500), 1500);
    assert.equal(seqAdd(0x7fff_ffff, 1), 0x8000_0000);
  });

  it('measures signed distances across the wrap', () => {
    assert.equal(seqDiff(0, 0xffff_ffff), 1);
    assert.equal(seqDiff(0xffff_ffff, 0), -1);
    assert.equal(seqDiff(0x10, 0xffff_fff0), 0x20);
    assert.equal(seqDiff(0xffff_fff0, 0x10), -0x20);
    assert.equal(seqDiff(1500, 1000), 500);
    assert.equal(seqDiff(0x7fff_ffff, 0), 0x7fff_ffff);
    // Exactly half the space apart: the distance is −2^31 both ways.
    assert.equal(seqDiff(0x8000_0000, 0), -0x8000_0000);
    assert.equal(seqDiff(0, 0x8000_0000), -0x8000_0000);
  });

  it('compares across the wrap', () => {
    assert.equal(seqLt(0xffff_fff0, 0x10), true);
    assert.equal(seqLt(0x10, 0xffff_fff0), false);
    assert.equal(seqLe(0xffff_fff0, 0xffff_fff0), true);
    assert.equal(seqLe(0x10, 0xffff_fff0), false);
    assert.equal(seqGt(0x10, 0xffff_fff0), true);
    assert.equal(seqGt(0xffff_fff0, 0xffff_fff0), false);
    assert.equal(seqGe(0xffff_fff0, 0xffff_fff0), true);
    assert.equal(seqGe(0xffff_fff0, 0x10), false);
    assert.equal(seqMax(0xffff_fff0, 0x10), 0x10);
    assert.equal(seqMax(0x10, 0xffff_fff0), 0x10);
    assert.equal(seqMin(0xffff_fff0, 0x10), 0xffff_fff0);
    assert.equal(seqMin(0x10, 0xffff_fff0), 0xffff_fff0);
    assert.equal(seqMax(5, 5), 5);
    assert.equal(seqMin(5, 5), 5);
  });

  it('adds as BigInt modular arithmetic does', () => {
    fc.assert(
      fc.property(sequenceNumber, fc.integer({ min: -0x7fff_ffff, max: 0x7fff_ffff }), (a, n) => {
        assert.equal(seqAdd(a, n), referenceAdd(a, n));
      }),
      { numRuns: 2000 },
    );
  });

  it('measures distances as BigInt modular arithmetic does', () => {
    fc.assert(
      fc.property(sequenceNumber, sequenceNumber, (a, b) => {
        const d = referenceDiff(a, b);
        assert.equal(seqDiff(a, b), d);
        assert.equal(seqLt(a, b), d < 0);
        assert.equal(seqLe(a, b), d <= 0);
        assert.equal(seqGt(a, b), d > 0);
        assert.equal(seqGe(a, b), d >= 0);
        assert.equal(seqMax(a, b), d < 0 ? b : a);
        assert.equal(seqMin(a, b), d < 0 ? a : b);
      }),
      { numRuns: 2000 },
    );
  });

  it('orders numbers within half the space as their offsets from any base', () => {
    fc.assert(
      fc.property(
        sequenceNumber,
        fc.integer({ min: 0, max: 0x7fff_ffff }),
        fc.integer({ min: 0, max: 0x7fff_ffff }),
        (base, x, y) => {
          const a = seqAdd(base, x);
          const b = seqAdd(base, y);
          assert.equal(seqLt(a, b), x < y);
          assert.equal(seqLe(a, b), x <= y);
          assert.equal(seqGt(a, b), x > y);
          assert.equal(seqGe(a, b), x >= y);
          assert.equal(seqDiff(b, a), y - x);
          assert.equal(seqAdd(a, seqDiff(b, a)), b);
          assert.equal(seqMax(a, b), seqAdd(base, Math.max(x, y)));
          assert.equal(seqMin(a, b), seqAdd(base, Math.min(x, y)));
        },
      ),
      { numRuns: 2000 },
    );
  });
});
