// Test helper: one or more real RDATA per type, mostly the RFCs' own examples: wire bytes, the data they hold,
// the text dig 9.18 prints for them (checked against dig answering from a loopback server), and
// other ways zone files write the same data.

import { fromHex } from '@oasis/core';
import { RecordType } from '../../src/wire/constants.ts';
import { DnsName } from '../../src/wire/name.ts';
import type { RecordData } from '../../src/wire/rdata/record-data.ts';

export interface Fixture {
  readonly type: number;
  /** Where the example comes from. */
  readonly source: string;
  readonly wire: string;
  readonly data: RecordData;
  /** What dig prints. */
  readonly text: string;
  /** Other zone file spellings of the same data, relative names against example.com. */
  readonly alternatives?: readonly string[];
}

const name = (text: string) => DnsName.of(text);
const bytes = (text: string) => Uint8Array.from(text, (char) => char.charCodeAt(0));
/** The origin of the alternatives' relative names. */
export const ORIGIN = name('example.com.');

export const FIXTURES: readonly Fixture[] = [
  {
    type: RecordType.A,
    source: 'RFC 1035 §3.4.1',
    wire: 'c0 00 02 01',
    data: { kind: 'A', address: '192.0.2.1' },
    text: '192.0.2.1',
  },
  {
    type: RecordType.AAAA,
    source: 'RFC 3596 §2.2',
    wire: '2001 0db8 0000 0000 0000 0000 0000 0001',
    data: { kind: 'AAAA', address: '2001:db8::1' },
    text: '2001:db8::1',
    alternatives: ['2001:DB8:0:0:0:0:0:1', '2001:0db8::0001'],
  },
  {
    type: RecordType.AAAA,
    source: 'RFC 4291 §2.5.5.2, IPv4-mapped',
    wire: '0000 0000 0000 0000 0000 ffff 0102 0304',
    data: { kind: 'AAAA', address: '::ffff:1.2.3.4' },
    text: '::ffff:1.2.3.4',
    alternatives: ['::ffff:102:304', '0:0:0:0:0:ffff:1.2.3.4'],
  },
  {
    type: RecordType.NS,
    source: 'RFC 1035 §3.3.11',
    wire: '03 6e7331 07 6578616d706c65 03 636f6d 00 # ns1.example.com.',
    data: { kind: 'NS', host: name('ns1.example.com.') },
    text: 'ns1.example.com.',
    alternatives: ['ns1'],
  },
  {
    type: RecordType.CNAME,
    source: 'RFC 1035 §3.3.1, case kept',
    wire: '03 577757 07 6578616d706c65 03 636f6d 00 # WwW.example.com.',
    data: { kind: 'CNAME', target: name('WwW.example.com.') },
    text: 'WwW.example.com.',
  },
  {
    type: RecordType.DNAME,
    source: 'RFC 6672 §2.1',
    wire: '07 6578616d706c65 03 6e6574 00 # example.net.',
    data: { kind: 'DNAME', target: name('example.net.') },
    text: 'example.net.',
  },
  {
    type: RecordType.PTR,
    source: 'RFC 1035 §3.3.12, a label with a dot and a space',
    wire: '03 612e62 04 6320 6400 00 # a\\.b.c\\032d\\000.',
    data: { kind: 'PTR', target: DnsName.fromLabels([bytes('a.b'), bytes('c d\0')]) },
    text: 'a\\.b.c\\032d\\000.',
  },
  {
    type: RecordType.SOA,
    source: 'RFC 1035 §3.3.13',
    wire: `03 6e7331 07 6578616d706c65 03 636f6d 00   # MNAME ns1.example.com.
           0a 686f73746d6173746572 c0 04            # RNAME hostmaster + pointer to example.com.
           78a3 f175                                # SERIAL 2024010101
           0000 1c20                                # REFRESH 7200
           0000 0e10                                # RETRY 3600
           0009 3a80                                # EXPIRE 604800
           0000 012c                                # MINIMUM 300`,
    data: {
      kind: 'SOA',
      mname: name('ns1.example.com.'),
      rname: name('hostmaster.example.com.'),
      serial: 2024010101,
      refresh: 7200,
      retry: 3600,
      expire: 604800,
      minimum: 300,
    },
    text: 'ns1.example.com. hostmaster.example.com. 2024010101 7200 3600 604800 300',
    alternatives: [
      'ns1 hostmaster ( 2024010101 2h 1h 1w 5m )',
      'ns1 hostmaster 2024010101 2H 60M 6d24h 300s',
      'ns1 hostmaster 2024010101 1h60m 3600 1W 4m60s',
    ],
  },
  {
    type: RecordType.MX,
    source: 'RFC 1035 §3.3.9',
    wire: '000a 04 6d61696c 07 6578616d706c65 03 636f6d 00 # 10 mail.example.com.',
    data: { kind: 'MX', preference: 10, exchange: name('mail.example.com.') },
    text: '10 mail.example.com.',
    alternatives: ['10 mail', '010 mail.example.com.'],
  },
  {
    type: RecordType.TXT,
    source: 'RFC 1035 §3.3.14, escapes as dig prints them',
    wire: `0b 68656c6c6f20776f726c64   # "hello world"
           03 61 22 62               # a"b
           05 5c 3b 78 ff 09         # \\;x, 255, tab
           00                        # ""`,
    data: {
      kind: 'TXT',
      strings: [bytes('hello world'), bytes('a"b'), fromHex('5c 3b 78 ff 09'), new Uint8Array(0)],
    },
    text: '"hello world" "a\\"b" "\\\\;x\\255\\009" ""',
    alternatives: [
      '"hello world" a\\"b \\\\\\;x\\255\\009 ""',
      '( "hello\\032world"\n "a\\"b" "\\\\;x\\255\\009" "" )',
    ],
  },
  {
    type: RecordType.TXT,
    source: 'UTF-8 text in a zone file',
    wire: '06 c3a9 e282ac 21',
    data: { kind: 'TXT', strings: [fromHex('c3a9 e282ac 21')] },
    text: '"\\195\\169\\226\\130\\172!"',
    alternatives: ['"é€!"', 'é€!'],
  },
  {
    type: RecordType.SRV,
    source: 'RFC 2782',
    wire: '0000 0005 13c4 03 736970 07 6578616d706c65 03 636f6d 00 # 0 5 5060 sip.example.com.',
    data: { kind: 'SRV', priority: 0, weight: 5, port: 5060, target: name('sip.example.com.') },
    text: '0 5 5060 sip.example.com.',
  },
  {
    type: RecordType.CAA,
    source: 'RFC 8659 §4.3',
    wire: '00 05 6973737565 63612e6578616d706c652e6e6574 # 0 issue "ca.example.net"',
    data: { kind: 'CAA', flags: 0, tag: 'issue', value: bytes('ca.example.net') },
    text: '0 issue "ca.example.net"',
    alternatives: ['0 issue ca.example.net'],
  },
  {
    type: RecordType.CAA,
    source: 'RFC 8659 §4.5, critical flag, an empty value',
    wire: '80 03 746273',
    data: { kind: 'CAA', flags: 128, tag: 'tbs', value: new Uint8Array(0) },
    text: '128 tbs ""',
  },
  {
    type: RecordType.CAA,
    source: 'RFC 8659 §4.4',
    wire: '00 05 696f646566 6d61696c746f3a736563757269747940 6578616d706c652e636f6d',
    data: { kind: 'CAA', flags: 0, tag: 'iodef', value: bytes('mailto:security@example.com') },
    text: '0 iodef "mailto:security@example.com"',
  },
  {
    type: RecordType.HTTPS,
    source: 'RFC 9460 Appendix D.1, AliasMode',
    wire: '0000 03 666f6f 07 6578616d706c65 03 636f6d 00',
    data: { kind: 'HTTPS', priority: 0, target: name('foo.example.com.'), params: [] },
    text: '0 foo.example.com.',
  },
  {
    type: RecordType.SVCB,
    source: 'RFC 9460 Figure 2',
    wire: '0001 00',
    data: { kind: 'SVCB', priority: 1, target: DnsName.ROOT, params: [] },
    text: '1 .',
  },
  {
    type: RecordType.SVCB,
    source: 'RFC 9460 Figure 3',
    wire: `0010 03 666f6f 07 6578616d706c65 03 636f6d 00
           0003 0002 0035 # port=53`,
    data: {
      kind: 'SVCB',
      priority: 16,
      target: name('foo.example.com.'),
      params: [{ key: 3, value: fromHex('0035') }],
    },
    text: '16 foo.example.com. port=53',
    alternatives: ['16 foo port="53"', '16 foo key3=53'],
  },
  {
    type: RecordType.SVCB,
    source: 'RFC 9460 Figures 4 and 5',
    wire: `0001 03 666f6f 07 6578616d706c65 03 636f6d 00
           029b 0009 68656c6c6fd2716f6f # key667="hello\\210qoo"`,
    data: {
      kind: 'SVCB',
      priority: 1,
      target: name('foo.example.com.'),
      params: [{ key: 667, value: fromHex('68656c6c6fd2716f6f') }],
    },
    text: '1 foo.example.com. key667="hello\\210qoo"',
    alternatives: ['1 foo.example.com. key667=hello\\210qoo'],
  },
  {
    type: RecordType.SVCB,
    source: 'RFC 9460 Figure 6',
    wire: `0001 03 666f6f 07 6578616d706c65 03 636f6d 00
           0006 0020 20010db8000000000000000000000001 20010db8000000000000000000530001`,
    data: {
      kind: 'SVCB',
      priority: 1,
      target: name('foo.example.com.'),
      params: [
        {
          key: 6,
          value: fromHex('20010db8000000000000000000000001 20010db8000000000000000000530001'),
        },
      ],
    },
    text: '1 foo.example.com. ipv6hint=2001:db8::1,2001:db8::53:1',
    alternatives: ['1 foo.example.com. ipv6hint="2001:db8::1,2001:db8::53:1"'],
  },
  {
    type: RecordType.SVCB,
    source: 'RFC 9460 Figure 7',
    wire: `0001 07 6578616d706c65 03 636f6d 00
           0006 0010 20010db8 01220344 00000000 c0000221`,
    data: {
      kind: 'SVCB',
      priority: 1,
      target: name('example.com.'),
      params: [{ key: 6, value: fromHex('20010db8 01220344 00000000 c0000221') }],
    },
    text: '1 example.com. ipv6hint=2001:db8:122:344::c000:221',
    alternatives: ['1 example.com. ipv6hint="2001:db8:122:344::192.0.2.33"'],
  },
  {
    type: RecordType.SVCB,
    source: 'RFC 9460 Figure 8',
    wire: `0010 03 666f6f 07 6578616d706c65 03 6f7267 00   # 16 foo.example.org.
           0000 0004 0001 0004                          # mandatory=alpn,ipv4hint
           0001 0009 02 6832 05 68332d3139              # alpn=h2,h3-19
           0004 0004 c0000201                           # ipv4hint=192.0.2.1`,
    data: {
      kind: 'SVCB',
      priority: 16,
      target: name('foo.example.org.'),
      params: [
        { key: 0, value: fromHex('0001 0004') },
        { key: 1, value: fromHex('02 6832 05 68332d3139') },
        { key: 4, value: fromHex('c0000201') },
      ],
    },
    text: '16 foo.example.org. mandatory=alpn,ipv4hint alpn="h2,h3-19" ipv4hint=192.0.2.1',
    alternatives: [
      '16 foo.example.org. (alpn=h2,h3-19 mandatory=ipv4hint,alpn\n ipv4hint=192.0.2.1)',
      '16 foo.example.org. alpn="h2,h3-19" mandatory="ipv4hint,alpn" ipv4hint=192.0.2.1',
    ],
  },
  {
    type: RecordType.SVCB,
    source: 'RFC 9460 Figure 9, escapes in a value list',
    wire: `0010 03 666f6f 07 6578616d706c65 03 6f7267 00
           0001 000c 08 665c6f6f2c626172 02 6832        # f\\oo,bar and h2`,
    data: {
      kind: 'SVCB',
      priority: 16,
      target: name('foo.example.org.'),
      params: [{ key: 1, value: fromHex('08 665c6f6f2c626172 02 6832') }],
    },
    text: '16 foo.example.org. alpn="f\\\\\\\\oo\\\\,bar,h2"',
    alternatives: ['16 foo.example.org. alpn=f\\\\\\092oo\\092,bar,h2'],
  },
  {
    type: RecordType.HTTPS,
    source: 'an HTTPS record as Cloudflare serves them, with ech and no-default-alpn',
    wire: `0001 00                                        # 1 .
           0001 0006 02 6832 02 6833                   # alpn=h2,h3
           0002 0000                                   # no-default-alpn
           0003 0002 01bb                              # port=443
           0004 0008 68108405 68108505                 # ipv4hint
           0005 0008 0045fe0d00410001                  # ech
           0006 0010 26064700000000000000000068108405  # ipv6hint`,
    data: {
      kind: 'HTTPS',
      priority: 1,
      target: DnsName.ROOT,
      params: [
        { key: 1, value: fromHex('02 6832 02 6833') },
        { key: 2, value: new Uint8Array(0) },
        { key: 3, value: fromHex('01bb') },
        { key: 4, value: fromHex('68108405 68108505') },
        { key: 5, value: fromHex('0045fe0d00410001') },
        { key: 6, value: fromHex('26064700000000000000000068108405') },
      ],
    },
    text: '1 . alpn="h2,h3" no-default-alpn port=443 ipv4hint=104.16.132.5,104.16.133.5 ech=AEX+DQBBAAE= ipv6hint=2606:4700::6810:8405',
    alternatives: [
      '1 . ipv6hint=2606:4700::6810:8405 ech="AEX+DQBBAAE=" ipv4hint=104.16.132.5,104.16.133.5 port=443 no-default-alpn= alpn=h2,h3',
    ],
  },
  {
    type: RecordType.DS,
    source: 'RFC 4034 §5.4',
    wire: 'ec45 05 01 2bb183af5f22588179a53b0a98631fad1a292118',
    data: {
      kind: 'DS',
      keyTag: 60485,
      algorithm: 5,
      digestType: 1,
      digest: fromHex('2bb183af5f22588179a53b0a98631fad1a292118'),
    },
    text: '60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118',
    alternatives: [
      '60485 5 1 ( 2BB183AF5F22588179A53B0A98631FAD1A292118 )',
      '60485 5 1 2bb183af 5f22588179a53b0a98631fad1a292118',
    ],
  },
  {
    type: RecordType.DS,
    source: 'the root KSK-2017 DS (RFC 7958 trust anchor)',
    wire: '4f66 08 02 e06d44b80b8f1d39a95c0b0d7c65d08458e880409bbc683457104237c7f8ec8d',
    data: {
      kind: 'DS',
      keyTag: 20326,
      algorithm: 8,
      digestType: 2,
      digest: fromHex('e06d44b80b8f1d39a95c0b0d7c65d08458e880409bbc683457104237c7f8ec8d'),
    },
    text: '20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237 C7F8EC8D',
  },
  {
    type: RecordType.DNSKEY,
    source: 'RFC 4034 §2.3',
    wire: `0100 03 05                                  # flags 256, protocol 3, algorithm 5
           0103d22a6ca77f35b893206fd35e4c50 6d8378843709b97e041647e1bff43d8d
           64c649af1e371973c9e891fce3df519a 8c840a63ee42a6d2ebddbb97035d215a
           a4e417b1fa45fa11a9741ea2098c1dfa 5fb5feb332fd4bc8152089aef36ba644
           cce2413b3b72be18cbef8da253f4e93d 2103866d9234a2e28df529a67d5468db
           efe3`,
    data: {
      kind: 'DNSKEY',
      flags: 256,
      protocol: 3,
      algorithm: 5,
      publicKey: fromHex(`0103d22a6ca77f35b893206fd35e4c50 6d8378843709b97e041647e1bff43d8d
        64c649af1e371973c9e891fce3df519a 8c840a63ee42a6d2ebddbb97035d215a
        a4e417b1fa45fa11a9741ea2098c1dfa 5fb5feb332fd4bc8152089aef36ba644
        cce2413b3b72be18cbef8da253f4e93d 2103866d9234a2e28df529a67d5468db efe3`),
    },
    text: '256 3 5 AQPSKmynfzW4kyBv015MUG2DeIQ3Cbl+BBZH4b/0PY1kxkmvHjcZc8no kfzj31GajIQKY+5CptLr3buXA10hWqTkF7H6RfoRqXQeogmMHfpftf6z Mv1LyBUgia7za6ZEzOJBOztyvhjL742iU/TpPSEDhm2SNKLijfUppn1U aNvv4w==',
    alternatives: [
      `256 3 5 ( AQPSKmynfzW4kyBv015MUG2DeIQ3
                 Cbl+BBZH4b/0PY1kxkmvHjcZc8no
                 kfzj31GajIQKY+5CptLr3buXA10h
                 WqTkF7H6RfoRqXQeogmMHfpftf6z
                 Mv1LyBUgia7za6ZEzOJBOztyvhjL
                 742iU/TpPSEDhm2SNKLijfUppn1U
                 aNvv4w==  )`,
    ],
  },
  {
    type: RecordType.RRSIG,
    source: 'RFC 4034 §3.3',
    wire: `0001 05 03 00015180                         # A 5 3 86400
           3e7c9dd7 3e5510d7                           # 20030322173103 20030220173103
           0a52                                        # key tag 2642
           07 6578616d706c65 03 636f6d 00              # example.com.
           a090755ba58d1affa576f4375831b431 0920e481218d18a9f164eb3d81afd3b8
           75d3c75428631e0cf2a28d50875f70c3 29d7dbfafea807dc1fba1dc34c95d401
           f23f334ce63bfcf3f1b5b44739e5f0ed ed18d6b33f040a911376d173d757a9f0
           c1fa1798941bb0b36b2df9062790fa7f 0166f2737eea907378341fb12dc0a77a`,
    data: {
      kind: 'RRSIG',
      typeCovered: RecordType.A,
      algorithm: 5,
      labels: 3,
      originalTtl: 86400,
      expiration: 1048354263,
      inception: 1045762263,
      keyTag: 2642,
      signerName: name('example.com.'),
      signature: fromHex(`a090755ba58d1affa576f4375831b431 0920e481218d18a9f164eb3d81afd3b8
        75d3c75428631e0cf2a28d50875f70c3 29d7dbfafea807dc1fba1dc34c95d401
        f23f334ce63bfcf3f1b5b44739e5f0ed ed18d6b33f040a911376d173d757a9f0
        c1fa1798941bb0b36b2df9062790fa7f 0166f2737eea907378341fb12dc0a77a`),
    },
    text: 'A 5 3 86400 20030322173103 20030220173103 2642 example.com. oJB1W6WNGv+ldvQ3WDG0MQkg5IEhjRip8WTrPYGv07h108dUKGMeDPKi jVCHX3DDKdfb+v6oB9wfuh3DTJXUAfI/M0zmO/zz8bW0Rznl8O3tGNaz PwQKkRN20XPXV6nwwfoXmJQbsLNrLfkGJ5D6fwFm8nN+6pBzeDQfsS3A p3o=',
    alternatives: [
      `A 5 3 86400 20030322173103 (
          20030220173103 2642 example.com.
          oJB1W6WNGv+ldvQ3WDG0MQkg5IEhjRip8WTr
          PYGv07h108dUKGMeDPKijVCHX3DDKdfb+v6o
          B9wfuh3DTJXUAfI/M0zmO/zz8bW0Rznl8O3t
          GNazPwQKkRN20XPXV6nwwfoXmJQbsLNrLfkG
          J5D6fwFm8nN+6pBzeDQfsS3Ap3o= )`,
      'TYPE1 5 3 86400 1048354263 1045762263 2642 example.com. oJB1W6WNGv+ldvQ3WDG0MQkg5IEhjRip8WTrPYGv07h108dUKGMeDPKijVCHX3DDKdfb+v6oB9wfuh3DTJXUAfI/M0zmO/zz8bW0Rznl8O3tGNazPwQKkRN20XPXV6nwwfoXmJQbsLNrLfkGJ5D6fwFm8nN+6pBzeDQfsS3Ap3o=',
    ],
  },
  {
    type: RecordType.NSEC,
    source: 'RFC 4034 §4.3',
    wire: `04 686f7374 07 6578616d706c65 03 636f6d 00     # host.example.com.
           00 06 40 01 00 00 00 03                        # window 0: A MX RRSIG NSEC
           04 1b 00000000000000000000000000              # window 4, 27 bytes: TYPE1234
                 00000000000000000000000000 20`,
    data: { kind: 'NSEC', next: name('host.example.com.'), types: [1, 15, 46, 47, 1234] },
    text: 'host.example.com. A MX RRSIG NSEC TYPE1234',
    alternatives: [
      'host ( A MX RRSIG NSEC TYPE1234 )',
      'host.example.com. nsec type1234 MX rrsig A a',
    ],
  },
  {
    type: RecordType.NSEC3,
    source: 'RFC 5155 Appendix A',
    wire: `01 01 000c 04 aabbccdd                         # 1 1 12 aabbccdd
           14 17f3df17b2b2adaef615257de4d2020b 80ac6c7c    # the next hashed owner
           00 06 40 00 00 00 00 02                        # A RRSIG`,
    data: {
      kind: 'NSEC3',
      hashAlgorithm: 1,
      flags: 1,
      iterations: 12,
      salt: fromHex('aabbccdd'),
      nextHashedOwner: fromHex('17f3df17b2b2adaef615257de4d2020b80ac6c7c'),
      types: [1, 46],
    },
    text: '1 1 12 AABBCCDD 2VPTU5TIMAMQTTGL4LUU9KG21E0AOR3S A RRSIG',
    alternatives: ['1 1 12 aabbccdd ( 2vptu5timamqttgl4luu9kg21e0aor3s A RRSIG )'],
  },
  {
    type: RecordType.NSEC3,
    source: 'RFC 5155 §3.3, an empty salt and no types (an empty non-terminal)',
    wire: '01 00 0000 00 14 17f3df17b2b2adaef615257de4d2020b 80ac6c7c',
    data: {
      kind: 'NSEC3',
      hashAlgorithm: 1,
      flags: 0,
      iterations: 0,
      salt: new Uint8Array(0),
      nextHashedOwner: fromHex('17f3df17b2b2adaef615257de4d2020b80ac6c7c'),
      types: [],
    },
    text: '1 0 0 - 2VPTU5TIMAMQTTGL4LUU9KG21E0AOR3S',
  },
  {
    type: RecordType.TLSA,
    source: 'RFC 6698 §2.3',
    wire: `00 00 01 d2abde240d7cd3ee6b4b28c54df034b9 7983a1d16e8a410e4561cb106618e971`,
    data: {
      kind: 'TLSA',
      usage: 0,
      selector: 0,
      matchingType: 1,
      data: fromHex('d2abde240d7cd3ee6b4b28c54df034b97983a1d16e8a410e4561cb106618e971'),
    },
    text: '0 0 1 D2ABDE240D7CD3EE6B4B28C54DF034B97983A1D16E8A410E4561CB10 6618E971',
    alternatives: ['0 0 1 ( d2abde240d7cd3ee6b4b28c54df034b9\n 7983a1d16e8a410e4561cb106618e971 )'],
  },
  {
    type: RecordType.SSHFP,
    source: 'RFC 4255 §3.3',
    wire: '02 01 123456789abcdef67890123456789abcdef67890',
    data: {
      kind: 'SSHFP',
      algorithm: 2,
      fingerprintType: 1,
      fingerprint: fromHex('123456789abcdef67890123456789abcdef67890'),
    },
    text: '2 1 123456789ABCDEF67890123456789ABCDEF67890',
    alternatives: ['2 1 123456789abcdef67890123456789abcdef67890'],
  },
];
