import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bytesEqual, concatBytes, fromHex, internetChecksum, sumWords } from '@oasis/core';
import fc from 'fast-check';
import { ipv4PseudoHeaderSum } from '../src/pseudo-header.ts';
import {
  emitTcp,
  parseTcp,
  TCP_ACK,
  TCP_CHECKSUM_OFFSET,
  TCP_CWR,
  TCP_ECE,
  TCP_ERRORS,
  TCP_FIN,
  TCP_HEADER_LENGTH,
  TCP_MAX_HEADER_LENGTH,
  TCP_PSH,
  TCP_RST,
  TCP_SYN,
  TCP_URG,
  TcpPacket,
  type TcpRepr,
  tcpChecksumValid,
  tcpFinishChecksum,
  tcpLength,
  writeTcpHeader,
} from '../src/tcp.ts';
import { writeTcpOptions, writeTimestampOption } from '../src/tcp-options.ts';

const TCP = 6; // IANA protocol number
const CLIENT = 0xc0a8010a; // 192.168.1.10
const SERVER = 0xc0a80114; // 192.168.1.20

// The SYN of `curl http://192.168.1.20/` from a Linux client (192.168.1.10:51234), with the
// options Linux sends by default: MSS, SACK-Permitted sharing a word with Timestamps, window
// scale after a NOP. tshark decodes it as "mss 1460, sackOK, TS val 1234567 ecr 0, nop, wscale 7"
// with a good checksum.
const SYN = fromHex(`
  c8 22                    # source port 51234
  00 50                    # destination port 80
  1e 8b 3c 52              # sequence number (the ISN)
  00 00 00 00              # acknowledgment number: none without ACK
  a0                       # data offset 10 words (40 bytes), reserved bits 0
  02                       # flags: SYN
  fa f0                    # window 64240 (never scaled on a SYN)
  cf b6                    # checksum over pseudo-header, header and options
  00 00                    # urgent pointer
  02 04 05 b4              # MSS 1460
  04 02                    # SACK-Permitted
  08 0a 00 12 d6 87 00 00 00 00   # Timestamps: TSval 1234567, TSecr 0
  01                       # NOP
  03 03 07                 # window scale 7
`);
const SYN_PSEUDO_SUM = ipv4PseudoHeaderSum(CLIENT, SERVER, TCP, SYN.length);

// The request that follows: PSH|ACK with the aligned Timestamps of every data segment, and 27
// bytes of data, so the checksum pads an odd last byte with a zero (RFC 1071 §4.1).
const REQUEST = fromHex(`
  c8 22 00 50              # ports 51234 -> 80
  1e 8b 3c 53              # sequence number: ISN + 1
  9a 3f 0c 12              # acknowledgment number: the server's ISN + 1
  80                       # data offset 8 words (32 bytes)
  18                       # flags: PSH, ACK
  01 f6                    # window 502 (scaled by 2^7 after the handshake)
  b8 bd                    # checksum
  00 00                    # urgent pointer
  01 01 08 0a 00 12 d6 90 5a 7b 01 02   # NOP, NOP, Timestamps: TSval 1234576, TSecr 1518010626
  47 45 54 20 2f 20 48 54 54 50 2f 31 2e 31 0d 0a   # GET / HTTP/1.1
  48 6f 73 74 3a 20 61 0d 0a 0d 0a                   # Host: a, empty line
`);
const REQUEST_PSEUDO_SUM = ipv4PseudoHeaderSum(CLIENT, SERVER, TCP, REQUEST.length);

function withChecksum(bytes: Uint8Array, checksum: number): Uint8Array {
  const copy = bytes.slice();
  copy[TCP_CHECKSUM_OFFSET] = checksum >>> 8;
  copy[TCP_CHECKSUM_OFFSET + 1] = checksum & 0xff;
  return copy;
}

/** Emits `repr` into a buffer of its exact length. */
function emitted(repr: TcpRepr, pseudoSum?: number): Uint8Array {
  const buffer = new Uint8Array(tcpLength(repr));
  assert.equal(emitTcp(repr, buffer, pseudoSum), buffer.length);
  return buffer;
}

