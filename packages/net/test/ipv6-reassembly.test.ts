import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex, unwrap } from '@oasis/core';
import {
  IP_PROTOCOL_HOP_BY_HOP,
  IP_PROTOCOL_IPV6_FRAGMENT,
  IP_PROTOCOL_UDP,
  parseIpv6Address,
  writeIpv6FragmentHeader,
  writeIpv6Header,
} from '@oasis/wire';
import fc from 'fast-check';
import type { ReassemblyDropReason, ReassemblyLimits } from '../src/fragment-reassembly.ts';
import { fragmentIpv6 } from '../src/ipv6-fragmentation.ts';
import {
  DEFAULT_IPV6_REASSEMBLY_LIMITS,
  type Ipv6Fragment,
  Ipv6Reassembler,
} from '../src/ipv6-reassembly.ts';
import { walkFragment } from './ipv6-fragment-info.ts';
import { shuffled } from './shuffle.ts';

const SOURCE = unwrap(parseIpv6Address('2001:db8::1'));
const DESTINATION = unwrap(parseIpv6Address('2001:db8::2'));
const IDENTIFICATION = 0x89abcdef;
const TIMEOUT_MS = 60_000;
const TRAFFIC_CLASS = 0xb8;
const FLOW_LABEL = 0x12345;

// Headers that may precede a fragment header (RFC 8200 §4.1), each 8 bytes, as the first
// fragment of a packet carries them. The base header's Next Header names the hop-by-hop header.
const EXTENSIONS = fromHex(`
  3c 00 01 04 00 00 00 00   # Hop-by-Hop: next 60, length 0 (8 bytes), PadN of 4
  2b 00 01 04 00 00 00 00   # Destination Options: next 43, length 0, PadN of 4
  2c 00 04 00 00 00 00 00   # Routing: next 44 (fragment), length 0, type 4, segments left 0
`);
/** Where, in the packet, the Next Header field naming the fragment header sits. */
const EXTENSIONS_POINTER = 40 + 16;

interface Fields {
  readonly offset?: number;
  readonly more?: boolean;
  readonly identification?: number;
  readonly nextHeader?: number;
  readonly source?: Uint8Array;
  readonly destination?: Uint8Array;
  /** Bytes after the fixed header, before the fragment header: EXTENSIONS or none. */
  readonly extensions?: Uint8Array;
  /** Link-layer padding after the packet. */
  readonly padding?: number;
}

interface Built {
  readonly bytes: Uint8Array;
  readonly info: Ipv6Fragment;
}

/**
 * A fragment packet carrying `data`, and its fields as the header walk gives them (built here, so
 * that fragments the walk would refuse can be given too; the round trip below walks for real).
 */
function fragment(data: Uint8Array, fields: Fields = {}): Built {
  const extensions = fields.extensions ?? new Uint8Array(0);
  const headerOffset = 40 + extensions.length;
  const end = headerOffset + 8 + data.length;
  const bytes = new Uint8Array(end + (fields.padding ?? 0)).fill(0xee, end);
  writeIpv6Header(
    bytes,
    fields.source ?? SOURCE,
    fields.destination ?? DESTINATION,
    extensions.length > 0 ? IP_PROTOCOL_HOP_BY_HOP : IP_PROTOCOL_IPV6_FRAGMENT,
    64,
    end - 40,
    TRAFFIC_CLASS,
    FLOW_LABEL,
  );
  bytes.set(extensions, 40);
  writeIpv6FragmentHeader(
    bytes,
    headerOffset,
    fields.nextHeader ?? IP_PROTOCOL_UDP,
    fields.offset ?? 0,
    fields.more ?? false,
    fields.identification ?? IDENTIFICATION,
  );
  bytes.set(data, headerOffset + 8);
  const info: Ipv6Fragment = {
    headerOffset,
    dataOffset: headerOffset + 8,
    offset: fields.offset ?? 0,
    more: fields.more ?? false,
    identification: fields.identification ?? IDENTIFICATION,
    nextHeader: fields.nextHeader ?? IP_PROTOCOL_UDP,
    payloadEnd: end,
  };
  return { bytes, info };
}

