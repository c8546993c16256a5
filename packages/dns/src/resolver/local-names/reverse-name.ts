// The names under which addresses are mapped back to host names: the bytes of an IPv4 address
// in reverse order under in-addr.arpa (RFC 1035 §3.5), the nibbles of an IPv6 address in reverse
// order, as lower-case hex digits, under ip6.arpa (RFC 3596 §2.5).

import { DnsName } from '../../wire/name.ts';

const IN_ADDR_ARPA = DnsName.of('in-addr.arpa.');
const IP6_ARPA = DnsName.of('ip6.arpa.');
const encoder = new TextEncoder();

/** The reverse-mapping name of a 4-byte (IPv4) or 16-byte (IPv6) address. */
export function reverseName(address: Uint8Array): DnsName {
  const labels: Uint8Array[] = [];
  if (address.length === 4) {
    for (let i = 3; i >= 0; i--) labels.push(encoder.encode(String(address[i]!)));
    return DnsName.fromLabels([...labels, ...IN_ADDR_ARPA.labels]);
  }
  if (address.length === 16) {
    for (let i = 15; i >= 0; i--) {
      labels.push(encoder.encode((address[i]! & 0xf).toString(16)));
      labels.push(encoder.encode((address[i]! >>> 4).toString(16)));
    }
    return DnsName.fromLabels([...labels, ...IP6_ARPA.labels]);
  }
  throw new RangeError(`an address has 4 or 16 bytes, got ${address.length}`);
}
