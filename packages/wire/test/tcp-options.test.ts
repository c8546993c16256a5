import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bytesEqual, concatBytes, fromHex } from '@oasis/core';
import fc from 'fast-check';
import {
  ParsedTcpOptions,
  parseTcpOptions,
  TCP_MAX_OPTIONS_LENGTH,
  TCP_TIMESTAMP_OPTION_LENGTH,
  type TcpOptionsOut,
  tcpOptionsLength,
  writeSackOption,
  writeTcpOptions,
  writeTimestampOption,
} from '../src/tcp-options.ts';

// The options of a Linux SYN (see tcp.test.ts): tshark reads "mss 1460, sackOK, TS val 1234567
// ecr 0, nop, wscale 7".
const SYN_OPTIONS = fromHex(`
  02 04 05 b4              # MSS 1460
  04 02                    # SACK-Permitted
  08 0a 00 12 d6 87 00 00 00 00   # Timestamps: TSval 1234567, TSecr 0
  01                       # NOP
  03 03 07                 # window scale 7
`);
// The SYN-ACK's: the same layout, echoing the client's TSval.
const SYN_ACK_OPTIONS = fromHex(`
  02 04 05 b4              # MSS 1460
  04 02                    # SACK-Permitted
  08 0a 5a 7b 01 02 00 12 d6 87   # Timestamps: TSval 1518010626, TSecr 1234567
  01 03 03 07              # NOP, window scale 7
`);
// A duplicate ACK reporting one block received above a hole, as Linux lays it out.
const SACK_OPTIONS = fromHex(`
  01 01 08 0a 5a 7b 01 10 00 12 d6 90   # NOP, NOP, Timestamps: TSval 1518010640, TSecr 1234576
  01 01                    # NOP, NOP
  05 0a 1e 8b 40 00 1e 8b 44 00         # SACK, one block: 512442368-512443392
`);

/** Parses `options` into a fresh record, asserting the verdict. */
function read(options: Uint8Array, valid = true): ParsedTcpOptions {
  const into = new ParsedTcpOptions();
  assert.equal(parseTcpOptions(options, into), valid);
  return into;
}

function written(out: TcpOptionsOut): Uint8Array {
  const buffer = new Uint8Array(tcpOptionsLength(out));
  assert.equal(writeTcpOptions(buffer, 0, out), buffer.length);
  return buffer;
}

function sackBlocks(options: ParsedTcpOptions): number[] {
  return [...options.sackEdges.subarray(0, 2 * options.sackCount)];
}

/** What a record says, for deepEqual. */
interface Fields {
  readonly mss: number;
  readonly windowScale: number;
  readonly sackPermitted: boolean;
  readonly hasTimestamp: boolean;
  readonly tsValue: number;
  readonly tsEcho: number;
  readonly sackBlocks: readonly number[];
}

function fields(options: ParsedTcpOptions): Fields {
  return {
    mss: options.mss,
    windowScale: options.windowScale,
    sackPermitted: options.sackPermitted,
    hasTimestamp: options.hasTimestamp,
    tsValue: options.tsValue,
    tsEcho: options.tsEcho,
    sackBlocks: sackBlocks(options),
  };
}

const NONE: Fields = {
  mss: 0,
  windowScale: -1,
  sackPermitted: false,
  hasTimestamp: false,
  tsValue: 0,
  tsEcho: 0,
  sackBlocks: [],
};

