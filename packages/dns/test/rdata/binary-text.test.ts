import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  chunked,
  decodeBase32Hex,
  decodeBase64,
  decodeHex,
  encodeBase32Hex,
  encodeBase64,
  encodeHex,
} from '../../src/wire/rdata/binary-text.ts';

const ascii = (text: string) => Uint8Array.from(text, (char) => char.charCodeAt(0));

// RFC 4648 §10 test vectors.
const VECTORS: [string, string, string, string][] = [
  ['', '', '', ''],
  ['f', 'Zg==', 'CO', '66'],
  ['fo', 'Zm8=', 'CPNG', '666F'],
  ['foo', 'Zm9v', 'CPNMU', '666F6F'],
  ['foob', 'Zm9vYg==', 'CPNMUOG', '666F6F62'],
  ['fooba', 'Zm9vYmE=', 'CPNMUOJ1', '666F6F6261'],
  ['foobar', 'Zm9vYmFy', 'CPNMUOJ1E8', '666F6F626172'],
];

describe('RFC 4648 encodings', () => {
  it('encodes and decodes the RFC 4648 §10 vectors (base32hex without its padding)', () => {
    for (const [text, base64, base32hex, hex] of VECTORS) {
      const bytes = ascii(text);
      assert.equal(encodeBase64(bytes), base64);
      assert.equal(encodeBase32Hex(bytes), base32hex);
      assert.equal(encodeHex(bytes), hex);
      assert.deepEqual(decodeBase64(base64), bytes);
      assert.deepEqual(decodeBase32Hex(base32hex), bytes);
      assert.deepEqual(decodeBase32Hex(base32hex.toLowerCase()), bytes);
      assert.deepEqual(decodeHex(hex), bytes);
      assert.deepEqual(decodeHex(hex.toLowerCase()), bytes);
    }
  });

  it('refuses what is not canonical: bad padding, non-zero pad bits, foreign characters', () => {
    for (const text of [
      'Zg',
      'Zg=',
      'Zg===',
      'Zh==',
      'Zm9=',
      'Z===',
      'Zm 9v',
      'Zm9v\n',
      '=Zm9',
      'Zm-_',
    ]) {
      assert.equal(decodeBase64(text), undefined, text);
    }
    for (const text of ['C', 'CP', 'CPN', 'CPNMUO', 'CO======', 'CW', 'c-']) {
      // 'CP' and 'CPNMUO' leave non-zero pad bits or a length that encodes no whole byte.
      assert.equal(decodeBase32Hex(text), undefined, text);
    }
    for (const text of ['6', '6g', '0x66', '66 6F']) assert.equal(decodeHex(text), undefined, text);
  });

  it("agrees with Node's base64 and round-trips random bytes in all three", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        const base64 = encodeBase64(bytes);
        assert.equal(base64, Buffer.from(bytes).toString('base64'));
        assert.deepEqual(decodeBase64(base64), bytes);
        assert.deepEqual(decodeBase32Hex(encodeBase32Hex(bytes)), bytes);
        assert.deepEqual(decodeHex(encodeHex(bytes)), bytes);
      }),
    );
  });

  it('splits long text into groups of 56 characters, as dig prints keys and digests', () => {
    assert.equal(chunked('a'.repeat(56)), 'a'.repeat(56));
    assert.equal(chunked('a'.repeat(57)), `${'a'.repeat(56)} a`);
    assert.equal(chunked('b'.repeat(112)), `${'b'.repeat(56)} ${'b'.repeat(56)}`);
    assert.equal(chunked(''), '');
  });
});
