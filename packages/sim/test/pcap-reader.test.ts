// The pcap reader: round trips through the writer, a big-endian nanosecond file written out by
// hand, every truncated prefix of a valid file, the leniency rules of pcap-reader.ts, and random
// or mutated input, which must give a Result, never an exception.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { concatBytes, fromHex, toHex, writeU32LE } from '@oasis/core';
import fc from 'fast-check';
import type { PcapResolution } from '../src/pcap/pcap-format.ts';
import { type PcapError, type PcapErrorReason, readPcap } from '../src/pcap/pcap-reader.ts';
import { PcapWriter, type PcapWriterOptions } from '../src/pcap/pcap-writer.ts';

interface Packet {
  readonly wallMs: number;
  readonly data: Uint8Array;
}

function writePcap(packets: readonly Packet[], options: PcapWriterOptions = {}): Uint8Array {
  const chunks: Uint8Array[] = [];
  const writer = new PcapWriter((chunk) => chunks.push(chunk), options);
  for (const { wallMs, data } of packets) writer.writeRecord(wallMs, data);
  return concatBytes(chunks);
}

function readError(bytes: Uint8Array): PcapError {
  const result = readPcap(bytes);
  assert.ok(!result.ok, 'expected an Err');
  return result.error;
}

/** A little-endian µs file header with this snap length. */
function header(snapLength: number): Uint8Array {
  return fromHex(`d4c3b2a1 0200 0400 00000000 00000000 ${toHex(u32le(snapLength))} 01000000`);
}

/** A little-endian record header. */
function recordHeader(
  seconds: number,
  fraction: number,
  captured: number,
  original: number,
): Uint8Array {
  return concatBytes([u32le(seconds), u32le(fraction), u32le(captured), u32le(original)]);
}

function u32le(value: number): Uint8Array {
  const bytes = new Uint8Array(4);
  writeU32LE(bytes, 0, value);
  return bytes;
}

// Three records of 14, 60 and 1 bytes: their headers start at 24, 54 and 130; the file ends at 147.
const THREE: readonly Packet[] = [
  { wallMs: 1_000.5, data: fromHex('ffffffffffff 020000000001 0806') },
  { wallMs: 2_000.25, data: new Uint8Array(60).fill(0xab) },
  { wallMs: 3_000, data: fromHex('7f') },
];

/** Timestamps up to 2^32 s, in whole µs, so that a µs file keeps them exactly. */
const wholeMicroseconds = fc.integer({ min: 0, max: 2 ** 32 * 1e6 - 1 });
const frame = fc.uint8Array({ maxLength: 1600 });

