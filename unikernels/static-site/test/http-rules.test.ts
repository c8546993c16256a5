// The static site's HTTP rules: byte ranges (RFC 9110 §14.1.2) and conditional requests
// (RFC 9110 §13), as pure functions.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseByteRange } from '../byte-range.ts';
import { notModified, rangeStillValid } from '../conditional.ts';
import { contentTypeOf } from '../content-type.ts';

describe('parseByteRange', () => {
  const size = 1000;
  const cases: [string | undefined, ReturnType<typeof parseByteRange>][] = [
    [undefined, { kind: 'whole' }],
    ['bytes=0-99', { kind: 'partial', first: 0, last: 99 }],
    ['bytes=900-', { kind: 'partial', first: 900, last: 999 }],
    ['bytes=900-5000', { kind: 'partial', first: 900, last: 999 }],
    ['bytes=-100', { kind: 'partial', first: 900, last: 999 }],
    ['bytes=-5000', { kind: 'partial', first: 0, last: 999 }],
    ['BYTES=1-1', { kind: 'partial', first: 1, last: 1 }],
    ['bytes=1000-', { kind: 'unsatisfiable' }],
    ['bytes=2000-3000', { kind: 'unsatisfiable' }],
    ['bytes=-0', { kind: 'unsatisfiable' }],
    // Ignored, so the whole representation: backwards, several ranges, other units, garbage.
    ['bytes=99-0', { kind: 'whole' }],
    ['bytes=0-1,5-6', { kind: 'whole' }],
    ['items=0-1', { kind: 'whole' }],
    ['bytes=-', { kind: 'whole' }],
    ['bytes=abc', { kind: 'whole' }],
  ];
  for (const [header, expected] of cases) {
    it(`${header ?? '(none)'} of ${size} bytes`, () => {
      assert.deepEqual(parseByteRange(header, size), expected);
    });
  }

  it('finds nothing to send in an empty representation', () => {
    assert.deepEqual(parseByteRange('bytes=0-', 0), { kind: 'unsatisfiable' });
    assert.deepEqual(parseByteRange('bytes=-1', 0), { kind: 'unsatisfiable' });
  });
});

describe('conditional requests', () => {
  const validators = { etag: '"abc"', lastModifiedMs: Date.parse('2026-01-02T03:04:05.678Z') };

  it('If-None-Match compares weakly and wins over If-Modified-Since', () => {
    assert.equal(notModified(validators, '"abc"', undefined), true);
    assert.equal(notModified(validators, 'W/"abc"', undefined), true);
    assert.equal(notModified(validators, '"x", "abc"', undefined), true);
    assert.equal(notModified(validators, '*', undefined), true);
    assert.equal(notModified(validators, '"x"', 'Fri, 02 Jan 2026 03:04:05 GMT'), false);
  });

  it('If-Modified-Since compares whole seconds and ignores a bad date', () => {
    assert.equal(notModified(validators, undefined, 'Fri, 02 Jan 2026 03:04:05 GMT'), true);
    assert.equal(notModified(validators, undefined, 'Fri, 02 Jan 2026 03:04:04 GMT'), false);
    assert.equal(notModified(validators, undefined, 'yesterday'), false);
    assert.equal(notModified(validators, undefined, undefined), false);
  });

  it('If-Range keeps the range only for the same strong tag or the exact date', () => {
    assert.equal(rangeStillValid(validators, undefined), true);
    assert.equal(rangeStillValid(validators, '"abc"'), true);
    assert.equal(rangeStillValid(validators, 'W/"abc"'), false);
    assert.equal(rangeStillValid(validators, '"old"'), false);
    assert.equal(rangeStillValid(validators, 'Fri, 02 Jan 2026 03:04:05 GMT'), true);
    assert.equal(rangeStillValid(validators, 'Fri, 02 Jan 2026 03:04:06 GMT'), false);
  });
});

describe('contentTypeOf', () => {
  it('maps extensions case-insensitively, and unknown ones to octet-stream', () => {
    assert.equal(contentTypeOf('index.HTML'), 'text/html; charset=utf-8');
    assert.equal(contentTypeOf('css/site.css'), 'text/css; charset=utf-8');
    assert.equal(contentTypeOf('a.b/README'), 'application/octet-stream');
    assert.equal(contentTypeOf('archive.tar.gz'), 'application/gzip');
  });
});
