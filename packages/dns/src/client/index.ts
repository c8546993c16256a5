// The DNS stub client: queries over UDP with TCP fallback, retries over a list of servers, and
// shared, pipelined TCP connections, over the runtime's Stack contract.

export { DnsClient, type DnsClientOptions, type QueryOptions } from './dns-client.ts';
export type { DnsServerAddress } from './server-address.ts';
