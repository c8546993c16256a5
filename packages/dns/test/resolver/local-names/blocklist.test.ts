import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { BlockedNames, parseBlocklist } from '../../../src/resolver/local-names/blocklist.ts';
import { DnsName } from '../../../src/wire/name.ts';

// The three formats in one list, as lists concatenated by a user would be: the header of a
// StevenBlack hosts list (the local names Pi-hole skips), AdBlock syntax of every kind, and
// mistakes. Line numbers matter: errors cite them.
const MIXED = [
  '\uFEFF[Adblock Plus 2.0]', // 1  header
  '! Title: mixed list', // 2  AdBlock comment
  '# StevenBlack-style header', // 3
  '127.0.0.1 localhost', // 4  ignored (Pi-hole's local names)
  '127.0.0.1 localhost.localdomain', // 5  ignored
  '127.0.0.1 local', // 6  ignored
  '255.255.255.255\tbroadcasthost', // 7  ignored
  '::1 localhost ip6-localhost ip6-loopback', // 8  ignored
  'fe80::1%lo0 localhost', // 9  ignored
  'ff02::1 ip6-allnodes', // 10 ignored
  '0.0.0.0 0.0.0.0', // 11 ignored
  '', // 12
  '0.0.0.0 ads.example.com   # hosts format\r', // 13
  '127.0.0.1\tTracker.Example.NET', // 14
  ':: v6sink.example', // 15
  '::1 v6loop.example', // 16
  '0 zero.example', // 17
  '0.0.0.0 one.example two.example localhost', // 18
  'plain.example', // 19 domains format
  'trailing.example.  # a comment after the name', // 20
  '  indented.example\t', // 21
  '||adblock.example^', // 22 AdBlock subset
  '||opt.example^$third-party', // 23 ignored: options
  '@@||allowed.example^', // 24 ignored: exception
  'example.org##.banner', // 25 ignored: cosmetic, not example.org
  '/banner[0-9]+/', // 26 ignored: regular expression
  '||wild*.example^', // 27 ignored: wildcard
  '|https://x.example/ads|', // 28 ignored: URL
  '||localhost^', // 29 ignored: a local name
  '10.0.0.1 mapped.example', // 30 error: a real address (a hosts file)
  'com', // 31 error: a top-level domain
  'bad?name.example', // 32 error
  'two names', // 33 error: not an address first
  '127.0.0.1', // 34 error: an address without a name
  '0.0.0.0 ok.example bad!name', // 35 ok.example, then an error
  '||com^', // 36 error: a top-level domain
  '0.0.0.0 ip6-ads.example', // 37 not a local name: blocked
].join('\n');

describe('parseBlocklist', () => {
  const parsed = parseBlocklist(MIXED);

  it('reads hosts, domains and AdBlock lines mixed, names absolute and case kept', () => {
    assert.deepEqual(parsed.names.map(String), [
      'ads.example.com.',
      'Tracker.Example.NET.',
      'v6sink.example.',
      'v6loop.example.',
      'zero.example.',
      'one.example.',
      'two.example.',
      'plain.example.',
      'trailing.example.',
      'indented.example.',
      'adblock.example.',
      'ok.example.',
      'ip6-ads.example.',
    ]);
    assert.deepEqual(parsed.formats, { hosts: 8, domains: 3, adblock: 1 });
  });

  it("skips Pi-hole's local names and AdBlock rules outside the subset, and counts them", () => {
    // Lines 4-11 and 23-29.
    assert.equal(parsed.ignoredLines, 8 + 7);
  });

  it('reports bad lines and names with their line numbers and never blocks what it cannot read', () => {
    assert.deepEqual(
      parsed.errors.map((error) => error.line),
      [30, 31, 32, 33, 34, 35, 36],
    );
    const reasons = parsed.errors.map((error) => error.reason);
    assert.match(reasons[0]!, /10\.0\.0\.1.*not a blocking address/);
    assert.match(reasons[1]!, /single label/);
    assert.match(reasons[2]!, /'\?'/);
    assert.match(reasons[3]!, /'two' is not an address/);
    assert.match(reasons[4]!, /not followed by a name/);
    assert.match(reasons[5]!, /'!'/);
    assert.match(reasons[6]!, /single label/);
  });

  it('accepts every blackhole address form and its IPv6 spellings', () => {
    const text = ['0.0.0.0', '127.0.0.1', '::', '::1', '0', '0:0:0:0:0:0:0:0', '0::1']
      .map((address, i) => `${address} n${i}.example`)
      .join('\n');
    const { names, errors } = parseBlocklist(text);
    assert.deepEqual(errors, []);
    assert.equal(names.length, 7);
  });

  it('keeps every name intact however many names share the label storage', () => {
    // Names of up to 233 characters, labels up to 63: enough bytes for several storage chunks.
    const texts = Array.from({ length: 3000 }, (_, i) => {
      const label = `L${i.toString(36)}-${'x'.repeat(i % 55)}`;
      return `${label}.${'m'.repeat(1 + (i % 63))}.${i % 7 === 0 ? `${'n'.repeat(50)}.`.repeat(2) : ''}Example`;
    });
    const { names, errors } = parseBlocklist(texts.join('\n'));
    assert.deepEqual(errors, []);
    assert.deepEqual(
      names.map(String),
      texts.map((text) => `${text}.`),
    );
  });

  it('reads an empty list and a list of only comments', () => {
    const empty = {
      names: [],
      ignoredLines: 0,
      errors: [],
      formats: { hosts: 0, domains: 0, adblock: 0 },
    };
    assert.deepEqual(parseBlocklist(''), empty);
    assert.deepEqual(parseBlocklist('# a\r\n! b\r\n\r\n[Adblock]'), empty);
  });
});

