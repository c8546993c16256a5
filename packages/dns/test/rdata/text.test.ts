import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex } from '@oasis/core';
import { parseRecordType } from '../../src/wire/constants.ts';
import { DnsName } from '../../src/wire/name.ts';
import type { ZoneToken } from '../../src/wire/rdata/rdata-codec.ts';
import { rdataFromText } from '../../src/wire/rdata/registry.ts';
import { zoneTokens } from './zone-tokens.ts';

const ORIGIN = DnsName.of('example.com.');

function parse(type: string, text: string) {
  return rdataFromText(parseRecordType(type)!, zoneTokens(text), ORIGIN);
}

function value(type: string, text: string): unknown {
  const result = parse(type, text);
  assert.ok(result.ok, result.ok ? '' : result.error);
  return result.value;
}

describe('RDATA presentation form', () => {
  it('refuses bad fields, naming the field and saying why', () => {
    const cases: [string, string, string][] = [
      ['A', '', 'the address is missing'],
      ['A', '192.0.2.1 192.0.2.2', "'192.0.2.2' is one field too many"],
      [
        'A',
        '192.0.2',
        "'192.0.2' is not an IPv4 address: expected four decimal octets such as 10.0.0.1",
      ],
      [
        'AAAA',
        'fe80::1%eth0',
        "'fe80::1%eth0' is not an IPv6 address: a zone identifier ('%eth0') is not part of an address",
      ],
      [
        'AAAA',
        '192.0.2.1',
        "'192.0.2.1' is not an IPv6 address: expected 8 groups of hex digits, found 2",
      ],
      ['NS', 'a..b.', "the host: 'a..b.': an empty label"],
      ['MX', '65536 mail', "the preference '65536' is not a number in 0-65535"],
      ['MX', '-1 mail', "the preference '-1' is not a number in 0-65535"],
      ['MX', '0x10 mail', "the preference '0x10' is not a number in 0-65535"],
      ['MX', '10', 'the exchange is missing'],
      ['SRV', '1 2 3', 'the target is missing'],
      [
        'SOA',
        'ns hm 4294967296 1 1 1 1',
        "the serial '4294967296' is not a number in 0-4294967295",
      ],
      [
        'SOA',
        'ns hm 1 1x 1 1 1',
        "the refresh '1x' is neither seconds nor a duration such as 1h30m",
      ],
      ['SOA', 'ns hm 1 1 h 1 1', "the retry 'h' is neither seconds nor a duration such as 1h30m"],
      ['SOA', 'ns hm 1 1 1 7102w 1', "the expire '7102w' is more than 4294967295 seconds"],
      ['SOA', 'ns hm 1 1 1 1', 'the minimum is missing'],
      ['TXT', '', 'the text is missing'],
      [
        'TXT',
        `"${'x'.repeat(256)}"`,
        'the text is 256 bytes and a character-string holds at most 255',
      ],
      ['TXT', '"bad \\25"', 'the text has a bad escape at character 5'],
      ['TXT', '"bad \\256"', 'the text has a bad escape at character 5'],
      ['CAA', '0 is-sue "x"', "the tag 'is-sue' is not 1-255 ASCII letters and digits"],
      ['CAA', '256 issue "x"', "the flags '256' is not a number in 0-255"],
      ['CAA', '0 issue', 'the value is missing'],
      ['DS', '1 8 2 abc', "the digest 'abc' is not hex, two digits a byte"],
      ['DS', '1 8 2', 'the digest is missing'],
      ['DS', '1 8 2 ""', 'the digest is missing'],
      ['DNSKEY', '257 3 8 AB==', 'the public key is not canonical padded base64'],
      ['DNSKEY', '257 3 8 AAA', 'the public key is not canonical padded base64'],
      ['DNSKEY', '257 3 8', 'the public key is missing'],
      ['RRSIG', 'FOO 8 2 1 1 1 1 . AA==', "the type covered 'FOO' is not a record type"],
      [
        'RRSIG',
        'A 8 2 1 20230230000000 1 1 . AA==',
        "the expiration '20230230000000' is not a date and time in 1970-2106 as YYYYMMDDHHmmSS",
      ],
      [
        'RRSIG',
        'A 8 2 1 21070101000000 1 1 . AA==',
        "the expiration '21070101000000' is not a date and time in 1970-2106 as YYYYMMDDHHmmSS",
      ],
      [
        'RRSIG',
        'A 8 2 1 1 19691231235959 1 . AA==',
        "the inception '19691231235959' is not a date and time in 1970-2106 as YYYYMMDDHHmmSS",
      ],
      [
        'RRSIG',
        'A 8 2 1 1 4294967296 1 . AA==',
        "the inception '4294967296' is not a number in 0-4294967295",
      ],
      ['NSEC', 'next.', 'the types are missing'],
      ['NSEC', 'next. A FOO', "'FOO' is not a record type"],
      ['NSEC', 'next. TYPE65536', "'TYPE65536' is not a record type"],
      ['NSEC3', '1 0 0 "" 00 A', "the salt '' is not '-' or 1-255 bytes in hex"],
      ['NSEC3', '1 0 0 abc 00 A', "the salt 'abc' is not '-' or 1-255 bytes in hex"],
      ['NSEC3', '1 0 0 - 0 A', "the next hashed owner name '0' is not unpadded base32hex"],
      ['NSEC3', '1 0 0 - 01 A', "the next hashed owner name '01' is not unpadded base32hex"],
      [
        'NSEC3',
        '1 0 0 - 00====== A',
        "the next hashed owner name '00======' is not unpadded base32hex",
      ],
      ['NSEC3', '1 0 0 - 0w A', "the next hashed owner name '0w' is not unpadded base32hex"],
      [
        'TLSA',
        '3 1 1 xyz0',
        "the certificate association data 'xyz0' is not hex, two digits a byte",
      ],
      ['SSHFP', '1 1', 'the fingerprint is missing'],
      ['SVCB', '1', 'the target name is missing'],
      ['SVCB', '1 . port=53 port=54', 'the SvcParam port is given twice'],
      ['SVCB', '1 . port=53 key3=54', 'the SvcParam port is given twice'],
      ['SVCB', '1 . foo=bar', "'foo' is not a SvcParamKey (a name or key0-key65534)"],
      ['SVCB', '1 . key65535', "'key65535' is not a SvcParamKey (a name or key0-key65534)"],
      ['SVCB', '1 . key0123=x', "'key0123' is not a SvcParamKey (a name or key0-key65534)"],
      ['SVCB', '1 . Port=53', "'Port' is not a SvcParamKey (a name or key0-key65534)"],
      ['SVCB', '1 . port', 'the SvcParam port needs a value'],
      ['SVCB', '1 . port=65536', "the port '65536' is not a number in 0-65535"],
      ['SVCB', '1 . alpn=""', 'the SvcParam alpn needs a value'],
      ['SVCB', '1 . alpn=h2,,h3', 'the SvcParam alpn has an empty item in its list'],
      ['SVCB', '1 . alpn=h2,', 'the SvcParam alpn has an empty item in its list'],
      ['SVCB', '1 . alpn=h2\\\\', 'the SvcParam alpn ends in a lone backslash'],
      [
        'SVCB',
        `1 . alpn=${'x'.repeat(256)}`,
        `the alpn-id '${'x'.repeat(256)}' is longer than 255 bytes`,
      ],
      ['SVCB', '1 . no-default-alpn', 'no-default-alpn needs alpn (RFC 9460 §7.1.1)'],
      ['SVCB', '1 . alpn=h2 no-default-alpn=x', 'the SvcParam no-default-alpn takes no value'],
      ['SVCB', '1 . mandatory=port', 'mandatory lists port, which is not given'],
      [
        'SVCB',
        '1 . mandatory=mandatory,port port=1',
        'mandatory may not list itself (RFC 9460 §8)',
      ],
      ['SVCB', '1 . mandatory=port,key3 port=1', 'mandatory lists port twice'],
      [
        'SVCB',
        '1 . ipv4hint=192.0.2.1,192.0.2',
        "the SvcParam ipv4hint: '192.0.2' is not an IPv4 address: expected four decimal octets such as 10.0.0.1",
      ],
      [
        'SVCB',
        '1 . ipv6hint=192.0.2.1',
        "the SvcParam ipv6hint: '192.0.2.1' is not an IPv6 address: expected 8 groups of hex digits, found 2",
      ],
      ['SVCB', '1 . ech=AEX', 'the SvcParam ech is not canonical padded base64'],
      ['SVCB', '1 . "port=53"', '"port=53" is not a SvcParam: a param starts with its key'],
    ];
    for (const [type, text, error] of cases) {
      assert.deepEqual(parse(type, text), { ok: false, error }, `${type} ${text}`);
    }
  });

  it('takes SvcParam values quoted inside the field, as one token', () => {
    const tokens: ZoneToken[] = [
      { text: '1', quoted: false },
      { text: '.', quoted: false },
      { text: 'alpn="h2,h3"', quoted: false },
      { text: 'key65000="a\\"b"', quoted: false },
    ];
    assert.deepEqual(rdataFromText(64, tokens, undefined), {
      ok: true,
      value: {
        kind: 'SVCB',
        priority: 1,
        target: DnsName.ROOT,
        params: [
          { key: 1, value: fromHex('02 6832 02 6833') },
          { key: 65000, value: fromHex('61 22 62') },
        ],
      },
    });
    for (const bad of ['alpn="h2', 'alpn="h2\\"', 'alpn="']) {
      assert.deepEqual(
        rdataFromText(64, [tokens[0]!, tokens[1]!, { text: bad, quoted: false }], undefined),
        {
          ok: false,
          error: 'the value of alpn has an opening quote without a closing one',
        },
      );
    }
  });

  it('resolves relative names against the origin, and refuses them without one', () => {
    assert.deepEqual(value('CNAME', 'www'), {
      kind: 'CNAME',
      target: DnsName.of('www.example.com.'),
    });
    assert.deepEqual(value('SRV', '0 0 1 .'), {
      kind: 'SRV',
      priority: 0,
      weight: 0,
      port: 1,
      target: DnsName.ROOT,
    });
    assert.deepEqual(rdataFromText(5, zoneTokens('www'), undefined), {
      ok: false,
      error: "the target: 'www' is relative and there is no origin",
    });
  });

  it('reads RRSIG times as dates or as seconds, and both ends of the 32-bit range', () => {
    const rrsig = (expiration: string, inception: string) =>
      value('RRSIG', `A 8 2 300 ${expiration} ${inception} 1 . AA==`) as {
        expiration: number;
        inception: number;
      };
    assert.deepEqual(
      { ...rrsig('21060207062815', '19700101000000') },
      { ...rrsig('4294967295', '0') },
    );
    assert.equal(rrsig('20240229120000', '0').expiration, Date.UTC(2024, 1, 29, 12) / 1000);
  });

  it('reads the generic \\# form for known types, and says when it does not fit', () => {
    assert.deepEqual(value('A', '\\# 4 c0000201'), { kind: 'A', address: '192.0.2.1' });
    assert.deepEqual(parse('A', '\\# 3 c00002'), {
      ok: false,
      error: '\\# RDATA does not fit the type: bad-rdata',
    });
  });

  it('sorts and deduplicates bitmap types and mandatory keys written in any order', () => {
    assert.deepEqual(value('NSEC', 'a. TYPE1 NS a ns'), {
      kind: 'NSEC',
      next: DnsName.of('a.'),
      types: [1, 2],
    });
    assert.deepEqual(
      value('SVCB', '1 . port=1 alpn=h2 mandatory=port,alpn'),
      value('SVCB', '1 . mandatory=alpn,port alpn=h2 port=1'),
    );
  });
});
