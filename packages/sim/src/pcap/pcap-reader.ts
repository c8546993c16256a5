// Reads a classic pcap file (pcap-format.ts) into its header fields and records, without copying
// packet data. Never throws: anything malformed is an Err that says what is wrong and at which
// byte (draft-ietf-opsawg-pcap §7: a reader MUST check headers and packets).
//
// Leniency follows the draft where it speaks to readers, and libpcap (sf-pcap.c) where it does not:
// - either byte order and either resolution (§4); reserved1/reserved2 ignored (§4: MUST be);
//   the bits above the 16-bit link type (FCS length, reserved) ignored;
// - only version 2.4 (§4). libpcap also reads 2.0-2.3, guessing whether the captured and original
//   lengths were swapped as some writers of the 1990s did; nothing current writes those;
// - a record whose captured length exceeds the snap length is accepted up to
//   max(snap length, 262144) bytes and rejected beyond, as libpcap does (it accepts up to its
//   per-link-type maximum, 262144 for Ethernet; it cuts such a record to the snap length, where
//   this reader returns every captured byte, which costs nothing and hides nothing);
// - an original length below the captured length is returned as is (§5: a file copied from one
//   with such records may have them, and a reader MAY but need not fix them up);
// - a timestamp fraction of a second or more is rejected: it is no point in time (§5), and
//   usually means a corrupt header or the wrong resolution.

import {
  err,
  ok,
  type Result,
  readU16BE,
  readU16LE,
  readU32BE,
  readU32LE,
  toHex,
} from '@oasis/core';
import {
  fractionUnitsPerMs,
  PCAP_DEFAULT_SNAP_LENGTH,
  PCAP_FILE_HEADER_LENGTH,
  PCAP_MAGIC_MICROSECONDS,
  PCAP_MAGIC_NANOSECONDS,
  PCAP_RECORD_HEADER_LENGTH,
  PCAP_VERSION_MAJOR,
  PCAP_VERSION_MINOR,
  type PcapResolution,
} from './pcap-format.ts';

export type PcapByteOrder = 'little' | 'big';

export interface PcapRecord {
  /** Whole seconds since 1970-01-01 00:00:00 UTC. */
  readonly seconds: number;
  /** Microseconds or nanoseconds past `seconds`, per the file's resolution. */
  readonly fraction: number;
  /** The timestamp in milliseconds since the epoch, to the nearest double (ns need not survive). */
  readonly wallMs: number;
  /** The captured bytes: a view into the input, not a copy. */
  readonly data: Uint8Array;
  /** The packet's length on the wire; more than `data.length` when the capture cut it. */
  readonly originalLength: number;
}

export interface PcapFile {
  readonly byteOrder: PcapByteOrder;
  readonly resolution: PcapResolution;
  readonly versionMajor: number;
  readonly versionMinor: number;
  readonly snapLength: number;
  /** The LINKTYPE_* value, the low 16 bits of the header's link type field. */
  readonly linkType: number;
  readonly records: readonly PcapRecord[];
}

export type PcapErrorReason =
  | 'truncated-file-header'
  | 'bad-magic'
  | 'unsupported-version'
  | 'truncated-record-header'
  | 'truncated-record-data'
  | 'record-longer-than-snaplen'
  | 'fraction-out-of-range';

export interface PcapError {
  readonly reason: PcapErrorReason;
  /** Where in the input: the file header field at fault, or the start of the record at fault. */
  readonly offset: number;
  /** For an error in a record, its index in `records`, counting from 0. */
  readonly recordIndex?: number;
  readonly message: string;
}

/** The first four bytes of a pcapng file: its Section Header Block type (draft-ietf-opsawg-pcapng). */
const PCAPNG_BLOCK_TYPE = '0a0d0d0a';