describe('pcap reader', () => {
  for (const resolution of ['us', 'ns'] as const) {
    it(`reads back what the writer wrote, at ${resolution} resolution`, () => {
      const bytes = writePcap(THREE, { resolution, snapLength: 1514 });
      const file = readPcap(bytes);
      assert.ok(file.ok);
      const { records, ...fields } = file.value;
      assert.deepEqual(fields, {
        byteOrder: 'little',
        resolution,
        versionMajor: 2,
        versionMinor: 4,
        snapLength: 1514,
        linkType: 1,
      });
      assert.deepEqual(
        records.map((r) => [r.wallMs, r.seconds, r.fraction, toHex(r.data), r.originalLength]),
        THREE.map(({ wallMs, data }) => {
          const fraction = (wallMs % 1000) * (resolution === 'us' ? 1e3 : 1e6);
          return [wallMs, Math.floor(wallMs / 1000), fraction, toHex(data), data.length];
        }),
      );
    });
  }

  it('returns views into the input, not copies', () => {
    const bytes = writePcap(THREE);
    const file = readPcap(bytes);
    assert.ok(file.ok);
    const last = file.value.records[2]!;
    assert.equal(last.data.buffer, bytes.buffer);
    assert.equal(last.data.byteOffset, 146);
  });

  it('round-trips random frames and µs timestamps exactly', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ us: wholeMicroseconds, data: frame }), { maxLength: 8 }),
        (packets) => {
          const file = readPcap(
            writePcap(packets.map(({ us, data }) => ({ wallMs: us / 1000, data }))),
          );
          assert.ok(file.ok);
          assert.equal(file.value.records.length, packets.length);
          packets.forEach(({ us, data }, i) => {
            const record = file.value.records[i]!;
            assert.equal(record.seconds * 1e6 + record.fraction, us);
            assert.deepEqual(record.data, data);
            assert.equal(record.originalLength, data.length);
          });
        },
      ),
    );
  });

  it('rounds random timestamps to the nearest µs or ns, and cuts frames to the snap length', () => {
    const wallMs = fc.double({ min: 0, max: 2 ** 32 * 1000 - 1, noNaN: true });
    const packet = fc.record({ wallMs, data: frame });
    const resolution = fc.constantFrom<PcapResolution>('us', 'ns');
    const snapLength = fc.integer({ min: 1, max: 2000 });
    fc.assert(
      fc.property(
        fc.array(packet, { maxLength: 8 }),
        resolution,
        snapLength,
        (packets, resolution, snapLength) => {
          const file = readPcap(writePcap(packets, { resolution, snapLength }));
          assert.ok(file.ok);
          const unitsPerMs = resolution === 'us' ? 1_000n : 1_000_000n;
          packets.forEach(({ wallMs, data }, i) => {
            const record = file.value.records[i]!;
            assert.ok(record.fraction < 1000n * unitsPerMs);
            // |units - wallMs × unitsPerMs| ≤ ½, computed exactly, with a hair of slack for a
            // product a hair from a half unit (see splitTimestamp).
            const units = BigInt(record.seconds) * 1000n * unitsPerMs + BigInt(record.fraction);
            const { num, den } = exactRational(wallMs);
            const twiceError = 2n * (units * den - num * unitsPerMs);
            const bound = den + (den >> 30n);
            assert.ok(
              -bound <= twiceError && twiceError <= bound,
              `${wallMs} ms: ${record.seconds} s ${record.fraction}`,
            );
            assert.deepEqual(record.data, data.subarray(0, snapLength));
            assert.equal(record.originalLength, data.length);
          });
        },
      ),
    );
  });

  it('reads a big-endian nanosecond file written by hand', () => {
    const bytes = fromHex(`
      a1 b2 3c 4d   # magic 0xa1b23c4d: nanoseconds, big-endian
      00 02 00 04   # version 2.4
      ff ff ff c4   # reserved1: -60, a time zone an old writer stored; ignored
      00 00 00 00   # reserved2
      00 00 ff ff   # snap length 65535
      00 00 00 01   # LINKTYPE_ETHERNET

      # record 0, at byte 24
      65 53 f1 00   # seconds 1700000000 (2023-11-14 22:13:20 UTC)
      3b 9a c9 ff   # nanoseconds 999999999
      00 00 00 0e   # captured length 14
      00 00 00 3c   # original length 60: cut by the capture
      ff ff ff ff ff ff  02 00 00 00 00 01  08 06   # broadcast, from 02:00:00:00:00:01, ARP

      # record 1, at byte 54
      65 53 f1 01   # seconds 1700000001
      00 00 00 01   # nanoseconds 1
      00 00 00 02   # captured length 2
      00 00 00 02   # original length 2
      ca fe
    `);
    const file = readPcap(bytes);
    assert.ok(file.ok);
    const { records, ...fields } = file.value;
    assert.deepEqual(fields, {
      byteOrder: 'big',
      resolution: 'ns',
      versionMajor: 2,
      versionMinor: 4,
      snapLength: 65535,
      linkType: 1,
    });
    assert.deepEqual(
      records.map((r) => [r.seconds, r.fraction, toHex(r.data), r.originalLength]),
      [
        [1_700_000_000, 999_999_999, 'ffffffffffff0200000000010806', 60],
        [1_700_000_001, 1, 'cafe', 2],
      ],
    );
    assert.equal(records[0]!.wallMs, 1_700_000_000_000 + 999.999999);
  });

  it('rejects every truncated prefix of a valid file with the right reason, except at record boundaries', () => {
    const bytes = writePcap(THREE);
    const recordStarts = [24, 54, 130];
    assert.equal(bytes.length, 147);
    for (let length = 0; length < bytes.length; length++) {
      const result = readPcap(bytes.subarray(0, length));
      const whole = [24, ...recordStarts.slice(1)].indexOf(length);
      if (whole >= 0) {
        // A pcap file has no record count: a cut between records leaves a valid, shorter file.
        assert.ok(result.ok, `prefix of ${length} bytes`);
        assert.equal(result.value.records.length, whole);
        continue;
      }
      assert.ok(!result.ok, `prefix of ${length} bytes`);
      if (length < 24) {
        assert.deepEqual(result.error, {
          reason: 'truncated-file-header',
          offset: 0,
          message: `pcap file header at byte 0: the file is ${length} bytes long, shorter than the 24-byte file header`,
        });
        continue;
      }
      const index = recordStarts.findLastIndex((start) => start < length);
      const start = recordStarts[index]!;
      const reason: PcapErrorReason =
        length < start + 16 ? 'truncated-record-header' : 'truncated-record-data';
      assert.equal(result.error.reason, reason, `prefix of ${length} bytes`);
      assert.equal(result.error.offset, start);
      assert.equal(result.error.recordIndex, index);
    }
  });

  it('says what is wrong and where', () => {
    const cut = writePcap(THREE).subarray(0, 54 + 16 + 10);
    assert.equal(
      readError(cut).message,
      'pcap record 1 at byte 54: header says 60 captured bytes but only 10 remain (file truncated?)',
    );
    assert.equal(
      readError(writePcap(THREE).subarray(0, 60)).message,
      'pcap record 1 at byte 54: only 6 of the 16 header bytes remain (file truncated?)',
    );
  });

  it('rejects a file that is not pcap, naming pcapng when it is that', () => {
    const notPcap = readError(fromHex('7f454c46 0201 0100 0000000000000000 0000000000000000'));
    assert.equal(notPcap.reason, 'bad-magic');
    assert.match(
      notPcap.message,
      /^pcap file header at byte 0: starts with bytes 7f454c46, not a pcap magic number/,
    );
    const pcapng = readError(
      fromHex('0a0d0d0a 1c000000 4d3c2b1a 01000000 ffffffffffffffff 1c000000'),
    );
    assert.equal(pcapng.reason, 'bad-magic');
    assert.match(pcapng.message, /pcapng file/);
  });

  it('takes the link type from the low 16 bits, ignoring the FCS length above (§4)', () => {
    // P set, FCS length 2 (two 16-bit words: Ethernet's 4-byte FCS), LINKTYPE_IEEE802_11 (105).
    const file = readPcap(fromHex('d4c3b2a1 0200 0400 00000000 00000000 ffff0000 69000024'));
    assert.ok(file.ok);
    assert.equal(file.value.linkType, 105);
  });

  it('rejects versions other than 2.4', () => {
    for (const version of ['0200 0200', '0300 0400', '0100 0000']) {
      const error = readError(fromHex(`d4c3b2a1 ${version} 00000000 00000000 00000400 01000000`));
      assert.equal(error.reason, 'unsupported-version');
      assert.equal(error.offset, 4);
    }
  });

  it('accepts a record longer than the snap length up to 262144 bytes, as libpcap does', () => {
    const data = new Uint8Array(100).fill(7);
    const file = readPcap(concatBytes([header(64), recordHeader(0, 0, 100, 100), data]));
    assert.ok(file.ok);
    assert.deepEqual(file.value.records[0]!.data, data);

    const tooLong = readError(concatBytes([header(64), recordHeader(0, 0, 262145, 262145)]));
    assert.equal(tooLong.reason, 'record-longer-than-snaplen');
    assert.equal(tooLong.recordIndex, 0);
    // A file whose snap length is above 262144 may hold records that long.
    const big = readError(concatBytes([header(300000), recordHeader(0, 0, 262145, 262145)]));
    assert.equal(big.reason, 'truncated-record-data');
  });

  it('returns an original length below the captured length as it is (draft §5)', () => {
    const file = readPcap(
      concatBytes([header(65535), recordHeader(0, 0, 3, 2), fromHex('010203')]),
    );
    assert.ok(file.ok);
    assert.equal(file.value.records[0]!.originalLength, 2);
  });

  it('rejects a timestamp fraction of a second or more', () => {
    const record = concatBytes([recordHeader(0, 999_999, 0, 0), recordHeader(0, 1_000_000, 0, 0)]);
    const error = readError(concatBytes([header(65535), record]));
    assert.deepEqual(error, {
      reason: 'fraction-out-of-range',
      offset: 40,
      recordIndex: 1,
      message:
        'pcap record 1 at byte 40: timestamp fraction 1000000 us is a second or more (corrupt header?)',
    });
  });

  it('never throws on random bytes', () => {
    const anyHeader = fc.constantFrom(
      new Uint8Array(0),
      header(65535),
      fromHex('a1b23c4d 0002 0004'),
    );
    fc.assert(
      fc.property(anyHeader, fc.uint8Array({ maxLength: 300 }), (prefix, rest) => {
        checkResult(concatBytes([prefix, rest]));
      }),
    );
  });

  it('never throws on a valid file with one byte changed', () => {
    for (const resolution of ['us', 'ns'] as const) {
      const valid = writePcap(THREE, { resolution });
      fc.assert(
        fc.property(
          fc.nat({ max: valid.length - 1 }),
          fc.integer({ min: 0, max: 255 }),
          (at, value) => {
            const mutated = valid.slice();
            mutated[at] = value;
            checkResult(mutated);
          },
        ),
        { numRuns: 1000 },
      );
    }
  });
});

/** A Result whose Err points inside the input and whose records are views within it. */
function checkResult(bytes: Uint8Array): void {
  const result = readPcap(bytes);
  if (!result.ok) {
    assert.ok(result.error.offset >= 0 && result.error.offset <= bytes.length);
    assert.ok(result.error.message.length > 0);
    return;
  }
  for (const record of result.value.records) {
    assert.equal(record.data.buffer, bytes.buffer);
    assert.ok(record.data.byteOffset + record.data.length <= bytes.byteOffset + bytes.length);
  }
}

/** The exact value of a finite double, as num / den with den a power of two. */
function exactRational(x: number): { num: bigint; den: bigint } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const biasedExponent = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  const mantissa = biasedExponent === 0 ? fraction : fraction | (1n << 52n);
  // value = mantissa × 2^(exponent - 1075); subnormals have the exponent of biased exponent 1.
  const shift = Math.max(biasedExponent, 1) - 1075;
  return shift >= 0
    ? { num: mantissa << BigInt(shift), den: 1n }
    : { num: mantissa, den: 1n << BigInt(-shift) };
}
