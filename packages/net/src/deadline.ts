// Deadlines as the protocol state machines report them from `pollAt()`: a time in ms, or
// undefined for "nothing to do"; an infinite time means the same as undefined.

/** The earlier of two deadlines. */
export function earliestDeadline(a: number | undefined, b: number | undefined): number | undefined {
  if (b === undefined || !Number.isFinite(b)) return a;
  return a === undefined ? b : Math.min(a, b);
}
