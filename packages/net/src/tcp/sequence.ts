// TCP sequence space (RFC 9293 §3.4): sequence numbers are 32-bit and wrap, so every
// comparison is made on the signed 32-bit distance between two numbers, never on their values.
// "<" means "comes before, within half the sequence space" (the serial-number arithmetic of
// RFC 1982 §3). This is sound as long as the numbers compared lie within 2^31 of each other,
// which TCP guarantees: a window is at most 2^30 bytes (RFC 7323 §2.3).
//
// Arguments are sequence numbers, integers in [0, 2^32); results of `seqAdd` are too. Two
// numbers exactly 2^31 apart are each "less" than the other (RFC 1982 leaves that pair
// undefined); TCP never compares such a pair.

/** RFC 9293 §3.4: sequence arithmetic modulo 2^32. `a + n`, wrapped; `n` may be negative. */
export function seqAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}

/** The signed distance `a − b` in [−2^31, 2^31): positive when `a` comes after `b`. */
export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

/** `a` comes before `b`. */
export function seqLt(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}

/** `a` comes before `b` or is `b`. */
export function seqLe(a: number, b: number): boolean {
  return ((a - b) | 0) <= 0;
}

/** `a` comes after `b`. */
export function seqGt(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}

/** `a` comes after `b` or is `b`. */
export function seqGe(a: number, b: number): boolean {
  return ((a - b) | 0) >= 0;
}

/** The later of `a` and `b`. */
export function seqMax(a: number, b: number): number {
  return ((a - b) | 0) < 0 ? b : a;
}

/** The earlier of `a` and `b`. */
export function seqMin(a: number, b: number): number {
  return ((a - b) | 0) < 0 ? a : b;
}
