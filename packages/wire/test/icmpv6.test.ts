import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bytesEqual, concatBytes, fromHex, internetChecksum, unwrap } from '@oasis/core';
import fc from 'fast-check';
import {
  emitIcmpv6,
  ICMPV6_ECHO_REQUEST,
  ICMPV6_ERRORS,
  ICMPV6_HOP_LIMIT_EXCEEDED,
  ICMPV6_MAX_QUOTED,
  ICMPV6_PACKET_TOO_BIG,
  ICMPV6_PARAMETER_PROBLEM,
  ICMPV6_PARAMETER_UNRECOGNIZED_NEXT_HEADER,
  ICMPV6_REASSEMBLY_TIME_EXCEEDED,
  ICMPV6_TIME_EXCEEDED,
  ICMPV6_UNREACHABLE_PORT,
  type Icmpv6Invoking,
  Icmpv6Packet,
  type Icmpv6Repr,
  icmpv6ChecksumValid,
  icmpv6DestinationUnreachable,
  icmpv6EchoReply,
  icmpv6IsError,
  icmpv6Length,
  icmpv6MayAnswerWithError,
  icmpv6PacketTooBig,
  icmpv6ParameterProblem,
  icmpv6Quote,
  icmpv6TimeExceeded,
  parseIcmpv6,
  writeIcmpv6Checksum,
} from '../src/icmpv6.ts';
import { IP_PROTOCOL_UDP } from '../src/ipv4.ts';
import { IP_PROTOCOL_ICMPV6, IPV6_MIN_MTU, writeIpv6Header } from '../src/ipv6.ts';
import { parseIpv6Address } from '../src/ipv6-address.ts';
import { ipv6PseudoHeaderSum } from '../src/pseudo-header.ts';
import { emitUdp, UdpPacket, udpChecksumValid } from '../src/udp.ts';

const address = (text: string): Uint8Array => unwrap(parseIpv6Address(text));
const HOST = address('2001:db8::10');
const SERVER = address('2001:db8::1');
const ROUTER = address('2001:db8::fe');

/** The pseudo-header sum of an ICMPv6 message of `length` bytes (RFC 4443 §2.3). */
function pseudo(source: Uint8Array, destination: Uint8Array, length: number): number {
  return ipv6PseudoHeaderSum(source, destination, IP_PROTOCOL_ICMPV6, length);
}

// An echo request as Linux iputils `ping -6 2001:db8::1` sends it from 2001:db8::10: 56 data
// bytes, a struct timeval then the bytes 0x10-0x37. Checksum confirmed by tshark.
const PING = fromHex(`
  80                       # type 128: echo request
  00                       # code 0
  75 4e                    # checksum over pseudo-header and message
  1c 46                    # identifier
  00 01                    # sequence 1
  d4 a8 c6 65 00 00 00 00  # tv_sec (little-endian, as the sender's struct timeval)
  2b 8b 0d 00 00 00 00 00  # tv_usec
  10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d 1e 1f
  20 21 22 23 24 25 26 27 28 29 2a 2b 2c 2d 2e 2f
  30 31 32 33 34 35 36 37
`);
const PING_SUM = pseudo(HOST, SERVER, PING.length);

// A UDP datagram from [2001:db8::10]:54321 to [2001:db8::1]:33434 (a traceroute probe port).
const INVOKING = fromHex(`
  60 00 00 00              # version 6, traffic class 0, flow label 0
  00 10 11 40              # payload length 16, next header 17 (UDP), hop limit 64
  20 01 0d b8 00 00 00 00  00 00 00 00 00 00 00 10   # source 2001:db8::10
  20 01 0d b8 00 00 00 00  00 00 00 00 00 00 00 01   # destination 2001:db8::1
  d4 31 82 9a 00 10 40 6e  # UDP: 54321 -> 33434, length 16, checksum
  40 41 42 43 44 45 46 47  # data
`);

// 2001:db8::1's answer: port unreachable, quoting the whole packet (it fits in 1280 bytes).
const PORT_UNREACHABLE = concatBytes([
  fromHex(`
    01                     # type 1: destination unreachable
    04                     # code 4: port unreachable
    31 cf                  # checksum
    00 00 00 00            # unused
  `),
  INVOKING,
]);
const PORT_UNREACHABLE_SUM = pseudo(SERVER, HOST, PORT_UNREACHABLE.length);

