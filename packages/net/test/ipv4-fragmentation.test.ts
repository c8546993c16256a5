import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { concatBytes, fromHex } from '@oasis/core';
import { emitIpv4, Ipv4Packet, type Ipv4Repr, ipv4HeaderLength } from '@oasis/wire';
import fc from 'fast-check';
import { fragmentIpv4, ipv4FragmentCount } from '../src/ipv4-fragmentation.ts';
import { Ipv4Reassembler } from '../src/ipv4-reassembly.ts';
import { shuffled } from './shuffle.ts';

const BASE: Ipv4Repr = {
  dscp: 10,
  ecn: 1,
  identification: 0xbeef,
  reservedFlag: false,
  dontFragment: false,
  moreFragments: false,
  fragmentOffset: 0,
  ttl: 64,
  protocol: 17,
  source: 0x0a000001,
  destination: 0x0a000002,
  options: new Uint8Array(0),
  payloadLength: 0,
  checksum: 'compute',
};

const LOOSE_SOURCE_ROUTE = fromHex('83 07 04 0a 00 00 09'); // copied: one hop, 10.0.0.9
const RECORD_ROUTE = fromHex('07 07 04 00 00 00 00'); // not copied: one empty slot
// Both, padded with End of Option List to 16 bytes.
const MIXED_OPTIONS = concatBytes([LOOSE_SOURCE_ROUTE, RECORD_ROUTE, new Uint8Array(2)]);
// Record Route with nine slots after a No Operation: the largest header, 60 bytes.
const LONGEST_OPTIONS = concatBytes([fromHex('01 07 27 04'), new Uint8Array(36)]);

function datagram(payload: Uint8Array, fields: Partial<Ipv4Repr> = {}): Ipv4Repr {
  return { ...BASE, ...fields, payloadLength: payload.length };
}

/**
 * Payloads up to the largest a 60-byte header allows, as a length and a seed: shrinking a
 * generated array of 64 KiB takes minutes, a length and a seed shrink at once. Each byte depends
 * on its position, so a piece put in the wrong place shows.
 */
const LARGE_PAYLOAD = fc
  .tuple(fc.integer({ min: 0, max: 65_515 - 40 }), fc.nat())
  .map(([length, seed]) =>
    Uint8Array.from({ length }, (_, i) => Math.imul(i + seed, 0x9e3779b1) >>> 24),
  );

/** The packets fragmentIpv4 writes, each in a buffer of its own, and their checked views. */
function fragments(repr: Ipv4Repr, payload: Uint8Array, mtu: number): Ipv4Packet[] {
  const buffers: Uint8Array[] = [];
  const count = fragmentIpv4(repr, payload, mtu, (length) => {
    const buffer = new Uint8Array(length);
    buffers.push(buffer);
    return buffer;
  });
  assert.equal(count, buffers.length);
  assert.equal(count, ipv4FragmentCount(repr, mtu));
  return buffers.map((buffer) => {
    const checked = Ipv4Packet.checked(buffer);
    assert.ok(checked.ok);
    assert.equal(checked.value.totalLength, buffer.length);
    return checked.value;
  });
}

/** The unfragmented packet: header emitted with a computed checksum, then the payload. */
function unfragmented(repr: Ipv4Repr, payload: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(ipv4HeaderLength(repr) + payload.length);
  bytes.set(payload, emitIpv4({ ...repr, checksum: 'compute' }, bytes));
  return bytes;
}

/** Checks the rules every fragmentation must keep, and that the pieces add up to `payload`. */
function assertWellCut(
  packets: readonly Ipv4Packet[],
  repr: Ipv4Repr,
  payload: Uint8Array,
  mtu: number,
): void {
  let offset = 0;
  packets.forEach((packet, index) => {
    const last = index === packets.length - 1;
    assert.ok(packet.totalLength <= mtu, `packet ${index} fits the MTU`);
    assert.ok(packet.checksumValid());
    assert.equal(packet.fragmentOffset, offset);
    assert.equal(packet.moreFragments, !last);
    if (!last) assert.equal(packet.payload.length % 8, 0);
    for (const field of [
      'identification',
      'protocol',
      'ttl',
      'source',
      'destination',
      'dscp',
      'ecn',
    ] as const) {
      assert.equal(packet[field], repr[field], field);
    }
    assert.deepEqual(packet.payload, payload.subarray(offset, offset + packet.payload.length));
    offset += packet.payload.length;
  });
  assert.equal(offset, payload.length);
}

