import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '@oasis/core';
import { runVirtualTime, settleInVirtualTime } from '../src/virtual-time.ts';

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('runVirtualTime', () => {
  it('lets promise callbacks run between timers, so a chain of sleeps completes', async () => {
    const clock = new ManualClock();
    const seen: number[] = [];
    // Each sleep is set only after the previous one's promise callback ran: a driver that fired
    // timers without settling would find no second timer and jump to the end.
    const chain = (async () => {
      for (let i = 0; i < 3; i++) {
        await clock.sleep(100);
        seen.push(clock.nowMs());
      }
    })();
    await runVirtualTime(clock, { untilMs: 1000, settle });
    await chain;
    assert.deepEqual(seen, [100, 200, 300]);
    assert.equal(clock.nowMs(), 1000);
  });

  it('stops at the current virtual time once done() is true', async () => {
    const clock = new ManualClock();
    let finished = false;
    void clock.sleep(250).then(() => {
      finished = true;
    });
    clock.setTimer(900, () => assert.fail('the run should have stopped before 900 ms'));
    await runVirtualTime(clock, { untilMs: 1000, settle, done: () => finished });
    assert.equal(clock.nowMs(), 250);
    assert.equal(clock.nextDeadlineMs(), 900);
  });

  it('settles before looking at timers, so work started by a promise callback counts', async () => {
    const clock = new ManualClock();
    let fired = false;
    void Promise.resolve().then(() => clock.setTimer(10, () => (fired = true)));
    await runVirtualTime(clock, { untilMs: 20, settle });
    assert.ok(fired);
  });

  it('leaves timers past untilMs pending and reads exactly untilMs', async () => {
    const clock = new ManualClock({ startMs: 5 });
    let fired = 0;
    clock.setTimer(40, () => fired++);
    clock.setTimer(60, () => fired++);
    await runVirtualTime(clock, { untilMs: 50, settle });
    assert.equal(fired, 1);
    assert.equal(clock.nowMs(), 50);
    assert.equal(clock.nextDeadlineMs(), 60);
  });

  it('returns at once when done() is already true', async () => {
    const clock = new ManualClock();
    clock.setTimer(1, () => assert.fail('no timer should fire'));
    await runVirtualTime(clock, { untilMs: 10, settle, done: () => true });
    assert.equal(clock.nowMs(), 0);
  });

  it('refuses to move a clock backwards', async () => {
    const clock = new ManualClock({ startMs: 100 });
    await assert.rejects(runVirtualTime(clock, { untilMs: 50, settle }), RangeError);
  });
});

describe('settleInVirtualTime', () => {
  it('runs timers until the promise settles and says that it did', async () => {
    const clock = new ManualClock();
    clock.setTimer(500, () => assert.fail('the run should have stopped at 200 ms'));
    const rejected = clock.sleep(200).then(() => Promise.reject(new Error('late failure')));
    assert.equal(await settleInVirtualTime(clock, rejected, { untilMs: 1000, settle }), true);
    assert.equal(clock.nowMs(), 200);
    await assert.rejects(rejected, /late failure/);
  });

  it('says false when untilMs comes first', async () => {
    const clock = new ManualClock();
    const late = clock.sleep(2000);
    assert.equal(await settleInVirtualTime(clock, late, { untilMs: 1000, settle }), false);
    assert.equal(clock.nowMs(), 1000);
  });
});
