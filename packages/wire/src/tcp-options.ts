// TCP options (RFC 9293 §3.1 "Options" and §3.2): the ones the stack reads and writes are the
// Maximum Segment Size (RFC 9293 §3.2), Window Scale and Timestamps (RFC 7323 §2, §3) and
// SACK-Permitted and SACK (RFC 2018 §2, §3). An option is either a single kind octet (End of
// Option List, No-Operation) or a kind octet, a length octet counting both and the data.
//
// Reading is done into a `ParsedTcpOptions` the caller owns and reuses, so receiving a segment
// allocates nothing. Writing follows the layout Linux uses (tcp_options_write), which peers,
// middleboxes and tcpdump see every day: the option pairs are aligned to 32-bit words with NOPs,
// SACK-Permitted shares a word with the Timestamps' NOPs on a SYN, and the list needs no
// trailing padding because every piece is a whole number of words.

import { readU16BE, readU32BE, writeU16BE, writeU32BE } from '@oasis/core';

/** Option kinds (IANA "TCP Option Kind Numbers"). */
export const TCP_OPTION_EOL = 0;
export const TCP_OPTION_NOP = 1;
export const TCP_OPTION_MSS = 2;
export const TCP_OPTION_WINDOW_SCALE = 3;
export const TCP_OPTION_SACK_PERMITTED = 4;
export const TCP_OPTION_SACK = 5;
export const TCP_OPTION_TIMESTAMP = 8;

/** A header holds at most 40 option bytes (a data offset of 15 words, 5 of them fixed). */
export const TCP_MAX_OPTIONS_LENGTH = 40;
/** The largest shift a window scale may use (RFC 7323 §2.3): windows up to 1 GiB. */
export const TCP_MAX_WINDOW_SCALE = 14;
/** A SACK option holds at most 4 blocks: 2 + 8 × 4 = 34 bytes of the 40 (RFC 2018 §3). */
export const TCP_MAX_SACK_BLOCKS = 4;
/** What `writeTimestampOption` writes: two NOPs and the 10-byte option. */
export const TCP_TIMESTAMP_OPTION_LENGTH = 12;

const MSS_LENGTH = 4;
const WINDOW_SCALE_LENGTH = 3;
const SACK_PERMITTED_LENGTH = 2;
const TIMESTAMP_LENGTH = 10;
const SACK_BLOCK_LENGTH = 8;

/**
 * The options of one segment as the stack uses them. Mutable and meant to be reused: one per
 * receive path, filled by `parseTcpOptions` for each segment. Which options count on which
 * segments (MSS, Window Scale and SACK-Permitted only on a SYN: RFC 9293 §3.2, RFC 7323 §2.2,
 * RFC 2018 §2) is for the caller to decide; this records what the segment carried.
 */
export class ParsedTcpOptions {
  /** The peer's maximum segment size, 0 when absent (an MSS option carrying 0 is ignored, as Linux does). */
  mss = 0;
  /**
   * The shift count, -1 when absent. Kept as read, even above 14: the caller uses 14 instead
   * (RFC 7323 §2.3: "MUST use 14 instead of the specified value").
   */
  windowScale = -1;
  sackPermitted = false;
  hasTimestamp = false;
  /** TSval, unsigned 32-bit; meaningful with `hasTimestamp`. */
  tsValue = 0;
  /** TSecr, unsigned 32-bit; meaningful with `hasTimestamp`. */
  tsEcho = 0;
  /** Blocks in `sackEdges`, 0-4. */
  sackCount = 0;
  /**
   * The SACK blocks' edges as left0, right0, left1, right1, ... (RFC 2018 §3: the left edge is
   * the first sequence number of the block, the right edge the one just past it). Entries past
   * `2 × sackCount` are stale.
   */
  readonly sackEdges = new Uint32Array(2 * TCP_MAX_SACK_BLOCKS);

  /** Back to "no options". */
  reset(): void {
    this.mss = 0;
    this.windowScale = -1;
    this.sackPermitted = false;
    this.hasTimestamp = false;
    this.tsValue = 0;
    this.tsEcho = 0;
    this.sackCount = 0;
  }
}

