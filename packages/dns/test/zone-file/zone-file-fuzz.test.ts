// Garbage in, a Result out: the parser never throws, and an error names a line of the file.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { DnsName } from '../../src/wire/name.ts';
import { parseZoneFile } from '../../src/zone-file/zone-file-parser.ts';
import { readCorpus } from './zone-records.ts';

// Pieces of zone files, so that random text gets past the tokenizer into every later stage.
const PIECES = [
  ' ',
  '\t',
  '\n',
  '\r\n',
  '(',
  ')',
  '"',
  '\\',
  ';',
  ';c\n',
  '@',
  '.',
  '*',
  '$ORIGIN',
  '$TTL',
  '$INCLUDE',
  '$FOO',
  'example.com.',
  'www',
  'a\\.b',
  '\\032',
  '\\256',
  'IN',
  'CH',
  'ANY',
  'CLASS3',
  '300',
  '1h30m',
  '4294967296',
  'A',
  'AAAA',
  'NS',
  'MX',
  'SOA',
  'TXT',
  'CNAME',
  'TYPE65534',
  'TYPE0',
  'OPT',
  '\\#',
  '3',
  'abcdef',
  '192.0.2.1',
  '2001:db8::1',
  '10',
  '"a;b"',
  '"\\"',
  'x'.repeat(64),
];

const zoneLike = fc
  .array(fc.oneof(fc.constantFrom(...PIECES), fc.string({ maxLength: 3 })), { maxLength: 60 })
  .map((pieces) => pieces.join(''));

function checkNeverThrows(text: string, origin: DnsName | undefined): void {
  const options = origin === undefined ? { fileName: 'f' } : { fileName: 'f', origin };
  const parsed = parseZoneFile(text, options);
  if (!parsed.ok) {
    const lines = text.split('\n').length;
    assert.ok(parsed.error.line >= 1 && parsed.error.line <= lines, `line ${parsed.error.line}`);
    assert.ok(parsed.error.reason.length > 0);
  }
}

describe('zone file parser on random input', () => {
  it('returns ok or err for random text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
        checkNeverThrows(text, DnsName.of('example.com.'));
      }),
      { numRuns: 500 },
    );
  });

  it('returns ok or err for random zone-like text, with and without an origin', () => {
    fc.assert(
      fc.property(zoneLike, fc.boolean(), (text, withOrigin) => {
        checkNeverThrows(text, withOrigin ? DnsName.of('example.com.') : undefined);
      }),
      { numRuns: 1000 },
    );
  });

  it('returns ok or err for mutations of the corpus', () => {
    const corpus = ['example.com.zone', 'soa-multiline.zone', 'escapes.zone'].map(readCorpus);
    const mutation = fc.record({
      file: fc.integer({ min: 0, max: corpus.length - 1 }),
      at: fc.nat(),
      cut: fc.integer({ min: 0, max: 8 }),
      insert: fc.oneof(fc.constantFrom(...PIECES), fc.string({ maxLength: 4 })),
    });
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (mutations) => {
        let text = corpus[mutations[0]!.file]!;
        for (const { at, cut, insert } of mutations) {
          const position = at % (text.length + 1);
          text = text.slice(0, position) + insert + text.slice(position + cut);
        }
        checkNeverThrows(text, DnsName.of('example.com.'));
      }),
      { numRuns: 500 },
    );
  });
});
