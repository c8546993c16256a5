// Virtual time. A ManualClock stands still until the test or simulator advances it; advancing
// fires every timer that falls due, one at a time, in deadline order (ties in the order they were
// set), with the clock reading each timer's own deadline while its callback runs. Nothing here
// touches real time, so a run is reproducible and a simulated minute takes microseconds.

import { type Clock, type Sleep, sleepWith, type Timer } from './time.ts';

interface Entry {
  readonly deadlineMs: number;
  readonly seq: number;
  readonly callback: () => void;
  cancelled: boolean;
}

export interface ManualClockOptions {
  /** The monotonic reading at construction (default 0). */
  readonly startMs?: number;
  /** The wall-clock reading at construction, ms since the Unix epoch (default 0, i.e. 1970). */
  readonly wallStartMs?: number;
}

export class ManualClock implements Clock, Sleep {
  #nowMs: number;
  readonly #wallOffsetMs: number;
  #seq = 0;
  #live = 0;
  readonly #heap: Entry[] = [];

  constructor(options: ManualClockOptions = {}) {
    this.#nowMs = options.startMs ?? 0;
    this.#wallOffsetMs = (options.wallStartMs ?? 0) - this.#nowMs;
  }

  nowMs(): number {
    return this.#nowMs;
  }

  wallMs(): number {
    return this.#nowMs + this.#wallOffsetMs;
  }

  /** Timers set and neither fired nor cancelled. */
  get pendingTimers(): number {
    return this.#live;
  }

  /** The earliest pending deadline, or undefined when no timer is pending. */
  nextDeadlineMs(): number | undefined {
    this.#dropCancelled();
    return this.#heap[0]?.deadlineMs;
  }

  setTimer(deadlineMs: number, callback: () => void): Timer {
    if (Number.isNaN(deadlineMs)) throw new RangeError('timer deadline is NaN');
    const entry: Entry = {
      deadlineMs: Math.max(deadlineMs, this.#nowMs),
      seq: this.#seq++,
      callback,
      cancelled: false,
    };
    this.#push(entry);
    this.#live++;
    return {
      cancel: () => {
        if (entry.cancelled) return;
        entry.cancelled = true;
        this.#live--;
        this.#compactIfMostlyCancelled();
      },
    };
  }

  sleep(durationMs: number, signal?: AbortSignal): Promise<void> {
    return sleepWith(this, this.#nowMs + durationMs, signal);
  }

  /** Moves time forward by `durationMs`, firing the timers that fall due. */
  advance(durationMs: number): void {
    if (!(durationMs >= 0)) throw new RangeError(`cannot advance a clock by ${durationMs} ms`);
    this.advanceTo(this.#nowMs + durationMs);
  }

  /** Moves time forward to `timeMs`, firing the timers that fall due, including ones they set. */
  advanceTo(timeMs: number): void {
    if (!(timeMs >= this.#nowMs))
      throw new RangeError(`cannot move a clock back from ${this.#nowMs} to ${timeMs} ms`);
    for (;;) {
      const next = this.nextDeadlineMs();
      if (next === undefined || next > timeMs) break;
      this.#fireNext();
    }
    this.#nowMs = timeMs;
  }

  /** Fires the earliest pending timer, moving time to its deadline. False when none is pending. */
  runNext(): boolean {
    if (this.nextDeadlineMs() === undefined) return false;
    this.#fireNext();
    return true;
  }

  /**
   * Fires timers until none is pending. Throws RangeError after `maxTimers` firings, which
   * catches a periodic timer that would otherwise run forever.
   */
  runUntilIdle(maxTimers = 1_000_000): void {
    for (let fired = 0; this.nextDeadlineMs() !== undefined; fired++) {
      if (fired >= maxTimers)
        throw new RangeError(
          `still busy after ${maxTimers} timers: a timer re-arms itself forever?`,
        );
      this.#fireNext();
    }
  }

  #fireNext(): void {
    const entry = this.#pop();
    entry.cancelled = true;
    this.#live--;
    this.#nowMs = entry.deadlineMs;
    entry.callback();
  }

  #dropCancelled(): void {
    while (this.#heap.length > 0 && this.#heap[0]!.cancelled) this.#pop();
  }

  // Cancelled entries stay in the heap until they reach the top; a protocol that re-arms a
  // retransmission timer on every ACK would otherwise grow the heap without bound.
  #compactIfMostlyCancelled(): void {
    const heap = this.#heap;
    if (heap.length < 1024 || heap.length < 2 * this.#live) return;
    const live = heap.filter((entry) => !entry.cancelled);
    heap.length = 0;
    for (const entry of live) this.#push(entry);
  }

  // A binary min-heap ordered by (deadline, seq).
  #before(a: Entry, b: Entry): boolean {
    return a.deadlineMs < b.deadlineMs || (a.deadlineMs === b.deadlineMs && a.seq < b.seq);
  }

  #push(entry: Entry): void {
    const heap = this.#heap;
    let i = heap.push(entry) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#before(entry, heap[parent]!)) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = entry;
  }

  #pop(): Entry {
    const heap = this.#heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= heap.length) break;
        const right = left + 1;
        const child = right < heap.length && this.#before(heap[right]!, heap[left]!) ? right : left;
        if (!this.#before(heap[child]!, last)) break;
        heap[i] = heap[child]!;
        i = child;
      }
      heap[i] = last;
    }
    return top;
  }
}
