import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bytesEqual, concatBytes, fromHex, internetChecksum, sumWords } from '@oasis/core';
import fc from 'fast-check';
import { ipv4PseudoHeaderSum } from '../src/pseudo-header.ts';
import {
  emitUdp,
  parseUdp,
  UDP_CHECKSUM_OFFSET,
  UDP_ERRORS,
  UdpPacket,
  type UdpRepr,
  udpChecksumValid,
  udpLength,
} from '../src/udp.ts';

const UDP = 17; // IANA protocol number
const HOST = 0xc0a8010a; // 192.168.1.10
const RESOLVER = 0xc0a80101; // 192.168.1.1

// A DNS query for example.com/A from 192.168.1.10:51234 to 192.168.1.1:53, as `host -t A
// example.com` sends it (no EDNS). 37 bytes: the odd last byte is summed padded with a zero.
const DNS_QUERY = fromHex(`
  c8 22                    # source port 51234
  00 35                    # destination port 53
  00 25                    # length 37: 8 header + 29 data
  ca 57                    # checksum over pseudo-header, header and data
  1a 2b 01 00 00 01 00 00 00 00 00 00       # DNS: id 0x1a2b, RD, 1 question
  07 65 78 61 6d 70 6c 65 03 63 6f 6d 00    # example.com
  00 01 00 01                               # type A, class IN
`);
// c0a8 + 010a + c0a8 + 0101 + 0011 + 0025, folded.
const DNS_PSEUDO_SUM = ipv4PseudoHeaderSum(HOST, RESOLVER, UDP, 37);

function withChecksum(bytes: Uint8Array, checksum: number): Uint8Array {
  const copy = bytes.slice();
  copy[UDP_CHECKSUM_OFFSET] = checksum >>> 8;
  copy[UDP_CHECKSUM_OFFSET + 1] = checksum & 0xff;
  return copy;
}

/** Emits `repr` into a buffer of its exact length. */
function emitted(repr: UdpRepr, pseudoSum?: number): Uint8Array {
  const buffer = new Uint8Array(udpLength(repr));
  assert.equal(emitUdp(repr, buffer, pseudoSum), buffer.length);
  return buffer;
}

/** What a device does with a NEEDS_CSUM datagram: sums from csum_start, stores the complement at csum_offset. */
function finishOnDevice(datagram: Uint8Array): void {
  const checksum = internetChecksum(datagram);
  const value = checksum === 0 ? 0xffff : checksum; // Linux skb_checksum_help: CSUM_MANGLED_0
  datagram[UDP_CHECKSUM_OFFSET] = value >>> 8;
  datagram[UDP_CHECKSUM_OFFSET + 1] = value & 0xff;
}

const reprArbitrary = fc.record({
  sourcePort: fc.nat({ max: 0xffff }),
  destinationPort: fc.nat({ max: 0xffff }),
  checksum: fc.constant<'compute'>('compute'),
  payload: fc.uint8Array({ maxLength: 64 }),
});
const addressArbitrary = fc.nat({ max: 0xffff_ffff });

