// Writes a capture in the classic pcap format (pcap-format.ts) as a sequence of chunks: the file
// header at construction, then one chunk per record, header and data together. A sink that
// appends chunks (to a file, an array, a stream) therefore always holds a readable file up to its
// last whole record. Fields are little-endian, as libpcap writes them on x86 and ARM hosts;
// readers accept either order (draft-ietf-opsawg-pcap §3).

import { writeU16LE, writeU32LE } from '@oasis/core';
import {
  fractionUnitsPerMs,
  LINKTYPE_ETHERNET,
  PCAP_DEFAULT_SNAP_LENGTH,
  PCAP_FILE_HEADER_LENGTH,
  PCAP_MAGIC_MICROSECONDS,
  PCAP_MAGIC_NANOSECONDS,
  PCAP_RECORD_HEADER_LENGTH,
  PCAP_VERSION_MAJOR,
  PCAP_VERSION_MINOR,
  type PcapResolution,
} from './pcap-format.ts';

export interface PcapWriterOptions {
  /** The unit of timestamp fractions: 'us' (the default; magic 0xa1b2c3d4) or 'ns' (0xa1b23c4d). */
  readonly resolution?: PcapResolution;
  /** Bytes kept of each packet, at least 1 (§4: never zero); default 262144. */
  readonly snapLength?: number;
  /** The file's link-layer type, a 16-bit LINKTYPE_* value; default LINKTYPE_ETHERNET. */
  readonly linkType?: number;
}

const MAX_U32 = 0xffffffff;

export class PcapWriter {
  readonly resolution: PcapResolution;
  readonly snapLength: number;
  readonly linkType: number;
  readonly #sink: (chunk: Uint8Array) => void;
  readonly #unitsPerMs: number;

  /** Emits the file header to `sink` at once. Throws RangeError on an out-of-range option. */
  constructor(sink: (chunk: Uint8Array) => void, options: PcapWriterOptions = {}) {
    const {
      resolution = 'us',
      snapLength = PCAP_DEFAULT_SNAP_LENGTH,
      linkType = LINKTYPE_ETHERNET,
    } = options;
    requireInteger('pcap snapLength', snapLength, 1, MAX_U32);
    requireInteger('pcap linkType', linkType, 0, 0xffff);
    this.resolution = resolution;
    this.snapLength = snapLength;
    this.linkType = linkType;
    this.#sink = sink;
    this.#unitsPerMs = fractionUnitsPerMs(resolution);

    const header = new Uint8Array(PCAP_FILE_HEADER_LENGTH);
    writeU32LE(header, 0, resolution === 'ns' ? PCAP_MAGIC_NANOSECONDS : PCAP_MAGIC_MICROSECONDS);
    writeU16LE(header, 4, PCAP_VERSION_MAJOR);
    writeU16LE(header, 6, PCAP_VERSION_MINOR);
    // Bytes 8-15, reserved1 and reserved2, stay zero (§4: SHOULD be filled with 0).
    writeU32LE(header, 16, snapLength);
    // Link type in the low 16 bits; the FCS length and reserved bits above stay zero (§4).
    writeU32LE(header, 20, linkType);
    sink(header);
  }

  /**
   * Emits one record as one chunk, copying `data` (at most `snapLength` bytes of it), so the
   * caller may reuse its bytes at once. `wallMs` is milliseconds since the Unix epoch, fraction
   * allowed, rounded to the nearest µs or ns. `originalLength` is the packet's length on the wire,
   * at least `data.length` (§5: a writer MUST NOT write less). Throws RangeError on a time
   * outside 1970-2106 (32-bit seconds) or a bad length.
   */
  writeRecord(wallMs: number, data: Uint8Array, originalLength: number = data.length): void {
    requireInteger('pcap originalLength', originalLength, data.length, MAX_U32);
    const { seconds, fraction } = splitTimestamp(wallMs, this.#unitsPerMs);
    const captured = Math.min(data.length, this.snapLength);
    const chunk = new Uint8Array(PCAP_RECORD_HEADER_LENGTH + captured);
    writeU32LE(chunk, 0, seconds);
    writeU32LE(chunk, 4, fraction);
    writeU32LE(chunk, 8, captured);
    writeU32LE(chunk, 12, originalLength);
    chunk.set(data.subarray(0, captured), PCAP_RECORD_HEADER_LENGTH);
    this.#sink(chunk);
  }
}

/**
 * Splits milliseconds since the epoch into whole seconds and the rest of the second in
 * `unitsPerMs` units, rounded to the nearest unit, half up. The whole milliseconds are split with
 * integer arithmetic and `wallMs - Math.floor(wallMs)` is exact, so the one inexact step is
 * scaling that sub-millisecond part: its rounding (below 2^-32 units) can only tip a value a
 * hair from a half unit, and tips it the way its decimal reads (0.0045 ms, whose double is
 * just below 4.5 µs, gives 5 µs). IEEE arithmetic makes the bytes the same on every platform.
 */
function splitTimestamp(wallMs: number, unitsPerMs: number): { seconds: number; fraction: number } {
  const wholeMs = Math.floor(wallMs);
  const msIntoSecond = wholeMs % 1000;
  let seconds = (wholeMs - msIntoSecond) / 1000;
  let fraction = msIntoSecond * unitsPerMs + Math.round((wallMs - wholeMs) * unitsPerMs);
  if (fraction === 1000 * unitsPerMs) {
    // Rounded up into the next second (e.g. 999.9996 ms at µs resolution).
    seconds += 1;
    fraction = 0;
  }
  // Written as negated comparisons so NaN and ±Infinity fail them too.
  if (!(wallMs >= 0 && seconds <= MAX_U32)) {
    throw new RangeError(
      `pcap timestamp ${wallMs} ms is outside 1970-01-01..2106-02-07 (32-bit seconds)`,
    );
  }
  return { seconds, fraction };
}

function requireInteger(what: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${what} must be an integer from ${min} to ${max}, not ${value}`);
  }
}
