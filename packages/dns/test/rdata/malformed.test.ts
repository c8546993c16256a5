import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex } from '@oasis/core';
import { RecordType } from '../../src/wire/constants.ts';
import { DnsReader } from '../../src/wire/dns-reader.ts';
import { type DnsWireReason, isDnsWireError } from '../../src/wire/dns-wire-error.ts';
import { DnsWriter } from '../../src/wire/dns-writer.ts';
import { DnsName } from '../../src/wire/name.ts';
import type { RecordData } from '../../src/wire/rdata/record-data.ts';
import { decodeRdata, encodeRdata } from '../../src/wire/rdata/registry.ts';

function refusal(type: number, hex: string): DnsWireReason | undefined {
  try {
    decodeRdata(type, new DnsReader(fromHex(hex)));
    return undefined;
  } catch (error) {
    assert.ok(isDnsWireError(error));
    return error.reason;
  }
}

const T = RecordType;
const NAME = '03 666f6f 00'; // foo.
const SVCB_HEAD = `0001 ${NAME}`;
const NSEC3_HEAD = '01 00 0000 00 01 aa';

/** [what, type, RDATA hex, reason] */
const MALFORMED: readonly [string, number, string, DnsWireReason][] = [
  ['A of 3 bytes', T.A, 'c00002', 'bad-rdata'],
  ['A of 5 bytes', T.A, 'c000020100', 'bad-rdata'],
  ['AAAA of 15 bytes', T.AAAA, '20010db80000000000000000000000', 'bad-rdata'],
  ['AAAA of 17 bytes', T.AAAA, '20010db800000000000000000000000100', 'bad-rdata'],
  ['an empty A', T.A, '', 'bad-rdata'],
  ['NS with bytes after the name', T.NS, `${NAME} 00`, 'bad-rdata'],
  ['CNAME without its root label', T.CNAME, '03 666f6f', 'truncated'],
  ['a name with a forward pointer', T.PTR, 'c0 02 00', 'bad-pointer'],
  ['a label type 01', T.DNAME, '40 00', 'bad-label-type'],
  ['an empty NS', T.NS, '', 'truncated'],
  [
    'SOA missing its minimum',
    T.SOA,
    `${NAME} ${NAME} 00000001 00000002 00000003 00000004`,
    'truncated',
  ],
  ['SOA with an extra byte', T.SOA, `${NAME} ${NAME} ${'00000001'.repeat(5)} 00`, 'bad-rdata'],
  ['MX without an exchange', T.MX, '000a', 'truncated'],
  ['SRV with an extra byte', T.SRV, `0000 0000 0000 ${NAME} ff`, 'bad-rdata'],
  ['TXT with no string', T.TXT, '', 'bad-rdata'],
  ['TXT whose string runs past the RDATA', T.TXT, '05 616263', 'truncated'],
  ['CAA with an empty tag', T.CAA, '00 00 616263', 'bad-rdata'],
  ['CAA with a tag that is not alphanumeric', T.CAA, '00 05 697373752d 616263', 'bad-rdata'],
  ['CAA with a tag past the end', T.CAA, '00 09 6973737565', 'truncated'],
  ['DS without a digest', T.DS, 'ec45 05 01', 'bad-rdata'],
  ['DNSKEY without a key', T.DNSKEY, '0100 03 08', 'bad-rdata'],
  [
    'RRSIG without a signature',
    T.RRSIG,
    `0001 08 02 00000e10 00000002 00000001 1234 ${NAME}`,
    'bad-rdata',
  ],
  ['TLSA without data', T.TLSA, '03 01 01', 'bad-rdata'],
  ['SSHFP without a fingerprint', T.SSHFP, '01 01', 'bad-rdata'],
  ['SSHFP of one byte', T.SSHFP, '01', 'truncated'],
  // RFC 4034 §4.1.2 type bitmaps.
  ['NSEC without types', T.NSEC, NAME, 'bad-rdata'],
  ['NSEC windows out of order', T.NSEC, `${NAME} 01 01 40 00 01 40`, 'bad-rdata'],
  ['NSEC with a window twice', T.NSEC, `${NAME} 00 01 40 00 01 20`, 'bad-rdata'],
  ['NSEC with an empty bitmap', T.NSEC, `${NAME} 00 00`, 'bad-rdata'],
  ['NSEC with a 33-byte bitmap', T.NSEC, `${NAME} 00 21 ${'00'.repeat(32)}01`, 'bad-rdata'],
  ['NSEC with a trailing zero byte', T.NSEC, `${NAME} 00 02 40 00`, 'bad-rdata'],
  ['NSEC with a bitmap past the end', T.NSEC, `${NAME} 00 03 40 00`, 'truncated'],
  ['NSEC with a window number alone', T.NSEC, `${NAME} 00`, 'truncated'],
  ['NSEC3 with a hash of no bytes', T.NSEC3, '01 00 0000 00 00 0006400000000002', 'bad-rdata'],
  ['NSEC3 with a salt past the end', T.NSEC3, '01 00 0000 08 aabb', 'truncated'],
  ['NSEC3 with a trailing zero byte', T.NSEC3, `${NSEC3_HEAD} 00 02 40 00`, 'bad-rdata'],
  ['NSEC3 with windows out of order', T.NSEC3, `${NSEC3_HEAD} 02 01 40 01 01 40`, 'bad-rdata'],
  // RFC 9460 §2.2 and §7.
  [
    'SVCB with keys out of order',
    T.SVCB,
    `${SVCB_HEAD} 0003 0002 0035 0001 0003 026832`,
    'bad-rdata',
  ],
  ['SVCB with a key twice', T.SVCB, `${SVCB_HEAD} 0003 0002 0035 0003 0002 0036`, 'bad-rdata'],
  ['SVCB with key 65535', T.SVCB, `${SVCB_HEAD} ffff 0000`, 'bad-rdata'],
  ['SVCB with a value past the end', T.HTTPS, `${SVCB_HEAD} 0003 0003 0035`, 'truncated'],
  ['SVCB with half a key', T.SVCB, `${SVCB_HEAD} 00`, 'truncated'],
  ['SVCB with a port of 3 bytes', T.SVCB, `${SVCB_HEAD} 0003 0003 003500`, 'bad-rdata'],
  ['SVCB with an empty alpn', T.SVCB, `${SVCB_HEAD} 0001 0000`, 'bad-rdata'],
  ['SVCB with an empty alpn-id', T.SVCB, `${SVCB_HEAD} 0001 0004 026832 00`, 'bad-rdata'],
  ['SVCB with an alpn-id past its value', T.SVCB, `${SVCB_HEAD} 0001 0003 036832`, 'bad-rdata'],
  [
    'SVCB with no-default-alpn and a value',
    T.SVCB,
    `${SVCB_HEAD} 0001 0003 026832 0002 0001 00`,
    'bad-rdata',
  ],
  ['SVCB with no-default-alpn and no alpn', T.HTTPS, `${SVCB_HEAD} 0002 0000`, 'bad-rdata'],
  ['SVCB with an ipv4hint of 5 bytes', T.SVCB, `${SVCB_HEAD} 0004 0005 c000020100`, 'bad-rdata'],
  ['SVCB with an empty ipv4hint', T.SVCB, `${SVCB_HEAD} 0004 0000`, 'bad-rdata'],
  [
    'SVCB with an ipv6hint of 15 bytes',
    T.SVCB,
    `${SVCB_HEAD} 0006 000f ${'00'.repeat(15)}`,
    'bad-rdata',
  ],
  ['SVCB with an empty mandatory', T.SVCB, `${SVCB_HEAD} 0000 0000`, 'bad-rdata'],
  [
    'SVCB with a mandatory of odd length',
    T.SVCB,
    `${SVCB_HEAD} 0000 0003 000300 0003 0002 0035`,
    'bad-rdata',
  ],
  [
    'SVCB with mandatory listing itself',
    T.SVCB,
    `${SVCB_HEAD} 0000 0004 0000 0003 0003 0002 0035`,
    'bad-rdata',
  ],
  [
    'SVCB with mandatory out of order',
    T.SVCB,
    `${SVCB_HEAD} 0000 0004 0004 0003 0003 0002 0035 0004 0004 c0000201`,
    'bad-rdata',
  ],
  [
    'SVCB with mandatory listing a missing key',
    T.SVCB,
    `${SVCB_HEAD} 0000 0004 0003 0004 0003 0002 0035`,
    'bad-rdata',
  ],
];

