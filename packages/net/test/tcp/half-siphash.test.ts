import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { halfSipHash24, halfSipHash24Words } from '../../src/tcp/half-siphash.ts';

/**
 * The reference implementation's HalfSipHash-2-4 32-bit vectors (vectors_hsip32 in the SipHash
 * repository's vectors.h): entry n is the output for key 00 01 .. 07 and message 00 01 .. (n−1),
 * as the 4 bytes the reference writes, i.e. the 32-bit result in little-endian order.
 */
const VECTORS_HSIP32 = [
  'a9359f5b',
  '27475ab8',
  'fa62a603',
  '8afee704',
  '2a6e4689',
  'c5fab669',
  '5863fc23',
  '8bcf63c5',
  'd0b8848f',
  'f806e779',
  '94b07934',
  '08083050',
  '57f0872f',
  '77e663ff',
  'd6fff87c',
  '74fe2b97',
  'd9b5ac84',
  'c474645b',
  '465b8d9b',
  '7befe387',
  'e34d1045',
  '613f62b3',
  '70f367fe',
  'e6adb8bd',
  '27400c63',
  '26787875',
  '4f567b5f',
  '3ab0e669',
  'b0644000',
  'ff670fb4',
  '509e338b',
  '5d589f1a',
  'fee72112',
  '33753259',
  '6a434f8c',
  'fe28b729',
  'e75cc6ec',
  '697e8d54',
  '63688b0f',
  '650b62b4',
  'b6bc1840',
  '5d074505',
  '2442fd2e',
  '7bb7863a',
  '7705d548',
  'd75208b1',
  'b6d499c8',
  '0892202e',
  '69e12ce3',
  '8db580e5',
  '369764c6',
  '016e0204',
  '3b85f3d4',
  'fedb66be',
  '1e692a3a',
  'c68984c0',
  'a5c5b940',
  '9be9e88c',
  '7dbc8140',
  '7c078ec5',
  'd4e76c73',
  '428fcbb9',
  'bd83997a',
  '59ea4a74',
];

/** The 32-bit value whose little-endian bytes are written as `hex`. */
function fromLittleEndianHex(hex: string): number {
  let value = 0;
  for (let i = 3; i >= 0; i--)
    value = value * 256 + Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return value;
}

/** The bytes 0, 1, .., n − 1. */
function countingBytes(n: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => i);
}

/** Little-endian 32-bit words of `bytes` (whose length is a multiple of 4). */
function toWords(bytes: Uint8Array): number[] {
  const words: number[] = [];
  for (let i = 0; i < bytes.length; i += 4) {
    words.push(
      (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24)) >>> 0,
    );
  }
  return words;
}

const KEY = countingBytes(8);
const K0 = 0x03020100;
const K1 = 0x07060504;

describe('halfSipHash24', () => {
  it('has 64 vectors whose first and last decode as expected', () => {
    assert.equal(VECTORS_HSIP32.length, 64);
    assert.equal(fromLittleEndianHex(VECTORS_HSIP32[0]!), 0x5b9f35a9);
    assert.equal(fromLittleEndianHex(VECTORS_HSIP32[63]!), 0x744aea59);
  });

  it('matches every official vector, lengths 0..63', () => {
    for (let n = 0; n < 64; n++) {
      assert.equal(
        halfSipHash24(KEY, countingBytes(n)),
        fromLittleEndianHex(VECTORS_HSIP32[n]!),
        `message length ${n}`,
      );
    }
  });

  it('spot-checks vectors as numbers', () => {
    assert.equal(halfSipHash24(KEY, new Uint8Array(0)), 0x5b9f35a9);
    assert.equal(halfSipHash24(KEY, countingBytes(1)), 0xb85a4727);
    assert.equal(halfSipHash24(KEY, countingBytes(4)), 0x89466e2a);
    assert.equal(halfSipHash24(KEY, countingBytes(7)), 0xc563cf8b);
    assert.equal(halfSipHash24(KEY, countingBytes(8)), 0x8f84b8d0);
    assert.equal(halfSipHash24(KEY, countingBytes(12)), 0x2f87f057);
  });

  it('refuses a key that is not 8 bytes', () => {
    assert.throws(() => halfSipHash24(new Uint8Array(7), new Uint8Array(0)), RangeError);
    assert.throws(() => halfSipHash24(new Uint8Array(16), new Uint8Array(0)), RangeError);
  });
});

describe('halfSipHash24Words', () => {
  it('matches the official vectors for every whole-word length 0..60', () => {
    for (let n = 0; n < 64; n += 4) {
      const words = toWords(countingBytes(n));
      assert.equal(
        halfSipHash24Words(K0, K1, words, words.length),
        fromLittleEndianHex(VECTORS_HSIP32[n]!),
        `message length ${n}`,
      );
    }
    assert.equal(halfSipHash24Words(K0, K1, [], 0), 0x5b9f35a9);
    assert.equal(halfSipHash24Words(K0, K1, [0x03020100], 1), 0x89466e2a);
    assert.equal(halfSipHash24Words(K0, K1, [0x03020100, 0x07060504], 2), 0x8f84b8d0);
  });

  it('hashes only words[0..count) and takes any array-like of words', () => {
    const words = toWords(countingBytes(16));
    assert.equal(halfSipHash24Words(K0, K1, words, 2), 0x8f84b8d0);
    assert.equal(halfSipHash24Words(K0, K1, Uint32Array.from(words), 3), 0x2f87f057);
    assert.equal(halfSipHash24Words(K0, K1, Int32Array.from(words), 3), 0x2f87f057);
  });

  it('treats a word and its signed 32-bit form alike, in the key too', () => {
    assert.equal(
      halfSipHash24Words(0xffff_ffff, 0x8000_0000, [0xdead_beef], 1),
      halfSipHash24Words(-1, -0x8000_0000, [0xdead_beef | 0], 1),
    );
  });

  it('refuses a count outside 0..words.length', () => {
    assert.throws(() => halfSipHash24Words(K0, K1, [1, 2], 3), RangeError);
    assert.throws(() => halfSipHash24Words(K0, K1, [1, 2], -1), RangeError);
    assert.throws(() => halfSipHash24Words(K0, K1, [1, 2], 1.5), RangeError);
  });

  it('equals the byte variant over the words’ little-endian bytes (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 8, maxLength: 8 }),
        // Up to 100 words: past 255 bytes the length byte wraps, which both must agree on.
        fc.array(fc.integer({ min: 0, max: 0xffff_ffff }), { maxLength: 100 }),
        (key, words) => {
          const bytes = new Uint8Array(words.length * 4);
          words.forEach((word, i) => {
            bytes[4 * i] = word;
            bytes[4 * i + 1] = word >>> 8;
            bytes[4 * i + 2] = word >>> 16;
            bytes[4 * i + 3] = word >>> 24;
          });
          const [k0, k1] = toWords(key);
          const viaWords = halfSipHash24Words(k0!, k1!, words, words.length);
          assert.equal(viaWords, halfSipHash24(key, bytes));
          assert.ok(Number.isInteger(viaWords) && viaWords >= 0 && viaWords <= 0xffff_ffff);
        },
      ),
    );
  });
});
