// Initial sequence numbers as RFC 6528 §3 specifies them: ISN = M + F(localip, localport,
// remoteip, remoteport, secretkey), where M is a timer that ticks every 4 microseconds and F a
// keyed pseudorandom function. Per connection identity the ISN then advances with the clock as
// RFC 9293 §3.4.1 wants (so a new incarnation of a connection starts above the old one's
// sequence numbers), while an off-path attacker, who does not know the key, cannot predict the
// ISN of any connection from the ISNs it sees on its own connections (RFC 6528 §1, §3).

import type { Random } from '@oasis/core';
import { halfSipHash24Words } from './half-siphash.ts';

/** M ticks every 4 µs (RFC 6528 §3, after RFC 793's ISN clock): 250 ticks per millisecond. */
const TICKS_PER_MS = 250;

/** The longest connection identity: IPv6, 4 + 4 address words and one word of ports. */
const MAX_IDENTITY_WORDS = 9;

/** Secret words absorbed ahead of the identity; see the constructor. */
const SECRET_PREFIX_WORDS = 2;

/**
 * Connection identity as 32-bit words: the local address words (1 for IPv4, 4 for IPv6), the
 * remote address words, then (localPort << 16 | remotePort). Family-agnostic.
 */
export class InitialSequenceGenerator {
  readonly #k0: number;
  readonly #k1: number;
  /** The secret prefix followed by the identity; reused, so `next` allocates nothing. */
  readonly #message = new Uint32Array(SECRET_PREFIX_WORDS + MAX_IDENTITY_WORDS);

  /**
   * Draws the secret key once (RFC 6528 §3: a secret that is not known to attackers). RFC 6528
   * §3 considers 128-bit keys adequate, and HalfSipHash's key has 64 bits; so 64 more secret
   * bits go in front of every message, and an exhaustive search for the secret has 128 bits to
   * cover. HalfSipHash itself is analysed as a 64-bit-key function, so this is defence in depth
   * rather than a claim of 128-bit security. Draws 4 words from `random`.
   */
  constructor(random: Random) {
    this.#k0 = random.uint32();
    this.#k1 = random.uint32();
    this.#message[0] = random.uint32();
    this.#message[1] = random.uint32();
  }

  /**
   * `words[0..count)` identify the connection (as above); nowMs is the stack clock (may be
   * fractional). Returns the unsigned 32-bit ISN. RangeError for a count outside 1..9 or larger
   * than `words.length`.
   */
  next(words: ArrayLike<number>, count: number, nowMs: number): number {
    if (!(Number.isInteger(count) && count >= 1 && count <= MAX_IDENTITY_WORDS)) {
      throw new RangeError(`identity must be 1..${MAX_IDENTITY_WORDS} words, got ${count}`);
    }
    if (count > words.length) {
      throw new RangeError(`identity count ${count} exceeds the ${words.length} words given`);
    }
    const message = this.#message;
    for (let i = 0; i < count; i++) message[SECRET_PREFIX_WORDS + i] = words[i]!;
    const f = halfSipHash24Words(this.#k0, this.#k1, message, SECRET_PREFIX_WORDS + count);
    // M wraps mod 2^32 like the sequence space (ToUint32 of an integer is exact mod 2^32).
    const m = Math.floor(nowMs * TICKS_PER_MS) >>> 0;
    return (m + f) >>> 0;
  }
}
