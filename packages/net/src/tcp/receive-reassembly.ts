// The receiver's out-of-order queue: data that arrived inside the receive window but after a
// hole, held until the hole is filled (RFC 9293 §3.10.7.4, "seventh, process the segment
// text": segments that are not next in sequence may be held for later processing), and the
// SACK blocks that describe it (RFC 2018 §4).
//
// What is held is kept as blocks: maximal contiguous ranges of sequence space, sorted, disjoint
// and not touching (a segment that fills the gap between two blocks joins them). Each block owns
// the copies of the segments that built it as a linked chain of pieces, so joining blocks
// relinks chains instead of copying bytes: each byte kept is copied once, when it arrives, and
// every operation costs O(blocks), that is O(holes), whatever the number of segments held.
//
// Sequence numbers are compared wrap-aware (./sequence.ts); the caller keeps everything within
// its receive window, far less than 2^31 from rcvNxt.

import { seqAdd, seqDiff, seqGt, seqLe, seqLt, seqMax, seqMin } from './sequence.ts';

/** A copy of part of one segment; the next piece of its block starts where it ends. */
interface Piece {
  readonly data: Uint8Array;
  next: Piece | undefined;
}

/** The placeholder head of a chain being built. */
const NO_BYTES = new Uint8Array(0);

interface Block {
  start: number;
  /** One past the last byte. */
  end: number;
  first: Piece;
  last: Piece;
  /**
   * When a segment in this block last arrived (a counter, higher is more recent): the order in
   * which RFC 2018 §4 wants blocks reported.
   */
  arrival: number;
}

export class ReceiveReassembly {
  readonly #limitBytes: number;
  /** Sorted by sequence number, disjoint, never touching. */
  #blocks: Block[] = [];
  #heldBytes = 0;
  #arrivals = 0;

  /**
   * `limitBytes` is the most bytes held out of order (the caller passes its receive buffer
   * size). Throws RangeError unless it is a non-negative safe integer.
   */
  constructor(limitBytes: number) {
    if (!(Number.isSafeInteger(limitBytes) && limitBytes >= 0)) {
      throw new RangeError(
        `the out-of-order limit must be a non-negative integer of bytes, got ${limitBytes}`,
      );
    }
    this.#limitBytes = limitBytes;
  }

  /** Bytes held, at most the limit. */
  get heldBytes(): number {
    return this.#heldBytes;
  }

  get isEmpty(): boolean {
    return this.#blocks.length === 0;
  }

  /**
   * Holds a copy of `data` (borrowed from a received frame: only the part kept is copied), which
   * starts at `seq`, after `rcvNxt` (the caller handles in-order data itself). What lies before
   * `rcvNxt`, or overlaps data already held, is trimmed off: the bytes held first win. Of
   * the new bytes, those that do not fit in the limit are dropped, highest first (the bytes
   * nearest rcvNxt are the ones that let the stream advance). Returns true if any new byte was
   * stored.
   *
   * RFC 2018 §4: the first SACK block MUST specify the block containing the segment that
   * triggered the ACK, so the block that now holds this segment's first new byte (or, for a
   * repeat of data held, the block that holds its first byte) becomes the most recent.
   */
  insert(seq: number, data: Uint8Array, rcvNxt: number): boolean {
    const end = seqAdd(seq, data.length);
    if (data.length === 0 || seqLe(end, rcvNxt)) return false;
    const start = seqMax(seq, rcvNxt);
    this.#discardThrough(rcvNxt);
    const blocks = this.#blocks;
    // Blocks first..last-1 overlap or touch [start, end): they join whatever is stored.
    let first = blocks.length;
    while (first > 0 && !seqLt(blocks[first - 1]!.end, start)) first--;
    let last = first;
    while (last < blocks.length && seqLe(blocks[last]!.start, end)) last++;
    // The new bytes are the gaps of [start, end) between those blocks. Fill them from the lowest
    // until the limit; `stop` is where storing ends.
    let room = this.#limitBytes - this.#heldBytes;
    let stored = 0;
    let stop = end;
    let truncated = false;
    let cursor = start;
    for (let k = first; k < last; k++) {
      const block = blocks[k]!;
      if (seqLt(cursor, block.start)) {
        const gap = seqDiff(block.start, cursor);
        if (gap > room) {
          stop = seqAdd(cursor, room);
          stored += room;
          truncated = true;
          last = k;
          break;
        }
        room -= gap;
        stored += gap;
      }
      cursor = seqMax(cursor, block.end);
    }
    if (!truncated && seqLt(cursor, end)) {
      const gap = Math.min(seqDiff(end, cursor), room);
      stop = seqAdd(cursor, gap);
      stored += gap;
    }
    if (stored === 0) {
      const holder = blocks[first];
      if (holder !== undefined && seqLe(holder.start, start) && seqLt(start, holder.end)) {
        holder.arrival = ++this.#arrivals;
      }
      return false;
    }
    // Build the joined block: gaps filled with copies, the blocks' chains relinked in between.
    const chain: Piece = { data: NO_BYTES, next: undefined };
    let tail = chain;
    cursor = start;
    for (let k = first; k <= last; k++) {
      const block = blocks[k];
      const gapEnd = k < last ? block!.start : stop;
      if (seqLt(cursor, gapEnd)) {
        const piece: Piece = {
          data: data.slice(seqDiff(cursor, seq), seqDiff(gapEnd, seq)),
          next: undefined,
        };
        tail.next = piece;
        tail = piece;
      }
      if (k === last) break;
      tail.next = block!.first;
      tail = block!.last;
      cursor = seqMax(cursor, block!.end);
    }
    const joined: Block = {
      start: first < last ? seqMin(start, blocks[first]!.start) : start,
      end: seqMax(cursor, stop),
      first: chain.next!,
      last: tail,
      arrival: ++this.#arrivals,
    };
    blocks.splice(first, last - first, joined);
    this.#heldBytes += stored;
    return true;
  }

