// One TCP data stream of a test. The receiving side reads and counts, nothing else; the sending
// side writes the same block again and again, awaiting each write (the Flow's backpressure), until
// the test stops or the budget is spent. Neither allocates per chunk.

import type { Clock } from '@oasis/core';
import type { Flow } from '@oasis/runtime';
import type { Pacer } from './pacer.ts';
import type { StreamReport } from './results.ts';
import type { SendBudget } from './send-budget.ts';
import type { Turns } from './turns.ts';

/** Shared by a test's senders: set once the client has ended the test. */
export interface SendSwitch {
  stopped: boolean;
}

export interface SendTiming {
  readonly pacer: Pacer;
  readonly turns: Turns;
}

export class TcpDataStream {
  readonly flow: Flow;
  readonly id: number;
  /** Whether the server sends on this stream (else it receives). */
  readonly sending: boolean;
  readonly #clock: Clock;
  /** Bytes received or sent since the stream was accepted. */
  bytes = 0;
  /** `bytes` when the omitted start of the test ended (-O). */
  omittedBytes = 0;
  /** When the receiver last got data. */
  lastDataMs = 0;
  /** Why the stream stopped early, if it did. */
  failure: unknown;
  #target = Number.POSITIVE_INFINITY;
  #reached: (() => void) | undefined;
  #ended = false;

  /** `early` is data that came with the cookie, already test data. */
  constructor(flow: Flow, id: number, sending: boolean, clock: Clock, early: Uint8Array) {
    this.flow = flow;
    this.id = id;
    this.sending = sending;
    this.#clock = clock;
    if (early.length > 0) {
      this.bytes = early.length;
      this.lastDataMs = clock.nowMs();
    }
  }

  /** The end of the omitted start (-O): later results count from here. */
  markOmitted(): void {
    this.omittedBytes = this.bytes;
  }

  /** Counts what arrives until the client closes the stream, it fails, or the server closes it. */
  async receive(): Promise<void> {
    try {
      for (
        let chunk = await this.flow.read();
        chunk !== undefined;
        chunk = await this.flow.read()
      ) {
        this.bytes += chunk.length;
        this.lastDataMs = this.#clock.nowMs();
        if (this.bytes >= this.#target) this.#reach();
      }
    } catch (error) {
      this.failure = error;
    } finally {
      this.#ended = true;
      this.#reach();
    }
  }

  /**
   * Resolves once `omittedBytes + bytes` have been received (what the client reports having sent
   * after the omitted start), or the stream ended.
   */
  whenReceived(bytes: number): Promise<void> {
    if (this.#ended || this.bytes - this.omittedBytes >= bytes) return Promise.resolve();
    this.#target = this.omittedBytes + bytes;
    return new Promise((resolve) => {
      this.#reached = resolve;
    });
  }

  #reach(): void {
    const reached = this.#reached;
    this.#reached = undefined;
    this.#target = Number.POSITIVE_INFINITY;
    reached?.();
  }

  /** Writes `block` until `control.stopped`, the budget is spent, or the flow fails. */
  async send(
    block: Uint8Array,
    budget: SendBudget,
    timing: SendTiming,
    control: SendSwitch,
  ): Promise<void> {
    const { pacer, turns } = timing;
    try {
      while (!control.stopped) {
        const size = budget.claim(block.length, true);
        if (size === 0) break;
        await this.flow.write(size === block.length ? block : block.subarray(0, size));
        this.bytes += size;
        if (pacer.limited) await pacer.wait(this.bytes);
        else await turns.take();
      }
    } catch (error) {
      this.failure = error;
    }
  }

  report(startMs: number, endMs: number): StreamReport {
    const end = this.sending ? endMs : Math.max(endMs, this.lastDataMs);
    return {
      id: this.id,
      bytes: this.bytes - this.omittedBytes,
      retransmits: -1,
      jitterS: 0,
      errors: 0,
      packets: 0,
      startS: 0,
      endS: Math.max(0, end - startMs) / 1000,
    };
  }
}
