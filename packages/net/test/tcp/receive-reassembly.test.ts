import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { concatBytes } from '@oasis/core';
import fc from 'fast-check';
import { ReceiveReassembly } from '../../src/tcp/receive-reassembly.ts';
import { seqAdd, seqDiff, seqLe, seqLt } from '../../src/tcp/sequence.ts';
import { shuffled } from '../shuffle.ts';

/** The byte at sequence number `seq` of the test stream; differs from its neighbours. */
function streamByte(seq: number): number {
  return (seq * 7 + (seq >>> 8)) & 0xff;
}

/** The stream's bytes of [seq, seq + length), in a larger "frame" (borrowed, like a receive buffer). */
function segment(seq: number, length: number, fill = streamByte): Uint8Array {
  const frame = new Uint8Array(length + 8).fill(0xee);
  for (let i = 0; i < length; i++) frame[4 + i] = fill(seqAdd(seq, i));
  return frame.subarray(4, 4 + length);
}

function expected(seq: number, length: number): Uint8Array {
  return segment(seq, length).slice();
}

/** Drains at `rcvNxt`: the new rcvNxt and the bytes delivered, concatenated, with the piece count. */
function drained(
  reassembly: ReceiveReassembly,
  rcvNxt: number,
): { next: number; bytes: Uint8Array; pieces: number } {
  const pieces: Uint8Array[] = [];
  const next = reassembly.drain(rcvNxt, (piece) => pieces.push(piece));
  return { next, bytes: concatBytes(pieces), pieces: pieces.length };
}

/** The SACK blocks reported, as [left, right] pairs. */
function sack(reassembly: ReceiveReassembly, max: number, rcvNxt: number): number[][] {
  const edges = new Uint32Array(2 * max);
  const count = reassembly.sackBlocks(edges, max, rcvNxt);
  return Array.from({ length: count }, (_, i) => [edges[2 * i]!, edges[2 * i + 1]!]);
}

