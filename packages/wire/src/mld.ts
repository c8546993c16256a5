// Multicast Listener Discovery, the host's side: queries are read, in both versions (MLDv1, RFC
// 2710 §3; MLDv2, RFC 3810 §5.1), and MLDv2 reports are written (RFC 3810 §5.2) and read back.
// Like NDP, these are ICMPv6 messages: `parseMldQuery` and `parseMldv2Report` read the body after
// the 4-byte ICMPv6 header (`Icmpv6OtherRepr.body`, checksum already verified), and
// `emitMldv2Report` writes a whole ICMPv6 message, checksum included.
//
// The caller checks what depends on the IP header: queries come from a link-local source (RFC
// 3810 §5.1.14), with hop limit 1 and a Router Alert hop-by-hop option (§5); reports go to
// ff02::16 (§5.2.14) with the same hop limit and Router Alert, headers the stack adds. A report
// must fit the link MTU: splitting records over several reports (§5.2.15) is the caller's job.
// Not supported: sending MLDv1 reports and Done messages (MLDv1 compatibility mode, §8.2).

import { err, ok, type Result, readU16BE, writeU16BE } from '@oasis/core';
import { ICMPV6_HEADER_LENGTH, writeIcmpv6Checksum } from './icmpv6.ts';
import { IPV6_ADDRESS_LENGTH, isIpv6Multicast, isIpv6Unspecified } from './ipv6-address.ts';
import { wireErrors } from './wire-error.ts';

// ICMPv6 message types (RFC 2710 §3; RFC 3810 §5).
export const MLD_QUERY = 130;
export const MLD_V1_REPORT = 131;
export const MLD_V1_DONE = 132;
export const MLD_V2_REPORT = 143;

// Multicast address record types (RFC 3810 §5.2.12).
export const MLD_MODE_IS_INCLUDE = 1;
export const MLD_MODE_IS_EXCLUDE = 2;
export const MLD_CHANGE_TO_INCLUDE_MODE = 3;
export const MLD_CHANGE_TO_EXCLUDE_MODE = 4;
export const MLD_ALLOW_NEW_SOURCES = 5;
export const MLD_BLOCK_OLD_SOURCES = 6;

/** An MLDv1 message body: delay, reserved, address (RFC 2710 §3: a 24-byte message). */
const V1_BODY_LENGTH = 20;
/** An MLDv2 query body before its sources (RFC 3810 §5.1: a message of at least 28 bytes). */
const V2_QUERY_FIXED_LENGTH = 24;
/** A report body before its records: reserved, number of records (RFC 3810 §5.2). */
const REPORT_FIXED_LENGTH = 4;
/** A record before its sources: type, aux data length, number of sources, address (§5.2.4). */
const RECORD_FIXED_LENGTH = 20;

export const MLD_ERRORS = wireErrors('mld', ['bad-length', 'truncated', 'bad-address'] as const);
export type MldError = (typeof MLD_ERRORS)[keyof typeof MLD_ERRORS];

interface MldQueryFields {
  /** How long a host may wait before it reports, in milliseconds. */
  readonly maxResponseDelayMs: number;
  /** 16 bytes: `::` for a General Query, else the multicast address queried. */
  readonly multicastAddress: Uint8Array;
  /** 16-byte source addresses of a Multicast Address and Source Specific Query. */
  readonly sources: readonly Uint8Array[];
}

/** An MLDv1 query (RFC 2710 §3): it asks for MLDv1 reports (RFC 3810 §8.2.1). */
export interface Mldv1Query extends MldQueryFields {
  readonly version: 1;
}

/** An MLDv2 query (RFC 3810 §5.1). */
export interface Mldv2Query extends MldQueryFields {
  readonly version: 2;
  /** S (§5.1.7): routers suppress their timer updates; hosts ignore it. */
  readonly suppressRouterProcessing: boolean;
  /** QRV (§5.1.8): the querier's Robustness Variable; 0 when above 7. */
  readonly robustness: number;
  /** QQI (§5.1.9): the querier's query interval in seconds, decoded from QQIC. */
  readonly queryIntervalS: number;
}

export type MldQuery = Mldv1Query | Mldv2Query;

