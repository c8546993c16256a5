import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RecordClass, RecordType, recordTypeName } from '../../src/wire/constants.ts';
import { isDnsWireError } from '../../src/wire/dns-wire-error.ts';
import { DnsWriter } from '../../src/wire/dns-writer.ts';
import { type DnsMessage, decodeMessage, encodeMessage } from '../../src/wire/message.ts';
import { DnsName } from '../../src/wire/name.ts';
import type { RecordData } from '../../src/wire/rdata/record-data.ts';
import { encodeRdata } from '../../src/wire/rdata/registry.ts';
import { FIXTURES } from './fixtures.ts';

const OWNER = DnsName.of('example.com.');

/** A response holding every fixture, so one message carries a record of every type. */
const message: DnsMessage = {
  id: 0x1234,
  qr: true,
  opcode: 0,
  aa: true,
  tc: false,
  rd: false,
  ra: false,
  z: false,
  ad: false,
  cd: false,
  rcode: 0,
  questions: [{ name: OWNER, type: RecordType.ANY, class: RecordClass.IN }],
  answers: FIXTURES.map((fixture, i) => ({
    name: DnsName.of(`r${i}.example.com.`),
    type: fixture.type,
    class: RecordClass.IN,
    ttl: 3600,
    data: fixture.data,
  })),
  authorities: [],
  additionals: [],
};

describe('RDATA in whole messages', () => {
  it('a message with a record of every type round-trips byte for byte', () => {
    const types = new Set(FIXTURES.map((fixture) => fixture.type));
    assert.equal(types.size, 20, 'every type with a codec has a fixture');
    const bytes = encodeMessage(message);
    const decoded = decodeMessage(bytes);
    assert.ok(decoded.ok);
    assert.deepEqual(decoded.value, message);
    assert.deepEqual(encodeMessage(decoded.value), bytes);
  });

  it('every truncation of that message is refused with a DnsWireError', () => {
    const bytes = encodeMessage(message);
    for (let length = 0; length < bytes.length; length++) {
      const result = decodeMessage(bytes.subarray(0, length));
      assert.ok(!result.ok, `${length} bytes decoded`);
      assert.ok(isDnsWireError(result.error));
    }
  });

  it('an RDLENGTH that cuts fixed-length RDATA short or leaves bytes over is refused', () => {
    const bytes = encodeMessage({
      ...message,
      questions: [],
      answers: [
        {
          name: OWNER,
          type: RecordType.A,
          class: 1,
          ttl: 1,
          data: { kind: 'A', address: '192.0.2.1' },
        },
      ],
    });
    // Header (12), owner (13), type, class, TTL (8), then RDLENGTH at 33.
    for (const [rdlength, reason] of [
      [3, 'bad-rdata'],
      [5, 'truncated'],
    ] as const) {
      const changed = bytes.slice();
      changed[34] = rdlength;
      const result = decodeMessage(changed);
      assert.deepEqual(result.ok ? undefined : result.error.reason, reason);
    }
    const longer = Uint8Array.from([...bytes, 0]);
    longer[34] = 5;
    const result = decodeMessage(longer);
    assert.deepEqual(result.ok ? undefined : result.error.reason, 'bad-rdata');
  });

  // RFC 3597 §4: only RFC 1035's own types (NS, CNAME, SOA, PTR, MX) may compress RDATA names.
  it('compresses names in NS, CNAME, PTR, MX and SOA only', () => {
    const target = DnsName.of('host.example.com.');
    const cases: [number, RecordData][] = [
      [RecordType.NS, { kind: 'NS', host: target }],
      [RecordType.CNAME, { kind: 'CNAME', target }],
      [RecordType.PTR, { kind: 'PTR', target }],
      [RecordType.MX, { kind: 'MX', preference: 1, exchange: target }],
      [
        RecordType.SOA,
        {
          kind: 'SOA',
          mname: target,
          rname: target,
          serial: 1,
          refresh: 2,
          retry: 3,
          expire: 4,
          minimum: 5,
        },
      ],
      [RecordType.DNAME, { kind: 'DNAME', target }],
      [RecordType.SRV, { kind: 'SRV', priority: 1, weight: 2, port: 3, target }],
      [RecordType.SVCB, { kind: 'SVCB', priority: 1, target, params: [] }],
      [RecordType.HTTPS, { kind: 'HTTPS', priority: 1, target, params: [] }],
      [RecordType.NSEC, { kind: 'NSEC', next: target, types: [1] }],
      [
        RecordType.RRSIG,
        {
          kind: 'RRSIG',
          typeCovered: 1,
          algorithm: 8,
          labels: 2,
          originalTtl: 3,
          expiration: 4,
          inception: 5,
          keyTag: 6,
          signerName: target,
          signature: Uint8Array.of(7),
        },
      ],
    ];
    const compressed = new Set<number>([
      RecordType.NS,
      RecordType.CNAME,
      RecordType.PTR,
      RecordType.MX,
      RecordType.SOA,
    ]);
    for (const [type, data] of cases) {
      const writer = new DnsWriter();
      writer.name(target, true);
      const start = writer.offset;
      encodeRdata(type, data, writer);
      const rdata = writer.view().subarray(start);
      // A pointer to offset 0 is the two bytes c0 00; an uncompressed name spells "host".
      const pointers = rdata.findIndex((byte, i) => byte === 0xc0 && rdata[i + 1] === 0) >= 0;
      assert.equal(pointers, compressed.has(type), recordTypeName(type));
    }
  });
});
