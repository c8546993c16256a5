// Numbers of the DNS protocol (IANA "Domain Name System (DNS) Parameters") and their mnemonics.

/** Resource record types (RFC 1035 §3.2.2 and the RFCs named per type). */
export const RecordType = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  HINFO: 13,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  DNAME: 39,
  OPT: 41,
  DS: 43,
  SSHFP: 44,
  RRSIG: 46,
  NSEC: 47,
  DNSKEY: 48,
  NSEC3: 50,
  NSEC3PARAM: 51,
  TLSA: 52,
  CDS: 59,
  CDNSKEY: 60,
  OPENPGPKEY: 61,
  CSYNC: 62,
  ZONEMD: 63,
  SVCB: 64,
  HTTPS: 65,
  IXFR: 251,
  AXFR: 252,
  ANY: 255,
  URI: 256,
  CAA: 257,
} as const;

export type RecordTypeName = keyof typeof RecordType;

const TYPE_NAMES = new Map<number, string>(Object.entries(RecordType).map(([k, v]) => [v, k]));

/** The mnemonic of a type, or `TYPE<n>` (RFC 3597 §5). */
export function recordTypeName(type: number): string {
  return TYPE_NAMES.get(type) ?? `TYPE${type}`;
}

/** A type from its mnemonic or `TYPE<n>`, case-insensitively; undefined when unknown. */
export function parseRecordType(text: string): number | undefined {
  const upper = text.toUpperCase();
  const known = (RecordType as Record<string, number>)[upper];
  if (known !== undefined) return known;
  const generic = /^TYPE(\d{1,5})$/.exec(upper);
  if (generic === null) return undefined;
  const value = Number(generic[1]);
  return value <= 0xffff ? value : undefined;
}

/** Classes (RFC 1035 §3.2.4, RFC 2136 §2.4 for NONE/ANY). */
export const RecordClass = { IN: 1, CH: 3, HS: 4, NONE: 254, ANY: 255 } as const;

const CLASS_NAMES = new Map<number, string>(Object.entries(RecordClass).map(([k, v]) => [v, k]));

export function recordClassName(value: number): string {
  return CLASS_NAMES.get(value) ?? `CLASS${value}`;
}

export function parseRecordClass(text: string): number | undefined {
  const upper = text.toUpperCase();
  const known = (RecordClass as Record<string, number>)[upper];
  if (known !== undefined) return known;
  const generic = /^CLASS(\d{1,5})$/.exec(upper);
  if (generic === null) return undefined;
  const value = Number(generic[1]);
  return value <= 0xffff ? value : undefined;
}

/** Response codes, the 12-bit values once EDNS extends them (RFC 1035 §4.1.1, RFC 6891 §6.1.3). */
export const Rcode = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  YXDOMAIN: 6,
  YXRRSET: 7,
  NXRRSET: 8,
  NOTAUTH: 9,
  NOTZONE: 10,
  BADVERS: 16,
  BADCOOKIE: 23,
} as const;

const RCODE_NAMES = new Map<number, string>(Object.entries(Rcode).map(([k, v]) => [v, k]));

export function rcodeName(rcode: number): string {
  return RCODE_NAMES.get(rcode) ?? `RCODE${rcode}`;
}

export const Opcode = { QUERY: 0, IQUERY: 1, STATUS: 2, NOTIFY: 4, UPDATE: 5 } as const;

/** EDNS option codes (RFC 6891 §6.1.2 and the RFCs named). */
export const EdnsOptionCode = {
  /** RFC 5001 */
  NSID: 3,
  /** RFC 7871 */
  CLIENT_SUBNET: 8,
  /** RFC 7873 */
  COOKIE: 10,
  /** RFC 7828 */
  TCP_KEEPALIVE: 11,
  /** RFC 7830 */
  PADDING: 12,
  /** RFC 8914 */
  EXTENDED_ERROR: 15,
} as const;
