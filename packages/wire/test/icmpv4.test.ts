import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bytesEqual, concatBytes, fromHex, internetChecksum } from '@oasis/core';
import fc from 'fast-check';
import {
  emitIcmpv4,
  ICMPV4_ERROR_MAX_DATAGRAM,
  ICMPV4_ERRORS,
  ICMPV4_REDIRECT,
  ICMPV4_TTL_EXCEEDED,
  ICMPV4_UNREACHABLE_PORT,
  Icmpv4Packet,
  type Icmpv4Repr,
  icmpv4ChecksumValid,
  icmpv4DestinationUnreachable,
  icmpv4EchoReply,
  icmpv4FragmentationNeeded,
  icmpv4Length,
  icmpv4ParameterProblem,
  icmpv4Quote,
  icmpv4TimeExceeded,
  parseIcmpv4,
} from '../src/icmpv4.ts';
import { ipv4PseudoHeaderSum } from '../src/pseudo-header.ts';
import { UdpPacket, udpChecksumValid } from '../src/udp.ts';

// An echo request as Linux iputils `ping` sends it: 56 data bytes, a struct timeval then the
// bytes 0x10-0x37 (ping fills byte i with i).
const PING = fromHex(`
  08                       # type 8: echo request
  00                       # code 0
  49 4c                    # checksum over the whole message
  1c 46                    # identifier
  00 01                    # sequence 1
  d4 a8 c6 65 00 00 00 00  # tv_sec (little-endian, as the sender's struct timeval)
  2b 8b 0d 00 00 00 00 00  # tv_usec
  10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d 1e 1f
  20 21 22 23 24 25 26 27 28 29 2a 2b 2c 2d 2e 2f
  30 31 32 33 34 35 36 37
`);

// A UDP datagram from 192.168.1.10:54321 to 192.168.1.1:33434 (a traceroute probe port).
const OFFENDING = fromHex(`
  45 00 00 24  12 34 40 00  40 11 a5 39   # IPv4: IHL 5, total 36, DF, TTL 64, UDP, checksum
  c0 a8 01 0a  c0 a8 01 01                # 192.168.1.10 -> 192.168.1.1
  d4 31 82 9a  00 10 18 95                # UDP: 54321 -> 33434, length 16, checksum
  40 41 42 43 44 45 46 47                 # data
`);

// 192.168.1.1's answer: port unreachable, quoting the whole datagram (it fits in 576 bytes).
const PORT_UNREACHABLE = concatBytes([
  fromHex(`
    03                     # type 3: destination unreachable
    03                     # code 3: port unreachable
    80 7a                  # checksum
    00 00 00 00            # unused
  `),
  OFFENDING,
]);

// Fragmentation needed with a next-hop MTU of 1400 (RFC 1191 §4), about the same datagram.
const FRAGMENTATION_NEEDED = concatBytes([
  fromHex(`
    03 04                  # destination unreachable, code 4: fragmentation needed and DF set
    7b 01                  # checksum
    00 00                  # unused
    05 78                  # next-hop MTU 1400
  `),
  OFFENDING,
]);

// A router's TTL exceeded with an RFC 4884 extension structure: the quoted datagram padded to
// 128 bytes, then an MPLS label stack object (RFC 4950).
const EXTENSIONS = fromHex(`
  20 00 dd f4              # extension header: version 2, checksum over the structure
  00 08 01 01              # object: length 8, class 1 (MPLS label stack), c-type 1
  00 01 01 01              # label 16, TC 0, S 1, TTL 1
`);
const TIME_EXCEEDED = concatBytes([
  fromHex(`
    0b 00                  # type 11: time exceeded, code 0: TTL exceeded in transit
    78 5d                  # checksum
    00                     # unused
    20                     # RFC 4884 length: 32 words (128 bytes) of original datagram
    00 00                  # unused
  `),
  OFFENDING,
  new Uint8Array(128 - OFFENDING.length),
  EXTENSIONS,
]);

const FIXTURES = [PING, PORT_UNREACHABLE, FRAGMENTATION_NEEDED, TIME_EXCEEDED];

function withChecksum(bytes: Uint8Array, checksum: number): Uint8Array {
  const copy = bytes.slice();
  copy[2] = checksum >>> 8;
  copy[3] = checksum & 0xff;
  return copy;
}

