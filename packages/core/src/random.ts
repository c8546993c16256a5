// Randomness as a device. Security-relevant values (initial sequence numbers, DNS IDs and ports)
// come from SystemRandom; simulations use SeededRandom so that a run is reproducible from its seed.

export interface Random {
  /** Fills `bytes` with random bytes and returns it. */
  fill(bytes: Uint8Array): Uint8Array;
  /** A uniformly distributed integer in [0, 2^32). */
  uint32(): number;
  /** A uniformly distributed integer in [0, bound), for 0 < bound <= 2^32. */
  below(bound: number): number;
  /** A uniformly distributed number in [0, 1). */
  float(): number;
}

/** Shared by both implementations: everything in terms of `uint32()`. */
abstract class RandomBase implements Random {
  abstract uint32(): number;

  fill(bytes: Uint8Array): Uint8Array {
    let i = 0;
    for (; i + 4 <= bytes.length; i += 4) {
      const word = this.uint32();
      bytes[i] = word;
      bytes[i + 1] = word >>> 8;
      bytes[i + 2] = word >>> 16;
      bytes[i + 3] = word >>> 24;
    }
    if (i < bytes.length) {
      let word = this.uint32();
      for (; i < bytes.length; i++, word >>>= 8) bytes[i] = word;
    }
    return bytes;
  }

  below(bound: number): number {
    if (!(bound > 0 && bound <= 0x1_0000_0000) || !Number.isInteger(bound)) {
      throw new RangeError(`random bound must be an integer in 1..2^32, got ${bound}`);
    }
    // Rejection sampling: drop the top partial range so every result is equally likely.
    const limit = 0x1_0000_0000 - (0x1_0000_0000 % bound);
    for (;;) {
      const value = this.uint32();
      if (value < limit) return value % bound;
    }
  }

  float(): number {
    // 53 random bits, the full precision of a double.
    return ((this.uint32() >>> 5) * 0x400_0000 + (this.uint32() >>> 6)) / 2 ** 53;
  }
}

/** The platform's cryptographically secure generator (`crypto.getRandomValues`), read in blocks. */
export class SystemRandom extends RandomBase {
  readonly #block = new Uint32Array(256);
  #next = 256;

  uint32(): number {
    if (this.#next === this.#block.length) {
      crypto.getRandomValues(this.#block);
      this.#next = 0;
    }
    return this.#block[this.#next++]!;
  }

  override fill(bytes: Uint8Array): Uint8Array {
    for (let offset = 0; offset < bytes.length; offset += 65536) {
      crypto.getRandomValues(bytes.subarray(offset, offset + 65536));
    }
    return bytes;
  }
}

/**
 * A deterministic generator (xoshiro128**, seeded through splitmix32). Not for secrets. The same
 * seed gives the same sequence on every platform; `derive(label)` gives an independent stream per
 * component, so adding a component to a simulation does not change what the others draw.
 */
export class SeededRandom extends RandomBase {
  readonly seed: number;
  #s0: number;
  #s1: number;
  #s2: number;
  #s3: number;

  constructor(seed: number) {
    super();
    if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
    this.seed = seed >>> 0;
    let state = this.seed;
    const splitmix32 = (): number => {
      state = (state + 0x9e3779b9) >>> 0;
      let z = state;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.#s0 = splitmix32();
    this.#s1 = splitmix32();
    this.#s2 = splitmix32();
    this.#s3 = splitmix32();
  }

  uint32(): number {
    const result = Math.imul(rotl(Math.imul(this.#s1, 5), 7), 9) >>> 0;
    const t = this.#s1 << 9;
    this.#s2 ^= this.#s0;
    this.#s3 ^= this.#s1;
    this.#s1 ^= this.#s2;
    this.#s0 ^= this.#s3;
    this.#s2 ^= t;
    this.#s3 = rotl(this.#s3, 11);
    return result;
  }

  /** An independent generator whose seed depends on this one's seed and on `label`. */
  derive(label: string): SeededRandom {
    // FNV-1a over the label's UTF-16 code units, mixed with the parent seed.
    let hash = 0x811c9dc5 ^ this.seed;
    for (let i = 0; i < label.length; i++) hash = Math.imul(hash ^ label.charCodeAt(i), 0x01000193);
    return new SeededRandom(hash >>> 0);
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