/** The fragment of `payload` in [offset, end), More set unless it reaches the end. */
function piece(payload: Uint8Array, offset: number, end: number, fields: Fields = {}): Built {
  return fragment(payload.subarray(offset, end), {
    ...fields,
    offset,
    more: end < payload.length,
  });
}

/** The packet fragments of `payload` reassemble into, with `extensions` kept. */
function whole(payload: Uint8Array, fields: Fields = {}): Uint8Array {
  const extensions = fields.extensions ?? new Uint8Array(0);
  const nextHeader = fields.nextHeader ?? IP_PROTOCOL_UDP;
  const bytes = new Uint8Array(40 + extensions.length + payload.length);
  writeIpv6Header(
    bytes,
    fields.source ?? SOURCE,
    fields.destination ?? DESTINATION,
    extensions.length > 0 ? IP_PROTOCOL_HOP_BY_HOP : nextHeader,
    64,
    extensions.length + payload.length,
    TRAFFIC_CLASS,
    FLOW_LABEL,
  );
  bytes.set(extensions, 40);
  if (extensions.length > 0) bytes[EXTENSIONS_POINTER] = nextHeader;
  bytes.set(payload, 40 + extensions.length);
  return bytes;
}

function counting(limits: Partial<ReassemblyLimits> = {}): {
  reassembler: Ipv6Reassembler;
  drops: ReassemblyDropReason[];
} {
  const drops: ReassemblyDropReason[] = [];
  return { reassembler: new Ipv6Reassembler((reason) => drops.push(reason), limits), drops };
}

function add(reassembler: Ipv6Reassembler, built: Built, nowMs = 0): Uint8Array | undefined {
  return reassembler.add(built.bytes, built.info, nowMs);
}

function sequence(length: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 7 + (i >>> 8)) & 0xff);
}

function assertEmpty(reassembler: Ipv6Reassembler): void {
  assert.equal(reassembler.datagramCount, 0);
  assert.equal(reassembler.bufferedBytes, 0);
  assert.equal(reassembler.fragmentCount, 0);
}

/** Cut points on 8-byte boundaries inside a payload of `length` bytes, from generated numbers. */
function cutPoints(length: number, cuts: readonly number[]): number[] {
  const units = Math.ceil(length / 8);
  return [...new Set([0, ...cuts.map((cut) => ((cut % (units - 1)) + 1) * 8), length])].sort(
    (a, b) => a - b,
  );
}

