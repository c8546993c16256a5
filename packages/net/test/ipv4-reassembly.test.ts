import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { concatBytes, fromHex } from '@oasis/core';
import { emitIpv4, Ipv4Packet, type Ipv4Repr, ipv4HeaderLength } from '@oasis/wire';
import fc from 'fast-check';
import {
  DEFAULT_REASSEMBLY_LIMITS,
  Ipv4Reassembler,
  type ReassemblyDropReason,
  type ReassemblyLimits,
} from '../src/ipv4-reassembly.ts';
import { shuffled } from './shuffle.ts';

const SOURCE = 0x0a000001;
const DESTINATION = 0x0a000002;
const TIMEOUT_MS = DEFAULT_REASSEMBLY_LIMITS.timeoutMs;

const BASE: Ipv4Repr = {
  dscp: 0,
  ecn: 0,
  identification: 0x1234,
  reservedFlag: false,
  dontFragment: false,
  moreFragments: false,
  fragmentOffset: 0,
  ttl: 64,
  protocol: 17,
  source: SOURCE,
  destination: DESTINATION,
  options: new Uint8Array(0),
  payloadLength: 0,
  checksum: 'compute',
};

// Record Route (not copied) with one empty slot, then Router Alert (copied): 12 bytes.
const OPTIONS = fromHex(`
  07 07 04 00 00 00 00   # Record Route: length 7, pointer 4, one slot
  00                     # End of Option List: padding
  94 04 00 00            # Router Alert (RFC 2113), value 0
`);

/** Emits a packet with `fields` over BASE; its checked view. */
function packet(payload: Uint8Array, fields: Partial<Ipv4Repr> = {}): Ipv4Packet {
  const repr: Ipv4Repr = { ...BASE, ...fields, payloadLength: payload.length };
  const bytes = new Uint8Array(ipv4HeaderLength(repr) + payload.length);
  bytes.set(payload, emitIpv4(repr, bytes));
  const checked = Ipv4Packet.checked(bytes);
  assert.ok(checked.ok);
  return checked.value;
}

/** The fragment of `payload` in [offset, end), MF set unless it reaches the end. */
function piece(
  payload: Uint8Array,
  offset: number,
  end: number,
  fields: Partial<Ipv4Repr> = {},
): Ipv4Packet {
  return packet(payload.subarray(offset, end), {
    ...fields,
    fragmentOffset: offset,
    moreFragments: end < payload.length,
  });
}

/** The unfragmented datagram the fragments of `payload` should reassemble into. */
function whole(payload: Uint8Array, fields: Partial<Ipv4Repr> = {}): Uint8Array {
  return packet(payload, { ...fields, fragmentOffset: 0, moreFragments: false }).bytes;
}

function counting(limits: Partial<ReassemblyLimits> = {}): {
  reassembler: Ipv4Reassembler;
  drops: ReassemblyDropReason[];
} {
  const drops: ReassemblyDropReason[] = [];
  return { reassembler: new Ipv4Reassembler((reason) => drops.push(reason), limits), drops };
}

function sequence(length: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => i & 0xff);
}

function assertWholeDatagram(datagram: Uint8Array | undefined, expected: Uint8Array): void {
  assert.ok(datagram !== undefined, 'the datagram completes');
  assert.deepEqual(datagram, expected);
  const checked = Ipv4Packet.checked(datagram);
  assert.ok(checked.ok);
  assert.ok(checked.value.checksumValid());
  assert.equal(checked.value.isFragment, false);
}

