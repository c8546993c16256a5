// DNS query rate: dnsperf (DNS-OARC) against Oasis' DNS services on the node target, and against
// dnsmasq and Unbound configured with the same answers, all on 127.0.0.1 (free ports):
//
//   authoritative: 1,000 names hNNNN.bench.test. (one A record each, bench/dns/bench-zone.ts)
//     Oasis:   unikernels/dns-primary, the zone file (with its SOA and NS)
//     dnsmasq: the same names as host-record lines (answering from its hosts, as DNSvizor does)
//     Unbound: a `static` local zone with the same records as local-data
//     reference: bench/dns/node-responder.mjs, the smallest node:dgram program giving the same
//                answers (a Map, no DNS library): what Node's UDP path costs on its own
//   cache: a resolver answering from its cache of 10,000 answers, forwarding to an Oasis
//     dns-primary serving the zone above (started once, on its own port: the upstream)
//     Oasis:   unikernels/dns-resolver --upstream 127.0.0.1:UPSTREAM --cache-size 10000
//     dnsmasq: --server=127.0.0.1#UPSTREAM --cache-size=10000
//     Unbound: forward-zone "." to 127.0.0.1@UPSTREAM (its cache is sized in bytes: 4 MB each)
//
// dnsperf sends the 1,000 names (type A, one fixed shuffled order) round and round. Every server
// is first checked to give the same addresses for a sample of names; in the cache case a pass over
// the query file (-n 1) fills its cache; then each gets a warm-up run (the JIT compiles Oasis'
// hot paths), and the rounds alternate the servers (the order rotates each round) so that all
// see the same machine. The table shows medians of queries/s and of dnsperf's average latency,
// and Oasis/peer for the rate. The upstream's CPU time during the cache runs shows they were
// answered from the cache.
//
// The load (LOAD): one dnsperf thread (-T 1), 16 UDP sockets (-c 16: sixteen source ports, as
// many clients would use) and 100 queries in flight (-q 100). The machine has 2 cores and dnsperf
// and the server share them: a second dnsperf thread would take the core the server needs, and
// every server here answers on one thread (Node's event loop, dnsmasq's single process, Unbound
// with num-threads: 1), so one core each is the fair split (the JSON has the machine's busy share
// per run: both cores are busy). 100 in flight is far more than a server needs never to wait for
// a query (an answer takes it 8-50 µs of CPU); more only overflows its socket's receive buffer
// whenever it is descheduled (-q 200 lost a few queries a second here, -q 500 hundreds), and
// each lost query holds its slot until -t 1 s. With the server saturated, the latency is mostly
// the time a query waits in the queue (Little's law: latency ≈ in flight / rate), so it tells the
// same story as the rate; the CPU time per query (the server's user + system time over the run,
// from /proc/PID/stat, all its threads, over the queries answered) is the figure that depends
// least on the load generator and on whatever else the machine runs.
// RSS is the server's resident memory (VmRSS) at the end of each run; the table shows the largest.
//
// --profile runs instead one run against dns-primary, one against the reference responder and
// one against dns-resolver (cache filled first), each started with `node --cpu-prof`, and prints the functions with the most self
// time and the share of each package (bench/dns/profile-summary.ts); the profiles are kept.
//
// Every process started here is stopped at the end, on failure and on SIGINT/SIGTERM; no traffic
// leaves loopback (bench/dns/peer-config.ts for the peers).
// Run: npm run bench -- dns [--rounds N --seconds S --profile]
//      (needs dnsperf, dnsmasq and unbound: apt-get install dnsperf dnsmasq-base unbound)

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from '@oasis/cli';
import { freePort } from '../test/interop/free-port.ts';
import { integerOption, usageError } from './command-line.ts';
import {
  type BenchHost,
  benchHosts,
  HOST_COUNT,
  hostsFile,
  queryFile,
  TTL_SECONDS,
  ZONE_FILE_NAME,
  zoneFile,
} from './dns/bench-zone.ts';
import { checkAnswers, waitUntilAnswering } from './dns/dns-probe.ts';
import {
  type DnsperfLoad,
  type DnsperfResult,
  type DnsperfRun,
  dnsperfArgs,
  runDnsperf,
} from './dns/dnsperf.ts';
import { CACHE_SIZE, dnsmasqConfig, type PeerMode, unboundConfig } from './dns/peer-config.ts';
import { busyShare, machineTicks } from './dns/proc-stats.ts';
import { formatDnsProfile, summariseDnsProfile } from './dns/profile-summary.ts';
import { ChildProcesses, type ServerProcess } from './dns/server-process.ts';
import { median } from './stats.ts';

