// The IPv4 addresses of a dstname rule's name, with the TTL the rules follow, through the
// firewall's DNS client (see @oasis/dns lookUpAddresses for which records count and the TTL).

import { type DnsClient, lookUpAddresses } from '@oasis/dns';
import type { NameAnswer } from '@oasis/nat';
import { parseIpv4Address } from '@oasis/wire';

export async function lookUpIpv4Addresses(client: DnsClient, name: string): Promise<NameAnswer> {
  const answer = await lookUpAddresses(client, name, 4);
  const addresses: number[] = [];
  for (const text of answer.addresses) {
    const address = parseIpv4Address(text);
    if (address.ok) addresses.push(address.value);
  }
  return { addresses, ttlSeconds: answer.ttlSeconds };
}
