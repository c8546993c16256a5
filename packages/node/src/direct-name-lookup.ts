// How the direct stack looks names up for `connect` on the tap target: a DNS stub client over the
// stack itself (@oasis/dns), asking the servers given with `--dns`, or without any, the ones the
// links' routers advertise (RFC 8106 RDNSS, with `--ipv6 auto`), as a host's resolver takes the
// servers DHCP or router advertisements configure. The client is made at the first lookup, so a
// service that never connects by name opens no socket for it.

import { DnsClient, type DnsServerAddress, dnsNameLookup } from '@oasis/dns';
import type { NetStack, NetStackOptions } from '@oasis/net';
import type { NameLookup, TargetEnvironment } from '@oasis/runtime';

/** The usual DNS port (RFC 1035 §4.2). */
const DNS_PORT = 53;

export interface DirectNameLookup {
  /** For NetStackOptions.nameLookup. */
  readonly nameLookup: NonNullable<NetStackOptions['nameLookup']>;
  /** Closes the DNS client, if a lookup made one; before the stack closes. */
  close(): Promise<void>;
}

export function directNameLookup(
  configured: readonly string[],
  environment: TargetEnvironment,
): DirectNameLookup {
  let client: DnsClient | undefined;
  return {
    nameLookup: (stack: NetStack) => {
      const servers = (): DnsServerAddress[] =>
        (configured.length > 0 ? configured : stack.dnsServers()).map((address) => ({
          address,
          port: DNS_PORT,
        }));
      let lookup: NameLookup | undefined;
      return (name, family, signal) => {
        client ??= new DnsClient({
          udp: stack.udp,
          tcp: stack.tcp,
          servers: [],
          clock: environment.clock,
          sleep: environment.sleep,
          random: environment.random,
          logger: environment.logger.child('dns'),
        });
        lookup ??= dnsNameLookup(client, servers);
        return lookup(name, family, signal);
      };
    },
    close: async () => {
      await client?.close();
    },
  };
}