const NODE_RESPONDER = fileURLToPath(new URL('dns/node-responder.mjs', import.meta.url));

const LOAD: DnsperfLoad = { clients: 16, outstanding: 100, threads: 1, timeoutSeconds: 1 };
/**
 * The cache-filling pass: gentler, so every name reaches the upstream once (dnsmasq refuses
 * queries beyond its 150 forwarded at a time, its dns-forward-max).
 */
const FILL_LOAD: DnsperfLoad = { clients: 1, outstanding: 10, threads: 1, timeoutSeconds: 2 };
const WARMUP_SECONDS = 3;
const READY_TIMEOUT_MS = 20_000;
/** Names every server must answer alike before it is measured. */
const SAMPLE_SIZE = 10;
const INSTALL_HINT = 'apt-get install dnsperf dnsmasq-base unbound';

interface Settings {
  readonly rounds: number;
  readonly seconds: number;
  readonly profile: boolean;
}

const BENCH = 'dns';

function settings(): Settings {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      // npm hands over a literal '--' (`npm run bench -- dns -- --rounds 3`): not an option.
      args: process.argv.slice(2).filter((arg) => arg !== '--'),
      options: {
        rounds: { type: 'string', default: '5' },
        seconds: { type: 'string', default: '10' },
        profile: { type: 'boolean', default: false },
      },
      allowPositionals: false,
    }));
  } catch (error) {
    usageError(
      BENCH,
      `${error instanceof Error ? error.message : String(error)}; options: --rounds N --seconds S --profile`,
    );
  }
  return {
    rounds: integerOption(BENCH, String(values['rounds']), '--rounds', 1, 100),
    seconds: integerOption(BENCH, String(values['seconds']), '--seconds', 1, 3600),
    profile: values['profile'] === true,
  };
}

/** Exits with status 1 and the install command when a peer program is missing. */
function checkTools(): void {
  const missing = ['dnsperf', 'dnsmasq', 'unbound'].filter(
    (program) => spawnSync('sh', ['-c', `command -v ${program}`]).status !== 0,
  );
  if (missing.length === 0) return;
  console.error(`dns: ${missing.join(', ')} not found on the PATH (${INSTALL_HINT})`);
  process.exit(1);
}

/** What `pattern` finds in the output of `program args` (a version line), for the report. */
function versionOf(program: string, args: readonly string[], pattern: RegExp): string {
  const result = spawnSync(program, args, { encoding: 'utf8' });
  return pattern.exec(`${result.stdout}${result.stderr}`)?.[0] ?? 'unknown';
}

/** What the benchmark works with: its temporary directory, the data, the processes. */
interface Bench {
  readonly dir: string;
  readonly hosts: readonly BenchHost[];
  readonly sample: readonly BenchHost[];
  readonly queryFile: string;
  readonly zonesDir: string;
  readonly processes: ChildProcesses;
  readonly settings: Settings;
}

/** A server in a case: who it is, where it listens. */
interface Contender {
  readonly label: string;
  readonly oasis: boolean;
  readonly server: ServerProcess;
  readonly port: number;
}

/** Waits for the first answer, then checks the sample. */
async function ready(bench: Bench, server: ServerProcess, port: number): Promise<void> {
  try {
    await waitUntilAnswering(port, bench.hosts[0]!, READY_TIMEOUT_MS, () => server.checkAlive());
    await checkAnswers(port, bench.sample);
  } catch (error) {
    throw new Error(
      `${server.label} on port ${port}: ${error instanceof Error ? error.message : String(error)}\n${server.output}`,
    );
  }
}