// The RFC 4884 extension structure of icmpv4.test.ts: an MPLS label stack object (RFC 4950).
const EXTENSIONS = fromHex(`
  20 00 dd f4              # extension header: version 2, checksum over the structure
  00 08 01 01              # object: length 8, class 1 (MPLS label stack), c-type 1
  00 01 01 01              # label 16, TC 0, S 1, TTL 1
`);
// A router's hop limit exceeded with that structure after the packet padded to 128 bytes.
const TIME_EXCEEDED = concatBytes([
  fromHex(`
    03 00                  # type 3: time exceeded, code 0: hop limit exceeded in transit
    1e 82                  # checksum
    10                     # RFC 4884 length: 16 64-bit words (128 bytes) of invoking packet
    00 00 00               # unused
  `),
  INVOKING,
  new Uint8Array(128 - INVOKING.length),
  EXTENSIONS,
]);
const TIME_EXCEEDED_SUM = pseudo(ROUTER, HOST, TIME_EXCEEDED.length);

// Unrecognized next header at the Next Header field of the IPv6 header (pointer 6).
const PARAMETER_PROBLEM = concatBytes([
  fromHex(`
    04 01                  # type 4: parameter problem, code 1: unrecognized next header
    2e cc                  # checksum
    00 00 00 06            # pointer 6
  `),
  INVOKING,
]);
const PARAMETER_PROBLEM_SUM = pseudo(SERVER, HOST, PARAMETER_PROBLEM.length);

// A 1500-byte UDP packet, too big for a 1400-byte link: its first 1232 bytes are quoted.
const LARGE = concatBytes([
  fromHex(`
    60 00 00 00  05 b4 11 40   # payload length 1460, UDP, hop limit 64
    20 01 0d b8 00 00 00 00  00 00 00 00 00 00 00 10
    20 01 0d b8 00 00 00 00  00 00 00 00 00 00 00 01
  `),
  Uint8Array.from({ length: 1460 }, (_, i) => i & 0xff),
]);
const PACKET_TOO_BIG = concatBytes([
  fromHex(`
    02 00                  # type 2: packet too big, code 0
    6b d3                  # checksum
    00 00 05 78            # MTU 1400
  `),
  LARGE.subarray(0, ICMPV6_MAX_QUOTED),
]);
const PACKET_TOO_BIG_SUM = pseudo(ROUTER, HOST, PACKET_TOO_BIG.length);

interface Fixture {
  readonly bytes: Uint8Array;
  readonly source: Uint8Array;
  readonly destination: Uint8Array;
  readonly sum: number;
}
const FIXTURES: readonly Fixture[] = [
  { bytes: PING, source: HOST, destination: SERVER, sum: PING_SUM },
  { bytes: PORT_UNREACHABLE, source: SERVER, destination: HOST, sum: PORT_UNREACHABLE_SUM },
  { bytes: TIME_EXCEEDED, source: ROUTER, destination: HOST, sum: TIME_EXCEEDED_SUM },
  { bytes: PARAMETER_PROBLEM, source: SERVER, destination: HOST, sum: PARAMETER_PROBLEM_SUM },
  { bytes: PACKET_TOO_BIG, source: ROUTER, destination: HOST, sum: PACKET_TOO_BIG_SUM },
];

function withChecksum(bytes: Uint8Array, checksum: number): Uint8Array {
  const copy = bytes.slice();
  copy[2] = checksum >>> 8;
  copy[3] = checksum & 0xff;
  return copy;
}

function emitted(repr: Icmpv6Repr, pseudoSum: number): Uint8Array {
  const buffer = new Uint8Array(icmpv6Length(repr));
  assert.equal(emitIcmpv6(repr, buffer, pseudoSum), buffer.length);
  return buffer;
}

function parsed(bytes: Uint8Array, pseudoSum: number): Icmpv6Repr {
  const result = parseIcmpv6(bytes, pseudoSum);
  assert.ok(result.ok, JSON.stringify(result));
  return result.value;
}

/** Sets the checksum so the message verifies against `pseudoSum`; returns it. */
function checksummed(bytes: Uint8Array, pseudoSum: number): Uint8Array {
  writeIcmpv6Checksum(bytes, pseudoSum);
  return bytes;
}

