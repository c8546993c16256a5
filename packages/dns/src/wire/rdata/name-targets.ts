// The types whose RDATA is one domain name: NS, CNAME, PTR (RFC 1035 §3.3) and DNAME
// (RFC 6672 §2.1), made by one factory that differs only in the field name and compression.

import { RecordType } from '../constants.ts';
import type { DnsName } from '../name.ts';
import type { RdataCodec } from './rdata-codec.ts';
import type { CnameData, DnameData, NsData, PtrData } from './record-data.ts';
import { parseFields } from './text-fields.ts';

interface SingleNameSpec<D extends NsData | CnameData | DnameData | PtrData> {
  readonly type: number;
  readonly kind: D['kind'];
  /** What error messages call the name. */
  readonly field: string;
  /** Only RFC 1035's own types may be compressed (RFC 3597 §4). */
  readonly compress: boolean;
  readonly make: (name: DnsName) => D;
  readonly name: (data: D) => DnsName;
}

function singleNameCodec<D extends NsData | CnameData | DnameData | PtrData>(
  spec: SingleNameSpec<D>,
): RdataCodec<D> {
  return {
    type: spec.type,
    kind: spec.kind,
    decode: (reader) => spec.make(reader.name()),
    encode: (data, writer) => writer.name(spec.name(data), spec.compress),
    parseText: (tokens, origin) =>
      parseFields(tokens, origin, (fields) => spec.make(fields.name(spec.field))),
    formatText: (data) => spec.name(data).toString(),
  };
}

export const nsCodec = singleNameCodec<NsData>({
  type: RecordType.NS,
  kind: 'NS',
  field: 'host',
  compress: true,
  make: (host) => ({ kind: 'NS', host }),
  name: (data) => data.host,
});

export const cnameCodec = singleNameCodec<CnameData>({
  type: RecordType.CNAME,
  kind: 'CNAME',
  field: 'target',
  compress: true,
  make: (target) => ({ kind: 'CNAME', target }),
  name: (data) => data.target,
});

export const ptrCodec = singleNameCodec<PtrData>({
  type: RecordType.PTR,
  kind: 'PTR',
  field: 'target',
  compress: true,
  make: (target) => ({ kind: 'PTR', target }),
  name: (data) => data.target,
});

// RFC 6672 §2.1: the DNAME target is sent uncompressed (unlike RFC 2672), as RFC 3597 §4 says.
export const dnameCodec = singleNameCodec<DnameData>({
  type: RecordType.DNAME,
  kind: 'DNAME',
  field: 'target',
  compress: false,
  make: (target) => ({ kind: 'DNAME', target }),
  name: (data) => data.target,
});