describe('Ipv4Reassembler', () => {
  it('completes a datagram whose fragments arrive in order', () => {
    const payload = sequence(40);
    const { reassembler, drops } = counting();
    assert.equal(reassembler.add(piece(payload, 0, 16), 0), undefined);
    assert.equal(reassembler.add(piece(payload, 16, 32), 1), undefined);
    assert.equal(reassembler.datagramCount, 1);
    assert.equal(reassembler.bufferedBytes, 32);
    assertWholeDatagram(reassembler.add(piece(payload, 32, 40), 2), whole(payload));
    assert.equal(reassembler.datagramCount, 0);
    assert.equal(reassembler.bufferedBytes, 0);
    assert.equal(reassembler.pollAt(), undefined);
    assert.deepEqual(drops, []);
  });

  it('completes a datagram whose fragments arrive in reverse order, keeping copies', () => {
    const payload = sequence(40);
    const { reassembler } = counting();
    for (const [offset, end] of [
      [32, 40],
      [16, 32],
    ] as const) {
      const fragment = piece(payload, offset, end);
      assert.equal(reassembler.add(fragment, 0), undefined);
      fragment.bytes.fill(0xee); // borrowed: the receive buffer is reused
    }
    assertWholeDatagram(reassembler.add(piece(payload, 0, 16), 0), whole(payload));
  });

  it('reassembles any split of any payload, fragments in any order', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 9, maxLength: 3000, size: 'max' }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 40 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        fc.record({
          identification: fc.integer({ min: 0, max: 0xffff }),
          protocol: fc.integer({ min: 0, max: 0xff }),
          ttl: fc.integer({ min: 1, max: 0xff }),
          dscp: fc.integer({ min: 0, max: 0x3f }),
          dontFragment: fc.boolean(),
          options: fc.constantFrom(new Uint8Array(0), OPTIONS),
        }),
        (payload, cuts, orderKeys, fields) => {
          // Cut points inside the payload, on 8-byte boundaries: at least two fragments.
          const units = Math.ceil(payload.length / 8);
          const points = [
            ...new Set([0, ...cuts.map((cut) => ((cut % (units - 1)) + 1) * 8), payload.length]),
          ].sort((a, b) => a - b);
          const pieces = points
            .slice(1)
            .map((end, i) =>
              piece(
                payload,
                points[i]!,
                end,
                i === 0 ? fields : { ...fields, options: new Uint8Array(0) },
              ),
            );
          const { reassembler, drops } = counting();
          const order = shuffled(pieces, orderKeys);
          order.slice(0, -1).forEach((fragment) => {
            assert.equal(reassembler.add(fragment, 0), undefined);
          });
          assertWholeDatagram(reassembler.add(order.at(-1)!, 0), whole(payload, fields));
          assert.deepEqual(drops, []);
          assert.equal(reassembler.bufferedBytes, 0);
        },
      ),
    );
  });

  it("keeps the offset-0 fragment's header, options included, whatever order", () => {
    const payload = sequence(24);
    const { reassembler } = counting();
    reassembler.add(piece(payload, 8, 24, { ttl: 9 }), 0);
    const datagram = reassembler.add(piece(payload, 0, 8, { options: OPTIONS }), 0);
    assertWholeDatagram(datagram, whole(payload, { options: OPTIONS }));
    assert.deepEqual(Ipv4Packet.unchecked(datagram!).options, OPTIONS);
  });

  it('keeps datagrams apart by source, destination, protocol and identification', () => {
    const payload = sequence(16);
    const { reassembler } = counting();
    const others: Partial<Ipv4Repr>[] = [
      { source: SOURCE + 1 },
      { destination: DESTINATION + 1 },
      { protocol: 6 },
      { identification: 1 },
    ];
    for (const fields of others)
      assert.equal(reassembler.add(piece(payload, 0, 8, fields), 0), undefined);
    assert.equal(reassembler.add(piece(payload, 8, 16), 0), undefined);
    assert.equal(reassembler.datagramCount, 5);
    assertWholeDatagram(
      reassembler.add(piece(payload, 8, 16, { protocol: 6 }), 0),
      whole(payload, { protocol: 6 }),
    );
  });

  it('ignores and counts exact duplicates', () => {
    const payload = sequence(24);
    const { reassembler, drops } = counting();
    reassembler.add(piece(payload, 0, 8), 0);
    reassembler.add(piece(payload, 16, 24), 0);
    assert.equal(reassembler.add(piece(payload, 0, 8), 0), undefined);
    assert.equal(reassembler.add(piece(payload, 16, 24), 0), undefined);
    assert.deepEqual(drops, ['fragment-duplicate', 'fragment-duplicate']);
    assert.equal(reassembler.bufferedBytes, 16);
    assertWholeDatagram(reassembler.add(piece(payload, 8, 16), 0), whole(payload));
    assert.equal(drops.length, 2);
  });

  it('discards the datagram when a fragment repeats an offset and length with other bytes', () => {
    const payload = sequence(24);
    const { reassembler, drops } = counting();
    reassembler.add(piece(payload, 0, 8), 0);
    reassembler.add(piece(payload, 8, 16), 0);
    assert.equal(reassembler.add(packet(new Uint8Array(8), { moreFragments: true }), 0), undefined);
    assert.deepEqual(drops, ['fragment-overlap']);
    assert.equal(reassembler.datagramCount, 0);
  });

  for (const [offset, end] of [
    [8, 24],
    [24, 40],
    [0, 40],
    [16, 24],
    [24, 32],
    [8, 32],
    [16, 40],
  ] as const) {
    it(`discards the datagram on a partial overlap of [16, 32) by [${offset}, ${end})`, () => {
      const payload = sequence(48);
      const { reassembler, drops } = counting();
      reassembler.add(piece(payload, 40, 48), 0);
      reassembler.add(piece(payload, 16, 32), 0);
      assert.equal(reassembler.add(piece(payload, offset, end), 0), undefined);
      assert.deepEqual(drops, ['fragment-overlap']);
      assert.equal(reassembler.datagramCount, 0);
      assert.equal(reassembler.bufferedBytes, 0);
      // What follows for that identification starts afresh; a new identification completes.
      assert.equal(reassembler.add(piece(payload, 16, 32), 0), undefined);
      assert.equal(reassembler.bufferedBytes, 16);
      const resent = { identification: 0x1235 };
      for (const [from, to] of [
        [0, 16],
        [16, 40],
      ] as const) {
        assert.equal(reassembler.add(piece(payload, from, to, resent), 0), undefined);
      }
      assertWholeDatagram(
        reassembler.add(piece(payload, 40, 48, resent), 0),
        whole(payload, resent),
      );
      assert.deepEqual(drops, ['fragment-overlap']);
    });
  }

  it('drops fragments with a bad length, keeping the datagram', () => {
    const { reassembler, drops } = counting();
    reassembler.add(packet(sequence(8), { moreFragments: true }), 0);
    const bad = [
      packet(sequence(12), { moreFragments: true, fragmentOffset: 8 }),
      packet(new Uint8Array(0), { moreFragments: true, fragmentOffset: 8 }),
      packet(new Uint8Array(0), { fragmentOffset: 8 }),
    ];
    for (const fragment of bad) assert.equal(reassembler.add(fragment, 0), undefined);
    assert.deepEqual(drops, ['fragment-bad-length', 'fragment-bad-length', 'fragment-bad-length']);
    assert.equal(reassembler.datagramCount, 1);
    assert.equal(reassembler.bufferedBytes, 8);
  });

  it('drops fragments that would make the datagram longer than 65535 bytes', () => {
    const { reassembler, drops } = counting();
    reassembler.add(packet(sequence(8), { fragmentOffset: 65528 }), 0);
    reassembler.add(packet(sequence(16), { fragmentOffset: 65512, moreFragments: true }), 0);
    assert.deepEqual(drops, ['fragment-too-large', 'fragment-too-large']);
    assert.equal(reassembler.datagramCount, 0);
  });

  it('bounds the payload by the header of the offset-0 fragment', () => {
    const payload = sequence(65512);
    const { reassembler, drops } = counting();
    // A later fragment's own header, here 32 bytes, does not count: only the offset-0 one will.
    reassembler.add(piece(payload, 65504, 65512, { options: OPTIONS }), 0);
    assert.deepEqual(drops, []);
    // 24 + 65512 bytes would not fit in 65535: this offset-0 fragment is refused.
    const withOptions = piece(payload, 0, 65504, { options: fromHex('94 04 00 00') });
    assert.equal(reassembler.add(withOptions, 0), undefined);
    assert.deepEqual(drops, ['fragment-too-large']);
    // With a 20-byte header it makes the largest datagram, 65532 bytes.
    const datagram = reassembler.add(piece(payload, 0, 65504), 0);
    assertWholeDatagram(datagram, whole(payload));
    assert.equal(datagram?.length, 65532);
  });

  it('refuses data past the end once the offset-0 header is known', () => {
    const { reassembler, drops } = counting();
    reassembler.add(packet(sequence(8), { options: OPTIONS, moreFragments: true }), 0);
    reassembler.add(packet(sequence(8), { fragmentOffset: 65504, moreFragments: true }), 0);
    assert.deepEqual(drops, ['fragment-too-large']);
    assert.equal(reassembler.bufferedBytes, 8);
  });

  const inconsistent: [string, [number, number, boolean][]][] = [
    [
      'a second last fragment with another end',
      [
        [16, 24, false],
        [24, 32, false],
      ],
    ],
    [
      'data past the known end',
      [
        [16, 24, false],
        [24, 32, true],
      ],
    ],
    [
      'a last fragment ending before data held',
      [
        [16, 32, true],
        [8, 16, false],
      ],
    ],
  ];
  for (const [name, fragments] of inconsistent) {
    it(`discards the datagram on ${name}`, () => {
      const { reassembler, drops } = counting();
      for (const [offset, end, more] of fragments) {
        const fragment = packet(sequence(end - offset), {
          fragmentOffset: offset,
          moreFragments: more,
        });
        assert.equal(reassembler.add(fragment, 0), undefined);
      }
      assert.deepEqual(drops, ['fragment-inconsistent']);
      assert.equal(reassembler.datagramCount, 0);
      assert.equal(reassembler.bufferedBytes, 0);
    });
  }

  it('evicts the oldest datagram to stay within maxDatagrams', () => {
    const payload = sequence(16);
    const { reassembler, drops } = counting({ maxDatagrams: 2 });
    for (const identification of [1, 2, 3]) {
      reassembler.add(piece(payload, 0, 8, { identification }), identification);
    }
    assert.deepEqual(drops, ['reassembly-evicted']);
    assert.equal(reassembler.datagramCount, 2);
    assert.equal(reassembler.pollAt(), 2 + TIMEOUT_MS);
    // Datagram 1 is gone: its last fragment opens a new one, evicting datagram 2.
    assert.equal(reassembler.add(piece(payload, 8, 16, { identification: 1 }), 4), undefined);
    assert.deepEqual(drops, ['reassembly-evicted', 'reassembly-evicted']);
    assertWholeDatagram(
      reassembler.add(piece(payload, 8, 16, { identification: 3 }), 5),
      whole(payload, { identification: 3 }),
    );
  });

  it('evicts the oldest other datagrams to stay within maxBufferedBytes', () => {
    const payload = sequence(64);
    const { reassembler, drops } = counting({ maxBufferedBytes: 64 });
    reassembler.add(piece(payload, 0, 32, { identification: 1 }), 0);
    reassembler.add(piece(payload, 0, 24, { identification: 2 }), 1);
    reassembler.add(piece(payload, 0, 16, { identification: 3 }), 2);
    assert.deepEqual(drops, ['reassembly-evicted']);
    assert.equal(reassembler.bufferedBytes, 40);
    // Datagram 2 is the oldest, but the fragment is its own: datagram 3 goes.
    reassembler.add(piece(payload, 24, 56, { identification: 2 }), 3);
    assert.deepEqual(drops, ['reassembly-evicted', 'reassembly-evicted']);
    assert.equal(reassembler.bufferedBytes, 56);
    assert.equal(reassembler.datagramCount, 1);
    assertWholeDatagram(
      reassembler.add(piece(payload, 56, 64, { identification: 2 }), 4),
      whole(payload, { identification: 2 }),
    );
  });

  it('discards a datagram that cannot fit in maxBufferedBytes on its own', () => {
    const payload = sequence(80);
    const { reassembler, drops } = counting({ maxBufferedBytes: 64 });
    reassembler.add(piece(payload, 0, 8, { identification: 9 }), 0);
    assert.equal(reassembler.add(piece(payload, 0, 72), 0), undefined);
    assert.deepEqual(drops, ['reassembly-over-limit']);
    reassembler.add(piece(payload, 0, 48), 0);
    assert.equal(reassembler.add(piece(payload, 48, 72), 0), undefined);
    assert.deepEqual(drops, ['reassembly-over-limit', 'reassembly-over-limit']);
    assert.equal(reassembler.datagramCount, 1, 'the other datagram stays');
    assert.equal(reassembler.bufferedBytes, 8);
  });

  it('times out a datagram, quoting its offset-0 fragment for ICMP', () => {
    const payload = sequence(32);
    const { reassembler, drops } = counting();
    const first = piece(payload, 0, 16);
    reassembler.add(first, 1000);
    reassembler.add(piece(payload, 24, 32), 5000);
    assert.equal(reassembler.pollAt(), 1000 + TIMEOUT_MS, 'later fragments do not extend it');
    assert.deepEqual(reassembler.poll(TIMEOUT_MS + 999), []);
    assert.deepEqual(drops, []);
    const expired = reassembler.poll(TIMEOUT_MS + 1000);
    assert.deepEqual(expired, [
      {
        source: SOURCE,
        destination: DESTINATION,
        firstFragment: concatBytes([first.header, payload.subarray(0, 8)]),
      },
    ]);
    assert.deepEqual(drops, ['reassembly-timeout']);
    assert.equal(reassembler.datagramCount, 0);
    assert.equal(reassembler.bufferedBytes, 0);
    assert.equal(reassembler.pollAt(), undefined);
    assert.deepEqual(reassembler.poll(TIMEOUT_MS * 3), []);
    assert.deepEqual(drops, ['reassembly-timeout']);
  });

  it('times out a datagram whose offset-0 fragment never came', () => {
    const { reassembler, drops } = counting({ timeoutMs: 500 });
    reassembler.add(packet(sequence(8), { fragmentOffset: 8 }), 0);
    assert.deepEqual(reassembler.poll(500), [
      { source: SOURCE, destination: DESTINATION, firstFragment: undefined },
    ]);
    assert.deepEqual(drops, ['reassembly-timeout']);
  });

  it('reports the earliest deadline in pollAt', () => {
    const payload = sequence(16);
    const { reassembler } = counting();
    assert.equal(reassembler.pollAt(), undefined);
    reassembler.add(piece(payload, 0, 8, { identification: 1 }), 0);
    reassembler.add(piece(payload, 0, 8, { identification: 2 }), 10_000);
    assert.equal(reassembler.pollAt(), TIMEOUT_MS);
    assert.equal(reassembler.poll(TIMEOUT_MS).length, 1);
    assert.equal(reassembler.pollAt(), 10_000 + TIMEOUT_MS);
    reassembler.add(piece(payload, 8, 16, { identification: 2 }), 20_000);
    assert.equal(reassembler.pollAt(), undefined);
  });

  it('never completes a datagram past its deadline: the fragment starts a new one', () => {
    const payload = sequence(16);
    const { reassembler, drops } = counting();
    reassembler.add(piece(payload, 0, 8), 0);
    assert.equal(reassembler.add(piece(payload, 8, 16), TIMEOUT_MS), undefined);
    assert.deepEqual(drops, ['reassembly-timeout']);
    assert.equal(reassembler.datagramCount, 1);
    assert.equal(reassembler.bufferedBytes, 8);
    assert.equal(reassembler.pollAt(), TIMEOUT_MS, 'the expired datagram awaits poll');
    const [expired, ...rest] = reassembler.poll(TIMEOUT_MS);
    assert.ok(expired?.firstFragment !== undefined);
    assert.deepEqual(rest, []);
    assert.equal(reassembler.pollAt(), 2 * TIMEOUT_MS);
    assert.deepEqual(drops, ['reassembly-timeout']);
  });

  it('refuses limits that are not positive integers', () => {
    const refused: Partial<ReassemblyLimits>[] = [
      { maxDatagrams: 0 },
      { maxBufferedBytes: 1.5 },
      { timeoutMs: -1 },
    ];
    for (const limits of refused) {
      assert.throws(() => new Ipv4Reassembler(() => {}, limits), RangeError);
    }
  });

  it('never throws on arbitrary fragments and stays within its limits', () => {
    // Fragments of a few datagrams, mostly 8-byte multiples cut from one byte pattern, so that
    // they complete, repeat and overlap as well as break the rules.
    const emitted = fc
      .record({
        identification: fc.integer({ min: 0, max: 2 }),
        protocol: fc.constantFrom(6, 17),
        fragmentOffset: fc
          .oneof(
            { arbitrary: fc.integer({ min: 0, max: 8 }), weight: 4 },
            { arbitrary: fc.integer({ min: 0, max: 0x1fff }), weight: 1 },
          )
          .map((units) => units * 8),
        moreFragments: fc.boolean(),
        options: fc.constantFrom(new Uint8Array(0), OPTIONS, fromHex('94 04 00 00')),
        // A length, for bytes of the pattern, or random bytes.
        payload: fc.oneof(
          { arbitrary: fc.integer({ min: 1, max: 6 }).map((units) => units * 8), weight: 4 },
          { arbitrary: fc.uint8Array({ minLength: 0, maxLength: 96, size: 'max' }), weight: 1 },
        ),
      })
      .map(({ payload, ...fields }) => {
        const bytes =
          typeof payload === 'number'
            ? Uint8Array.from({ length: payload }, (_, i) => fields.fragmentOffset + i)
            : payload;
        return packet(bytes, fields).bytes;
      });
    // Any header that passes `checked`: random flags, lengths and options bytes.
    const raw = fc.uint8Array({ minLength: 20, maxLength: 160, size: 'max' }).map((bytes) => {
      bytes[0] = 0x40 | (5 + (bytes[0]! % 11));
      bytes[2] = bytes.length >>> 8;
      bytes[3] = bytes.length & 0xff;
      return bytes;
    });
    fc.assert(
      fc.property(
        fc.record({
          maxDatagrams: fc.integer({ min: 1, max: 4 }),
          maxBufferedBytes: fc.integer({ min: 1, max: 256 }),
          timeoutMs: fc.integer({ min: 1, max: 30_000 }),
        }),
        fc.array(
          fc.tuple(
            fc.oneof({ arbitrary: emitted, weight: 4 }, { arbitrary: raw, weight: 1 }),
            fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 10_000 })),
          ),
          { maxLength: 60, size: 'max' },
        ),
        (limits, arrivals) => {
          const { reassembler } = counting(limits);
          let nowMs = 0;
          for (const [bytes, elapsedMs] of arrivals) {
            nowMs += elapsedMs;
            const checked = Ipv4Packet.checked(bytes);
            if (!checked.ok || !checked.value.isFragment) continue;
            const datagram = reassembler.add(checked.value, nowMs);
            if (datagram !== undefined) {
              const parsed = Ipv4Packet.checked(datagram);
              assert.ok(parsed.ok && parsed.value.checksumValid() && !parsed.value.isFragment);
            }
            assert.ok(reassembler.bufferedBytes <= limits.maxBufferedBytes);
            assert.ok(reassembler.datagramCount <= limits.maxDatagrams);
            const pollAt = reassembler.pollAt();
            if (pollAt !== undefined && pollAt <= nowMs) reassembler.poll(nowMs);
          }
          reassembler.poll(nowMs + limits.timeoutMs);
          assert.equal(reassembler.datagramCount, 0);
          assert.equal(reassembler.bufferedBytes, 0);
          assert.equal(reassembler.pollAt(), undefined);
        },
      ),
    );
  });
});
