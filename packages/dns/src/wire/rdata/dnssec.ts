// The DNSSEC key and signature types of RFC 4034: DNSKEY (§2), RRSIG (§3) and DS (§5). Each ends
// in a binary field that runs to the end of the RDATA and is written in base64 or hex, which
// zone files may split over several fields.

import { parseRecordType, RecordType, recordTypeName } from '../constants.ts';
import { chunked, encodeBase64, encodeHex } from './binary-text.ts';
import type { RdataCodec } from './rdata-codec.ts';
import type { DnskeyData, DsData, RrsigData } from './record-data.ts';
import { formatRrsigTime, parseRrsigTime } from './rrsig-time.ts';
import { fail, joinFields, parseFields } from './text-fields.ts';
import {
  readTrailingBytes,
  writeTrailingBytes,
  writeU8,
  writeU16,
  writeU32,
} from './wire-fields.ts';

export const dsCodec: RdataCodec<DsData> = {
  type: RecordType.DS,
  kind: 'DS',
  decode(reader) {
    return {
      kind: 'DS',
      keyTag: reader.u16(),
      algorithm: reader.u8(),
      digestType: reader.u8(),
      digest: readTrailingBytes(reader),
    };
  },
  encode(data, writer) {
    writeU16(writer, data.keyTag, 'key tag');
    writeU8(writer, data.algorithm, 'algorithm');
    writeU8(writer, data.digestType, 'digest type');
    writeTrailingBytes(writer, data.digest, 'digest');
  },
  parseText(tokens, origin) {
    return parseFields(tokens, origin, (fields) => ({
      kind: 'DS',
      keyTag: fields.u16('key tag'),
      algorithm: fields.u8('algorithm'),
      digestType: fields.u8('digest type'),
      digest: fields.hexRest('digest'),
    }));
  },
  formatText(data) {
    // RFC 4034 §5.3: the digest in hex.
    return joinFields(
      data.keyTag,
      data.algorithm,
      data.digestType,
      chunked(encodeHex(data.digest)),
    );
  },
};

export const dnskeyCodec: RdataCodec<DnskeyData> = {
  type: RecordType.DNSKEY,
  kind: 'DNSKEY',
  decode(reader) {
    return {
      kind: 'DNSKEY',
      flags: reader.u16(),
      protocol: reader.u8(),
      algorithm: reader.u8(),
      publicKey: readTrailingBytes(reader),
    };
  },
  encode(data, writer) {
    writeU16(writer, data.flags, 'flags');
    writeU8(writer, data.protocol, 'protocol');
    writeU8(writer, data.algorithm, 'algorithm');
    writeTrailingBytes(writer, data.publicKey, 'public key');
  },
  parseText(tokens, origin) {
    return parseFields(tokens, origin, (fields) => ({
      kind: 'DNSKEY',
      flags: fields.u16('flags'),
      protocol: fields.u8('protocol'),
      algorithm: fields.u8('algorithm'),
      publicKey: fields.base64Rest('public key'),
    }));
  },
  formatText(data) {
    // RFC 4034 §2.2: the key in base64.
    return joinFields(
      data.flags,
      data.protocol,
      data.algorithm,
      chunked(encodeBase64(data.publicKey)),
    );
  },
};

export const rrsigCodec: RdataCodec<RrsigData> = {
  type: RecordType.RRSIG,
  kind: 'RRSIG',
  decode(reader) {
    return {
      kind: 'RRSIG',
      typeCovered: reader.u16(),
      algorithm: reader.u8(),
      labels: reader.u8(),
      originalTtl: reader.u32(),
      expiration: reader.u32(),
      inception: reader.u32(),
      keyTag: reader.u16(),
      signerName: reader.name(),
      signature: readTrailingBytes(reader),
    };
  },
  encode(data, writer) {
    writeU16(writer, data.typeCovered, 'type covered');
    writeU8(writer, data.algorithm, 'algorithm');
    writeU8(writer, data.labels, 'labels');
    writeU32(writer, data.originalTtl, 'original TTL');
    writeU32(writer, data.expiration, 'signature expiration');
    writeU32(writer, data.inception, 'signature inception');
    writeU16(writer, data.keyTag, 'key tag');
    // RFC 4034 §3.1.7: the signer's name is not compressed.
    writer.name(data.signerName, false);
    writeTrailingBytes(writer, data.signature, 'signature');
  },
  parseText(tokens, origin) {
    return parseFields(tokens, origin, (fields) => {
      const covered = fields.token('type covered').text;
      const typeCovered = parseRecordType(covered);
      if (typeCovered === undefined) fail(`the type covered '${covered}' is not a record type`);
      return {
        kind: 'RRSIG',
        typeCovered,
        algorithm: fields.u8('algorithm'),
        labels: fields.u8('labels'),
        originalTtl: fields.u32('original TTL'),
        expiration: parseRrsigTime(fields.token('signature expiration').text, 'expiration'),
        inception: parseRrsigTime(fields.token('signature inception').text, 'inception'),
        keyTag: fields.u16('key tag'),
        signerName: fields.name("signer's name"),
        signature: fields.base64Rest('signature'),
      };
    });
  },
  formatText(data) {
    // RFC 4034 §3.2: the type as its mnemonic, the times as dates, the signature in base64.
    return joinFields(
      recordTypeName(data.typeCovered),
      data.algorithm,
      data.labels,
      data.originalTtl,
      formatRrsigTime(data.expiration),
      formatRrsigTime(data.inception),
      data.keyTag,
      data.signerName,
      chunked(encodeBase64(data.signature)),
    );
  },
};
