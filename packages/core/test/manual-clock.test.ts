// ManualClock: virtual time that moves only when told to, firing timers in (deadline, set order).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isOasisError } from '../src/errors.ts';
import { ManualClock } from '../src/manual-clock.ts';

/** Lets pending promise reactions run: one turn of the event loop, no wall-clock wait. */
function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

describe('ManualClock timers', () => {
  it('fire in deadline order, ties in the order they were set, reading their own deadline', () => {
    const clock = new ManualClock();
    const fired: string[] = [];
    const at = (deadlineMs: number, name: string) =>
      clock.setTimer(deadlineMs, () => fired.push(`${name}@${clock.nowMs()}`));
    at(30, 'c');
    at(10, 'a1');
    at(20, 'b');
    at(10, 'a2');
    at(31, 'late');
    assert.equal(clock.pendingTimers, 5);
    clock.advance(30);
    assert.deepEqual(fired, ['a1@10', 'a2@10', 'b@20', 'c@30']);
    assert.equal(clock.nowMs(), 30);
    assert.equal(clock.pendingTimers, 1);
    assert.equal(clock.nextDeadlineMs(), 31);
  });

  it('fire timers set by callbacks in the same advance when they fall inside it', () => {
    const clock = new ManualClock();
    const fired: string[] = [];
    const log = (name: string) => () => fired.push(`${name}@${clock.nowMs()}`);
    clock.setTimer(10, () => {
      log('first')();
      clock.setTimer(15, log('inside'));
      clock.setTimer(5, log('past')); // already due: fires at once, at the current time
      clock.setTimer(25, log('outside'));
    });
    clock.advance(20);
    assert.deepEqual(fired, ['first@10', 'past@10', 'inside@15']);
    assert.equal(clock.nowMs(), 20);
    assert.equal(clock.nextDeadlineMs(), 25);
  });

  it('fire a timer whose deadline has passed at the current time, never moving time back', () => {
    const clock = new ManualClock({ startMs: 100 });
    let readMs: number | undefined;
    clock.setTimer(40, () => {
      readMs = clock.nowMs();
    });
    assert.equal(clock.nextDeadlineMs(), 100);
    clock.advance(0);
    assert.equal(readMs, 100);
  });

  it('cancel: a cancelled timer never fires; cancelling again or after firing is harmless', () => {
    const clock = new ManualClock();
    const fired: string[] = [];
    const a = clock.setTimer(10, () => fired.push('a'));
    const b = clock.setTimer(20, () => fired.push('b'));
    clock.setTimer(30, () => fired.push('c'));
    a.cancel();
    a.cancel();
    assert.equal(clock.pendingTimers, 2);
    assert.equal(clock.nextDeadlineMs(), 20);
    clock.advance(20);
    b.cancel();
    assert.equal(clock.pendingTimers, 1);
    clock.advance(100);
    assert.deepEqual(fired, ['b', 'c']);
    assert.equal(clock.pendingTimers, 0);
    assert.equal(clock.nextDeadlineMs(), undefined);
  });

  it('match a sorted schedule for any mix of deadlines, cancels and advance steps', () => {
    const timerArb = fc.record({
      deadlineMs: fc.integer({ min: 0, max: 1000 }),
      cancel: fc.boolean(),
    });
    fc.assert(
      fc.property(
        fc.array(timerArb, { maxLength: 60 }),
        fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 10 }),
        (timers, steps) => {
          const clock = new ManualClock();
          const fired: number[] = [];
          const handles = timers.map(({ deadlineMs }, index) =>
            clock.setTimer(deadlineMs, () => {
              assert.equal(clock.nowMs(), deadlineMs);
              fired.push(index);
            }),
          );
          timers.forEach(({ cancel }, index) => {
            if (cancel) handles[index]!.cancel();
          });
          for (const step of steps) clock.advance(step);
          const horizonMs = clock.nowMs();
          const expected = timers
            .map((timer, index) => ({ ...timer, index }))
            .filter(({ cancel, deadlineMs }) => !cancel && deadlineMs <= horizonMs)
            .sort((x, y) => x.deadlineMs - y.deadlineMs || x.index - y.index)
            .map(({ index }) => index);
          assert.deepEqual(fired, expected);
          const live = timers.filter(({ cancel }) => !cancel).length;
          assert.equal(clock.pendingTimers, live - fired.length);
        },
      ),
    );
  });

  it('stay right through heap compaction: 5000 set, 4990 cancelled, 10 fire in order', () => {
    const clock = new ManualClock();
    const fired: number[] = [];
    // Deadlines scattered over 0..4999 (7919 is prime, so i -> 7919 i mod 5000 is a permutation).
    const deadlineOf = (i: number) => ((i * 7919) % 5000) + 1;
    const survivors = new Set([3, 250, 999, 1000, 2048, 3001, 4095, 4500, 4998, 4999]);
    const handles = Array.from({ length: 5000 }, (_, i) =>
      clock.setTimer(deadlineOf(i), () => fired.push(i)),
    );
    handles.forEach((handle, i) => {
      if (!survivors.has(i)) handle.cancel();
    });
    assert.equal(clock.pendingTimers, 10);
    const expected = [...survivors].sort((x, y) => deadlineOf(x) - deadlineOf(y));
    assert.equal(clock.nextDeadlineMs(), deadlineOf(expected[0]!));
    clock.advance(5000);
    assert.deepEqual(fired, expected);
    assert.equal(clock.pendingTimers, 0);
  });

  it('stay right through many re-arm cycles (a retransmission timer reset on every ACK)', () => {
    const clock = new ManualClock();
    let fired = 0;
    let timer = clock.setTimer(200, () => fired++);
    for (let i = 0; i < 100_000; i++) {
      timer.cancel();
      timer = clock.setTimer(clock.nowMs() + 200, () => fired++);
      if (i % 1000 === 0) clock.advance(1);
    }
    assert.equal(clock.pendingTimers, 1);
    assert.equal(fired, 0);
    clock.runUntilIdle();
    assert.equal(fired, 1);
  });
});

