import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bytesEqual, concatBytes, fromHex, internetChecksum } from '@oasis/core';
import fc from 'fast-check';
import {
  emitIpv6Header,
  IP_PROTOCOL_HOP_BY_HOP,
  IP_PROTOCOL_ICMPV6,
  IP_PROTOCOL_IPV6_NO_NEXT,
  IPV6_ERRORS,
  IPV6_HEADER_LENGTH,
  type Ipv6Error,
  Ipv6Packet,
  type Ipv6Repr,
  parseIpv6,
  writeIpv6Header,
} from '../src/ipv6.ts';
import { formatIpv6Address } from '../src/ipv6-address.ts';
import { ipv6PseudoHeaderSum } from '../src/pseudo-header.ts';

// An ICMPv6 echo request as `ping -6 -c1 2001:db8::2` sends it from 2001:db8::1 on Linux, with
// ping's 56 data bytes and an automatic flow label; written from RFC 8200 §3 and RFC 4443 §4.1,
// checked with tshark (checksum correct).
const ECHO = fromHex(`
  60 08 a3 c1        # version 6, traffic class 0, flow label 0x8a3c1
  00 40              # payload length 64
  3a                 # next header: ICMPv6
  40                 # hop limit 64
  2001 0db8 0000 0000 0000 0000 0000 0001   # source 2001:db8::1
  2001 0db8 0000 0000 0000 0000 0000 0002   # destination 2001:db8::2
  80 00 a1 5c 1c 2e 00 01                          # echo request, id 0x1c2e, sequence 1
  6d 3f 5a 66 00 00 00 00 d2 0b 0e 00 00 00 00 00  # ping's timestamp
  10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d 1e 1f
  20 21 22 23 24 25 26 27 28 29 2a 2b 2c 2d 2e 2f
  30 31 32 33 34 35 36 37
`);

// A host joining ff02::1:ff00:1 (the solicited-node group of an address): an MLDv2 report behind
// a hop-by-hop header carrying Router Alert (RFC 3810 §5), as the payload of an Ethernet frame
// with 6 bytes of padding after it, which are not part of the packet. Written from RFC 3810
// §5.2, checked with tshark; the traffic class is not the 0 Linux sends, to exercise the field.
const MLD_REPORT_PADDED = fromHex(`
  6e 00 00 00        # version 6, traffic class 0xe0, flow label 0
  00 24              # payload length 36
  00                 # next header: hop-by-hop options
  01                 # hop limit 1
  fe80 0000 0000 0000 0200 5eff fe10 0001   # source fe80::200:5eff:fe10:1
  ff02 0000 0000 0000 0000 0000 0000 0016   # destination ff02::16, all MLDv2 routers
  3a 00 05 02 00 00 01 00   # hop-by-hop: next ICMPv6, 8 bytes; Router Alert MLD (0); PadN 0
  8f 00 11 f7 00 00 00 01   # MLDv2 report, checksum, one record
  04 00 00 00               # change to exclude, no sources
  ff02 0000 0000 0000 0000 0001 ff00 0001   # ff02::1:ff00:1
  00 00 00 00 00 00         # Ethernet padding
`);

function view(bytes: Uint8Array): Ipv6Packet {
  const checked = Ipv6Packet.checked(bytes);
  assert.ok(checked.ok, checked.ok ? '' : checked.error.key);
  return checked.value;
}

function refused(reason: Ipv6Error['reason']) {
  return { ok: false, error: IPV6_ERRORS[reason] };
}

const SOURCE = ECHO.slice(8, 24);
const DESTINATION = ECHO.slice(24, 40);

