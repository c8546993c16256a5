// Byte helpers: network-order reads and writes (checked against DataView), hex for fixtures.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  bytesEqual,
  concatBytes,
  fromHex,
  readU16BE,
  readU16LE,
  readU32BE,
  readU32LE,
  toHex,
  writeU16BE,
  writeU16LE,
  writeU32BE,
  writeU32LE,
} from '../src/bytes.ts';

const u16Arb = fc.integer({ min: 0, max: 0xffff });
// Biased towards the top half, where a signed 32-bit intermediate would turn negative.
const u32Arb = fc.oneof(
  fc.integer({ min: 0, max: 0xffff_ffff }),
  fc.integer({ min: 0x8000_0000, max: 0xffff_ffff }),
);

describe('16- and 32-bit reads and writes', () => {
  it('round-trip and agree with DataView at any offset, big- and little-endian', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 12 }), u16Arb, u32Arb, (offset, short, long) => {
        const bytes = new Uint8Array(offset + 4);
        const view = new DataView(bytes.buffer);
        for (const littleEndian of [false, true]) {
          const [write16, read16, write32, read32] = littleEndian
            ? [writeU16LE, readU16LE, writeU32LE, readU32LE]
            : [writeU16BE, readU16BE, writeU32BE, readU32BE];
          write16(bytes, offset, short);
          assert.equal(view.getUint16(offset, littleEndian), short);
          assert.equal(read16(bytes, offset), short);
          write32(bytes, offset, long);
          assert.equal(view.getUint32(offset, littleEndian), long);
          assert.equal(read32(bytes, offset), long);
        }
      }),
    );
  });

  it('lay bytes out in network order (RFC 1700) and read values >= 2^31 as unsigned', () => {
    const bytes = new Uint8Array(4);
    writeU32BE(bytes, 0, 0x0102_0304);
    assert.equal(toHex(bytes), '01020304');
    writeU32LE(bytes, 0, 0x0102_0304);
    assert.equal(toHex(bytes), '04030201');
    writeU16BE(bytes, 1, 0xabcd);
    assert.equal(toHex(bytes), '04abcd01');
    writeU16LE(bytes, 1, 0xabcd);
    assert.equal(toHex(bytes), '04cdab01');
    assert.equal(readU32BE(fromHex('ff ff ff ff'), 0), 0xffff_ffff);
    assert.equal(readU32BE(fromHex('80 00 00 00'), 0), 0x8000_0000);
    assert.equal(readU32LE(fromHex('00 00 00 80'), 0), 0x8000_0000);
    assert.equal(readU16BE(fromHex('ff fe'), 0), 0xfffe);
    assert.equal(readU16LE(fromHex('ff fe'), 0), 0xfeff);
  });

  it('read within a subarray view, relative to its start', () => {
    const view = fromHex('ee ee 12 34 56 78 ee').subarray(2, 6);
    assert.equal(readU32BE(view, 0), 0x1234_5678);
    assert.equal(readU16BE(view, 2), 0x5678);
  });
});

describe('hex', () => {
  it('toHex writes two lower-case digits a byte', () => {
    assert.equal(toHex(new Uint8Array([0, 1, 0x0a, 0xab, 0xff])), '00010aabff');
    assert.equal(toHex(new Uint8Array(0)), '');
  });

  it('fromHex reads annotated fixtures: whitespace, ":" "-" separators, # comments, any case', () => {
    const bytes = fromHex(`
      # an Ethernet header (IEEE 802.3)
      ff:ff:ff:ff:ff:ff   # destination: broadcast
      02-00-5E-10-00-01   # source
      08 06               # EtherType ARP (RFC 826)
    `);
    assert.equal(toHex(bytes), 'ffffffffffff02005e1000010806');
    assert.equal(fromHex('').length, 0);
    assert.equal(fromHex('# nothing but a comment').length, 0);
  });

  it('fromHex inverts toHex', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        assert.deepEqual(fromHex(toHex(bytes)), bytes);
        assert.deepEqual(fromHex(toHex(bytes).toUpperCase()), bytes);
      }),
    );
  });

  it('fromHex throws RangeError on an odd number of digits or a stray character', () => {
    assert.throws(() => fromHex('abc'), RangeError);
    assert.throws(() => fromHex('0a 1'), RangeError);
    assert.throws(() => fromHex('0x12'), RangeError);
    assert.throws(() => fromHex('zz'), RangeError);
    assert.throws(() => fromHex('12,34'), RangeError);
  });
});

describe('concatBytes and bytesEqual', () => {
  it('concatenate views into one new buffer', () => {
    const backing = fromHex('00 11 22 33 44');
    const parts = [backing.subarray(1, 3), new Uint8Array(0), fromHex('aa'), backing.subarray(4)];
    const joined = concatBytes(parts);
    assert.equal(toHex(joined), '1122aa44');
    joined[0] = 0;
    assert.equal(backing[1], 0x11);
    assert.equal(concatBytes([]).length, 0);
  });

  it('compare contents, not buffers or offsets', () => {
    const backing = fromHex('01 02 03 01 02');
    assert.ok(bytesEqual(backing.subarray(0, 2), backing.subarray(3, 5)));
    assert.ok(bytesEqual(new Uint8Array(0), new Uint8Array(0)));
    assert.ok(!bytesEqual(backing.subarray(0, 2), backing.subarray(0, 3)));
    assert.ok(!bytesEqual(fromHex('01 02'), fromHex('01 03')));
    fc.assert(
      fc.property(fc.uint8Array(), fc.uint8Array(), (a, b) => {
        assert.equal(bytesEqual(a, b), toHex(a) === toHex(b));
        assert.ok(bytesEqual(concatBytes([a, b]).subarray(a.length), b));
      }),
    );
  });
});
