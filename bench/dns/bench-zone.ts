// The benchmark's data, one set of answers in every server's format: HOST_COUNT names
// hNNNN.bench.test. with one A record each in 10.0.0.0/16, as a zone file for dns-primary (with
// the SOA and NS every zone needs, RFC 1035 §5.1), host-record lines for dnsmasq, local-data
// lines for Unbound, a hosts file for the reference node:dgram responder, and the dnsperf query
// file: every name once, type A, in a shuffled order that is the same on every run (a seeded
// generator), so that no server sees a friendlier one.

export const ZONE_ORIGIN = 'bench.test.';
export const ZONE_FILE_NAME = 'bench.test.zone';
export const HOST_COUNT = 1000;
/** Long enough that no cached answer expires during a run (RFC 1035 §3.2.1 TTL, seconds). */
export const TTL_SECONDS = 86_400;
const NAME_SERVER = `ns.${ZONE_ORIGIN}`;
const NAME_SERVER_ADDRESS = '10.255.0.1';
const SHUFFLE_SEED = 0x0a5150;

export interface BenchHost {
  /** Absolute, with the trailing dot. */
  readonly name: string;
  readonly address: string;
}

/** The names and their addresses: h0000 is 10.0.0.1, h0249 10.0.0.250, h0250 10.0.1.1, ... */
export function benchHosts(count = HOST_COUNT): readonly BenchHost[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `h${String(i).padStart(4, '0')}.${ZONE_ORIGIN}`,
    address: `10.0.${Math.floor(i / 250)}.${(i % 250) + 1}`,
  }));
}

/** The master file (RFC 1035 §5.1) for dns-primary. */
export function zoneFile(hosts: readonly BenchHost[]): string {
  return [
    `$ORIGIN ${ZONE_ORIGIN}`,
    `$TTL ${TTL_SECONDS}`,
    `@ IN SOA ${NAME_SERVER} hostmaster.${ZONE_ORIGIN} 1 7200 3600 1209600 3600`,
    `@ IN NS ${NAME_SERVER}`,
    `${NAME_SERVER} IN A ${NAME_SERVER_ADDRESS}`,
    ...hosts.map((host) => `${host.name} IN A ${host.address}`),
    '',
  ].join('\n');
}

/** dnsmasq configuration lines: one `host-record` per name (dnsmasq(8), --host-record). */
export function dnsmasqHostRecords(hosts: readonly BenchHost[]): string[] {
  return [
    `host-record=${withoutDot(NAME_SERVER)},${NAME_SERVER_ADDRESS}`,
    ...hosts.map((host) => `host-record=${withoutDot(host.name)},${host.address}`),
  ];
}

/** Unbound `local-data` lines (unbound.conf(5)) for a `static` local zone: the same records. */
export function unboundLocalData(hosts: readonly BenchHost[]): string[] {
  const data = (record: string): string => `  local-data: "${record}"`;
  return [
    data(
      `${ZONE_ORIGIN} ${TTL_SECONDS} IN SOA ${NAME_SERVER} hostmaster.${ZONE_ORIGIN} 1 7200 3600 1209600 3600`,
    ),
    data(`${ZONE_ORIGIN} ${TTL_SECONDS} IN NS ${NAME_SERVER}`),
    data(`${NAME_SERVER} ${TTL_SECONDS} IN A ${NAME_SERVER_ADDRESS}`),
    ...hosts.map((host) => data(`${host.name} ${TTL_SECONDS} IN A ${host.address}`)),
  ];
}

/** `ADDRESS NAME` lines, as in /etc/hosts, for the reference node:dgram responder. */
export function hostsFile(hosts: readonly BenchHost[]): string {
  return `${hosts.map((host) => `${host.address} ${withoutDot(host.name)}`).join('\n')}\n`;
}

/** dnsperf's input: `NAME TYPE` per line, every host once, in the fixed shuffled order. */
export function queryFile(hosts: readonly BenchHost[]): string {
  return `${shuffled(hosts)
    .map((host) => `${host.name} A`)
    .join('\n')}\n`;
}

function withoutDot(name: string): string {
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

/** Fisher–Yates with a 32-bit xorshift generator: the same permutation on every run. */
function shuffled<T>(items: readonly T[]): T[] {
  const result = [...items];
  let state = SHUFFLE_SEED;
  const next = (): number => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return state >>> 0;
  };
  for (let i = result.length - 1; i > 0; i--) {
    const j = next() % (i + 1);
    [result[i], result[j]] = [result[j]!, result[i]!];
  }
  return result;
}
