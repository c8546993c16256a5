// DNS messages (RFC 1035 §4.1): header, question, answer, authority and additional sections.
// The OPT pseudo-record (RFC 6891) is lifted out of the additional section into `edns`, and its
// extended RCODE bits merged into `rcode`. Decoding refuses what RFC 1035 and RFC 6891 forbid
// with a DnsWireError; encoding compresses names and, given a size limit, truncates whole RRsets
// and sets TC (RFC 2181 §9).

import { err, ok, type Result } from '@oasis/core';
import { RecordType } from './constants.ts';
import { DnsReader } from './dns-reader.ts';
import { type DnsWireError, dnsWireError, isDnsWireError } from './dns-wire-error.ts';
import { DnsMessageOverflow, DnsWriter } from './dns-writer.ts';
import type { DnsName } from './name.ts';
import type { RecordData } from './rdata/record-data.ts';
import { decodeRdata, encodeRdata } from './rdata/registry.ts';

export const HEADER_LENGTH = 12;

export interface DnsQuestion {
  readonly name: DnsName;
  readonly type: number;
  readonly class: number;
}

export interface DnsRecord {
  readonly name: DnsName;
  readonly type: number;
  readonly class: number;
  /** Seconds, as received: RFC 2181 §8 says to read values with the top bit set as 0. */
  readonly ttl: number;
  readonly data: RecordData;
}

export interface EdnsOption {
  readonly code: number;
  readonly data: Uint8Array;
}

/** The OPT record's content (RFC 6891 §6.1.3). */
export interface Edns {
  /** The largest UDP payload the sender can receive (the OPT record's CLASS). */
  readonly udpPayloadSize: number;
  readonly version: number;
  /** DNSSEC OK (RFC 3225). */
  readonly dnssecOk: boolean;
  /** The other 15 flag bits, kept as received (zero when sending, RFC 6891 §6.1.4). */
  readonly zFlags: number;
  readonly options: readonly EdnsOption[];
}

export interface DnsMessage {
  readonly id: number;
  /** Response (true) or query. */
  readonly qr: boolean;
  readonly opcode: number;
  readonly aa: boolean;
  readonly tc: boolean;
  readonly rd: boolean;
  readonly ra: boolean;
  /** The reserved header bit, kept as received. */
  readonly z: boolean;
  /** Authentic data (RFC 4035 §3.2.3). */
  readonly ad: boolean;
  /** Checking disabled (RFC 4035 §3.2.2). */
  readonly cd: boolean;
  /** 0-15, or 0-4095 with EDNS (the upper 8 bits travel in the OPT record). */
  readonly rcode: number;
  readonly questions: readonly DnsQuestion[];
  readonly answers: readonly DnsRecord[];
  readonly authorities: readonly DnsRecord[];
  /** Without the OPT record, which is `edns`. */
  readonly additionals: readonly DnsRecord[];
  readonly edns?: Edns;
}

/** The header fields any message of 12 bytes or more has, for answering one that fails to decode. */
export interface DnsHeaderPeek {
  readonly id: number;
  readonly qr: boolean;
  readonly opcode: number;
}

export function peekHeader(bytes: Uint8Array): DnsHeaderPeek | undefined {
  if (bytes.length < HEADER_LENGTH) return undefined;
  return { id: (bytes[0]! << 8) | bytes[1]!, qr: bytes[2]! >= 0x80, opcode: (bytes[2]! >> 3) & 15 };
}

const BAD_OPT = dnsWireError('bad-opt');
const BAD_COUNT = dnsWireError('bad-count');
const TRAILING_DATA = dnsWireError('trailing-data');

export function decodeMessage(bytes: Uint8Array): Result<DnsMessage, DnsWireError> {
  try {
    return ok(readMessage(new DnsReader(bytes)));
  } catch (error) {
    if (isDnsWireError(error)) return err(error);
    throw error;
  }
}

