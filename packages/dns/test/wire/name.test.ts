import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { DnsName } from '../../src/wire/name.ts';

describe('DnsName', () => {
  it('parses presentation text with escapes and prints it back (RFC 1035 §5.1)', () => {
    const name = DnsName.of('a\\.b.\\032x\\\\.Example.COM.');
    assert.deepEqual(
      name.labels.map((label) => Array.from(label)),
      [
        [0x61, 0x2e, 0x62],
        [0x20, 0x78, 0x5c],
        [...'Example'].map((c) => c.charCodeAt(0)),
        [0x43, 0x4f, 0x4d],
      ],
    );
    assert.equal(name.toString(), 'a\\.b.\\032x\\\\.Example.COM.');
    assert.equal(name.key, 'a\\.b.\\032x\\\\.example.com.');
    assert.equal(name.wireLength, 1 + 4 + 4 + 8 + 4);
  });

  it('compares case-insensitively in ASCII only and keeps the case (RFC 4343)', () => {
    assert.ok(DnsName.of('WWW.Example.com.').equals(DnsName.of('www.example.COM.')));
    assert.ok(!DnsName.of('\\196.').equals(DnsName.of('\\228.')), 'Ä and ä are different bytes');
    assert.equal(DnsName.of('WWW.Example.com.').toString(), 'WWW.Example.com.');
  });

  it('makes relative names absolute with the origin, and refuses them without one', () => {
    const origin = DnsName.of('example.com.');
    assert.equal(DnsName.of('www', origin).toString(), 'www.example.com.');
    assert.equal(DnsName.of('www.', origin).toString(), 'www.');
    const relative = DnsName.parse('www');
    assert.ok(!relative.ok && /relative/.test(relative.error));
  });

  it('refuses empty labels, 64-byte labels, names over 255 bytes and bad escapes', () => {
    for (const text of [
      'a..b.',
      '.a.',
      `${'a'.repeat(64)}.`,
      `${'abcdefg.'.repeat(32)}`,
      'a\\25',
      'a\\256.',
      '',
    ]) {
      assert.ok(!DnsName.parse(text).ok, text);
    }
    assert.ok(DnsName.parse(`${'a'.repeat(63)}.`).ok);
    // 127 one-byte labels: 254 bytes plus the root's 0 is exactly 255.
    assert.ok(DnsName.parse('a.'.repeat(127)).ok);
    assert.ok(!DnsName.parse('a.'.repeat(128)).ok);
  });

  it('answers subdomain, parent, ancestor and suffix replacement questions', () => {
    const name = DnsName.of('a.b.Example.com.');
    assert.ok(name.isSubdomainOf(DnsName.of('example.COM.')));
    assert.ok(name.isSubdomainOf(DnsName.ROOT));
    assert.ok(name.isSubdomainOf(name));
    assert.ok(!DnsName.of('b.example.com.').isSubdomainOf(name));
    assert.ok(!DnsName.of('xexample.com.').isSubdomainOf(DnsName.of('example.com.')));
    assert.equal(name.parent()?.toString(), 'b.Example.com.');
    assert.equal(name.ancestor(2).toString(), 'Example.com.');
    assert.equal(DnsName.ROOT.parent(), undefined);
    assert.equal(
      name.replaceSuffix(DnsName.of('example.com.'), DnsName.of('example.net.'))?.toString(),
      'a.b.example.net.',
    );
  });

  it('orders names canonically (RFC 4034 §6.1 example)', () => {
    const ordered = [
      'example.',
      'a.example.',
      'yljkjljk.a.example.',
      'Z.a.example.',
      'zABC.a.EXAMPLE.',
      'z.example.',
      '\\001.z.example.',
      '*.z.example.',
      '\\200.z.example.',
    ].map((text) => DnsName.of(text));
    const shuffled = [...ordered].reverse().sort((a, b) => a.compareCanonical(b));
    assert.deepEqual(shuffled.map(String), ordered.map(String));
  });

  it('prints text that parses back to the same labels, for any bytes', () => {
    const label = fc.uint8Array({ minLength: 1, maxLength: 20 });
    fc.assert(
      fc.property(fc.array(label, { maxLength: 8 }), (labels) => {
        const name = DnsName.fromLabels(labels);
        const again = DnsName.of(name.toString());
        assert.deepEqual(again.labels, name.labels);
        assert.equal(again.key, name.key);
      }),
    );
  });
});
