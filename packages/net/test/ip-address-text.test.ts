import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isOasisError } from '@oasis/core';
import { parseIpv4Text } from '../src/ip-address-text.ts';

describe('parseIpv4Text', () => {
  it('parses dotted quads', () => {
    assert.equal(parseIpv4Text('10.0.0.2'), 0x0a000002);
    assert.equal(parseIpv4Text('255.255.255.255'), 0xffffffff);
  });

  it('refuses malformed text with EINVAL and IPv6 with ENOTSUP', () => {
    assert.throws(
      () => parseIpv4Text('10.0.0'),
      (e) => isOasisError(e, 'EINVAL'),
    );
    assert.throws(
      () => parseIpv4Text('example.org'),
      (e) => isOasisError(e, 'EINVAL'),
    );
    assert.throws(
      () => parseIpv4Text('fe80::1'),
      (e) => isOasisError(e, 'ENOTSUP'),
    );
  });
});
