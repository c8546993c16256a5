import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { DeadlineQueue, type Scheduled } from '../../src/tcp/deadline-queue.ts';

class Item implements Scheduled {
  queuedAt = Number.POSITIVE_INFINITY;
  readonly name: number;
  at: number;
  constructor(name: number, at: number) {
    this.name = name;
    this.at = at;
  }
  pollAt(): number {
    return this.at;
  }
}

describe('DeadlineQueue', () => {
  it('runs items in deadline order and only when due', () => {
    const queue = new DeadlineQueue<Item>();
    const items = [new Item(0, 30), new Item(1, 10), new Item(2, 20), new Item(3, Infinity)];
    for (const item of items) queue.schedule(item);
    assert.equal(queue.nextAt, 10);
    const ran: number[] = [];
    queue.runDue(20, (item) => {
      ran.push(item.name);
      item.at = Number.POSITIVE_INFINITY;
    });
    assert.deepEqual(ran, [1, 2]);
    assert.equal(queue.nextAt, 30);
  });

  it('wakes early for a deadline moved later, then queues the new one', () => {
    const queue = new DeadlineQueue<Item>();
    const item = new Item(0, 10);
    queue.schedule(item);
    item.at = 50; // moved later: no new entry
    queue.schedule(item);
    assert.equal(queue.nextAt, 10);
    let ran = 0;
    queue.runDue(10, () => ran++);
    assert.equal(ran, 0);
    assert.equal(queue.nextAt, 50);
    queue.runDue(50, () => ran++);
    assert.equal(ran, 1);
  });

  it('agrees with a scan of every item (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            item: fc.nat({ max: 19 }),
            at: fc.option(fc.nat({ max: 1000 })),
            now: fc.nat({ max: 50 }),
          }),
          { maxLength: 200 },
        ),
        (steps) => {
          const queue = new DeadlineQueue<Item>();
          const items = Array.from({ length: 20 }, (_, i) => new Item(i, Number.POSITIVE_INFINITY));
          let nowMs = 0;
          for (const step of steps) {
            const item = items[step.item]!;
            item.at = step.at === null ? Number.POSITIVE_INFINITY : nowMs + step.at;
            queue.schedule(item);
            nowMs += step.now;
            const expected = items.filter((candidate) => candidate.at <= nowMs).map((c) => c.name);
            const ran: number[] = [];
            queue.runDue(nowMs, (due) => {
              ran.push(due.name);
              due.at = Number.POSITIVE_INFINITY;
            });
            assert.deepEqual(
              ran.sort((a, b) => a - b),
              expected.sort((a, b) => a - b),
            );
            const earliest = Math.min(...items.map((candidate) => candidate.at));
            assert.ok(queue.nextAt <= earliest);
          }
        },
      ),
      { seed: 42, numRuns: 200 },
    );
  });
});
