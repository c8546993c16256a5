// The pcap writer against the format (draft-ietf-opsawg-pcap §4, §5): header bytes written out
// by hand, timestamps split exactly, one chunk per record, snap-length truncation, and misuse
// refused with RangeError.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { concatBytes, fromHex, readU32LE, toHex } from '@oasis/core';
import type { PcapResolution } from '../src/pcap/pcap-format.ts';
import { readPcap } from '../src/pcap/pcap-reader.ts';
import { PcapWriter, type PcapWriterOptions } from '../src/pcap/pcap-writer.ts';

function collect(options: PcapWriterOptions = {}): { writer: PcapWriter; chunks: Uint8Array[] } {
  const chunks: Uint8Array[] = [];
  return { writer: new PcapWriter((chunk) => chunks.push(chunk), options), chunks };
}

/** The seconds and fraction fields of the one record written for `wallMs`. */
function timestampOf(wallMs: number, resolution: PcapResolution): [number, number] {
  const { writer, chunks } = collect({ resolution });
  writer.writeRecord(wallMs, new Uint8Array(0));
  const record = chunks[1]!;
  return [readU32LE(record, 0), readU32LE(record, 4)];
}

describe('pcap writer', () => {
  it('writes the file header at construction, little-endian', () => {
    const { chunks } = collect();
    const expected = fromHex(`
      d4 c3 b2 a1   # magic 0xa1b2c3d4: microseconds
      02 00 04 00   # version 2.4
      00 00 00 00   # reserved1
      00 00 00 00   # reserved2
      00 00 04 00   # snap length 262144
      01 00 00 00   # LINKTYPE_ETHERNET
    `);
    assert.equal(chunks.length, 1);
    assert.equal(toHex(chunks[0]!), toHex(expected));
  });

  it('writes the nanosecond magic, snap length and link type it is given', () => {
    const { chunks } = collect({ resolution: 'ns', snapLength: 1514, linkType: 101 });
    assert.equal(toHex(chunks[0]!), '4d3cb2a1020004000000000000000000ea05000065000000');
  });

  it('emits each record as one chunk of header and data', () => {
    const { writer, chunks } = collect();
    writer.writeRecord(1_700_000_000_123.456, fromHex('ffffffffffff 020000000001 0806'), 60);
    assert.equal(chunks.length, 2);
    const expected = fromHex(`
      00 f1 53 65   # seconds 1700000000
      40 e2 01 00   # microseconds 123456
      0e 00 00 00   # captured length 14
      3c 00 00 00   # original length 60
      ffffffffffff 020000000001 0806
    `);
    assert.equal(toHex(chunks[1]!), toHex(expected));
  });

  it('splits timestamps into seconds and the nearest µs or ns, carrying into the next second', () => {
    const cases: [number, PcapResolution, number, number][] = [
      [0, 'us', 0, 0],
      [1.001, 'us', 0, 1001],
      // The double of 0.0045 is a hair below 4.5 µs; it rounds up, as the decimal reads.
      [0.0045, 'us', 0, 5],
      [999.9994, 'us', 0, 999999],
      [999.9996, 'us', 1, 0],
      [1.000001, 'ns', 0, 1000001],
      [1_500.25, 'ns', 1, 500_250_000],
      // Near 2023 a double holds ms to 2^-12 (244 ns): the ns field shows what the double says.
      [1_700_000_000_123.456, 'ns', 1_700_000_000, 123_456_055],
      [2 ** 32 * 1000 - 1, 'us', 2 ** 32 - 1, 999_000],
    ];
    for (const [wallMs, resolution, seconds, fraction] of cases) {
      assert.deepEqual(
        timestampOf(wallMs, resolution),
        [seconds, fraction],
        `${wallMs} ms at ${resolution}`,
      );
    }
  });

  it('cuts data longer than the snap length and keeps the original length', () => {
    const { writer, chunks } = collect({ snapLength: 4 });
    writer.writeRecord(0, fromHex('00 01 02 03 04 05 06 07 08 09'));
    writer.writeRecord(0, fromHex('0a 0b'));
    const file = readPcap(concatBytes(chunks));
    assert.ok(file.ok);
    const [cut, whole] = file.value.records;
    assert.equal(toHex(cut!.data), '00010203');
    assert.equal(cut!.originalLength, 10);
    assert.equal(toHex(whole!.data), '0a0b');
    assert.equal(whole!.originalLength, 2);
  });

  it('copies the data, so the caller may reuse its bytes at once', () => {
    const { writer, chunks } = collect();
    const data = fromHex('01 02 03');
    writer.writeRecord(0, data);
    data.fill(0);
    assert.equal(toHex(chunks[1]!.subarray(16)), '010203');
  });

  it('throws RangeError on misuse', () => {
    const { writer } = collect();
    for (const wallMs of [
      -1,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      2 ** 32 * 1000,
      2 ** 32 * 1000 - 1e-4,
    ]) {
      assert.throws(
        () => writer.writeRecord(wallMs, new Uint8Array(1)),
        RangeError,
        `wallMs ${wallMs}`,
      );
    }
    assert.throws(() => writer.writeRecord(0, new Uint8Array(10), 9), RangeError);
    assert.throws(() => writer.writeRecord(0, new Uint8Array(10), 10.5), RangeError);
    assert.throws(() => collect({ snapLength: 0 }), RangeError);
    assert.throws(() => collect({ linkType: 0x10000 }), RangeError);
  });
});
