import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex, toHex } from '@oasis/core';
import { frameMessage } from '../../src/wire/tcp-framing.ts';

describe('frameMessage', () => {
  it('puts the length before the message, in one buffer', () => {
    const query = fromHex(`
      0000 0100 0001 0000 0000 0000   # ID 0, RD, one question
      00 0001 0001                    # root, A, IN
    `);
    assert.equal(
      toHex(frameMessage(query)),
      toHex(fromHex('0011  0000 0100 0001 0000 0000 0000  00 0001 0001')),
    );
  });
});
