import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isOasisError, ManualClock, OasisError } from '@oasis/core';
import { type AttemptOutcome, runAttempt, type SettleAttempt } from '../../src/client/attempt.ts';
import { RecordClass, RecordType } from '../../src/wire/constants.ts';
import { makeQuery } from '../../src/wire/message.ts';
import { DnsName } from '../../src/wire/name.ts';

const message = {
  ...makeQuery(1, { name: DnsName.of('a.test.'), type: RecordType.A, class: RecordClass.IN }),
  qr: true,
};

function limits(clock: ManualClock, signal?: AbortSignal, closed = new AbortController().signal) {
  return { sleep: clock, deadlineMs: clock.nowMs() + 1500, signal, closed };
}

describe('runAttempt', () => {
  it('resolves with what the transport settles, once, and cancels its timer', async () => {
    const clock = new ManualClock();
    let settle: SettleAttempt | undefined;
    const attempt = runAttempt(limits(clock), (callback) => {
      settle = callback;
    });
    clock.advance(100);
    settle!({ kind: 'answer', message });
    settle!({ kind: 'failed', error: new OasisError('EIO', 'late') });
    assert.deepEqual(await attempt, { kind: 'answer', message });
    assert.equal(clock.pendingTimers, 0);
  });

  it('accepts an outcome settled while starting', async () => {
    const clock = new ManualClock();
    const outcome = await runAttempt(limits(clock), (settle) =>
      settle({ kind: 'answer', message }),
    );
    assert.equal(outcome.kind, 'answer');
    assert.equal(clock.pendingTimers, 0);
  });

  it('times out at the deadline, not before', async () => {
    const clock = new ManualClock();
    const seen: AttemptOutcome[] = [];
    void runAttempt(limits(clock), () => {}).then((value) => seen.push(value));
    clock.advance(1499);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(seen.length, 0);
    clock.advance(1);
    await new Promise((resolve) => setImmediate(resolve));
    const [outcome] = seen;
    assert.ok(outcome?.kind === 'failed' && isOasisError(outcome.error, 'ETIMEDOUT'));
  });

  it('rejects EABORTED when the signal aborts, ECLOSED when the client closes', async () => {
    const clock = new ManualClock();
    const abort = new AbortController();
    const aborted = runAttempt(limits(clock, abort.signal), () => {});
    abort.abort();
    await assert.rejects(aborted, (error) => isOasisError(error, 'EABORTED'));
    const close = new AbortController();
    const closed = runAttempt(limits(clock, undefined, close.signal), () => {});
    close.abort();
    await assert.rejects(closed, (error) => isOasisError(error, 'ECLOSED'));
    assert.equal(clock.pendingTimers, 0);
  });

  it('does not start when the signal or the client is already done', async () => {
    const clock = new ManualClock();
    let started = 0;
    const start = (): void => {
      started += 1;
    };
    await assert.rejects(runAttempt(limits(clock, AbortSignal.abort()), start), (error) =>
      isOasisError(error, 'EABORTED'),
    );
    await assert.rejects(
      runAttempt(limits(clock, undefined, AbortSignal.abort()), start),
      (error) => isOasisError(error, 'ECLOSED'),
    );
    assert.equal(started, 0);
  });

  it('rejects with what a faulty transport throws, and cleans up', async () => {
    const clock = new ManualClock();
    await assert.rejects(
      runAttempt(limits(clock), () => {
        throw new Error('bug');
      }),
      /bug/,
    );
    assert.equal(clock.pendingTimers, 0);
  });
});