async function startOasis(
  bench: Bench,
  label: string,
  bundle: string,
  args: readonly string[],
  nodeOptions: readonly string[] = [],
): Promise<Contender> {
  const port = await freePort();
  const server = bench.processes.start(label, process.execPath, [
    ...nodeOptions,
    bundle,
    '--port',
    String(port),
    ...args,
    '--log-level',
    'warn',
  ]);
  await ready(bench, server, port);
  return { label, oasis: true, server, port };
}

function startPrimary(
  bench: Bench,
  bundle: string,
  label: string,
  nodeOptions: readonly string[] = [],
): Promise<Contender> {
  return startOasis(
    bench,
    label,
    bundle,
    ['--zones', bench.zonesDir, '--zone', ZONE_FILE_NAME],
    nodeOptions,
  );
}

function startResolver(
  bench: Bench,
  bundle: string,
  upstreamPort: number,
  nodeOptions: readonly string[] = [],
): Promise<Contender> {
  return startOasis(
    bench,
    'Oasis dns-resolver',
    bundle,
    ['--upstream', `127.0.0.1:${upstreamPort}`, '--cache-size', String(CACHE_SIZE)],
    nodeOptions,
  );
}

/** The reference: the smallest node:dgram program giving the same answers (no DNS library). */
async function startNodeResponder(
  bench: Bench,
  nodeOptions: readonly string[] = [],
): Promise<Contender> {
  const port = await freePort();
  const hosts = join(bench.dir, 'hosts');
  writeFileSync(hosts, hostsFile(bench.hosts));
  const label = 'node:dgram responder';
  const server = bench.processes.start(label, process.execPath, [
    ...nodeOptions,
    NODE_RESPONDER,
    String(port),
    hosts,
    String(TTL_SECONDS),
  ]);
  await ready(bench, server, port);
  return { label, oasis: false, server, port };
}

async function startDnsmasq(bench: Bench, mode: PeerMode): Promise<Contender> {
  const port = await freePort();
  const config = join(bench.dir, `dnsmasq-${mode.kind}.conf`);
  writeFileSync(config, dnsmasqConfig(mode, port, join(bench.dir, `dnsmasq-${mode.kind}.pid`)));
  const server = bench.processes.start('dnsmasq', 'dnsmasq', [
    '--keep-in-foreground',
    `--conf-file=${config}`,
  ]);
  await ready(bench, server, port);
  return { label: 'dnsmasq', oasis: false, server, port };
}

async function startUnbound(bench: Bench, mode: PeerMode): Promise<Contender> {
  const port = await freePort();
  const directory = join(bench.dir, `unbound-${mode.kind}`);
  mkdirSync(directory);
  const config = join(directory, 'unbound.conf');
  writeFileSync(config, unboundConfig(mode, port, directory));
  const server = bench.processes.start('Unbound', 'unbound', ['-d', '-c', config]);
  await ready(bench, server, port);
  return { label: 'Unbound', oasis: false, server, port };
}

/** A dnsperf run that bench.processes can kill on a signal. */
function dnsperf(bench: Bench, load: DnsperfLoad, run: DnsperfRun): Promise<DnsperfResult> {
  return runDnsperf(load, run, (child) => bench.processes.adopt(child));
}

/** One measured dnsperf run and what the server used for it. */
interface Run {
  readonly round: number;
  readonly dnsperf: DnsperfResult;
  readonly serverCpuSeconds: number;
  readonly cpuMicrosPerQuery: number;
  /** The server's CPU time over the wall time of the run: 1 is one core busy. */
  readonly serverCores: number;
  /** dnsperf's, the same way: near 1 when the load generator is the limit. */
  readonly clientCores: number;
  readonly residentBytes: number;
  /** The share of both cores that was busy (dnsperf, the server and anything else). */
  readonly machineBusy: number | undefined;
  /** The upstream's CPU time during the run (cache case): near 0 when answered from cache. */
  readonly upstreamCpuSeconds?: number;
}

