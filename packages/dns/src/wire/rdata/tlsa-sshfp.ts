// The certificate and key fingerprint types: TLSA (RFC 6698 §2) and SSHFP (RFC 4255 §3). Each is
// a few one-byte numbers and binary data to the end of the RDATA, written in hex that zone files
// may split over several fields.

import { RecordType } from '../constants.ts';
import { chunked, encodeHex } from './binary-text.ts';
import type { RdataCodec } from './rdata-codec.ts';
import type { SshfpData, TlsaData } from './record-data.ts';
import { joinFields, parseFields } from './text-fields.ts';
import { readTrailingBytes, writeTrailingBytes, writeU8 } from './wire-fields.ts';

export const tlsaCodec: RdataCodec<TlsaData> = {
  type: RecordType.TLSA,
  kind: 'TLSA',
  decode(reader) {
    return {
      kind: 'TLSA',
      usage: reader.u8(),
      selector: reader.u8(),
      matchingType: reader.u8(),
      data: readTrailingBytes(reader),
    };
  },
  encode(data, writer) {
    writeU8(writer, data.usage, 'certificate usage');
    writeU8(writer, data.selector, 'selector');
    writeU8(writer, data.matchingType, 'matching type');
    writeTrailingBytes(writer, data.data, 'certificate association data');
  },
  parseText(tokens, origin) {
    return parseFields(tokens, origin, (fields) => ({
      kind: 'TLSA',
      usage: fields.u8('certificate usage'),
      selector: fields.u8('selector'),
      matchingType: fields.u8('matching type'),
      data: fields.hexRest('certificate association data'),
    }));
  },
  formatText(data) {
    // RFC 6698 §2.2: three numbers and the data in hex.
    return joinFields(data.usage, data.selector, data.matchingType, chunked(encodeHex(data.data)));
  },
};

export const sshfpCodec: RdataCodec<SshfpData> = {
  type: RecordType.SSHFP,
  kind: 'SSHFP',
  decode(reader) {
    return {
      kind: 'SSHFP',
      algorithm: reader.u8(),
      fingerprintType: reader.u8(),
      fingerprint: readTrailingBytes(reader),
    };
  },
  encode(data, writer) {
    writeU8(writer, data.algorithm, 'algorithm');
    writeU8(writer, data.fingerprintType, 'fingerprint type');
    writeTrailingBytes(writer, data.fingerprint, 'fingerprint');
  },
  parseText(tokens, origin) {
    return parseFields(tokens, origin, (fields) => ({
      kind: 'SSHFP',
      algorithm: fields.u8('algorithm'),
      fingerprintType: fields.u8('fingerprint type'),
      fingerprint: fields.hexRest('fingerprint'),
    }));
  },
  formatText(data) {
    // RFC 4255 §3.2: two numbers and the fingerprint in hex.
    return joinFields(data.algorithm, data.fingerprintType, chunked(encodeHex(data.fingerprint)));
  },
};
