// The DNS stub client: queries over UDP with TCP fallback, retries over a list of servers, and
// shared, pipelined TCP connections, over the runtime's Stack contract.

export {
  type AddressAnswer,
  type AddressLookupOptions,
  dnsNameLookup,
  lookUpAddresses,
} from './address-lookup.ts';
export { DnsClient, type DnsClientOptions, type QueryOptions } from './dns-client.ts';
export type { DnsServerAddress } from './server-address.ts';
