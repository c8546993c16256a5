import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex, sumWords } from '@oasis/core';
import fc from 'fast-check';
import { ipv4PseudoHeaderSum } from '../src/pseudo-header.ts';

const UDP = 17; // IANA protocol number

describe('IPv4 pseudo-header', () => {
  it('sums the pseudo-header of a datagram from 192.168.1.10 to 192.168.1.1', () => {
    // c0a8 + 010a + c0a8 + 0101 + 0011 + 0025 = 0x18391, folded: 0x8391 + 1.
    assert.equal(ipv4PseudoHeaderSum(0xc0a8010a, 0xc0a80101, UDP, 37), 0x8392);
  });

  it('equals the sum of the 12 pseudo-header bytes (RFC 768)', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 0xffff_ffff }),
        fc.nat({ max: 0xffff_ffff }),
        fc.nat({ max: 0xff }),
        fc.nat({ max: 0xffff }),
        (source, destination, protocol, length) => {
          const bytes = new Uint8Array(12);
          const view = new DataView(bytes.buffer);
          view.setUint32(0, source);
          view.setUint32(4, destination);
          view.setUint8(9, protocol); // byte 8 is zero
          view.setUint16(10, length);
          assert.equal(ipv4PseudoHeaderSum(source, destination, protocol, length), sumWords(bytes));
        },
      ),
      { numRuns: 200 },
    );
    assert.equal(
      ipv4PseudoHeaderSum(0xffffffff, 0xffffffff, 0xff, 0xffff),
      sumWords(fromHex('ffffffff ffffffff 00ff ffff')),
    );
  });

  it('throws RangeError for a protocol or length out of range', () => {
    assert.throws(() => ipv4PseudoHeaderSum(0, 0, 256, 8), RangeError);
    assert.throws(() => ipv4PseudoHeaderSum(0, 0, UDP, 0x10000), RangeError);
    assert.throws(() => ipv4PseudoHeaderSum(0, 0, UDP, -1), RangeError);
  });
});
