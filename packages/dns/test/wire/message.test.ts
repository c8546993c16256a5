import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bytesEqual, fromHex } from '@oasis/core';
import fc from 'fast-check';
import { isDnsWireError } from '../../src/wire/dns-wire-error.ts';
import {
  type DnsMessage,
  type DnsRecord,
  decodeMessage,
  encodeMessage,
  makeQuery,
} from '../../src/wire/message.ts';
import { DnsName } from '../../src/wire/name.ts';

// What `dig @127.0.0.1 Example.COM AAAA` (BIND 9.18) sends: RD and AD set, EDNS with a 1232-byte
// payload and a client cookie.
const DIG_QUERY = fromHex(`
  21a5 0120 0001 0000 0000 0001           # id, flags RD AD, 1 question, 1 additional
  07 4578616d706c65 03 434f4d 00          # Example.COM
  001c 0001                               # AAAA IN
  00 0029 04d0 00 00 0000 000c            # OPT: root, payload 1232, ext rcode 0, version 0, flags 0, rdlength 12
  000a 0008 ae2c134c0aa573dd              # COOKIE, the client's 8 bytes
`);

function decoded(bytes: Uint8Array): DnsMessage {
  const result = decodeMessage(bytes);
  if (!result.ok) throw new Error(`decode failed: ${result.error.key}`);
  return result.value;
}

function rejection(bytes: Uint8Array): string {
  const result = decodeMessage(bytes);
  assert.ok(!result.ok, 'should not decode');
  return result.error.key;
}

const OPAQUE_TYPE = 65_280; // private use (RFC 6895 §3.1): opaque RDATA whatever codecs exist

function opaque(name: string, ttl: number, bytes: number[]): DnsRecord {
  return {
    name: DnsName.of(name),
    type: OPAQUE_TYPE,
    class: 1,
    ttl,
    data: { kind: 'opaque', bytes: Uint8Array.from(bytes) },
  };
}

