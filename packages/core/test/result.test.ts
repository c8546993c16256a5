// Result: the value parsers return instead of throwing on bad input.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { err, ok, type Result, unwrap } from '../src/result.ts';

function parseDigit(text: string): Result<number, 'empty' | 'not-a-digit'> {
  if (text === '') return err('empty');
  return /^[0-9]$/.test(text) ? ok(Number(text)) : err('not-a-digit');
}

describe('Result', () => {
  it('ok and err build the two discriminated shapes', () => {
    assert.deepEqual(ok(5), { ok: true, value: 5 });
    assert.deepEqual(err('short'), { ok: false, error: 'short' });
    const parsed = parseDigit('x');
    assert.equal(parsed.ok ? 'value' : parsed.error, 'not-a-digit');
  });

  it('unwrap returns the value of an Ok', () => {
    assert.equal(unwrap(parseDigit('7')), 7);
    assert.equal(unwrap(ok(undefined)), undefined);
  });

  it('unwrap throws the error of an Err when it is an Error', () => {
    const error = new TypeError('bad');
    assert.throws(
      () => unwrap(err(error)),
      (thrown) => thrown === error,
    );
  });

  it('unwrap wraps any other error in an Error that describes it', () => {
    assert.throws(() => unwrap(parseDigit('')), { message: 'unwrap of an Err: empty' });
    assert.throws(() => unwrap(err({ reason: 'truncated', at: 3 })), {
      message: 'unwrap of an Err: {"reason":"truncated","at":3}',
    });
    assert.throws(() => unwrap(err(null)), { message: 'unwrap of an Err: null' });
  });
});
