// What paces a sender: the -n/-k budget shared by a test's streams, the -b rate kept on the
// Sleep device (here in virtual time), and the turns a busy sender gives the event loop.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '@oasis/core';
import { Pacer } from '../pacer.ts';
import { SendBudget } from '../send-budget.ts';
import { Turns } from '../turns.ts';

describe('SendBudget', () => {
  it('ends a byte budget exactly for TCP, with whole datagrams for UDP', () => {
    const tcp = new SendBudget(250, 0);
    assert.deepEqual(
      [tcp.claim(100, true), tcp.claim(100, true), tcp.claim(100, true)],
      [100, 100, 50],
    );
    assert.equal(tcp.claim(100, true), 0);
    const udp = new SendBudget(250, 0);
    assert.deepEqual(
      [udp.claim(100, false), udp.claim(100, false), udp.claim(100, false)],
      [100, 100, 100],
    );
    assert.equal(udp.claim(100, false), 0);
  });

  it('counts blocks with -k, and has no end without a limit', () => {
    const blocks = new SendBudget(0, 2);
    assert.deepEqual(
      [blocks.claim(10, true), blocks.claim(10, true), blocks.claim(10, true)],
      [10, 10, 0],
    );
    const endless = new SendBudget(0, 0);
    for (let i = 0; i < 1000; i++) assert.equal(endless.claim(1 << 20, true), 1 << 20);
  });
});

describe('Pacer', () => {
  it('waits until the bytes sent are due at the rate', async () => {
    const clock = new ManualClock();
    const pacer = new Pacer(clock, clock, 8_000_000); // 1000 bytes per millisecond
    pacer.start();
    let done = false;
    const waiting = pacer.wait(5000).then(() => {
      done = true;
    });
    clock.advance(4);
    await Promise.resolve();
    assert.equal(done, false);
    clock.advance(1);
    await waiting;
    assert.equal(clock.nowMs(), 5);
    // Behind schedule: no wait.
    await pacer.wait(1000);
  });

  it('never waits without a rate', async () => {
    const clock = new ManualClock();
    const pacer = new Pacer(clock, clock, 0);
    assert.equal(pacer.limited, false);
    await pacer.wait(1e12);
  });
});

describe('Turns', () => {
  it('yields only once the interval has passed', async () => {
    const clock = new ManualClock();
    const turns = new Turns(clock, clock, 5);
    await turns.take();
    clock.advance(5);
    let yielded = false;
    const turn = turns.take().then(() => {
      yielded = true;
    });
    await Promise.resolve();
    assert.equal(yielded, false);
    await turn;
    assert.equal(yielded, true);
  });
});
