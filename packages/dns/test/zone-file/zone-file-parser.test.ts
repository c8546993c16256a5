// What the parser fills in: owners, origins, classes and TTLs. The records are of an unknown
// type in RFC 3597 form, whose RDATA the parser hands through untouched, except in the cases
// marked as needing a type's own syntax.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex } from '@oasis/core';
import { DnsName } from '../../src/wire/name.ts';
import { parseZoneFile, type ZoneFileOptions } from '../../src/zone-file/zone-file-parser.ts';
import { plainRecords } from './zone-records.ts';

const EXAMPLE = DnsName.of('example.com.');

function parse(text: string, options: Partial<ZoneFileOptions> = {}) {
  const parsed = parseZoneFile(text, { fileName: 'test.zone', ...options });
  assert.ok(parsed.ok, parsed.ok ? '' : JSON.stringify(parsed.error));
  return plainRecords(parsed.value);
}

const lines = (...text: string[]) => `${text.join('\n')}\n`;

describe('zone file parser', () => {
  it('gives the type and the RFC 3597 RDATA of each record, in file order, duplicates kept', () => {
    const records = parse(lines('a 5 TYPE65534 \\# 2 beef', 'a 5 TYPE65534 \\# 2 beef'), {
      origin: EXAMPLE,
    });
    const expected = {
      name: 'a.example.com.',
      ttl: 5,
      class: 'IN',
      type: 'TYPE65534',
      data: { kind: 'opaque', bytes: fromHex('beef') },
    };
    assert.deepEqual(records, [expected, expected]);
  });

  it('gives no records for a file of blank lines and comments', () => {
    assert.deepEqual(
      parse('\n  \n; comment\n\t; indented comment\n( )\n', { origin: EXAMPLE }),
      [],
    );
    assert.deepEqual(parse('', {}), []);
  });

  it('completes relative owners with the origin, keeps absolute ones, reads @ as the origin', () => {
    const text = lines(
      '$ORIGIN example.com.',
      '@ TYPE65534 \\# 0',
      'www TYPE65534 \\# 0',
      'a.b.example.com. TYPE65534 \\# 0',
      '. TYPE65534 \\# 0',
      'back\\\\. TYPE65534 \\# 0 ; an escaped backslash, then the final dot',
      '"@" TYPE65534 \\# 0 ; a quoted @ is a label',
    );
    assert.deepEqual(
      parse(text, { defaultTtl: 1 }).map((record) => record.name),
      [
        'example.com.',
        'www.example.com.',
        'a.b.example.com.',
        '.',
        'back\\\\.',
        '\\@.example.com.',
      ],
    );
  });

  it('reads a relative $ORIGIN relative to the current one, and directives in any case', () => {
    const text = lines(
      '$origin sub',
      'a TYPE65534 \\# 0',
      '$Origin deeper',
      '@ TYPE65534 \\# 0',
      '$ORIGIN other.example.',
      'b TYPE65534 \\# 0',
    );
    assert.deepEqual(
      parse(text, { origin: DnsName.of('example.'), defaultTtl: 1 }).map((record) => record.name),
      ['a.sub.example.', 'deeper.sub.example.', 'b.other.example.'],
    );
  });

  it('repeats the previous owner on lines starting with a blank, across directives and comments', () => {
    const text = lines(
      'a TYPE65534 \\# 0',
      '\tTYPE65534 \\# 0',
      '$TTL 9',
      '; a comment',
      '   TYPE65534 ( \\# 1',
      '      00 )',
      '$ORIGIN example.com.',
      ' TYPE65534 \\# 0',
      'b TYPE65534 \\# 0',
      ' TYPE65534 \\# 0',
    );
    assert.deepEqual(
      parse(text, { origin: DnsName.of('com.'), defaultTtl: 1 }).map((record) => record.name),
      ['a.com.', 'a.com.', 'a.com.', 'a.com.', 'b.example.com.', 'b.example.com.'],
    );
  });

  it('takes the TTL from the record, else the last $TTL, else the default, never the previous record', () => {
    const text = lines(
      'a TYPE65534 \\# 0',
      'b 5 TYPE65534 \\# 0',
      'c TYPE65534 \\# 0',
      '$TTL 1d',
      'd TYPE65534 \\# 0',
      'e 5 TYPE65534 \\# 0',
      '$TTL 0',
      'f TYPE65534 \\# 0',
    );
    assert.deepEqual(
      parse(text, { origin: EXAMPLE, defaultTtl: 7 }).map((record) => record.ttl),
      [7, 5, 7, 86400, 5, 0],
    );
  });

  it('gives records the class of the records before, IN when none says, in any notation', () => {
    const records = (text: string) =>
      parse(text, { origin: EXAMPLE, defaultTtl: 1 }).map((record) => record.class);
    assert.deepEqual(records(lines('a TYPE65534 \\# 0', 'b IN TYPE65534 \\# 0')), ['IN', 'IN']);
    assert.deepEqual(
      records(lines('a CH TYPE65534 \\# 0', 'b TYPE65534 \\# 0', 'c CLASS3 1 TYPE65534 \\# 0')),
      ['CH', 'CH', 'CH'],
    );
    assert.deepEqual(records(lines('a class1 TYPE65534 \\# 0', 'b in TYPE65534 \\# 0')), [
      'IN',
      'IN',
    ]);
  });

  describe('with the codecs of SOA, NS and TXT', () => {
    it("falls back to the first SOA's MINIMUM, the SOA included, after the default TTL", () => {
      const text = lines(
        '@ SOA ns1 hostmaster 1 2 3 4 300',
        'a TYPE65534 \\# 0',
        '@ SOA ns1 hostmaster 1 2 3 4 600 ; only the first SOA counts',
        'b TYPE65534 \\# 0',
        '$TTL 10',
        'c TYPE65534 \\# 0',
      );
      assert.deepEqual(
        parse(text, { origin: EXAMPLE }).map((record) => record.ttl),
        [300, 300, 300, 300, 10],
      );
      assert.deepEqual(
        parse(text, { origin: EXAMPLE, defaultTtl: 7 }).map((record) => record.ttl),
        [7, 7, 7, 7, 10],
      );
    });

    it('caps a MINIMUM used as a TTL at 2^31-1 (RFC 2181 §8)', () => {
      const [soa] = parse('@ SOA ns1 hostmaster 1 2 3 4 4294967295\n', { origin: EXAMPLE });
      assert.equal(soa?.ttl, 2147483647);
    });

    it('writes an unquoted @ in RDATA as the origin, and keeps a quoted one', () => {
      const records = parse(lines('$TTL 1', 'a NS @', 'a TXT "@"'), { origin: EXAMPLE });
      assert.deepEqual(
        records.map((record) => record.data),
        [
          { kind: 'NS', host: 'example.com.' },
          { kind: 'TXT', strings: [Uint8Array.of(0x40)] },
        ],
      );
    });
  });
});
