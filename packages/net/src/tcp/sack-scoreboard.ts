// The sender's SACK scoreboard (RFC 6675 §3): which octets between SND.UNA and SND.MAX the
// receiver has reported holding, and the routines of RFC 6675 §4 that read it: IsLost, SetPipe
// (`pipe`) and NextSeg rules 1 and 3 (`nextSegment`). DupThresh is 3 (RFC 6675 §2).
//
// The SACKed octets are kept as ranges in one sorted array of edges, disjoint and not touching:
// there are as many ranges as holes the receiver reports, a few dozen at most, so every routine
// is a scan of that array, and none but `nextSegment` allocates.
//
// Conventions. RFC 6675 counts in octets: HighACK is the last octet cumulatively acknowledged
// and HighData the last octet sent. Here the caller passes TCP's variables instead: `sndUna`
// (HighACK + 1) and `highData` = SND.NXT (HighData + 1). HighRxt keeps its RFC meaning, the
// highest octet retransmitted, inclusive: pass `seqAdd(sndUna, -1)` while nothing has been. A
// SACK block is a pair of edges [left, right): left is its first octet, right one past its last
// (RFC 2018 §3). Sequence numbers are compared wrap-aware (./sequence.ts).

import { seqAdd, seqDiff, seqGe, seqLe, seqLt, seqMax, seqMin } from './sequence.ts';

/** RFC 6675 §2: the number of duplicate ACKs (here, SACKed segments) that signals a loss. */
export const DUP_THRESH = 3;

/** A segment to (re)transmit: `length` octets from `seq`. */
export interface SackSegment {
  readonly seq: number;
  readonly length: number;
}

export class SackScoreboard {
  #mss = 0;
  /** start₀, end₀, start₁, end₁, ... for `#count` ranges: sorted, disjoint, not touching. */
  readonly #edges: number[] = [];
  #count = 0;
  #sackedBytes = 0;

  /** `mss` is the sender's maximum segment size (SMSS). Throws RangeError unless it is a positive integer. */
  constructor(mss: number) {
    this.setMss(mss);
  }

  /** After the SMSS changed (path MTU discovery). Throws RangeError unless it is a positive integer. */
  setMss(mss: number): void {
    if (!(Number.isSafeInteger(mss) && mss > 0)) {
      throw new RangeError(`the SACK scoreboard's MSS must be a positive integer, got ${mss}`);
    }
    this.#mss = mss;
  }

  get isEmpty(): boolean {
    return this.#count === 0;
  }

  /** Octets SACKed above SND.UNA. */
  get sackedBytes(): number {
    return this.#sackedBytes;
  }

  /** One past the highest octet SACKed (the right edge of the top range), or undefined. */
  get highestSacked(): number | undefined {
    return this.#count === 0 ? undefined : this.#end(this.#count - 1);
  }

  /**
   * RFC 6675 §4 Update(): adds the `count` SACK blocks of one ACK, given as (left, right) pairs in
   * `edges`. A block counts only if SND.UNA < left < right ≤ SND.MAX: that leaves out a D-SACK
   * block reporting a duplicate below the cumulative ACK (RFC 2883 §4) and blocks no correct
   * receiver sends; a D-SACK block above the cumulative ACK lies inside data SACKed already and
   * adds nothing. Returns the number of octets newly SACKed. Throws RangeError when `edges` holds
   * fewer than `count` pairs.
   */
  update(edges: ArrayLike<number>, count: number, sndUna: number, sndMax: number): number {
    if (!(Number.isSafeInteger(count) && count >= 0 && edges.length >= 2 * count)) {
      throw new RangeError(
        `update needs 2·count edges, got count ${count} for ${edges.length} edges`,
      );
    }
    let added = 0;
    for (let k = 0; k < count; k++) {
      const left = edges[2 * k]! >>> 0;
      const right = edges[2 * k + 1]! >>> 0;
      if (seqLt(sndUna, left) && seqLt(left, right) && seqLe(right, sndMax)) {
        added += this.#add(left, right);
      }
    }
    this.#sackedBytes += added;
    return added;
  }

  /** After a cumulative ACK: forgets the octets before the new `sndUna`. */
  advance(sndUna: number): void {
    let removed = 0;
    while (removed < this.#count && seqLe(this.#end(removed), sndUna)) {
      this.#sackedBytes -= this.#length(removed);
      removed++;
    }
    this.#removeRanges(0, removed);
    if (this.#count > 0 && seqLt(this.#start(0), sndUna)) {
      this.#sackedBytes -= seqDiff(sndUna, this.#start(0));
      this.#edges[0] = sndUna;
    }
  }

  /** Forgets every SACK, as after a retransmission timeout (RFC 6675 §5.1, RFC 2018 §8). */
  clear(): void {
    this.#count = 0;
    this.#sackedBytes = 0;
  }

