// Test helper: fast-check generators of valid record data for every type with a codec.

import { formatIpv4Address, formatIpv6Address } from '@oasis/wire';
import fc from 'fast-check';
import { RecordType } from '../../src/wire/constants.ts';
import { DnsName } from '../../src/wire/name.ts';
import type { RecordData, SvcParam } from '../../src/wire/rdata/record-data.ts';

/** Records with Object's prototype, like the codecs' data (fast-check's default has none). */
const record = <T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }) =>
  fc.record(model, { noNullPrototype: true });

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
const bytes = (minLength: number, maxLength: number) => fc.uint8Array({ minLength, maxLength });

/** Names with any bytes in their labels (dots, quotes, spaces, non-ASCII) and of any case. */
export const dnsName = fc
  .array(
    fc.oneof(
      fc
        .stringMatching(/^[a-zA-Z0-9-]{1,12}$/)
        .map((label) => Uint8Array.from(label, (c) => c.charCodeAt(0))),
      bytes(1, 12),
    ),
    { maxLength: 5 },
  )
  .map((labels) => DnsName.fromLabels(labels));

/** Ascending distinct type numbers, biased towards the first windows. */
const typeList = (minLength: number) =>
  fc
    .uniqueArray(fc.oneof(fc.integer({ min: 0, max: 300 }), u16), { minLength, maxLength: 12 })
    .map((types) => types.sort((a, b) => a - b));

const alpnValue = fc
  .array(bytes(1, 10), { minLength: 1, maxLength: 4 })
  .map((ids) => Uint8Array.from(ids.flatMap((id) => [id.length, ...id])));

/** A value that fits each key (RFC 9460 §7); unknown keys take any bytes. */
function svcValue(key: number): fc.Arbitrary<Uint8Array> {
  switch (key) {
    case 1:
      return alpnValue;
    case 2:
      return fc.constant(new Uint8Array(0));
    case 3:
      return bytes(2, 2);
    case 4:
      return fc.integer({ min: 1, max: 3 }).chain((n) => bytes(4 * n, 4 * n));
    case 5:
      return bytes(0, 80);
    case 6:
      return fc.integer({ min: 1, max: 3 }).chain((n) => bytes(16 * n, 16 * n));
    default:
      return bytes(0, 20);
  }
}

/** Consistent params: ascending keys, alpn with no-default-alpn, mandatory listing present keys. */
const svcParams: fc.Arbitrary<SvcParam[]> = fc
  .uniqueArray(fc.oneof(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 9, max: 65534 })), {
    maxLength: 6,
  })
  .map((keys) => (keys.includes(2) && !keys.includes(1) ? [...keys, 1] : keys))
  .chain((keys) =>
    fc.tuple(
      fc.tuple(...keys.map((key) => svcValue(key).map((value) => ({ key, value })))),
      fc.subarray(keys),
    ),
  )
  .map(([params, listed]) => {
    const all: SvcParam[] = [...params];
    if (listed.length > 0) {
      const sorted = [...listed].sort((a, b) => a - b);
      all.push({ key: 0, value: Uint8Array.from(sorted.flatMap((key) => [key >> 8, key & 0xff])) });
    }
    return all.sort((a, b) => a.key - b.key);
  });

const svcb = (kind: 'SVCB' | 'HTTPS') =>
  record({
    kind: fc.constant(kind),
    priority: u16,
    target: dnsName,
    params: svcParams,
  });

/** Valid data of each kind with its type number. */
export const RECORD_DATA: readonly { type: number; data: fc.Arbitrary<RecordData> }[] = [
  { type: RecordType.A, data: u32.map((n) => ({ kind: 'A', address: formatIpv4Address(n) })) },
  {
    type: RecordType.AAAA,
    data: fc
      .oneof(
        bytes(16, 16),
        bytes(4, 4).map((tail) => Uint8Array.from([...new Uint8Array(12), ...tail])),
      )
      .map((address) => ({ kind: 'AAAA', address: formatIpv6Address(address) })),
  },
  { type: RecordType.NS, data: dnsName.map((host) => ({ kind: 'NS', host })) },
  { type: RecordType.CNAME, data: dnsName.map((target) => ({ kind: 'CNAME', target })) },
  { type: RecordType.DNAME, data: dnsName.map((target) => ({ kind: 'DNAME', target })) },
  { type: RecordType.PTR, data: dnsName.map((target) => ({ kind: 'PTR', target })) },
  {
    type: RecordType.SOA,
    data: record({
      kind: fc.constant('SOA'),
      mname: dnsName,
      rname: dnsName,
      serial: u32,
      refresh: u32,
      retry: u32,
      expire: u32,
      minimum: u32,
    }),
  },
  {
    type: RecordType.MX,
    data: record({ kind: fc.constant('MX'), preference: u16, exchange: dnsName }),
  },
  {
    type: RecordType.TXT,
    data: record({
      kind: fc.constant('TXT'),
      strings: fc.array(fc.oneof(bytes(0, 30), bytes(250, 255)), { minLength: 1, maxLength: 4 }),
    }),
  },
  {
    type: RecordType.SRV,
    data: record({
      kind: fc.constant('SRV'),
      priority: u16,
      weight: u16,
      port: u16,
      target: dnsName,
    }),
  },
  {
    type: RecordType.CAA,
    data: record({
      kind: fc.constant('CAA'),
      flags: u8,
      tag: fc.stringMatching(/^[a-zA-Z0-9]{1,15}$/),
      value: fc.oneof(bytes(0, 40), bytes(250, 400)),
    }),
  },
  { type: RecordType.SVCB, data: svcb('SVCB') },
  { type: RecordType.HTTPS, data: svcb('HTTPS') },
  {
    type: RecordType.DS,
    data: record({
      kind: fc.constant('DS'),
      keyTag: u16,
      algorithm: u8,
      digestType: u8,
      digest: bytes(1, 64),
    }),
  },
  {
    type: RecordType.DNSKEY,
    data: record({
      kind: fc.constant('DNSKEY'),
      flags: u16,
      protocol: u8,
      algorithm: u8,
      publicKey: bytes(1, 300),
    }),
  },
  {
    type: RecordType.RRSIG,
    data: record({
      kind: fc.constant('RRSIG'),
      typeCovered: u16,
      algorithm: u8,
      labels: u8,
      originalTtl: u32,
      expiration: u32,
      inception: u32,
      keyTag: u16,
      signerName: dnsName,
      signature: bytes(1, 200),
    }),
  },
  {
    type: RecordType.NSEC,
    data: record({ kind: fc.constant('NSEC'), next: dnsName, types: typeList(1) }),
  },
  {
    type: RecordType.NSEC3,
    data: record({
      kind: fc.constant('NSEC3'),
      hashAlgorithm: u8,
      flags: u8,
      iterations: u16,
      salt: fc.oneof(bytes(0, 16), bytes(255, 255)),
      nextHashedOwner: fc.oneof(bytes(20, 20), bytes(1, 255)),
      types: typeList(0),
    }),
  },
  {
    type: RecordType.TLSA,
    data: record({
      kind: fc.constant('TLSA'),
      usage: u8,
      selector: u8,
      matchingType: u8,
      data: bytes(1, 100),
    }),
  },
  {
    type: RecordType.SSHFP,
    data: record({
      kind: fc.constant('SSHFP'),
      algorithm: u8,
      fingerprintType: u8,
      fingerprint: bytes(1, 64),
    }),
  },
];
