// SOA (RFC 1035 §3.3.13): two names, both compressible, and five unsigned 32-bit numbers. The
// four times are written in seconds and read in seconds or with BIND's units (`1h`, `2d`,
// `1w30m`), as zone files commonly write them.

import { RecordType } from '../constants.ts';
import type { RdataCodec } from './rdata-codec.ts';
import type { SoaData } from './record-data.ts';
import { type FieldCursor, fail, parseDecimal, parseFields } from './text-fields.ts';
import { writeU32 } from './wire-fields.ts';

export const soaCodec: RdataCodec<SoaData> = {
  type: RecordType.SOA,
  kind: 'SOA',
  decode(reader) {
    return {
      kind: 'SOA',
      mname: reader.name(),
      rname: reader.name(),
      serial: reader.u32(),
      refresh: reader.u32(),
      retry: reader.u32(),
      expire: reader.u32(),
      minimum: reader.u32(),
    };
  },
  encode(data, writer) {
    writer.name(data.mname, true);
    writer.name(data.rname, true);
    writeU32(writer, data.serial, 'serial');
    writeU32(writer, data.refresh, 'refresh');
    writeU32(writer, data.retry, 'retry');
    writeU32(writer, data.expire, 'expire');
    writeU32(writer, data.minimum, 'minimum');
  },
  parseText(tokens, origin) {
    return parseFields(tokens, origin, (fields) => ({
      kind: 'SOA',
      mname: fields.name('primary server (MNAME)'),
      rname: fields.name('mailbox (RNAME)'),
      serial: fields.u32('serial'),
      refresh: duration(fields, 'refresh'),
      retry: duration(fields, 'retry'),
      expire: duration(fields, 'expire'),
      minimum: duration(fields, 'minimum'),
    }));
  },
  formatText(data) {
    return [
      data.mname,
      data.rname,
      data.serial,
      data.refresh,
      data.retry,
      data.expire,
      data.minimum,
    ].join(' ');
  },
};

const UNIT_SECONDS: Readonly<Record<string, number>> = {
  w: 604_800,
  d: 86_400,
  h: 3600,
  m: 60,
  s: 1,
};

/** Seconds, or BIND's `<number><unit>` parts (w, d, h, m, s, either case) added up. */
function duration(fields: FieldCursor, field: string): number {
  const text = fields.token(field).text;
  if (/^\d+$/.test(text)) return parseDecimal(text, 0xffff_ffff, field);
  if (!/^(\d+[wdhmsWDHMS])+$/.test(text)) {
    fail(`the ${field} '${text}' is neither seconds nor a duration such as 1h30m`);
  }
  let seconds = 0;
  for (const [, count, unit] of text.matchAll(/(\d+)([a-zA-Z])/g)) {
    seconds += Number(count) * UNIT_SECONDS[unit!.toLowerCase()]!;
  }
  if (seconds > 0xffff_ffff) fail(`the ${field} '${text}' is more than 4294967295 seconds`);
  return seconds;
}
