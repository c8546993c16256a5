import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { type Clock, SystemSleep } from '../src/index.ts';

describe('SystemSleep.setTimer', () => {
  it('waits out deadlines beyond setTimeout’s 2^31 - 1 ms in steps', () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      let nowMs = 0;
      const clock: Clock = { nowMs: () => nowMs, wallMs: () => nowMs };
      const sleep = new SystemSleep(clock);
      let fired = 0;
      const step = 0x7fff_ffff;
      sleep.setTimer(3e9, () => fired++);
      const tick = (ms: number) => {
        nowMs += ms;
        mock.timers.tick(ms);
      };
      tick(1);
      assert.equal(fired, 0, 'not at once, as a bare setTimeout(3e9) would');
      tick(step - 1);
      assert.equal(fired, 0);
      tick(3e9 - step - 1);
      assert.equal(fired, 0);
      tick(1);
      assert.equal(fired, 1);
    } finally {
      mock.timers.reset();
    }
  });

  it('can be cancelled while it waits in steps', () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      let nowMs = 0;
      const sleep = new SystemSleep({ nowMs: () => nowMs, wallMs: () => nowMs });
      let fired = false;
      const timer = sleep.setTimer(3e9, () => {
        fired = true;
      });
      nowMs += 0x7fff_ffff;
      mock.timers.tick(0x7fff_ffff);
      timer.cancel();
      nowMs += 3e9;
      mock.timers.tick(3e9);
      assert.equal(fired, false);
    } finally {
      mock.timers.reset();
    }
  });
});