async function measureRun(
  contender: Contender,
  bench: Bench,
  round: number,
  upstream: ServerProcess | undefined,
): Promise<Run> {
  const { server, port } = contender;
  const cpuBefore = server.cpuSeconds();
  const upstreamBefore = upstream?.cpuSeconds();
  const ticksBefore = machineTicks();
  const startNs = process.hrtime.bigint();
  const result = await dnsperf(bench, LOAD, {
    port,
    queryFile: bench.queryFile,
    seconds: bench.settings.seconds,
  });
  const wallSeconds = Number(process.hrtime.bigint() - startNs) / 1e9;
  const serverCpuSeconds = server.cpuSeconds() - cpuBefore;
  const upstreamCpu =
    upstream === undefined || upstreamBefore === undefined
      ? undefined
      : upstream.cpuSeconds() - upstreamBefore;
  const residentBytes = server.residentBytes();
  checkResponses(contender, result);
  return {
    round,
    dnsperf: result,
    serverCpuSeconds,
    cpuMicrosPerQuery: (serverCpuSeconds / result.completed) * 1e6,
    serverCores: serverCpuSeconds / wallSeconds,
    clientCores: result.clientCpuSeconds / wallSeconds,
    residentBytes,
    machineBusy: busyShare(ticksBefore, machineTicks()),
    ...(upstreamCpu === undefined ? {} : { upstreamCpuSeconds: upstreamCpu }),
  };
}

/** Every query answered, and with NOERROR: the servers were given names they all know. */
function checkResponses(contender: Contender, result: DnsperfResult): void {
  contender.server.checkAlive();
  const other = Object.keys(result.rcodes).filter((rcode) => rcode !== 'NOERROR');
  if (result.completed === 0 || other.length > 0) {
    throw new Error(
      `${contender.label}: ${result.completed} answers, response codes ${JSON.stringify(result.rcodes)}`,
    );
  }
}

interface ServerResult {
  readonly label: string;
  readonly oasis: boolean;
  readonly medianQueriesPerSecond: number;
  readonly minQueriesPerSecond: number;
  readonly maxQueriesPerSecond: number;
  readonly medianLatencyMs: number;
  readonly medianCpuMicrosPerQuery: number;
  readonly medianServerCores: number;
  readonly medianClientCores: number;
  readonly maxResidentBytes: number;
  readonly lost: number;
  /** The upstream's CPU time over all this server's runs (cache case): ~0 if all from cache. */
  readonly upstreamCpuSeconds?: number;
  /** Oasis' median rate over this peer's (undefined for Oasis, or without an Oasis row). */
  readonly oasisRatio?: number;
  readonly cacheFill?: DnsperfResult;
  readonly warmup: DnsperfResult;
  readonly runs: readonly Run[];
}

interface CaseResult {
  readonly name: string;
  readonly description: string;
  /** Why Oasis has no row, when it has none. */
  readonly oasisMissing?: string;
  readonly servers: readonly ServerResult[];
}

