// SeededRandom (reproducible streams for simulations) and SystemRandom (the platform's CSPRNG).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { type Random, SeededRandom, SystemRandom } from '../src/random.ts';

function draws(random: Random, count: number): number[] {
  return Array.from({ length: count }, () => random.uint32());
}

describe('SeededRandom', () => {
  it('gives the same sequence for the same seed', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        assert.deepEqual(draws(new SeededRandom(seed), 16), draws(new SeededRandom(seed), 16));
      }),
    );
  });

  it('keeps the sequence a recorded seed stands for', () => {
    // A failing simulation is replayed from its printed seed, so the stream of a seed must not
    // change between versions: these are the first outputs for seed 1.
    assert.deepEqual(
      draws(new SeededRandom(1), 4),
      [0x9190299e, 0xc1017b27, 0xe3af522f, 0x7d71fb05],
    );
  });

  it('gives different sequences for different seeds', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer(), (a, b) => {
        fc.pre(a >>> 0 !== b >>> 0);
        assert.notDeepEqual(draws(new SeededRandom(a), 4), draws(new SeededRandom(b), 4));
      }),
    );
  });

  it('takes any integer seed modulo 2^32 and refuses others', () => {
    assert.equal(new SeededRandom(-1).seed, 0xffff_ffff);
    assert.deepEqual(draws(new SeededRandom(2 ** 32 + 5), 4), draws(new SeededRandom(5), 4));
    assert.throws(() => new SeededRandom(1.5), RangeError);
    assert.throws(() => new SeededRandom(Number.NaN), RangeError);
  });

  it('derive(label) depends on the seed and the label, not on what the parent drew', () => {
    const fresh = new SeededRandom(7);
    const used = new SeededRandom(7);
    draws(used, 1000);
    const stream = draws(fresh.derive('tcp'), 8);
    assert.deepEqual(draws(used.derive('tcp'), 8), stream);
    assert.notDeepEqual(draws(fresh.derive('udp'), 8), stream);
    assert.notDeepEqual(draws(new SeededRandom(8).derive('tcp'), 8), stream);
    assert.notDeepEqual(draws(new SeededRandom(7), 8), stream);
    assert.equal(fresh.derive('tcp').seed, fresh.derive('tcp').seed);
  });

  it('below(bound) stays in [0, bound) and refuses bounds outside 1..2^32', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: 2 ** 32 }), (seed, bound) => {
        const random = new SeededRandom(seed);
        for (let i = 0; i < 20; i++) {
          const value = random.below(bound);
          assert.ok(Number.isInteger(value) && value >= 0 && value < bound, `${value} of ${bound}`);
        }
      }),
    );
    const random = new SeededRandom(1);
    assert.equal(random.below(1), 0);
    for (const bound of [0, -1, 1.5, 2 ** 32 + 1, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => random.below(bound), RangeError, `bound ${bound}`);
    }
  });

  it('below(bound) is roughly uniform', () => {
    const random = new SeededRandom(12345);
    const buckets = new Array<number>(10).fill(0);
    for (let i = 0; i < 100_000; i++) {
      const value = random.below(10);
      buckets[value] = buckets[value]! + 1;
    }
    // Expected 10,000 each, standard deviation about 95.
    for (const count of buckets) assert.ok(count > 9_400 && count < 10_600, `bucket ${count}`);
  });

  it('below(bound) has no modulo bias for a bound that does not divide 2^32', () => {
    // With bound 3 * 2^30, a plain `uint32() % bound` would land below 2^30 half the time.
    const random = new SeededRandom(99);
    let low = 0;
    const count = 30_000;
    for (let i = 0; i < count; i++) if (random.below(0xc000_0000) < 0x4000_0000) low++;
    assert.ok(Math.abs(low / count - 1 / 3) < 0.02, `fraction below 2^30: ${low / count}`);
  });

  it('float() stays in [0, 1) and averages about 1/2', () => {
    const random = new SeededRandom(2024);
    let total = 0;
    for (let i = 0; i < 10_000; i++) {
      const value = random.float();
      assert.ok(value >= 0 && value < 1, `${value}`);
      total += value;
    }
    assert.ok(Math.abs(total / 10_000 - 0.5) < 0.02, `mean ${total / 10_000}`);
  });

  it('fill writes each uint32 little-endian, truncating the last for any length', () => {
    for (let length = 0; length <= 13; length++) {
      const twin = new SeededRandom(length);
      const expected = new Uint8Array(Math.ceil(length / 4) * 4);
      const view = new DataView(expected.buffer);
      for (let offset = 0; offset < expected.length; offset += 4) {
        view.setUint32(offset, twin.uint32(), true);
      }
      const bytes = new Uint8Array(length);
      assert.equal(new SeededRandom(length).fill(bytes), bytes);
      assert.deepEqual(bytes, expected.subarray(0, length));
    }
  });

  it('fill writes only inside the view it is given', () => {
    const buffer = new Uint8Array(16);
    new SeededRandom(3).fill(buffer.subarray(3, 10));
    assert.deepEqual([...buffer.subarray(0, 3), ...buffer.subarray(10)], new Array(9).fill(0));
    assert.ok(buffer.subarray(3, 10).some((byte) => byte !== 0));
  });
});

describe('SystemRandom', () => {
  it('gives integers in range across several refills of its block', () => {
    const random = new SystemRandom();
    const values = draws(random, 600);
    for (const value of values) assert.ok(Number.isInteger(value) && value >= 0 && value < 2 ** 32);
    assert.ok(new Set(values).size > 590);
    for (let i = 0; i < 100; i++) {
      const die = random.below(6);
      assert.ok(Number.isInteger(die) && die >= 0 && die < 6);
      const float = random.float();
      assert.ok(float >= 0 && float < 1);
    }
  });

  it('fills buffers larger than one getRandomValues call, and empty ones', () => {
    const random = new SystemRandom();
    const bytes = new Uint8Array(100_000);
    assert.equal(random.fill(bytes), bytes);
    // Each 1 KiB stretch being all zero has probability 2^-8192.
    for (let offset = 0; offset < bytes.length; offset += 1024) {
      assert.ok(
        bytes.subarray(offset, offset + 1024).some((byte) => byte !== 0),
        `at ${offset}`,
      );
    }
    assert.equal(random.fill(new Uint8Array(0)).length, 0);
  });
});
