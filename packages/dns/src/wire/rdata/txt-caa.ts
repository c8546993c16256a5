// TXT (RFC 1035 §3.3.14) and CAA (RFC 8659 §4.1): the types whose RDATA is text. Both print
// their strings quoted with escapes, as dig does.

import { RecordType } from '../constants.ts';
import type { RdataCodec } from './rdata-codec.ts';
import type { CaaData, TxtData } from './record-data.ts';
import { decodeText, fail, parseFields, quoteText } from './text-fields.ts';
import { badRdata, writeLengthPrefixed, writeU8 } from './wire-fields.ts';

export const txtCodec: RdataCodec<TxtData> = {
  type: RecordType.TXT,
  kind: 'TXT',
  decode(reader) {
    const strings: Uint8Array[] = [];
    while (reader.remaining > 0) strings.push(reader.characterString());
    // RFC 1035 §3.3.14: "One or more <character-string>s".
    if (strings.length === 0) badRdata();
    return { kind: 'TXT', strings };
  },
  encode(data, writer) {
    if (data.strings.length === 0) throw new RangeError('TXT data needs at least one string');
    for (const string of data.strings) writeLengthPrefixed(writer, string, 'TXT string');
  },
  parseText(tokens, origin) {
    return parseFields(tokens, origin, (fields) => {
      const strings = [fields.characterString('text')];
      while (!fields.done) strings.push(fields.characterString('text'));
      return { kind: 'TXT', strings };
    });
  },
  formatText(data) {
    return data.strings.map(quoteText).join(' ');
  },
};

/** RFC 8659 §4.1: a tag is one or more ASCII letters and digits. */
const TAG = /^[a-zA-Z0-9]+$/;

export const caaCodec: RdataCodec<CaaData> = {
  type: RecordType.CAA,
  kind: 'CAA',
  decode(reader) {
    const flags = reader.u8();
    const tag = String.fromCharCode(...reader.view(reader.u8()));
    if (!TAG.test(tag)) badRdata();
    // RFC 8659 §4.1: the value is the rest of the RDATA, not a length-prefixed string.
    return { kind: 'CAA', flags, tag, value: reader.rest() };
  },
  encode(data, writer) {
    if (!TAG.test(data.tag) || data.tag.length > 255) {
      throw new RangeError(`the CAA tag '${data.tag}' must be 1-255 ASCII letters and digits`);
    }
    writeU8(writer, data.flags, 'CAA flags');
    writeLengthPrefixed(
      writer,
      Uint8Array.from(data.tag, (char) => char.charCodeAt(0)),
      'tag',
    );
    writer.bytes(data.value);
  },
  parseText(tokens, origin) {
    return parseFields(tokens, origin, (fields) => {
      const flags = fields.u8('flags');
      const tag = fields.token('tag').text;
      if (!TAG.test(tag) || tag.length > 255) {
        fail(`the tag '${tag}' is not 1-255 ASCII letters and digits`);
      }
      // RFC 8659 §4.1.1: the value is one field of any length, quoted or not.
      const value = decodeText(fields.token('value').text, 'value');
      return { kind: 'CAA', flags, tag, value };
    });
  },
  formatText(data) {
    return `${data.flags} ${data.tag} ${quoteText(data.value)}`;
  },
};