/** Cache fill (cache case), warm-up, then the rounds, rotating the order each round. */
async function measureCase(
  bench: Bench,
  contenders: readonly Contender[],
  options: { readonly fillCache: boolean; readonly upstream?: ServerProcess },
): Promise<ServerResult[]> {
  const fills = new Map<Contender, DnsperfResult>();
  const warmups = new Map<Contender, DnsperfResult>();
  for (const contender of contenders) {
    if (options.fillCache) {
      const fill = await dnsperf(bench, FILL_LOAD, {
        port: contender.port,
        queryFile: bench.queryFile,
        passes: 1,
      });
      checkResponses(contender, fill);
      fills.set(contender, fill);
    }
    const warmup = await dnsperf(bench, LOAD, {
      port: contender.port,
      queryFile: bench.queryFile,
      seconds: WARMUP_SECONDS,
    });
    checkResponses(contender, warmup);
    warmups.set(contender, warmup);
  }
  const runs = new Map<Contender, Run[]>(contenders.map((contender) => [contender, []]));
  for (let round = 0; round < bench.settings.rounds; round++) {
    const shift = round % contenders.length;
    const order = [...contenders.slice(shift), ...contenders.slice(0, shift)];
    for (const contender of order) {
      const run = await measureRun(contender, bench, round, options.upstream);
      runs.get(contender)!.push(run);
      console.error(
        `dns: round ${round + 1}/${bench.settings.rounds}: ${contender.label} ${run.dnsperf.queriesPerSecond.toFixed(0)} q/s`,
      );
    }
  }
  const results = contenders.map((contender): ServerResult => {
    const list = runs.get(contender)!;
    const rates = list.map((run) => run.dnsperf.queriesPerSecond);
    const fill = fills.get(contender);
    const upstreamCpu = list.map((run) => run.upstreamCpuSeconds ?? 0);
    return {
      label: contender.label,
      oasis: contender.oasis,
      medianQueriesPerSecond: median(rates),
      minQueriesPerSecond: Math.min(...rates),
      maxQueriesPerSecond: Math.max(...rates),
      medianLatencyMs: median(list.map((run) => run.dnsperf.averageLatencySeconds * 1000)),
      medianCpuMicrosPerQuery: median(list.map((run) => run.cpuMicrosPerQuery)),
      medianServerCores: median(list.map((run) => run.serverCores)),
      medianClientCores: median(list.map((run) => run.clientCores)),
      maxResidentBytes: Math.max(...list.map((run) => run.residentBytes)),
      lost: list.reduce((sum, run) => sum + run.dnsperf.lost, 0),
      ...(options.upstream === undefined
        ? {}
        : { upstreamCpuSeconds: upstreamCpu.reduce((sum, seconds) => sum + seconds, 0) }),
      ...(fill === undefined ? {} : { cacheFill: fill }),
      warmup: warmups.get(contender)!,
      runs: list,
    };
  });
  const oasis = results.find((result) => result.oasis);
  return results.map((result) =>
    result.oasis || oasis === undefined
      ? result
      : { ...result, oasisRatio: oasis.medianQueriesPerSecond / result.medianQueriesPerSecond },
  );
}

/** Case 1: the zone from each server's own configuration. */
async function authoritativeCase(bench: Bench, primaryBundle: string): Promise<CaseResult> {
  const mode: PeerMode = { kind: 'authoritative', hosts: bench.hosts };
  const contenders = [
    await startPrimary(bench, primaryBundle, 'Oasis dns-primary'),
    await startDnsmasq(bench, mode),
    await startUnbound(bench, mode),
    await startNodeResponder(bench),
  ];
  try {
    return {
      name: 'authoritative',
      description: `${HOST_COUNT} A records from the server's own data (zone file; dnsmasq host-record; Unbound static local-data; the reference responder's Map)`,
      servers: await measureCase(bench, contenders, { fillCache: false }),
    };
  } finally {
    for (const contender of contenders) await bench.processes.stop(contender.server);
  }
}

/** Case 2: resolvers in front of the upstream dns-primary, answering from their caches. */
async function cacheCase(
  bench: Bench,
  resolverBundle: string | { readonly error: string },
  upstream: Contender,
): Promise<CaseResult> {
  const mode: PeerMode = { kind: 'forwarding', upstreamPort: upstream.port };
  let oasisMissing: string | undefined;
  const contenders: Contender[] = [];
  try {
    if (typeof resolverBundle === 'string') {
      try {
        contenders.push(await startResolver(bench, resolverBundle, upstream.port));
      } catch (error) {
        oasisMissing = `did not start: ${error instanceof Error ? error.message : String(error)}`;
      }
    } else {
      oasisMissing = `not built: ${resolverBundle.error}`;
    }
    contenders.push(await startDnsmasq(bench, mode), await startUnbound(bench, mode));
    return {
      name: 'cache',
      description: `the same ${HOST_COUNT} names from the resolver's cache (filled by one pass first), forwarding to an Oasis dns-primary`,
      ...(oasisMissing === undefined ? {} : { oasisMissing }),
      servers: await measureCase(bench, contenders, {
        fillCache: true,
        upstream: upstream.server,
      }),
    };
  } finally {
    for (const contender of contenders) await bench.processes.stop(contender.server);
  }
}

