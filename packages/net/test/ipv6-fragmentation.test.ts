import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex, readU16BE, readU32BE, unwrap } from '@oasis/core';
import { IP_PROTOCOL_UDP, parseIpv6Address, writeIpv6Header } from '@oasis/wire';
import fc from 'fast-check';
import { fragmentIpv6, ipv6FragmentCount } from '../src/ipv6-fragmentation.ts';
import { walkFragment } from './ipv6-fragment-info.ts';

const SOURCE = unwrap(parseIpv6Address('2001:db8::1'));
const DESTINATION = unwrap(parseIpv6Address('2001:db8::2'));

/** A fixed header as the stack writes it before fragmenting: Next Header and length left at 0. */
function header(): Uint8Array {
  const bytes = new Uint8Array(40);
  writeIpv6Header(bytes, SOURCE, DESTINATION, 0, 64, 0, 0xb8, 0x12345);
  return bytes;
}

/** The packets fragmentIpv6 writes, each in a buffer of its own. */
function packets(
  payload: Uint8Array,
  mtu: number,
  identification = 0xdeadbeef,
  nextHeader = IP_PROTOCOL_UDP,
): Uint8Array[] {
  const written: Uint8Array[] = [];
  const count = fragmentIpv6(header(), nextHeader, payload, mtu, identification, (length) => {
    const buffer = new Uint8Array(length);
    written.push(buffer);
    return buffer;
  });
  assert.equal(count, written.length);
  assert.equal(count, ipv6FragmentCount(payload.length, mtu));
  return written;
}

function pattern(length: number, seed = 0): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => Math.imul(i + seed, 0x9e3779b1) >>> 24);
}

describe('fragmentIpv6', () => {
  it('writes a packet that fits whole, without a fragment header (RFC 8021)', () => {
    const payload = pattern(1240);
    const [packet, ...rest] = packets(payload, 1280);
    assert.deepEqual(rest, []);
    const expected = header();
    expected[6] = IP_PROTOCOL_UDP;
    expected[4] = 1240 >>> 8;
    expected[5] = 1240 & 0xff;
    assert.deepEqual(packet?.subarray(0, 40), expected);
    assert.deepEqual(packet?.subarray(40), payload);
  });

  it('cuts a packet one byte too long into two fragments', () => {
    const payload = pattern(1241);
    const [first, second, ...rest] = packets(payload, 1280, 0x01020304);
    assert.deepEqual(rest, []);
    assert.ok(first !== undefined && second !== undefined);
    // 1280 - 48 = 1232 bytes of data, a multiple of 8.
    assert.equal(first.length, 1280);
    assert.deepEqual(
      first.subarray(0, 48),
      fromHex(`
        6b 81 23 45               # version 6, traffic class b8, flow label 12345
        04 d8 2c 40               # payload length 1240 (8 + 1232), next header 44 (fragment), hop limit 64
        20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01   # source 2001:db8::1
        20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 02   # destination 2001:db8::2
        11 00 00 01               # fragment header: next header 17 (UDP), reserved, offset 0, M 1
        01 02 03 04               # identification
      `),
    );
    assert.deepEqual(first.subarray(48), payload.subarray(0, 1232));
    assert.equal(second.length, 48 + 9);
    assert.deepEqual(
      second.subarray(0, 8),
      fromHex('6b 81 23 45   00 11 2c 40   # payload length 17 (8 + 9)'),
    );
    assert.deepEqual(
      second.subarray(40, 48),
      fromHex(
        '11 00 04 d0   01 02 03 04   # offset 1232 (154 units of 8, in the top 13 bits), M 0',
      ),
    );
    assert.deepEqual(second.subarray(48), payload.subarray(1232));
  });

  it('cuts any payload into the fewest fragments the MTU allows, in order', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1280, max: 9216 }),
        fc.integer({ min: 0, max: 65_535 }),
        fc.nat(),
        fc.nat({ max: 0xffffffff }),
        fc.integer({ min: 0, max: 255 }),
        (mtu, length, seed, identification, nextHeader) => {
          const payload = pattern(length, seed);
          const written = packets(payload, mtu, identification, nextHeader);
          if (40 + length <= mtu) {
            assert.equal(written.length, 1);
            return;
          }
          const chunk = (mtu - 48) & ~7;
          assert.equal(written.length, Math.ceil(length / chunk));
          let offset = 0;
          written.forEach((packet, index) => {
            const last = index === written.length - 1;
            assert.ok(packet.length <= mtu);
            // All but the last as large as the MTU allows, a multiple of 8 bytes of data.
            if (!last) assert.equal(packet.length, 48 + chunk);
            // The caller's header fields in every fragment.
            assert.deepEqual(packet.subarray(0, 4), header().subarray(0, 4));
            assert.deepEqual(packet.subarray(7, 40), header().subarray(7, 40));
            assert.equal(packet[6], 44);
            assert.equal(readU16BE(packet, 4), packet.length - 40);
            assert.equal(packet[40], nextHeader);
            assert.equal(packet[41], 0);
            assert.equal(readU16BE(packet, 42), offset | (last ? 0 : 1));
            assert.equal(readU32BE(packet, 44), identification);
            assert.deepEqual(packet.subarray(48), payload.subarray(offset, offset + chunk));
            if (nextHeader === IP_PROTOCOL_UDP) {
              // As the receive path reads it.
              const info = walkFragment(packet);
              assert.deepEqual(info, {
                headerOffset: 40,
                dataOffset: 48,
                offset,
                more: !last,
                identification,
                nextHeader,
                payloadEnd: packet.length,
              });
            }
            offset += packet.length - 48;
          });
          assert.equal(offset, length);
        },
      ),
      { numRuns: 80 },
    );
  });

  it('refuses what cannot be sent or breaks its contract', () => {
    const payload = pattern(2000);
    const allocate = (length: number) => new Uint8Array(length);
    const calls: [string, () => unknown][] = [
      ['an MTU below 1280', () => fragmentIpv6(header(), 17, payload, 1279, 1, allocate)],
      ['an MTU that is not an integer', () => ipv6FragmentCount(100, 1280.5)],
      ['a payload over 65,535 bytes', () => ipv6FragmentCount(65_536, 9000)],
      [
        'a header of 39 bytes',
        () => fragmentIpv6(new Uint8Array(39), 17, payload, 1280, 1, allocate),
      ],
      ['a next header of 256', () => fragmentIpv6(header(), 256, payload, 1280, 1, allocate)],
      [
        'an identification of 2^32',
        () => fragmentIpv6(header(), 17, payload, 1280, 2 ** 32, allocate),
      ],
      [
        'a buffer too long',
        () => fragmentIpv6(header(), 17, payload, 1280, 1, (n) => allocate(n + 1)),
      ],
      [
        'a buffer too short',
        () => fragmentIpv6(header(), 17, pattern(8), 1280, 1, (n) => allocate(n - 1)),
      ],
    ];
    for (const [name, call] of calls) assert.throws(call, RangeError, name);
  });
});
