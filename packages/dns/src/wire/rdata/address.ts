// A (RFC 1035 §3.4.1) and AAAA (RFC 3596 §2.2): an address of fixed length; text is the
// address in its usual notation, dotted quad and RFC 5952 respectively.

import {
  formatIpv4Address,
  formatIpv6Address,
  IPV6_ADDRESS_LENGTH,
  parseIpv4Address,
  parseIpv6Address,
} from '@oasis/wire';
import { RecordType } from '../constants.ts';
import type { RdataCodec } from './rdata-codec.ts';
import type { AaaaData, AData } from './record-data.ts';
import { fail, parseFields } from './text-fields.ts';
import { badRdata } from './wire-fields.ts';

// Answers are encoded far more often than records are made: an address's wire bytes are kept
// with its data object (zone and cache records live long), so text is parsed once per record.
const encodedA = new WeakMap<AData, number>();
const encodedAaaa = new WeakMap<AaaaData, Uint8Array>();

export const aCodec: RdataCodec<AData> = {
  type: RecordType.A,
  kind: 'A',
  decode(reader) {
    if (reader.remaining !== 4) badRdata();
    return { kind: 'A', address: formatIpv4Address(reader.u32()) };
  },
  encode(data, writer) {
    let address = encodedA.get(data);
    if (address === undefined) {
      const parsed = parseIpv4Address(data.address);
      if (!parsed.ok) throw new RangeError(parsed.error);
      address = parsed.value;
      encodedA.set(data, address);
    }
    writer.u32(address);
  },
  parseText(tokens, origin) {
    return parseFields(tokens, origin, (fields) => {
      const address = parseIpv4Address(fields.token('address').text);
      if (!address.ok) fail(address.error);
      return { kind: 'A', address: formatIpv4Address(address.value) };
    });
  },
  formatText(data) {
    return data.address;
  },
};

export const aaaaCodec: RdataCodec<AaaaData> = {
  type: RecordType.AAAA,
  kind: 'AAAA',
  decode(reader) {
    if (reader.remaining !== IPV6_ADDRESS_LENGTH) badRdata();
    return { kind: 'AAAA', address: formatIpv6Address(reader.view(IPV6_ADDRESS_LENGTH)) };
  },
  encode(data, writer) {
    let address = encodedAaaa.get(data);
    if (address === undefined) {
      const parsed = parseIpv6Address(data.address);
      if (!parsed.ok) throw new RangeError(parsed.error);
      address = parsed.value;
      encodedAaaa.set(data, address);
    }
    writer.bytes(address);
  },
  parseText(tokens, origin) {
    return parseFields(tokens, origin, (fields) => {
      const address = parseIpv6Address(fields.token('address').text);
      if (!address.ok) fail(address.error);
      // The data keeps the canonical text, whatever form the zone file used.
      return { kind: 'AAAA', address: formatIpv6Address(address.value) };
    });
  },
  formatText(data) {
    return data.address;
  },
};