/**
 * Resets `into` and reads `options` (a segment's raw options, `TcpPacket.options`) into it.
 * Returns false when the list is malformed: an option whose length octet is missing, below 2 or
 * runs past the end. RFC 9293 §3.1 requires handling "an illegal option length (e.g., zero)"
 * (MUST-7): the walk cannot continue past one, so the caller drops the segment and counts it
 * ('tcp.bad-option'); what was read before it is left in `into` but must not be used.
 * Otherwise:
 * - unknown kinds are skipped by their length (RFC 9293 §3.1 MUST-6; all options but EOL and
 *   NOP have a length octet, MUST-68);
 * - a known kind with a length it cannot have (MSS of length 3, SACK of a length other than
 *   2 + 8n, n = 1-4) is skipped the same way and ignored;
 * - options need no alignment (RFC 9293 §3.2 MUST-64), and a repeated option overrides the
 *   earlier one;
 * - End of Option List ends the list; what follows is padding (RFC 9293 §3.2).
 * Never throws and allocates nothing.
 */
export function parseTcpOptions(options: Uint8Array, into: ParsedTcpOptions): boolean {
  into.reset();
  const end = options.length;
  let offset = 0;
  while (offset < end) {
    const kind = options[offset]!;
    if (kind === TCP_OPTION_EOL) return true;
    if (kind === TCP_OPTION_NOP) {
      offset++;
      continue;
    }
    if (offset + 1 >= end) return false;
    const length = options[offset + 1]!;
    if (length < 2 || offset + length > end) return false;
    switch (kind) {
      case TCP_OPTION_MSS:
        // RFC 9293 §3.2: kind 2, length 4, a 16-bit size.
        if (length === MSS_LENGTH) into.mss = readU16BE(options, offset + 2);
        break;
      case TCP_OPTION_WINDOW_SCALE:
        // RFC 7323 §2.2: kind 3, length 3, a shift count octet.
        if (length === WINDOW_SCALE_LENGTH) into.windowScale = options[offset + 2]!;
        break;
      case TCP_OPTION_SACK_PERMITTED:
        // RFC 2018 §2: kind 4, length 2.
        if (length === SACK_PERMITTED_LENGTH) into.sackPermitted = true;
        break;
      case TCP_OPTION_TIMESTAMP:
        // RFC 7323 §3.2: kind 8, length 10, TSval and TSecr.
        if (length === TIMESTAMP_LENGTH) {
          into.hasTimestamp = true;
          into.tsValue = readU32BE(options, offset + 2);
          into.tsEcho = readU32BE(options, offset + 6);
        }
        break;
      case TCP_OPTION_SACK: {
        // RFC 2018 §3: kind 5, length 2 + 8n, n blocks of two 32-bit edges.
        const blocks = (length - 2) >>> 3;
        if ((length - 2) % SACK_BLOCK_LENGTH === 0 && blocks >= 1 && blocks <= 4) {
          const edges = into.sackEdges;
          for (let i = 0; i < 2 * blocks; i++) edges[i] = readU32BE(options, offset + 2 + 4 * i);
          into.sackCount = blocks;
        }
        break;
      }
      default:
        break;
    }
    offset += length;
  }
  return true;
}

/** Options to send, for `writeTcpOptions`. Absent fields are not sent. */
export interface TcpOptionsOut {
  /** Maximum segment size, 0-65535; SYN segments only (RFC 9293 §3.2). */
  readonly mss?: number;
  /** Shift count 0-14 (RFC 7323 §2.3); SYN segments only (RFC 7323 §2.2). */
  readonly windowScale?: number;
  /** SYN segments only (RFC 2018 §2). */
  readonly sackPermitted?: boolean;
  /** TSval and TSecr, unsigned 32-bit (RFC 7323 §3.2). */
  readonly timestamp?: { readonly value: number; readonly echo: number };
  /**
   * SACK block edges as pairs, left then right, at most 4 pairs (RFC 2018 §3), and at most 3
   * next to timestamps: all options share 40 bytes. An empty list sends no SACK option.
   */
  readonly sackBlocks?: readonly number[];
}

