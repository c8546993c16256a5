import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bytesEqual, concatBytes, fromHex, unwrap } from '@oasis/core';
import fc from 'fast-check';
import { parseIcmpv6 } from '../src/icmpv6.ts';
import { IP_PROTOCOL_ICMPV6 } from '../src/ipv6.ts';
import { parseIpv6Address } from '../src/ipv6-address.ts';
import {
  emitMldv2Report,
  MLD_CHANGE_TO_EXCLUDE_MODE,
  MLD_CHANGE_TO_INCLUDE_MODE,
  MLD_ERRORS,
  MLD_MODE_IS_EXCLUDE,
  MLD_QUERY,
  MLD_V2_REPORT,
  type MldRecord,
  mldMaxResponseDelayMs,
  mldv2ReportLength,
  parseMldQuery,
  parseMldv2Report,
} from '../src/mld.ts';
import { ipv6PseudoHeaderSum } from '../src/pseudo-header.ts';

const address = (text: string): Uint8Array => unwrap(parseIpv6Address(text));
const LINK_LOCAL = address('fe80::200:5eff:fe10:1');
const SOLICITED_NODE = address('ff02::1:ff10:1');
const ALL_MLDV2_ROUTERS = address('ff02::16');
const QUERIER = address('fe80::1');
const ALL_NODES = address('ff02::1');
const UNSPECIFIED = address('::');

function pseudo(source: Uint8Array, destination: Uint8Array, length: number): number {
  return ipv6PseudoHeaderSum(source, destination, IP_PROTOCOL_ICMPV6, length);
}

// The report a host sends to ff02::16 when it joins the solicited-node group of its link-local
// address (RFC 3810 §6.1): one record, exclude mode with no sources. Checksums confirmed by tshark.
const JOIN_REPORT = fromHex(`
  8f                       # type 143: MLDv2 report
  00                       # reserved (code)
  11 e7                    # checksum
  00 00                    # reserved
  00 01                    # one multicast address record
  04                       # record type 4: CHANGE_TO_EXCLUDE_MODE
  00                       # aux data length 0
  00 00                    # no sources
  ff 02 00 00 00 00 00 00  00 00 00 01 ff 10 00 01   # ff02::1:ff10:1
`);

// An MLDv1 General Query (RFC 2710 §3): 24 bytes, delay 10 s.
const V1_QUERY = fromHex(`
  82 00 59 17              # type 130: query, code 0, checksum
  27 10                    # maximum response delay 10000 ms
  00 00                    # reserved
  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00   # :: (general query)
`);

// An MLDv2 General Query (RFC 3810 §5.1): 28 bytes, the defaults of §9.
const V2_QUERY = fromHex(`
  82 00 56 96              # type 130, code 0, checksum
  27 10                    # maximum response code 10000: 10000 ms
  00 00                    # reserved
  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00   # :: (general query)
  02                       # Resv 0, S 0, QRV 2
  7d                       # QQIC 125: 125 s
  00 00                    # no sources
`);

// A Multicast Address and Source Specific Query, sent to the group, with the floating-point
// codes of §5.1.3 and §5.1.9 (tshark decodes them to 157856 ms and 432 s as well).
const SOURCE_QUERY = fromHex(`
  82 00 53 17              # type 130, code 0, checksum
  a3 45                    # maximum response code: exp 2, mant 0x345 -> 0x1345 << 5 = 157856 ms
  00 00                    # reserved
  ff 0e 00 00 00 00 00 00  00 00 00 00 00 00 12 34   # ff0e::1234
  0a                       # Resv 0, S 1, QRV 2
  9b                       # QQIC: exp 1, mant 0xb -> 0x1b << 4 = 432 s
  00 02                    # two sources
  20 01 0d b8 00 00 00 00  00 00 00 00 00 00 00 0a   # 2001:db8::a
  20 01 0d b8 00 00 00 00  00 00 00 00 00 00 00 0b   # 2001:db8::b
`);

const QUERIES = [
  { bytes: V1_QUERY, destination: ALL_NODES },
  { bytes: V2_QUERY, destination: ALL_NODES },
  { bytes: SOURCE_QUERY, destination: address('ff0e::1234') },
];

function emitted(records: readonly MldRecord[]): Uint8Array {
  const buffer = new Uint8Array(mldv2ReportLength(records));
  const sum = pseudo(LINK_LOCAL, ALL_MLDV2_ROUTERS, buffer.length);
  assert.equal(emitMldv2Report(records, buffer, sum), buffer.length);
  return buffer;
}

