// SVCB and HTTPS (RFC 9460 §2.2, §9): one format for both types. A priority (0 for AliasMode), a
// target name that is never compressed, and SvcParams in strictly increasing key order, each a
// key, a length and a value.

import { RecordType } from '../constants.ts';
import type { RdataCodec, ZoneToken } from './rdata-codec.ts';
import type { SvcbData, SvcParam } from './record-data.ts';
import {
  formatSvcParam,
  parseSvcParam,
  svcParamKeyName,
  svcParamsConsistencyError,
  svcParamsValid,
} from './svc-params.ts';
import { fail, parseFields } from './text-fields.ts';
import { badRdata, writeU16 } from './wire-fields.ts';

function serviceBindingCodec(type: number, kind: SvcbData['kind']): RdataCodec<SvcbData> {
  return {
    type,
    kind,
    decode(reader) {
      const priority = reader.u16();
      const target = reader.name();
      const params: SvcParam[] = [];
      while (reader.remaining > 0) {
        const key = reader.u16();
        params.push({ key, value: reader.bytes(reader.u16()) });
      }
      // RFC 9460 §2.2: keys strictly increasing, values well-formed, or the RR is malformed.
      if (!svcParamsValid(params)) badRdata();
      return { kind, priority, target, params };
    },
    encode(data, writer) {
      if (!svcParamsValid(data.params)) {
        throw new RangeError(
          `the ${kind} params must be in strictly increasing key order with values that fit their keys (RFC 9460 §2.2, §7, §8)`,
        );
      }
      writeU16(writer, data.priority, 'SvcPriority');
      // RFC 9460 §2.2: the target name is uncompressed.
      writer.name(data.target, false);
      for (const param of data.params) {
        writer.u16(param.key);
        writeU16(writer, param.value.length, `length of SvcParam ${svcParamKeyName(param.key)}`);
        writer.bytes(param.value);
      }
    },
    parseText(tokens, origin) {
      return parseFields(tokens, origin, (fields) => {
        const priority = fields.u16('SvcPriority');
        const target = fields.name('target name');
        const params = readParams(fields.rest());
        return { kind, priority, target, params };
      });
    },
    formatText(data) {
      return [data.priority, data.target, ...data.params.map(formatSvcParam)].join(' ');
    },
  };
}

export const svcbCodec = serviceBindingCodec(RecordType.SVCB, 'SVCB');
export const httpsCodec = serviceBindingCodec(RecordType.HTTPS, 'HTTPS');

/**
 * The SvcParams of RFC 9460 §2.1 in any order: `key`, `key=value`, `key="value"` (the quotes
 * kept inside the token), or `key=` followed by a quoted token; sorted by key for the wire.
 */
function readParams(tokens: readonly ZoneToken[]): SvcParam[] {
  const params: SvcParam[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token.quoted) fail(`"${token.text}" is not a SvcParam: a param starts with its key`);
    const equals = token.text.indexOf('=');
    if (equals < 0) {
      params.push(parseSvcParam(token.text, undefined));
      continue;
    }
    const keyText = token.text.slice(0, equals);
    let valueText = token.text.slice(equals + 1);
    const next = tokens[i + 1];
    if (valueText === '' && next?.quoted === true) {
      valueText = next.text;
      i++;
    } else if (valueText.startsWith('"')) {
      valueText = unquote(valueText, keyText);
    }
    params.push(parseSvcParam(keyText, valueText));
  }
  params.sort((a, b) => a.key - b.key);
  for (let i = 1; i < params.length; i++) {
    if (params[i]!.key === params[i - 1]!.key) {
      fail(`the SvcParam ${svcParamKeyName(params[i]!.key)} is given twice`);
    }
  }
  const inconsistent = svcParamsConsistencyError(params);
  if (inconsistent !== undefined) fail(inconsistent);
  return params;
}

/** `"..."` without its quotes; the closing quote must be the last character and not escaped. */
function unquote(text: string, keyText: string): string {
  const escapes = /\\*(?="$)/.exec(text.slice(1))?.[0].length ?? 0;
  if (text.length < 2 || !text.endsWith('"') || escapes % 2 !== 0) {
    fail(`the value of ${keyText} has an opening quote without a closing one`);
  }
  return text.slice(1, -1);
}