function emitted(repr: Icmpv4Repr): Uint8Array {
  const buffer = new Uint8Array(icmpv4Length(repr));
  assert.equal(emitIcmpv4(repr, buffer), buffer.length);
  return buffer;
}

function parsed(bytes: Uint8Array, verifyChecksum = true): Icmpv4Repr {
  const result = parseIcmpv4(bytes, verifyChecksum);
  assert.ok(result.ok, JSON.stringify(result));
  return result.value;
}

const u8 = fc.nat({ max: 0xff });
const u16 = fc.nat({ max: 0xffff });
const body = fc.uint8Array({ maxLength: 40 });
/** A quoted datagram with or without an RFC 4884 extension structure after it. */
const quotedAndExtensions = fc.oneof(
  body.map((quoted) => ({ quoted, extensions: undefined })),
  fc
    .integer({ min: 1, max: 12 })
    .chain((words) => fc.tuple(fc.uint8Array({ minLength: words * 4, maxLength: words * 4 }), body))
    .map(([quoted, extensions]) => ({ quoted, extensions })),
);
const reprArbitrary: fc.Arbitrary<Icmpv4Repr> = fc.oneof(
  fc
    .tuple(fc.constantFrom('echo-request' as const, 'echo-reply' as const), u16, u16, body)
    .map(([kind, identifier, sequence, data]) => ({
      kind,
      checksum: 'compute' as const,
      identifier,
      sequence,
      data,
    })),
  fc.tuple(u8, u16, quotedAndExtensions).map(([code, nextHopMtu, parts]) => ({
    kind: 'destination-unreachable' as const,
    checksum: 'compute' as const,
    code,
    nextHopMtu,
    ...parts,
  })),
  fc.tuple(u8, quotedAndExtensions).map(([code, parts]) => ({
    kind: 'time-exceeded' as const,
    checksum: 'compute' as const,
    code,
    ...parts,
  })),
  fc.tuple(u8, u8, quotedAndExtensions).map(([code, pointer, parts]) => ({
    kind: 'parameter-problem' as const,
    checksum: 'compute' as const,
    code,
    pointer,
    ...parts,
  })),
  fc
    .tuple(
      u8.filter((type) => ![0, 3, 8, 11, 12].includes(type)),
      u8,
      fc.nat({ max: 0xffff_ffff }),
      body,
    )
    .map(([type, code, restOfHeader, bytes]) => ({
      kind: 'other' as const,
      checksum: 'compute' as const,
      type,
      code,
      restOfHeader,
      body: bytes,
    })),
);

