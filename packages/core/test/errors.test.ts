// Errors with stable codes, so callers branch on `code` rather than on messages.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AbortError,
  ClosedError,
  ERROR_CODES,
  isOasisError,
  OasisError,
  TimeoutError,
} from '../src/errors.ts';

describe('OasisError', () => {
  it('carries its code, message, cause and name', () => {
    const cause = new Error('EHOSTUNREACH from the host');
    const error = new OasisError('EHOSTUNREACH', 'no route to 192.0.2.1', { cause });
    assert.ok(error instanceof Error);
    assert.equal(error.code, 'EHOSTUNREACH');
    assert.equal(error.message, 'no route to 192.0.2.1');
    assert.equal(error.cause, cause);
    assert.equal(error.name, 'OasisError');
    assert.equal(String(error), 'OasisError: no route to 192.0.2.1');
  });

  it('subclasses set their code and name and stay OasisErrors', () => {
    const cases = [
      [
        new TimeoutError('no answer in 3000 ms'),
        'ETIMEDOUT',
        'TimeoutError',
        'no answer in 3000 ms',
      ],
      [new AbortError(), 'EABORTED', 'AbortError', 'the operation was aborted'],
      [new ClosedError('socket'), 'ECLOSED', 'ClosedError', 'socket is closed'],
    ] as const;
    for (const [error, code, name, message] of cases) {
      assert.ok(error instanceof OasisError, name);
      assert.equal(error.code, code);
      assert.equal(error.name, name);
      assert.equal(error.message, message);
      assert.ok(error.stack?.startsWith(`${name}: ${message}`), error.stack);
    }
    const cause = new Error('inner');
    assert.equal(new AbortError('stopped', { cause }).cause, cause);
    assert.equal(new TimeoutError('late', { cause }).cause, cause);
  });

  it('isOasisError checks the class and, if given, the code', () => {
    const error = new TimeoutError('late');
    assert.ok(isOasisError(error));
    assert.ok(isOasisError(error, 'ETIMEDOUT'));
    assert.ok(!isOasisError(error, 'EABORTED'));
    assert.ok(!isOasisError(Object.assign(new Error('look-alike'), { code: 'ETIMEDOUT' })));
    assert.ok(!isOasisError({ code: 'ETIMEDOUT' }, 'ETIMEDOUT'));
    assert.ok(!isOasisError(undefined));
  });

  it('codes are distinct errno-style names', () => {
    assert.equal(new Set(ERROR_CODES).size, ERROR_CODES.length);
    for (const code of ERROR_CODES) assert.match(code, /^E[A-Z]+$/);
  });
});