function sackPairs(edges: readonly number[] | undefined): number {
  if (edges === undefined) return 0;
  if (edges.length % 2 !== 0) {
    throw new RangeError(
      `TCP SACK blocks are pairs of edges (left, right), got ${edges.length} numbers`,
    );
  }
  return edges.length >>> 1;
}

/**
 * The bytes `writeTcpOptions` writes for `out`, a multiple of 4 (every piece of the layout is
 * word-aligned). May exceed 40, in which case `writeTcpOptions` throws.
 */
export function tcpOptionsLength(out: TcpOptionsOut): number {
  let length = 0;
  if (out.mss !== undefined) length += 4;
  // Timestamps take three words, with SACK-Permitted or two NOPs in the first; SACK-Permitted
  // alone takes a word with two NOPs.
  if (out.timestamp !== undefined) length += 12;
  else if (out.sackPermitted === true) length += 4;
  if (out.windowScale !== undefined) length += 4;
  const pairs = sackPairs(out.sackBlocks);
  if (pairs > 0) length += 4 + SACK_BLOCK_LENGTH * pairs;
  return length;
}

function checkField(name: string, value: number, max: number): void {
  if (!(Number.isInteger(value) && value >= 0 && value <= max)) {
    throw new RangeError(`TCP ${name} is an integer in 0-${max}, got ${value}`);
  }
}

function checkRoom(buffer: Uint8Array, offset: number, length: number, what: string): void {
  if (!(Number.isInteger(offset) && offset >= 0 && offset + length <= buffer.length)) {
    throw new RangeError(
      `TCP ${what} needs ${length} bytes at offset ${offset}, buffer has ${buffer.length}`,
    );
  }
}

/**
 * Writes the options of `out` at `buffer[offset]`, in Linux's layout, and returns the bytes
 * written (`tcpOptionsLength(out)`). On a SYN: `02 04 MSS`, then `04 02 08 0a TSval TSecr` when
 * both SACK-Permitted and Timestamps are sent (`01 01 08 0a ...` for Timestamps alone, `01 01 04
 * 02` for SACK-Permitted alone), then `01 03 03 shift`. On other segments: `01 01 08 0a TSval
 * TSecr` then `01 01 05 length edges...`. Throws RangeError for options over 40 bytes, a value
 * out of range or a buffer too short (programmer errors), before writing anything.
 */
export function writeTcpOptions(buffer: Uint8Array, offset: number, out: TcpOptionsOut): number {
  const length = tcpOptionsLength(out);
  if (length > TCP_MAX_OPTIONS_LENGTH) {
    throw new RangeError(
      `TCP options take at most 40 bytes, these take ${length}: send fewer SACK blocks (3 with timestamps)`,
    );
  }
  checkRoom(buffer, offset, length, 'options');
  const { mss, windowScale, timestamp, sackBlocks } = out;
  if (mss !== undefined) checkField('MSS', mss, 0xffff);
  if (windowScale !== undefined) checkField('window scale', windowScale, TCP_MAX_WINDOW_SCALE);
  if (timestamp !== undefined) {
    checkField('TSval', timestamp.value, 0xffff_ffff);
    checkField('TSecr', timestamp.echo, 0xffff_ffff);
  }
  const pairs = sackPairs(sackBlocks);
  if (pairs > TCP_MAX_SACK_BLOCKS) {
    throw new RangeError(`TCP SACK carries at most 4 blocks (RFC 2018 §3), got ${pairs}`);
  }
  for (let i = 0; i < 2 * pairs; i++) checkField('SACK edge', sackBlocks![i]!, 0xffff_ffff);

  let at = offset;
  if (mss !== undefined) {
    buffer[at] = TCP_OPTION_MSS;
    buffer[at + 1] = MSS_LENGTH;
    writeU16BE(buffer, at + 2, mss);
    at += 4;
  }
  const sackPermitted = out.sackPermitted === true;
  if (timestamp !== undefined) {
    if (sackPermitted) {
      buffer[at] = TCP_OPTION_SACK_PERMITTED;
      buffer[at + 1] = SACK_PERMITTED_LENGTH;
    } else {
      buffer[at] = TCP_OPTION_NOP;
      buffer[at + 1] = TCP_OPTION_NOP;
    }
    writeTimestampBody(buffer, at + 2, timestamp.value, timestamp.echo);
    at += 12;
  } else if (sackPermitted) {
    buffer[at] = TCP_OPTION_NOP;
    buffer[at + 1] = TCP_OPTION_NOP;
    buffer[at + 2] = TCP_OPTION_SACK_PERMITTED;
    buffer[at + 3] = SACK_PERMITTED_LENGTH;
    at += 4;
  }
  if (windowScale !== undefined) {
    buffer[at] = TCP_OPTION_NOP;
    buffer[at + 1] = TCP_OPTION_WINDOW_SCALE;
    buffer[at + 2] = WINDOW_SCALE_LENGTH;
    buffer[at + 3] = windowScale;
    at += 4;
  }
  if (pairs > 0) at += writeSackOption(buffer, at, sackBlocks!, pairs);
  return at - offset;
}

