// The Internet checksum against a plain reference (RFC 1071 §4.1), over both of the
// implementation's paths: the byte-pair loop (short or odd-offset views) and the native 32-bit
// word loop (views of at least 128 bytes at an even offset, with or without a leading 16-bit
// word to reach a 4-byte boundary). Views are cut from larger buffers whose other bytes are junk,
// so reading outside a view changes the result.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fromHex, readU16BE, readU32BE, writeU16BE, writeU32BE } from '../src/bytes.ts';
import {
  finishChecksum,
  foldSum,
  internetChecksum,
  sumWords,
  updateChecksum16,
  updateChecksum32,
  updateChecksumBytes,
} from '../src/checksum.ts';
import { SeededRandom } from '../src/random.ts';

/**
 * RFC 1071 §4.1, one 16-bit big-endian word at a time with the end-around carry applied after
 * every addition, so the sum never leaves 16 bits; an odd last byte is padded with zero.
 */
function referenceSum(bytes: Uint8Array, initialSum = 0): number {
  let sum = initialSum;
  const add = (word: number): void => {
    sum += word;
    if (sum > 0xffff) sum -= 0xffff;
  };
  let i = 0;
  for (; i + 1 < bytes.length; i += 2) add((bytes[i]! << 8) | bytes[i + 1]!);
  if (i < bytes.length) add(bytes[i]! << 8);
  return sum;
}

/** Bytes given literally (small cases shrink byte by byte) or generated from a seed (large ones). */
type Content =
  | { readonly kind: 'literal'; readonly bytes: Uint8Array }
  | {
      readonly kind: 'generated';
      readonly length: number;
      readonly seed: number;
      readonly fill: 'random' | 'ones' | 'sparse';
    };

const contentArb: fc.Arbitrary<Content> = fc.oneof(
  fc.record({ kind: fc.constant('literal' as const), bytes: fc.uint8Array({ maxLength: 300 }) }),
  fc.record({
    kind: fc.constant('generated' as const),
    // Around the 128-byte threshold of the word path, and anywhere up to past a 64 KiB frame.
    length: fc.oneof(fc.integer({ min: 120, max: 140 }), fc.integer({ min: 0, max: 70_000 })),
    seed: fc.integer(),
    fill: fc.constantFrom('random' as const, 'ones' as const, 'sparse' as const),
  }),
);

function materialize(content: Content): Uint8Array {
  if (content.kind === 'literal') return content.bytes;
  const bytes = new Uint8Array(content.length);
  const random = new SeededRandom(content.seed);
  if (content.fill === 'random') random.fill(bytes);
  if (content.fill === 'ones') bytes.fill(0xff);
  // Mostly zero words with a few 0xff bytes: long runs where a carry bug would show.
  if (content.fill === 'sparse')
    for (let i = 0; i < bytes.length; i += 1 + random.below(64)) bytes[i] = 0xff;
  return bytes;
}

/** A copy of `content` as a view at `offset` of a larger buffer filled with junk around it. */
function viewAt(content: Uint8Array, offset: number): Uint8Array {
  const buffer = new Uint8Array(offset + content.length + 7).fill(0x5a);
  buffer.set(content, offset);
  return buffer.subarray(offset, offset + content.length);
}

const offsetArb = fc.integer({ min: 0, max: 7 });

function isAllZero(bytes: Uint8Array): boolean {
  return bytes.every((byte) => byte === 0);
}

