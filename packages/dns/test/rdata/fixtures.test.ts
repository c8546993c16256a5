import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex } from '@oasis/core';
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
import { FIXTURES, ORIGIN } from './fixtures.ts';
import { zoneTokens } from './zone-tokens.ts';

function encode(type: number, data: RecordData): Uint8Array {
  const writer = new DnsWriter();
  encodeRdata(type, data, writer);
  return writer.finish();
}

describe('RDATA fixtures', () => {
  for (const fixture of FIXTURES) {
    const label = `${recordTypeName(fixture.type)} (${fixture.source})`;
    const wire = fromHex(fixture.wire);

    it(`${label}: decodes to the data and encodes back byte for byte`, () => {
      assert.deepEqual(decodeRdata(fixture.type, new DnsReader(wire)), fixture.data);
      assert.deepEqual(encode(fixture.type, fixture.data), wire);
    });

    it(`${label}: prints as dig does and parses back, in every spelling`, () => {
      assert.equal(rdataToText(fixture.data), fixture.text);
      for (const text of [fixture.text, ...(fixture.alternatives ?? [])]) {
        assert.deepEqual(
          rdataFromText(fixture.type, zoneTokens(text), ORIGIN),
          { ok: true, value: fixture.data },
          text,
        );
      }
    });

    it(`${label}: every prefix is refused or is itself a valid RDATA`, () => {
      for (let length = 0; length < wire.length; length++) {
        const prefix = wire.subarray(0, length);
        let data: RecordData;
        try {
          data = decodeRdata(fixture.type, new DnsReader(prefix));
        } catch (error) {
          assert.ok(isDnsWireError(error), String(error));
          assert.ok(['truncated', 'bad-rdata'].includes(error.reason), error.reason);
          continue;
        }
        // A shorter TXT, key, bitmap or param list is RDATA of its own.
        assert.deepEqual(encode(fixture.type, data), prefix);
      }
    });
  }
});
