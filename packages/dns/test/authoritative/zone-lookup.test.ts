import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { unwrap } from '@oasis/core';
import { AddressList } from '../../src/address-list.ts';
import { answerAuthoritatively } from '../../src/authoritative/authoritative-answer.ts';
import { Zone } from '../../src/authoritative/zone.ts';
import { lookupInZone } from '../../src/authoritative/zone-lookup.ts';
import { ZoneSet } from '../../src/authoritative/zone-set.ts';
import { Rcode, RecordType, recordTypeName } from '../../src/wire/constants.ts';
import { type DnsMessage, type DnsRecord, makeQuery } from '../../src/wire/message.ts';
import { DnsName } from '../../src/wire/name.ts';
import { rdataToText } from '../../src/wire/rdata/registry.ts';
import { parseZoneFile } from '../../src/zone-file/zone-file-parser.ts';

const APEX = DnsName.of('example.com.');
const text = readFileSync(
  join(import.meta.dirname, '../zone-file/corpus/example.com.zone'),
  'utf8',
);
const records = unwrap(parseZoneFile(text, { fileName: 'example.com.zone', origin: APEX }));
const zone = unwrap(Zone.build(APEX, records));

/** Records as `owner TTL TYPE rdata` lines, the way dig prints them. */
function lines(list: readonly DnsRecord[]): string[] {
  return list.map((r) => `${r.name} ${r.ttl} ${recordTypeName(r.type)} ${rdataToText(r.data)}`);
}

function ask(name: string, type: number) {
  return lookupInZone(zone, DnsName.of(name, APEX), type);
}

describe('lookup in a zone (RFC 1034 §4.3.2)', () => {
  it('answers authoritatively with the RRset asked for', () => {
    const found = ask('www', RecordType.A);
    assert.equal(found.rcode, Rcode.NOERROR);
    assert.equal(found.authoritative, true);
    assert.deepEqual(lines(found.answers), ['www.example.com. 3600 A 192.0.2.80']);
    assert.deepEqual(found.authorities, []);
  });

  it('answers NODATA and NXDOMAIN with the SOA at its negative TTL (RFC 2308 §3)', () => {
    const nodata = ask('www', RecordType.MX);
    assert.equal(nodata.rcode, Rcode.NOERROR);
    assert.deepEqual(nodata.answers, []);
    assert.equal(nodata.authorities[0]?.type, RecordType.SOA);
    assert.equal(nodata.authorities[0]?.ttl, 300);
    const nxdomain = ask('nope', RecordType.A);
    assert.equal(nxdomain.rcode, Rcode.NXDOMAIN);
    assert.equal(nxdomain.authorities[0]?.type, RecordType.SOA);
  });

  it('answers NODATA, not NXDOMAIN, for an empty non-terminal (RFC 8020)', () => {
    const found = ask('_tcp.www', RecordType.A);
    assert.equal(found.rcode, Rcode.NOERROR);
    assert.deepEqual(found.answers, []);
  });

  it('follows a CNAME chain inside the zone', () => {
    assert.deepEqual(lines(ask('alias', RecordType.A).answers), [
      'alias.example.com. 3600 CNAME alias2.example.com.',
      'alias2.example.com. 3600 CNAME www.example.com.',
      'www.example.com. 3600 A 192.0.2.80',
    ]);
    assert.deepEqual(lines(ask('alias', RecordType.CNAME).answers), [
      'alias.example.com. 3600 CNAME alias2.example.com.',
    ]);
  });

  it('synthesises answers from a wildcard for names that do not exist (RFC 4592)', () => {
    assert.deepEqual(lines(ask('anything.wild', RecordType.A).answers), [
      'anything.wild.example.com. 3600 A 192.0.2.99',
    ]);
    assert.deepEqual(lines(ask('a.b.wild', RecordType.TXT).answers), [
      'a.b.wild.example.com. 3600 TXT "wildcard"',
    ]);
    const nodata = ask('anything.wild', RecordType.MX);
    assert.equal(nodata.rcode, Rcode.NOERROR);
    assert.deepEqual(nodata.answers, []);
    // The wildcard's parent exists (an empty non-terminal): it is not covered by its own child.
    assert.deepEqual(ask('wild', RecordType.A).answers, []);
    assert.equal(ask('wild', RecordType.A).rcode, Rcode.NOERROR);
  });

  it('refers below a zone cut with NS, DS and glue, without AA', () => {
    const found = ask('host.sub', RecordType.A);
    assert.equal(found.authoritative, false);
    assert.deepEqual(found.answers, []);
    assert.deepEqual(
      lines(found.authorities).map((line) => line.split(' ').slice(0, 3).join(' ')),
      ['sub.example.com. 3600 NS', 'sub.example.com. 3600 NS', 'sub.example.com. 3600 DS'],
    );
    assert.deepEqual(lines(found.additionals), [
      'ns1.sub.example.com. 3600 A 192.0.2.130',
      'ns2.sub.example.com. 3600 AAAA 2001:db8:1::2',
    ]);
    // DS lives on the parent side of the cut (RFC 4035 §3.1.4.1).
    const ds = ask('sub', RecordType.DS);
    assert.equal(ds.authoritative, true);
    assert.equal(ds.answers[0]?.type, RecordType.DS);
  });

  it('substitutes DNAMEs and synthesises the CNAME (RFC 6672 §3.2)', () => {
    assert.deepEqual(lines(ask('host.old', RecordType.A).answers), [
      'old.example.com. 3600 DNAME new.example.com.',
      'host.old.example.com. 3600 CNAME host.new.example.com.',
      'host.new.example.com. 3600 A 192.0.2.77',
    ]);
    assert.equal(ask('gone.old', RecordType.A).rcode, Rcode.NXDOMAIN);
    // The DNAME's own name is not redirected.
    assert.equal(ask('old', RecordType.DNAME).answers.length, 1);
  });

  it('adds the addresses of MX, SRV and NS targets inside the zone', () => {
    assert.deepEqual(lines(ask('example.com.', RecordType.MX).additionals), [
      'mail.example.com. 3600 A 192.0.2.25',
    ]);
    assert.deepEqual(lines(ask('_sip._udp', RecordType.SRV).additionals), [
      'sip.example.com. 3600 A 192.0.2.60',
    ]);
    assert.deepEqual(lines(ask('example.com.', RecordType.NS).additionals), [
      'ns1.example.com. 3600 A 192.0.2.53',
      'ns1.example.com. 3600 AAAA 2001:db8::53',
    ]);
  });

  it('answers ANY with every RRset at the name, and opaque types as they are', () => {
    assert.deepEqual(
      ask('www', RecordType.ANY).answers.map((r) => recordTypeName(r.type)),
      ['A', 'AAAA', 'HTTPS'],
    );
    assert.deepEqual(lines(ask('opaque', 65534).answers), [
      'opaque.example.com. 3600 TYPE65534 \\# 4 0A0B0C0D',
    ]);
  });
});

