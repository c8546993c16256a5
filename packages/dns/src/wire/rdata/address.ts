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

export const aCodec: RdataCodec<AData> = {
  type: RecordType.A,
  kind: 'A',
  decode(reader) {
    if (reader.remaining !== 4) badRdata();
    return { kind: 'A', address: formatIpv4Address(reader.u32()) };
  },
  encode(data, writer) {
    const address = parseIpv4Address(data.address);
    if (!address.ok) throw new RangeError(address.error);
    writer.u32(address.value);
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
    const address = parseIpv6Address(data.address);
    if (!address.ok) throw new RangeError(address.error);
    writer.bytes(address.value);
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