function readMessage(reader: DnsReader): DnsMessage {
  const id = reader.u16();
  const flags = reader.u16();
  const qdCount = reader.u16();
  const anCount = reader.u16();
  const nsCount = reader.u16();
  const arCount = reader.u16();
  // A question takes at least 5 bytes and a record 11: refuse counts no message could hold
  // before allocating anything for them.
  if (qdCount * 5 + (anCount + nsCount + arCount) * 11 > reader.remaining) throw BAD_COUNT;
  const questions: DnsQuestion[] = [];
  for (let i = 0; i < qdCount; i++) {
    questions.push({ name: reader.name(), type: reader.u16(), class: reader.u16() });
  }
  const answers = readSection(reader, anCount);
  const authorities = readSection(reader, nsCount);
  const additionals: DnsRecord[] = [];
  let edns: Edns | undefined;
  let extendedRcode = 0;
  for (let i = 0; i < arCount; i++) {
    const name = reader.name();
    const type = reader.u16();
    if (type === RecordType.OPT) {
      // RFC 6891 §6.1.1: one OPT record at most, owned by the root.
      if (edns !== undefined || !name.isRoot) throw BAD_OPT;
      const udpPayloadSize = reader.u16();
      extendedRcode = reader.u8();
      const version = reader.u8();
      const ednsFlags = reader.u16();
      const end = reader.u16() + reader.offset;
      if (end > reader.end) throw dnsWireError('truncated');
      const options: EdnsOption[] = [];
      while (reader.offset < end) {
        const code = reader.u16();
        const length = reader.u16();
        if (reader.offset + length > end) throw BAD_OPT;
        options.push({ code, data: reader.bytes(length) });
      }
      edns = {
        udpPayloadSize,
        version,
        dnssecOk: (ednsFlags & 0x8000) !== 0,
        zFlags: ednsFlags & 0x7fff,
        options,
      };
    } else {
      additionals.push(readRecordAfterType(reader, name, type));
    }
  }
  if (reader.remaining !== 0) throw TRAILING_DATA;
  const message: DnsMessage = {
    id,
    qr: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 15,
    aa: (flags & 0x0400) !== 0,
    tc: (flags & 0x0200) !== 0,
    rd: (flags & 0x0100) !== 0,
    ra: (flags & 0x0080) !== 0,
    z: (flags & 0x0040) !== 0,
    ad: (flags & 0x0020) !== 0,
    cd: (flags & 0x0010) !== 0,
    rcode: (extendedRcode << 4) | (flags & 15),
    questions,
    answers,
    authorities,
    additionals,
  };
  return edns === undefined ? message : { ...message, edns };
}

function readSection(reader: DnsReader, count: number): DnsRecord[] {
  const records: DnsRecord[] = [];
  for (let i = 0; i < count; i++) {
    const name = reader.name();
    const type = reader.u16();
    // RFC 6891 §6.1.1: OPT belongs in the additional section only.
    if (type === RecordType.OPT) throw BAD_OPT;
    records.push(readRecordAfterType(reader, name, type));
  }
  return records;
}

function readRecordAfterType(reader: DnsReader, name: DnsName, type: number): DnsRecord {
  const recordClass = reader.u16();
  const ttl = reader.u32();
  const length = reader.u16();
  const end = reader.offset + length;
  if (end > reader.end) throw dnsWireError('truncated');
  const messageEnd = reader.end;
  reader.end = end;
  const data = decodeRdata(type, reader);
  reader.end = messageEnd;
  return { name, type, class: recordClass, ttl, data };
}

export interface EncodeOptions {
  /**
   * The largest message to produce (a UDP answer's limit: 512, or the EDNS size the client
   * offered, RFC 6891 §6.2.5). Over it, RRsets that do not fit in the answer and authority
   * sections are left out with TC set; additional records that do not fit are left out without
   * it (RFC 2181 §9). The OPT record is always kept (RFC 6891 §7).
   */
  readonly maxLength?: number;
  /** A writer to reuse (a server answering many queries); its buffer is reset. */
  readonly writer?: DnsWriter;
}

/**
 * The message in wire form. Throws RangeError for values the wire cannot hold (an RCODE above
 * 15 without EDNS, a character-string over 255 bytes, a message over 65,535 bytes).
 */
export function encodeMessage(message: DnsMessage, options: EncodeOptions = {}): Uint8Array {
  const writer = options.writer ?? new DnsWriter();
  writeMessage(message, writer, options.maxLength ?? 65_535);
  return writer.finish();
}