describe('UDP', () => {
  it('reads a DNS query and verifies its checksum against the pseudo-header', () => {
    // The fixture's checksum, recomputed with the field zeroed.
    assert.equal(internetChecksum(withChecksum(DNS_QUERY, 0), DNS_PSEUDO_SUM), 0xca57);
    const result = UdpPacket.checked(DNS_QUERY);
    assert.ok(result.ok);
    const packet = result.value;
    assert.equal(packet.sourcePort, 51234);
    assert.equal(packet.destinationPort, 53);
    assert.equal(packet.length, 37);
    assert.equal(packet.checksum, 0xca57);
    assert.equal(packet.payload.length, 29);
    assert.equal(packet.payload[0], 0x1a);
    assert.ok(udpChecksumValid(packet, DNS_PSEUDO_SUM));
    // The same datagram to another address does not verify: the pseudo-header protects it.
    assert.ok(!udpChecksumValid(packet, ipv4PseudoHeaderSum(HOST, RESOLVER + 1, UDP, 37)));
  });

  it('parses with and without checksum verification', () => {
    const parsed = parseUdp(DNS_QUERY, DNS_PSEUDO_SUM);
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.value, {
      sourcePort: 51234,
      destinationPort: 53,
      checksum: 0xca57,
      payload: DNS_QUERY.subarray(8),
    });
    const corrupted = withChecksum(DNS_QUERY, 0xca58);
    assert.deepEqual(parseUdp(corrupted, DNS_PSEUDO_SUM), {
      ok: false,
      error: UDP_ERRORS['bad-checksum'],
    });
    // A device that verified the checksum (or a caller that does not care) passes undefined.
    assert.ok(parseUdp(corrupted, undefined).ok);
  });

  it('accepts a zero checksum as "not computed" over IPv4 only', () => {
    const unchecked = withChecksum(DNS_QUERY, 0);
    assert.ok(parseUdp(unchecked, DNS_PSEUDO_SUM).ok);
    // RFC 8200 §8.1: over IPv6 a zero checksum is refused.
    assert.deepEqual(parseUdp(unchecked, DNS_PSEUDO_SUM, false), {
      ok: false,
      error: UDP_ERRORS['bad-checksum'],
    });
    assert.ok(parseUdp(DNS_QUERY, DNS_PSEUDO_SUM, false).ok);
  });

  it('round-trips byte-exact, whatever checksum the datagram carried', () => {
    for (const bytes of [DNS_QUERY, withChecksum(DNS_QUERY, 0), withChecksum(DNS_QUERY, 0x1234)]) {
      const parsed = parseUdp(bytes, undefined);
      assert.ok(parsed.ok);
      assert.ok(bytesEqual(emitted(parsed.value), bytes));
    }
  });

  it('cuts off what follows the UDP length', () => {
    const padded = concatBytes([DNS_QUERY, fromHex('00 00 00')]);
    const result = UdpPacket.checked(padded);
    assert.ok(result.ok);
    assert.equal(result.value.bytes.length, 37);
    assert.equal(result.value.payload.length, 29);
    assert.ok(udpChecksumValid(result.value, DNS_PSEUDO_SUM));
    const parsed = parseUdp(padded, DNS_PSEUDO_SUM);
    assert.ok(parsed.ok);
    assert.ok(bytesEqual(emitted(parsed.value), DNS_QUERY));
  });

  it('refuses every truncated prefix', () => {
    for (let length = 0; length < DNS_QUERY.length; length++) {
      const reason = length < 8 ? 'truncated' : 'bad-length';
      assert.deepEqual(
        parseUdp(DNS_QUERY.subarray(0, length), undefined),
        { ok: false, error: UDP_ERRORS[reason] },
        `length ${length}`,
      );
    }
  });

  it('refuses a length field below the header length', () => {
    for (const length of [0, 1, 7]) {
      const bytes = DNS_QUERY.slice();
      bytes[4] = 0;
      bytes[5] = length;
      assert.deepEqual(UdpPacket.checked(bytes), { ok: false, error: UDP_ERRORS['bad-length'] });
    }
    // Exactly a header, no data: fine.
    const empty = fromHex('0035 0035 0008 0000');
    const parsed = parseUdp(empty, ipv4PseudoHeaderSum(HOST, RESOLVER, UDP, 8));
    assert.ok(parsed.ok);
    assert.equal(parsed.value.payload.length, 0);
  });

  it('computes the checksum on emit', () => {
    const parsed = parseUdp(DNS_QUERY, DNS_PSEUDO_SUM);
    assert.ok(parsed.ok);
    const repr: UdpRepr = { ...parsed.value, checksum: 'compute' };
    assert.ok(bytesEqual(emitted(repr, DNS_PSEUDO_SUM), DNS_QUERY));
  });

  it('sends a computed checksum of zero as 0xffff (RFC 768)', () => {
    // Choose a 16-bit data word that makes the sum all ones, so the complement is zero.
    const pseudoSum = ipv4PseudoHeaderSum(HOST, RESOLVER, UDP, 10);
    const header = fromHex('1000 2000 000a 0000 0000');
    const word = 0xffff - sumWords(header, pseudoSum);
    const repr: UdpRepr = {
      sourcePort: 0x1000,
      destinationPort: 0x2000,
      checksum: 'compute',
      payload: Uint8Array.of(word >>> 8, word & 0xff),
    };
    const datagram = emitted(repr, pseudoSum);
    assert.equal(internetChecksum(withChecksum(datagram, 0), pseudoSum), 0);
    const packet = UdpPacket.checked(datagram);
    assert.ok(packet.ok);
    assert.equal(packet.value.checksum, 0xffff);
    assert.ok(udpChecksumValid(packet.value, pseudoSum, false));
    const parsed = parseUdp(datagram, pseudoSum);
    assert.ok(parsed.ok);
    assert.equal(parsed.value.checksum, 0xffff);
  });

  it('leaves the folded pseudo-header sum for a checksum-offloading device', () => {
    const parsed = parseUdp(DNS_QUERY, DNS_PSEUDO_SUM);
    assert.ok(parsed.ok);
    const datagram = emitted({ ...parsed.value, checksum: 'offload' }, DNS_PSEUDO_SUM);
    assert.equal(UdpPacket.unchecked(datagram).checksum, DNS_PSEUDO_SUM);
    finishOnDevice(datagram);
    assert.ok(bytesEqual(datagram, DNS_QUERY));
  });

  it('offload then device finishing equals computing in software', () => {
    fc.assert(
      fc.property(
        reprArbitrary,
        addressArbitrary,
        addressArbitrary,
        (repr, source, destination) => {
          const pseudoSum = ipv4PseudoHeaderSum(source, destination, UDP, udpLength(repr));
          const offloaded = emitted({ ...repr, checksum: 'offload' }, pseudoSum);
          finishOnDevice(offloaded);
          const packet = UdpPacket.checked(offloaded);
          assert.ok(packet.ok);
          assert.ok(udpChecksumValid(packet.value, pseudoSum, false));
          assert.ok(bytesEqual(offloaded, emitted(repr, pseudoSum)));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('does not copy a payload written in place, and copies one that is not', () => {
    const buffer = new Uint8Array(64).fill(0xee);
    const datagram = buffer.subarray(10, 10 + 37);
    const payload = datagram.subarray(8);
    payload.set(DNS_QUERY.subarray(8));
    const repr: UdpRepr = { sourcePort: 51234, destinationPort: 53, checksum: 'compute', payload };
    assert.equal(emitUdp(repr, datagram, DNS_PSEUDO_SUM), 37);
    assert.ok(bytesEqual(datagram, DNS_QUERY));
    assert.equal(buffer[9], 0xee);
    assert.equal(buffer[47], 0xee);
    // A payload in the same buffer at another offset is moved correctly.
    const shifted = new Uint8Array(64);
    shifted.set(DNS_QUERY.subarray(8), 3);
    const moved = { ...repr, payload: shifted.subarray(3, 3 + 29) };
    assert.equal(emitUdp(moved, shifted, DNS_PSEUDO_SUM), 37);
    assert.ok(bytesEqual(shifted.subarray(0, 37), DNS_QUERY));
  });

  it('never throws on random bytes, and what it accepts round-trips', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 48 }), fc.boolean(), (bytes, verify) => {
        const parsed = parseUdp(bytes, verify ? 0x1234 : undefined);
        if (!parsed.ok) return;
        const length = udpLength(parsed.value);
        assert.ok(bytesEqual(emitted(parsed.value), bytes.subarray(0, length)));
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on mutations of a real datagram, and what it accepts round-trips', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat({ max: DNS_QUERY.length - 1 }), fc.nat({ max: 0xff })), {
          minLength: 1,
          maxLength: 4,
        }),
        fc.nat({ max: DNS_QUERY.length + 2 }),
        (mutations, length) => {
          const bytes = concatBytes([DNS_QUERY, fromHex('00 00')]);
          for (const [offset, value] of mutations) bytes[offset] = value;
          const input = bytes.subarray(0, length);
          const parsed = parseUdp(input, DNS_PSEUDO_SUM);
          if (!parsed.ok) return;
          assert.ok(bytesEqual(emitted(parsed.value), input.subarray(0, udpLength(parsed.value))));
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
          const pseudoSum = ipv4PseudoHeaderSum(source, destination, UDP, udpLength(repr));
          const datagram = emitted(repr, pseudoSum);
          const parsed = parseUdp(datagram, pseudoSum, false);
          assert.ok(parsed.ok);
          assert.notEqual(parsed.value.checksum, 0);
          // fast-check's records have no prototype; compare as plain objects.
          assert.deepEqual({ ...parsed.value, checksum: 'compute' }, { ...repr });
        },
      ),
      { numRuns: 200 },
    );
  });

  it('throws RangeError on programmer errors when emitting', () => {
    const repr: UdpRepr = {
      sourcePort: 1,
      destinationPort: 2,
      checksum: 'compute',
      payload: new Uint8Array(4),
    };
    assert.throws(() => emitUdp(repr, new Uint8Array(11), 0), RangeError);
    assert.throws(() => emitUdp(repr, new Uint8Array(12)), RangeError); // no pseudo-header sum
    assert.throws(() => emitUdp({ ...repr, checksum: 'offload' }, new Uint8Array(12)), RangeError);
    assert.throws(() => emitUdp({ ...repr, sourcePort: 65536 }, new Uint8Array(12), 0), RangeError);
    assert.throws(
      () => emitUdp({ ...repr, destinationPort: -1 }, new Uint8Array(12), 0),
      RangeError,
    );
    assert.throws(() => emitUdp({ ...repr, checksum: 0x10000 }, new Uint8Array(12)), RangeError);
    const huge = { ...repr, payload: new Uint8Array(0x10000 - 7) };
    assert.throws(() => emitUdp(huge, new Uint8Array(0x10001), 0), RangeError);
    // A verbatim checksum needs no pseudo-header sum.
    assert.equal(emitUdp({ ...repr, checksum: 0 }, new Uint8Array(12)), 12);
  });
});