describe('ManualClock stepping', () => {
  it('runNext fires the earliest timer and moves time to its deadline', () => {
    const clock = new ManualClock();
    assert.equal(clock.runNext(), false);
    const fired: number[] = [];
    clock.setTimer(50, () => fired.push(50));
    clock.setTimer(20, () => fired.push(20));
    assert.equal(clock.runNext(), true);
    assert.deepEqual(fired, [20]);
    assert.equal(clock.nowMs(), 20);
    assert.equal(clock.pendingTimers, 1);
    assert.equal(clock.nextDeadlineMs(), 50);
  });

  it('runUntilIdle fires everything, including timers set on the way', () => {
    const clock = new ManualClock();
    let fired = 0;
    clock.setTimer(10, () => {
      fired++;
      clock.setTimer(1000, () => fired++);
    });
    clock.setTimer(5, () => fired++);
    clock.runUntilIdle();
    assert.equal(fired, 3);
    assert.equal(clock.nowMs(), 1000);
    assert.equal(clock.pendingTimers, 0);
  });

  it('runUntilIdle throws RangeError for a timer that re-arms itself forever', () => {
    const clock = new ManualClock();
    let fired = 0;
    const rearm = (): void => {
      fired++;
      clock.setTimer(clock.nowMs() + 1, rearm);
    };
    clock.setTimer(0, rearm);
    assert.throws(() => clock.runUntilIdle(100), RangeError);
    assert.equal(fired, 100);
  });

  it('runUntilIdle(n) completes with exactly n timers and throws, having fired n, with n + 1', () => {
    const exact = new ManualClock();
    for (let i = 0; i < 3; i++) exact.setTimer(i, () => {});
    exact.runUntilIdle(3);
    assert.equal(exact.pendingTimers, 0);
    const over = new ManualClock();
    for (let i = 0; i < 4; i++) over.setTimer(i, () => {});
    assert.throws(() => over.runUntilIdle(3), RangeError);
    assert.equal(over.pendingTimers, 1);
  });

  it('refuses to move time back or by a non-number, and a NaN deadline', () => {
    const clock = new ManualClock({ startMs: 10 });
    assert.throws(() => clock.advance(-1), RangeError);
    assert.throws(() => clock.advance(Number.NaN), RangeError);
    assert.throws(() => clock.advanceTo(9), RangeError);
    assert.throws(() => clock.advanceTo(Number.NaN), RangeError);
    assert.throws(() => clock.setTimer(Number.NaN, () => {}), RangeError);
    assert.equal(clock.nowMs(), 10);
    clock.advanceTo(10);
    assert.equal(clock.nowMs(), 10);
  });

  it('wallMs follows wallStartMs and moves with the monotonic clock', () => {
    const epoch = new ManualClock();
    assert.equal(epoch.nowMs(), 0);
    assert.equal(epoch.wallMs(), 0);
    const clock = new ManualClock({ startMs: 100, wallStartMs: 1_767_225_600_000 });
    assert.equal(clock.nowMs(), 100);
    assert.equal(clock.wallMs(), 1_767_225_600_000);
    clock.advance(250);
    assert.equal(clock.nowMs(), 350);
    assert.equal(clock.wallMs(), 1_767_225_600_250);
  });
});

describe('ManualClock sleep', () => {
  it('resolves once time has advanced by its duration', async () => {
    const clock = new ManualClock();
    let resolved = false;
    const sleeping = clock.sleep(50).then(() => {
      resolved = true;
    });
    clock.advance(49);
    await turn();
    assert.equal(resolved, false);
    clock.advance(1);
    await sleeping;
    assert.equal(resolved, true);
    assert.equal(clock.pendingTimers, 0);
  });

  it('rejects with EABORTED when its signal aborts, and cancels its timer', async () => {
    const clock = new ManualClock();
    const controller = new AbortController();
    const sleeping = clock.sleep(50, controller.signal);
    assert.equal(clock.pendingTimers, 1);
    controller.abort();
    await assert.rejects(sleeping, (error) => isOasisError(error, 'EABORTED'));
    assert.equal(clock.pendingTimers, 0);
  });

  it('rejects at once with EABORTED for a signal that has already aborted', async () => {
    const clock = new ManualClock();
    await assert.rejects(clock.sleep(50, AbortSignal.abort()), (error) =>
      isOasisError(error, 'EABORTED'),
    );
    assert.equal(clock.pendingTimers, 0);
  });
});
