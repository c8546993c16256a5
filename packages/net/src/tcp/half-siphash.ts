// HalfSipHash-2-4 with a 32-bit output: the 32-bit-word member of the SipHash family (Aumasson and
// Bernstein), a keyed pseudorandom function with a 64-bit key. TCP uses it where RFC 6528 §3 and
// RFC 4987 §3.6 ask for a keyed function of the connection that an off-path attacker cannot
// predict: initial sequence numbers and SYN cookies. It is a short-input PRF, not a general hash.
//
// The construction: a 128-bit state of four 32-bit words, initialised from the key and two
// constants; each little-endian 32-bit message word m is absorbed as v3 ^= m, two rounds, v0 ^= m;
// the last word holds the message length (mod 256) in its top byte and the 0-3 leftover bytes
// below it; then v2 ^= 0xff, four rounds, and the result is v1 ^ v3. The output's bytes, as the
// reference implementation writes them, are this number in little-endian order.

/** "lyge" and "tedb", the initialisation constants of the 32-bit variant. */
const INIT_2 = 0x6c796765;
const INIT_3 = 0x74656462;

/** HalfSipHash-2-4, 32-bit output, over `bytes`, key = 8 bytes. */
export function halfSipHash24(key: Uint8Array, bytes: Uint8Array): number {
  if (key.length !== 8) throw new RangeError(`HalfSipHash key must be 8 bytes, got ${key.length}`);
  const count = bytes.length >>> 2;
  const words = new Uint32Array(count);
  for (let i = 0; i < count; i++) words[i] = readU32LE(bytes, i * 4);
  let last = (bytes.length & 0xff) << 24;
  for (let i = count * 4, shift = 0; i < bytes.length; i++, shift += 8) {
    last |= bytes[i]! << shift;
  }
  return hash(readU32LE(key, 0), readU32LE(key, 4), words, count, last);
}

/**
 * The same over a message given as little-endian 32-bit words (fast path, no allocation): key as
 * two u32 words (k0 = bytes 0-3 LE, k1 = bytes 4-7 LE), `words[0..count)`; equals halfSipHash24
 * over the words' little-endian bytes. RangeError when `count` is not an integer in
 * 0..words.length.
 */
export function halfSipHash24Words(
  k0: number,
  k1: number,
  words: ArrayLike<number>,
  count: number,
): number {
  if (!(Number.isInteger(count) && count >= 0 && count <= words.length)) {
    throw new RangeError(`word count must be an integer in 0..${words.length}, got ${count}`);
  }
  // The message is 4 × count bytes long and has no leftover bytes.
  return hash(k0, k1, words, count, ((count * 4) & 0xff) << 24);
}

/** Absorbs `words[0..count)` and then `last`, finalises, and returns the 32-bit output. */
function hash(
  k0: number,
  k1: number,
  words: ArrayLike<number>,
  count: number,
  last: number,
): number {
  let v0 = k0 | 0;
  let v1 = k1 | 0;
  let v2 = (k0 ^ INIT_2) | 0;
  let v3 = (k1 ^ INIT_3) | 0;
  for (let i = 0; i <= count; i++) {
    const m = i < count ? words[i]! | 0 : last;
    v3 ^= m;
    // Two compression rounds (the "2" of 2-4). Additions wrap mod 2^32 through `| 0`.
    for (let round = 0; round < 2; round++) {
      v0 = (v0 + v1) | 0;
      v1 = rotl(v1, 5) ^ v0;
      v0 = rotl(v0, 16);
      v2 = (v2 + v3) | 0;
      v3 = rotl(v3, 8) ^ v2;
      v0 = (v0 + v3) | 0;
      v3 = rotl(v3, 7) ^ v0;
      v2 = (v2 + v1) | 0;
      v1 = rotl(v1, 13) ^ v2;
      v2 = rotl(v2, 16);
    }
    v0 ^= m;
  }
  // 0xff marks the 32-bit output (the 64-bit output variant uses 0xee and also tweaks v1).
  v2 ^= 0xff;
  // Four finalisation rounds (the "4"), the same round function.
  for (let round = 0; round < 4; round++) {
    v0 = (v0 + v1) | 0;
    v1 = rotl(v1, 5) ^ v0;
    v0 = rotl(v0, 16);
    v2 = (v2 + v3) | 0;
    v3 = rotl(v3, 8) ^ v2;
    v0 = (v0 + v3) | 0;
    v3 = rotl(v3, 7) ^ v0;
    v2 = (v2 + v1) | 0;
    v1 = rotl(v1, 13) ^ v2;
    v2 = rotl(v2, 16);
  }
  return (v1 ^ v3) >>> 0;
}

function readU32LE(bytes: Uint8Array, offset: number): number {
  return (
    (bytes[offset]! |
      (bytes[offset + 1]! << 8) |
      (bytes[offset + 2]! << 16) |
      (bytes[offset + 3]! << 24)) >>>
    0
  );
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