/**
 * What a device does with a NEEDS_CSUM segment: sums from csum_start, stores the complement at
 * csum_offset. (Linux's software fallback would write a computed 0 as 0xffff; see the test of a
 * computed zero for why that verifies too.)
 */
function finishOnDevice(segment: Uint8Array): void {
  const checksum = internetChecksum(segment);
  segment[TCP_CHECKSUM_OFFSET] = checksum >>> 8;
  segment[TCP_CHECKSUM_OFFSET + 1] = checksum & 0xff;
}

function parsed(bytes: Uint8Array, pseudoSum?: number): TcpRepr {
  const result = parseTcp(bytes, pseudoSum);
  assert.ok(result.ok, `parse failed: ${JSON.stringify(result)}`);
  return result.value;
}

const u16 = fc.nat({ max: 0xffff });
const u32 = fc.nat({ max: 0xffff_ffff });
const optionsArbitrary = fc
  .nat({ max: 10 })
  .chain((words) => fc.uint8Array({ minLength: 4 * words, maxLength: 4 * words }));
const reprArbitrary = fc.record({
  sourcePort: u16,
  destinationPort: u16,
  sequence: u32,
  acknowledgment: u32,
  flags: fc.nat({ max: 0xff }),
  reservedBits: fc.nat({ max: 0x0f }),
  window: u16,
  checksum: fc.constant<'compute'>('compute'),
  urgentPointer: u16,
  options: optionsArbitrary,
  payload: fc.uint8Array({ maxLength: 64 }),
});
/** A valid segment as raw bytes: any fixed header with a data offset the bytes hold. */
const segmentArbitrary = fc
  .tuple(
    fc.uint8Array({ minLength: 20, maxLength: 20 }),
    optionsArbitrary,
    fc.uint8Array({ maxLength: 48 }),
  )
  .map(([header, options, payload]) => {
    const bytes = concatBytes([header, options, payload]);
    bytes[12] = (((20 + options.length) / 4) << 4) | (header[12]! & 0x0f);
    return bytes;
  });
const addressArbitrary = u32;

