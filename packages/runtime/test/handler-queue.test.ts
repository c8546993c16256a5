import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HandlerQueue } from '../src/handler-queue.ts';

describe('HandlerQueue', () => {
  it('keeps arrivals for the first handler, in order, up to its limit', () => {
    const queue = new HandlerQueue<number>(2);
    assert.equal(queue.offer(1), true);
    assert.equal(queue.offer(2), true);
    assert.equal(queue.full, true);
    assert.equal(queue.offer(3), false, 'tail drop: the newcomer is refused');
    const seen: number[] = [];
    queue.setHandler((item) => seen.push(item));
    assert.deepEqual(seen, [1, 2]);
    assert.equal(queue.full, false);
    assert.equal(queue.offer(4), true);
    assert.deepEqual(seen, [1, 2, 4]);
  });

  it('hands arrivals to a replacing handler only', () => {
    const queue = new HandlerQueue<string>(1);
    const first: string[] = [];
    const second: string[] = [];
    queue.setHandler((item) => first.push(item));
    queue.setHandler((item) => second.push(item));
    queue.offer('a');
    assert.deepEqual([first, second], [[], ['a']]);
  });

  it('returns what waited when cleared, and queues again afterwards', () => {
    const queue = new HandlerQueue<string>(4);
    queue.offer('a');
    queue.offer('b');
    assert.deepEqual(queue.clear(), ['a', 'b']);
    assert.deepEqual(queue.clear(), []);
    queue.offer('c');
    const seen: string[] = [];
    queue.setHandler((item) => seen.push(item));
    assert.deepEqual(seen, ['c']);
  });

  it('with a limit of 0 refuses everything until there is a handler', () => {
    const queue = new HandlerQueue<number>(0);
    assert.equal(queue.offer(1), false);
    assert.throws(() => new HandlerQueue(-1), RangeError);
  });
});
