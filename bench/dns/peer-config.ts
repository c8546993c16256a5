// The peers' configurations, for the two cases. Both listen on 127.0.0.1 only and can reach
// nothing but loopback: dnsmasq reads no resolv.conf and no /etc/hosts; Unbound never uses its
// root hints (authoritative: the root is a refusing local zone; forwarding: everything goes to
// the upstream), sends only from 127.0.0.1, runs in the foreground without chroot, privilege
// drop, syslog or trust anchors, on one thread. Everything else is each program's default.
//
//   authoritative: the bench names from their configuration (dnsmasq host-record lines, as
//                  DNSvizor replaces dnsmasq; Unbound a `static` local zone of local-data)
//   forwarding:    a cache of 10,000 answers in front of the upstream at 127.0.0.1:UPSTREAM

import { type BenchHost, dnsmasqHostRecords, TTL_SECONDS, unboundLocalData } from './bench-zone.ts';

export type PeerMode =
  | { readonly kind: 'authoritative'; readonly hosts: readonly BenchHost[] }
  | { readonly kind: 'forwarding'; readonly upstreamPort: number };

export const CACHE_SIZE = 10_000;

/** dnsmasq's configuration file (dnsmasq(8): one long option per line, without the dashes). */
export function dnsmasqConfig(mode: PeerMode, port: number, pidFile: string): string {
  const common = [
    `port=${port}`,
    'listen-address=127.0.0.1',
    'bind-interfaces',
    'no-resolv',
    'no-hosts',
    `pid-file=${pidFile}`,
    'log-facility=-',
  ];
  const specific =
    mode.kind === 'authoritative'
      ? [
          // Names under bench.test. that are not listed are answered here (NXDOMAIN), never
          // forwarded; answers carry the zone's TTL instead of dnsmasq's default of 0.
          'local=/bench.test/',
          `local-ttl=${TTL_SECONDS}`,
          ...dnsmasqHostRecords(mode.hosts),
        ]
      : [`server=127.0.0.1#${mode.upstreamPort}`, `cache-size=${CACHE_SIZE}`];
  return `${[...common, ...specific].join('\n')}\n`;
}

/** Unbound's configuration file (unbound.conf(5)). */
export function unboundConfig(mode: PeerMode, port: number, directory: string): string {
  const server = [
    'server:',
    '  interface: 127.0.0.1',
    `  port: ${port}`,
    '  outgoing-interface: 127.0.0.1',
    '  do-ip6: no',
    '  chroot: ""',
    '  username: ""',
    `  directory: "${directory}"`,
    `  pidfile: "${directory}/unbound.pid"`,
    '  use-syslog: no',
    '  logfile: ""',
    '  verbosity: 1',
    '  num-threads: 1',
    '  do-daemonize: no',
    '  access-control: 127.0.0.0/8 allow',
    // No DNSSEC validation: neither dnsmasq (by default) nor Oasis validates.
    '  module-config: "iterator"',
  ];
  if (mode.kind === 'authoritative') {
    return `${[
      ...server,
      // Anything outside bench.test. is refused, so nothing ever goes to the root servers.
      '  local-zone: "." refuse',
      '  local-zone: "bench.test." static',
      ...unboundLocalData(mode.hosts),
    ].join('\n')}\n`;
  }
  return `${[
    ...server,
    // The upstream is on loopback, which Unbound refuses to query by default.
    '  do-not-query-localhost: no',
    // test. is one of Unbound's default static local zones (RFC 6761 §6.2 special-use names):
    // without this, bench.test. would be answered NXDOMAIN instead of forwarded.
    '  local-zone: "test." nodefault',
    'forward-zone:',
    '  name: "."',
    `  forward-addr: 127.0.0.1@${mode.upstreamPort}`,
  ].join('\n')}\n`;
}