export function readPcap(bytes: Uint8Array): Result<PcapFile, PcapError> {
  if (bytes.length < PCAP_FILE_HEADER_LENGTH) {
    return fileError(
      'truncated-file-header',
      0,
      `the file is ${bytes.length} bytes long, shorter than the ${PCAP_FILE_HEADER_LENGTH}-byte file header`,
    );
  }
  const byteOrder = byteOrderOf(bytes);
  if (byteOrder === undefined) return fileError('bad-magic', 0, badMagicDetail(bytes));
  const readU16 = byteOrder === 'little' ? readU16LE : readU16BE;
  const readU32 = byteOrder === 'little' ? readU32LE : readU32BE;

  const resolution: PcapResolution = readU32(bytes, 0) === PCAP_MAGIC_NANOSECONDS ? 'ns' : 'us';
  const versionMajor = readU16(bytes, 4);
  const versionMinor = readU16(bytes, 6);
  if (versionMajor !== PCAP_VERSION_MAJOR || versionMinor !== PCAP_VERSION_MINOR) {
    return fileError(
      'unsupported-version',
      4,
      `version ${versionMajor}.${versionMinor} is not supported, only ${PCAP_VERSION_MAJOR}.${PCAP_VERSION_MINOR}`,
    );
  }
  const snapLength = readU32(bytes, 16);
  const linkType = readU32(bytes, 20) & 0xffff;

  const maxCaptured = Math.max(snapLength, PCAP_DEFAULT_SNAP_LENGTH);
  const unitsPerMs = fractionUnitsPerMs(resolution);
  const records: PcapRecord[] = [];
  for (let offset = PCAP_FILE_HEADER_LENGTH; offset < bytes.length; ) {
    const index = records.length;
    const dataStart = offset + PCAP_RECORD_HEADER_LENGTH;
    if (dataStart > bytes.length) {
      const detail = `only ${bytes.length - offset} of the ${PCAP_RECORD_HEADER_LENGTH} header bytes remain (file truncated?)`;
      return recordError('truncated-record-header', offset, index, detail);
    }
    const seconds = readU32(bytes, offset);
    const fraction = readU32(bytes, offset + 4);
    const captured = readU32(bytes, offset + 8);
    const originalLength = readU32(bytes, offset + 12);
    if (captured > maxCaptured) {
      const detail = `header says ${captured} captured bytes, more than the snap length ${snapLength} and the ${PCAP_DEFAULT_SNAP_LENGTH}-byte limit (corrupt header?)`;
      return recordError('record-longer-than-snaplen', offset, index, detail);
    }
    if (fraction >= 1000 * unitsPerMs) {
      const detail = `timestamp fraction ${fraction} ${resolution} is a second or more (corrupt header?)`;
      return recordError('fraction-out-of-range', offset, index, detail);
    }
    if (captured > bytes.length - dataStart) {
      const detail = `header says ${captured} captured bytes but only ${bytes.length - dataStart} remain (file truncated?)`;
      return recordError('truncated-record-data', offset, index, detail);
    }
    const data = bytes.subarray(dataStart, dataStart + captured);
    records.push({
      seconds,
      fraction,
      wallMs: seconds * 1000 + fraction / unitsPerMs,
      data,
      originalLength,
    });
    offset = dataStart + captured;
  }
  return ok({ byteOrder, resolution, versionMajor, versionMinor, snapLength, linkType, records });
}

function byteOrderOf(bytes: Uint8Array): PcapByteOrder | undefined {
  if (isMagic(readU32LE(bytes, 0))) return 'little';
  if (isMagic(readU32BE(bytes, 0))) return 'big';
  return undefined;
}

function isMagic(value: number): boolean {
  return value === PCAP_MAGIC_MICROSECONDS || value === PCAP_MAGIC_NANOSECONDS;
}

function badMagicDetail(bytes: Uint8Array): string {
  const first = toHex(bytes.subarray(0, 4));
  if (first === PCAPNG_BLOCK_TYPE) {
    return 'this is a pcapng file, not a pcap file; write pcap with `tshark -F pcap` or convert with `editcap -F pcap`';
  }
  return `starts with bytes ${first}, not a pcap magic number (a1b2c3d4 or a1b23c4d, in either byte order)`;
}

function fileError(
  reason: PcapErrorReason,
  offset: number,
  detail: string,
): Result<never, PcapError> {
  return err({ reason, offset, message: `pcap file header at byte ${offset}: ${detail}` });
}

function recordError(
  reason: PcapErrorReason,
  offset: number,
  recordIndex: number,
  detail: string,
): Result<never, PcapError> {
  return err({
    reason,
    offset,
    recordIndex,
    message: `pcap record ${recordIndex} at byte ${offset}: ${detail}`,
  });
}