/**
 * Decodes the floating-point codes of RFC 3810: below 2^(mantissaBits + 3), the value itself;
 * above, a 1 flag bit, a 3-bit exponent and the mantissa, worth (mantissa | 2^mantissaBits) <<
 * (exponent + 3). The Maximum Response Code has a 12-bit mantissa (§5.1.3), QQIC a 4-bit one
 * (§5.1.9).
 */
function decodeFloatingCode(code: number, mantissaBits: number): number {
  if (code < 1 << (mantissaBits + 3)) return code;
  const mantissa = code & ((1 << mantissaBits) - 1);
  const exponent = (code >>> mantissaBits) & 0x7;
  return (mantissa | (1 << mantissaBits)) << (exponent + 3);
}

/** The Maximum Response Delay in milliseconds that an MLDv2 Maximum Response Code stands for. */
export function mldMaxResponseDelayMs(code: number): number {
  return decodeFloatingCode(code, 12);
}

/**
 * Reads a Multicast Listener Query (type 130) from its ICMPv6 body. The version is told by the
 * length (RFC 3810 §8.1): a 24-byte message is MLDv1, one of 28 bytes or more is MLDv2, and any
 * other is refused ('bad-length'). An MLDv2 query's bytes past its sources are ignored (§5.1.12).
 * The addresses are views of `body`: copy what you keep.
 */
export function parseMldQuery(body: Uint8Array): Result<MldQuery, MldError> {
  const isV1 = body.length === V1_BODY_LENGTH;
  if (!isV1 && body.length < V2_QUERY_FIXED_LENGTH) return err(MLD_ERRORS['bad-length']);
  const multicastAddress = body.subarray(4, 20);
  // §5.1.5: zero for a General Query, else the multicast address queried.
  if (!isIpv6Unspecified(multicastAddress) && !isIpv6Multicast(multicastAddress))
    return err(MLD_ERRORS['bad-address']);
  if (isV1) {
    // RFC 2710 §3.4: the delay in milliseconds.
    return ok({
      version: 1,
      maxResponseDelayMs: readU16BE(body, 0),
      multicastAddress,
      sources: [],
    });
  }
  const count = readU16BE(body, 22);
  if (V2_QUERY_FIXED_LENGTH + count * IPV6_ADDRESS_LENGTH > body.length) {
    return err(MLD_ERRORS.truncated);
  }
  const sources = addressesAt(body, V2_QUERY_FIXED_LENGTH, count);
  return ok({
    version: 2,
    maxResponseDelayMs: mldMaxResponseDelayMs(readU16BE(body, 0)),
    multicastAddress,
    sources,
    suppressRouterProcessing: (body[20]! & 0x08) !== 0,
    robustness: body[20]! & 0x07,
    queryIntervalS: decodeFloatingCode(body[21]!, 4),
  });
}

/** `count` 16-byte views of `bytes` from `offset`, which the caller checked fit. */
function addressesAt(bytes: Uint8Array, offset: number, count: number): Uint8Array[] {
  const addresses: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const at = offset + i * IPV6_ADDRESS_LENGTH;
    addresses.push(bytes.subarray(at, at + IPV6_ADDRESS_LENGTH));
  }
  return addresses;
}

/** A Multicast Address Record (RFC 3810 §5.2.4). */
export interface MldRecord {
  /** `MLD_MODE_IS_INCLUDE` ... `MLD_BLOCK_OLD_SOURCES` (1-6, §5.2.12). */
  readonly type: number;
  /** The 16-byte multicast address. */
  readonly address: Uint8Array;
  /** 16-byte source addresses; none when absent. */
  readonly sources?: readonly Uint8Array[] | undefined;
}

/** The whole ICMPv6 message `emitMldv2Report` writes for `records`. */
export function mldv2ReportLength(records: readonly MldRecord[]): number {
  let length = ICMPV6_HEADER_LENGTH + REPORT_FIXED_LENGTH;
  for (const record of records) {
    length += RECORD_FIXED_LENGTH + (record.sources?.length ?? 0) * IPV6_ADDRESS_LENGTH;
  }
  return length;
}