const u8 = fc.nat({ max: 0xff });
const u16 = fc.nat({ max: 0xffff });
const u32 = fc.nat({ max: 0xffff_ffff });
const body = fc.uint8Array({ maxLength: 40 });
const pseudoSumArbitrary = fc.nat({ max: 0xffff });
/** A quoted packet with or without an RFC 4884 extension structure after it. */
const quotedAndExtensions = fc.oneof(
  body.map((quoted) => ({ quoted, extensions: undefined })),
  fc
    .integer({ min: 1, max: 6 })
    .chain((words) => fc.tuple(fc.uint8Array({ minLength: words * 8, maxLength: words * 8 }), body))
    .map(([quoted, extensions]) => ({ quoted, extensions })),
);
const reprArbitrary: fc.Arbitrary<Icmpv6Repr> = fc.oneof(
  fc
    .tuple(fc.constantFrom('echo-request' as const, 'echo-reply' as const), u16, u16, body)
    .map(([kind, identifier, sequence, data]) => ({
      kind,
      checksum: 'compute' as const,
      identifier,
      sequence,
      data,
    })),
  fc
    .tuple(
      fc.constantFrom('destination-unreachable' as const, 'time-exceeded' as const),
      u8,
      quotedAndExtensions,
    )
    .map(([kind, code, parts]) => ({ kind, checksum: 'compute' as const, code, ...parts })),
  fc.tuple(u8, u32, body).map(([code, mtu, quoted]) => ({
    kind: 'packet-too-big' as const,
    checksum: 'compute' as const,
    code,
    mtu,
    quoted,
  })),
  fc.tuple(u8, u32, body).map(([code, pointer, quoted]) => ({
    kind: 'parameter-problem' as const,
    checksum: 'compute' as const,
    code,
    pointer,
    quoted,
  })),
  fc
    .tuple(
      u8.filter((type) => ![1, 2, 3, 4, 128, 129].includes(type)),
      u8,
      body,
    )
    .map(([type, code, bytes]) => ({
      kind: 'other' as const,
      checksum: 'compute' as const,
      type,
      code,
      body: bytes,
    })),
);