describe('malformed RDATA', () => {
  for (const [what, type, hex, reason] of MALFORMED) {
    it(`refuses ${what}: ${reason}`, () => {
      assert.equal(refusal(type, hex), reason);
    });
  }

  it('accepts what the refusals above are near to', () => {
    for (const [type, hex] of [
      [T.NSEC, `${NAME} 00 01 40 01 01 40`],
      [T.NSEC3, `${NSEC3_HEAD}`],
      [T.SVCB, `${SVCB_HEAD} 0000 0004 0003 0004 0003 0002 0035 0004 0004 c0000201`],
      [T.SVCB, `${SVCB_HEAD} 0001 0003 026832 0002 0000`],
      [T.SVCB, `${SVCB_HEAD} ${'fffe'} 0000`],
      [T.CAA, '00 0f 616263646566676869303132333435'],
    ] as const) {
      assert.equal(refusal(type, hex), undefined, hex);
    }
  });
});

describe('encoding data the wire cannot hold', () => {
  const name = DnsName.of('foo.');
  const cases: [string, number, RecordData, RegExp][] = [
    ['an A address that is not one', T.A, { kind: 'A', address: '1.2.3' }, /not an IPv4 address/],
    [
      'an AAAA address with a zone',
      T.AAAA,
      { kind: 'AAAA', address: 'fe80::1%eth0' },
      /zone identifier/,
    ],
    [
      'a preference over 65535',
      T.MX,
      { kind: 'MX', preference: 65536, exchange: name },
      /preference must be an integer in 0-65535/,
    ],
    [
      'a negative serial',
      T.SOA,
      {
        kind: 'SOA',
        mname: name,
        rname: name,
        serial: -1,
        refresh: 0,
        retry: 0,
        expire: 0,
        minimum: 0,
      },
      /serial/,
    ],
    [
      'a fractional port',
      T.SRV,
      { kind: 'SRV', priority: 0, weight: 0, port: 1.5, target: name },
      /port/,
    ],
    ['TXT without strings', T.TXT, { kind: 'TXT', strings: [] }, /at least one string/],
    [
      'a TXT string of 256 bytes',
      T.TXT,
      { kind: 'TXT', strings: [new Uint8Array(256)] },
      /length of the TXT string/,
    ],
    [
      'a CAA tag with a dash',
      T.CAA,
      { kind: 'CAA', flags: 0, tag: 'is-sue', value: new Uint8Array(0) },
      /CAA tag/,
    ],
    [
      'an empty DS digest',
      T.DS,
      { kind: 'DS', keyTag: 1, algorithm: 8, digestType: 2, digest: new Uint8Array(0) },
      /digest must have at least one byte/,
    ],
    ['NSEC types out of order', T.NSEC, { kind: 'NSEC', next: name, types: [2, 1] }, /ascending/],
    ['NSEC without types', T.NSEC, { kind: 'NSEC', next: name, types: [] }, /at least one type/],
    [
      'an NSEC3 type above 65535',
      T.NSEC3,
      {
        kind: 'NSEC3',
        hashAlgorithm: 1,
        flags: 0,
        iterations: 0,
        salt: new Uint8Array(0),
        nextHashedOwner: Uint8Array.of(1),
        types: [65536],
      },
      /ascending/,
    ],
    [
      'an NSEC3 salt of 256 bytes',
      T.NSEC3,
      {
        kind: 'NSEC3',
        hashAlgorithm: 1,
        flags: 0,
        iterations: 0,
        salt: new Uint8Array(256),
        nextHashedOwner: Uint8Array.of(1),
        types: [],
      },
      /salt/,
    ],
    [
      'an empty NSEC3 hash',
      T.NSEC3,
      {
        kind: 'NSEC3',
        hashAlgorithm: 1,
        flags: 0,
        iterations: 0,
        salt: new Uint8Array(0),
        nextHashedOwner: new Uint8Array(0),
        types: [],
      },
      /1-255 bytes/,
    ],
    [
      'SVCB params out of order',
      T.SVCB,
      {
        kind: 'SVCB',
        priority: 1,
        target: name,
        params: [
          { key: 3, value: fromHex('0035') },
          { key: 1, value: fromHex('026832') },
        ],
      },
      /strictly increasing/,
    ],
    [
      'an SVCB port of one byte',
      T.SVCB,
      { kind: 'SVCB', priority: 1, target: name, params: [{ key: 3, value: fromHex('35') }] },
      /fit their keys/,
    ],
  ];
  for (const [what, type, data, message] of cases) {
    it(`throws RangeError for ${what}`, () => {
      assert.throws(
        () => encodeRdata(type, data, new DnsWriter()),
        (error: unknown) => {
          assert.ok(error instanceof RangeError);
          assert.match(error.message, message);
          return true;
        },
      );
    });
  }

  it('throws TypeError for data of another type', () => {
    assert.throws(
      () =>
        encodeRdata(
          T.SVCB,
          { kind: 'HTTPS', priority: 0, target: name, params: [] },
          new DnsWriter(),
        ),
      TypeError,
    );
  });
});