describe('sumWords and internetChecksum', () => {
  it('equal the RFC 1071 reference at every length and byte offset', () => {
    fc.assert(
      fc.property(
        contentArb,
        offsetArb,
        fc.integer({ min: 0, max: 0xffff }),
        (content, offset, initial) => {
          const bytes = materialize(content);
          const view = viewAt(bytes, offset);
          const expected = referenceSum(bytes);
          assert.equal(sumWords(view), expected);
          assert.equal(internetChecksum(view), ~expected & 0xffff);
          assert.equal(sumWords(view, initial), referenceSum(bytes, initial));
          assert.equal(internetChecksum(view, initial), ~referenceSum(bytes, initial) & 0xffff);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('chain: the sum of an even-length head carried into the tail equals the whole', () => {
    fc.assert(
      fc.property(
        contentArb,
        fc.nat(),
        offsetArb,
        offsetArb,
        (content, cut, headOffset, tailOffset) => {
          const bytes = materialize(content);
          const split = 2 * (cut % (Math.floor(bytes.length / 2) + 1));
          const head = viewAt(bytes.subarray(0, split), headOffset);
          const tail = viewAt(bytes.subarray(split), tailOffset);
          assert.equal(sumWords(tail, sumWords(head)), sumWords(viewAt(bytes, headOffset)));
        },
      ),
    );
  });

  it('verify: with the computed checksum written into its field the data sums to 0xffff', () => {
    fc.assert(
      fc.property(contentArb, fc.nat(), offsetArb, (content, at, offset) => {
        const bytes = materialize(content);
        fc.pre(bytes.length >= 2);
        const view = viewAt(bytes, offset);
        const field = 2 * (at % Math.floor(view.length / 2));
        writeU16BE(view, field, 0);
        writeU16BE(view, field, internetChecksum(view));
        assert.equal(sumWords(view), 0xffff);
        assert.equal(internetChecksum(view), 0);
      }),
    );
  });

  it('matches the RFC 1071 §3 example: 00 01 f2 03 f4 f5 f6 f7 sums to dd f2', () => {
    const bytes = fromHex('00 01 f2 03 f4 f5 f6 f7');
    assert.equal(sumWords(bytes), 0xddf2);
    assert.equal(internetChecksum(bytes), 0x220d);
    assert.equal(finishChecksum(sumWords(bytes)), 0x220d);
  });

  it('verifies a real IPv4 header and recomputes its checksum', () => {
    const header = fromHex(`
      45        # version 4, IHL 5 (RFC 791 §3.1)
      00        # DSCP/ECN
      00 73     # total length 115
      00 00     # identification
      40 00     # flags DF, fragment offset 0
      40        # TTL 64
      11        # protocol 17 (UDP)
      b8 61     # header checksum
      c0 a8 00 01  # source 192.168.0.1
      c0 a8 00 c7  # destination 192.168.0.199
    `);
    assert.equal(header.length, 20);
    assert.equal(sumWords(header), 0xffff);
    assert.equal(internetChecksum(header), 0);
    writeU16BE(header, 10, 0);
    assert.equal(internetChecksum(header), 0xb861);
  });

  it('sums a buffer past one fold interval (2^20 words) of 0xff bytes', () => {
    // 4 MiB + 12 bytes: every 32-bit word is 0xffffffff, the largest the accumulator can see.
    const length = (1 << 22) + 12;
    for (const offset of [0, 2, 4]) {
      const view = viewAt(new Uint8Array(length).fill(0xff), offset);
      assert.equal(sumWords(view), 0xffff);
      // Non-zero residues in the first interval and in the last one must both survive the folds.
      view[5] = 0x12;
      view[length - 1] = 0xfe;
      assert.equal(sumWords(view), referenceSum(view));
    }
  });
});

describe('foldSum', () => {
  it('keeps the value modulo 0xffff, giving 1..0xffff for any non-zero sum', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), (sum) => {
        assert.equal(foldSum(sum), sum === 0 ? 0 : ((sum - 1) % 0xffff) + 1);
      }),
    );
  });
});

// RFC 1624 §3 equation 3 gives the recomputed checksum except for data that ends up all zero:
// its recomputed sum is +0 (checksum 0xffff), while an update always adds a non-zero term and
// reaches -0 (checksum 0x0000), the same one's complement value.
function expectedAfterUpdate(data: Uint8Array): number {
  return isAllZero(data) ? 0x0000 : internetChecksum(data);
}

/**
 * Fresh data and an even offset at which `fieldLength` bytes fit; built inside the property so a
 * counterexample prints as its small description, and mutating it cannot touch fast-check's value.
 */
function updateCase(content: Content, at: number, fieldLength: number) {
  const data = materialize(content).slice();
  fc.pre(data.length >= fieldLength);
  return { data, offset: 2 * (at % (Math.floor((data.length - fieldLength) / 2) + 1)) };
}

describe('incremental update (RFC 1624)', () => {
  it('updateChecksum16 equals recomputation after a 16-bit word changes', () => {
    fc.assert(
      fc.property(
        contentArb,
        fc.nat(),
        fc.integer({ min: 0, max: 0xffff }),
        (content, at, word) => {
          const { data, offset } = updateCase(content, at, 2);
          const before = internetChecksum(data);
          const oldWord = readU16BE(data, offset);
          writeU16BE(data, offset, word);
          assert.equal(updateChecksum16(before, oldWord, word), expectedAfterUpdate(data));
        },
      ),
    );
  });

  it('updateChecksum32 equals recomputation after a 32-bit field changes', () => {
    fc.assert(
      fc.property(
        contentArb,
        fc.nat(),
        fc.integer({ min: 0, max: 0xffff_ffff }),
        (content, at, value) => {
          const { data, offset } = updateCase(content, at, 4);
          const before = internetChecksum(data);
          const oldValue = readU32BE(data, offset);
          writeU32BE(data, offset, value);
          assert.equal(updateChecksum32(before, oldValue, value), expectedAfterUpdate(data));
        },
      ),
    );
  });

  it('updateChecksumBytes equals recomputation after a run of bytes changes', () => {
    fc.assert(
      fc.property(
        contentArb,
        fc.nat(),
        fc.uint8Array({ maxLength: 40 }),
        (content, at, replacement) => {
          const { data, offset } = updateCase(content, at, 0);
          const run = replacement.subarray(0, data.length - offset);
          const before = internetChecksum(data);
          const oldRun = data.slice(offset, offset + run.length);
          data.set(run, offset);
          const updated = updateChecksumBytes(before, oldRun, run);
          assert.equal(updated, run.length === 0 ? before : expectedAfterUpdate(data));
        },
      ),
    );
  });

  it('updateChecksumBytes rejects runs of different lengths', () => {
    assert.throws(() => updateChecksumBytes(0, new Uint8Array(4), new Uint8Array(2)), RangeError);
  });

  it('gives the RFC 1624 §4 result where RFC 1141 equation 2 does not', () => {
    // The other header words sum to 0xcd7a; the field m = 0x5555 becomes m' = 0x3285.
    const header = fromHex('cd 7a 55 55');
    const before = internetChecksum(header);
    assert.equal(before, 0xdd2f);
    writeU16BE(header, 2, 0x3285);
    assert.equal(internetChecksum(header), 0x0000);
    // Equation 2: HC' = HC + m + ~m' gives 0xffff, a value no full computation produces here.
    assert.equal(foldSum(before + 0x5555 + (~0x3285 & 0xffff)), 0xffff);
    // Equation 3: HC' = ~(~HC + ~m + m').
    assert.equal(updateChecksum16(before, 0x5555, 0x3285), 0x0000);
    assert.equal(updateChecksumBytes(before, fromHex('55 55'), fromHex('32 85')), 0x0000);
  });
});
