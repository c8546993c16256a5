import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  DEFAULT_HOSTS_TTL,
  LocalHosts,
  parseHostsFile,
} from '../../../src/resolver/local-names/hosts-file.ts';
import { RecordType } from '../../../src/wire/constants.ts';
import type { DnsRecord } from '../../../src/wire/message.ts';
import { DnsName } from '../../../src/wire/name.ts';

// A hosts file as editors and installers leave them: a byte-order mark, CRLF on some lines,
// tabs, trailing comments, and some mistakes. Line numbers matter: errors cite them.
const HOSTS = [
  '\uFEFF# /etc/hosts of the lab', // 1
  '127.0.0.1\tlocalhost loopback\r', // 2
  '::1     localhost ip6-localhost\r', // 3
  '', // 4
  '192.0.2.10  router.lab   Router  gw.lab.   # the gateway', // 5
  '2001:DB8:0:0::10 router.lab', // 6
  '192.0.2.11 printer.lab#no blank before this comment', // 7
  '192.0.2.10 second.lab', // 8: same address again, its PTR stays router.lab
  'router.lab 192.0.2.10', // 9: fields swapped
  '192.0.2.12   # an address without a name', // 10
  '192.0.2.13 good.lab bad/name', // 11: good.lab is kept
  '010.0.0.1 octal.lab', // 12: a leading zero, read as octal by inet_aton
  'fe80::1%lo0 localhost', // 13: a zone index is not part of an address
  '   \t  # indented comment', // 14
  '192.0.2.14 printer.lab', // 15: a second address for printer.lab
].join('\n');

const v4Reverse = (text: string): DnsName =>
  DnsName.of(`${text.split('.').reverse().join('.')}.in-addr.arpa.`);

function addresses(answer: ReturnType<LocalHosts['lookup']>): string[] {
  assert.ok(Array.isArray(answer), `expected records, got ${String(answer)}`);
  return (answer as readonly DnsRecord[]).map((record) =>
    record.data.kind === 'A' || record.data.kind === 'AAAA'
      ? `${record.data.kind} ${record.data.address}`
      : record.data.kind === 'PTR'
        ? `PTR ${record.data.target}`
        : record.data.kind,
  );
}

describe('parseHostsFile', () => {
  const parsed = parseHostsFile(HOSTS);

  it('reads addresses, canonical names and aliases in file order, names made absolute', () => {
    assert.deepEqual(
      parsed.entries.map((entry) => `${entry.family} ${entry.address} ${entry.name}`),
      [
        '4 127.0.0.1 localhost.',
        '4 127.0.0.1 loopback.',
        '6 ::1 localhost.',
        '6 ::1 ip6-localhost.',
        '4 192.0.2.10 router.lab.',
        '4 192.0.2.10 Router.',
        '4 192.0.2.10 gw.lab.',
        '6 2001:db8::10 router.lab.',
        '4 192.0.2.11 printer.lab.',
        '4 192.0.2.10 second.lab.',
        '4 192.0.2.13 good.lab.',
        '4 192.0.2.14 printer.lab.',
      ],
    );
  });

  it('reports each bad line or name with its line number and reads on', () => {
    assert.deepEqual(
      parsed.errors.map((error) => error.line),
      [9, 10, 11, 12, 13],
    );
    const reasons = parsed.errors.map((error) => error.reason);
    assert.match(reasons[0]!, /router\.lab/);
    assert.match(reasons[1]!, /not followed by a name/);
    assert.match(reasons[2]!, /'\/'/);
    assert.match(reasons[3]!, /leading zero/);
    assert.match(reasons[4]!, /zone identifier/);
  });

  it('refuses names hosts(5) cannot mean: escapes, empty labels, long labels, non-ASCII', () => {
    const bad = ['a\\.b', 'a..b', '.a', `${'x'.repeat(64)}.lab`, 'münchen.de', '*.lab', '.'];
    const { entries, errors } = parseHostsFile(bad.map((name) => `192.0.2.1 ${name}`).join('\n'));
    assert.equal(entries.length, 0);
    assert.deepEqual(
      errors.map((error) => error.line),
      [1, 2, 3, 4, 5, 6, 7],
    );
    // 253 characters are 255 bytes in wire form (RFC 1035 §3.1): the longest name there is.
    const longest = `${'a.'.repeat(126)}a`;
    assert.equal(parseHostsFile(`192.0.2.1 ${longest}`).entries[0]!.name.wireLength, 255);
    assert.match(parseHostsFile(`192.0.2.1 b${longest}`).errors[0]!.reason, /255/);
    assert.match(parseHostsFile('192.0.2.1 münchen.de').errors[0]!.reason, /'ü'/);
  });

  it('reads an empty file, and a file without a final line end', () => {
    assert.deepEqual(parseHostsFile(''), { entries: [], errors: [] });
    assert.equal(parseHostsFile('192.0.2.1 a.lab').entries.length, 1);
  });
});