describe('BlockedNames', () => {
  const blocked = new BlockedNames([
    parseBlocklist('0.0.0.0 ads.example.com\nTRACKER.example.net').names,
    parseBlocklist('||x.ads.example.com^\ntracker.EXAMPLE.net\nonly.example').names,
  ]);
  const match = (text: string): string | undefined => blocked.match(DnsName.of(text))?.toString();

  it('blocks a listed name and every name below it, case-insensitively', () => {
    assert.equal(match('ads.example.com.'), 'ads.example.com.');
    assert.equal(match('www.ADS.example.COM.'), 'ads.example.com.');
    assert.equal(match('a.b.c.tracker.example.net.'), 'TRACKER.example.net.');
  });

  it('answers the closest listed ancestor', () => {
    assert.equal(match('x.ads.example.com.'), 'x.ads.example.com.');
    assert.equal(match('y.X.ads.example.com.'), 'x.ads.example.com.');
  });

  it('blocks neither siblings with the same ending nor ancestors', () => {
    assert.equal(match('bads.example.com.'), undefined);
    assert.equal(match('example.com.'), undefined);
    assert.equal(match('com.'), undefined);
    assert.equal(match('.'), undefined);
    assert.equal(match('ads.example.org.'), undefined);
    assert.equal(match('xonly.example.'), undefined);
  });

  it('treats an escaped dot as part of a label, not a boundary (RFC 1035 §5.1)', () => {
    // One label 'a.ads' under example.com: below example.com, not below ads.example.com.
    assert.equal(match('a\\.ads.example.com.'), undefined);
    assert.equal(match('x\\032y.ads.example.com.'), 'ads.example.com.');
    const parent = new BlockedNames([[DnsName.of('example.com.')]]);
    assert.equal(parent.match(DnsName.of('a\\.ads.example.com.'))?.toString(), 'example.com.');
    assert.equal(parent.match(DnsName.of('x\\.example.com.')), undefined);
  });

  it('merges lists, counting names equal under RFC 4343 once and keeping the first spelling', () => {
    assert.equal(blocked.size, 4);
    assert.equal(new BlockedNames([]).size, 0);
  });

  it('blocks everything when the root is listed', () => {
    assert.equal(new BlockedNames([[DnsName.ROOT]]).match(DnsName.of('a.b.')), DnsName.ROOT);
  });

  it('agrees with a search of every ancestor, for names with any bytes', () => {
    const label = fc
      .uint8Array({ minLength: 1, maxLength: 3 })
      .map((bytes) => bytes.map((byte) => [0x2e, 0x5c, 0x20, 0x41, 0x61, 0x33, byte][byte % 7]!));
    const name = fc.array(label, { maxLength: 5 }).map((labels) => DnsName.fromLabels(labels));
    fc.assert(
      fc.property(fc.array(name, { maxLength: 8 }), name, (listed, asked) => {
        const names = new BlockedNames([listed]);
        let expected: DnsName | undefined;
        for (let count = asked.labels.length; count >= 0 && expected === undefined; count--) {
          const ancestor = asked.ancestor(count);
          expected = listed.find((candidate) => candidate.equals(ancestor));
        }
        const got = names.match(asked);
        assert.equal(got === undefined, expected === undefined);
        if (got !== undefined) assert.ok(got.equals(expected!));
        for (const entry of listed) assert.ok(names.match(entry)?.equals(entry));
      }),
      { numRuns: 500, seed: 20_241_121 },
    );
  });
});

describe('blocklists from random text', () => {
  const fragments = fc.constantFrom(
    '0.0.0.0',
    '127.0.0.1',
    '::1',
    'fe80::1%lo0',
    '||',
    '^',
    '$',
    '@@',
    '##',
    '!',
    '[',
    'ads.example',
    'localhost',
    'ip6-x',
    'com',
    '.',
    '\\',
    '#',
    ' ',
    '\t',
    '\r',
    '\n',
    '\uFEFF',
    'ü',
  );

  it('never throw; every name has two labels or more and every error an existing line', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ unit: fragments, maxLength: 40 }), fc.string({ unit: 'binary' })),
        (text) => {
          const { names, errors } = parseBlocklist(text);
          const lineCount = text.split('\n').length;
          for (const error of errors) assert.ok(error.line >= 1 && error.line <= lineCount);
          for (const name of names) assert.ok(name.labels.length >= 2);
          const blocked = new BlockedNames([names]);
          for (const name of names) assert.ok(blocked.match(name) !== undefined);
        },
      ),
      { numRuns: 300, seed: 20_241_121 },
    );
  });
});
