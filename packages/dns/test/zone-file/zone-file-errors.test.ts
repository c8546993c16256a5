// Every way parseZoneFile refuses a file: the exact line (where the entry starts) and reason.
// The records here are of an unknown type in RFC 3597 form unless the case is about a codec,
// so that each case tests the parser alone.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DnsName } from '../../src/wire/name.ts';
import { formatZoneFileError } from '../../src/zone-file/zone-file-error.ts';
import { parseZoneFile, type ZoneFileOptions } from '../../src/zone-file/zone-file-parser.ts';

const EXAMPLE = DnsName.of('example.com.');
const WITH_ZONE: ZoneFileOptions = { fileName: 'z', origin: EXAMPLE, defaultTtl: 60 };
const NO_ORIGIN: ZoneFileOptions = { fileName: 'z', defaultTtl: 60 };

interface ErrorCase {
  readonly name: string;
  readonly text: string;
  readonly options?: ZoneFileOptions;
  readonly line: number;
  readonly reason: string | RegExp;
}

const CASES: readonly ErrorCase[] = [
  {
    name: 'a ( never closed',
    text: 'a TYPE65534 \\# 0\nb TYPE65534 ( \\# 0\n; nothing closes it\n',
    line: 2,
    reason: 'unbalanced parenthesis: end of file inside ( )',
  },
  {
    name: 'a ) without (',
    text: 'a TYPE65534 \\# 0\n\nc TYPE65534 \\# 0 )\n',
    line: 3,
    reason: 'unbalanced parenthesis: ) without (',
  },
  {
    name: 'a ) alone on a continuation line',
    text: 'a TYPE65534 ( \\# 0 )\n  )\n',
    line: 2,
    reason: 'unbalanced parenthesis: ) without (',
  },
  {
    name: 'a quote left open at the end of a line inside ( ): the line of the entry',
    text: 'a TYPE65534 \\# 0\nt TXT (\n "one"\n "two )\n',
    line: 2,
    reason: 'unterminated quoted string',
  },
  {
    name: 'a quote left open at the end of the file',
    text: 'a TXT "open',
    line: 1,
    reason: 'unterminated quoted string',
  },
  {
    name: 'an escaped newline inside quotes',
    text: 'a TXT "one\\\ntwo"\n',
    line: 1,
    reason: 'unterminated quoted string',
  },
  {
    name: 'a backslash at the end of a line',
    text: 'a TYPE65534 \\# 0\nb\\\n',
    line: 2,
    reason: 'a backslash at the end of a line',
  },
  {
    name: 'a backslash at the end of the file',
    text: 'a TYPE65534 \\',
    line: 1,
    reason: 'a backslash at the end of a line',
  },
  { name: 'an unknown type', text: 'a 1 IN FOO x\n', line: 1, reason: 'unknown type FOO' },
  {
    name: 'a second TTL where the type goes',
    text: 'a 1 IN 2 TYPE65534 \\# 0\n',
    line: 1,
    reason: 'unknown type 2',
  },
  { name: 'no type', text: 'a\n', line: 1, reason: 'missing type' },
  { name: 'no type after TTL and class', text: 'a 1 IN\n', line: 1, reason: 'missing type' },
  { name: '$TTL not a number', text: '$TTL x\n', line: 1, reason: "bad TTL 'x'" },
  { name: 'a TTL with a bad unit', text: 'a 1x A 192.0.2.1\n', line: 1, reason: "bad TTL '1x'" },
  { name: 'a TTL ending in a bare number', text: '$TTL 1h30\n', line: 1, reason: "bad TTL '1h30'" },
  {
    name: 'a TTL above 2^31-1',
    text: 'a 2147483648 TYPE65534 \\# 0\n',
    line: 1,
    reason: "bad TTL '2147483648': above 2147483647 seconds (RFC 2181 §8)",
  },
  {
    name: 'a TTL in units above 2^31-1',
    text: '$TTL 3551w\n',
    line: 1,
    reason: "bad TTL '3551w': above 2147483647 seconds (RFC 2181 §8)",
  },
  {
    name: 'a relative owner with no origin',
    text: 'a.example.com. TYPE65534 \\# 0\nwww TYPE65534 \\# 0\n',
    options: NO_ORIGIN,
    line: 2,
    reason: "relative name 'www' with no $ORIGIN",
  },
  {
    name: 'an owner ending in an escaped dot with no origin',
    text: 'www\\. TYPE65534 \\# 0\n',
    options: NO_ORIGIN,
    line: 1,
    reason: "relative name 'www\\.' with no $ORIGIN",
  },
  {
    name: '@ with no origin',
    text: '@ TYPE65534 \\# 0\n',
    options: NO_ORIGIN,
    line: 1,
    reason: "'@' with no $ORIGIN",
  },
  {
    name: 'a relative $ORIGIN with no origin',
    text: '; first\n$ORIGIN sub\n',
    options: NO_ORIGIN,
    line: 2,
    reason: "relative name 'sub' with no $ORIGIN",
  },
  {
    name: '$INCLUDE',
    text: '$TTL 1\n$INCLUDE other.zone\n',
    line: 2,
    reason: '$INCLUDE is not supported: put the records in this file',
  },
  {
    name: 'an unknown directive',
    text: '$GENERATE 1-2 a$ A 192.0.2.$\n',
    line: 1,
    reason: 'unknown directive $GENERATE',
  },
  { name: '$ORIGIN alone', text: '$ORIGIN\n', line: 1, reason: '$ORIGIN takes one domain name' },
  {
    name: '$ORIGIN with two names',
    text: '$ORIGIN a. b.\n',
    line: 1,
    reason: '$ORIGIN takes one domain name',
  },
  { name: '$TTL alone', text: '$TTL ; none\n', line: 1, reason: '$TTL takes one TTL' },
  {
    name: 'a blank owner before any owner',
    text: '$TTL 1\n  TYPE65534 \\# 0\n',
    line: 2,
    reason: 'a line starting with a blank repeats the previous owner, and there is none yet',
  },
  {
    name: 'an owner outside the zone',
    text: 'a TYPE65534 \\# 0\nfoo.org. TYPE65534 \\# 0\n',
    line: 2,
    reason: "'foo.org.' is outside the zone example.com.",
  },
  {
    name: 'an owner that only ends in the same characters as the zone',
    text: 'notexample.com. TYPE65534 \\# 0\n',
    line: 1,
    reason: "'notexample.com.' is outside the zone example.com.",
  },
  {
    name: 'a relative owner outside the zone through $ORIGIN',
    text: '$ORIGIN org.\nfoo TYPE65534 \\# 0\n',
    line: 2,
    reason: "'foo.org.' is outside the zone example.com.",
  },
  {
    name: 'two classes',
    text: 'a IN TYPE65534 \\# 0\nb CH TYPE65534 \\# 0\n',
    line: 2,
    reason:
      'class CH after records of class IN: all the records of a zone file must share one class',
  },
  {
    name: 'a class after records that took IN by default',
    text: 'a TYPE65534 \\# 0\nb 1 HS TYPE65534 \\# 0\n',
    line: 2,
    reason:
      'class HS after records of class IN: all the records of a zone file must share one class',
  },
  {
    name: 'class ANY',
    text: 'a ANY TYPE65534 \\# 0\n',
    line: 1,
    reason: 'class ANY is not a class of data (RFC 6895 §3.2)',
  },
  {
    name: 'class NONE',
    text: 'a NONE TYPE65534 \\# 0\n',
    line: 1,
    reason: 'class NONE is not a class of data (RFC 6895 §3.2)',
  },
  {
    name: 'class 0',
    text: 'a CLASS0 TYPE65534 \\# 0\n',
    line: 1,
    reason: 'class CLASS0 is not a class of data (RFC 6895 §3.2)',
  },
  {
    name: 'a query type',
    text: 'a AXFR \\# 0\n',
    line: 1,
    reason: 'type AXFR is not a type of data (RFC 6895 §3.1)',
  },
  {
    name: 'OPT',
    text: 'a OPT \\# 0\n',
    line: 1,
    reason: 'type OPT is not a type of data (RFC 6895 §3.1)',
  },
  {
    name: 'a meta type by number',
    text: 'a TYPE128 \\# 0\n',
    line: 1,
    reason: 'type TYPE128 is not a type of data (RFC 6895 §3.1)',
  },
  {
    name: 'type 0',
    text: 'a TYPE0 \\# 0\n',
    line: 1,
    reason: 'type TYPE0 is not a type of data (RFC 6895 §3.1)',
  },
  {
    name: 'no TTL anywhere',
    text: 'a TYPE65534 \\# 0\n',
    options: { fileName: 'z', origin: EXAMPLE },
    line: 1,
    reason: 'no TTL: give the record one, or put a $TTL line before it',
  },
  {
    name: 'generic RDATA of the wrong length',
    text: 'a TYPE65534 \\# 2 abcdef\n',
    line: 1,
    reason: 'TYPE65534: \\# announces 2 bytes and the hex holds 3',
  },
  {
    name: 'an unknown type in a known syntax',
    text: 'a TYPE65534 abc\n',
    line: 1,
    reason:
      'TYPE65534: the RDATA of a type without a known format must be written as \\# LENGTH HEX',
  },
  { name: 'bad MX RDATA', text: 'a MX ten mail\n', line: 1, reason: /^MX: ./ },
  {
    name: 'an empty label',
    text: 'a..b TYPE65534 \\# 0\n',
    line: 1,
    reason: "'a..b': an empty label",
  },
  {
    name: 'a bad escape in an owner',
    text: '\\256 TYPE65534 \\# 0\n',
    line: 1,
    reason: "'\\256': a bad escape at character 1",
  },
  {
    name: 'a label of 64 bytes',
    text: `${'x'.repeat(64)} TYPE65534 \\# 0\n`,
    line: 1,
    reason: `'${'x'.repeat(64)}': a label longer than 63 bytes`,
  },
  {
    name: 'a line after a multi-line entry, with CRLF line ends',
    text: '$TTL 1\r\na TYPE65534 \\# 4 (\r\n  00\r\n  00 ; c\r\n  00 00 )\r\n\r\nb FOO\r\n',
    line: 7,
    reason: 'unknown type FOO',
  },
  {
    name: 'the first error, before a syntax error further down',
    text: 'a TYPE65534 \\# 0\nb FOO\nc TYPE65534 \\# 0\nd TYPE65534 ( \\# 0\n',
    line: 2,
    reason: 'unknown type FOO',
  },
];

