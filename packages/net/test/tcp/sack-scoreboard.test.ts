import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { SackScoreboard } from '../../src/tcp/sack-scoreboard.ts';
import { seqAdd, seqDiff } from '../../src/tcp/sequence.ts';

const MSS = 1000;

/** A scoreboard with `blocks` SACKed, the window being [sndUna, sndMax). */
function board(blocks: number[][], sndUna = 1000, sndMax = 11_000, mss = MSS): SackScoreboard {
  const scoreboard = new SackScoreboard(mss);
  scoreboard.update(blocks.flat(), blocks.length, sndUna, sndMax);
  return scoreboard;
}

describe('SackScoreboard', () => {
  describe('update', () => {
    it('adds blocks, counting only the octets newly SACKed, and merges ranges', () => {
      const s = new SackScoreboard(MSS);
      assert.equal(s.isEmpty, true);
      assert.equal(s.highestSacked, undefined);
      assert.equal(s.update([3000, 4000], 1, 1000, 11_000), 1000);
      assert.equal(s.sackedBytes, 1000);
      assert.equal(s.highestSacked, 4000);
      assert.equal(s.isEmpty, false);
      // An ACK repeats the block already known and adds one.
      assert.equal(s.update([5000, 6000, 3000, 4000], 2, 1000, 11_000), 1000);
      assert.equal(s.sackedBytes, 2000);
      assert.equal(s.highestSacked, 6000);
      // The block between them joins the three.
      assert.equal(s.update([4000, 5000], 1, 1000, 11_000), 1000);
      assert.equal(s.sackedBytes, 3000);
      assert.equal(s.isSacked(2999), false);
      assert.equal(s.isSacked(3000), true);
      assert.equal(s.isSacked(4500), true);
      assert.equal(s.isSacked(5999), true);
      assert.equal(s.isSacked(6000), false);
      // Partly overlapping its end.
      assert.equal(s.update([5500, 7000], 1, 1000, 11_000), 1000);
      assert.equal(s.sackedBytes, 4000);
      assert.equal(s.highestSacked, 7000);
    });

    it('merges a block that covers several ranges and the gaps between them', () => {
      const s = board([
        [3000, 4000],
        [5000, 6000],
        [7000, 8000],
        [9000, 9500],
      ]);
      assert.equal(s.sackedBytes, 3500);
      assert.equal(s.update([3500, 7500], 1, 1000, 11_000), 2000);
      assert.equal(s.sackedBytes, 5500);
      assert.equal(s.isSacked(4500), true);
      assert.equal(s.isSacked(6500), true);
      assert.equal(s.isSacked(8500), false);
      assert.equal(s.isSacked(9000), true);
      // One covering everything, extending both ends.
      assert.equal(s.update([2000, 10_000], 1, 1000, 11_000), 8000 - 5500);
      assert.equal(s.sackedBytes, 8000);
      assert.equal(s.isSacked(1999), false);
      assert.equal(s.isSacked(9999), true);
      assert.equal(s.highestSacked, 10_000);
    });

    it('keeps ranges sorted whatever order blocks come in', () => {
      const s = board([
        [9000, 9100],
        [3000, 3100],
        [6000, 6100],
        [1500, 1600],
        [7000, 7100],
      ]);
      assert.equal(s.sackedBytes, 500);
      assert.equal(s.highestSacked, 9100);
      for (const seq of [1500, 3000, 6000, 7000, 9000]) {
        assert.equal(s.isSacked(seq), true, `${seq}`);
        assert.equal(s.isSacked(seq + 100), false, `${seq + 100}`);
        assert.equal(s.isSacked(seq - 1), false, `${seq - 1}`);
      }
    });

    it('ignores D-SACK blocks below the cumulative ACK and blocks outside the window', () => {
      const s = new SackScoreboard(MSS);
      // RFC 2883: a duplicate [4000, 4500) reported below the cumulative ACK of 5000.
      assert.equal(s.update([4000, 4500, 6000, 7000], 2, 5000, 11_000), 1000);
      assert.equal(s.isSacked(4000), false);
      // Straddling or at SND.UNA, past SND.MAX, empty or reversed: ignored.
      assert.equal(s.update([4500, 5500], 1, 5000, 11_000), 0);
      assert.equal(s.update([5000, 5500], 1, 5000, 11_000), 0);
      assert.equal(s.update([10_500, 11_500], 1, 5000, 11_000), 0);
      assert.equal(s.update([8000, 8000], 1, 5000, 11_000), 0);
      assert.equal(s.update([9000, 8000], 1, 5000, 11_000), 0);
      // A D-SACK above the cumulative ACK lies within data SACKed already.
      assert.equal(s.update([6200, 6400, 6000, 7000], 2, 5000, 11_000), 0);
      assert.equal(s.sackedBytes, 1000);
      // A block ending exactly at SND.MAX counts.
      assert.equal(s.update([10_500, 11_000], 1, 5000, 11_000), 500);
      assert.equal(s.highestSacked, 11_000);
      assert.equal(s.sackedBytes, 1500);
    });

    it('reads only `count` blocks and refuses too few edges', () => {
      const s = new SackScoreboard(MSS);
      assert.equal(s.update(new Uint32Array([2000, 3000, 4000, 5000]), 1, 1000, 11_000), 1000);
      assert.equal(s.isSacked(4000), false);
      assert.throws(() => s.update([2000, 3000], 2, 1000, 11_000), RangeError);
      assert.throws(() => new SackScoreboard(0), RangeError);
      assert.throws(() => s.setMss(-5), RangeError);
    });
  });

  it('advance forgets what the cumulative ACK covers', () => {
    const s = board([
      [3000, 4000],
      [5000, 6000],
    ]);
    s.advance(2000);
    assert.equal(s.sackedBytes, 2000);
    s.advance(3500);
    assert.equal(s.sackedBytes, 1500);
    assert.equal(s.isSacked(3499), false);
    assert.equal(s.isSacked(3500), true);
    s.advance(4500);
    assert.equal(s.sackedBytes, 1000);
    assert.equal(s.highestSacked, 6000);
    s.advance(6000);
    assert.equal(s.isEmpty, true);
    assert.equal(s.sackedBytes, 0);
    assert.equal(s.highestSacked, undefined);
  });

  it('clear forgets everything', () => {
    const s = board([[3000, 4000]]);
    s.clear();
    assert.equal(s.isEmpty, true);
    assert.equal(s.sackedBytes, 0);
    assert.equal(s.isSacked(3000), false);
    assert.equal(s.update([3000, 3500], 1, 1000, 11_000), 500);
  });

  describe('isLost (RFC 6675 §4, DupThresh 3)', () => {
    it('is true with three discontiguous SACKed segments above', () => {
      const s = board([
        [2000, 2100],
        [3000, 3100],
        [4000, 4100],
      ]);
      assert.equal(s.isLost(1000), true);
      assert.equal(s.isLost(1999), true);
      // Above 2000 lie only two.
      assert.equal(s.isLost(2100), false);
      assert.equal(s.isLost(3500), false);
      const two = board([
        [2000, 2100],
        [3000, 3100],
      ]);
      assert.equal(two.isLost(1000), false);
    });

    it('is true with more than 2·MSS octets SACKed above', () => {
      assert.equal(board([[2000, 4000]]).isLost(1000), false);
      assert.equal(board([[2000, 4001]]).isLost(1000), true);
      assert.equal(
        board([
          [2000, 3000],
          [4000, 5000],
        ]).isLost(1000),
        false,
      );
      assert.equal(
        board([
          [2000, 3000],
          [4000, 5001],
        ]).isLost(1000),
        true,
      );
    });

    it('counts at least ⌈octets / MSS⌉ segments in a range', () => {
      // 1500 octets are at least two segments: with one more range, three.
      const s = board([
        [2000, 3500],
        [4000, 4100],
      ]);
      assert.equal(s.sackedBytes, 1600);
      assert.equal(s.isLost(1000), true);
      assert.equal(s.isLost(3600), false);
    });

    it('counts only the SACKed octets above a sequence number inside a range', () => {
      const s = board([[2000, 5000]]);
      assert.equal(s.isLost(2000), true); // 2999 octets above
      assert.equal(s.isLost(2998), true); // 2001
      assert.equal(s.isLost(2999), false); // 2000
      assert.equal(s.isLost(5000), false);
    });

    it('follows a change of MSS', () => {
      const s = board([[2000, 4000]]);
      assert.equal(s.isLost(1000), false);
      s.setMss(500);
      assert.equal(s.isLost(1000), true);
    });
  });

  describe('pipe (RFC 6675 §4 SetPipe)', () => {
    it('counts every octet in flight when nothing is SACKed', () => {
      const s = new SackScoreboard(MSS);
      assert.equal(s.pipe(1000, 11_000, 999), 10_000);
      // Retransmitted octets count twice.
      assert.equal(s.pipe(1000, 11_000, 1999), 11_000);
      assert.equal(s.pipe(1000, 1000, 999), 0);
    });

    it('one loss, three segments SACKed after it', () => {
      // Ten segments of 1000 from 1000; the first lost, the next three SACKed.
      const s = board([[2000, 5000]]);
      // Lost: [1000, 2000). SACKed: [2000, 5000). In flight: [5000, 11000).
      assert.equal(s.pipe(1000, 11_000, 999), 6000);
      // After the first segment is retransmitted it is in flight again.
      assert.equal(s.pipe(1000, 11_000, 1999), 7000);
    });

    it('two losses, only the first followed by DupThresh segments', () => {
      // Lost: segment 1 [1000, 2000) and segment 5 [5000, 6000).
      const s = board([
        [2000, 5000],
        [6000, 8000],
      ]);
      // [5000, 6000) has only 2000 octets above it: not lost yet, so it counts.
      assert.equal(s.isLost(5000), false);
      assert.equal(s.isLost(1000), true);
      assert.equal(s.pipe(1000, 11_000, 999), 1000 + 3000);
      assert.equal(s.pipe(1000, 11_000, 1999), 1000 + 3000 + 1000);
      // The next SACK makes segment 5 lost.
      s.update([8000, 9000], 1, 1000, 11_000);
      assert.equal(s.isLost(5000), true);
      assert.equal(s.pipe(1000, 11_000, 1999), 2000 + 1000);
      // Segment 5 retransmitted as well: highRxt covers both holes.
      assert.equal(s.pipe(1000, 11_000, 5999), 2000 + 2000);
    });

    it('three discontiguous SACKed ranges, half a segment retransmitted', () => {
      const s = board(
        [
          [3000, 4000],
          [5000, 6000],
          [7000, 8000],
        ],
        1000,
        9000,
      );
      // Lost: [1000, 3000). Not lost: [4000, 5000), [6000, 7000), [8000, 9000).
      assert.equal(s.pipe(1000, 9000, 999), 3000);
      assert.equal(s.pipe(1000, 9000, 2499), 4500);
      // highData below SND.MAX (after a timeout rewound SND.NXT): only [sndUna, highData).
      assert.equal(s.pipe(1000, 5500, 999), 1000);
    });
  });

  describe('nextSegment (RFC 6675 §4 NextSeg rules 1 and 3)', () => {
    it('rule 1: the first lost unSACKed octet above highRxt', () => {
      const s = board([
        [2000, 5000],
        [6000, 8000],
      ]);
      assert.deepEqual(s.nextSegment(1000, 999, false), { seq: 1000, length: 1000 });
      // Retransmitted up to 1199: the rest of the hole.
      assert.deepEqual(s.nextSegment(1000, 1199, false), { seq: 1200, length: 800 });
      // [5000, 6000) is not lost yet: rule 1 finds nothing, rule 3 returns it.
      assert.equal(s.nextSegment(1000, 1999, false), undefined);
      assert.deepEqual(s.nextSegment(1000, 1999, true), { seq: 5000, length: 1000 });
      s.update([8000, 9000], 1, 1000, 11_000);
      assert.deepEqual(s.nextSegment(1000, 1999, false), { seq: 5000, length: 1000 });
      // Nothing unSACKed below the highest SACKed octet after 5999: rule 3 has nothing either.
      assert.equal(s.nextSegment(1000, 5999, true), undefined);
    });

    it('cuts the segment at the MSS and before the next SACKed octet', () => {
      const s = board([[5000, 8000]]);
      assert.deepEqual(s.nextSegment(1000, 999, false), { seq: 1000, length: 1000 });
      assert.deepEqual(s.nextSegment(1000, 4499, false), { seq: 4500, length: 500 });
      const small = board([
        [1500, 1600],
        [2000, 2100],
        [2500, 2600],
      ]);
      assert.deepEqual(small.nextSegment(1000, 999, false), { seq: 1000, length: 500 });
      assert.deepEqual(small.nextSegment(1000, 1499, false), undefined);
      assert.deepEqual(small.nextSegment(1000, 1499, true), { seq: 1600, length: 400 });
    });

    it('starts at SND.UNA when highRxt is below it, skipping SACKed octets', () => {
      const s = board([
        [3000, 4000],
        [5000, 6000],
        [7000, 8000],
      ]);
      s.advance(2000);
      assert.deepEqual(s.nextSegment(2000, 1499, false), { seq: 2000, length: 1000 });
      // highRxt inside a SACKed range: the next hole.
      assert.deepEqual(s.nextSegment(2000, 3499, false), undefined);
      assert.deepEqual(s.nextSegment(2000, 3499, true), { seq: 4000, length: 1000 });
      assert.equal(s.nextSegment(2000, 8500, true), undefined);
      assert.equal(new SackScoreboard(MSS).nextSegment(1000, 999, true), undefined);
    });
  });

  it('works across the 2^32 wrap', () => {
    const una = 0xffff_f000; // 4096 octets before the wrap
    const s = new SackScoreboard(MSS);
    const at = (offset: number): number => seqAdd(una, offset);
    assert.equal(s.update([at(1000), at(5000)], 1, una, at(10_000)), 4000);
    assert.equal(s.highestSacked, at(5000));
    assert.equal(s.highestSacked, 904);
    assert.equal(s.isSacked(0xffff_ffff), true);
    assert.equal(s.isSacked(0), true);
    assert.equal(s.isSacked(at(999)), false);
    assert.equal(s.update([at(6000), at(7000), at(4000), at(6000)], 2, una, at(10_000)), 2000);
    assert.equal(s.sackedBytes, 6000);
    assert.equal(s.isLost(una), true);
    assert.equal(s.isLost(at(7000)), false);
    // [una, at(1000)) is lost; [at(7000), at(10000)) is in flight.
    assert.equal(s.pipe(una, at(10_000), seqAdd(una, -1)), 3000);
    assert.equal(s.pipe(una, at(10_000), at(999)), 3000 + 1000);
    assert.deepEqual(s.nextSegment(una, seqAdd(una, -1), false), { seq: una, length: 1000 });
    s.advance(at(4500));
    assert.equal(s.sackedBytes, 2500);
    assert.equal(s.isSacked(at(4499)), false);
    assert.equal(s.isSacked(at(4500)), true);
    s.advance(at(7000));
    assert.equal(s.isEmpty, true);
  });

  describe('against an octet-by-octet reference', () => {
    const scenario = fc
      .record({
        base: fc.oneof(
          fc.integer({ min: 0, max: 0xffff_ffff }),
          fc.integer({ min: 0xffff_f000, max: 0xffff_ffff }),
        ),
        window: fc.integer({ min: 1, max: 4000 }),
        mss: fc.integer({ min: 1, max: 600 }),
        acks: fc.array(
          fc.array(fc.tuple(fc.nat(), fc.nat(), fc.boolean()), { minLength: 1, maxLength: 4 }),
          { maxLength: 12 },
        ),
        advanceTo: fc.nat(),
        highData: fc.nat(),
        highRxt: fc.nat(),
        rule3: fc.boolean(),
      })
      .map((s) => ({ ...s, advanceTo: s.advanceTo % (s.window + 1) }));

    /** Octets above `offset` the reference marks SACKed: ranges, octets, and the IsLost result. */
    function referenceIsLost(sacked: Uint8Array, offset: number, mss: number): boolean {
      let segments = 0;
      let bytes = 0;
      let run = 0;
      for (let i = sacked.length - 1; i > offset; i--) {
        if (sacked[i] === 1) {
          run++;
          bytes++;
        }
        if (run > 0 && (sacked[i] === 0 || i === offset + 1)) {
          segments += Math.ceil(run / mss);
          run = 0;
        }
      }
      return segments >= 3 || bytes > 2 * mss;
    }

    it('update, advance, isSacked, isLost, pipe and nextSegment agree with it', () => {
      fc.assert(
        fc.property(scenario, (sc) => {
          const { base, window, mss } = sc;
          const s = new SackScoreboard(mss);
          const sacked = new Uint8Array(window);
          for (const ack of sc.acks) {
            const edges: number[] = [];
            let fresh = 0;
            for (const [a, b, wild] of ack) {
              // Mostly valid blocks; sometimes anything near the window, wrapped or not.
              const left = wild ? (a % (window + 200)) - 100 : 1 + (a % window);
              const right = wild ? left + (b % 300) - 50 : left + 1 + (b % (window - left + 1));
              edges.push(seqAdd(base, left), seqAdd(base, right));
              if (left > 0 && left < right && right <= window) {
                for (let i = left; i < right; i++) {
                  if (sacked[i] === 0) fresh++;
                  sacked[i] = 1;
                }
              }
            }
            assert.equal(s.update(edges, ack.length, base, seqAdd(base, window)), fresh);
          }
          const una = sc.advanceTo;
          s.advance(seqAdd(base, una));
          sacked.fill(0, 0, una);
          const total = sacked.reduce((sum, flag) => sum + flag, 0);
          assert.equal(s.sackedBytes, total);
          assert.equal(s.isEmpty, total === 0);
          const top = sacked.lastIndexOf(1);
          assert.equal(s.highestSacked, top < 0 ? undefined : seqAdd(base, top + 1));
          for (let i = una; i < window; i++) {
            assert.equal(s.isSacked(seqAdd(base, i)), sacked[i] === 1);
            assert.equal(s.isLost(seqAdd(base, i)), referenceIsLost(sacked, i, mss));
          }
          // SetPipe, octet by octet as RFC 6675 §4 states it.
          const highData = una + (sc.highData % (window - una + 1));
          const highRxt = una - 1 + (sc.highRxt % (highData - una + 2));
          let pipe = 0;
          for (let i = una; i < highData; i++) {
            if (sacked[i] === 1) continue;
            if (!referenceIsLost(sacked, i, mss)) pipe++;
            if (i <= highRxt) pipe++;
          }
          const sndUna = seqAdd(base, una);
          assert.equal(s.pipe(sndUna, seqAdd(base, highData), seqAdd(base, highRxt)), pipe);
          // NextSeg: rule 1 looks for the first unSACKed octet after highRxt, below the highest
          // SACKed one, that IsLost; rule 3 takes the first such octet, lost or not.
          const holeAt = (i: number): { seq: number; length: number } => {
            let length = 0;
            while (length < mss && sacked[i + length] === 0) length++;
            return { seq: seqAdd(base, i), length };
          };
          let want: { seq: number; length: number } | undefined;
          for (let i = Math.max(una, highRxt + 1); i < top && want === undefined; i++) {
            if (sacked[i] === 0 && referenceIsLost(sacked, i, mss)) want = holeAt(i);
          }
          for (let i = Math.max(una, highRxt + 1); i < top && want === undefined && sc.rule3; i++) {
            if (sacked[i] === 0) want = holeAt(i);
          }
          const got = s.nextSegment(sndUna, seqAdd(base, highRxt), sc.rule3);
          assert.deepEqual(got, want);
          if (got !== undefined) assert.ok(seqDiff(got.seq, sndUna) >= 0);
        }),
        { numRuns: 400 },
      );
    });
  });
});
