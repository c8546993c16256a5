// A simulated cable between two link ends (NICs or switch ports): a channel each way, with its
// own conditions, and cuts and heals to partition the network, now or at a given time.

import type { Random, Sleep, Timer } from '@oasis/core';
import { Channel, type FrameSink } from './channel.ts';
import type { LinkConditions } from './link-conditions.ts';

/** Something a link plugs into: given the channel it transmits on, it returns where frames for it go. */
export interface LinkEnd {
  readonly name: string;
  plug(outgoing: Channel): FrameSink;
}

export interface LinkOptions {
  /** Conditions of both directions (default: a perfect link). */
  readonly conditions?: LinkConditions;
  /** Conditions from b to a, when they differ from `conditions`. */
  readonly reverseConditions?: LinkConditions;
}

type Timers = Pick<Sleep, 'setTimer'> & { nowMs(): number };

export class Link {
  readonly a: LinkEnd;
  readonly b: LinkEnd;
  /** Frames from a to b, and from b to a. */
  readonly aToB: Channel;
  readonly bToA: Channel;
  readonly #timers: Timers;
  readonly #scheduled = new Set<Timer>();

  constructor(
    timers: Timers,
    random: { aToB: Random; bToA: Random },
    a: LinkEnd,
    b: LinkEnd,
    options: LinkOptions = {},
  ) {
    this.a = a;
    this.b = b;
    this.#timers = timers;
    let toB: FrameSink | undefined;
    let toA: FrameSink | undefined;
    this.aToB = new Channel(timers, random.aToB, (frame) => toB?.(frame), options.conditions);
    this.bToA = new Channel(
      timers,
      random.bToA,
      (frame) => toA?.(frame),
      options.reverseConditions ?? options.conditions,
    );
    toA = a.plug(this.aToB);
    toB = b.plug(this.bToA);
  }

  get name(): string {
    return `${this.a.name}<->${this.b.name}`;
  }

  get up(): boolean {
    return this.aToB.up && this.bToA.up;
  }

  /** Cuts both directions now: frames in flight are lost. */
  cut(): void {
    this.aToB.cut();
    this.bToA.cut();
  }

  heal(): void {
    this.aToB.heal();
    this.bToA.heal();
  }

  /** Cuts the link at `cutAtMs` and heals it at `healAtMs` (omit to leave it cut), on the clock. */
  partition(cutAtMs: number, healAtMs?: number): void {
    if (healAtMs !== undefined && !(healAtMs >= cutAtMs)) {
      throw new RangeError(
        `a partition must heal (${healAtMs} ms) after it starts (${cutAtMs} ms)`,
      );
    }
    this.#at(cutAtMs, () => this.cut());
    if (healAtMs !== undefined) this.#at(healAtMs, () => this.heal());
  }

  /** Sets both directions' conditions, or one direction's with `reverse`. */
  setConditions(conditions: LinkConditions, reverse: LinkConditions = conditions): void {
    this.aToB.setConditions(conditions);
    this.bToA.setConditions(reverse);
  }

  /** Cancels scheduled cuts and heals, so a finished simulation leaves no timer behind. */
  cancelScheduled(): void {
    for (const timer of this.#scheduled) timer.cancel();
    this.#scheduled.clear();
  }

  #at(timeMs: number, action: () => void): void {
    const timer = this.#timers.setTimer(timeMs, () => {
      this.#scheduled.delete(timer);
      action();
    });
    this.#scheduled.add(timer);
  }
}
