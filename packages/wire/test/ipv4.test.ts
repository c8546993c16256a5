import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bytesEqual, concatBytes, fromHex, internetChecksum } from '@oasis/core';
import fc from 'fast-check';
import {
  emitIpv4,
  IP_PROTOCOL_ICMP,
  IPV4_ERRORS,
  IPV4_HEADER_LENGTH,
  type Ipv4Error,
  Ipv4Packet,
  type Ipv4Repr,
  ipv4HeaderLength,
  ipv4Options,
  ipv4OptionsValid,
  isIpv4OptionCopied,
  parseIpv4,
} from '../src/ipv4.ts';
import { formatIpv4Address } from '../src/ipv4-address.ts';

// `ping -c1 10.0.0.2` from a Linux host: an ICMP echo request with ping's 56 data bytes.
const ECHO = fromHex(`
  45                 # version 4, IHL 5 (20 bytes)
  00                 # DSCP 0, ECN 0 (not ECN-capable)
  00 54              # total length 84
  a3 6f              # identification
  40 00              # flags: DF; fragment offset 0
  40                 # TTL 64
  01                 # protocol: ICMP
  83 37              # header checksum
  0a 00 00 01        # source 10.0.0.1
  0a 00 00 02        # destination 10.0.0.2
  08 00 0c 60 00 2a 00 01                           # ICMP echo request, id 42, sequence 1
  b5 2e 9b 66 00 00 00 00 d1 0c 0b 00 00 00 00 00   # ping's timestamp
  10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d 1e 1f
  20 21 22 23 24 25 26 27 28 29 2a 2b 2c 2d 2e 2f
  30 31 32 33 34 35 36 37
`);

// Linux joining the mDNS group: an IGMPv2 report, which carries the Router Alert option
// (RFC 2236 §2, RFC 2113), as the payload of a minimum-size Ethernet frame: 14 bytes of link
// padding follow the 32-byte packet.
const IGMP_PADDED = fromHex(`
  46                 # version 4, IHL 6 (24 bytes: one word of options)
  c0                 # DSCP 48 (CS6, network control), ECN 0
  00 20              # total length 32
  00 00              # identification 0 (an atomic datagram, RFC 6864 §4.1)
  40 00              # flags: DF
  01                 # TTL 1
  02                 # protocol: IGMP
  f9 1b              # header checksum
  0a 00 00 01        # source 10.0.0.1
  e0 00 00 fb        # destination 224.0.0.251
  94 04 00 00        # Router Alert: copied, class 0, number 20; length 4; value 0
  16 00 09 04 e0 00 00 fb                     # IGMPv2 membership report for 224.0.0.251
  00 00 00 00 00 00 00 00 00 00 00 00 00 00   # Ethernet padding, not part of the packet
`);

// `ping -R -s 0 10.0.0.2`: the largest header, 40 bytes of options.
const RECORD_ROUTE = fromHex(`
  4f                 # version 4, IHL 15 (60 bytes)
  00 00 44           # DSCP 0, ECN 0; total length 68
  5d 10 40 00        # identification; DF
  40 01 97 9b        # TTL 64; ICMP; header checksum
  0a 00 00 01 0a 00 00 02
  01                 # No Operation, aligning what follows
  07 27 04           # Record Route: length 39, pointer 4 (the first free slot)
  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00   # nine empty slots
  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
  08 00 f7 d3 00 2b 00 01                    # ICMP echo request, no data
`);

/** The header with the checksum field zeroed, checksummed from scratch (RFC 791 §3.1). */
function recomputedChecksum(header: Uint8Array): number {
  const copy = header.slice();
  copy[10] = 0;
  copy[11] = 0;
  return internetChecksum(copy);
}

function view(bytes: Uint8Array): Ipv4Packet {
  const checked = Ipv4Packet.checked(bytes);
  assert.ok(checked.ok, checked.ok ? '' : checked.error.key);
  return checked.value;
}

function refused(reason: Ipv4Error['reason']) {
  return { ok: false, error: IPV4_ERRORS[reason] };
}

/** Parses, and if accepted, checks that emitting the parsed repr gives back the header. */
function assertRoundTrip(bytes: Uint8Array, verifyChecksum: boolean): boolean {
  const parsed = parseIpv4(bytes, { verifyChecksum });
  if (!parsed.ok) return false;
  const headerLength = ipv4HeaderLength(parsed.value);
  const out = new Uint8Array(headerLength);
  assert.equal(emitIpv4(parsed.value, out), headerLength);
  assert.ok(bytesEqual(out, bytes.subarray(0, headerLength)));
  const packet = view(bytes);
  assert.equal(packet.payload.length, parsed.value.payloadLength);
  return true;
}

