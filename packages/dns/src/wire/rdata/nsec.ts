// The authenticated denial types: NSEC (RFC 4034 §4) and NSEC3 (RFC 5155 §3), each a pointer
// to the next name in the zone (its hash, for NSEC3) and the types present at the owner.

import { RecordType } from '../constants.ts';
import { decodeBase32Hex, decodeHex, encodeBase32Hex, encodeHex } from './binary-text.ts';
import type { RdataCodec } from './rdata-codec.ts';
import type { Nsec3Data, NsecData } from './record-data.ts';
import { fail, joinFields, parseFields } from './text-fields.ts';
import { formatTypeList, parseTypeList, readTypeBitmap, writeTypeBitmap } from './type-bitmap.ts';
import { badRdata, writeLengthPrefixed, writeU8, writeU16 } from './wire-fields.ts';

export const nsecCodec: RdataCodec<NsecData> = {
  type: RecordType.NSEC,
  kind: 'NSEC',
  decode(reader) {
    const next = reader.name();
    const types = readTypeBitmap(reader);
    // An NSEC record's own type at least is present (RFC 4034 §4.1.2); BIND refuses an empty map.
    if (types.length === 0) badRdata();
    return { kind: 'NSEC', next, types };
  },
  encode(data, writer) {
    if (data.types.length === 0) throw new RangeError('NSEC data needs at least one type');
    // RFC 4034 §4.1.1: the next domain name is not compressed.
    writer.name(data.next, false);
    writeTypeBitmap(data.types, writer);
  },
  parseText(tokens, origin) {
    return parseFields(tokens, origin, (fields) => {
      const next = fields.name('next domain name');
      if (fields.done) fail('the types are missing');
      return { kind: 'NSEC', next, types: parseTypeList(fields) };
    });
  },
  formatText(data) {
    return joinFields(data.next, formatTypeList(data.types));
  },
};

export const nsec3Codec: RdataCodec<Nsec3Data> = {
  type: RecordType.NSEC3,
  kind: 'NSEC3',
  decode(reader) {
    const hashAlgorithm = reader.u8();
    const flags = reader.u8();
    const iterations = reader.u16();
    const salt = reader.characterString();
    const nextHashedOwner = reader.characterString();
    // RFC 5155 §3.2: the hash length is 1-255 (a hash of no bytes names nothing).
    if (nextHashedOwner.length === 0) badRdata();
    return {
      kind: 'NSEC3',
      hashAlgorithm,
      flags,
      iterations,
      salt,
      nextHashedOwner,
      types: readTypeBitmap(reader),
    };
  },
  encode(data, writer) {
    if (data.nextHashedOwner.length === 0) {
      throw new RangeError('the NSEC3 next hashed owner name must have 1-255 bytes');
    }
    writeU8(writer, data.hashAlgorithm, 'hash algorithm');
    writeU8(writer, data.flags, 'flags');
    writeU16(writer, data.iterations, 'iterations');
    writeLengthPrefixed(writer, data.salt, 'salt');
    writeLengthPrefixed(writer, data.nextHashedOwner, 'next hashed owner name');
    writeTypeBitmap(data.types, writer);
  },
  parseText(tokens, origin) {
    return parseFields(tokens, origin, (fields) => {
      const hashAlgorithm = fields.u8('hash algorithm');
      const flags = fields.u8('flags');
      const iterations = fields.u16('iterations');
      // RFC 5155 §3.3: the salt in hex, or `-` when it is empty.
      const saltText = fields.token('salt').text;
      const salt = saltText === '-' ? new Uint8Array(0) : decodeHex(saltText);
      if (salt === undefined || saltText === '' || salt.length > 255) {
        fail(`the salt '${saltText}' is not '-' or 1-255 bytes in hex`);
      }
      const hashText = fields.token('next hashed owner name').text;
      const nextHashedOwner = decodeBase32Hex(hashText);
      if (nextHashedOwner === undefined || nextHashedOwner.length === 0) {
        fail(`the next hashed owner name '${hashText}' is not unpadded base32hex`);
      }
      if (nextHashedOwner.length > 255) {
        fail(`the next hashed owner name is ${nextHashedOwner.length} bytes, more than 255`);
      }
      const types = parseTypeList(fields);
      return { kind: 'NSEC3', hashAlgorithm, flags, iterations, salt, nextHashedOwner, types };
    });
  },
  formatText(data) {
    return joinFields(
      data.hashAlgorithm,
      data.flags,
      data.iterations,
      data.salt.length === 0 ? '-' : encodeHex(data.salt),
      encodeBase32Hex(data.nextHashedOwner),
      formatTypeList(data.types),
    );
  },
};