  /**
   * After rcvNxt advanced (in-order data arrived): removes the pieces that now continue the
   * stream and calls `deliver` with each, in order, the first trimmed to start exactly at
   * `rcvNxt`. The pieces are owned copies: the caller may keep them. Returns the new rcvNxt.
   * Pieces entirely at or before `rcvNxt` are discarded.
   */
  drain(rcvNxt: number, deliver: (piece: Uint8Array) => void): number {
    let next = rcvNxt;
    const blocks = this.#blocks;
    let removed = 0;
    for (; removed < blocks.length; removed++) {
      const block = blocks[removed]!;
      if (seqGt(block.start, next)) break;
      this.#heldBytes -= seqDiff(block.end, block.start);
      if (seqLe(block.end, next)) continue;
      let skip = seqDiff(next, block.start);
      for (let piece: Piece | undefined = block.first; piece !== undefined; piece = piece.next) {
        const length = piece.data.length;
        if (skip >= length) {
          skip -= length;
          continue;
        }
        deliver(skip === 0 ? piece.data : piece.data.subarray(skip));
        skip = 0;
      }
      next = block.end;
    }
    if (removed > 0) blocks.splice(0, removed);
    return next;
  }

  /**
   * Writes up to `max` SACK blocks as (left edge, right edge) pairs into `edges`, and returns how
   * many. RFC 2018 §4: first the block holding the segment that arrived last, then the others,
   * most recently arrived first (the order in which they were last reported first). Only blocks
   * entirely above `rcvNxt` are reported. Throws RangeError if `edges` cannot hold `max` pairs.
   */
  sackBlocks(edges: Uint32Array, max: number, rcvNxt: number): number {
    if (!(Number.isSafeInteger(max) && max >= 0 && edges.length >= 2 * max)) {
      throw new RangeError(
        `sackBlocks needs a non-negative max and room for 2·max edges, got max ${max} for ${edges.length}`,
      );
    }
    const blocks = this.#blocks;
    let count = 0;
    let below = Number.POSITIVE_INFINITY;
    while (count < max) {
      // Selection by arrival: O(max·blocks) and no allocation; max is at most 4 in practice.
      let best: Block | undefined;
      for (let k = 0; k < blocks.length; k++) {
        const block = blocks[k]!;
        if (
          block.arrival < below &&
          (best === undefined || block.arrival > best.arrival) &&
          seqGt(block.start, rcvNxt)
        ) {
          best = block;
        }
      }
      if (best === undefined) break;
      edges[2 * count] = best.start;
      edges[2 * count + 1] = best.end;
      count++;
      below = best.arrival;
    }
    return count;
  }

  /** Drops everything held. */
  clear(): void {
    this.#blocks = [];
    this.#heldBytes = 0;
  }

  /** Drops the blocks that end at or before `rcvNxt`: data the caller has had in order. */
  #discardThrough(rcvNxt: number): void {
    const blocks = this.#blocks;
    let removed = 0;
    while (removed < blocks.length && seqLe(blocks[removed]!.end, rcvNxt)) {
      const block = blocks[removed]!;
      this.#heldBytes -= seqDiff(block.end, block.start);
      removed++;
    }
    if (removed > 0) blocks.splice(0, removed);
  }
}
