import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toHex } from '@oasis/core';
import fc from 'fast-check';
import { recordTypeName } from '../../src/wire/constants.ts';
import { DnsReader } from '../../src/wire/dns-reader.ts';
import { isDnsWireError } from '../../src/wire/dns-wire-error.ts';
import { DnsWriter } from '../../src/wire/dns-writer.ts';
import type { RecordData } from '../../src/wire/rdata/record-data.ts';
import {
  decodeRdata,
  encodeRdata,
  rdataFromText,
  rdataToText,
} from '../../src/wire/rdata/registry.ts';
import { RECORD_DATA } from './arbitraries.ts';
import { zoneTokens } from './zone-tokens.ts';

function encode(type: number, data: RecordData): Uint8Array {
  const writer = new DnsWriter();
  encodeRdata(type, data, writer);
  return writer.finish();
}

/** The data of `bytes`, or the DnsWireError it was refused with; anything else thrown fails the test. */
function decode(type: number, bytes: Uint8Array): RecordData | undefined {
  try {
    return decodeRdata(type, new DnsReader(bytes));
  } catch (error) {
    assert.ok(isDnsWireError(error), `${recordTypeName(type)} threw ${String(error)}`);
    return undefined;
  }
}

// Types whose RDATA holds no name, so no compression pointer can make two encodings of one value.
const WITHOUT_NAMES = new Set([
  'A',
  'AAAA',
  'TXT',
  'CAA',
  'DS',
  'DNSKEY',
  'NSEC3',
  'TLSA',
  'SSHFP',
]);

describe('RDATA codecs, for random valid data of every type', () => {
  for (const { type, data } of RECORD_DATA) {
    const name = recordTypeName(type);

    it(`${name}: encode then decode gives the data, and encoding it again the same bytes`, () => {
      fc.assert(
        fc.property(data, (value) => {
          const bytes = encode(type, value);
          const decoded = decodeRdata(type, new DnsReader(bytes));
          assert.deepEqual(decoded, value);
          assert.deepEqual(encode(type, decoded), bytes);
        }),
      );
    });

    it(`${name}: text format then parse gives the data`, () => {
      fc.assert(
        fc.property(data, (value) => {
          const text = rdataToText(value);
          assert.deepEqual(
            rdataFromText(type, zoneTokens(text), undefined),
            {
              ok: true,
              value,
            },
            text,
          );
        }),
      );
    });

    it(`${name}: the generic \\# form of the wire bytes parses to the data`, () => {
      fc.assert(
        fc.property(data, (value) => {
          const bytes = encode(type, value);
          const tokens = zoneTokens(`\\# ${bytes.length} ${toHex(bytes)}`);
          assert.deepEqual(rdataFromText(type, tokens, undefined), { ok: true, value });
        }),
        { numRuns: 30 },
      );
    });

    it(`${name}: random and mutated bytes decode or are refused with a DnsWireError`, () => {
      const mutated = data
        .chain((value) => {
          const bytes = encode(type, value);
          return fc
            .array(
              fc.tuple(fc.nat(Math.max(bytes.length - 1, 0)), fc.integer({ min: 0, max: 255 })),
              {
                maxLength: 3,
              },
            )
            .chain((edits) => fc.nat(bytes.length).map((cut) => ({ bytes, edits, cut })));
        })
        .map(({ bytes, edits, cut }) => {
          const copy = bytes.slice();
          for (const [at, byte] of edits) copy[at] = byte;
          return copy.subarray(0, Math.max(cut, Math.min(copy.length, 4)));
        });
      fc.assert(
        fc.property(fc.oneof(fc.uint8Array({ maxLength: 80 }), mutated), (bytes) => {
          const decoded = decode(type, bytes);
          if (decoded === undefined) return;
          // What decodes is valid: it encodes, and decodes again to itself.
          const again = encode(type, decoded);
          assert.deepEqual(decodeRdata(type, new DnsReader(again)), decoded);
          if (WITHOUT_NAMES.has(decoded.kind)) assert.deepEqual(again, bytes);
        }),
        { numRuns: 500 },
      );
    });
  }
});