describe('ICMPv4', () => {
  it('has fixtures whose checksums verify', () => {
    for (const bytes of FIXTURES) {
      assert.equal(internetChecksum(withChecksum(bytes, 0)), (bytes[2]! << 8) | bytes[3]!);
      const packet = Icmpv4Packet.checked(bytes);
      assert.ok(packet.ok);
      assert.ok(icmpv4ChecksumValid(packet.value));
    }
    assert.equal(internetChecksum(OFFENDING.subarray(0, 20)), 0);
    assert.equal(internetChecksum(withChecksum(EXTENSIONS, 0)), 0xddf4);
  });

  it('reads a Linux ping', () => {
    const result = Icmpv4Packet.checked(PING);
    assert.ok(result.ok);
    const packet = result.value;
    assert.equal(packet.type, 8);
    assert.equal(packet.code, 0);
    assert.equal(packet.checksum, 0x494c);
    assert.equal(packet.identifier, 0x1c46);
    assert.equal(packet.sequence, 1);
    assert.equal(packet.restOfHeader, 0x1c460001);
    assert.equal(packet.body.length, 56);
    assert.deepEqual(parsed(PING), {
      kind: 'echo-request',
      checksum: 0x494c,
      identifier: 0x1c46,
      sequence: 1,
      data: PING.subarray(8),
    });
  });

  it('answers a ping with an echo reply', () => {
    const request = parsed(PING);
    assert.equal(request.kind, 'echo-request');
    if (request.kind !== 'echo-request') return;
    const reply = emitted(icmpv4EchoReply(request));
    // Only the type changes, 8 -> 0: the checksum grows by 0x0800 (RFC 1624).
    assert.ok(bytesEqual(reply, concatBytes([fromHex('00 00 51 4c'), PING.subarray(4)])));
    assert.equal(parsed(reply).kind, 'echo-reply');
  });

  it('reads a port unreachable and the datagram it quotes', () => {
    const repr = parsed(PORT_UNREACHABLE);
    assert.deepEqual(repr, {
      kind: 'destination-unreachable',
      checksum: 0x807a,
      code: ICMPV4_UNREACHABLE_PORT,
      nextHopMtu: 0,
      quoted: OFFENDING,
      extensions: undefined,
    });
    if (repr.kind !== 'destination-unreachable') return;
    // The quoted UDP datagram verifies against its own pseudo-header.
    const udp = UdpPacket.checked(repr.quoted.subarray(20));
    assert.ok(udp.ok);
    assert.equal(udp.value.destinationPort, 33434);
    assert.ok(udpChecksumValid(udp.value, ipv4PseudoHeaderSum(0xc0a8010a, 0xc0a80101, 17, 16)));
  });

  it('builds port unreachable and fragmentation needed as the fixtures', () => {
    const unreachable = icmpv4DestinationUnreachable(ICMPV4_UNREACHABLE_PORT, OFFENDING);
    assert.ok(bytesEqual(emitted(unreachable), PORT_UNREACHABLE));
    const fragmentation = icmpv4FragmentationNeeded(1400, OFFENDING);
    assert.ok(bytesEqual(emitted(fragmentation), FRAGMENTATION_NEEDED));
    const repr = parsed(FRAGMENTATION_NEEDED);
    assert.equal(repr.kind === 'destination-unreachable' && repr.nextHopMtu, 1400);
    const packet = Icmpv4Packet.checked(FRAGMENTATION_NEEDED);
    assert.ok(packet.ok);
    assert.equal(packet.value.nextHopMtu, 1400);
  });

  it('splits an RFC 4884 extension structure off the quoted datagram', () => {
    const repr = parsed(TIME_EXCEEDED);
    assert.equal(repr.kind, 'time-exceeded');
    if (repr.kind !== 'time-exceeded') return;
    assert.equal(repr.code, ICMPV4_TTL_EXCEEDED);
    assert.equal(repr.quoted.length, 128);
    assert.ok(bytesEqual(repr.quoted.subarray(0, OFFENDING.length), OFFENDING));
    assert.deepEqual(repr.extensions, EXTENSIONS);
    assert.ok(bytesEqual(emitted(repr), TIME_EXCEEDED));
    assert.ok(bytesEqual(emitted({ ...repr, checksum: 'compute' }), TIME_EXCEEDED));
    // Without the length attribute, the extensions are part of the quoted datagram.
    const quoted = concatBytes([repr.quoted, EXTENSIONS]);
    const legacy = emitted({ ...repr, checksum: 'compute', quoted, extensions: undefined });
    assert.equal(legacy[5], 0);
    const reparsed = parsed(legacy);
    assert.equal(reparsed.kind === 'time-exceeded' && reparsed.quoted.length, 140);
  });

  it('builds time exceeded and parameter problem messages', () => {
    const timeExceeded = emitted(icmpv4TimeExceeded(ICMPV4_TTL_EXCEEDED, OFFENDING));
    assert.ok(bytesEqual(timeExceeded.subarray(0, 2), fromHex('0b 00')));
    assert.deepEqual(parsed(timeExceeded), {
      kind: 'time-exceeded',
      checksum: (timeExceeded[2]! << 8) | timeExceeded[3]!,
      code: 0,
      quoted: OFFENDING,
      extensions: undefined,
    });
    const problem = emitted(icmpv4ParameterProblem(8, OFFENDING));
    assert.ok(bytesEqual(problem.subarray(0, 2), fromHex('0c 00')));
    assert.equal(problem[4], 8);
    const repr = parsed(problem);
    assert.equal(repr.kind === 'parameter-problem' && repr.pointer, 8);
  });

  it('quotes as much of the offending datagram as fits in 576 bytes (RFC 1812 §4.3.2.3)', () => {
    const large = new Uint8Array(1500);
    large.set(OFFENDING.subarray(0, 20));
    const quoted = icmpv4Quote(large);
    assert.equal(quoted.length, ICMPV4_ERROR_MAX_DATAGRAM - 20 - 8);
    assert.equal(quoted.buffer, large.buffer); // a view, not a copy
    const message = icmpv4DestinationUnreachable(ICMPV4_UNREACHABLE_PORT, large);
    assert.equal(20 + icmpv4Length(message), ICMPV4_ERROR_MAX_DATAGRAM);
    assert.equal(icmpv4Quote(OFFENDING), OFFENDING);
    // The minimum, IP header and 8 bytes, still fits in a smaller limit, with a larger IP header.
    assert.equal(icmpv4Quote(large, 20 + 8 + 28).length, 28);
    assert.equal(icmpv4Quote(large, 64 + 28, 24).length, 60);
    assert.throws(() => icmpv4Quote(large, 20 + 8 + 27), RangeError);
  });

  it('keeps other types and off-layout messages raw, byte-exact', () => {
    const redirect = fromHex(`
      05 01 00 00              # redirect, code 1: for the host; checksum filled below
      c0 a8 01 fe              # gateway 192.168.1.254
    `);
    const cases = [
      concatBytes([redirect, OFFENDING]),
      fromHex('0d 00 00 00 12 34 00 01 00000000 00000000 00000000'), // timestamp request
      fromHex('08 01 00 00 1c 46 00 01'), // echo with a nonzero code
      concatBytes([fromHex('03 03 00 00 01 00 00 00'), OFFENDING]), // unused byte 4 set
      concatBytes([fromHex('0b 00 00 00 00 00 00 01'), OFFENDING]), // unused byte 7 set
      concatBytes([fromHex('0c 00 00 00 08 00 01 00'), OFFENDING]), // unused byte 6 set
      concatBytes([fromHex('03 03 00 00 00 0a 00 00'), OFFENDING]), // RFC 4884 length past the end
    ];
    for (const raw of cases) {
      const bytes = withChecksum(raw, internetChecksum(raw));
      const repr = parsed(bytes);
      assert.equal(repr.kind, 'other', JSON.stringify(repr));
      if (repr.kind !== 'other') continue;
      assert.equal(repr.type, bytes[0]);
      assert.equal(repr.code, bytes[1]);
      assert.ok(bytesEqual(emitted(repr), bytes));
      assert.ok(bytesEqual(emitted({ ...repr, checksum: 'compute' }), bytes));
    }
    const gateway = parsed(withChecksum(cases[0]!, internetChecksum(cases[0]!)));
    assert.equal(gateway.kind === 'other' && gateway.type, ICMPV4_REDIRECT);
    assert.equal(gateway.kind === 'other' && gateway.restOfHeader, 0xc0a801fe);
  });

  it('keeps the checksum as carried where 0x0000 and 0xffff both verify', () => {
    // Type 0xff, code 0xff and zeros sum to 0xffff, so the computed checksum is 0.
    const computed = fromHex('ff ff 00 00 00 00 00 00');
    const allOnes = fromHex('ff ff ff ff 00 00 00 00');
    assert.ok(bytesEqual(emitted({ ...parsed(allOnes), checksum: 'compute' }), computed));
    for (const bytes of [computed, allOnes]) assert.ok(bytesEqual(emitted(parsed(bytes)), bytes));
  });

  it('round-trips every fixture byte-exact', () => {
    for (const bytes of FIXTURES) {
      assert.ok(bytesEqual(emitted(parsed(bytes)), bytes));
      assert.ok(bytesEqual(emitted({ ...parsed(bytes), checksum: 'compute' }), bytes));
    }
  });

  it('refuses every truncated prefix', () => {
    // ICMP has no length field: past the header, only the checksum catches a cut message.
    for (const bytes of [PING, PORT_UNREACHABLE, FRAGMENTATION_NEEDED]) {
      for (let length = 0; length < bytes.length; length++) {
        const reason = length < 8 ? 'truncated' : 'bad-checksum';
        assert.deepEqual(
          parseIcmpv4(bytes.subarray(0, length)),
          { ok: false, error: ICMPV4_ERRORS[reason] },
          `length ${length}`,
        );
      }
    }
    // Except where the cut bytes sum to zero: a whole extension structure (its own checksum makes
    // its sum all ones, which is zero) and the zero padding before it. The RFC 4884 length then
    // points past the end, so the message is kept raw instead of misread.
    for (let length = 0; length < TIME_EXCEEDED.length; length++) {
      const result = parseIcmpv4(TIME_EXCEEDED.subarray(0, length));
      if (length < 8) {
        assert.deepEqual(result, { ok: false, error: ICMPV4_ERRORS.truncated });
      } else if (length >= 8 + OFFENDING.length && length < 8 + 128) {
        assert.equal(result.ok && result.value.kind, 'other', `length ${length}`);
      } else if (length === 8 + 128) {
        // Exactly the 128 quoted bytes: an empty extension structure, still byte-exact.
        assert.ok(result.ok && result.value.kind === 'time-exceeded');
        assert.equal(result.value.extensions?.length, 0);
      } else {
        assert.deepEqual(result, { ok: false, error: ICMPV4_ERRORS['bad-checksum'] }, `${length}`);
      }
    }
    assert.deepEqual(parseIcmpv4(PING.subarray(0, 7), false), {
      ok: false,
      error: ICMPV4_ERRORS.truncated,
    });
  });

  it('refuses a bad checksum unless told not to verify', () => {
    const corrupted = PING.slice();
    corrupted[20] = (corrupted[20]! + 1) & 0xff;
    assert.deepEqual(parseIcmpv4(corrupted), { ok: false, error: ICMPV4_ERRORS['bad-checksum'] });
    const repr = parsed(corrupted, false);
    assert.ok(bytesEqual(emitted(repr), corrupted));
  });

  it('never throws on random bytes, and what it accepts round-trips', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 48 }), fc.boolean(), (bytes, verify) => {
        const result = parseIcmpv4(bytes, verify);
        if (!result.ok) return;
        assert.ok(bytesEqual(emitted(result.value), bytes));
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on mutations of real messages, and what it accepts round-trips', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...FIXTURES),
        fc.array(fc.tuple(fc.nat({ max: 147 }), u8), { minLength: 1, maxLength: 4 }),
        fc.nat({ max: 150 }),
        (fixture, mutations, length) => {
          const bytes = fixture.slice();
          for (const [offset, value] of mutations) if (offset < bytes.length) bytes[offset] = value;
          const input = bytes.subarray(0, length);
          const result = parseIcmpv4(input, false);
          if (!result.ok) return;
          assert.ok(bytesEqual(emitted(result.value), input));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('emits from a representation and reads it back', () => {
    fc.assert(
      fc.property(reprArbitrary, (repr) => {
        const bytes = emitted(repr);
        const back = parsed(bytes);
        assert.equal(typeof back.checksum, 'number');
        assert.deepEqual({ ...back, checksum: 'compute' }, repr);
      }),
      { numRuns: 300 },
    );
  });

  it('throws RangeError on programmer errors when emitting', () => {
    const echo = icmpv4EchoReply({
      kind: 'echo-request',
      checksum: 'compute',
      identifier: 1,
      sequence: 2,
      data: new Uint8Array(4),
    });
    assert.throws(() => emitIcmpv4(echo, new Uint8Array(11)), RangeError);
    assert.throws(
      () => emitIcmpv4({ ...echo, identifier: 0x10000 }, new Uint8Array(12)),
      RangeError,
    );
    assert.throws(() => emitIcmpv4({ ...echo, checksum: -1 }, new Uint8Array(12)), RangeError);
    const unreachable = icmpv4DestinationUnreachable(ICMPV4_UNREACHABLE_PORT, OFFENDING);
    const buffer = new Uint8Array(icmpv4Length(unreachable) + 8);
    assert.throws(() => emitIcmpv4({ ...unreachable, code: 256 }, buffer), RangeError);
    assert.throws(() => emitIcmpv4({ ...unreachable, nextHopMtu: 1.5 }, buffer), RangeError);
    // With extensions, the quoted datagram must be whole 32-bit words.
    const odd = {
      ...unreachable,
      quoted: OFFENDING.subarray(0, 35),
      extensions: new Uint8Array(8),
    };
    assert.throws(() => emitIcmpv4(odd, buffer), RangeError);
    const other = {
      kind: 'other',
      checksum: 'compute',
      type: 5,
      code: 0,
      body: OFFENDING,
    } as const;
    const small = new Uint8Array(8 + OFFENDING.length);
    assert.throws(() => emitIcmpv4({ ...other, restOfHeader: 2 ** 32 }, small), RangeError);
    assert.throws(() => emitIcmpv4({ ...other, restOfHeader: -1 }, small), RangeError);
    assert.throws(() => emitIcmpv4({ ...other, restOfHeader: 0, type: 256 }, small), RangeError);
    assert.equal(emitIcmpv4({ ...other, restOfHeader: 0xffff_ffff }, small), small.length);
  });
});