describe('DNS message codec', () => {
  it("decodes dig's query and encodes it back byte for byte", () => {
    const message = decoded(DIG_QUERY);
    assert.equal(message.id, 0x21a5);
    assert.equal(message.qr, false);
    assert.equal(message.rd, true);
    assert.equal(message.ad, true);
    assert.equal(message.questions[0]?.name.toString(), 'Example.COM.');
    assert.equal(message.questions[0]?.type, 28);
    assert.equal(message.edns?.udpPayloadSize, 1232);
    assert.equal(message.edns?.options[0]?.code, 10);
    assert.equal(message.additionals.length, 0);
    assert.ok(bytesEqual(encodeMessage(message), DIG_QUERY));
  });

  it('refuses every truncated prefix of a message', () => {
    for (let length = 0; length < DIG_QUERY.length; length++) {
      const key = rejection(DIG_QUERY.subarray(0, length));
      assert.ok(['dns.truncated', 'dns.bad-count'].includes(key), `${length}: ${key}`);
    }
    assert.equal(rejection(Uint8Array.of(...DIG_QUERY, 0)), 'dns.trailing-data');
  });

  it('refuses compression loops, forward pointers and extended label types', () => {
    const header = '0001 0000 0001 0000 0000 0000';
    // A pointer to itself (offset 12).
    assert.equal(rejection(fromHex(`${header} c00c 0001 0001`)), 'dns.bad-pointer');
    // A pointer forwards, to the type field.
    assert.equal(rejection(fromHex(`${header} c00e 0001 0001`)), 'dns.bad-pointer');
    // A label, then a pointer back to that label: a loop through the name's own start.
    assert.equal(rejection(fromHex(`${header} 01 61 c00c 0001 0001`)), 'dns.bad-pointer');
    // Label type 0b01 (RFC 6891 §5 retired it) and 0b10.
    assert.equal(rejection(fromHex(`${header} 41 00 0001 0001`)), 'dns.bad-label-type');
    assert.equal(rejection(fromHex(`${header} 81 00 0001 0001`)), 'dns.bad-label-type');
  });

  it('follows backward pointer chains and refuses names that expand past 255 bytes', () => {
    // Question 1: 60-byte label + root. Question 2..: a 60-byte label then a pointer to the previous question.
    const label = `3c ${'61'.repeat(60)}`;
    const first = `${label} 00 0001 0001`;
    const chained = (count: number): Uint8Array => {
      let hex = `0001 0000 ${count.toString(16).padStart(4, '0')} 0000 0000 0000 ${first}`;
      let previous = 12;
      for (let i = 1; i < count; i++) {
        const at = 12 + 66 + (i - 1) * 67;
        hex += ` ${label} ${(0xc000 | previous).toString(16)} 0001 0001`;
        previous = at;
      }
      return fromHex(hex);
    };
    const four = decoded(chained(4));
    assert.equal(four.questions[3]?.name.wireLength, 1 + 4 * 61);
    assert.equal(rejection(chained(5)), 'dns.name-too-long');
  });

  it('refuses a second OPT, an OPT outside the additional section and one not at the root', () => {
    const opt = '00 0029 0200 00 00 0000 0000';
    const query = '0001 0000 0001 0000 0000';
    const question = '01 61 00 0001 0001';
    assert.equal(rejection(fromHex(`${query} 0002 ${question} ${opt} ${opt}`)), 'dns.bad-opt');
    assert.equal(
      rejection(fromHex(`0001 0000 0001 0001 0000 0000 ${question} ${opt}`)),
      'dns.bad-opt',
    );
    assert.equal(
      rejection(fromHex(`${query} 0001 ${question} 01 61 00 0029 0200 00 00 0000 0000`)),
      'dns.bad-opt',
    );
    // An option longer than the OPT RDATA.
    assert.equal(
      rejection(fromHex(`${query} 0001 ${question} 00 0029 0200 00 00 0000 0004 000a 0008`)),
      'dns.bad-opt',
    );
  });

  it('compresses names against earlier ones, matching case exactly', () => {
    const message: DnsMessage = {
      ...makeQuery(7, { name: DnsName.of('www.Example.com.'), type: OPAQUE_TYPE, class: 1 }),
      qr: true,
      answers: [
        opaque('www.Example.com.', 60, [1]),
        opaque('mail.Example.com.', 60, [2]),
        opaque('x.example.com.', 60, [3]),
      ],
    };
    const bytes = encodeMessage(message);
    // www.Example.com. once in full (17 bytes); the first answer is a bare pointer (2),
    // mail.Example.com. is `mail` + pointer (7), x.example.com. differs in case from
    // Example.com. and shares only `com` (1+1 + 1+7 + 2).
    assert.equal(bytes.length, 12 + 17 + 4 + (2 + 11) + (7 + 11) + (12 + 11));
    const back = decoded(bytes);
    assert.deepEqual(
      back.answers.map((record) => record.name.toString()),
      ['www.Example.com.', 'mail.Example.com.', 'x.example.com.'],
    );
  });

  it('truncates to whole RRsets, sets TC and keeps the OPT record (RFC 2181 §9, RFC 6891 §7)', () => {
    const answers = [
      ...Array.from({ length: 3 }, (_, i) => opaque('a.example.', 60, Array(100).fill(i))),
      ...Array.from({ length: 3 }, (_, i) => opaque('b.example.', 60, Array(100).fill(i))),
    ];
    const message: DnsMessage = {
      ...makeQuery(
        9,
        { name: DnsName.of('a.example.'), type: OPAQUE_TYPE, class: 1 },
        {
          edns: { udpPayloadSize: 512, version: 0, dnssecOk: false, zFlags: 0, options: [] },
        },
      ),
      qr: true,
      answers,
    };
    const bytes = encodeMessage(message, { maxLength: 512 });
    assert.ok(bytes.length <= 512);
    const back = decoded(bytes);
    assert.equal(back.tc, true);
    assert.equal(back.answers.length, 3, 'the second RRset does not fit and goes whole');
    assert.equal(back.edns?.udpPayloadSize, 512);
    const whole = decoded(encodeMessage(message));
    assert.equal(whole.tc, false);
    assert.equal(whole.answers.length, 6);
  });

  it('carries the extended RCODE in the OPT record and refuses it without EDNS', () => {
    const base = makeQuery(1, { name: DnsName.ROOT, type: 1, class: 1 });
    const badvers: DnsMessage = {
      ...base,
      qr: true,
      rcode: 16,
      edns: { udpPayloadSize: 1232, version: 0, dnssecOk: true, zFlags: 0, options: [] },
    };
    const back = decoded(encodeMessage(badvers));
    assert.equal(back.rcode, 16);
    assert.equal(back.edns?.dnssecOk, true);
    assert.throws(() => encodeMessage({ ...base, rcode: 16 }), RangeError);
  });

  it('decodes random bytes without throwing anything but a refusal', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const result = decodeMessage(bytes);
        if (!result.ok) assert.ok(isDnsWireError(result.error));
      }),
      { numRuns: 2000 },
    );
  });

  it('decodes mutations of a valid message without throwing', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(DIG_QUERY.length - 1), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 4,
        }),
        (edits) => {
          const bytes = DIG_QUERY.slice();
          for (const [at, value] of edits) bytes[at] = value;
          const result = decodeMessage(bytes);
          if (result.ok)
            assert.ok(
              bytesEqual(
                encodeMessage(result.value),
                encodeMessage(decoded(encodeMessage(result.value))),
              ),
            );
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('round-trips generated messages: decode(encode(m)) is m, and encoding is stable', () => {
    const label = fc.uint8Array({ minLength: 1, maxLength: 10 });
    const name = fc.array(label, { maxLength: 5 }).map((labels) => DnsName.fromLabels(labels));
    const record = fc.record({
      name,
      type: fc.constant(OPAQUE_TYPE),
      class: fc.integer({ min: 0, max: 0xffff }),
      ttl: fc.nat(),
      data: fc.uint8Array({ maxLength: 40 }).map((bytes) => ({ kind: 'opaque' as const, bytes })),
    });
    const message = fc.record({
      id: fc.integer({ min: 0, max: 0xffff }),
      qr: fc.boolean(),
      opcode: fc.integer({ min: 0, max: 15 }),
      aa: fc.boolean(),
      tc: fc.boolean(),
      rd: fc.boolean(),
      ra: fc.boolean(),
      z: fc.boolean(),
      ad: fc.boolean(),
      cd: fc.boolean(),
      rcode: fc.integer({ min: 0, max: 15 }),
      questions: fc.array(
        fc.record({
          name,
          type: fc.integer({ min: 0, max: 0xffff }).filter((t) => t !== 41),
          class: fc.integer({ min: 0, max: 0xffff }),
        }),
        { maxLength: 3 },
      ),
      answers: fc.array(record, { maxLength: 4 }),
      authorities: fc.array(record, { maxLength: 3 }),
      additionals: fc.array(record, { maxLength: 3 }),
    });
    fc.assert(
      fc.property(message, (original: DnsMessage) => {
        const bytes = encodeMessage(original);
        const back = decoded(bytes);
        assert.deepEqual(comparable(back), comparable(original));
        assert.ok(bytesEqual(encodeMessage(back), bytes));
      }),
      { numRuns: 500 },
    );
  });
});

function comparable(message: DnsMessage): unknown {
  return JSON.parse(
    JSON.stringify(message, (_key, value: unknown) => {
      if (value instanceof DnsName) return value.labels.map((label) => Array.from(label));
      if (value instanceof Uint8Array) return Array.from(value);
      return value;
    }),
  );
}