describe('zone file errors', () => {
  for (const { name, text, options = WITH_ZONE, line, reason } of CASES) {
    it(name, () => {
      const parsed = parseZoneFile(text, options);
      assert.ok(!parsed.ok, 'the file must be refused');
      assert.equal(parsed.error.file, options.fileName);
      if (typeof reason === 'string') {
        assert.deepEqual(
          { line: parsed.error.line, reason: parsed.error.reason },
          { line, reason },
        );
      } else {
        assert.equal(parsed.error.line, line);
        assert.match(parsed.error.reason, reason);
      }
    });
  }

  it('formats as FILE:LINE: REASON', () => {
    const parsed = parseZoneFile('ok TYPE65534 \\# 0\nbad 1 IN FOO\n', {
      fileName: 'zones/example.com.zone',
      origin: EXAMPLE,
      defaultTtl: 60,
    });
    assert.ok(!parsed.ok);
    assert.equal(formatZoneFileError(parsed.error), 'zones/example.com.zone:2: unknown type FOO');
  });

  it('refuses a default TTL that is not one, as a programmer error', () => {
    for (const defaultTtl of [-1, 1.5, 2 ** 31, Number.NaN]) {
      assert.throws(() => parseZoneFile('', { fileName: 'z', defaultTtl }), RangeError);
    }
  });
});
