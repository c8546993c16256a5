import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock, SeededRandom } from '@oasis/core';
import { Channel } from '../src/channel.ts';
import type { LinkConditions } from '../src/link-conditions.ts';

function setup(conditions: LinkConditions, seed = 7) {
  const clock = new ManualClock();
  const arrivals: { atMs: number; frame: Uint8Array }[] = [];
  const channel = new Channel(
    clock,
    new SeededRandom(seed),
    (frame) => arrivals.push({ atMs: clock.nowMs(), frame }),
    conditions,
  );
  return { clock, arrivals, channel };
}

function frameNumbered(n: number, length = 100): Uint8Array {
  const frame = new Uint8Array(length);
  frame[0] = n >>> 8;
  frame[1] = n;
  return frame;
}

describe('Channel', () => {
  it('delivers after the latency, a copy of the bytes', () => {
    const { clock, arrivals, channel } = setup({ latencyMs: 10 });
    const frame = frameNumbered(1);
    channel.transmit(frame);
    frame[0] = 0xee; // the sender reuses its buffer at once
    clock.advance(9.999);
    assert.equal(arrivals.length, 0);
    clock.advance(0.001);
    assert.equal(arrivals.length, 1);
    assert.equal(arrivals[0]!.atMs, 10);
    assert.equal(arrivals[0]!.frame[0], 0);
    assert.equal(channel.counters.delivered, 1);
  });

  it('serialises frames at the bandwidth and tail-drops past the queue limit', () => {
    // 1,250 bytes at 1 Mbit/s take 10 ms each.
    const { clock, arrivals, channel } = setup({
      bandwidthBitsPerSecond: 1_000_000,
      queueFrames: 3,
      latencyMs: 1,
    });
    for (let i = 0; i < 5; i++) channel.transmit(frameNumbered(i, 1250));
    clock.runUntilIdle();
    assert.deepEqual(
      arrivals.map((a) => a.atMs),
      [11, 21, 31],
    );
    assert.equal(channel.counters.queueDropped, 2);
    // Once the queue drained, the link is idle again: a new frame starts at once.
    channel.transmit(frameNumbered(9, 1250));
    clock.runUntilIdle();
    assert.equal(arrivals.at(-1)!.atMs, 31 + 11);
  });

  it('loses about the configured share of frames', () => {
    const { clock, arrivals, channel } = setup({ loss: 0.25 });
    for (let i = 0; i < 4000; i++) channel.transmit(frameNumbered(i));
    clock.runUntilIdle();
    assert.equal(channel.counters.lost + arrivals.length, 4000);
    assert.ok(
      channel.counters.lost > 850 && channel.counters.lost < 1150,
      `lost ${channel.counters.lost}`,
    );
  });

  it('duplicates frames', () => {
    const { clock, arrivals, channel } = setup({ duplicate: 0.5 });
    for (let i = 0; i < 1000; i++) channel.transmit(frameNumbered(i));
    clock.runUntilIdle();
    assert.equal(arrivals.length, 1000 + channel.counters.duplicated);
    assert.ok(channel.counters.duplicated > 400 && channel.counters.duplicated < 600);
  });

  it('reorders: held-back frames are overtaken by later ones', () => {
    const { clock, arrivals, channel } = setup({ latencyMs: 5, reorder: 0.2, reorderDelayMs: 20 });
    for (let i = 0; i < 200; i++) {
      channel.transmit(frameNumbered(i));
      clock.advance(1);
    }
    clock.runUntilIdle();
    const order = arrivals.map((a) => (a.frame[0]! << 8) | a.frame[1]!);
    assert.equal(order.length, 200);
    assert.notDeepEqual(
      order,
      [...order].sort((x, y) => x - y),
    );
    assert.deepEqual(
      [...order].sort((x, y) => x - y),
      [...Array(200).keys()],
    );
    assert.ok(channel.counters.reordered > 20);
  });

  it('spreads arrivals over the jitter window', () => {
    const { clock, arrivals, channel } = setup({ latencyMs: 10, jitterMs: 4 });
    for (let i = 0; i < 100; i++) channel.transmit(frameNumbered(i));
    clock.runUntilIdle();
    for (const { atMs } of arrivals) assert.ok(atMs >= 10 && atMs < 14, `arrived at ${atMs}`);
    assert.ok(new Set(arrivals.map((a) => a.atMs)).size > 90);
  });

  it('corrupts by flipping exactly one bit', () => {
    const { clock, arrivals, channel } = setup({ corrupt: 1 });
    for (let i = 0; i < 50; i++) channel.transmit(new Uint8Array(64));
    clock.runUntilIdle();
    assert.equal(channel.counters.corrupted, 50);
    for (const { frame } of arrivals) {
      const bits = frame.reduce(
        (sum, byte) => sum + byte.toString(2).replaceAll('0', '').length,
        0,
      );
      assert.equal(bits, 1);
    }
  });

  it('loses frames in flight across a cut, even if the link heals before they arrive', () => {
    const { clock, arrivals, channel } = setup({ latencyMs: 10 });
    channel.transmit(frameNumbered(1));
    clock.advance(5);
    channel.cut();
    channel.transmit(frameNumbered(2));
    channel.heal();
    channel.transmit(frameNumbered(3));
    clock.runUntilIdle();
    assert.deepEqual(
      arrivals.map((a) => a.frame[1]),
      [3],
    );
    assert.equal(channel.counters.cutDropped, 2);
  });

  it('rejects conditions out of range', () => {
    assert.throws(() => setup({ loss: 1.5 }), /loss must be a probability/);
    assert.throws(() => setup({ latencyMs: -1 }), /latencyMs must be a finite duration/);
    assert.throws(() => setup({ bandwidthBitsPerSecond: 0 }), /bandwidthBitsPerSecond must be > 0/);
    assert.throws(() => setup({ queueFrames: 0 }), /queueFrames must be an integer/);
  });

  it('gives the same arrivals for the same seed and different ones for another', () => {
    const run = (seed: number) => {
      const { clock, arrivals, channel } = setup(
        { latencyMs: 3, jitterMs: 2, loss: 0.1, reorder: 0.1, duplicate: 0.1, corrupt: 0.1 },
        seed,
      );
      for (let i = 0; i < 300; i++) channel.transmit(frameNumbered(i));
      clock.runUntilIdle();
      return JSON.stringify(arrivals.map((a) => [a.atMs, Array.from(a.frame.subarray(0, 2))]));
    };
    assert.equal(run(1), run(1));
    assert.notEqual(run(1), run(2));
  });
});