async function buildBundle(dir: string, service: string): Promise<string> {
  const report = await build({
    dir: `unikernels/${service}`,
    target: 'node',
    embed: {},
    out: join(dir, `${service}.mjs`),
  });
  return report.bundle;
}

const thousands = (value: number): string => Math.round(value).toLocaleString('en-US');

function printTables(cases: readonly CaseResult[], config: Settings): void {
  console.log(
    `DNS over UDP on loopback: dnsperf ${dnsperfArgs(LOAD, { port: 0, queryFile: 'FILE' })
      .slice(6)
      .join(
        ' ',
      )} -l ${config.seconds}, ${config.rounds} rounds, medians (Node ${process.version}, ${cpus().length} cores, Linux ${release()})`,
  );
  const rows = [
    [
      'case',
      'server',
      'q/s',
      'min–max',
      'latency',
      'CPU/query',
      'CPU',
      'dnsperf CPU',
      'RSS',
      'lost',
      'Oasis/peer',
    ],
  ];
  for (const c of cases) {
    for (const s of c.servers) {
      rows.push([
        c.name,
        s.label,
        thousands(s.medianQueriesPerSecond),
        `${thousands(s.minQueriesPerSecond)}–${thousands(s.maxQueriesPerSecond)}`,
        `${s.medianLatencyMs.toFixed(2)} ms`,
        `${s.medianCpuMicrosPerQuery.toFixed(1)} µs`,
        `${(s.medianServerCores * 100).toFixed(0)}%`,
        `${(s.medianClientCores * 100).toFixed(0)}%`,
        `${(s.maxResidentBytes / 1e6).toFixed(1)} MB`,
        String(s.lost),
        s.oasisRatio === undefined ? '' : `${s.oasisRatio.toFixed(2)}×`,
      ]);
    }
    if (c.oasisMissing !== undefined)
      rows.push([c.name, `Oasis: ${c.oasisMissing.split('\n')[0]}`]);
  }
  const widths = rows[0]!.map((_, column) =>
    Math.max(...rows.map((cells) => (cells[column] ?? '').length)),
  );
  for (const cells of rows) {
    console.log(
      cells
        .map((cell, column) =>
          column < 2 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!),
        )
        .join('  ')
        .trimEnd(),
    );
  }
  for (const c of cases) {
    const upstream = c.servers.filter((server) => server.upstreamCpuSeconds !== undefined);
    if (upstream.length === 0) continue;
    console.log(
      `${c.name}: the upstream's CPU time during each server's runs: ${upstream.map((server) => `${server.label} ${server.upstreamCpuSeconds!.toFixed(2)} s`).join(', ')} (≈0: answered from the cache)`,
    );
  }
  console.log(
    "CPU/query: the server process' user+system time over the queries answered; CPU, dnsperf CPU: the server's and dnsperf's over the run, 1 core = 100%; RSS: the largest VmRSS at the end of a run.",
  );
}

/** Runs dnsperf against a service started with `node --cpu-prof`, and prints the summary. */
async function profileOne(
  bench: Bench,
  start: (nodeOptions: readonly string[]) => Promise<Contender>,
  fillCache: boolean,
): Promise<void> {
  const keep = mkdtempSync(join(tmpdir(), 'oasis-dns-profile-'));
  const service = await start(['--cpu-prof', '--cpu-prof-dir', keep]);
  const run = { port: service.port, queryFile: bench.queryFile };
  if (fillCache) await dnsperf(bench, FILL_LOAD, { ...run, passes: 1 });
  await dnsperf(bench, LOAD, { ...run, seconds: WARMUP_SECONDS });
  const measured = await measureRun(service, bench, 0, undefined);
  await bench.processes.stop(service.server);
  const file = readdirSync(keep).find((name) => name.endsWith('.cpuprofile'));
  if (file === undefined) throw new Error(`no .cpuprofile in ${keep}: ${service.server.output}`);
  console.log(
    `\n${service.label} under the profiler: ${thousands(measured.dnsperf.queriesPerSecond)} q/s, ${measured.cpuMicrosPerQuery.toFixed(1)} µs CPU per query, ${(measured.serverCores * 100).toFixed(0)}% of a core`,
  );
  // Summarised now: the bundle's source map is in bench.dir, removed at the end.
  console.log(formatDnsProfile(summariseDnsProfile(join(keep, file))));
}