describe('fragmentIpv4', () => {
  it('writes a datagram that fits as one unfragmented packet', () => {
    for (const length of [0, 100, 1480]) {
      const payload = Uint8Array.from({ length }, (_, i) => i);
      const repr = datagram(payload, { dontFragment: true });
      const [packet, ...rest] = fragments(repr, payload, 1500);
      assert.deepEqual(rest, []);
      assert.deepEqual(packet?.bytes, unfragmented(repr, payload));
      assert.equal(packet?.isFragment, false);
    }
  });

  it('cuts 8000 bytes for an MTU of 1500 into 6 packets', () => {
    const payload = Uint8Array.from({ length: 8000 }, (_, i) => i * 7);
    const repr = datagram(payload);
    const packets = fragments(repr, payload, 1500);
    assert.deepEqual(
      packets.map((packet) => packet.fragmentOffset),
      [0, 1480, 2960, 4440, 5920, 7400],
    );
    assert.deepEqual(
      packets.map((packet) => packet.totalLength),
      [1500, 1500, 1500, 1500, 1500, 620],
    );
    assertWellCut(packets, repr, payload, 1500);
  });

  it('cuts the first packet before the MTU when its header is longer', () => {
    const payload = new Uint8Array(2000);
    const repr = datagram(payload, { options: MIXED_OPTIONS });
    const packets = fragments(repr, payload, 1500);
    // 1500 - 36 = 1464, a multiple of 8; later packets have a 28-byte header: 1472.
    assert.deepEqual(
      packets.map((packet) => [packet.headerLength, packet.payload.length]),
      [
        [36, 1464],
        [28, 536],
      ],
    );
  });

  it('copies only the options with the copied flag into later packets', () => {
    const payload = new Uint8Array(300);
    const repr = datagram(payload, { options: MIXED_OPTIONS });
    const [first, ...later] = fragments(repr, payload, 128);
    assert.deepEqual(first?.options, MIXED_OPTIONS);
    assert.ok(later.length > 0);
    for (const packet of later) {
      assert.deepEqual(packet.options, concatBytes([LOOSE_SOURCE_ROUTE, new Uint8Array(1)]));
    }
    const withoutCopied = fragments(datagram(payload, { options: LONGEST_OPTIONS }), payload, 128);
    for (const packet of withoutCopied.slice(1)) assert.equal(packet.headerLength, 20);
  });

  it('works at the minimum MTU of 68 with the longest header', () => {
    const payload = Uint8Array.from({ length: 100 }, (_, i) => i);
    const repr = datagram(payload, { options: LONGEST_OPTIONS });
    const packets = fragments(repr, payload, 68);
    assert.equal(packets[0]?.payload.length, 8);
    assert.equal(packets[1]?.payload.length, 48);
    assertWellCut(packets, repr, payload, 68);
  });

  it("refuses to fragment a datagram with Don't Fragment set", () => {
    const payload = new Uint8Array(1481);
    const repr = datagram(payload, { dontFragment: true });
    const allocate = (): Uint8Array => assert.fail('nothing is written');
    assert.throws(() => fragmentIpv4(repr, payload, 1500, allocate), RangeError);
    assert.throws(() => ipv4FragmentCount(repr, 1500), RangeError);
  });

  it('refuses an MTU below 68', () => {
    const payload = new Uint8Array(10);
    for (const mtu of [67, 0, 1500.5, Number.NaN]) {
      assert.throws(
        () => fragmentIpv4(datagram(payload), payload, mtu, (n) => new Uint8Array(n)),
        RangeError,
      );
      assert.throws(() => ipv4FragmentCount(datagram(payload), mtu), RangeError);
    }
  });

  it('refuses a repr that does not describe the payload as a whole datagram', () => {
    const payload = new Uint8Array(100);
    const allocate = (length: number): Uint8Array => new Uint8Array(length);
    const wrong: Ipv4Repr[] = [
      datagram(new Uint8Array(99)),
      datagram(payload, { fragmentOffset: 8 }),
      datagram(payload, { moreFragments: true }),
    ];
    for (const repr of wrong)
      assert.throws(() => fragmentIpv4(repr, payload, 68, allocate), RangeError);
    assert.throws(
      () => fragmentIpv4(datagram(payload), payload, 68, () => new Uint8Array(1500)),
      RangeError,
    );
  });

  it('keeps every rule for any payload, MTU and options', () => {
    fc.assert(
      fc.property(
        LARGE_PAYLOAD,
        fc.integer({ min: 68, max: 9000 }),
        fc.constantFrom(new Uint8Array(0), MIXED_OPTIONS, LONGEST_OPTIONS),
        (payload, mtu, options) => {
          const repr = datagram(payload, { options });
          const packets = fragments(repr, payload, mtu);
          assertWellCut(packets, repr, payload, mtu);
          assert.deepEqual(packets[0]?.options, options);
        },
      ),
    );
  });

  it('gives back the datagram through Ipv4Reassembler, fragments in any order', () => {
    fc.assert(
      fc.property(
        LARGE_PAYLOAD,
        fc.integer({ min: 68, max: 9000 }),
        fc.constantFrom(new Uint8Array(0), MIXED_OPTIONS, LONGEST_OPTIONS),
        fc.array(fc.nat(), { minLength: 1, maxLength: 64 }),
        (payload, mtu, options, orderKeys) => {
          const repr = datagram(payload, { options });
          const expected = unfragmented(repr, payload);
          const packets = fragments(repr, payload, mtu);
          if (packets.length === 1) {
            assert.deepEqual(packets[0]?.bytes, expected);
            return;
          }
          const reassembler = new Ipv4Reassembler((reason) => assert.fail(reason));
          const order = shuffled(packets, orderKeys);
          for (const packet of order.slice(0, -1))
            assert.equal(reassembler.add(packet, 0), undefined);
          // The first packet's header, which carries every option, is the datagram's.
          assert.deepEqual(reassembler.add(order.at(-1)!, 0), expected);
        },
      ),
    );
  });
});
