// SYN cookies (RFC 4987 §3.6): when the listen queue is full, a listener answers a SYN without
// keeping any state, by choosing as its ISN a number from which the third segment of the
// handshake proves that the peer received our SYN-ACK, and which carries the one option a
// connection cannot do without, the MSS. The cookie, less the client's ISN, is laid out as
//
//    31      27 26  24 23                                          0
//   +----------+------+---------------------------------------------+
//   |    t     |  m   |                      s                      |
//   +----------+------+---------------------------------------------+
//
// t: a counter that increments every 64 s, mod 32; m: an index into SYN_COOKIE_MSS_TABLE; s: the
// low 24 bits of a keyed function of the connection identity and the counter (and, beyond RFC
// 4987's minimum, of m too, so that no bit of the cookie can be changed unnoticed). Adding the
// client's ISN, as the original design does (the cookie is defined as the difference between the
// two ISNs), makes the cookie differ per SYN and our ISN advance with the client's.
//
// Options a cookie cannot carry (window scale, SACK permitted: RFC 4987 §3.6 notes that cookies
// lose such options) travel in the low bits of our timestamp value when the peer sent timestamps,
// which it echoes in the ACK; see `encodeTimestampOptions`. A peer without timestamps gets neither.

import type { Random } from '@oasis/core';
import { halfSipHash24Words } from './half-siphash.ts';

/**
 * The 8 MSS values a cookie can encode, ascending; a peer's MSS is rounded down to one of them.
 * - 536: the IPv4 default when a SYN has no MSS option (RFC 9293 §3.7.1, 576 − 40), and the floor.
 * - 1220: the IPv6 default (RFC 9293 §3.7.1): the minimum link MTU 1280 (RFC 8200 §5) − 40 − 20.
 * - 1360: paths through tunnels and VPNs (IPsec, GRE) commonly clamp to about this.
 * - 1400: another common clamp for tunnels and mobile networks.
 * - 1440: IPv6 over a 1500-byte link (1500 − 40 − 20).
 * - 1452: IPv4 over PPPoE, whose MTU is 1492 (RFC 2516 §7), a very common DSL path.
 * - 1460: IPv4 over a 1500-byte Ethernet link (1500 − 20 − 20), the most common value seen.
 * - 8960: IPv4 over a 9000-byte jumbo frame link (9000 − 40), for data-centre networks.
 * The steps are small where real paths cluster (1360..1460), so rounding down costs little.
 */
export const SYN_COOKIE_MSS_TABLE: readonly number[] = Object.freeze([
  536, 1220, 1360, 1400, 1440, 1452, 1460, 8960,
]);

/** The counter t increments every 64 s (RFC 4987 §3.6). */
const COUNTER_PERIOD_MS = 64_000;

/** Bit positions and widths of the fields above. */
const COUNTER_SHIFT = 27;
const COUNTER_MASK = 0x1f;
const MSS_SHIFT = 24;
const MSS_BITS = 3;
const MSS_MASK = (1 << MSS_BITS) - 1;
const HASH_MASK = 0xff_ffff;

/** A cookie is accepted in the period it was made and the next one: 64 to 128 s. */
const MAX_AGE_PERIODS = 1;

/** The longest connection identity: IPv6, 4 + 4 address words and one word of ports. */
const MAX_IDENTITY_WORDS = 9;

/** Secret words absorbed ahead of the identity, as in initial-sequence.ts. */
const SECRET_PREFIX_WORDS = 2;

/** Low bits of the timestamp value (TSval, RFC 7323 §3.2) that carry the options. */
const TS_OPTIONS_MASK = 0x3f;
const TS_WINDOW_SCALE_MASK = 0x0f;
/** Window scale field value meaning "the peer sent no Window Scale option". */
const TS_NO_WINDOW_SCALE = 0x0f;
const TS_SACK_PERMITTED = 0x10;
/** Reserved, sent as 0; a 1 means the echo is not a value we encoded. */
const TS_RESERVED = 0x20;
/** RFC 7323 §2.3: the largest shift count; a larger one received is used as 14. */
const MAX_WINDOW_SCALE = 14;

/**
 * Makes and checks cookies for one listener stack. Connection identity words are as for
 * InitialSequenceGenerator: local address words, remote address words, then
 * (localPort << 16 | remotePort).
 */
export class SynCookies {
  readonly #k0: number;
  readonly #k1: number;
  /** The secret prefix, the identity, then the counter; reused, so nothing is allocated. */
  readonly #message = new Uint32Array(SECRET_PREFIX_WORDS + MAX_IDENTITY_WORDS + 1);

  /**
   * Draws its own secret (4 words, 128 bits as for initial sequence numbers), independent of any
   * other user of `random`, once: cookies stay checkable for the life of the object.
   */
  constructor(random: Random) {
    this.#k0 = random.uint32();
    this.#k1 = random.uint32();
    this.#message[0] = random.uint32();
    this.#message[1] = random.uint32();
  }