describe('TCP', () => {
  it('reads a Linux SYN and verifies its checksum against the pseudo-header', () => {
    // The fixture's checksum, recomputed with the field zeroed.
    assert.equal(internetChecksum(withChecksum(SYN, 0), SYN_PSEUDO_SUM), 0xcfb6);
    const result = TcpPacket.checked(SYN);
    assert.ok(result.ok);
    const packet = result.value;
    assert.equal(packet.sourcePort, 51234);
    assert.equal(packet.destinationPort, 80);
    assert.equal(packet.sequence, 0x1e8b3c52);
    assert.equal(packet.acknowledgment, 0);
    assert.equal(packet.headerLength, 40);
    assert.equal(packet.reservedBits, 0);
    assert.equal(packet.flags, TCP_SYN);
    assert.equal(packet.window, 64240);
    assert.equal(packet.checksum, 0xcfb6);
    assert.equal(packet.urgentPointer, 0);
    assert.ok(bytesEqual(packet.options, SYN.subarray(20, 40)));
    assert.equal(packet.payload.length, 0);
    assert.ok(tcpChecksumValid(packet, SYN_PSEUDO_SUM));
    // The same segment to another address does not verify: the pseudo-header protects it.
    assert.ok(!tcpChecksumValid(packet, ipv4PseudoHeaderSum(CLIENT, SERVER + 1, TCP, 40)));
  });

  it('reads a data segment with an odd number of data bytes', () => {
    const result = TcpPacket.checked(REQUEST);
    assert.ok(result.ok);
    const packet = result.value;
    assert.equal(packet.sequence, 0x1e8b3c53);
    assert.equal(packet.acknowledgment, 0x9a3f0c12);
    assert.equal(packet.flags, TCP_PSH | TCP_ACK);
    assert.equal(packet.headerLength, 32);
    assert.equal(packet.window, 502);
    assert.equal(packet.options.length, 12);
    assert.equal(new TextDecoder().decode(packet.payload), 'GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    // Borrowed, not copied.
    assert.equal(packet.payload.buffer, REQUEST.buffer);
    assert.ok(tcpChecksumValid(packet, REQUEST_PSEUDO_SUM));
    assert.equal(internetChecksum(withChecksum(REQUEST, 0), REQUEST_PSEUDO_SUM), 0xb8bd);
  });

  it('reads sequence numbers above 2^31 as unsigned', () => {
    const bytes = SYN.slice();
    bytes.set([0xff, 0xff, 0xff, 0xfe, 0x80, 0, 0, 1], 4);
    const packet = TcpPacket.unchecked(bytes);
    assert.equal(packet.sequence, 0xffff_fffe);
    assert.equal(packet.acknowledgment, 0x8000_0001);
  });

  it('reads every flag and the reserved bits, and keeps them on a round trip', () => {
    const flags = [TCP_FIN, TCP_SYN, TCP_RST, TCP_PSH, TCP_ACK, TCP_URG, TCP_ECE, TCP_CWR];
    assert.deepEqual(flags, [1, 2, 4, 8, 16, 32, 64, 128]);
    const bytes = SYN.slice();
    bytes[12] = 0xaf; // data offset 10, every reserved bit set
    bytes[13] = 0xff;
    const packet = TcpPacket.unchecked(bytes);
    assert.equal(packet.headerLength, 40);
    assert.equal(packet.reservedBits, 0x0f);
    assert.equal(packet.flags, 0xff);
    for (const flag of flags) assert.ok((packet.flags & flag) !== 0);
    const repr = parsed(bytes);
    assert.equal(repr.reservedBits, 0x0f);
    assert.ok(bytesEqual(emitted(repr), bytes));
  });

  it('parses with and without checksum verification', () => {
    const repr = parsed(REQUEST, REQUEST_PSEUDO_SUM);
    assert.deepEqual(repr, {
      sourcePort: 51234,
      destinationPort: 80,
      sequence: 0x1e8b3c53,
      acknowledgment: 0x9a3f0c12,
      flags: TCP_PSH | TCP_ACK,
      reservedBits: 0,
      window: 502,
      checksum: 0xb8bd,
      urgentPointer: 0,
      options: REQUEST.subarray(20, 32),
      payload: REQUEST.subarray(32),
    });
    const corrupted = withChecksum(REQUEST, 0xb8be);
    assert.deepEqual(parseTcp(corrupted, REQUEST_PSEUDO_SUM), {
      ok: false,
      error: TCP_ERRORS['bad-checksum'],
    });
    // A device that verified the checksum (or a caller that does not care) passes undefined.
    assert.ok(parseTcp(corrupted, undefined).ok);
    // Unlike UDP, a zero checksum is no "not computed": it is checked like any other.
    assert.deepEqual(parseTcp(withChecksum(REQUEST, 0), REQUEST_PSEUDO_SUM), {
      ok: false,
      error: TCP_ERRORS['bad-checksum'],
    });
  });

  it('round-trips byte-exact, whatever checksum the segment carried', () => {
    for (const bytes of [SYN, REQUEST, withChecksum(REQUEST, 0), withChecksum(SYN, 0x1234)]) {
      assert.ok(bytesEqual(emitted(parsed(bytes)), bytes));
    }
  });

  it('refuses every truncated prefix of a header, and reads a cut data segment as shorter', () => {
    for (let length = 0; length < SYN.length; length++) {
      const reason = length < 20 ? 'truncated' : 'bad-offset';
      assert.deepEqual(
        TcpPacket.checked(SYN.subarray(0, length)),
        { ok: false, error: TCP_ERRORS[reason] },
        `length ${length}`,
      );
    }
    // TCP has no length field: the IP layer delimits the segment, and a segment cut inside its
    // data is a valid view of fewer bytes, which the checksum then refuses.
    for (let length = 0; length < REQUEST.length; length++) {
      const prefix = REQUEST.subarray(0, length);
      const pseudoSum = ipv4PseudoHeaderSum(CLIENT, SERVER, TCP, length);
      const result = parseTcp(prefix, pseudoSum);
      if (length < 20) {
        assert.deepEqual(result, { ok: false, error: TCP_ERRORS.truncated }, `length ${length}`);
      } else if (length < 32) {
        assert.deepEqual(
          result,
          { ok: false, error: TCP_ERRORS['bad-offset'] },
          `length ${length}`,
        );
      } else {
        const packet = TcpPacket.checked(prefix);
        assert.ok(packet.ok);
        assert.equal(packet.value.payload.length, length - 32);
        assert.deepEqual(result, { ok: false, error: TCP_ERRORS['bad-checksum'] });
      }
    }
  });

  it('refuses a data offset below 5 words or past the bytes', () => {
    for (let words = 0; words < 5; words++) {
      const bytes = SYN.slice();
      bytes[12] = words << 4;
      assert.deepEqual(TcpPacket.checked(bytes), { ok: false, error: TCP_ERRORS['bad-offset'] });
    }
    for (let words = 11; words <= 15; words++) {
      const bytes = SYN.slice();
      bytes[12] = words << 4;
      assert.deepEqual(TcpPacket.checked(bytes), { ok: false, error: TCP_ERRORS['bad-offset'] });
    }
    // The largest header: 15 words, 40 option bytes (here NOPs), no data.
    const longest = concatBytes([SYN.subarray(0, 20), new Uint8Array(40).fill(1)]);
    longest[12] = 0xf0;
    const result = TcpPacket.checked(longest);
    assert.ok(result.ok);
    assert.equal(result.value.headerLength, TCP_MAX_HEADER_LENGTH);
    assert.equal(result.value.options.length, 40);
    assert.equal(result.value.payload.length, 0);
    // The smallest: 5 words, no options.
    const shortest = SYN.slice(0, 20);
    shortest[12] = 0x50;
    const small = TcpPacket.checked(shortest);
    assert.ok(small.ok);
    assert.equal(small.value.options.length, 0);
  });

  it('computes the checksum on emit', () => {
    for (const [bytes, pseudoSum] of [
      [SYN, SYN_PSEUDO_SUM],
      [REQUEST, REQUEST_PSEUDO_SUM],
    ] as const) {
      const repr: TcpRepr = { ...parsed(bytes, pseudoSum), checksum: 'compute' };
      assert.ok(bytesEqual(emitted(repr, pseudoSum), bytes));
    }
  });

  it('sends a computed checksum of zero as zero, and 0xffff verifies too', () => {
    // Choose a 16-bit data word that makes the sum all ones, so the complement is zero.
    const pseudoSum = ipv4PseudoHeaderSum(CLIENT, SERVER, TCP, 22);
    const header = new Uint8Array(20);
    writeTcpHeader(header, 0x1000, 0x2000, 1, 2, 20, TCP_ACK, 1000, 0);
    const word = 0xffff - sumWords(header, pseudoSum);
    const repr: TcpRepr = {
      ...parsed(header),
      checksum: 'compute',
      payload: Uint8Array.of(word >>> 8, word & 0xff),
    };
    const segment = emitted(repr, pseudoSum);
    const packet = TcpPacket.unchecked(segment);
    assert.equal(packet.checksum, 0);
    assert.ok(tcpChecksumValid(packet, pseudoSum));
    // The other representation of zero in one's complement, as a device may write it.
    assert.ok(tcpChecksumValid(TcpPacket.unchecked(withChecksum(segment, 0xffff)), pseudoSum));
  });

  it('leaves the folded pseudo-header sum for a checksum-offloading device', () => {
    for (const [bytes, pseudoSum] of [
      [SYN, SYN_PSEUDO_SUM],
      [REQUEST, REQUEST_PSEUDO_SUM],
    ] as const) {
      const segment = emitted({ ...parsed(bytes), checksum: 'offload' }, pseudoSum);
      assert.equal(TcpPacket.unchecked(segment).checksum, pseudoSum);
      finishOnDevice(segment);
      assert.ok(bytesEqual(segment, bytes));
    }
  });

  it('offload then device finishing equals computing in software', () => {
    fc.assert(
      fc.property(
        reprArbitrary,
        addressArbitrary,
        addressArbitrary,
        (repr, source, destination) => {
          const pseudoSum = ipv4PseudoHeaderSum(source, destination, TCP, tcpLength(repr));
          const offloaded = emitted({ ...repr, checksum: 'offload' }, pseudoSum);
          finishOnDevice(offloaded);
          const packet = TcpPacket.checked(offloaded);
          assert.ok(packet.ok);
          assert.ok(tcpChecksumValid(packet.value, pseudoSum));
          assert.ok(bytesEqual(offloaded, emitted(repr, pseudoSum)));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('writes the same bytes with the hot-path writers as with emitTcp', () => {
    // The SYN: header, options from their description, checksum.
    const syn = new Uint8Array(64).fill(0xee).subarray(0, 40);
    writeTcpHeader(syn, 51234, 80, 0x1e8b3c52, 0, 40, TCP_SYN, 64240, 0);
    const optionsLength = writeTcpOptions(syn, 20, {
      mss: 1460,
      sackPermitted: true,
      timestamp: { value: 1234567, echo: 0 },
      windowScale: 7,
    });
    assert.equal(optionsLength, 20);
    tcpFinishChecksum(syn, SYN_PSEUDO_SUM, 'compute');
    assert.ok(bytesEqual(syn, SYN));
    // The request: header, timestamps, data; offloaded, then finished by the device.
    const request = new Uint8Array(REQUEST.length).fill(0xee);
    writeTcpHeader(request, 51234, 80, 0x1e8b3c53, 0x9a3f0c12, 32, TCP_PSH | TCP_ACK, 502, 0);
    writeTimestampOption(request, 20, 1234576, 1518010626);
    request.set(REQUEST.subarray(32), 32);
    tcpFinishChecksum(request, REQUEST_PSEUDO_SUM, 'offload');
    assert.equal(TcpPacket.unchecked(request).checksum, REQUEST_PSEUDO_SUM);
    finishOnDevice(request);
    assert.ok(bytesEqual(request, REQUEST));
    // 'compute' ignores whatever the field held.
    const again = withChecksum(REQUEST, 0x5555);
    tcpFinishChecksum(again, REQUEST_PSEUDO_SUM, 'compute');
    assert.ok(bytesEqual(again, REQUEST));
  });

  it('clears the reserved bits and the checksum in writeTcpHeader', () => {
    const buffer = new Uint8Array(20).fill(0xff);
    writeTcpHeader(buffer, 1, 2, 0xffff_ffff, 0x8000_0000, 20, TCP_RST, 0, 0);
    assert.deepEqual(buffer, fromHex('0001 0002 ffffffff 80000000 50 04 0000 0000 0000'));
    for (const headerLength of [0, 16, 22, 64, Number.NaN]) {
      assert.throws(
        () => writeTcpHeader(new Uint8Array(60), 1, 2, 0, 0, headerLength, 0, 0, 0),
        RangeError,
      );
    }
    assert.throws(() => writeTcpHeader(new Uint8Array(19), 1, 2, 0, 0, 20, 0, 0, 0), RangeError);
  });

  it('does not copy options or data written in place, and moves ones that are elsewhere', () => {
    const buffer = new Uint8Array(96).fill(0xee);
    const segment = buffer.subarray(10, 10 + REQUEST.length);
    segment.set(REQUEST.subarray(20), 20);
    const repr: TcpRepr = {
      ...parsed(REQUEST),
      checksum: 'compute',
      options: segment.subarray(20, 32),
      payload: segment.subarray(32),
    };
    assert.equal(emitTcp(repr, segment, REQUEST_PSEUDO_SUM), REQUEST.length);
    assert.ok(bytesEqual(segment, REQUEST));
    assert.equal(buffer[9], 0xee);
    assert.equal(buffer[10 + REQUEST.length], 0xee);
    // Options and data elsewhere in the same buffer, overlapping where they go, are moved.
    const shifted = new Uint8Array(96);
    shifted.set(REQUEST.subarray(20), 3);
    const moved: TcpRepr = {
      ...repr,
      options: shifted.subarray(3, 15),
      payload: shifted.subarray(15, 15 + 27),
    };
    assert.equal(emitTcp(moved, shifted, REQUEST_PSEUDO_SUM), REQUEST.length);
    assert.ok(bytesEqual(shifted.subarray(0, REQUEST.length), REQUEST));
  });

  it('re-emits any valid segment byte-exact, options it cannot read included', () => {
    fc.assert(
      fc.property(segmentArbitrary, (bytes) => {
        const result = parseTcp(bytes, undefined);
        assert.ok(result.ok);
        assert.ok(bytesEqual(emitted(result.value), bytes));
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on random bytes, and what it accepts round-trips', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.boolean(), (bytes, verify) => {
        const checked = TcpPacket.checked(bytes);
        if (checked.ok) {
          const packet = checked.value;
          assert.ok(packet.headerLength >= 20 && packet.headerLength <= bytes.length);
          assert.equal(packet.options.length + packet.payload.length + 20, bytes.length);
        }
        const result = parseTcp(bytes, verify ? 0x1234 : undefined);
        if (!result.ok) return;
        assert.ok(bytesEqual(emitted(result.value), bytes));
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on mutations of a real segment, and what it accepts round-trips', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat({ max: REQUEST.length - 1 }), fc.nat({ max: 0xff })), {
          minLength: 1,
          maxLength: 4,
        }),
        fc.nat({ max: REQUEST.length }),
        (mutations, length) => {
          const bytes = REQUEST.slice();
          for (const [offset, value] of mutations) bytes[offset] = value;
          const input = bytes.subarray(0, length);
          const result = parseTcp(input, REQUEST_PSEUDO_SUM);
          if (!result.ok) return;
          assert.ok(bytesEqual(emitted(result.value), input));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('emits from a representation and reads it back', () => {
    fc.assert(
      fc.property(
        reprArbitrary,
        addressArbitrary,
        addressArbitrary,
        (repr, source, destination) => {
          const pseudoSum = ipv4PseudoHeaderSum(source, destination, TCP, tcpLength(repr));
          const segment = emitted(repr, pseudoSum);
          const result = parseTcp(segment, pseudoSum);
          assert.ok(result.ok);
          assert.equal(
            TcpPacket.unchecked(segment).headerLength,
            TCP_HEADER_LENGTH + repr.options.length,
          );
          // fast-check's records have no prototype; compare as plain objects.
          assert.deepEqual({ ...result.value, checksum: 'compute' }, { ...repr });
        },
      ),
      { numRuns: 200 },
    );
  });

  it('throws RangeError on programmer errors when emitting', () => {
    const repr: TcpRepr = { ...parsed(REQUEST), checksum: 'compute' };
    const length = REQUEST.length;
    assert.throws(() => emitTcp(repr, new Uint8Array(length - 1), 0), RangeError);
    assert.throws(() => emitTcp(repr, new Uint8Array(length)), RangeError); // no pseudo-header sum
    assert.throws(
      () => emitTcp({ ...repr, checksum: 'offload' }, new Uint8Array(length)),
      RangeError,
    );
    const buffer = new Uint8Array(128);
    const bad: Partial<TcpRepr>[] = [
      { options: new Uint8Array(3) },
      { options: new Uint8Array(44) },
      { sourcePort: 65536 },
      { destinationPort: -1 },
      { sequence: 0x1_0000_0000 },
      { acknowledgment: -1 },
      { sequence: 1.5 },
      { flags: 0x100 },
      { reservedBits: 0x10 },
      { window: 0x10000 },
      { urgentPointer: 0x10000 },
      { checksum: 0x10000 },
    ];
    for (const change of bad) {
      assert.throws(
        () => emitTcp({ ...repr, ...change }, buffer, 0),
        RangeError,
        JSON.stringify(change),
      );
    }
    // A verbatim checksum needs no pseudo-header sum.
    assert.equal(emitTcp({ ...repr, checksum: 0 }, buffer), length);
  });
});