describe('TCP options', () => {
  it('reads the options of a Linux SYN and SYN-ACK', () => {
    assert.deepEqual(fields(read(SYN_OPTIONS)), {
      mss: 1460,
      windowScale: 7,
      sackPermitted: true,
      hasTimestamp: true,
      tsValue: 1234567,
      tsEcho: 0,
      sackBlocks: [],
    });
    assert.deepEqual(fields(read(SYN_ACK_OPTIONS)), {
      mss: 1460,
      windowScale: 7,
      sackPermitted: true,
      hasTimestamp: true,
      tsValue: 1518010626,
      tsEcho: 1234567,
      sackBlocks: [],
    });
  });

  it('reads timestamps and SACK blocks of a data segment', () => {
    assert.deepEqual(fields(read(SACK_OPTIONS)), {
      ...NONE,
      hasTimestamp: true,
      tsValue: 1518010640,
      tsEcho: 1234576,
      sackBlocks: [0x1e8b4000, 0x1e8b4400],
    });
  });

  it('reads 1 to 4 SACK blocks, with edges above 2^31 unsigned', () => {
    for (let count = 1; count <= 4; count++) {
      const edges = Array.from({ length: 2 * count }, (_, i) => 0xffff_fff0 + i);
      const options = new Uint8Array(4 + 8 * count);
      assert.equal(writeSackOption(options, 0, edges, count), options.length);
      assert.deepEqual(sackBlocks(read(options)), edges);
      assert.equal(read(options).sackCount, count);
    }
  });

  it('reads no options from an empty list or one of NOPs and End of Option List', () => {
    assert.deepEqual(fields(read(new Uint8Array(0))), NONE);
    assert.deepEqual(fields(read(fromHex('01 01 01 01'))), NONE);
    assert.deepEqual(fields(read(fromHex('00 00 00 00'))), NONE);
  });

  it('stops at End of Option List, whatever follows it', () => {
    // MSS, then EOL, then what would be a window scale and a malformed option: padding.
    const options = fromHex('02 04 05 b4  00  03 03 07  02 00 00 00');
    assert.deepEqual(fields(read(options)), { ...NONE, mss: 1460 });
  });

  it('needs no alignment (RFC 9293 §3.2 MUST-64)', () => {
    const options = fromHex('03 03 0e  02 04 23 28  08 0a 00 00 00 01 00 00 00 02  04 02 01 01');
    assert.deepEqual(fields(read(options)), {
      ...NONE,
      mss: 9000,
      windowScale: 14,
      sackPermitted: true,
      hasTimestamp: true,
      tsValue: 1,
      tsEcho: 2,
    });
  });

  it('keeps a window scale above 14 as read: the caller clamps it', () => {
    assert.equal(read(fromHex('01 03 03 0f')).windowScale, 15);
    assert.equal(read(fromHex('01 03 03 ff')).windowScale, 255);
    assert.equal(read(fromHex('01 03 03 00')).windowScale, 0);
  });

  it('skips unknown kinds by their length (RFC 9293 §3.1 MUST-6)', () => {
    const options = fromHex(`
      1e 0c 00 81 01 02 03 04 05 06 07 08   # MPTCP (30), MP_CAPABLE
      22 02                                  # TCP Fast Open cookie request (34), empty
      fe 06 f9 89 00 00                      # experimental (254) with an ExID
      02 04 05 78                            # MSS 1400
      63 02                                  # kind 99, nothing assigned
    `);
    assert.deepEqual(fields(read(options)), { ...NONE, mss: 1400 });
  });

  it('skips and ignores a known kind with a length it cannot have', () => {
    const cases = [
      '02 03 05   02 05 05 b4 00', // MSS of lengths 3 and 5
      '03 02   03 04 07 00', // window scale of lengths 2 and 4
      '04 03 00', // SACK-Permitted of length 3
      '08 08 00 00 00 01 00 00', // Timestamps of length 8
      '05 02   05 06 00 00 00 01   05 0b 00 00 00 01 00 00 00 02 00', // SACK of 0 blocks, 4 and 9 bytes
      `05 2a ${'00 '.repeat(40)}`, // SACK of 5 blocks: more than fit in a header
    ];
    for (const text of cases) {
      // Each is followed by an option that must still be read.
      const options = concatBytes([fromHex(text), fromHex('01 03 03 05')]);
      assert.deepEqual(fields(read(options)), { ...NONE, windowScale: 5 }, text);
    }
  });

  it('refuses an illegal option length (RFC 9293 §3.1 MUST-7)', () => {
    const cases = [
      '02 00 05 b4', // length 0: the walk would never advance
      '02 01 05 b4', // length 1: shorter than kind and length
      '01 01 08 0a 00 00 00 01 00 00', // Timestamps running 2 bytes past the end
      '01 01 01 02', // a kind with no room for its length octet
      '02', // the same, alone
      'fe ff 00 00', // an unknown kind running past the end
      '02 04 05 b4 03 00 00 00', // fine, then length 0
    ];
    for (const text of cases) read(fromHex(text), false);
  });

  it('resets the record on every parse, so one serves every segment', () => {
    const into = new ParsedTcpOptions();
    assert.ok(parseTcpOptions(SYN_OPTIONS, into));
    assert.ok(parseTcpOptions(SACK_OPTIONS, into));
    assert.deepEqual(fields(into), fields(read(SACK_OPTIONS)));
    assert.ok(parseTcpOptions(new Uint8Array(0), into));
    assert.deepEqual(fields(into), NONE);
    into.mss = 1;
    into.reset();
    assert.deepEqual(fields(into), NONE);
  });

  it('lets a repeated option override the earlier one', () => {
    assert.equal(read(fromHex('02 04 05 b4 02 04 02 18')).mss, 536);
    // MSS 0 reads as absent.
    assert.equal(read(fromHex('02 04 05 b4 02 04 00 00')).mss, 0);
  });

  it("writes a SYN's options exactly as Linux does", () => {
    const synOut: TcpOptionsOut = {
      mss: 1460,
      sackPermitted: true,
      timestamp: { value: 1234567, echo: 0 },
      windowScale: 7,
    };
    assert.ok(bytesEqual(written(synOut), SYN_OPTIONS));
    const synAckOut = { ...synOut, timestamp: { value: 1518010626, echo: 1234567 } };
    assert.ok(bytesEqual(written(synAckOut), SYN_ACK_OPTIONS));
    // Without timestamps (net.ipv4.tcp_timestamps=0): "mss 1460,nop,nop,sackOK,nop,wscale 7".
    assert.ok(
      bytesEqual(
        written({ mss: 1460, sackPermitted: true, windowScale: 7 }),
        fromHex('02 04 05 b4  01 01 04 02  01 03 03 07'),
      ),
    );
    // Without SACK: "mss 1460,nop,nop,TS val 1 ecr 2,nop,wscale 0".
    assert.ok(
      bytesEqual(
        written({ mss: 1460, timestamp: { value: 1, echo: 2 }, windowScale: 0 }),
        fromHex('02 04 05 b4  01 01 08 0a 00 00 00 01 00 00 00 02  01 03 03 00'),
      ),
    );
    assert.ok(bytesEqual(written({ mss: 536 }), fromHex('02 04 02 18')));
    assert.equal(tcpOptionsLength({}), 0);
    assert.equal(writeTcpOptions(new Uint8Array(0), 0, {}), 0);
  });

  it("writes a data segment's options exactly as Linux does", () => {
    const out: TcpOptionsOut = {
      timestamp: { value: 1518010640, echo: 1234576 },
      sackBlocks: [0x1e8b4000, 0x1e8b4400],
    };
    assert.ok(bytesEqual(written(out), SACK_OPTIONS));
    // The hot-path writers give the same bytes.
    const buffer = new Uint8Array(SACK_OPTIONS.length);
    writeTimestampOption(buffer, 0, 1518010640, 1234576);
    const edges = Uint32Array.of(0x1e8b4000, 0x1e8b4400, 7, 7);
    assert.equal(writeSackOption(buffer, TCP_TIMESTAMP_OPTION_LENGTH, edges, 1), 12);
    assert.ok(bytesEqual(buffer, SACK_OPTIONS));
    // Three blocks next to timestamps fill 40 bytes exactly.
    const full = { ...out, sackBlocks: [1, 2, 3, 4, 5, 6] };
    assert.equal(tcpOptionsLength(full), TCP_MAX_OPTIONS_LENGTH);
    assert.deepEqual(sackBlocks(read(written(full))), [1, 2, 3, 4, 5, 6]);
    // An empty list sends no SACK option; so does a count of 0.
    assert.equal(tcpOptionsLength({ sackBlocks: [] }), 0);
    assert.equal(writeSackOption(new Uint8Array(0), 0, [], 0), 0);
  });

  it('writes at an offset and nowhere else', () => {
    const buffer = new Uint8Array(40).fill(0xee);
    assert.equal(writeTcpOptions(buffer, 8, { mss: 1460 }), 4);
    assert.ok(bytesEqual(buffer.subarray(8, 12), fromHex('02 04 05 b4')));
    assert.equal(buffer[7], 0xee);
    assert.equal(buffer[12], 0xee);
  });

  it('reads back what it writes', () => {
    const u32 = fc.nat({ max: 0xffff_ffff });
    const outArbitrary = fc
      .record(
        {
          mss: fc.integer({ min: 1, max: 0xffff }),
          windowScale: fc.nat({ max: 14 }),
          sackPermitted: fc.boolean(),
          timestamp: fc.record({ value: u32, echo: u32 }),
          sackBlocks: fc
            .array(u32, { maxLength: 8 })
            .map((edges) => edges.slice(0, edges.length & ~1)),
        },
        { requiredKeys: [] },
      )
      .filter((out) => tcpOptionsLength(out) <= TCP_MAX_OPTIONS_LENGTH);
    fc.assert(
      fc.property(outArbitrary, (out) => {
        const bytes = written(out);
        assert.equal(bytes.length % 4, 0);
        const into = read(bytes);
        assert.deepEqual(fields(into), {
          mss: out.mss ?? 0,
          windowScale: out.windowScale ?? -1,
          sackPermitted: out.sackPermitted ?? false,
          hasTimestamp: out.timestamp !== undefined,
          tsValue: out.timestamp?.value ?? 0,
          tsEcho: out.timestamp?.echo ?? 0,
          sackBlocks: out.sackBlocks ?? [],
        });
      }),
      { numRuns: 500 },
    );
  });

  it('reads any well-formed list as the last valid instance of each option says', () => {
    const u32 = fc.nat({ max: 0xffff_ffff });
    type Item = { bytes: Uint8Array; apply: (expected: Fields) => Fields };
    const unchanged = (expected: Fields) => expected;
    const withLength = (kind: number, data: Uint8Array) =>
      concatBytes([Uint8Array.of(kind, 2 + data.length), data]);
    const itemArbitrary: fc.Arbitrary<Item> = fc.oneof(
      fc.constant({ bytes: Uint8Array.of(1), apply: unchanged }),
      fc.nat({ max: 0xffff }).map((mss) => ({
        bytes: withLength(2, Uint8Array.of(mss >>> 8, mss & 0xff)),
        apply: (e: Fields) => ({ ...e, mss }),
      })),
      fc.nat({ max: 0xff }).map((shift) => ({
        bytes: withLength(3, Uint8Array.of(shift)),
        apply: (e: Fields) => ({ ...e, windowScale: shift }),
      })),
      fc.constant({
        bytes: withLength(4, new Uint8Array(0)),
        apply: (e: Fields) => ({ ...e, sackPermitted: true }),
      }),
      fc.tuple(u32, u32).map(([value, echo]) => {
        const bytes = new Uint8Array(12);
        writeTimestampOption(bytes, 0, value, echo);
        return {
          bytes,
          apply: (e: Fields) => ({ ...e, hasTimestamp: true, tsValue: value, tsEcho: echo }),
        };
      }),
      fc.array(u32, { minLength: 2, maxLength: 8 }).map((edges) => {
        const count = edges.length >>> 1;
        const bytes = new Uint8Array(4 + 8 * count);
        writeSackOption(bytes, 0, edges, count);
        const blocks = edges.slice(0, 2 * count);
        return { bytes, apply: (e: Fields) => ({ ...e, sackBlocks: blocks }) };
      }),
      // Unknown kinds, and known ones with a length they cannot have: skipped.
      fc
        .tuple(fc.integer({ min: 6, max: 255 }), fc.uint8Array({ maxLength: 12 }))
        .filter(([kind]) => kind !== 8)
        .map(([kind, data]) => ({ bytes: withLength(kind, data), apply: unchanged })),
      fc
        .tuple(fc.constantFrom(2, 3, 4, 5, 8), fc.uint8Array({ maxLength: 12 }))
        .filter(([kind, data]) => {
          const length = 2 + data.length;
          if (kind === 5) return (length - 2) % 8 !== 0 || length === 2;
          return length !== { 2: 4, 3: 3, 4: 2, 8: 10 }[kind];
        })
        .map(([kind, data]) => ({ bytes: withLength(kind, data), apply: unchanged })),
    );
    fc.assert(
      fc.property(fc.array(itemArbitrary, { maxLength: 8 }), (items) => {
        const bytes = concatBytes(items.map((item) => item.bytes));
        const expected = items.reduce((e, item) => item.apply(e), NONE);
        assert.deepEqual(fields(read(bytes)), expected);
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on random bytes, and keeps its fields in range', () => {
    const into = new ParsedTcpOptions();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 60 }), (bytes) => {
        const valid = parseTcpOptions(bytes, into);
        assert.equal(typeof valid, 'boolean');
        assert.ok(into.sackCount >= 0 && into.sackCount <= 4);
        assert.ok(into.mss >= 0 && into.mss <= 0xffff);
        assert.ok(into.windowScale >= -1 && into.windowScale <= 0xff);
        assert.ok(into.tsValue >= 0 && into.tsEcho >= 0);
      }),
      { numRuns: 1000 },
    );
  });

  it('throws RangeError on programmer errors when writing', () => {
    const bad: TcpOptionsOut[] = [
      { timestamp: { value: 1, echo: 2 }, sackBlocks: [1, 2, 3, 4, 5, 6, 7, 8] }, // 44 bytes
      { sackBlocks: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] }, // 5 blocks
      {
        mss: 1460,
        windowScale: 7,
        sackPermitted: true,
        timestamp: { value: 1, echo: 2 },
        sackBlocks: [1, 2, 3, 4, 5, 6],
      }, // 48 bytes
      { sackBlocks: [1, 2, 3] },
      { windowScale: 15 },
      { windowScale: -1 },
      { mss: 65536 },
      { timestamp: { value: 0x1_0000_0000, echo: 0 } },
      { timestamp: { value: 0, echo: -1 } },
      { sackBlocks: [1, 2.5] },
    ];
    for (const out of bad) {
      assert.throws(
        () => writeTcpOptions(new Uint8Array(64), 0, out),
        RangeError,
        JSON.stringify(out),
      );
    }
    // Nothing is written before the check.
    const buffer = new Uint8Array(64);
    assert.throws(() => writeTcpOptions(buffer, 0, { mss: 1460, windowScale: 15 }), RangeError);
    assert.ok(buffer.every((byte) => byte === 0));
    assert.throws(() => writeTcpOptions(new Uint8Array(3), 0, { mss: 1460 }), RangeError);
    assert.throws(() => writeTcpOptions(new Uint8Array(8), 6, { mss: 1460 }), RangeError);
    assert.throws(() => writeTimestampOption(new Uint8Array(11), 0, 1, 2), RangeError);
    assert.throws(() => writeTimestampOption(new Uint8Array(12), 1, 1, 2), RangeError);
    assert.throws(() => writeSackOption(new Uint8Array(64), 0, [1, 2], 5), RangeError);
    assert.throws(() => writeSackOption(new Uint8Array(64), 0, [1, 2], 2), RangeError); // too few edges
    assert.throws(() => writeSackOption(new Uint8Array(11), 0, [1, 2], 1), RangeError);
    assert.throws(() => writeSackOption(new Uint8Array(64), 0, [1, 2], -1), RangeError);
  });
});