describe('Ipv6Reassembler', () => {
  it('completes a packet whose fragments arrive in order', () => {
    const payload = sequence(40);
    const { reassembler, drops } = counting();
    assert.equal(add(reassembler, piece(payload, 0, 16)), undefined);
    assert.equal(add(reassembler, piece(payload, 16, 32)), undefined);
    assert.equal(reassembler.datagramCount, 1);
    assert.equal(reassembler.bufferedBytes, 32);
    assert.equal(reassembler.fragmentCount, 2);
    assert.deepEqual(add(reassembler, piece(payload, 32, 40)), whole(payload));
    assertEmpty(reassembler);
    assert.equal(reassembler.pollAt(), undefined);
    assert.deepEqual(drops, []);
  });

  it('completes a packet whose fragments arrive in reverse order, keeping copies', () => {
    const payload = sequence(40);
    const { reassembler } = counting();
    for (const [offset, end] of [
      [32, 40],
      [16, 32],
    ] as const) {
      const built = piece(payload, offset, end, { padding: 6 });
      assert.equal(add(reassembler, built), undefined);
      built.bytes.fill(0xdd); // borrowed: the receive buffer is reused
    }
    assert.deepEqual(add(reassembler, piece(payload, 0, 16, { padding: 3 })), whole(payload));
  });

  it('reassembles any split of any payload, in any order, with duplicates', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 9, maxLength: 3000, size: 'max' }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 40 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        fc.record({
          identification: fc.nat({ max: 0xffffffff }),
          nextHeader: fc.constantFrom(6, 17, 58, 59),
          extensions: fc.constantFrom(new Uint8Array(0), EXTENSIONS),
        }),
        (payload, cuts, orderKeys, duplicateKeys, fields) => {
          const points = cutPoints(payload.length, cuts);
          const pieces = points.slice(1).map((end, i) => piece(payload, points[i]!, end, fields));
          const order = shuffled(pieces, orderKeys);
          const last = order.pop()!;
          // Repeats of fragments that do not complete the packet, before the one that does.
          const repeats = duplicateKeys.flatMap((key) =>
            order.length === 0 ? [] : [order[key % order.length]!],
          );
          const { reassembler, drops } = counting();
          for (const built of shuffled([...order, ...repeats], orderKeys)) {
            assert.equal(add(reassembler, built), undefined);
          }
          assert.deepEqual(add(reassembler, last), whole(payload, fields));
          assert.deepEqual(
            drops,
            repeats.map(() => 'fragment-duplicate'),
          );
          assertEmpty(reassembler);
        },
      ),
    );
  });

  it('reassembles what fragmentIpv6 writes, for any payload, MTU and order', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1280, max: 9000 }),
        fc.integer({ min: 0, max: 65_535 }),
        fc.nat(),
        fc.array(fc.nat(), { maxLength: 60 }),
        fc.nat({ max: 0xffffffff }),
        (mtu, wantedLength, seed, orderKeys, identification) => {
          // Longer than the MTU allows whole, so that it is fragmented.
          const length = Math.max(wantedLength, mtu - 39);
          const payload = Uint8Array.from(
            { length },
            (_, i) => Math.imul(i + seed, 0x9e3779b1) >>> 24,
          );
          const header = whole(new Uint8Array(0)).subarray(0, 40);
          const packets: Uint8Array[] = [];
          fragmentIpv6(header, IP_PROTOCOL_UDP, payload, mtu, identification, (size) => {
            const packet = new Uint8Array(size);
            packets.push(packet);
            return packet;
          });
          assert.ok(packets.length >= 2);
          const { reassembler, drops } = counting();
          const order = shuffled(packets, orderKeys);
          for (const packet of order.slice(0, -1)) {
            assert.equal(reassembler.add(packet, walkFragment(packet), 0), undefined);
          }
          const last = order.at(-1)!;
          assert.deepEqual(reassembler.add(last, walkFragment(last), 0), whole(payload));
          assert.deepEqual(drops, []);
          assertEmpty(reassembler);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("keeps the first fragment's extension headers, rewriting the Next Header that named the fragment header", () => {
    const payload = sequence(48);
    const { reassembler, drops } = counting();
    // Later fragments carry no extension headers and another Next Header: only the offset-0
    // fragment's count (RFC 8200 §4.5).
    add(reassembler, piece(payload, 16, 48, { nextHeader: 6 }));
    const first = piece(payload, 0, 16, { extensions: EXTENSIONS });
    assert.equal(first.info.headerOffset, 40 + EXTENSIONS.length);
    const packet = add(reassembler, first);
    const expected = whole(payload, { extensions: EXTENSIONS });
    assert.deepEqual(packet, expected);
    assert.equal(packet?.[EXTENSIONS_POINTER], IP_PROTOCOL_UDP);
    assert.equal(packet?.[6], IP_PROTOCOL_HOP_BY_HOP);
    assert.equal((packet![4]! << 8) | packet![5]!, EXTENSIONS.length + payload.length);
    assert.deepEqual(drops, []);
  });

  it('keeps packets apart by source, destination and identification only', () => {
    const payload = sequence(16);
    const { reassembler } = counting();
    const others: Fields[] = [
      { source: unwrap(parseIpv6Address('2001:db8::3')) },
      { destination: unwrap(parseIpv6Address('2001:db8::4')) },
      { identification: (IDENTIFICATION ^ 0x80000000) >>> 0 },
      { identification: (IDENTIFICATION ^ 1) >>> 0 },
    ];
    for (const fields of others)
      assert.equal(add(reassembler, piece(payload, 0, 8, fields)), undefined);
    assert.equal(add(reassembler, piece(payload, 0, 8)), undefined);
    assert.equal(reassembler.datagramCount, 5);
    // The Next Header is not part of the key: the offset-0 fragment's is the packet's.
    assert.deepEqual(add(reassembler, piece(payload, 8, 16, { nextHeader: 6 })), whole(payload));
    assert.deepEqual(add(reassembler, piece(payload, 8, 16, others[2])), whole(payload, others[2]));
    assert.equal(reassembler.datagramCount, 3);
  });

  it('refuses an atomic fragment and leaves the packet with its key alone', () => {
    const payload = sequence(24);
    const { reassembler, drops } = counting();
    add(reassembler, piece(payload, 8, 24));
    assert.equal(add(reassembler, fragment(payload)), undefined);
    assert.deepEqual(drops, ['fragment-atomic']);
    assert.equal(reassembler.datagramCount, 1);
    assert.equal(reassembler.bufferedBytes, 16);
    assert.deepEqual(add(reassembler, piece(payload, 0, 8)), whole(payload));
  });

  describe('overlaps (RFC 5722)', () => {
    for (const [offset, end] of [
      [8, 24],
      [24, 40],
      [0, 40],
      [16, 24],
      [24, 32],
      [8, 32],
      [16, 40],
    ] as const) {
      it(`discards the packet and its later fragments on an overlap of [16, 32) by [${offset}, ${end})`, () => {
        const payload = sequence(48);
        const { reassembler, drops } = counting();
        add(reassembler, piece(payload, 40, 48), 0);
        add(reassembler, piece(payload, 16, 32), 10);
        assert.equal(add(reassembler, piece(payload, offset, end), 20), undefined);
        assert.deepEqual(drops, ['fragment-overlap']);
        assertEmpty(reassembler);
        assert.equal(reassembler.tombstoneCount, 1);
        // The rest of the packet, the resent fragments included, is dropped until the deadline.
        for (const [from, to] of [
          [0, 16],
          [16, 32],
          [32, 40],
          [40, 48],
        ] as const) {
          assert.equal(add(reassembler, piece(payload, from, to), TIMEOUT_MS - 1), undefined);
        }
        assert.deepEqual(drops, ['fragment-overlap', ...Array(4).fill('fragment-of-discarded')]);
        assertEmpty(reassembler);
        // Another identification is not affected.
        const other = { identification: 7 };
        add(reassembler, piece(payload, 0, 40, other), TIMEOUT_MS - 1);
        assert.deepEqual(
          add(reassembler, piece(payload, 40, 48, other), TIMEOUT_MS - 1),
          whole(payload, other),
        );
        // At the deadline the tombstone goes silently: no timeout, nothing to report.
        assert.equal(reassembler.pollAt(), TIMEOUT_MS);
        assert.deepEqual(reassembler.poll(TIMEOUT_MS), []);
        assert.equal(reassembler.tombstoneCount, 0);
        assert.equal(reassembler.pollAt(), undefined);
        assert.equal(drops.length, 5);
        // Then the key starts afresh.
        add(reassembler, piece(payload, 0, 40), TIMEOUT_MS);
        assert.deepEqual(add(reassembler, piece(payload, 40, 48), TIMEOUT_MS), whole(payload));
      });
    }

    it('discards the packet when a fragment repeats an offset and length with other bytes', () => {
      const payload = sequence(24);
      const { reassembler, drops } = counting();
      add(reassembler, piece(payload, 0, 8));
      add(reassembler, piece(payload, 8, 16));
      assert.equal(add(reassembler, fragment(new Uint8Array(8), { more: true })), undefined);
      assert.deepEqual(drops, ['fragment-overlap']);
      assert.equal(add(reassembler, piece(payload, 16, 24)), undefined);
      assert.deepEqual(drops, ['fragment-overlap', 'fragment-of-discarded']);
      assertEmpty(reassembler);
    });

    it('leaves a tombstone for an inconsistent end too', () => {
      const payload = sequence(32);
      const { reassembler, drops } = counting();
      add(reassembler, piece(payload, 16, 32));
      assert.equal(add(reassembler, fragment(sequence(8), { offset: 32 })), undefined);
      assert.deepEqual(drops, ['fragment-inconsistent']);
      assert.equal(reassembler.tombstoneCount, 1);
      add(reassembler, piece(payload, 0, 16));
      assert.deepEqual(drops, ['fragment-inconsistent', 'fragment-of-discarded']);
    });

    it('keeps at most maxDatagrams tombstones, forgetting the oldest first', () => {
      const payload = sequence(24);
      const { reassembler, drops } = counting({ maxDatagrams: 2 });
      for (const identification of [1, 2, 3]) {
        add(reassembler, piece(payload, 0, 16, { identification }), identification);
        add(reassembler, piece(payload, 8, 24, { identification }), identification);
      }
      assert.deepEqual(drops, Array(3).fill('fragment-overlap'));
      assert.equal(reassembler.tombstoneCount, 2);
      assert.equal(reassembler.datagramCount, 0);
      // Packet 1's tombstone is gone: its fragment opens a new reassembly; 3's still drops.
      assert.equal(add(reassembler, piece(payload, 0, 8, { identification: 1 }), 4), undefined);
      assert.equal(reassembler.datagramCount, 1);
      assert.equal(add(reassembler, piece(payload, 0, 8, { identification: 3 }), 4), undefined);
      assert.deepEqual(drops.slice(3), ['fragment-of-discarded']);
      // Tombstones take no room from live packets.
      add(reassembler, piece(payload, 0, 8, { identification: 4 }), 5);
      assert.equal(reassembler.datagramCount, 2);
      assert.equal(drops.length, 4);
    });
  });

  it('drops fragments with a bad length, keeping the packet', () => {
    const { reassembler, drops } = counting();
    add(reassembler, fragment(sequence(8), { more: true }));
    const bad = [
      fragment(sequence(12), { offset: 8, more: true }),
      fragment(new Uint8Array(0), { offset: 8, more: true }),
      fragment(new Uint8Array(0), { offset: 8 }),
    ];
    for (const built of bad) {
      // The walk refuses the first (Parameter Problem): here its fields are given as they are.
      assert.equal(reassembler.add(built.bytes, built.info, 0), undefined);
    }
    assert.deepEqual(drops, Array(3).fill('fragment-bad-length'));
    assert.equal(reassembler.datagramCount, 1);
    assert.equal(reassembler.bufferedBytes, 8);
  });

  it('reassembles the largest packet, a payload of 65,535 bytes', () => {
    const payload = sequence(65_535);
    const { reassembler, drops } = counting();
    add(reassembler, piece(payload, 65_528, 65_535));
    add(reassembler, piece(payload, 32_768, 65_528));
    const packet = add(reassembler, piece(payload, 0, 32_768));
    assert.equal(packet?.length, 40 + 65_535);
    assert.deepEqual(packet, whole(payload));
    assert.deepEqual(drops, []);
  });

  it("bounds the payload length with the first fragment's extension headers (RFC 8200 §4.5)", () => {
    const { reassembler, drops } = counting();
    // 65,528 bytes of data fit until the first fragment shows 24 bytes of extension headers.
    assert.equal(add(reassembler, fragment(sequence(8), { offset: 65_520 })), undefined);
    assert.deepEqual(drops, []);
    const first = fragment(sequence(8), { more: true, extensions: EXTENSIONS });
    assert.equal(add(reassembler, first), undefined);
    assert.deepEqual(drops, ['fragment-too-large']);
    // Once it is held, data past 65,535 - 24 is refused.
    const { reassembler: other, drops: otherDrops } = counting();
    add(other, first);
    assert.equal(add(other, fragment(sequence(8), { offset: 65_504 })), undefined);
    assert.deepEqual(otherDrops, ['fragment-too-large']);
    assert.equal(other.bufferedBytes, 8);
  });

  it('reassembles 8-byte fragments, bounded by maxFragments', () => {
    const payload = sequence(2048);
    const pieces = Array.from({ length: 256 }, (_, i) => piece(payload, i * 8, i * 8 + 8));
    const keys = Array.from({ length: 256 }, (_, i) => i * 37);
    const { reassembler, drops } = counting();
    const order = shuffled(pieces, keys);
    for (const built of order.slice(0, -1)) assert.equal(add(reassembler, built), undefined);
    assert.equal(reassembler.fragmentCount, 255);
    assert.deepEqual(add(reassembler, order.at(-1)!), whole(payload));
    assert.deepEqual(drops, []);

    const bounded = counting({ maxFragments: 100 });
    add(bounded.reassembler, piece(payload, 0, 8, { identification: 1 }));
    for (const built of pieces.slice(0, 101)) add(bounded.reassembler, built);
    // The other packet went to make room; then the 101st fragment of this one is too many.
    assert.deepEqual(bounded.drops, ['reassembly-evicted', 'reassembly-over-limit']);
    assertEmpty(bounded.reassembler);
  });

  it('times out a packet, quoting its first fragment as received, up to 1232 bytes', () => {
    const payload = sequence(3000);
    const { reassembler, drops } = counting();
    const first = piece(payload, 0, 1448, { extensions: EXTENSIONS, padding: 10 });
    add(reassembler, first, 1000);
    add(reassembler, piece(payload, 2000, 3000), 5000);
    assert.equal(reassembler.pollAt(), 1000 + TIMEOUT_MS, 'later fragments do not extend it');
    assert.deepEqual(reassembler.poll(TIMEOUT_MS + 999), []);
    assert.deepEqual(drops, []);
    assert.deepEqual(reassembler.poll(TIMEOUT_MS + 1000), [
      { source: SOURCE, destination: DESTINATION, firstFragment: first.bytes.subarray(0, 1232) },
    ]);
    assert.deepEqual(drops, ['reassembly-timeout']);
    assertEmpty(reassembler);
    assert.equal(reassembler.pollAt(), undefined);
  });

  it('quotes a short first fragment whole, without link padding', () => {
    const payload = sequence(64);
    const { reassembler } = counting();
    const first = piece(payload, 0, 32, { padding: 20 });
    add(reassembler, first);
    const [expired, ...rest] = reassembler.poll(TIMEOUT_MS);
    assert.deepEqual(rest, []);
    assert.deepEqual(expired?.firstFragment, first.bytes.subarray(0, first.info.payloadEnd));
    // Owned copies: the receive buffer may be reused.
    first.bytes.fill(0);
    assert.deepEqual(expired?.source, SOURCE);
    assert.notEqual(expired?.firstFragment?.[0], 0);
  });

  it('times out a packet whose first fragment never came', () => {
    const { reassembler, drops } = counting({ timeoutMs: 500 });
    add(reassembler, fragment(sequence(8), { offset: 8 }), 100);
    assert.deepEqual(reassembler.poll(600), [
      { source: SOURCE, destination: DESTINATION, firstFragment: undefined },
    ]);
    assert.deepEqual(drops, ['reassembly-timeout']);
  });

  it('waits 60 seconds by default (RFC 8200 §4.5)', () => {
    assert.equal(DEFAULT_IPV6_REASSEMBLY_LIMITS.timeoutMs, TIMEOUT_MS);
    const { reassembler } = counting();
    add(reassembler, fragment(sequence(8), { more: true }), 3);
    assert.equal(reassembler.pollAt(), 3 + TIMEOUT_MS);
  });

  it('evicts the oldest packet to stay within maxDatagrams and maxBufferedBytes', () => {
    const payload = sequence(64);
    const { reassembler, drops } = counting({ maxDatagrams: 2, maxBufferedBytes: 48 });
    for (const identification of [1, 2, 3]) {
      add(reassembler, piece(payload, 0, 16, { identification }), identification);
    }
    assert.deepEqual(drops, ['reassembly-evicted']);
    add(reassembler, piece(payload, 16, 48, { identification: 3 }), 4);
    assert.deepEqual(drops, ['reassembly-evicted', 'reassembly-evicted']);
    assert.equal(reassembler.datagramCount, 1);
    assert.equal(reassembler.bufferedBytes, 48);
    assert.equal(add(reassembler, piece(payload, 0, 56, { identification: 4 }), 5), undefined);
    assert.deepEqual(drops.at(-1), 'reassembly-over-limit');
  });

  it('refuses fragment fields that do not fit the packet', () => {
    const built = fragment(sequence(16), { more: true });
    const { reassembler } = counting();
    const wrong: Partial<Ipv6Fragment>[] = [
      { headerOffset: 32, dataOffset: 40 },
      { dataOffset: 50 },
      { payloadEnd: built.bytes.length + 1 },
      { dataOffset: 48, payloadEnd: 47 },
    ];
    for (const fields of wrong) {
      assert.throws(
        () => reassembler.add(built.bytes, { ...built.info, ...fields }, 0),
        RangeError,
      );
    }
    assertEmpty(reassembler);
  });

  it('never throws on arbitrary fragments and stays within its limits', () => {
    const arrival = fc.record({
      identification: fc.integer({ min: 0, max: 2 }),
      offset: fc
        .oneof(
          { arbitrary: fc.integer({ min: 0, max: 8 }), weight: 4 },
          { arbitrary: fc.integer({ min: 0, max: 0x1fff }), weight: 1 },
        )
        .map((units) => units * 8),
      more: fc.boolean(),
      extensions: fc.constantFrom(new Uint8Array(0), EXTENSIONS),
      length: fc.oneof(
        { arbitrary: fc.integer({ min: 1, max: 6 }).map((units) => units * 8), weight: 4 },
        { arbitrary: fc.integer({ min: 0, max: 40 }), weight: 1 },
      ),
      elapsedMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 20_000 })),
    });
    fc.assert(
      fc.property(
        fc.record({
          maxDatagrams: fc.integer({ min: 1, max: 4 }),
          maxBufferedBytes: fc.integer({ min: 1, max: 256 }),
          maxFragments: fc.integer({ min: 1, max: 8 }),
          timeoutMs: fc.integer({ min: 1, max: 60_000 }),
        }),
        fc.array(arrival, { maxLength: 60 }),
        (limits, arrivals) => {
          const { reassembler } = counting(limits);
          let nowMs = 0;
          for (const { length, elapsedMs, ...fields } of arrivals) {
            nowMs += elapsedMs;
            // Bytes of one pattern, so that fragments repeat and complete as well as overlap.
            const data = Uint8Array.from({ length }, (_, i) => fields.offset + i);
            const packet = add(reassembler, fragment(data, fields), nowMs);
            if (packet !== undefined) {
              assert.equal((packet[4]! << 8) | packet[5]!, packet.length - 40);
            }
            assert.ok(reassembler.bufferedBytes <= limits.maxBufferedBytes);
            assert.ok(reassembler.fragmentCount <= limits.maxFragments);
            assert.ok(reassembler.datagramCount <= limits.maxDatagrams);
            assert.ok(reassembler.tombstoneCount <= limits.maxDatagrams);
            const pollAt = reassembler.pollAt();
            if (pollAt !== undefined && pollAt <= nowMs) reassembler.poll(nowMs);
          }
          reassembler.poll(nowMs + limits.timeoutMs);
          assertEmpty(reassembler);
          assert.equal(reassembler.tombstoneCount, 0);
          assert.equal(reassembler.pollAt(), undefined);
        },
      ),
    );
  });
});