describe('zone building', () => {
  const soa = records.find((r) => r.type === RecordType.SOA)!;
  const ns = records.find((r) => r.type === RecordType.NS)!;
  const a = (name: string): DnsRecord => ({
    name: DnsName.of(name),
    type: RecordType.A,
    class: 1,
    ttl: 60,
    data: { kind: 'A', address: '192.0.2.1' },
  });
  const cname = (name: string): DnsRecord => ({
    name: DnsName.of(name),
    type: RecordType.CNAME,
    class: 1,
    ttl: 60,
    data: { kind: 'CNAME', target: APEX },
  });
  const refusal = (list: DnsRecord[]): string => {
    const built = Zone.build(APEX, list);
    assert.ok(!built.ok);
    return built.error;
  };

  it('refuses zones that break the rules, naming the rule and the name', () => {
    assert.match(refusal([ns, a('x.example.com.')]), /exactly one SOA/);
    assert.match(refusal([soa, a('x.example.com.')]), /no NS records/);
    assert.match(refusal([soa, ns, a('x.example.org.')]), /x\.example\.org\. is outside the zone/);
    assert.match(
      refusal([soa, ns, cname('x.example.com.'), a('x.example.com.')]),
      /CNAME must stand alone/,
    );
    assert.match(
      refusal([soa, ns, { ...soa, name: DnsName.of('x.example.com.') }]),
      /below the apex/,
    );
  });

  it('keeps one copy of duplicate records (RFC 2181 §5)', () => {
    const built = unwrap(Zone.build(APEX, [soa, ns, a('x.example.com.'), a('X.example.com.')]));
    assert.equal(built.rrset(DnsName.of('x.example.com.'), RecordType.A)?.records.length, 1);
  });
});

describe('authoritative answers', () => {
  const zones = new ZoneSet([zone]);
  const allow = unwrap(AddressList.parse(['127.0.0.0/8']));
  const query = (name: string, type: number): DnsMessage =>
    makeQuery(0x1234, { name: DnsName.of(name), type, class: 1 });
  const tcp = { transport: 'tcp' as const, client: { address: '127.0.0.1' } };
  const udp = { transport: 'udp' as const, client: { address: '127.0.0.1' } };
  const one = (answer: DnsMessage | readonly DnsMessage[]): DnsMessage => {
    assert.ok(!Array.isArray(answer));
    return answer as DnsMessage;
  };

  it('copies the ID and RD, sets QR and AA, and refuses names outside its zones', () => {
    const answer = one(
      answerAuthoritatively(zones, query('www.example.com.', 1), udp, { axfrAllow: allow }),
    );
    assert.equal(answer.id, 0x1234);
    assert.equal(answer.qr, true);
    assert.equal(answer.aa, true);
    assert.equal(answer.rd, true);
    assert.equal(answer.ra, false);
    const outside = one(
      answerAuthoritatively(zones, query('example.org.', 1), udp, { axfrAllow: allow }),
    );
    assert.equal(outside.rcode, Rcode.REFUSED);
    const notify = one(
      answerAuthoritatively(zones, { ...query('example.com.', 6), opcode: 4 }, udp, {
        axfrAllow: allow,
      }),
    );
    assert.equal(notify.rcode, Rcode.NOTIMP);
  });

  it('transfers the zone over TCP to allowed clients only (RFC 5936)', () => {
    const messages = answerAuthoritatively(zones, query('example.com.', RecordType.AXFR), tcp, {
      axfrAllow: allow,
    });
    assert.ok(Array.isArray(messages));
    const all = (messages as DnsMessage[]).flatMap((message) => message.answers);
    assert.equal(all.length, records.length + 1);
    assert.equal(all[0]?.type, RecordType.SOA);
    assert.equal(all.at(-1)?.type, RecordType.SOA);
    for (const [answer, expected] of [
      [
        answerAuthoritatively(zones, query('example.com.', RecordType.AXFR), udp, {
          axfrAllow: allow,
        }),
        Rcode.REFUSED,
      ],
      [
        answerAuthoritatively(
          zones,
          query('example.com.', RecordType.AXFR),
          { transport: 'tcp', client: { address: '10.0.0.1' } },
          { axfrAllow: allow },
        ),
        Rcode.REFUSED,
      ],
      [
        answerAuthoritatively(zones, query('www.example.com.', RecordType.AXFR), tcp, {
          axfrAllow: allow,
        }),
        Rcode.NOTAUTH,
      ],
    ] as const) {
      assert.equal(one(answer).rcode, expected);
    }
  });
});
