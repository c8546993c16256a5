// The corpus of tricky zone files in corpus/, each with the records it must give.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex } from '@oasis/core';
import type { DnsRecord } from '../../src/wire/message.ts';
import { DnsName } from '../../src/wire/name.ts';
import { parseZoneFile } from '../../src/zone-file/zone-file-parser.ts';
import { latin1, type PlainRecord, plainRecords, readCorpus, rr } from './zone-records.ts';

const EXAMPLE = DnsName.of('example.com.');

function parseText(
  text: string,
  fileName: string,
  origin: DnsName | undefined,
): readonly DnsRecord[] {
  const parsed = parseZoneFile(text, origin === undefined ? { fileName } : { fileName, origin });
  assert.ok(parsed.ok, parsed.ok ? '' : JSON.stringify(parsed.error));
  return parsed.value;
}

const txt = (...strings: string[]) => ({ kind: 'TXT', strings: strings.map(latin1) });
const a = (address: string) => ({ kind: 'A', address });

const EXPECTED: Readonly<Record<string, { records: PlainRecord[] }>> = {
  'soa-multiline.zone': {
    records: [
      rr('example.com.', 3600, 'SOA', {
        kind: 'SOA',
        mname: 'ns1.example.com.',
        rname: 'hostmaster.example.com.',
        serial: 2024010101,
        refresh: 7200,
        retry: 3600,
        expire: 1209600,
        minimum: 300,
      }),
      rr('example.com.', 3600, 'NS', { kind: 'NS', host: 'ns1.example.com.' }),
      rr('example.com.', 3600, 'NS', { kind: 'NS', host: 'ns2.example.net.' }),
      rr('example.com.', 3600, 'MX', { kind: 'MX', preference: 10, exchange: 'mail.example.com.' }),
      rr('ns1.example.com.', 3600, 'A', a('192.0.2.53')),
      rr('mail.example.com.', 3600, 'A', a('192.0.2.25')),
    ],
  },
  'escapes.zone': {
    records: [
      rr('a\\.b.example.com.', 300, 'A', a('192.0.2.1')),
      rr('space\\032name.example.com.', 300, 'A', a('192.0.2.2')),
      rr('back\\\\slash.example.com.', 300, 'A', a('192.0.2.3')),
      rr('\\(paren\\).example.com.', 300, 'A', a('192.0.2.4')),
      rr('semi\\;colon.example.com.', 300, 'A', a('192.0.2.5')),
      rr('caps.EXAMPLE.com.', 300, 'A', a('192.0.2.6')),
      rr('txt.example.com.', 300, 'TXT', txt('a;b', 'say "hi"', 'tab\tend', 'back\\slash')),
      rr('txt.example.com.', 300, 'TXT', txt('unquoted word;')),
      rr('txt.example.com.', 300, 'TXT', txt('@')),
    ],
  },
  'origin-changes.zone': {
    records: [
      rr('example.com.', 600, 'NS', { kind: 'NS', host: 'ns1.example.com.' }),
      rr('www.example.com.', 600, 'A', a('192.0.2.1')),
      rr('www.example.com.', 600, 'AAAA', { kind: 'AAAA', address: '2001:db8::1' }),
      rr('host.sub.example.com.', 600, 'A', a('192.0.2.2')),
      rr('host.sub.example.com.', 600, 'MX', {
        kind: 'MX',
        preference: 10,
        exchange: 'sub.example.com.',
      }),
      rr('host.sub.example.com.', 600, 'A', a('192.0.2.3')),
      rr('example.org.', 600, 'CNAME', { kind: 'CNAME', target: 'www.example.com.' }),
      rr('abs.example.net.', 600, 'A', a('192.0.2.4')),
      rr('rel.example.org.', 600, 'CNAME', { kind: 'CNAME', target: 'other.example.org.' }),
    ],
  },
  'ttl-class.zone': {
    records: [
      rr('a.example.com.', 300, 'A', a('192.0.2.1')),
      rr('b.example.com.', 300, 'A', a('192.0.2.2')),
      rr('c.example.com.', 86400, 'A', a('192.0.2.3')),
      rr('d.example.com.', 300, 'A', a('192.0.2.4')),
      rr('e.example.com.', 86400, 'A', a('192.0.2.5')),
      rr('f.example.com.', 604800 + 2 * 86400 + 3 * 3600 + 4 * 60 + 5, 'A', a('192.0.2.6')),
      rr('g.example.com.', 86400, 'A', a('192.0.2.7')),
      rr('h.example.com.', 86400, 'A', a('192.0.2.8')),
      rr('i.example.com.', 2147483647, 'A', a('192.0.2.9')),
      rr('j.example.com.', 0, 'A', a('192.0.2.10')),
      rr('j.example.com.', 3600, 'AAAA', { kind: 'AAAA', address: '2001:db8::a' }),
    ],
  },
  'generic.zone': {
    records: [
      rr('opaque.example.com.', 300, 'TYPE65534', { kind: 'opaque', bytes: fromHex('abcdef') }),
      rr('empty.example.com.', 300, 'TYPE65534', { kind: 'opaque', bytes: new Uint8Array(0) }),
      rr('split.example.com.', 300, 'TYPE65534', { kind: 'opaque', bytes: fromHex('abcdef01') }),
      rr('a.example.com.', 300, 'A', a('192.0.2.1')),
    ],
  },
  'long-txt.zone': {
    records: [
      rr(
        'dkim.example.com.',
        300,
        'TXT',
        txt('v=DKIM1; k=rsa; ', 'p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC', 'AQAB'),
      ),
      rr('empty.example.com.', 300, 'TXT', txt('')),
      rr('multi.example.com.', 300, 'TXT', txt('one', 'two', 'three four')),
    ],
  },
  'crlf.zone': {
    records: [
      rr('example.com.', 60, 'SOA', {
        kind: 'SOA',
        mname: 'ns1.example.com.',
        rname: 'hostmaster.example.com.',
        serial: 1,
        refresh: 2,
        retry: 3,
        expire: 4,
        minimum: 5,
      }),
      rr('www.example.com.', 60, 'A', a('192.0.2.1')),
      rr('www.example.com.', 60, 'TXT', txt('ends with CRLF')),
    ],
  },
};