describe('LocalHosts', () => {
  const hosts = new LocalHosts(parseHostsFile(HOSTS).entries);

  it('answers A, AAAA and ANY with every address listed for the name, in file order', () => {
    const name = DnsName.of('router.lab.');
    assert.deepEqual(addresses(hosts.lookup(name, RecordType.A)), ['A 192.0.2.10']);
    assert.deepEqual(addresses(hosts.lookup(name, RecordType.AAAA)), ['AAAA 2001:db8::10']);
    assert.deepEqual(addresses(hosts.lookup(name, RecordType.ANY)), [
      'A 192.0.2.10',
      'AAAA 2001:db8::10',
    ]);
    assert.deepEqual(addresses(hosts.lookup(DnsName.of('printer.lab.'), RecordType.A)), [
      'A 192.0.2.11',
      'A 192.0.2.14',
    ]);
    assert.deepEqual(addresses(hosts.lookup(DnsName.of('localhost.'), RecordType.ANY)), [
      'A 127.0.0.1',
      'AAAA ::1',
    ]);
  });

  it('answers aliases, case-insensitively, with records owned by the name as asked', () => {
    const asked = DnsName.of('GW.Lab.');
    const answer = hosts.lookup(asked, RecordType.A);
    assert.ok(Array.isArray(answer));
    const [record] = answer as readonly DnsRecord[];
    assert.equal(record!.name, asked);
    assert.equal(record!.type, RecordType.A);
    assert.equal(record!.class, 1);
    assert.equal(record!.ttl, DEFAULT_HOSTS_TTL);
    assert.deepEqual(record!.data, { kind: 'A', address: '192.0.2.10' });
    assert.deepEqual(addresses(hosts.lookup(DnsName.of('router.'), RecordType.A)), [
      'A 192.0.2.10',
    ]);
  });

  it("says 'nodata' for a listed name without that type, undefined for an unlisted name", () => {
    assert.equal(hosts.lookup(DnsName.of('printer.lab.'), RecordType.AAAA), 'nodata');
    assert.equal(hosts.lookup(DnsName.of('router.lab.'), RecordType.MX), 'nodata');
    assert.equal(hosts.lookup(DnsName.of('router.lab.'), RecordType.PTR), 'nodata');
    assert.equal(hosts.lookup(DnsName.of('nowhere.lab.'), RecordType.A), undefined);
    assert.equal(hosts.lookup(DnsName.of('lab.'), RecordType.A), undefined, 'not an ancestor');
    assert.equal(hosts.lookup(DnsName.of('x.router.lab.'), RecordType.A), undefined);
  });

  it('answers PTR for listed IPv4 addresses with the first name (RFC 1035 §3.5)', () => {
    assert.deepEqual(addresses(hosts.lookup(v4Reverse('192.0.2.10'), RecordType.PTR)), [
      'PTR router.lab.',
    ]);
    assert.deepEqual(addresses(hosts.lookup(v4Reverse('127.0.0.1'), RecordType.ANY)), [
      'PTR localhost.',
    ]);
    assert.equal(hosts.lookup(v4Reverse('192.0.2.10'), RecordType.A), 'nodata');
    assert.equal(hosts.lookup(v4Reverse('192.0.2.99'), RecordType.PTR), undefined);
    const upper = DnsName.of('10.2.0.192.IN-ADDR.ARPA.');
    assert.deepEqual(addresses(hosts.lookup(upper, RecordType.PTR)), ['PTR router.lab.']);
  });

  it('answers PTR for listed IPv6 addresses at their nibble names (RFC 3596 §2.5)', () => {
    // 2001:db8::10, nibbles from the last: 0 1 0 0, twenty zeros, 8 b d 0 1 0 0 2.
    const reverse = DnsName.of(`0.1.0.0.${'0.'.repeat(20)}8.b.d.0.1.0.0.2.ip6.arpa.`);
    assert.deepEqual(addresses(hosts.lookup(reverse, RecordType.PTR)), ['PTR router.lab.']);
    const loopback = DnsName.of(`1.${'0.'.repeat(31)}ip6.arpa.`);
    assert.deepEqual(addresses(hosts.lookup(loopback, RecordType.PTR)), ['PTR localhost.']);
    assert.equal(hosts.lookup(loopback, RecordType.AAAA), 'nodata');
  });

  it('counts distinct names and takes the TTL it is given', () => {
    // localhost loopback ip6-localhost router.lab router gw.lab printer.lab second.lab good.lab
    assert.equal(hosts.size, 9);
    const zero = new LocalHosts(parseHostsFile('192.0.2.1 a.lab').entries, { ttl: 0 });
    const answer = zero.lookup(DnsName.of('a.lab.'), RecordType.A);
    assert.ok(Array.isArray(answer));
    assert.equal((answer as readonly DnsRecord[])[0]!.ttl, 0);
    assert.equal(new LocalHosts([]).size, 0);
  });

  it('throws RangeError for a bad TTL or an entry whose address is not of its family', () => {
    const name = DnsName.of('a.lab.');
    for (const ttl of [-1, 1.5, 2 ** 31, Number.NaN]) {
      assert.throws(() => new LocalHosts([], { ttl }), RangeError);
    }
    assert.throws(() => new LocalHosts([{ name, address: '::1', family: 4 }]), RangeError);
    assert.throws(() => new LocalHosts([{ name, address: 'nope', family: 6 }]), RangeError);
  });
});

describe('hosts files from random text', () => {
  const fragments = fc.constantFrom(
    '127.0.0.1',
    '::1',
    '2001:db8::1',
    'fe80::1%lo0',
    '1.2.3',
    'a.lab',
    'A.LAB.',
    'x',
    '..',
    '\\',
    '#',
    ' ',
    '\t',
    '\r',
    '\n',
    '\uFEFF',
    'ü',
  );

  it('never throw, and give entries LocalHosts accepts and errors on existing lines', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ unit: fragments, maxLength: 40 }), fc.string({ unit: 'binary' })),
        (text) => {
          const { entries, errors } = parseHostsFile(text);
          const lineCount = text.split('\n').length;
          for (const error of errors) assert.ok(error.line >= 1 && error.line <= lineCount);
          const hosts = new LocalHosts(entries);
          for (const entry of entries) {
            const answer = hosts.lookup(
              entry.name,
              entry.family === 4 ? RecordType.A : RecordType.AAAA,
            );
            assert.ok(Array.isArray(answer));
          }
        },
      ),
      { numRuns: 500, seed: 20_241_121 },
    );
  });
});
