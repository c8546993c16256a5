// What a simulated link does to the frames crossing it, in one direction. The knobs are those of
// Linux netem (tc-netem(8)), so a scenario reads the same as one run against the kernel.

export interface LinkConditions {
  /** One-way propagation delay (default 0). */
  readonly latencyMs?: number;
  /** Extra delay drawn uniformly from [0, jitterMs) per frame; frames may overtake each other. */
  readonly jitterMs?: number;
  /** Serialisation rate; frames queue behind each other (default: unlimited, no queueing). */
  readonly bandwidthBitsPerSecond?: number;
  /** Frames waiting to be serialised before new ones are tail-dropped (default 1000, netem's limit). */
  readonly queueFrames?: number;
  /** Probability that a frame is lost. */
  readonly loss?: number;
  /** Probability that a frame arrives twice. */
  readonly duplicate?: number;
  /** Probability that a frame is held back by `reorderDelayMs`, so later frames overtake it. */
  readonly reorder?: number;
  /** The hold-back of a reordered frame (default: the latency, at least 1 ms). */
  readonly reorderDelayMs?: number;
  /** Probability that one random bit of a frame is flipped. */
  readonly corrupt?: number;
}

/** Every knob filled in, after validation. */
export type ResolvedConditions = Required<LinkConditions>;

const PROBABILITIES = ['loss', 'duplicate', 'reorder', 'corrupt'] as const;
const DURATIONS = ['latencyMs', 'jitterMs', 'reorderDelayMs'] as const;

/** Validates `conditions` and fills in defaults; throws RangeError naming the bad knob. */
export function resolveConditions(conditions: LinkConditions = {}): ResolvedConditions {
  for (const key of PROBABILITIES) {
    const value = conditions[key];
    if (value !== undefined && !(value >= 0 && value <= 1)) {
      throw new RangeError(`link ${key} must be a probability in [0, 1], got ${value}`);
    }
  }
  for (const key of DURATIONS) {
    const value = conditions[key];
    if (value !== undefined && !(value >= 0 && Number.isFinite(value))) {
      throw new RangeError(`link ${key} must be a finite duration >= 0, got ${value}`);
    }
  }
  const bandwidth = conditions.bandwidthBitsPerSecond ?? Number.POSITIVE_INFINITY;
  if (!(bandwidth > 0))
    throw new RangeError(`link bandwidthBitsPerSecond must be > 0, got ${bandwidth}`);
  const queueFrames = conditions.queueFrames ?? 1000;
  if (!(Number.isInteger(queueFrames) && queueFrames >= 1)) {
    throw new RangeError(`link queueFrames must be an integer >= 1, got ${queueFrames}`);
  }
  const latencyMs = conditions.latencyMs ?? 0;
  return {
    latencyMs,
    jitterMs: conditions.jitterMs ?? 0,
    bandwidthBitsPerSecond: bandwidth,
    queueFrames,
    loss: conditions.loss ?? 0,
    duplicate: conditions.duplicate ?? 0,
    reorder: conditions.reorder ?? 0,
    reorderDelayMs: conditions.reorderDelayMs ?? Math.max(1, latencyMs),
    corrupt: conditions.corrupt ?? 0,
  };
}
