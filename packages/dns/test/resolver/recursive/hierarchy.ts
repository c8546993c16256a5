// A small name server hierarchy on the simulator, for the recursive resolver's tests: our own
// authoritative servers (zone files, answerAuthoritatively, startDnsServer), each on port 53 at
// its own simulated address, and the resolver's host beside them. Each server records the
// questions it got, and a test may doctor (or drop) any server's answers.
//
//   root      10.0.0.10  .            delegates com. and net.
//   com       10.0.0.11  com.         example.com. -> ns1.example.com (in-bailiwick glue),
//                                     other.com. -> ns.example.net (no glue: not in com.)
//   net       10.0.0.12  net.         ns.example.net, www.example.net
//   example   10.0.0.13  example.com.
//   other     10.0.0.14  other.com.   (it is ns.example.net)

import {
  createLogger,
  type Logger,
  MemorySink,
  type Random,
  SeededRandom,
  unwrap,
} from '@oasis/core';
import { AddressList } from '../../../src/address-list.ts';
import { answerAuthoritatively } from '../../../src/authoritative/authoritative-answer.ts';
import { Zone } from '../../../src/authoritative/zone.ts';
import { ZoneSet } from '../../../src/authoritative/zone-set.ts';
import { DnsClient } from '../../../src/client/index.ts';
import type { ResolvedAnswer } from '../../../src/resolver/dns-cache.ts';
import {
  type RecursiveOptions,
  RecursiveResolver,
} from '../../../src/resolver/recursive/recursive-resolver.ts';
import type { RootHint } from '../../../src/resolver/recursive/root-hints.ts';
import { startDnsServer } from '../../../src/server/dns-server.ts';
import type { QueryContext } from '../../../src/server/query-handler.ts';
import { RecordClass, RecordType, recordTypeName } from '../../../src/wire/constants.ts';
import type { DnsMessage, DnsRecord } from '../../../src/wire/message.ts';
import { DnsName } from '../../../src/wire/name.ts';
import { parseZoneFile } from '../../../src/zone-file/zone-file-parser.ts';
import { runUntil, type SimHost, type SimLan, simLan } from '../../sim-net.ts';

const SOA = 'SOA ns hostmaster 1 3600 600 86400 300';

export const ROOT_ZONE = `
$TTL 86400
@                   ${SOA}
@                   NS  a.root-servers.net.
a.root-servers.net. A   10.0.0.10
com.                NS  ns.com.
ns.com.             A   10.0.0.11
net.                NS  ns.net.
ns.net.             A   10.0.0.12
`;

export const COM_ZONE = `
$TTL 3600
@                   ${SOA}
@                   NS  ns
ns                  A   10.0.0.11
example             NS  ns1.example
ns1.example         A   10.0.0.13
other               NS  ns.example.net.
`;

export const NET_ZONE = `
$TTL 3600
@                   ${SOA}
@                   NS  ns
ns                  A   10.0.0.12
ns.example          A   10.0.0.14
www.example         A   192.0.2.80
`;

export const EXAMPLE_ZONE = `
$TTL 300
@                   ${SOA}
@                   NS  ns1
@                   MX  10 mail
ns1                 A   10.0.0.13
www                 A   192.0.2.1
www                 AAAA 2001:db8::1
mail                A   192.0.2.25
alias               CNAME www.example.net.
a.b                 A   192.0.2.2
`;

export const OTHER_ZONE = `
$TTL 300
@                   ${SOA}
@                   NS  ns.example.net.
www                 A   192.0.2.14
`;

export interface ServerSpec {
  readonly address: string;
  /** Master-file text by zone apex, for each zone the server serves. */
  readonly zones: Readonly<Record<string, string>>;
}

export const DEFAULT_SERVERS = {
  root: { address: '10.0.0.10', zones: { '.': ROOT_ZONE } },
  com: { address: '10.0.0.11', zones: { 'com.': COM_ZONE } },
  net: { address: '10.0.0.12', zones: { 'net.': NET_ZONE } },
  example: { address: '10.0.0.13', zones: { 'example.com.': EXAMPLE_ZONE } },
  other: { address: '10.0.0.14', zones: { 'other.com.': OTHER_ZONE } },
} satisfies Record<string, ServerSpec>;

/** What a server does with its own answer: return it (maybe changed), or undefined to stay silent. */
export type Tamper = (query: DnsMessage, answer: DnsMessage) => DnsMessage | undefined;

export interface Authority {
  readonly address: string;
  /** Each query's question as `name TYPE`, in arrival order. */
  readonly received: string[];
  /** The source port and ID of each query. */
  readonly sources: { readonly port: number; readonly id: number }[];
  tamper: Tamper | undefined;
}

