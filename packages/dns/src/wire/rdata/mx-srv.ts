// MX (RFC 1035 §3.3.9) and SRV (RFC 2782): numbers, then a host name. The MX exchange may be
// compressed; the SRV target may not (RFC 2782: "name compression is not to be used for this
// field"; RFC 3597 §4).

import { RecordType } from '../constants.ts';
import type { RdataCodec } from './rdata-codec.ts';
import type { MxData, SrvData } from './record-data.ts';
import { parseFields } from './text-fields.ts';
import { writeU16 } from './wire-fields.ts';

export const mxCodec: RdataCodec<MxData> = {
  type: RecordType.MX,
  kind: 'MX',
  decode(reader) {
    return { kind: 'MX', preference: reader.u16(), exchange: reader.name() };
  },
  encode(data, writer) {
    writeU16(writer, data.preference, 'preference');
    writer.name(data.exchange, true);
  },
  parseText(tokens, origin) {
    return parseFields(tokens, origin, (fields) => ({
      kind: 'MX',
      preference: fields.u16('preference'),
      exchange: fields.name('exchange'),
    }));
  },
  formatText(data) {
    return `${data.preference} ${data.exchange}`;
  },
};

export const srvCodec: RdataCodec<SrvData> = {
  type: RecordType.SRV,
  kind: 'SRV',
  decode(reader) {
    return {
      kind: 'SRV',
      priority: reader.u16(),
      weight: reader.u16(),
      port: reader.u16(),
      target: reader.name(),
    };
  },
  encode(data, writer) {
    writeU16(writer, data.priority, 'priority');
    writeU16(writer, data.weight, 'weight');
    writeU16(writer, data.port, 'port');
    writer.name(data.target, false);
  },
  parseText(tokens, origin) {
    return parseFields(tokens, origin, (fields) => ({
      kind: 'SRV',
      priority: fields.u16('priority'),
      weight: fields.u16('weight'),
      port: fields.u16('port'),
      target: fields.name('target'),
    }));
  },
  formatText(data) {
    return `${data.priority} ${data.weight} ${data.port} ${data.target}`;
  },
};
