import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex, toHex } from '@oasis/core';
import { frameQuery } from '../../src/client/tcp-framing.ts';

describe('frameQuery', () => {
  it('puts the length before the message and the ID in its header', () => {
    const query = fromHex(`
      0000 0100 0001 0000 0000 0000   # ID 0, RD, one question
      00 0001 0001                    # root, A, IN
    `);
    assert.equal(
      toHex(frameQuery(query, 0xbeef)),
      toHex(fromHex('0011  beef 0100 0001 0000 0000 0000  00 0001 0001')),
    );
    assert.equal(query[0], 0, 'the query itself is left as it was');
  });
});
