// One direction of a simulated link: frames go in at one end and, after the link's conditions
// have had their way with them, come out at the other end at a time on the manual clock. Every
// random decision is drawn from the channel's own seeded stream, in a fixed order per frame, so a
// run is reproducible from its seed.

import type { Random, Sleep } from '@oasis/core';
import {
  type LinkConditions,
  type ResolvedConditions,
  resolveConditions,
} from './link-conditions.ts';

export interface ChannelCounters {
  /** Frames given to the channel. */
  sent: number;
  /** Frames handed to the far end, duplicates included. */
  delivered: number;
  lost: number;
  duplicated: number;
  reordered: number;
  corrupted: number;
  /** Tail-dropped because the serialisation queue was full. */
  queueDropped: number;
  /** Dropped because the link was cut when they were sent or while they were in flight. */
  cutDropped: number;
}

/** The far end of a channel. */
export type FrameSink = (frame: Uint8Array) => void;

export class Channel {
  readonly counters: ChannelCounters = {
    sent: 0,
    delivered: 0,
    lost: 0,
    duplicated: 0,
    reordered: 0,
    corrupted: 0,
    queueDropped: 0,
    cutDropped: 0,
  };
  #conditions: ResolvedConditions;
  readonly #timers: Pick<Sleep, 'setTimer'> & { nowMs(): number };
  readonly #random: Random;
  readonly #sink: FrameSink;
  /** Bumped by every cut, so frames in flight across a cut are lost even if the link heals first. */
  #epoch = 0;
  #up = true;
  /** Serialisation finish times of queued frames, oldest first (bandwidth-limited links only). */
  readonly #backlog: number[] = [];
  #busyUntilMs = 0;

  constructor(
    timers: Pick<Sleep, 'setTimer'> & { nowMs(): number },
    random: Random,
    sink: FrameSink,
    conditions?: LinkConditions,
  ) {
    this.#timers = timers;
    this.#random = random;
    this.#sink = sink;
    this.#conditions = resolveConditions(conditions);
  }

  get up(): boolean {
    return this.#up;
  }

  get conditions(): ResolvedConditions {
    return this.#conditions;
  }

  setConditions(conditions: LinkConditions): void {
    this.#conditions = resolveConditions(conditions);
  }

  /** Cuts the channel: frames in flight and frames sent until `heal` are lost. */
  cut(): void {
    this.#up = false;
    this.#epoch++;
  }

  heal(): void {
    this.#up = true;
  }

  /** Takes a frame; the bytes are copied, so the caller may reuse its buffer. */
  transmit(frame: Uint8Array): void {
    const counters = this.counters;
    counters.sent++;
    if (!this.#up) {
      counters.cutDropped++;
      return;
    }
    const c = this.#conditions;
    const random = this.#random;
    // The draws happen in this order for every frame, whatever their outcome.
    const lost = random.float() < c.loss;
    const duplicated = random.float() < c.duplicate;
    const reordered = random.float() < c.reorder;
    const jitterMs = c.jitterMs > 0 ? random.float() * c.jitterMs : 0;
    if (lost) {
      counters.lost++;
      return;
    }
    const departMs = this.#serialise(frame.length);
    if (departMs === undefined) {
      counters.queueDropped++;
      return;
    }
    let arriveMs = departMs + c.latencyMs + jitterMs;
    if (reordered) {
      counters.reordered++;
      arriveMs += c.reorderDelayMs;
    }
    this.#schedule(arriveMs, frame);
    if (duplicated) {
      counters.duplicated++;
      this.#schedule(arriveMs, frame);
    }
  }

  /** When the frame's last bit leaves, or undefined when the queue is full. */
  #serialise(length: number): number | undefined {
    const nowMs = this.#timers.nowMs();
    const c = this.#conditions;
    if (c.bandwidthBitsPerSecond === Number.POSITIVE_INFINITY) return nowMs;
    const backlog = this.#backlog;
    while (backlog.length > 0 && backlog[0]! <= nowMs) backlog.shift();
    if (backlog.length >= c.queueFrames) return undefined;
    this.#busyUntilMs =
      Math.max(nowMs, this.#busyUntilMs) + ((length * 8) / c.bandwidthBitsPerSecond) * 1000;
    backlog.push(this.#busyUntilMs);
    return this.#busyUntilMs;
  }

  #schedule(arriveMs: number, frame: Uint8Array): void {
    const copy = frame.slice();
    if (this.#random.float() < this.#conditions.corrupt && copy.length > 0) {
      this.counters.corrupted++;
      const bit = this.#random.below(copy.length * 8);
      copy[bit >>> 3]! ^= 1 << (bit & 7);
    }
    const epoch = this.#epoch;
    this.#timers.setTimer(arriveMs, () => {
      if (!this.#up || epoch !== this.#epoch) {
        this.counters.cutDropped++;
        return;
      }
      this.counters.delivered++;
      this.#sink(copy);
    });
  }
}