describe('ICMPv6', () => {
  it('has fixtures whose checksums verify against their pseudo-headers', () => {
    for (const { bytes, sum: pseudoSum } of FIXTURES) {
      const carried = (bytes[2]! << 8) | bytes[3]!;
      assert.equal(internetChecksum(withChecksum(bytes, 0), pseudoSum), carried);
      const packet = unwrap(Icmpv6Packet.checked(bytes));
      assert.ok(icmpv6ChecksumValid(packet, pseudoSum));
      // The pseudo-header counts: the same message between other addresses does not verify.
      assert.ok(!icmpv6ChecksumValid(packet, pseudo(ROUTER, ROUTER, bytes.length)));
    }
  });

  it('builds the quoted packets with the IPv6 and UDP emitters', () => {
    const invoking = new Uint8Array(INVOKING.length);
    writeIpv6Header(invoking, HOST, SERVER, IP_PROTOCOL_UDP, 64, 16);
    const udpSum = ipv6PseudoHeaderSum(HOST, SERVER, IP_PROTOCOL_UDP, 16);
    const data = fromHex('40 41 42 43 44 45 46 47');
    emitUdp(
      { sourcePort: 54321, destinationPort: 33434, checksum: 'compute', payload: data },
      invoking.subarray(40),
      udpSum,
    );
    assert.ok(bytesEqual(invoking, INVOKING));
    const large = new Uint8Array(LARGE.length);
    writeIpv6Header(large, HOST, SERVER, IP_PROTOCOL_UDP, 64, 1460);
    assert.ok(bytesEqual(large.subarray(0, 40), LARGE.subarray(0, 40)));
  });

  it('reads a Linux ping', () => {
    const packet = unwrap(Icmpv6Packet.checked(PING));
    assert.equal(packet.type, ICMPV6_ECHO_REQUEST);
    assert.equal(packet.code, 0);
    assert.equal(packet.checksum, 0x754e);
    assert.equal(packet.identifier, 0x1c46);
    assert.equal(packet.sequence, 1);
    assert.equal(packet.body.length, 60);
    assert.equal(packet.data.length, 56);
    assert.deepEqual(parsed(PING, PING_SUM), {
      kind: 'echo-request',
      checksum: 0x754e,
      identifier: 0x1c46,
      sequence: 1,
      data: PING.subarray(8),
    });
  });

  it('answers a ping with an echo reply', () => {
    const request = parsed(PING, PING_SUM);
    assert.equal(request.kind, 'echo-request');
    if (request.kind !== 'echo-request') return;
    // The reply goes back from 2001:db8::1 to 2001:db8::10: the pseudo-header sums the same.
    const replySum = pseudo(SERVER, HOST, PING.length);
    assert.equal(replySum, PING_SUM);
    const reply = emitted(icmpv6EchoReply(request), replySum);
    // Only the type changes, 128 -> 129: the sum grows by 0x0100, the checksum shrinks by it.
    assert.ok(bytesEqual(reply, concatBytes([fromHex('81 00 74 4e'), PING.subarray(4)])));
    assert.equal(parsed(reply, replySum).kind, 'echo-reply');
  });

  it('reads a port unreachable and the packet it quotes', () => {
    const repr = parsed(PORT_UNREACHABLE, PORT_UNREACHABLE_SUM);
    assert.deepEqual(repr, {
      kind: 'destination-unreachable',
      checksum: 0x31cf,
      code: ICMPV6_UNREACHABLE_PORT,
      quoted: INVOKING,
      extensions: undefined,
    });
    if (repr.kind !== 'destination-unreachable') return;
    // The quoted UDP datagram verifies against its own pseudo-header.
    const udp = unwrap(UdpPacket.checked(repr.quoted.subarray(40)));
    assert.equal(udp.destinationPort, 33434);
    const udpSum = ipv6PseudoHeaderSum(HOST, SERVER, IP_PROTOCOL_UDP, 16);
    assert.ok(udpChecksumValid(udp, udpSum, false));
  });

  it('builds destination unreachable and parameter problem messages as the fixtures', () => {
    const unreachable = icmpv6DestinationUnreachable(ICMPV6_UNREACHABLE_PORT, INVOKING);
    assert.ok(bytesEqual(emitted(unreachable, PORT_UNREACHABLE_SUM), PORT_UNREACHABLE));
    const problem = icmpv6ParameterProblem(ICMPV6_PARAMETER_UNRECOGNIZED_NEXT_HEADER, 6, INVOKING);
    assert.ok(bytesEqual(emitted(problem, PARAMETER_PROBLEM_SUM), PARAMETER_PROBLEM));
    const repr = parsed(PARAMETER_PROBLEM, PARAMETER_PROBLEM_SUM);
    assert.deepEqual(repr, { ...problem, checksum: 0x2ecc });
    assert.equal(unwrap(Icmpv6Packet.checked(PARAMETER_PROBLEM)).pointer, 6);
  });

  it('quotes a too-big packet up to the minimum MTU (RFC 4443 §2.4 (c))', () => {
    assert.equal(ICMPV6_MAX_QUOTED, 1232);
    const message = icmpv6PacketTooBig(1400, LARGE);
    assert.equal(message.quoted.length, 1232);
    assert.equal(message.quoted.buffer, LARGE.buffer); // a view, not a copy
    assert.equal(40 + icmpv6Length(message), IPV6_MIN_MTU);
    assert.ok(bytesEqual(emitted(message, PACKET_TOO_BIG_SUM), PACKET_TOO_BIG));
    const repr = parsed(PACKET_TOO_BIG, PACKET_TOO_BIG_SUM);
    assert.equal(repr.kind === 'packet-too-big' && repr.mtu, 1400);
    assert.equal(unwrap(Icmpv6Packet.checked(PACKET_TOO_BIG)).mtu, 1400);
    // What fits is quoted whole; one byte more is cut.
    assert.equal(icmpv6Quote(INVOKING), INVOKING);
    assert.equal(icmpv6Quote(LARGE.subarray(0, 1232)).length, 1232);
    assert.equal(icmpv6Quote(LARGE.subarray(0, 1233)).length, 1232);
    for (const build of [
      (invoking: Uint8Array) => icmpv6DestinationUnreachable(0, invoking),
      (invoking: Uint8Array) => icmpv6TimeExceeded(ICMPV6_REASSEMBLY_TIME_EXCEEDED, invoking),
      (invoking: Uint8Array) => icmpv6ParameterProblem(0, 4, invoking),
    ]) {
      assert.equal(40 + icmpv6Length(build(LARGE)), IPV6_MIN_MTU);
    }
  });

  it('reads a packet too big whatever its code, which receivers ignore (RFC 4443 §3.2)', () => {
    const bytes = checksummed(
      concatBytes([fromHex('02 07 00 00 00 00 05 00'), INVOKING]),
      PACKET_TOO_BIG_SUM,
    );
    const repr = parsed(bytes, PACKET_TOO_BIG_SUM);
    assert.equal(repr.kind, 'packet-too-big');
    assert.equal(repr.kind === 'packet-too-big' && repr.code, 7);
    assert.equal(repr.kind === 'packet-too-big' && repr.mtu, 1280);
    assert.ok(bytesEqual(emitted(repr, PACKET_TOO_BIG_SUM), bytes));
  });

  it('splits an RFC 4884 extension structure off the quoted packet', () => {
    const repr = parsed(TIME_EXCEEDED, TIME_EXCEEDED_SUM);
    assert.equal(repr.kind, 'time-exceeded');
    if (repr.kind !== 'time-exceeded') return;
    assert.equal(repr.code, ICMPV6_HOP_LIMIT_EXCEEDED);
    assert.equal(repr.quoted.length, 128);
    assert.ok(bytesEqual(repr.quoted.subarray(0, INVOKING.length), INVOKING));
    assert.deepEqual(repr.extensions, EXTENSIONS);
    assert.equal(unwrap(Icmpv6Packet.checked(TIME_EXCEEDED)).quotedWords, 16);
    assert.ok(bytesEqual(emitted(repr, 0), TIME_EXCEEDED));
    assert.ok(
      bytesEqual(emitted({ ...repr, checksum: 'compute' }, TIME_EXCEEDED_SUM), TIME_EXCEEDED),
    );
    // Without the length attribute, the extensions are part of the quoted packet.
    const quoted = concatBytes([repr.quoted, EXTENSIONS]);
    const legacy = emitted(
      { ...repr, checksum: 'compute', quoted, extensions: undefined },
      TIME_EXCEEDED_SUM,
    );
    assert.equal(legacy[4], 0);
    const reparsed = parsed(legacy, TIME_EXCEEDED_SUM);
    assert.equal(reparsed.kind === 'time-exceeded' && reparsed.quoted.length, 140);
  });

  it('builds time exceeded messages', () => {
    const bytes = emitted(icmpv6TimeExceeded(ICMPV6_HOP_LIMIT_EXCEEDED, INVOKING), 0x1234);
    assert.ok(bytesEqual(bytes.subarray(0, 2), fromHex('03 00')));
    assert.ok(bytesEqual(bytes.subarray(4, 8), fromHex('00 00 00 00')));
    assert.deepEqual(parsed(bytes, 0x1234), {
      kind: 'time-exceeded',
      checksum: (bytes[2]! << 8) | bytes[3]!,
      code: 0,
      quoted: INVOKING,
      extensions: undefined,
    });
  });

  it('keeps NDP, MLD, unknown types and off-layout messages raw, byte-exact', () => {
    const sum = pseudo(HOST, SERVER, 0);
    const cases = [
      fromHex('85 00 00 00 00 00 00 00'), // router solicitation: NDP parses the body
      fromHex('c8 05 00 00'), // an unknown informational type with an empty body
      fromHex('05 00 00 00'), // an unknown error type: no 32-bit field required
      fromHex('80 01 00 00 1c 46 00 01'), // echo with a nonzero code
      concatBytes([fromHex('01 04 00 00 00 01 00 00'), INVOKING]), // unused byte 5 set
      concatBytes([fromHex('03 00 00 00 00 00 00 01'), INVOKING]), // unused byte 7 set
      concatBytes([fromHex('01 04 00 00 0a 00 00 00'), INVOKING]), // RFC 4884 length past the end
    ];
    for (const raw of cases) {
      const bytes = checksummed(raw.slice(), sum);
      const repr = parsed(bytes, sum);
      assert.equal(repr.kind, 'other', JSON.stringify(repr));
      if (repr.kind !== 'other') continue;
      assert.equal(repr.type, bytes[0]);
      assert.equal(repr.code, bytes[1]);
      assert.ok(bytesEqual(repr.body, bytes.subarray(4)));
      assert.ok(bytesEqual(emitted(repr, 0), bytes));
      assert.ok(bytesEqual(emitted({ ...repr, checksum: 'compute' }, sum), bytes));
    }
  });

  it('keeps the checksum as carried where 0x0000 and 0xffff both verify', () => {
    // Make the message (checksum field zero) sum to 0xffff with its pseudo-header by putting
    // the complement of its sum in the echo data: the computed checksum is then 0x0000.
    const sum = PING_SUM;
    const computed = fromHex('80 00 00 00 00 01 00 02 00 00');
    const complement = internetChecksum(computed, sum);
    computed[8] = complement >>> 8;
    computed[9] = complement & 0xff;
    assert.equal(internetChecksum(computed, sum), 0);
    const allOnes = withChecksum(computed, 0xffff);
    assert.ok(bytesEqual(emitted({ ...parsed(allOnes, sum), checksum: 'compute' }, sum), computed));
    for (const bytes of [computed, allOnes]) {
      assert.ok(bytesEqual(emitted(parsed(bytes, sum), sum), bytes));
    }
  });

  it('round-trips every fixture byte-exact', () => {
    for (const { bytes, sum: pseudoSum } of FIXTURES) {
      assert.ok(bytesEqual(emitted(parsed(bytes, pseudoSum), pseudoSum), bytes));
      const recomputed = { ...parsed(bytes, pseudoSum), checksum: 'compute' } as const;
      assert.ok(bytesEqual(emitted(recomputed, pseudoSum), bytes));
    }
  });

  it('refuses every truncated prefix', () => {
    // ICMPv6 has no length field: past the fixed part, the checksum (whose pseudo-header holds
    // the length the IP layer saw) catches a cut message.
    for (const { bytes, source, destination, sum } of FIXTURES) {
      assert.equal(pseudo(source, destination, bytes.length), sum);
      for (let length = 0; length < bytes.length; length++) {
        const reason = length < 8 ? 'truncated' : 'bad-checksum';
        assert.deepEqual(
          parseIcmpv6(bytes.subarray(0, length), pseudo(source, destination, length)),
          { ok: false, error: ICMPV6_ERRORS[reason] },
          `length ${length}`,
        );
      }
    }
    // Messages of other types need only their 4-byte header.
    assert.deepEqual(parseIcmpv6(fromHex('85 00 00'), 0), {
      ok: false,
      error: ICMPV6_ERRORS.truncated,
    });
  });

  it('refuses a bad checksum, and a checksum over another pseudo-header', () => {
    const corrupted = PING.slice();
    corrupted[20] = (corrupted[20]! + 1) & 0xff;
    assert.deepEqual(parseIcmpv6(corrupted, PING_SUM), {
      ok: false,
      error: ICMPV6_ERRORS['bad-checksum'],
    });
    assert.deepEqual(parseIcmpv6(PING, pseudo(HOST, ROUTER, PING.length)), {
      ok: false,
      error: ICMPV6_ERRORS['bad-checksum'],
    });
  });

  it('tells errors from informational messages (RFC 4443 §2.1)', () => {
    assert.ok(icmpv6IsError(ICMPV6_PACKET_TOO_BIG));
    assert.ok(icmpv6IsError(ICMPV6_PARAMETER_PROBLEM));
    assert.ok(icmpv6IsError(127));
    assert.ok(!icmpv6IsError(ICMPV6_ECHO_REQUEST));
    assert.ok(!icmpv6IsError(255));
  });

  it('says when an error may answer a packet (RFC 4443 §2.4 (e))', () => {
    const udp: Icmpv6Invoking = {
      source: HOST,
      destination: SERVER,
      linkLayerMulticast: false,
      icmpv6Type: undefined,
    };
    const unreachable = 1;
    assert.ok(icmpv6MayAnswerWithError(unreachable, udp));
    assert.ok(icmpv6MayAnswerWithError(unreachable, { ...udp, icmpv6Type: ICMPV6_ECHO_REQUEST }));
    // (e.1), (e.2): not about an error, nor about a redirect.
    assert.ok(!icmpv6MayAnswerWithError(unreachable, { ...udp, icmpv6Type: ICMPV6_TIME_EXCEEDED }));
    assert.ok(!icmpv6MayAnswerWithError(unreachable, { ...udp, icmpv6Type: 137 }));
    // (e.6): not to a source that names no single node.
    assert.ok(!icmpv6MayAnswerWithError(unreachable, { ...udp, source: address('::') }));
    assert.ok(
      !icmpv6MayAnswerWithError(ICMPV6_PACKET_TOO_BIG, { ...udp, source: address('ff02::1') }),
    );
    // (e.3)-(e.5): to a group only packet too big and an option whose action says so.
    for (const group of [
      { ...udp, destination: address('ff02::1') },
      { ...udp, linkLayerMulticast: true },
    ]) {
      assert.ok(!icmpv6MayAnswerWithError(unreachable, group));
      assert.ok(!icmpv6MayAnswerWithError(ICMPV6_PARAMETER_PROBLEM, group));
      assert.ok(icmpv6MayAnswerWithError(ICMPV6_PACKET_TOO_BIG, group));
      assert.ok(icmpv6MayAnswerWithError(ICMPV6_PARAMETER_PROBLEM, group, true));
    }
  });

  it('never throws on random bytes, and what it accepts round-trips', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 48 }),
        pseudoSumArbitrary,
        fc.boolean(),
        (bytes, sum, fix) => {
          // Half the time with a valid checksum, to get past it to the layouts.
          if (fix && bytes.length >= 4) writeIcmpv6Checksum(bytes, sum);
          const result = parseIcmpv6(bytes, sum);
          if (!result.ok) return;
          assert.ok(bytesEqual(emitted(result.value, sum), bytes));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('never throws on mutations of real messages, and what it accepts round-trips', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...FIXTURES.slice(0, 4)),
        fc.array(fc.tuple(fc.nat({ max: 150 }), u8), { minLength: 1, maxLength: 4 }),
        fc.nat({ max: 150 }),
        ({ bytes: fixture, sum }, mutations, length) => {
          const bytes = fixture.slice();
          for (const [offset, value] of mutations) if (offset < bytes.length) bytes[offset] = value;
          const input = bytes.subarray(0, length);
          if (input.length >= 4) writeIcmpv6Checksum(input, sum);
          const result = parseIcmpv6(input, sum);
          if (!result.ok) return;
          assert.ok(bytesEqual(emitted(result.value, sum), input));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('emits from a representation and reads it back', () => {
    fc.assert(
      fc.property(reprArbitrary, pseudoSumArbitrary, (repr, sum) => {
        const bytes = emitted(repr, sum);
        const back = parsed(bytes, sum);
        assert.equal(typeof back.checksum, 'number');
        assert.deepEqual({ ...back, checksum: 'compute' }, repr);
      }),
      { numRuns: 300 },
    );
  });

  it('throws RangeError on programmer errors when emitting', () => {
    const echo = icmpv6EchoReply({
      kind: 'echo-request',
      checksum: 'compute',
      identifier: 1,
      sequence: 2,
      data: new Uint8Array(4),
    });
    assert.throws(() => emitIcmpv6(echo, new Uint8Array(11), 0), RangeError);
    assert.throws(
      () => emitIcmpv6({ ...echo, identifier: 0x10000 }, new Uint8Array(12), 0),
      RangeError,
    );
    assert.throws(() => emitIcmpv6({ ...echo, checksum: -1 }, new Uint8Array(12), 0), RangeError);
    const buffer = new Uint8Array(200);
    const tooBig = icmpv6PacketTooBig(1280, INVOKING);
    assert.throws(() => emitIcmpv6({ ...tooBig, mtu: 2 ** 32 }, buffer, 0), RangeError);
    assert.throws(() => emitIcmpv6({ ...tooBig, code: 256 }, buffer, 0), RangeError);
    const problem = icmpv6ParameterProblem(0, 4, INVOKING);
    assert.throws(() => emitIcmpv6({ ...problem, pointer: -1 }, buffer, 0), RangeError);
    // With extensions, the quoted packet must be whole 64-bit words.
    const odd = {
      ...icmpv6DestinationUnreachable(ICMPV6_UNREACHABLE_PORT, INVOKING.subarray(0, 50)),
      extensions: new Uint8Array(8),
    };
    assert.throws(() => emitIcmpv6(odd, buffer, 0), RangeError);
    const other = { kind: 'other', checksum: 'compute', code: 0, body: INVOKING } as const;
    assert.throws(() => emitIcmpv6({ ...other, type: 256 }, buffer, 0), RangeError);
  });
});