/**
 * --profile: dns-primary (authoritative), the reference responder, then dns-resolver answering
 * from its cache.
 */
async function profile(
  bench: Bench,
  primaryBundle: string,
  resolverBundle: string | { readonly error: string },
): Promise<void> {
  await profileOne(
    bench,
    (nodeOptions) => startPrimary(bench, primaryBundle, 'Oasis dns-primary', nodeOptions),
    false,
  );
  await profileOne(bench, (nodeOptions) => startNodeResponder(bench, nodeOptions), false);
  if (typeof resolverBundle !== 'string') {
    console.log(`\ndns-resolver not profiled: ${resolverBundle.error}`);
    return;
  }
  const upstream = await startPrimary(bench, primaryBundle, 'upstream dns-primary');
  await profileOne(
    bench,
    (nodeOptions) => startResolver(bench, resolverBundle, upstream.port, nodeOptions),
    true,
  );
}

async function main(): Promise<void> {
  const config = settings();
  checkTools();
  const dir = mkdtempSync(join(tmpdir(), 'oasis-bench-dns-'));
  const processes = new ChildProcesses();
  const onSignal = (signal: NodeJS.Signals): void => {
    console.error(`dns: ${signal}: stopping the servers`);
    processes.killAll();
    rmSync(dir, { recursive: true, force: true });
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const hosts = benchHosts();
    const zonesDir = join(dir, 'zones');
    mkdirSync(zonesDir);
    writeFileSync(join(zonesDir, ZONE_FILE_NAME), zoneFile(hosts));
    const queries = join(dir, 'queries.txt');
    writeFileSync(queries, queryFile(hosts));
    const bench: Bench = {
      dir,
      hosts,
      // Spread over the zone: h0000, h0100, ... h0900.
      sample: hosts.filter((_, i) => i % (HOST_COUNT / SAMPLE_SIZE) === 0),
      queryFile: queries,
      zonesDir,
      processes,
      settings: config,
    };
    const primaryBundle = await buildBundle(dir, 'dns-primary');
    const resolverBundle = await buildBundle(dir, 'dns-resolver').catch((error: unknown) => ({
      error: error instanceof Error ? error.message : String(error),
    }));
    if (config.profile) {
      await profile(bench, primaryBundle, resolverBundle);
      return;
    }
    const loadBefore = loadavg();
    const cases = [await authoritativeCase(bench, primaryBundle)];
    const upstream = await startPrimary(bench, primaryBundle, 'upstream dns-primary');
    cases.push(await cacheCase(bench, resolverBundle, upstream));
    const loadAfter = loadavg();
    printTables(cases, config);
    const resultsDir = new URL('results/', import.meta.url);
    mkdirSync(resultsDir, { recursive: true });
    const report = {
      benchmark: 'dns',
      date: new Date().toISOString(),
      node: process.version,
      kernel: release(),
      cpu: cpus()[0]?.model ?? 'unknown',
      cpuCount: cpus().length,
      loadAverage: { before: loadBefore, after: loadAfter },
      peers: {
        dnsperf: versionOf('dnsperf', ['-h'], /Version \S+/),
        dnsmasq: versionOf('dnsmasq', ['--version'], /Dnsmasq version \S+/),
        unbound: versionOf('unbound', ['-V'], /Version \S+/),
      },
      dnsperf: dnsperfArgs(LOAD, { port: 0, queryFile: 'FILE', seconds: config.seconds }),
      rounds: config.rounds,
      seconds: config.seconds,
      warmupSeconds: WARMUP_SECONDS,
      hosts: HOST_COUNT,
      unit: 'queries per second (dnsperf), average latency in ms (dnsperf)',
      cases,
    };
    writeFileSync(new URL('dns.json', resultsDir), `${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await processes.stopAll();
    rmSync(dir, { recursive: true, force: true });
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

try {
  await main();
} catch (error) {
  console.error(`dns: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