function checkAddress(address: Uint8Array, name: string): void {
  if (address.length !== IPV6_ADDRESS_LENGTH) {
    throw new RangeError(`an MLD ${name} has 16 bytes, got ${address.length}`);
  }
}

/**
 * Writes an MLDv2 Report (type 143, RFC 3810 §5.2) of `records`, no auxiliary data, at the start
 * of `buffer` and returns its length, `mldv2ReportLength(records)`. `pseudoSum` is
 * `ipv6PseudoHeaderSum(source, ff02::16, IP_PROTOCOL_ICMPV6, length)`. Throws RangeError for a
 * buffer too short, a record type outside 1-6, more than 65535 records or sources, or an address
 * that is not 16 bytes (programmer errors).
 */
export function emitMldv2Report(
  records: readonly MldRecord[],
  buffer: Uint8Array,
  pseudoSum: number,
): number {
  const length = mldv2ReportLength(records);
  if (buffer.length < length) {
    throw new RangeError(`MLDv2 report needs ${length} bytes, buffer has ${buffer.length}`);
  }
  if (records.length > 0xffff) {
    throw new RangeError(`an MLDv2 report has at most 65535 records, got ${records.length}`);
  }
  const message = buffer.subarray(0, length);
  // Type, code 0, checksum, reserved, then the number of records (§5.2).
  message.fill(0, 0, ICMPV6_HEADER_LENGTH + REPORT_FIXED_LENGTH);
  message[0] = MLD_V2_REPORT;
  writeU16BE(message, 6, records.length);
  let at = ICMPV6_HEADER_LENGTH + REPORT_FIXED_LENGTH;
  for (const record of records) {
    const sources = record.sources ?? [];
    if (!(Number.isInteger(record.type) && record.type >= 1 && record.type <= 6)) {
      throw new RangeError(`an MLDv2 record type is 1-6 (RFC 3810 §5.2.12), got ${record.type}`);
    }
    if (sources.length > 0xffff) {
      throw new RangeError(`an MLDv2 record has at most 65535 sources, got ${sources.length}`);
    }
    checkAddress(record.address, 'multicast address');
    message[at] = record.type;
    message[at + 1] = 0; // Aux Data Len: MLDv2 hosts send none (§5.2.6).
    writeU16BE(message, at + 2, sources.length);
    message.set(record.address, at + 4);
    at += RECORD_FIXED_LENGTH;
    for (const source of sources) {
      checkAddress(source, 'source address');
      message.set(source, at);
      at += IPV6_ADDRESS_LENGTH;
    }
  }
  writeIcmpv6Checksum(message, pseudoSum);
  return length;
}

/** A record as read from a report: sources always present (possibly empty). */
export interface MldParsedRecord extends MldRecord {
  readonly sources: readonly Uint8Array[];
}

/**
 * Reads an MLDv2 Report (type 143) from its ICMPv6 body: for routers, captures and tests (a host
 * does not act on other hosts' reports). Records keep their type whatever it is, and their
 * auxiliary data is skipped (§5.2.10); bytes after the last record are ignored. The addresses are
 * views of `body`.
 */
export function parseMldv2Report(body: Uint8Array): Result<MldParsedRecord[], MldError> {
  if (body.length < REPORT_FIXED_LENGTH) return err(MLD_ERRORS.truncated);
  const count = readU16BE(body, 2);
  const records: MldParsedRecord[] = [];
  let at = REPORT_FIXED_LENGTH;
  for (let i = 0; i < count; i++) {
    if (at + RECORD_FIXED_LENGTH > body.length) return err(MLD_ERRORS.truncated);
    const sourceCount = readU16BE(body, at + 2);
    const sourcesAt = at + RECORD_FIXED_LENGTH;
    // Aux Data Len counts 32-bit words (§5.2.6).
    const end = sourcesAt + sourceCount * IPV6_ADDRESS_LENGTH + body[at + 1]! * 4;
    if (end > body.length) return err(MLD_ERRORS.truncated);
    records.push({
      type: body[at]!,
      address: body.subarray(at + 4, at + 20),
      sources: addressesAt(body, sourcesAt, sourceCount),
    });
    at = end;
  }
  return ok(records);
}