/** The 10-byte Timestamps option (RFC 7323 §3.2) at `buffer[at]`. */
function writeTimestampBody(buffer: Uint8Array, at: number, value: number, echo: number): void {
  buffer[at] = TCP_OPTION_TIMESTAMP;
  buffer[at + 1] = TIMESTAMP_LENGTH;
  writeU32BE(buffer, at + 2, value);
  writeU32BE(buffer, at + 6, echo);
}

/**
 * The hot-path Timestamps writer: the 12 bytes `01 01 08 0a TSval TSecr` at `buffer[offset]`
 * (RFC 7323 §3.2, aligned with two NOPs as RFC 7323 Appendix A suggests). `value` and `echo`
 * are unsigned 32-bit, written truncated. Allocates nothing; throws RangeError if the buffer
 * has no room.
 */
export function writeTimestampOption(
  buffer: Uint8Array,
  offset: number,
  value: number,
  echo: number,
): void {
  checkRoom(buffer, offset, TCP_TIMESTAMP_OPTION_LENGTH, 'Timestamps option');
  buffer[offset] = TCP_OPTION_NOP;
  buffer[offset + 1] = TCP_OPTION_NOP;
  writeTimestampBody(buffer, offset + 2, value, echo);
}

/**
 * The hot-path SACK writer: `01 01 05 (2 + 8 × count)` and the first `count` blocks of `edges`
 * (left, right, ...; RFC 2018 §3) at `buffer[offset]`. Returns the bytes written, 4 + 8 ×
 * count, or 0 for no blocks. Edges are unsigned 32-bit, written truncated. Allocates nothing;
 * throws RangeError for a count outside 0-4, too few edges or a buffer without room.
 */
export function writeSackOption(
  buffer: Uint8Array,
  offset: number,
  edges: Uint32Array | readonly number[],
  count: number,
): number {
  if (!(Number.isInteger(count) && count >= 0 && count <= TCP_MAX_SACK_BLOCKS)) {
    throw new RangeError(`TCP SACK carries 0-4 blocks (RFC 2018 §3), got ${count}`);
  }
  if (count === 0) return 0;
  if (edges.length < 2 * count) {
    throw new RangeError(`${count} SACK blocks need ${2 * count} edges, got ${edges.length}`);
  }
  const length = 4 + SACK_BLOCK_LENGTH * count;
  checkRoom(buffer, offset, length, 'SACK option');
  buffer[offset] = TCP_OPTION_NOP;
  buffer[offset + 1] = TCP_OPTION_NOP;
  buffer[offset + 2] = TCP_OPTION_SACK;
  buffer[offset + 3] = length - 2;
  for (let i = 0; i < 2 * count; i++) writeU32BE(buffer, offset + 4 + 4 * i, edges[i]!);
  return length;
}