describe('IPv4', () => {
  it('reads an ICMP echo request', () => {
    const packet = view(ECHO);
    assert.equal(packet.version, 4);
    assert.equal(packet.headerLength, 20);
    assert.equal(packet.dscp, 0);
    assert.equal(packet.ecn, 0);
    assert.equal(packet.totalLength, 84);
    assert.equal(packet.identification, 0xa36f);
    assert.ok(!packet.reservedFlag);
    assert.ok(packet.dontFragment);
    assert.ok(!packet.moreFragments);
    assert.equal(packet.fragmentOffset, 0);
    assert.ok(!packet.isFragment);
    assert.equal(packet.ttl, 64);
    assert.equal(packet.protocol, IP_PROTOCOL_ICMP);
    assert.equal(packet.checksum, 0x8337);
    assert.equal(recomputedChecksum(packet.header), 0x8337);
    assert.ok(packet.checksumValid());
    assert.equal(formatIpv4Address(packet.source), '10.0.0.1');
    assert.equal(formatIpv4Address(packet.destination), '10.0.0.2');
    assert.equal(packet.options.length, 0);
    assert.equal(packet.payload.length, 64);
    assert.equal(internetChecksum(packet.payload), 0); // the ICMP checksum verifies too
  });

  it('trims link padding from the payload and reads options', () => {
    const packet = view(IGMP_PADDED);
    assert.equal(packet.headerLength, 24);
    assert.equal(packet.dscp, 48);
    assert.equal(packet.totalLength, 32);
    assert.equal(packet.payload.length, 8);
    assert.ok(bytesEqual(packet.payload, fromHex('16 00 09 04 e0 00 00 fb')));
    assert.equal(recomputedChecksum(packet.header), 0xf91b);
    assert.ok(packet.checksumValid());
    const options = [...ipv4Options(packet.options)];
    assert.equal(options.length, 1);
    assert.equal(options[0]!.type, 0x94);
    assert.ok(isIpv4OptionCopied(options[0]!.type));
    assert.ok(bytesEqual(options[0]!.bytes, fromHex('94 04 00 00')));
    assert.ok(bytesEqual(options[0]!.data, fromHex('00 00')));

    const parsed = parseIpv4(IGMP_PADDED);
    assert.ok(parsed.ok);
    assert.equal(parsed.value.payloadLength, 8);
    assert.ok(bytesEqual(parsed.value.options, fromHex('94 04 00 00')));
  });

  it('reads a full 40 bytes of options, skipping No Operation', () => {
    const packet = view(RECORD_ROUTE);
    assert.equal(packet.headerLength, 60);
    assert.equal(packet.options.length, 40);
    assert.equal(recomputedChecksum(packet.header), 0x979b);
    assert.ok(packet.checksumValid());
    const options = [...ipv4Options(packet.options)];
    assert.equal(options.length, 1);
    assert.equal(options[0]!.type, 7);
    assert.ok(!isIpv4OptionCopied(7));
    assert.equal(options[0]!.bytes.length, 39);
    assert.equal(options[0]!.data[0], 4); // the pointer
    assert.equal(packet.payload.length, 8);
  });

  it('agrees with the textbook checksum example', () => {
    // The header used to illustrate the checksum in many references (a UDP datagram).
    const header = fromHex('4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7');
    assert.equal(recomputedChecksum(header), 0xb861);
    const packet = new Uint8Array(0x73);
    packet.set(header);
    assert.ok(view(packet).checksumValid());
  });

  it('round-trips byte-exact, reserved bit, ECN, options and bad checksums included', () => {
    for (const bytes of [ECHO, IGMP_PADDED, RECORD_ROUTE]) {
      assert.ok(assertRoundTrip(bytes, true));
      // Computing the checksum gives the same bytes for a header whose checksum verified.
      const parsed = parseIpv4(bytes);
      assert.ok(parsed.ok);
      const out = new Uint8Array(ipv4HeaderLength(parsed.value));
      emitIpv4(parsed.value, out);
      assert.ok(bytesEqual(out, bytes.subarray(0, out.length)));
    }

    // The evil bit (RFC 3514) and ECN CE (RFC 3168 §5): carried through unchanged.
    const odd = ECHO.slice();
    odd[1] = 0xb8 | 0x03; // DSCP 46 (EF), CE
    odd[6] = 0x80 | 0x20 | 0x01; // reserved, MF, fragment offset 0x100 × 8
    odd[7] = 0x00;
    odd.set([0, 0], 10);
    const checksum = internetChecksum(odd.subarray(0, 20));
    odd.set([checksum >>> 8, checksum & 0xff], 10);
    const packet = view(odd);
    assert.equal(packet.dscp, 46);
    assert.equal(packet.ecn, 3);
    assert.ok(packet.reservedFlag && packet.moreFragments && !packet.dontFragment);
    assert.equal(packet.fragmentOffset, 0x100 * 8);
    assert.ok(packet.isFragment);
    assert.ok(assertRoundTrip(odd, true));

    // A bad checksum: refused by default, kept exactly when accepted without verification,
    // and corrected when emitted with 'compute'.
    const bad = ECHO.slice();
    bad[11] = 0x36; // was 0x37
    assert.deepEqual(parseIpv4(bad), refused('bad-checksum'));
    assert.ok(!view(bad).checksumValid());
    assert.ok(assertRoundTrip(bad, false));
    const parsed = parseIpv4(bad, { verifyChecksum: false });
    assert.ok(parsed.ok);
    assert.equal(parsed.value.checksum, 0x8336);
    const fixed = new Uint8Array(20);
    emitIpv4({ ...parsed.value, checksum: 'compute' }, fixed);
    assert.ok(bytesEqual(fixed, ECHO.subarray(0, 20)));
  });

  it('refuses every truncated packet', () => {
    for (const bytes of [ECHO, IGMP_PADDED, RECORD_ROUTE]) {
      const packet = view(bytes);
      for (let length = 0; length < packet.totalLength; length++) {
        const expected = length < packet.headerLength ? 'truncated' : 'bad-total-length';
        assert.deepEqual(
          Ipv4Packet.checked(bytes.subarray(0, length)),
          refused(expected),
          `length ${length}`,
        );
        assert.deepEqual(parseIpv4(bytes.subarray(0, length)), refused(expected));
      }
    }
  });

  it('refuses each malformation with its own reason', () => {
    const mutate = (base: Uint8Array, offset: number, ...values: number[]) => {
      const bytes = base.slice();
      bytes.set(values, offset);
      return Ipv4Packet.checked(bytes);
    };
    assert.deepEqual(mutate(ECHO, 0, 0x65), refused('bad-version')); // IPv6's version
    assert.deepEqual(mutate(ECHO, 0, 0x05), refused('bad-version'));
    assert.deepEqual(mutate(ECHO, 0, 0x44), refused('bad-header-length')); // IHL 4
    assert.deepEqual(mutate(ECHO, 0, 0x40), refused('bad-header-length'));
    assert.deepEqual(mutate(ECHO, 2, 0x00, 0x13), refused('bad-total-length')); // below 20
    assert.deepEqual(mutate(ECHO, 2, 0x00, 0x55), refused('bad-total-length')); // past the end
    assert.deepEqual(mutate(IGMP_PADDED, 2, 0x00, 0x17), refused('bad-total-length'));
    // IHL 15 on a packet of 24 bytes of header and 8 of payload: the header runs past the end.
    assert.deepEqual(mutate(IGMP_PADDED.subarray(0, 32), 0, 0x4f), refused('truncated'));

    // Options whose lengths do not fit the header (RFC 791 §3.1).
    assert.deepEqual(mutate(IGMP_PADDED, 21, 0x05), refused('bad-options')); // length 5 in 4
    assert.deepEqual(mutate(IGMP_PADDED, 21, 0x01), refused('bad-options')); // length below 2
    assert.deepEqual(mutate(IGMP_PADDED, 21, 0x00), refused('bad-options'));
    assert.deepEqual(mutate(IGMP_PADDED, 20, 0x01, 0x01, 0x01, 0x07), refused('bad-options'));
    assert.deepEqual(mutate(RECORD_ROUTE, 22, 0x28), refused('bad-options')); // 40 after a NOP
    // No Operations, and anything after End of Option List, are fine.
    assert.ok(mutate(IGMP_PADDED, 20, 0x01, 0x01, 0x01, 0x01).ok);
    assert.ok(mutate(IGMP_PADDED, 20, 0x00, 0xff, 0x07, 0x99).ok);
    assert.ok(mutate(IGMP_PADDED, 20, 0x01, 0x07, 0x02, 0x00).ok);

    // A changed source address no longer matches the checksum.
    const changed = ECHO.slice();
    changed[12] = 0x0b;
    assert.ok(Ipv4Packet.checked(changed).ok);
    assert.deepEqual(parseIpv4(changed), refused('bad-checksum'));
    assert.ok(parseIpv4(changed, { verifyChecksum: false }).ok);
    assert.equal(IPV4_ERRORS['bad-options'].key, 'ipv4.bad-options');
  });

  it('validates options outside a header, and refuses to iterate malformed ones', () => {
    assert.ok(ipv4OptionsValid(new Uint8Array(0)));
    assert.ok(ipv4OptionsValid(fromHex('94 04 00 00')));
    assert.ok(!ipv4OptionsValid(fromHex('94 05 00 00')));
    assert.ok(!ipv4OptionsValid(fromHex('01 01 01 83')));
    assert.throws(() => [...ipv4Options(fromHex('94 05 00 00'))], RangeError);
    assert.throws(() => [...ipv4Options(fromHex('01 01 01 83'))], RangeError);
    // Unknown option types are carried like any other.
    const unknown = [...ipv4Options(fromHex('9e 06 01 02 03 04 01 00'))];
    assert.deepEqual(
      unknown.map((option) => [option.type, [...option.data]]),
      [[0x9e, [1, 2, 3, 4]]],
    );
  });

  it('never throws on random bytes, and what it accepts round-trips', () => {
    fc.assert(
      fc.property(
        // size 'max': fast-check's default size keeps arrays to about ten elements.
        fc.uint8Array({ maxLength: 80, size: 'max' }),
        fc.integer({ min: 5, max: 15 }),
        fc.boolean(),
        (random, ihl, plausible) => {
          const bytes = random.slice();
          // Half the time, give the header a chance: version 4, an IHL and a total length that
          // fit, so the option scan and the checksum get exercised.
          if (plausible && bytes.length >= 4) {
            const words = Math.max(5, Math.min(ihl, bytes.length >>> 2));
            bytes[0] = 0x40 | words;
            bytes[2] = 0;
            bytes[3] = Math.min(bytes.length, Math.max(bytes[3]!, words * 4));
          }
          assertRoundTrip(bytes, false);
          assertRoundTrip(bytes, true);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('never throws on mutated packets, and what it accepts round-trips', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(ECHO, IGMP_PADDED, RECORD_ROUTE),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        fc.nat(),
        fc.nat({ max: 20 }),
        (original, edits, cut, extra) => {
          const header = view(original).headerLength;
          // Mutate mostly the header, where the checks are; cut or extend the packet.
          const bytes = concatBytes([original, new Uint8Array(extra)]).subarray(
            0,
            cut % (original.length + extra + 1),
          );
          for (const [at, value] of edits) {
            if (bytes.length > 0) bytes[at % Math.min(bytes.length, header)] = value;
          }
          assertRoundTrip(bytes, false);
          assertRoundTrip(bytes, true);
        },
      ),
      { numRuns: 500 },
    );
  });

  const optionArb = fc.oneof(
    fc.constant(Uint8Array.of(1)),
    fc
      .tuple(fc.integer({ min: 2, max: 255 }), fc.uint8Array({ maxLength: 10 }))
      .map(([type, data]) => Uint8Array.of(type, data.length + 2, ...data)),
  );
  const optionsArb = fc
    .array(optionArb, { maxLength: 6 })
    .map(concatBytes)
    .filter((options) => options.length <= 40)
    .map((options) => {
      // Pad to a 32-bit boundary with End of Option List (RFC 791 §3.1).
      const padded = new Uint8Array(Math.ceil(options.length / 4) * 4);
      padded.set(options);
      return padded;
    });
  const address = fc.integer({ min: 0, max: 0xffff_ffff });
  const reprArb = fc.record({
    dscp: fc.integer({ min: 0, max: 63 }),
    ecn: fc.integer({ min: 0, max: 3 }),
    identification: fc.integer({ min: 0, max: 0xffff }),
    reservedFlag: fc.boolean(),
    dontFragment: fc.boolean(),
    moreFragments: fc.boolean(),
    fragmentOffset: fc.integer({ min: 0, max: 0x1fff }).map((units) => units * 8),
    ttl: fc.integer({ min: 0, max: 255 }),
    protocol: fc.integer({ min: 0, max: 255 }),
    source: address,
    destination: address,
    options: optionsArb,
    payloadLength: fc.integer({ min: 0, max: 64 }),
    checksum: fc.constant('compute' as const),
  });

  it('emits from a representation and reads it back', () => {
    fc.assert(
      fc.property(reprArb, (repr: Ipv4Repr) => {
        const headerLength = ipv4HeaderLength(repr);
        const buffer = new Uint8Array(headerLength + repr.payloadLength);
        assert.equal(emitIpv4(repr, buffer), headerLength);
        assert.equal(view(buffer).checksum, recomputedChecksum(buffer.subarray(0, headerLength)));
        const parsed = parseIpv4(buffer);
        assert.ok(parsed.ok);
        assert.deepEqual(parsed.value, { ...repr, checksum: view(buffer).checksum });
        assert.equal(Ipv4Packet.unchecked(buffer).headerLength, headerLength);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps the checksum equal to a full computation when rewriting in place', () => {
    const operation = fc.oneof(
      fc.constant({ kind: 'ttl' as const }),
      fc.record({ kind: fc.constant('source' as const), address }),
      fc.record({ kind: fc.constant('destination' as const), address }),
    );
    fc.assert(
      fc.property(reprArb, fc.array(operation, { maxLength: 8 }), (repr, operations) => {
        const buffer = new Uint8Array(ipv4HeaderLength(repr) + repr.payloadLength);
        emitIpv4(repr, buffer);
        const packet = Ipv4Packet.unchecked(buffer);
        for (const op of operations) {
          switch (op.kind) {
            case 'ttl': {
              const ttl = packet.ttl;
              if (ttl === 0) {
                assert.throws(() => packet.decrementTtl(), RangeError);
                continue;
              }
              assert.equal(packet.decrementTtl(), ttl - 1);
              assert.equal(packet.ttl, ttl - 1);
              break;
            }
            case 'source':
              packet.setSource(op.address);
              assert.equal(packet.source, op.address);
              break;
            case 'destination':
              packet.setDestination(op.address);
              assert.equal(packet.destination, op.address);
              break;
          }
          assert.equal(packet.checksum, recomputedChecksum(packet.header));
          assert.ok(packet.checksumValid());
        }
      }),
      { numRuns: 300 },
    );
  });

  it('decrements the TTL of a captured packet as a router would', () => {
    const bytes = ECHO.slice();
    const packet = view(bytes);
    assert.equal(packet.decrementTtl(), 63);
    assert.equal(packet.checksum, 0x8437);
    assert.ok(packet.checksumValid());
    assert.ok(bytesEqual(bytes.subarray(20), ECHO.subarray(20)));
    packet.setSource(0xc0a80117);
    packet.setDestination(0x08080808);
    assert.equal(packet.checksum, recomputedChecksum(packet.header));
    assert.throws(() => packet.setSource(-1), RangeError);
  });

  it('throws RangeError on programmer errors when emitting', () => {
    const repr: Ipv4Repr = {
      dscp: 0,
      ecn: 0,
      identification: 1,
      reservedFlag: false,
      dontFragment: true,
      moreFragments: false,
      fragmentOffset: 0,
      ttl: 64,
      protocol: IP_PROTOCOL_ICMP,
      source: 0x0a000001,
      destination: 0x0a000002,
      options: new Uint8Array(0),
      payloadLength: 0,
      checksum: 'compute',
    };
    const buffer = new Uint8Array(60);
    assert.equal(emitIpv4(repr, buffer), IPV4_HEADER_LENGTH);
    assert.throws(() => emitIpv4(repr, new Uint8Array(19)), RangeError);
    const bad: Partial<Record<keyof Ipv4Repr, unknown>>[] = [
      { dscp: 64 },
      { ecn: 4 },
      { identification: 0x10000 },
      { ttl: 256 },
      { protocol: -1 },
      { fragmentOffset: 12 },
      { fragmentOffset: 0x2000 * 8 },
      { source: -1 },
      { destination: 2 ** 32 },
      { payloadLength: 0xffff - 19 },
      { payloadLength: 1.5 },
      { options: fromHex('94 04 00') },
      { options: new Uint8Array(44) },
      { options: fromHex('94 05 00 00') },
    ];
    for (const change of bad) {
      assert.throws(
        () => emitIpv4({ ...repr, ...change } as Ipv4Repr, buffer),
        RangeError,
        JSON.stringify(change),
      );
    }
    assert.throws(() => emitIpv4({ ...repr, checksum: 0x10000 }, buffer), RangeError);
    const expired = ECHO.slice();
    expired[8] = 0; // TTL 0
    assert.throws(() => view(expired).decrementTtl(), RangeError);
  });
});