describe('ReceiveReassembly', () => {
  it('holds data after a hole and delivers it once the hole is filled', () => {
    const r = new ReceiveReassembly(10_000);
    assert.equal(r.isEmpty, true);
    assert.equal(r.insert(1100, segment(1100, 100), 1000), true);
    assert.equal(r.insert(1200, segment(1200, 100), 1000), true);
    assert.equal(r.heldBytes, 200);
    assert.equal(r.isEmpty, false);
    assert.deepEqual(sack(r, 4, 1000), [[1100, 1300]]);
    // Still a hole at 1000: nothing to deliver.
    const none = drained(r, 1000);
    assert.equal(none.next, 1000);
    assert.equal(none.pieces, 0);
    // The caller took [1000, 1100) in order.
    const out = drained(r, 1100);
    assert.equal(out.next, 1300);
    assert.equal(out.pieces, 2);
    assert.deepEqual(out.bytes, expected(1100, 200));
    assert.equal(r.heldBytes, 0);
    assert.equal(r.isEmpty, true);
    assert.deepEqual(sack(r, 4, 1300), []);
  });

  it('keeps copies: the frames it was given can be reused', () => {
    const r = new ReceiveReassembly(10_000);
    const data = segment(2000, 50);
    assert.equal(r.insert(2000, data, 1000), true);
    data.fill(0);
    const out = drained(r, 2000);
    assert.equal(out.next, 2050);
    assert.deepEqual(out.bytes, expected(2000, 50));
  });

  it('trims the start of a piece that begins before rcvNxt when draining', () => {
    const r = new ReceiveReassembly(10_000);
    r.insert(1100, segment(1100, 100), 1000);
    r.insert(1200, segment(1200, 100), 1000);
    // In-order data up to 1150 arrived: the first piece is cut, the second whole.
    const out = drained(r, 1150);
    assert.equal(out.next, 1300);
    assert.equal(out.pieces, 2);
    assert.deepEqual(out.bytes, expected(1150, 150));
    // Past a whole piece: it is skipped.
    r.insert(2000, segment(2000, 100), 1300);
    r.insert(2100, segment(2100, 100), 1300);
    const later = drained(r, 2120);
    assert.equal(later.next, 2200);
    assert.equal(later.pieces, 1);
    assert.deepEqual(later.bytes, expected(2120, 80));
  });

  it('discards blocks entirely at or before rcvNxt when draining', () => {
    const r = new ReceiveReassembly(10_000);
    r.insert(1100, segment(1100, 100), 1000);
    r.insert(1300, segment(1300, 100), 1000);
    r.insert(1500, segment(1500, 100), 1000);
    const out = drained(r, 1400);
    assert.equal(out.next, 1400);
    assert.equal(out.pieces, 0);
    assert.equal(r.heldBytes, 100);
    assert.deepEqual(sack(r, 4, 1400), [[1500, 1600]]);
  });

  describe('overlaps with data held [1200, 1300)', () => {
    // Every inserted segment carries other bytes than the stream where it overlaps data held,
    // so the drained result shows which bytes were kept: those held first.
    const other = (seq: number): number => streamByte(seq) ^ 0x5a;

    function withHeld(): ReceiveReassembly {
      const r = new ReceiveReassembly(10_000);
      assert.equal(r.insert(1200, segment(1200, 100), 1000), true);
      return r;
    }

    /** [seq, length) of the other bytes where they are not held: the stream's where held. */
    function check(
      r: ReceiveReassembly,
      heldBytes: number,
      blocks: number[][],
      from: number,
      parts: [number, number, boolean][],
    ): void {
      assert.equal(r.heldBytes, heldBytes);
      assert.deepEqual(sack(r, 4, 1000), blocks);
      const out = drained(r, from);
      const want = concatBytes(
        parts.map(([seq, length, held]) =>
          held ? expected(seq, length) : segment(seq, length, other).slice(),
        ),
      );
      assert.deepEqual(out.bytes, want);
    }

    it('overlapping its start: keeps only the part before', () => {
      const r = withHeld();
      assert.equal(r.insert(1150, segment(1150, 100, other), 1000), true);
      check(r, 150, [[1150, 1300]], 1150, [
        [1150, 50, false],
        [1200, 100, true],
      ]);
    });

    it('overlapping its end: keeps only the part after', () => {
      const r = withHeld();
      assert.equal(r.insert(1250, segment(1250, 100, other), 1000), true);
      check(r, 150, [[1200, 1350]], 1200, [
        [1200, 100, true],
        [1300, 50, false],
      ]);
    });

    it('containing it: keeps the parts on both sides', () => {
      const r = withHeld();
      assert.equal(r.insert(1100, segment(1100, 300, other), 1000), true);
      check(r, 300, [[1100, 1400]], 1100, [
        [1100, 100, false],
        [1200, 100, true],
        [1300, 100, false],
      ]);
    });

    it('contained in it: stores nothing', () => {
      const r = withHeld();
      assert.equal(r.insert(1220, segment(1220, 60, other), 1000), false);
      check(r, 100, [[1200, 1300]], 1200, [[1200, 100, true]]);
    });

    it('an exact duplicate: stores nothing', () => {
      const r = withHeld();
      assert.equal(r.insert(1200, segment(1200, 100, other), 1000), false);
      check(r, 100, [[1200, 1300]], 1200, [[1200, 100, true]]);
    });

    it('touching it on either side: joins one block', () => {
      const r = withHeld();
      assert.equal(r.insert(1300, segment(1300, 50, other), 1000), true);
      assert.equal(r.insert(1150, segment(1150, 50, other), 1000), true);
      check(r, 200, [[1150, 1350]], 1150, [
        [1150, 50, false],
        [1200, 100, true],
        [1300, 50, false],
      ]);
    });

    it('spanning several blocks: fills every gap and joins them', () => {
      const r = withHeld();
      r.insert(1400, segment(1400, 100), 1000);
      r.insert(1600, segment(1600, 50), 1000);
      assert.equal(r.heldBytes, 250);
      assert.equal(r.insert(1250, segment(1250, 450, other), 1000), true);
      check(r, 500, [[1200, 1700]], 1200, [
        [1200, 100, true],
        [1300, 100, false],
        [1400, 100, true],
        [1500, 100, false],
        [1600, 50, true],
        [1650, 50, false],
      ]);
    });

    it('between blocks without touching them: a block of its own', () => {
      const r = withHeld();
      r.insert(1500, segment(1500, 100), 1000);
      assert.equal(r.insert(1350, segment(1350, 50, other), 1000), true);
      assert.equal(r.heldBytes, 250);
      assert.deepEqual(sack(r, 4, 1000), [
        [1350, 1400],
        [1500, 1600],
        [1200, 1300],
      ]);
    });
  });

  it('trims data before rcvNxt and ignores data entirely before it', () => {
    const r = new ReceiveReassembly(10_000);
    assert.equal(r.insert(900, segment(900, 100), 1000), false);
    assert.equal(r.insert(800, segment(800, 150), 1000), false);
    assert.equal(r.insert(1000, new Uint8Array(0), 1000), false);
    assert.equal(r.isEmpty, true);
    assert.equal(r.insert(950, segment(950, 100), 1000), true);
    assert.equal(r.heldBytes, 50);
    const out = drained(r, 1000);
    assert.equal(out.next, 1050);
    assert.deepEqual(out.bytes, expected(1000, 50));
  });

  it('drops blocks rcvNxt has passed when a later segment is inserted', () => {
    const r = new ReceiveReassembly(10_000);
    r.insert(1200, segment(1200, 100), 1000);
    r.insert(1400, segment(1400, 100), 1000);
    // The caller took [1000, 1350) in order without draining.
    assert.equal(r.insert(1600, segment(1600, 100), 1350), true);
    assert.equal(r.heldBytes, 200);
    assert.deepEqual(sack(r, 4, 1350), [
      [1600, 1700],
      [1400, 1500],
    ]);
  });

  it('holds at most limitBytes, storing the lowest new bytes first', () => {
    const r = new ReceiveReassembly(100);
    assert.equal(r.insert(1100, segment(1100, 60), 1000), true);
    // Only 40 of these 60 bytes fit.
    assert.equal(r.insert(1200, segment(1200, 60), 1000), true);
    assert.equal(r.heldBytes, 100);
    assert.equal(r.insert(1300, segment(1300, 10), 1000), false);
    assert.equal(r.insert(1160, segment(1160, 40), 1000), false);
    assert.equal(r.heldBytes, 100);
    assert.deepEqual(sack(r, 4, 1000), [
      [1200, 1240],
      [1100, 1160],
    ]);
    const out = drained(r, 1100);
    assert.equal(out.next, 1160);
    assert.deepEqual(out.bytes, expected(1100, 60));
    assert.equal(r.heldBytes, 40);
    // Room again: a segment spanning a gap fills it and is cut at the limit.
    assert.equal(r.insert(1170, segment(1170, 200), 1160), true);
    assert.equal(r.heldBytes, 100);
    assert.deepEqual(sack(r, 4, 1160), [[1170, 1270]]);
  });

  it('cuts a segment spanning several gaps at the limit, inside a gap', () => {
    const r = new ReceiveReassembly(120);
    r.insert(1100, segment(1100, 50), 1000);
    r.insert(1200, segment(1200, 50), 1000);
    assert.equal(r.insert(1140, segment(1140, 160), 1000), true);
    assert.equal(r.heldBytes, 120);
    // The gap [1150, 1200) took 20 bytes; nothing joined the block at 1200.
    assert.deepEqual(sack(r, 4, 1000), [
      [1100, 1170],
      [1200, 1250],
    ]);
    const out = drained(r, 1100);
    assert.equal(out.next, 1170);
    assert.deepEqual(out.bytes, expected(1100, 70));
  });

  it('holds nothing with a zero limit', () => {
    const r = new ReceiveReassembly(0);
    assert.equal(r.insert(1100, segment(1100, 10), 1000), false);
    assert.equal(r.isEmpty, true);
    assert.throws(() => new ReceiveReassembly(-1), RangeError);
    assert.throws(() => new ReceiveReassembly(1.5), RangeError);
  });

  it('clears', () => {
    const r = new ReceiveReassembly(1000);
    r.insert(1100, segment(1100, 10), 1000);
    r.clear();
    assert.equal(r.isEmpty, true);
    assert.equal(r.heldBytes, 0);
    assert.deepEqual(sack(r, 4, 1000), []);
    assert.equal(drained(r, 1110).next, 1110);
  });

  describe('SACK blocks (RFC 2018 §4)', () => {
    // As RFC 2018 §6's third case: eight 500-byte segments from 5000, the 2nd, 4th, 6th and 8th
    // lost; the receiver has acknowledged 5500.
    it('reports the block of the latest segment first, then the others by recency', () => {
      const r = new ReceiveReassembly(100_000);
      const rcvNxt = 5500;
      r.insert(6000, segment(6000, 500), rcvNxt);
      assert.deepEqual(sack(r, 3, rcvNxt), [[6000, 6500]]);
      r.insert(7000, segment(7000, 500), rcvNxt);
      assert.deepEqual(sack(r, 3, rcvNxt), [
        [7000, 7500],
        [6000, 6500],
      ]);
      r.insert(8000, segment(8000, 500), rcvNxt);
      assert.deepEqual(sack(r, 3, rcvNxt), [
        [8000, 8500],
        [7000, 7500],
        [6000, 6500],
      ]);
      // The 4th segment is retransmitted: it joins the blocks around it, which comes first.
      r.insert(6500, segment(6500, 500), rcvNxt);
      assert.deepEqual(sack(r, 3, rcvNxt), [
        [6000, 7500],
        [8000, 8500],
      ]);
    });

    it('repeats the most recently reported blocks when there are more than fit', () => {
      const r = new ReceiveReassembly(100_000);
      const rcvNxt = 1000;
      for (const seq of [2000, 4000, 3000, 5000]) r.insert(seq, segment(seq, 100), rcvNxt);
      assert.deepEqual(sack(r, 3, rcvNxt), [
        [5000, 5100],
        [3000, 3100],
        [4000, 4100],
      ]);
      // A segment extending the oldest block makes it the first again.
      r.insert(2100, segment(2100, 100), rcvNxt);
      assert.deepEqual(sack(r, 3, rcvNxt), [
        [2000, 2200],
        [5000, 5100],
        [3000, 3100],
      ]);
      // So does a duplicate of data held: the block holding it is the one to report.
      assert.equal(r.insert(4000, segment(4000, 50), rcvNxt), false);
      assert.deepEqual(sack(r, 4, rcvNxt), [
        [4000, 4100],
        [2000, 2200],
        [5000, 5100],
        [3000, 3100],
      ]);
      assert.deepEqual(sack(r, 1, rcvNxt), [[4000, 4100]]);
      assert.deepEqual(sack(r, 0, rcvNxt), []);
    });

    it('reports only blocks above rcvNxt', () => {
      const r = new ReceiveReassembly(100_000);
      r.insert(2000, segment(2000, 100), 1000);
      r.insert(3000, segment(3000, 100), 1000);
      // rcvNxt reached 2050 and the caller has not drained yet.
      assert.deepEqual(sack(r, 4, 2050), [[3000, 3100]]);
    });

    it('refuses an edges array too small for max blocks', () => {
      const r = new ReceiveReassembly(100);
      assert.throws(() => r.sackBlocks(new Uint32Array(5), 3, 0), RangeError);
      assert.throws(() => r.sackBlocks(new Uint32Array(8), -1, 0), RangeError);
    });
  });

  it('works across the 2^32 wrap', () => {
    const r = new ReceiveReassembly(10_000);
    const rcvNxt = 0xffff_ff00;
    assert.equal(r.insert(0xffff_ff80, segment(0xffff_ff80, 0x100), rcvNxt), true);
    assert.equal(r.insert(0x80, segment(0x80, 0x80), rcvNxt), true);
    assert.equal(r.insert(0x200, segment(0x200, 0x10), rcvNxt), true);
    assert.deepEqual(sack(r, 4, rcvNxt), [
      [0x200, 0x210],
      [0xffff_ff80, 0x100],
    ]);
    // A duplicate inside the block across the wrap makes it the most recent.
    assert.equal(r.insert(0xffff_ff90, segment(0xffff_ff90, 0x10), rcvNxt), false);
    assert.equal(r.heldBytes, 0x190);
    assert.deepEqual(sack(r, 4, rcvNxt), [
      [0xffff_ff80, 0x100],
      [0x200, 0x210],
    ]);
    // A segment before rcvNxt across the wrap is trimmed to rcvNxt.
    const r2 = new ReceiveReassembly(10_000);
    assert.equal(r2.insert(0xffff_fff0, segment(0xffff_fff0, 0x20), 0x8), true);
    assert.equal(r2.heldBytes, 0x8);
    // The caller took [0xffffff00, 0xffffff80) in order.
    const out = drained(r, 0xffff_ff80);
    assert.equal(out.next, 0x100);
    assert.deepEqual(out.bytes, expected(0xffff_ff80, 0x180));
    assert.deepEqual(sack(r, 4, 0x100), [[0x200, 0x210]]);
  });

  it('reassembles any stream from segments in any order, with duplicates and overlaps', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 3000 }),
        fc.oneof(
          fc.integer({ min: 0, max: 0xffff_ffff }),
          fc.integer({ min: 0xffff_f000, max: 0xffff_ffff }),
        ),
        fc.array(fc.nat(), { maxLength: 40 }),
        fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 30 }),
        fc.array(fc.nat(), { maxLength: 80 }),
        fc.oneof(fc.constant(Number.POSITIVE_INFINITY), fc.integer({ min: 0, max: 3000 })),
        (stream, isn, cuts, extras, orderKeys, limitChoice) => {
          const length = stream.length;
          const limit = Math.min(limitChoice, length);
          // A tiling of the stream, plus segments anywhere in it (duplicates and overlaps).
          const points = [...new Set([0, ...cuts.map((cut) => cut % length), length])].sort(
            (a, b) => a - b,
          );
          const tiling = points.slice(1).map((end, i): [number, number] => [points[i]!, end]);
          const others = extras.map(([a, b]): [number, number] => {
            const from = a % length;
            return [from, from + 1 + (b % (length - from))];
          });
          const segments = shuffled([...tiling, ...others, ...tiling.slice(0, 1)], orderKeys);
          const r = new ReceiveReassembly(limit);
          const out: Uint8Array[] = [];
          // The reference: which stream offsets are held, and the offset of rcvNxt.
          const held = new Uint8Array(length);
          let next = 0;
          const receive = (from: number, to: number): void => {
            const seq = seqAdd(isn, from);
            const frame = new Uint8Array(to - from + 2);
            frame.set(stream.subarray(from, to), 1);
            const data = frame.subarray(1, 1 + to - from);
            const rcvNxt = seqAdd(isn, next);
            if (seqLe(seq, rcvNxt) && seqLt(rcvNxt, seqAdd(seq, data.length))) {
              // In order: the caller takes it, then drains what now follows.
              out.push(data.slice(seqDiff(rcvNxt, seq)));
              next = to;
              while (next < length && held[next] === 1) next++;
              const drainedTo = r.drain(seqAdd(isn, to), (piece) => out.push(piece));
              assert.equal(drainedTo, seqAdd(isn, next));
              for (let i = 0; i < next; i++) held[i] = 0;
            } else if (from > next) {
              let room = limit - held.reduce((sum, flag) => sum + flag, 0);
              let fresh = false;
              for (let i = from; i < to && room > 0; i++) {
                if (held[i] === 0) {
                  held[i] = 1;
                  room--;
                  fresh = true;
                }
              }
              assert.equal(r.insert(seq, data, rcvNxt), fresh);
              if (held[from] === 1) {
                // RFC 2018 §4: the first block holds this segment's first byte.
                const edges = new Uint32Array(2);
                assert.equal(r.sackBlocks(edges, 1, rcvNxt), 1);
                assert.ok(seqDiff(edges[0]!, isn) <= from && from < seqDiff(edges[1]!, isn));
              }
            } else {
              assert.equal(r.insert(seq, data, rcvNxt), false);
            }
            frame.fill(0xee); // the receive buffer is reused
            // Held bytes and SACK blocks match the reference.
            const runs: number[][] = [];
            for (let i = next; i < length; i++) {
              if (held[i] === 1 && (i === next || held[i - 1] === 0)) runs.push([i, i + 1]);
              else if (held[i] === 1) runs[runs.length - 1]![1] = i + 1;
            }
            assert.equal(
              r.heldBytes,
              held.reduce((sum, flag) => sum + flag, 0),
            );
            assert.equal(r.isEmpty, runs.length === 0);
            const edges = new Uint32Array(2 * (runs.length + 1));
            const count = r.sackBlocks(edges, runs.length + 1, seqAdd(isn, next));
            const reported = Array.from({ length: count }, (_, i) => [
              seqDiff(edges[2 * i]!, isn),
              seqDiff(edges[2 * i + 1]!, isn),
            ]).sort((a, b) => a[0]! - b[0]!);
            assert.deepEqual(reported, runs);
          };
          for (const [from, to] of segments) receive(from, to);
          // What a limit dropped comes again: the sender retransmits in order.
          for (const [from, to] of tiling) receive(from, to);
          assert.equal(next, length);
          assert.deepEqual(concatBytes(out), stream);
          assert.equal(r.isEmpty, true);
          assert.equal(r.heldBytes, 0);
        },
      ),
      { numRuns: 300 },
    );
  });
});