describe('IPv6', () => {
  it('reads an ICMPv6 echo request', () => {
    const packet = view(ECHO);
    assert.equal(packet.version, 6);
    assert.equal(packet.trafficClass, 0);
    assert.equal(packet.flowLabel, 0x8a3c1);
    assert.equal(packet.payloadLength, 64);
    assert.equal(packet.totalLength, 104);
    assert.equal(packet.nextHeader, IP_PROTOCOL_ICMPV6);
    assert.equal(packet.hopLimit, 64);
    assert.equal(formatIpv6Address(packet.source), '2001:db8::1');
    assert.equal(formatIpv6Address(packet.destination), '2001:db8::2');
    assert.equal(packet.payload.length, 64);
    assert.equal(packet.payload[0], 0x80);
    // The ICMPv6 checksum verifies over the pseudo-header (RFC 4443 §2.3): the fixture is whole.
    const sum = ipv6PseudoHeaderSum(packet.source, packet.destination, 58, 64);
    assert.equal(internetChecksum(packet.payload, sum), 0);
  });

  it('reads the traffic class and leaves link padding out of the payload', () => {
    const packet = view(MLD_REPORT_PADDED);
    assert.equal(packet.trafficClass, 0xe0);
    assert.equal(packet.flowLabel, 0);
    assert.equal(packet.nextHeader, IP_PROTOCOL_HOP_BY_HOP);
    assert.equal(packet.hopLimit, 1);
    assert.equal(formatIpv6Address(packet.source), 'fe80::200:5eff:fe10:1');
    assert.equal(formatIpv6Address(packet.destination), 'ff02::16');
    assert.equal(packet.totalLength, 76);
    assert.equal(packet.payload.length, 36);
    assert.equal(packet.bytes.length, 82);
    const sum = ipv6PseudoHeaderSum(packet.source, packet.destination, 58, 28);
    assert.equal(internetChecksum(packet.payload.subarray(8), sum), 0);
  });

  it('gives views, not copies, of the addresses and payload', () => {
    const bytes = ECHO.slice();
    const packet = view(bytes);
    bytes[39] = 0x99;
    bytes[40] = 0x81;
    assert.equal(packet.destination[15], 0x99);
    assert.equal(packet.payload[0], 0x81);
    assert.equal(packet.source.buffer, bytes.buffer);
  });

  it('refuses every truncated prefix', () => {
    for (const fixture of [ECHO, MLD_REPORT_PADDED]) {
      const length = view(fixture).totalLength;
      for (let n = 0; n < length; n++) {
        assert.deepEqual(
          Ipv6Packet.checked(fixture.subarray(0, n)),
          refused(n < IPV6_HEADER_LENGTH ? 'truncated' : 'bad-length'),
          `${n} bytes`,
        );
      }
      assert.ok(Ipv6Packet.checked(fixture.subarray(0, length)).ok);
    }
  });

  it('refuses other versions', () => {
    for (const first of [0x40, 0x00, 0x70, 0xf6]) {
      const bytes = ECHO.slice();
      bytes[0] = first;
      assert.deepEqual(Ipv6Packet.checked(bytes), refused('bad-version'));
    }
  });

  it('refuses jumbograms (RFC 2675) but takes an empty payload', () => {
    const header = new Uint8Array(IPV6_HEADER_LENGTH + 8);
    writeIpv6Header(header, SOURCE, DESTINATION, IP_PROTOCOL_HOP_BY_HOP, 64, 0);
    assert.deepEqual(Ipv6Packet.checked(header), refused('jumbogram'));
    writeIpv6Header(header, SOURCE, DESTINATION, IP_PROTOCOL_IPV6_NO_NEXT, 64, 0);
    const packet = view(header);
    assert.equal(packet.payload.length, 0);
    assert.equal(packet.totalLength, 40);
  });

  it('parses to plain values with copied addresses, and emits them back byte for byte', () => {
    const parsed = parseIpv6(MLD_REPORT_PADDED);
    assert.ok(parsed.ok);
    const repr = parsed.value;
    assert.deepEqual(repr, {
      trafficClass: 0xe0,
      flowLabel: 0,
      nextHeader: 0,
      hopLimit: 1,
      source: MLD_REPORT_PADDED.slice(8, 24),
      destination: MLD_REPORT_PADDED.slice(24, 40),
      payloadLength: 36,
    });
    assert.notEqual(repr.source.buffer, MLD_REPORT_PADDED.buffer);
    const out = new Uint8Array(IPV6_HEADER_LENGTH);
    assert.equal(emitIpv6Header(repr, out), IPV6_HEADER_LENGTH);
    assert.ok(bytesEqual(out, MLD_REPORT_PADDED.subarray(0, IPV6_HEADER_LENGTH)));
    assert.deepEqual(parseIpv6(ECHO.subarray(0, 39)), refused('truncated'));
  });

  it('writes the same header with the hot-path writer, defaulting traffic class and flow label to 0', () => {
    const out = new Uint8Array(IPV6_HEADER_LENGTH + 64);
    const length = writeIpv6Header(out, SOURCE, DESTINATION, 58, 64, 64, 0, 0x8a3c1);
    assert.equal(length, IPV6_HEADER_LENGTH);
    out.set(ECHO.subarray(IPV6_HEADER_LENGTH), IPV6_HEADER_LENGTH);
    assert.ok(bytesEqual(out, ECHO));
    writeIpv6Header(out, SOURCE, DESTINATION, 58, 64, 64);
    assert.ok(bytesEqual(out.subarray(0, 4), fromHex('60 00 00 00')));
  });

  it('throws RangeError for programmer errors when emitting', () => {
    const repr: Ipv6Repr = {
      trafficClass: 0,
      flowLabel: 0,
      nextHeader: 58,
      hopLimit: 64,
      source: SOURCE,
      destination: DESTINATION,
      payloadLength: 0,
    };
    const out = new Uint8Array(IPV6_HEADER_LENGTH);
    assert.throws(() => emitIpv6Header(repr, new Uint8Array(39)), RangeError);
    const bad: Partial<Ipv6Repr>[] = [
      { trafficClass: 256 },
      { trafficClass: -1 },
      { flowLabel: 0x100000 },
      { flowLabel: 1.5 },
      { nextHeader: 256 },
      { hopLimit: 256 },
      { payloadLength: 0x10000 },
      { source: new Uint8Array(4) },
      { destination: new Uint8Array(17) },
    ];
    for (const change of bad) {
      assert.throws(() => emitIpv6Header({ ...repr, ...change }, out), RangeError);
    }
    assert.throws(() => writeIpv6Header(new Uint8Array(39), SOURCE, DESTINATION, 58, 1, 0));
    assert.throws(
      () => writeIpv6Header(out, SOURCE.subarray(1), DESTINATION, 58, 1, 0),
      RangeError,
    );
  });

  const address = fc.uint8Array({ minLength: 16, maxLength: 16 });
  const reprArb = fc.record({
    trafficClass: fc.integer({ min: 0, max: 0xff }),
    flowLabel: fc.integer({ min: 0, max: 0xfffff }),
    nextHeader: fc.integer({ min: 1, max: 0xff }),
    hopLimit: fc.integer({ min: 0, max: 0xff }),
    source: address,
    destination: address,
    payloadLength: fc.integer({ min: 0, max: 300 }),
  });

  it('round-trips any header: emit then parse gives the repr back', () => {
    fc.assert(
      fc.property(reprArb, (repr) => {
        const bytes = new Uint8Array(IPV6_HEADER_LENGTH + repr.payloadLength);
        emitIpv6Header(repr, bytes);
        assert.deepEqual(parseIpv6(bytes), { ok: true, value: { ...repr } });
        const packet = view(bytes);
        assert.equal(packet.payload.length, repr.payloadLength);
        assert.equal(packet.version, 6);
      }),
    );
  });

  it('never throws on random or mutated bytes, and accessors stay in bounds', () => {
    const check = (bytes: Uint8Array) => {
      const checked = Ipv6Packet.checked(bytes);
      if (!checked.ok) return;
      const packet = checked.value;
      assert.equal(packet.source.length, 16);
      assert.equal(packet.destination.length, 16);
      assert.equal(packet.payload.length, packet.payloadLength);
      assert.ok(packet.totalLength <= bytes.length);
    };
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), fc.boolean(), (bytes, asV6) => {
        if (asV6 && bytes.length > 0) bytes[0] = 0x60 | (bytes[0]! & 0x0f);
        check(bytes);
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(
        fc.constantFrom(ECHO, MLD_REPORT_PADDED),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        fc.nat({ max: 120 }),
        (fixture, mutations, cut) => {
          const bytes = concatBytes([fixture]).subarray(0, cut);
          for (const [at, value] of mutations)
            if (bytes.length > 0) bytes[at % bytes.length] = value;
          check(bytes);
        },
      ),
      { numRuns: 500 },
    );
  });
});