  isSacked(seq: number): boolean {
    for (let k = 0; k < this.#count; k++) {
      if (seqLt(seq, this.#start(k))) return false;
      if (seqLt(seq, this.#end(k))) return true;
    }
    return false;
  }

  /**
   * RFC 6675 §4 IsLost(seq): true when DupThresh SACKed segments lie above `seq`, or more than
   * (DupThresh − 1)·SMSS octets above it are SACKed. Segment boundaries are not recorded, so the
   * segments are counted by the least number there can be: a sender's segment carries at most
   * SMSS octets, so a SACKed range of n octets holds at least ⌈n / SMSS⌉ of them, and separate
   * ranges hold separate segments. Three discontiguous ranges, or one of more than 2·SMSS
   * octets, are three segments.
   */
  isLost(seq: number): boolean {
    const above = seqAdd(seq, 1);
    const mss = this.#mss;
    let segments = 0;
    let bytes = 0;
    for (let k = this.#count - 1; k >= 0; k--) {
      const end = this.#end(k);
      if (seqLe(end, above)) break;
      const length = seqDiff(end, seqMax(this.#start(k), above));
      bytes += length;
      segments += Math.ceil(length / mss);
      if (segments >= DUP_THRESH || bytes > (DUP_THRESH - 1) * mss) return true;
    }
    return false;
  }

  /**
   * RFC 6675 §4 SetPipe: the octets in flight among [sndUna, highData). Each octet not SACKed
   * counts once if IsLost is false for it, and once more if it is at or below `highRxt` (it was
   * retransmitted). Computed from the ranges: IsLost is true exactly for the unSACKed octets
   * below one boundary (the more is SACKed above an octet, the more it is lost), so the sum is
   * the unSACKed octets above that boundary plus those at or below `highRxt`.
   */
  pipe(sndUna: number, highData: number, highRxt: number): number {
    if (!seqLt(sndUna, highData)) return 0;
    const notLostFrom = seqMin(seqMax(sndUna, this.#lostBelow(sndUna)), highData);
    let pipe = this.#unsacked(notLostFrom, highData);
    if (seqGe(highRxt, sndUna)) {
      pipe += this.#unsacked(sndUna, seqMin(seqAdd(highRxt, 1), highData));
    }
    return pipe;
  }

  /**
   * RFC 6675 §4 NextSeg, the rules that retransmit. Rule 1: the first unSACKed octet S2 after
   * `highRxt` (and at or after `sndUna`) that lies below the highest SACKed octet and for which
   * IsLost(S2) is true. Rule 3, only when `rule3` is set (the caller found no new data to send
   * under rule 2): that same octet even if IsLost(S2) is false. Returns a fresh segment from S2 of
   * at most SMSS octets that stops before the next SACKed octet, or undefined. Rule 2 (new data)
   * and rule 4 (the rescue retransmission) are the caller's.
   */
  nextSegment(sndUna: number, highRxt: number, rule3: boolean): SackSegment | undefined {
    let seq = seqGe(highRxt, sndUna) ? seqAdd(highRxt, 1) : sndUna;
    for (let k = 0; k < this.#count; k++) {
      const start = this.#start(k);
      if (seqLe(start, seq)) {
        // Skip over a range that holds `seq`; ranges do not touch, so the next one starts later.
        seq = seqMax(seq, this.#end(k));
        continue;
      }
      // `seq` is unSACKed and below the top range: RFC 6675 (1.a) and (1.b) hold.
      if (!rule3 && !this.isLost(seq)) return undefined;
      return { seq, length: Math.min(this.#mss, seqDiff(start, seq)) };
    }
    return undefined;
  }

  /**
   * The octet below which every unSACKed octet is lost: the start of the highest range from
   * which down IsLost's thresholds are met. `fallback` if they never are.
   */
  #lostBelow(fallback: number): number {
    const mss = this.#mss;
    let segments = 0;
    let bytes = 0;
    for (let k = this.#count - 1; k >= 0; k--) {
      const length = this.#length(k);
      bytes += length;
      segments += Math.ceil(length / mss);
      if (segments >= DUP_THRESH || bytes > (DUP_THRESH - 1) * mss) return this.#start(k);
    }
    return fallback;
  }

  /** The octets of [from, to) not SACKed; 0 if `to` is not after `from`. */
  #unsacked(from: number, to: number): number {
    if (!seqLt(from, to)) return 0;
    let octets = seqDiff(to, from);
    for (let k = 0; k < this.#count; k++) {
      const overlap = seqDiff(seqMin(this.#end(k), to), seqMax(this.#start(k), from));
      if (overlap > 0) octets -= overlap;
    }
    return octets;
  }

  /** Adds the range [left, right), joining those it overlaps or touches; the octets it adds. */
  #add(left: number, right: number): number {
    const count = this.#count;
    let first = 0;
    while (first < count && seqLt(this.#end(first), left)) first++;
    let last = first;
    let held = 0;
    while (last < count && seqLe(this.#start(last), right)) {
      held += this.#length(last);
      last++;
    }
    const edges = this.#edges;
    if (first === last) {
      // A new range: move the ranges above it up one place.
      for (let k = 2 * count - 1; k >= 2 * first; k--) edges[k + 2] = edges[k]!;
      edges[2 * first] = left;
      edges[2 * first + 1] = right;
      this.#count = count + 1;
      return seqDiff(right, left);
    }
    const start = seqMin(left, this.#start(first));
    const end = seqMax(right, this.#end(last - 1));
    edges[2 * first] = start;
    edges[2 * first + 1] = end;
    this.#removeRanges(first + 1, last - first - 1);
    return seqDiff(end, start) - held;
  }

  /** Removes `n` ranges from index `from`, moving those above down. */
  #removeRanges(from: number, n: number): void {
    if (n === 0) return;
    const edges = this.#edges;
    for (let k = 2 * (from + n); k < 2 * this.#count; k++) edges[k - 2 * n] = edges[k]!;
    this.#count -= n;
  }

  #start(k: number): number {
    return this.#edges[2 * k]!;
  }

  #end(k: number): number {
    return this.#edges[2 * k + 1]!;
  }

  #length(k: number): number {
    return seqDiff(this.#end(k), this.#start(k));
  }
}