// origin-changes.zone sets its own $ORIGIN and has owners outside example.com.
const NO_ORIGIN = new Set(['origin-changes.zone']);

describe('zone file corpus', () => {
  for (const [fileName, expected] of Object.entries(EXPECTED)) {
    const origin = NO_ORIGIN.has(fileName) ? undefined : EXAMPLE;
    it(`${fileName} gives its records in file order`, () => {
      const records = parseText(readCorpus(fileName), fileName, origin);
      assert.deepEqual(plainRecords(records), expected.records);
    });
    it(`${fileName} gives the same records with other line ends and blanks`, () => {
      const lf = readCorpus(fileName).replaceAll('\r\n', '\n');
      for (const variant of [lf.replaceAll('\n', '\r\n'), lf, lf.replaceAll('\t', '  ')]) {
        assert.deepEqual(plainRecords(parseText(variant, fileName, origin)), expected.records);
      }
    });
  }

  it('crlf.zone really has CRLF line ends', () => {
    assert.match(readCorpus('crlf.zone'), /^[^\n]*\r\n/);
  });

  it('escaped dots and \\DDD are bytes of one label', () => {
    const [dotted, spaced] = parseText(readCorpus('escapes.zone'), 'escapes.zone', EXAMPLE);
    assert.deepEqual(dotted?.name.labels[0], latin1('a.b'));
    assert.equal(dotted?.name.labels.length, 3);
    assert.deepEqual(spaced?.name.labels[0], latin1('space name'));
  });
});