  /**
   * The ISN to send in our SYN-ACK: encodes the largest table MSS ≤ peerMss (536 when peerMss is
   * smaller; pass 536 when the SYN had no MSS option). Returns the cookie and the MSS it encodes.
   * RangeError for a non-integer peerMss or a bad identity count.
   */
  make(
    words: ArrayLike<number>,
    count: number,
    clientIsn: number,
    peerMss: number,
    nowMs: number,
  ): { readonly isn: number; readonly mss: number } {
    checkIdentity(words, count);
    if (!Number.isInteger(peerMss)) {
      throw new RangeError(`peer MSS must be an integer, got ${peerMss}`);
    }
    let index = 0;
    while (index + 1 < SYN_COOKIE_MSS_TABLE.length && SYN_COOKIE_MSS_TABLE[index + 1]! <= peerMss) {
      index++;
    }
    const counter = counterAt(nowMs);
    const s = this.#mac(words, count, counter, index) & HASH_MASK;
    const body = (((counter & COUNTER_MASK) << COUNTER_SHIFT) | (index << MSS_SHIFT) | s) >>> 0;
    return { isn: (body + clientIsn) >>> 0, mss: SYN_COOKIE_MSS_TABLE[index]! };
  }

  /**
   * On the third segment (ACK): `cookie` = its ack − 1, `clientIsn` = its seq − 1. Returns the
   * encoded MSS when the cookie is valid and at most 2 counter periods old (accept t and t−1,
   * 64–128 s), else undefined. A cookie "from the future" (t + 1) is refused.
   */
  check(
    words: ArrayLike<number>,
    count: number,
    clientIsn: number,
    cookie: number,
    nowMs: number,
  ): number | undefined {
    checkIdentity(words, count);
    const body = (cookie - clientIsn) >>> 0;
    const now = counterAt(nowMs);
    const age = (now - (body >>> COUNTER_SHIFT)) & COUNTER_MASK;
    if (age > MAX_AGE_PERIODS) return undefined;
    // The hash covers the whole counter, not just its 5 bits, so a cookie replayed when the
    // 5-bit t comes round again (32 periods, about 34 minutes, later) does not check out.
    const index = (body >>> MSS_SHIFT) & MSS_MASK;
    const s = this.#mac(words, count, now - age, index) & HASH_MASK;
    if ((body & HASH_MASK) !== s) return undefined;
    return SYN_COOKIE_MSS_TABLE[index];
  }

  /**
   * Options a cookie cannot carry go in the low 6 bits of our timestamp value when the peer sent
   * timestamps (as Linux does): 4 bits window scale (15 = none), 1 bit SACK permitted, 1 bit
   * reserved 0. `windowScale` is the shift count the peer sent (undefined: no Window Scale
   * option); above 14 it is stored as 14 (RFC 7323 §2.3). Returns tsValue with its low 6 bits
   * replaced, which can be up to 63 above tsValue. Later segments carry the plain clock, and if
   * that is below the SYN-ACK's TSval the peer's PAWS check (RFC 7323 §5) drops them until the
   * clock catches up; so pass the clock less 64 to keep TSval from ever going back.
   * RangeError for a negative or non-integer windowScale.
   */
  static encodeTimestampOptions(
    tsValue: number,
    windowScale: number | undefined,
    sackPermitted: boolean,
  ): number {
    let field = TS_NO_WINDOW_SCALE;
    if (windowScale !== undefined) {
      if (!(Number.isInteger(windowScale) && windowScale >= 0)) {
        throw new RangeError(`window scale must be a non-negative integer, got ${windowScale}`);
      }
      field = Math.min(windowScale, MAX_WINDOW_SCALE);
    }
    if (sackPermitted) field |= TS_SACK_PERMITTED;
    return ((tsValue & ~TS_OPTIONS_MASK) | field) >>> 0;
  }

  /**
   * From the echoed timestamp (TSecr) of the ACK; undefined when the bits are invalid (the
   * reserved bit set). Window scale field 15 decodes as undefined (no option), 0..14 as itself.
   */
  static decodeTimestampOptions(
    tsEcho: number,
  ): { readonly windowScale: number | undefined; readonly sackPermitted: boolean } | undefined {
    if ((tsEcho & TS_RESERVED) !== 0) return undefined;
    const field = tsEcho & TS_WINDOW_SCALE_MASK;
    return {
      windowScale: field === TS_NO_WINDOW_SCALE ? undefined : field,
      sackPermitted: (tsEcho & TS_SACK_PERMITTED) !== 0,
    };
  }

  /**
   * HalfSipHash of the secret prefix, `words[0..count)`, then the counter and the MSS index in
   * one word (counter × 8 + index, mod 2^32: the counter's top bits, lost, would take a thousand
   * years to change).
   */
  #mac(words: ArrayLike<number>, count: number, counter: number, mssIndex: number): number {
    const message = this.#message;
    for (let i = 0; i < count; i++) message[SECRET_PREFIX_WORDS + i] = words[i]!;
    message[SECRET_PREFIX_WORDS + count] = (counter << MSS_BITS) | mssIndex;
    return halfSipHash24Words(this.#k0, this.#k1, message, SECRET_PREFIX_WORDS + count + 1);
  }
}

/** RangeError unless `words[0..count)` can be a connection identity. */
function checkIdentity(words: ArrayLike<number>, count: number): void {
  if (!(Number.isInteger(count) && count >= 1 && count <= MAX_IDENTITY_WORDS)) {
    throw new RangeError(`identity must be 1..${MAX_IDENTITY_WORDS} words, got ${count}`);
  }
  if (count > words.length) {
    throw new RangeError(`identity count ${count} exceeds the ${words.length} words given`);
  }
}

/** The unwrapped 64-second counter at `nowMs`; its low 5 bits are the cookie's t. */
function counterAt(nowMs: number): number {
  return Math.floor(nowMs / COUNTER_PERIOD_MS);
}