export interface Hierarchy<Name extends string> {
  readonly lan: SimLan;
  readonly resolverHost: SimHost;
  readonly logger: Logger;
  readonly resolver: RecursiveResolver;
  readonly servers: Readonly<Record<Name, Authority>>;
  /** Resolves in virtual time. */
  resolve(name: string, type?: number): Promise<ResolvedAnswer>;
  /** The settled outcome of a resolution: its answer, or the error it rejected with. */
  attempt(name: string, type?: number): Promise<ResolvedAnswer | Error>;
  /** Queries received by every server together. */
  totalQueries(): number;
}

/** Asks a zone's servers in the order its NS records list them (Fisher-Yates never swaps). */
export const IN_ORDER: Random = {
  below: (bound) => bound - 1,
  uint32: () => 0,
  float: () => 0,
  fill: (bytes) => bytes,
};

export async function startHierarchy<Name extends string = keyof typeof DEFAULT_SERVERS>(
  options: {
    readonly servers?: Readonly<Record<Name, ServerSpec>>;
    readonly resolver?: Partial<Omit<RecursiveOptions, 'client' | 'clock' | 'logger'>>;
  } = {},
): Promise<Hierarchy<Name>> {
  const specs = (options.servers ?? DEFAULT_SERVERS) as Readonly<Record<Name, ServerSpec>>;
  const lan = simLan();
  const { network } = lan;
  const logger = createLogger({ source: 'test', sink: new MemorySink(), clock: network.clock });
  const servers = {} as Record<Name, Authority>;
  for (const [name, spec] of Object.entries(specs) as [Name, ServerSpec][]) {
    const host = lan.addHost(name, spec.address);
    const zones = new ZoneSet(
      Object.entries(spec.zones).map(([apex, text]) => buildZone(apex, text)),
    );
    const authority: Authority = {
      address: spec.address,
      received: [],
      sources: [],
      tamper: undefined,
    };
    const handler = (query: DnsMessage, context: QueryContext) => {
      const question = query.questions[0];
      if (question !== undefined) {
        authority.received.push(`${question.name} ${recordTypeName(question.type)}`);
      }
      authority.sources.push({ port: context.client.port, id: query.id });
      const answer = answerAuthoritatively(zones, query, context, { axfrAllow: AddressList.EMPTY });
      if (Array.isArray(answer) || authority.tamper === undefined) return answer;
      return authority.tamper(query, answer as DnsMessage);
    };
    await runUntil(
      network,
      startDnsServer({
        udp: host.stack.udp,
        tcp: host.stack.tcp,
        port: 53,
        handler,
        clock: network.clock,
        sleep: network.clock,
        logger,
      }),
    );
    servers[name] = authority;
  }
  const resolverHost = lan.addHost('resolver', '10.0.0.2');
  const client = new DnsClient({
    udp: resolverHost.stack.udp,
    tcp: resolverHost.stack.tcp,
    servers: [],
    clock: network.clock,
    sleep: network.clock,
    random: new SeededRandom(network.seed).derive('client'),
  });
  const rootHints: RootHint[] = [
    { name: DnsName.of('a.root-servers.net.'), addresses: [specs['root' as Name]?.address ?? ''] },
  ];
  const resolver = new RecursiveResolver({
    client,
    rootHints,
    clock: network.clock,
    random: new SeededRandom(network.seed).derive('resolver'),
    logger,
    ...options.resolver,
  });
  const resolve = (name: string, type: number = RecordType.A) =>
    runUntil(network, resolver.resolve({ name: DnsName.of(name), type, class: RecordClass.IN }));
  return {
    lan,
    resolverHost,
    logger,
    resolver,
    servers,
    resolve,
    attempt: (name, type) => resolve(name, type).catch((error: Error) => error),
    totalQueries: () =>
      Object.values<Authority>(servers).reduce((sum, server) => sum + server.received.length, 0),
  };
}

function buildZone(apex: string, text: string): Zone {
  const origin = DnsName.of(apex);
  const records = unwrap(parseZoneFile(text, { fileName: apex, origin }));
  return unwrap(Zone.build(origin, records));
}

/** An A record, for doctored answers. */
export function aRecord(name: string, address: string): DnsRecord {
  return {
    name: DnsName.of(name),
    type: RecordType.A,
    class: RecordClass.IN,
    ttl: 300,
    data: { kind: 'A', address },
  };
}

/** An NS record, for doctored answers. */
export function nsRecord(zone: string, host: string): DnsRecord {
  return {
    name: DnsName.of(zone),
    type: RecordType.NS,
    class: RecordClass.IN,
    ttl: 3600,
    data: { kind: 'NS', host: DnsName.of(host) },
  };
}

/** The records' data as text, `name TYPE data`, for comparisons. */
export function describeRecords(records: readonly DnsRecord[]): string[] {
  return records.map((record) => {
    const { data } = record;
    const value =
      data.kind === 'A' || data.kind === 'AAAA'
        ? data.address
        : data.kind === 'CNAME'
          ? data.target.toString()
          : data.kind === 'MX'
            ? `${data.preference} ${data.exchange}`
            : data.kind === 'SOA'
              ? data.mname.toString()
              : data.kind;
    return `${record.name} ${recordTypeName(record.type)} ${value}`;
  });
}