const ipv6 = fc.uint8Array({ minLength: 16, maxLength: 16 });
const recordArbitrary = fc.record(
  {
    type: fc.integer({ min: 1, max: 6 }),
    address: ipv6,
    sources: fc.array(ipv6, { maxLength: 3 }),
  },
  { noNullPrototype: true },
);

describe('MLD', () => {
  it('writes the report of a join as Linux sends it', () => {
    const records = [{ type: MLD_CHANGE_TO_EXCLUDE_MODE, address: SOLICITED_NODE }];
    assert.equal(mldv2ReportLength(records), 28);
    const bytes = emitted(records);
    assert.ok(bytesEqual(bytes, JOIN_REPORT));
    // It verifies as an ICMPv6 message to ff02::16, and reads back.
    const icmp = unwrap(parseIcmpv6(bytes, pseudo(LINK_LOCAL, ALL_MLDV2_ROUTERS, bytes.length)));
    assert.equal(icmp.kind === 'other' && icmp.type, MLD_V2_REPORT);
    assert.deepEqual(unwrap(parseMldv2Report(bytes.subarray(4))), [
      { type: MLD_CHANGE_TO_EXCLUDE_MODE, address: SOLICITED_NODE, sources: [] },
    ]);
  });

  it('writes several records with sources', () => {
    const sources = [address('2001:db8::a'), address('2001:db8::b')];
    const records = [
      { type: MLD_MODE_IS_EXCLUDE, address: address('ff02::1:ff00:1'), sources: [] },
      { type: MLD_CHANGE_TO_INCLUDE_MODE, address: address('ff0e::1234'), sources },
    ];
    const bytes = emitted(records);
    assert.equal(bytes.length, 8 + 20 + 20 + 32);
    assert.ok(
      bytesEqual(
        bytes.subarray(28, 48),
        concatBytes([fromHex('03 00 00 02'), address('ff0e::1234')]),
      ),
    );
    assert.deepEqual(unwrap(parseMldv2Report(bytes.subarray(4))), records);
    // Leaving (§6.1): CHANGE_TO_INCLUDE_MODE with no sources; `sources` may be left out.
    const leave = emitted([{ type: MLD_CHANGE_TO_INCLUDE_MODE, address: SOLICITED_NODE }]);
    assert.equal(leave[8], MLD_CHANGE_TO_INCLUDE_MODE);
  });

  it('has query fixtures whose checksums verify', () => {
    for (const { bytes, destination } of QUERIES) {
      const icmp = unwrap(parseIcmpv6(bytes, pseudo(QUERIER, destination, bytes.length)));
      assert.equal(icmp.kind === 'other' && icmp.type, MLD_QUERY);
    }
  });

  it('reads an MLDv1 query', () => {
    assert.deepEqual(unwrap(parseMldQuery(V1_QUERY.subarray(4))), {
      version: 1,
      maxResponseDelayMs: 10000,
      multicastAddress: UNSPECIFIED,
      sources: [],
    });
  });

  it('reads MLDv2 queries', () => {
    assert.deepEqual(unwrap(parseMldQuery(V2_QUERY.subarray(4))), {
      version: 2,
      maxResponseDelayMs: 10000,
      multicastAddress: UNSPECIFIED,
      sources: [],
      suppressRouterProcessing: false,
      robustness: 2,
      queryIntervalS: 125,
    });
    assert.deepEqual(unwrap(parseMldQuery(SOURCE_QUERY.subarray(4))), {
      version: 2,
      maxResponseDelayMs: 157856,
      multicastAddress: address('ff0e::1234'),
      sources: [address('2001:db8::a'), address('2001:db8::b')],
      suppressRouterProcessing: true,
      robustness: 2,
      queryIntervalS: 432,
    });
    // Bytes after the sources are ignored (RFC 3810 §5.1.12).
    const longer = concatBytes([V2_QUERY.subarray(4), fromHex('de ad be ef')]);
    assert.equal(unwrap(parseMldQuery(longer)).version, 2);
  });

  it('decodes the Maximum Response Code (RFC 3810 §5.1.3)', () => {
    assert.equal(mldMaxResponseDelayMs(0), 0);
    assert.equal(mldMaxResponseDelayMs(32767), 32767);
    assert.equal(mldMaxResponseDelayMs(0x8000), 32768); // (0 | 0x1000) << 3
    assert.equal(mldMaxResponseDelayMs(0xa345), 157856);
    assert.equal(mldMaxResponseDelayMs(0xffff), 8387584); // the largest: 0x1fff << 10
    // The exponential form is increasing, and continues the linear one.
    for (let code = 0x8000; code < 0xffff; code += 0x0fff) {
      assert.ok(mldMaxResponseDelayMs(code + 1) > mldMaxResponseDelayMs(code));
    }
  });

  it('refuses queries of other lengths (RFC 3810 §8.1), cut sources and unicast groups', () => {
    const body = SOURCE_QUERY.subarray(4);
    for (let length = 0; length < body.length; length++) {
      const reason = length === 20 || length >= 24 ? 'truncated' : 'bad-length';
      // A 20-byte prefix reads as an MLDv1 query of the same group: valid.
      if (length === 20) {
        assert.equal(unwrap(parseMldQuery(body.subarray(0, length))).version, 1);
        continue;
      }
      assert.deepEqual(
        parseMldQuery(body.subarray(0, length)),
        { ok: false, error: MLD_ERRORS[reason] },
        `length ${length}`,
      );
    }
    const unicast = V2_QUERY.slice(4);
    unicast.set(LINK_LOCAL, 4);
    assert.deepEqual(parseMldQuery(unicast), { ok: false, error: MLD_ERRORS['bad-address'] });
  });

  it('reads reports with auxiliary data and refuses cut ones', () => {
    const body = fromHex(`
      00 00 00 02              # reserved, two records
      05 01 00 01              # ALLOW_NEW_SOURCES, 1 word of aux data, one source
      ff 0e 00 00 00 00 00 00  00 00 00 00 00 00 12 34
      20 01 0d b8 00 00 00 00  00 00 00 00 00 00 00 0a
      aa bb cc dd              # aux data: skipped
      07 00 00 00              # an unknown record type: kept for the caller to ignore
      ff 0e 00 00 00 00 00 00  00 00 00 00 00 00 12 35
    `);
    assert.deepEqual(unwrap(parseMldv2Report(body)), [
      { type: 5, address: address('ff0e::1234'), sources: [address('2001:db8::a')] },
      { type: 7, address: address('ff0e::1235'), sources: [] },
    ]);
    for (let length = 0; length < body.length; length++) {
      assert.deepEqual(
        parseMldv2Report(body.subarray(0, length)),
        { ok: false, error: MLD_ERRORS.truncated },
        `length ${length}`,
      );
    }
  });

  it('emits reports and reads them back', () => {
    fc.assert(
      fc.property(fc.array(recordArbitrary, { maxLength: 4 }), (records) => {
        const bytes = emitted(records);
        const icmp = unwrap(
          parseIcmpv6(bytes, pseudo(LINK_LOCAL, ALL_MLDV2_ROUTERS, bytes.length)),
        );
        assert.equal(icmp.kind, 'other');
        assert.deepEqual(unwrap(parseMldv2Report(bytes.subarray(4))), records);
      }),
      { numRuns: 200 },
    );
  });

  it('never throws on random or mutated bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (body) => {
        const query = parseMldQuery(body);
        if (query.ok) assert.ok(query.value.version === 1 || query.value.version === 2);
        const report = parseMldv2Report(body);
        if (report.ok) assert.ok(report.value.length <= (body.length - 4) / 20);
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(
        fc.constantFrom(SOURCE_QUERY, JOIN_REPORT),
        fc.array(fc.tuple(fc.nat({ max: 59 }), fc.nat({ max: 0xff })), { maxLength: 4 }),
        (fixture, mutations) => {
          const bytes = fixture.slice(4);
          for (const [offset, value] of mutations) if (offset < bytes.length) bytes[offset] = value;
          const report = parseMldv2Report(bytes);
          if (report.ok) {
            // The records of known types write back and read back the same.
            const known = report.value.filter((record) => record.type >= 1 && record.type <= 6);
            assert.deepEqual(unwrap(parseMldv2Report(emitted(known).subarray(4))), known);
          }
          const query = parseMldQuery(bytes);
          if (query.ok && query.value.version === 2) {
            assert.equal(query.value.sources.length, (bytes[22]! << 8) | bytes[23]!);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('throws RangeError on programmer errors when emitting', () => {
    const buffer = new Uint8Array(100);
    for (const records of [
      [{ type: 0, address: SOLICITED_NODE }],
      [{ type: 7, address: SOLICITED_NODE }],
      [{ type: 1, address: new Uint8Array(4) }],
      [{ type: 1, address: SOLICITED_NODE, sources: [new Uint8Array(15)] }],
    ]) {
      assert.throws(() => emitMldv2Report(records, buffer, 0), RangeError);
    }
    const one = [{ type: 1, address: SOLICITED_NODE }];
    assert.throws(() => emitMldv2Report(one, new Uint8Array(27), 0), RangeError);
  });
});
