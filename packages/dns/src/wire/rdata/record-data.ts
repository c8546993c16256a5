// The data of a resource record, one shape per known type, and RFC 3597's opaque bytes for every
// other type. Each known shape keeps every field of its wire form, so that decoding then
// encoding gives the same bytes (names keep their case; nothing is normalised away).

import type { DnsName } from '../name.ts';

/** RFC 1035 §3.4.1: `address` is dotted-quad text. */
export interface AData {
  readonly kind: 'A';
  readonly address: string;
}

/** RFC 3596 §2.2: `address` is RFC 5952 text (lower case, longest zero run as `::`). */
export interface AaaaData {
  readonly kind: 'AAAA';
  readonly address: string;
}

/** RFC 1035 §3.3.11 */
export interface NsData {
  readonly kind: 'NS';
  readonly host: DnsName;
}

/** RFC 1035 §3.3.1 */
export interface CnameData {
  readonly kind: 'CNAME';
  readonly target: DnsName;
}

/** RFC 6672 §2.1 */
export interface DnameData {
  readonly kind: 'DNAME';
  readonly target: DnsName;
}

/** RFC 1035 §3.3.12 */
export interface PtrData {
  readonly kind: 'PTR';
  readonly target: DnsName;
}

/** RFC 1035 §3.3.13; the counters are unsigned 32-bit, the times seconds. */
export interface SoaData {
  readonly kind: 'SOA';
  readonly mname: DnsName;
  readonly rname: DnsName;
  readonly serial: number;
  readonly refresh: number;
  readonly retry: number;
  readonly expire: number;
  readonly minimum: number;
}

/** RFC 1035 §3.3.9 */
export interface MxData {
  readonly kind: 'MX';
  readonly preference: number;
  readonly exchange: DnsName;
}

/** RFC 1035 §3.3.14: one or more character-strings of 0-255 bytes. */
export interface TxtData {
  readonly kind: 'TXT';
  readonly strings: readonly Uint8Array[];
}

/** RFC 2782 */
export interface SrvData {
  readonly kind: 'SRV';
  readonly priority: number;
  readonly weight: number;
  readonly port: number;
  readonly target: DnsName;
}

/** RFC 8659 §4.1: `tag` is 1-15 ASCII letters and digits, `value` the rest of the RDATA. */
export interface CaaData {
  readonly kind: 'CAA';
  readonly flags: number;
  readonly tag: string;
  readonly value: Uint8Array;
}

/** A SvcParam (RFC 9460 §2.2): its key number and its value's wire bytes. */
export interface SvcParam {
  readonly key: number;
  readonly value: Uint8Array;
}

/** RFC 9460 §2.2; params in strictly increasing key order. */
export interface SvcbData {
  readonly kind: 'SVCB' | 'HTTPS';
  readonly priority: number;
  readonly target: DnsName;
  readonly params: readonly SvcParam[];
}

/** RFC 4034 §5.1 */
export interface DsData {
  readonly kind: 'DS';
  readonly keyTag: number;
  readonly algorithm: number;
  readonly digestType: number;
  readonly digest: Uint8Array;
}

/** RFC 4034 §2.1 */
export interface DnskeyData {
  readonly kind: 'DNSKEY';
  readonly flags: number;
  readonly protocol: number;
  readonly algorithm: number;
  readonly publicKey: Uint8Array;
}

/** RFC 4034 §3.1; expiration and inception are seconds since the epoch (serial arithmetic). */
export interface RrsigData {
  readonly kind: 'RRSIG';
  readonly typeCovered: number;
  readonly algorithm: number;
  readonly labels: number;
  readonly originalTtl: number;
  readonly expiration: number;
  readonly inception: number;
  readonly keyTag: number;
  readonly signerName: DnsName;
  readonly signature: Uint8Array;
}

/** RFC 4034 §4.1; `types` ascending, without duplicates. */
export interface NsecData {
  readonly kind: 'NSEC';
  readonly next: DnsName;
  readonly types: readonly number[];
}

/** RFC 5155 §3.2; `types` ascending, without duplicates. */
export interface Nsec3Data {
  readonly kind: 'NSEC3';
  readonly hashAlgorithm: number;
  readonly flags: number;
  readonly iterations: number;
  readonly salt: Uint8Array;
  readonly nextHashedOwner: Uint8Array;
  readonly types: readonly number[];
}

/** RFC 6698 §2.1 */
export interface TlsaData {
  readonly kind: 'TLSA';
  readonly usage: number;
  readonly selector: number;
  readonly matchingType: number;
  readonly data: Uint8Array;
}

/** RFC 4255 §3.1 */
export interface SshfpData {
  readonly kind: 'SSHFP';
  readonly algorithm: number;
  readonly fingerprintType: number;
  readonly fingerprint: Uint8Array;
}

/** Any other type, kept as its RDATA bytes (RFC 3597 §5: `\# length hex` in text). */
export interface OpaqueData {
  readonly kind: 'opaque';
  readonly bytes: Uint8Array;
}

export type RecordData =
  | AData
  | AaaaData
  | NsData
  | CnameData
  | DnameData
  | PtrData
  | SoaData
  | MxData
  | TxtData
  | SrvData
  | CaaData
  | SvcbData
  | DsData
  | DnskeyData
  | RrsigData
  | NsecData
  | Nsec3Data
  | TlsaData
  | SshfpData
  | OpaqueData;

export type RecordKind = RecordData['kind'];
