// The lexical layer: fields, quotes, escapes, comments, parentheses and line numbers.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { zoneEntries } from '../../src/zone-file/zone-tokenizer.ts';

/** Each entry as [line, blankOwner, fields], quoted fields written in double quotes. */
function entries(text: string) {
  return [...zoneEntries(text)].map((entry) => {
    assert.ok(entry.ok, entry.ok ? '' : JSON.stringify(entry.error));
    const { line, blankOwner, tokens } = entry.value;
    return [line, blankOwner, tokens.map((t) => (t.quoted ? `"${t.text}"` : t.text))];
  });
}

describe('zone file tokenizer', () => {
  it('splits lines into fields on spaces and tabs, and skips empty lines and comments', () => {
    assert.deepEqual(entries('a  IN\tA 192.0.2.1 ; comment\n\n; only a comment\n   \nb A x'), [
      [1, false, ['a', 'IN', 'A', '192.0.2.1']],
      [5, false, ['b', 'A', 'x']],
    ]);
  });

  it('marks entries that start with a space or a tab', () => {
    assert.deepEqual(entries(' A x\n\tA y\nA z\n'), [
      [1, true, ['A', 'x']],
      [2, true, ['A', 'y']],
      [3, false, ['A', 'z']],
    ]);
  });

  it('joins the lines inside parentheses into one entry, comments and blank lines included', () => {
    const text = 'a SOA ns host (\n 1 ; serial (\n\n 2 3 ; ) in a comment\n 4 5 )\nb A x\n';
    assert.deepEqual(entries(text), [
      [1, false, ['a', 'SOA', 'ns', 'host', '1', '2', '3', '4', '5']],
      [6, false, ['b', 'A', 'x']],
    ]);
  });

  it('counts nested parentheses', () => {
    assert.deepEqual(entries('a ((b\n) c\n)\nd'), [
      [1, false, ['a', 'b', 'c']],
      [4, false, ['d']],
    ]);
  });

  it('keeps escapes in the text, and an escaped delimiter inside the field', () => {
    assert.deepEqual(entries('a\\.b \\032x a\\ b \\; \\( \\) \\"q \\\\ end\\\\'), [
      [1, false, ['a\\.b', '\\032x', 'a\\ b', '\\;', '\\(', '\\)', '\\"q', '\\\\', 'end\\\\']],
    ]);
  });

  it('reads quoted fields without their quotes, escapes kept, delimiters inside them plain', () => {
    assert.deepEqual(entries('t TXT "a;b (c) \\"d\\"" "" "\\\\"\n'), [
      [1, false, ['t', 'TXT', '"a;b (c) \\"d\\""', '""', '"\\\\"']],
    ]);
  });

  it('ends a field at a quote, a parenthesis or a semicolon written against it (as BIND does)', () => {
    assert.deepEqual(entries('a"b"c (d)e f;g\n'), [[1, false, ['a', '"b"', 'c', 'd', 'e', 'f']]]);
  });

  it('reads CRLF and lone CR as line end and blank', () => {
    assert.deepEqual(entries('a A x\r\n\r\n b\rA y\r\n'), [
      [1, false, ['a', 'A', 'x']],
      [3, true, ['b', 'A', 'y']],
    ]);
  });

  it('stops at the first error, after the entries before it', () => {
    const results = [...zoneEntries('a\nb (\n"c\nd\n')];
    assert.equal(results.length, 2);
    assert.deepEqual(results[1], {
      ok: false,
      error: { line: 2, reason: 'unterminated quoted string' },
    });
  });
});