function writeMessage(message: DnsMessage, writer: DnsWriter, maxLength: number): void {
  const { edns } = message;
  if (message.rcode > (edns === undefined ? 15 : 4095) || message.rcode < 0) {
    throw new RangeError(
      `RCODE ${message.rcode} needs EDNS (values over 15) or is out of range (0-4095)`,
    );
  }
  writer.reset();
  writer.u16(message.id);
  const flagsAt = writer.reserveU16();
  writer.u16(message.questions.length);
  const countsAt = writer.offset;
  writer.u16(0);
  writer.u16(0);
  writer.u16(0);
  for (const question of message.questions) {
    writer.name(question.name, true);
    writer.u16(question.type);
    writer.u16(question.class);
  }
  const limit = maxLength - (edns === undefined ? 0 : optLength(edns));
  let truncated = message.tc;
  const answerCount = writeSection(writer, message.answers, limit);
  let authorityCount = 0;
  let additionalCount = 0;
  if (answerCount < message.answers.length) truncated = true;
  else {
    authorityCount = writeSection(writer, message.authorities, limit);
    if (authorityCount < message.authorities.length) truncated = true;
    else additionalCount = writeSection(writer, message.additionals, limit);
  }
  if (edns !== undefined) {
    writeOpt(writer, edns, message.rcode >> 4);
    additionalCount += 1;
  }
  writer.patchU16(countsAt, answerCount);
  writer.patchU16(countsAt + 2, authorityCount);
  writer.patchU16(countsAt + 4, additionalCount);
  writer.patchU16(
    flagsAt,
    (message.qr ? 0x8000 : 0) |
      ((message.opcode & 15) << 11) |
      (message.aa ? 0x0400 : 0) |
      (truncated ? 0x0200 : 0) |
      (message.rd ? 0x0100 : 0) |
      (message.ra ? 0x0080 : 0) |
      (message.z ? 0x0040 : 0) |
      (message.ad ? 0x0020 : 0) |
      (message.cd ? 0x0010 : 0) |
      (message.rcode & 15),
  );
}

/** Writes records while they fit under `limit`; returns how many were written, ending on an RRset boundary. */
function writeSection(writer: DnsWriter, records: readonly DnsRecord[], limit: number): number {
  let rrsetStart = writer.mark();
  let rrsetFirst = 0;
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!;
    const previous = records[i - 1];
    if (previous === undefined || !sameRrset(previous, record)) {
      rrsetStart = writer.mark();
      rrsetFirst = i;
    }
    if (!tryWriteRecord(writer, record, limit)) {
      writer.rollback(rrsetStart);
      return rrsetFirst;
    }
  }
  return records.length;
}

function tryWriteRecord(writer: DnsWriter, record: DnsRecord, limit: number): boolean {
  try {
    writeRecord(writer, record);
  } catch (error) {
    // Only the writer's 65,535-byte ceiling is a size problem; anything else is a bad value.
    if (error instanceof DnsMessageOverflow) return false;
    throw error;
  }
  return writer.offset <= limit;
}

const COMPRESSIBLE_OWNER = true;

export function writeRecord(writer: DnsWriter, record: DnsRecord): void {
  writer.name(record.name, COMPRESSIBLE_OWNER);
  writer.u16(record.type);
  writer.u16(record.class);
  writer.u32(record.ttl >>> 0);
  const lengthAt = writer.reserveU16();
  const start = writer.offset;
  encodeRdata(record.type, record.data, writer);
  writer.patchU16(lengthAt, writer.offset - start);
}

function sameRrset(a: DnsRecord, b: DnsRecord): boolean {
  return a.type === b.type && a.class === b.class && a.name.equals(b.name);
}

function optLength(edns: Edns): number {
  let length = 11;
  for (const option of edns.options) length += 4 + option.data.length;
  return length;
}

function writeOpt(writer: DnsWriter, edns: Edns, extendedRcode: number): void {
  writer.u8(0);
  writer.u16(RecordType.OPT);
  writer.u16(edns.udpPayloadSize);
  writer.u8(extendedRcode);
  writer.u8(edns.version);
  writer.u16((edns.dnssecOk ? 0x8000 : 0) | (edns.zFlags & 0x7fff));
  const lengthAt = writer.reserveU16();
  const start = writer.offset;
  for (const option of edns.options) {
    writer.u16(option.code);
    writer.u16(option.data.length);
    writer.bytes(option.data);
  }
  writer.patchU16(lengthAt, writer.offset - start);
}

/** A query for one question, RD set, as a stub resolver sends it. */
export function makeQuery(
  id: number,
  question: DnsQuestion,
  options: { readonly rd?: boolean; readonly edns?: Edns; readonly cd?: boolean } = {},
): DnsMessage {
  const query: DnsMessage = {
    id,
    qr: false,
    opcode: 0,
    aa: false,
    tc: false,
    rd: options.rd ?? true,
    ra: false,
    z: false,
    ad: false,
    cd: options.cd ?? false,
    rcode: 0,
    questions: [question],
    answers: [],
    authorities: [],
    additionals: [],
  };
  return options.edns === undefined ? query : { ...query, edns: options.edns };
}
