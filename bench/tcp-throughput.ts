// TCP bulk throughput: the real iperf3 client against the iperf service (unikernels/iperf) on
// Oasis' direct stack over a TAP device, against iperf3 against its own server on the kernel's
// TCP over a veth pair (the peer), in both directions; and, as a row of its own, one bulk flow
// between two direct stacks on the simulated network, in this process:
//
//   Oasis: iperf3 -c (ns A, 10.86.0.1) -- kernel TCP -- TAP -- node tap.mjs (the iperf bundle,
//          built here for the tap target, running in ns A on the direct stack at 10.86.0.2)
//   peer:  iperf3 -c (ns B, 10.86.1.1) -- kernel TCP -- veth -- kernel TCP -- iperf3 -s (ns C,
//          10.86.1.2)
//   sim:   direct stack 10.86.2.1 -- SimNic -- switch -- SimNic -- direct stack 10.86.2.2, both in
//          this process on one virtual clock (tcp-throughput/sim-flow.ts)
//
// Forward is Linux → Oasis (the client sends; on the peer, client → server), reverse (-R) the
// other way. The headline figure is iperf3's end.sum_received.bits_per_second: what the receiver
// got over the test. The TAP device carries 64 KiB TCP super-frames both ways (virtio-net
// offloads), as the veth pair does for the kernel. Each side is warmed up once per direction,
// then the rounds alternate the sides (Oasis first in even rounds, the peer first in odd ones);
// the sim flow runs last in every round. The table shows medians and Oasis/Linux; the aim is at
// least 5 Gbit/s each way over TAP. The CPU columns are the server processes' user+system time
// over the run's wall time (the iperf service's Node process; iperf3 -s).
//
// The sim row has no peer: both stacks, the switch and the links share one thread, the links
// are MTU 1500 without segmentation offload (a segment per 1,460 bytes, against one per 64 KiB on
// the TAP device), and it is timed by the wall clock while virtual time runs as fast as the CPU
// allows. It is driven two ways: one timer then a macrotask for promise callbacks
// (settleInVirtualTime, as the tests do), and every timer due at an instant then a macrotask.
//
// --ipv6 runs the same tests over IPv6 (fd00:86::/64 on the TAP link, fd00:86:1::/64 on the veth
// pair; the sim row stays IPv4) and writes tcp-throughput-ipv6.json: its Oasis rows against
// those of an IPv4 run give the IPv6/IPv4 ratio.
//
// --profile runs instead one forward and one reverse test against the service started with
// `node --cpu-prof`, keeps the .cpuprofile files, and prints where the time went: the top
// functions by self time (mapped to the sources through the bundle's source map) and the shares
// of idle, GC, the TAP device, TCP input and output, and buffer copies (tcp-throughput/
// cpu-profile.ts).
//
// All traffic stays inside the namespaces, which are deleted at the end, on failure and on
// SIGINT/SIGTERM, with every process this benchmark started.
// Run: npm run bench -- tcp-throughput [-- --rounds N --seconds N --sim-mib N --profile]
//      (as root: TAP device and network namespaces; needs iperf3)

import {
  type ChildProcessByStdio,
  type SpawnSyncReturns,
  spawn,
  spawnSync,
} from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { cpus, loadavg, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from '@oasis/cli';
import { benchArguments, integerOption, usageError } from './command-line.ts';
import { median } from './stats.ts';
import { formatProfileSummary, summariseProfile } from './tcp-throughput/cpu-profile.ts';
import { measureSimFlow, type SimDriver, type SimFlowResult } from './tcp-throughput/sim-flow.ts';

/** The testbed's addresses in one family; `--ipv6` runs every test over IPv6. */
interface Addresses {
  readonly tapKernel: string;
  readonly tapService: string;
  readonly vethClient: string;
  readonly vethServer: string;
  readonly prefixLength: number;
}
const IPV4_ADDRESSES: Addresses = {
  tapKernel: '10.86.0.1',
  tapService: '10.86.0.2',
  vethClient: '10.86.1.1',
  vethServer: '10.86.1.2',
  prefixLength: 24,
};
const IPV6_ADDRESSES: Addresses = {
  tapKernel: 'fd00:86::1',
  tapService: 'fd00:86::2',
  vethClient: 'fd00:86:1::1',
  vethServer: 'fd00:86:1::2',
  prefixLength: 64,
};
const IPERF_PORT = 5201;
/** One test per side and direction, before the first round. */
const WARMUP_SECONDS = 2;
/** Sent once before the sim rounds, so they measure compiled code. */
const SIM_WARMUP_MIB = 16;
const SIM_MTU = 1500;
const READY_TIMEOUT_MS = 15_000;
/** How long a test may run past its duration before it counts as stuck. */
const TEST_GRACE_MS = 30_000;
const STOP_TIMEOUT_MS = 5000;
/** The aim, each direction, over TAP. */
const AIM_BITS_PER_SECOND = 5e9;
const IPERF_SERVICE = fileURLToPath(new URL('../unikernels/iperf', import.meta.url));

type Direction = 'forward' | 'reverse';
const DIRECTIONS: readonly Direction[] = ['forward', 'reverse'];
const DIRECTION_LABELS: Readonly<Record<Direction, string>> = {
  forward: 'Linux → Oasis',
  reverse: 'Oasis → Linux (-R)',
};

interface Settings {
  readonly rounds: number;
  readonly seconds: number;
  readonly simMib: number;
  readonly profile: boolean;
  readonly addresses: Addresses;
  readonly ipv6: boolean;
}

type Child = ChildProcessByStdio<null, Readable, Readable>;

const BENCH = 'tcp-throughput';

function settings(): Settings {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      // `npm run bench -- tcp-throughput -- --rounds 3` hands over a leading '--': skip it.
      args: benchArguments(),
      options: {
        rounds: { type: 'string', default: '5' },
        seconds: { type: 'string', default: '5' },
        'sim-mib': { type: 'string', default: '128' },
        profile: { type: 'boolean', default: false },
        ipv6: { type: 'boolean', default: false },
      },
      allowPositionals: false,
    }));
  } catch (error) {
    usageError(
      BENCH,
      `${error instanceof Error ? error.message : String(error)}; options: --rounds N --seconds N --sim-mib N --profile --ipv6`,
    );
  }
  return {
    rounds: integerOption(BENCH, String(values['rounds']), '--rounds', 1, 100),
    seconds: integerOption(BENCH, String(values['seconds']), '--seconds', 1, 3600),
    simMib: integerOption(BENCH, String(values['sim-mib']), '--sim-mib', 1, 65_536),
    profile: values['profile'] === true,
    ipv6: values['ipv6'] === true,
    addresses: values['ipv6'] === true ? IPV6_ADDRESSES : IPV4_ADDRESSES,
  };
}

/** Exits with the reason when this machine cannot run the benchmark. */
function checkMachine(): void {
  let reason: string | undefined;
  if (process.getuid?.() !== 0) {
    reason = 'needs root (CAP_NET_ADMIN) for the TAP device and network namespaces';
  } else if (!existsSync('/dev/net/tun')) {
    reason = '/dev/net/tun is missing (load the tun module: modprobe tun)';
  } else if (spawnSync('ip', ['-V']).error !== undefined) {
    reason = 'the ip command is missing (apt-get install iproute2)';
  } else if (spawnSync('iperf3', ['--version']).error !== undefined) {
    reason = 'iperf3 is missing (apt-get install iperf3)';
  }
  if (reason === undefined) return;
  console.error(`tcp-throughput: ${reason}`);
  process.exit(1);
}

function check(result: SpawnSyncReturns<string>, command: readonly string[]): string {
  if (result.error !== undefined) throw result.error;
  if (result.status !== 0) {
    throw new Error(`${command.join(' ')} exited with ${result.status}: ${result.stderr.trim()}`);
  }
  return result.stdout;
}

/** Runs a program to completion; throws with its stderr when it fails. */
function run(program: string, args: readonly string[]): string {
  return check(spawnSync(program, args, { encoding: 'utf8' }), [program, ...args]);
}

/** The last `limit` characters: enough of a child's output for an error message. */
function tail(text: string, limit = 4096): string {
  return text.length > limit ? text.slice(-limit) : text;
}

/** Seconds of CPU (user + system) a process has used so far, from /proc; undefined once gone. */
function cpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The fields after the command name (which may hold spaces) start at field 3, state.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks / CLOCK_TICKS;
}

/** The machine's CPU time so far, in ticks, from /proc/stat: all, idle (with iowait), stolen. */
function machineTicks(): { total: number; idle: number; steal: number } | undefined {
  let line: string | undefined;
  try {
    line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
  } catch {
    return undefined;
  }
  // cpu user nice system idle iowait irq softirq steal guest guest_nice
  const fields = (line ?? '').trim().split(/\s+/).slice(1, 9).map(Number);
  if (fields.length < 8 || fields.some((value) => !Number.isFinite(value))) return undefined;
  return {
    total: fields.reduce((sum, value) => sum + value, 0),
    idle: fields[3]! + fields[4]!,
    steal: fields[7]!,
  };
}

const CLOCK_TICKS = (() => {
  const result = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const value = Number(result.stdout?.trim());
  return Number.isFinite(value) && value > 0 ? value : 100;
})();

/**
 * Everything the benchmark creates: network namespaces (and so the interfaces in them), child
 * processes and a temporary directory. `close` removes them; `abort` does the same synchronously,
 * for signal handlers.
 */
class Testbed {
  readonly dir = mkdtempSync(join(tmpdir(), 'oasis-tcp-throughput-'));
  readonly #namespaces: string[] = [];
  readonly #children = new Set<Child>();

  addNamespace(name: string): void {
    run('ip', ['netns', 'add', name]);
    this.#namespaces.push(name);
    run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  }

  /** Starts `program` inside `namespace` (ip netns exec runs it in its own place, same pid). */
  spawnIn(namespace: string, program: string, args: readonly string[]): Child {
    const child = spawn('ip', ['netns', 'exec', namespace, program, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    this.#children.add(child);
    child.once('close', () => this.#children.delete(child));
    return child;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#children].map((child) => stop(child)));
    this.#release();
  }

  abort(): void {
    for (const child of this.#children) child.kill('SIGKILL');
    this.#release();
  }

  #release(): void {
    for (const name of this.#namespaces.splice(0)) {
      const result = spawnSync('ip', ['netns', 'delete', name], { encoding: 'utf8' });
      if (result.status !== 0) {
        console.error(
          `tcp-throughput: could not delete namespace ${name}: ${result.stderr.trim()}`,
        );
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** SIGTERM, then SIGKILL if the child is still there after STOP_TIMEOUT_MS. */
function stop(child: Child): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    child.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * A long-running server: its output collected, a way to wait until it has printed `pattern` a
 * given number of times, and a check that it is still running.
 */
class Server {
  readonly child: Child;
  readonly #label: string;
  readonly #stream: 'stdout' | 'stderr';
  #output = '';
  #log = '';
  readonly #waiters = new Set<() => void>();

  constructor(label: string, child: Child, stream: 'stdout' | 'stderr') {
    this.#label = label;
    this.child = child;
    this.#stream = stream;
    const onData = (which: 'stdout' | 'stderr') => (chunk: string) => {
      if (which === this.#stream) this.#output += chunk;
      this.#log = tail(this.#log + chunk);
      for (const wake of this.#waiters) wake();
    };
    child.stdout.on('data', onData('stdout'));
    child.stderr.on('data', onData('stderr'));
    child.once('close', () => {
      for (const wake of this.#waiters) wake();
    });
  }

  /** How often `pattern` (global) appears in the watched stream so far. */
  count(pattern: RegExp): number {
    return this.#output.match(pattern)?.length ?? 0;
  }

  /** Resolves once `pattern` (global) appeared `times` times; rejects on exit or timeout. */
  waitFor(pattern: RegExp, times: number, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const finish = (error?: Error): void => {
        clearTimeout(timer);
        this.#waiters.delete(poll);
        if (error === undefined) resolve();
        else reject(error);
      };
      const poll = (): void => {
        if (this.count(pattern) >= times) finish();
        else if (this.ended() !== undefined) {
          finish(new Error(`${this.#label} exited (${this.ended()}): ${this.#log}`));
        }
      };
      const timer = setTimeout(
        () =>
          finish(new Error(`${this.#label}: no ${pattern} within ${timeoutMs} ms: ${this.#log}`)),
        timeoutMs,
      );
      this.#waiters.add(poll);
      poll();
    });
  }

  /** The exit code or signal once the process has ended. */
  ended(): number | string | undefined {
    const ended = this.child.exitCode ?? this.child.signalCode;
    return ended === null ? undefined : ended;
  }

  alive(): void {
    const ended = this.ended();
    if (ended !== undefined) throw new Error(`${this.#label} exited (${ended}): ${this.#log}`);
  }

  cpuSeconds(): number | undefined {
    return cpuSeconds(this.child.pid);
  }

  get log(): string {
    return this.#log;
  }
}

/** A side of the comparison: where the client runs, what it asks, and the server's test count. */
interface Side {
  readonly label: string;
  readonly clientNamespace: string;
  readonly target: string;
  readonly server: Server;
  /** Matches once per finished test in the server's watched output. */
  readonly testEnd: RegExp;
}

/** One iperf3 test as the client reports it, with the server's CPU use over the test. */
interface TestResult {
  readonly direction: Direction;
  /** end.sum_received.bits_per_second: the receiver's rate over the test. */
  readonly receivedBitsPerSecond: number;
  /** end.sum_sent.bits_per_second. */
  readonly sentBitsPerSecond: number;
  readonly receivedBytes: number;
  readonly seconds: number;
  /** Retransmissions counted by a Linux sender (the client forward, iperf3 -s in reverse). */
  readonly retransmits: number | undefined;
  /** iperf3's own CPU use (percent of one core, as iperf3 reports it). */
  readonly clientCpuPercent: number | undefined;
  /** The server process' user + system CPU time over the test's wall time, percent of one core. */
  readonly serverCpuPercent: number | undefined;
  /**
   * The machine over the test, percent of all its CPU time: busy (anything, this benchmark's
   * processes included) and stolen by the hypervisor (a sign of noisy neighbours).
   */
  readonly machineBusyPercent: number | undefined;
  readonly machineStealPercent: number | undefined;
}

function numberAt(value: unknown, path: readonly string[]): number | undefined {
  let at = value;
  for (const key of path) {
    if (typeof at !== 'object' || at === null) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return typeof at === 'number' && Number.isFinite(at) ? at : undefined;
}

function parseIperf(
  stdout: string,
  direction: Direction,
  label: string,
): Omit<TestResult, 'serverCpuPercent' | 'machineBusyPercent' | 'machineStealPercent'> {
  let report: unknown;
  try {
    report = JSON.parse(stdout);
  } catch {
    throw new Error(`iperf3 (${label}, ${direction}) printed no JSON: ${tail(stdout, 500)}`);
  }
  const error = (report as Record<string, unknown>)['error'];
  if (typeof error === 'string') throw new Error(`iperf3 (${label}, ${direction}): ${error}`);
  const received = numberAt(report, ['end', 'sum_received', 'bits_per_second']);
  const sent = numberAt(report, ['end', 'sum_sent', 'bits_per_second']);
  const bytes = numberAt(report, ['end', 'sum_received', 'bytes']);
  const seconds = numberAt(report, ['end', 'sum_received', 'seconds']);
  if (
    received === undefined ||
    sent === undefined ||
    bytes === undefined ||
    seconds === undefined
  ) {
    throw new Error(`iperf3 (${label}, ${direction}): no end.sum_received/sum_sent in its report`);
  }
  return {
    direction,
    receivedBitsPerSecond: received,
    sentBitsPerSecond: sent,
    receivedBytes: bytes,
    seconds,
    retransmits: numberAt(report, ['end', 'sum_sent', 'retransmits']),
    clientCpuPercent: numberAt(report, ['end', 'cpu_utilization_percent', 'host_total']),
  };
}

/** One iperf3 test from the side's client namespace; waits until the server has finished it. */
async function runTest(
  testbed: Testbed,
  side: Side,
  direction: Direction,
  seconds: number,
): Promise<TestResult> {
  side.server.alive();
  const endsBefore = side.server.count(side.testEnd);
  const args = ['-c', side.target, '-p', String(IPERF_PORT), '-t', String(seconds), '--json'];
  if (direction === 'reverse') args.push('-R');
  const cpuBefore = side.server.cpuSeconds();
  const ticksBefore = machineTicks();
  const startNs = process.hrtime.bigint();
  const client = testbed.spawnIn(side.clientNamespace, 'iperf3', args);
  let stdout = '';
  let stderr = '';
  client.stdout.on('data', (chunk: string) => {
    stdout += chunk;
  });
  client.stderr.on('data', (chunk: string) => {
    stderr = tail(stderr + chunk);
  });
  const timer = setTimeout(() => client.kill('SIGKILL'), seconds * 1000 + TEST_GRACE_MS);
  const code = await new Promise<number | string>((resolve, reject) => {
    client.once('error', reject);
    client.once('close', (exitCode, signal) => resolve(exitCode ?? signal ?? 'unknown'));
  });
  clearTimeout(timer);
  const wallSeconds = Number(process.hrtime.bigint() - startNs) / 1e9;
  const cpuAfter = side.server.cpuSeconds();
  const ticksAfter = machineTicks();
  if (code !== 0 && stdout.trim() === '') {
    throw new Error(`iperf3 (${side.label}, ${direction}) ended with ${code}: ${stderr}`);
  }
  const result = parseIperf(stdout, direction, side.label);
  // The next test may start only once the server is done with this one (one test at a time).
  await side.server.waitFor(side.testEnd, endsBefore + 1, READY_TIMEOUT_MS);
  return {
    ...result,
    serverCpuPercent:
      cpuBefore === undefined || cpuAfter === undefined
        ? undefined
        : ((cpuAfter - cpuBefore) / wallSeconds) * 100,
    ...machineShares(ticksBefore, ticksAfter),
  };
}

function machineShares(
  before: ReturnType<typeof machineTicks>,
  after: ReturnType<typeof machineTicks>,
): { machineBusyPercent: number | undefined; machineStealPercent: number | undefined } {
  const total = before === undefined || after === undefined ? 0 : after.total - before.total;
  if (before === undefined || after === undefined || total <= 0) {
    return { machineBusyPercent: undefined, machineStealPercent: undefined };
  }
  const idle = after.idle - before.idle;
  const steal = after.steal - before.steal;
  return {
    machineBusyPercent: ((total - idle - steal) / total) * 100,
    machineStealPercent: (steal / total) * 100,
  };
}

/**
 * The namespace with the persistent TAP interface, the kernel's end at `a.tapKernel` (without
 * duplicate address detection, so that an IPv6 address is usable at once).
 */
function setUpTapNamespace(testbed: Testbed, namespace: string, tapName: string, a: Addresses) {
  testbed.addNamespace(namespace);
  run('ip', ['-n', namespace, 'tuntap', 'add', 'dev', tapName, 'mode', 'tap']);
  run('ip', [
    '-n',
    namespace,
    'addr',
    'add',
    `${a.tapKernel}/${a.prefixLength}`,
    'dev',
    tapName,
    'nodad',
  ]);
  run('ip', ['-n', namespace, 'link', 'set', tapName, 'up']);
}

/** Starts the iperf bundle in `namespace` on the TAP interface; resolves once it listens. */
async function startOasisServer(
  testbed: Testbed,
  bundle: string,
  namespace: string,
  tapName: string,
  a: Addresses,
  profileDir?: string,
): Promise<Server> {
  const nodeOptions = profileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', profileDir];
  const child = testbed.spawnIn(namespace, process.execPath, [
    ...nodeOptions,
    bundle,
    '--tap',
    tapName,
    // The stack has an IPv4 address either way; with --ipv6 the tests run over IPv6.
    '--ipv4',
    `${IPV4_ADDRESSES.tapService}/${IPV4_ADDRESSES.prefixLength}`,
    // The service listens on 0.0.0.0 unless told '::' (both families).
    ...(a === IPV6_ADDRESSES
      ? ['--ipv6', `${a.tapService}/${a.prefixLength}`, '--address', '::']
      : []),
    '--port',
    String(IPERF_PORT),
  ]);
  const server = new Server('the Oasis iperf service', child, 'stderr');
  await server.waitFor(/\blistening\b/g, 1, READY_TIMEOUT_MS);
  return server;
}

/** The veth pair from ns `client` to ns `server`, where iperf3 -s runs. */
async function startPeerServer(
  testbed: Testbed,
  names: { client: string; server: string; clientLink: string; serverLink: string },
  a: Addresses,
): Promise<Server> {
  testbed.addNamespace(names.client);
  testbed.addNamespace(names.server);
  run('ip', [
    '-n',
    names.client,
    'link',
    'add',
    names.clientLink,
    'type',
    'veth',
    'peer',
    'name',
    names.serverLink,
    'netns',
    names.server,
  ]);
  for (const [namespace, link, address] of [
    [names.client, names.clientLink, a.vethClient],
    [names.server, names.serverLink, a.vethServer],
  ] as const) {
    run('ip', [
      '-n',
      namespace,
      'addr',
      'add',
      `${address}/${a.prefixLength}`,
      'dev',
      link,
      'nodad',
    ]);
    run('ip', ['-n', namespace, 'link', 'set', link, 'up']);
  }
  const child = testbed.spawnIn(names.server, 'iperf3', [
    '-s',
    '-p',
    String(IPERF_PORT),
    '--forceflush',
  ]);
  const server = new Server('iperf3 -s', child, 'stdout');
  await server.waitFor(/Server listening/g, 1, READY_TIMEOUT_MS);
  return server;
}

interface Summary {
  readonly medianBitsPerSecond: number;
  readonly minBitsPerSecond: number;
  readonly maxBitsPerSecond: number;
}

function summary(values: readonly number[]): Summary {
  return {
    medianBitsPerSecond: median(values),
    minBitsPerSecond: Math.min(...values),
    maxBitsPerSecond: Math.max(...values),
  };
}

const gbits = (bitsPerSecond: number): string => (bitsPerSecond / 1e9).toFixed(2);
const range = (s: Summary): string => `${gbits(s.minBitsPerSecond)}–${gbits(s.maxBitsPerSecond)}`;
const medianOf = (values: readonly (number | undefined)[]): number | undefined => {
  const known = values.filter((value): value is number => value !== undefined);
  return known.length === 0 ? undefined : median(known);
};
const percent = (value: number | undefined): string =>
  value === undefined ? '?' : `${value.toFixed(0)}%`;

function printTable(rows: readonly (readonly string[])[]): void {
  const widths = rows[0]!.map((_, column) =>
    Math.max(...rows.map((cells) => (cells[column] ?? '').length)),
  );
  for (const cells of rows) {
    console.log(
      cells
        .map((cell, column) =>
          column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!),
        )
        .join('  ')
        .trimEnd(),
    );
  }
}

function machine(): Record<string, unknown> {
  const iperf = spawnSync('iperf3', ['--version'], { encoding: 'utf8' });
  return {
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    kernel: release(),
    cpu: cpus()[0]?.model ?? 'unknown',
    cpuCount: cpus().length,
    iperf3: iperf.stdout?.split('\n')[0]?.trim() ?? 'unknown',
  };
}

async function buildBundle(dir: string): Promise<{ bundle: string; bytes: number }> {
  const report = await build({
    dir: IPERF_SERVICE,
    target: 'tap',
    embed: {},
    out: join(dir, 'tap.mjs'),
  });
  return { bundle: report.bundle, bytes: report.bytes };
}

interface Names {
  readonly tapNamespace: string;
  readonly tapName: string;
  readonly peerClientNamespace: string;
  readonly peerServerNamespace: string;
  readonly peerClientLink: string;
  readonly peerServerLink: string;
}

function names(): Names {
  const pid = process.pid;
  // Interface names have at most 15 bytes; a pid has at most 7 digits.
  return {
    tapNamespace: `oasis-tcp-a-${pid}`,
    tapName: `otcpt${pid}`,
    peerClientNamespace: `oasis-tcp-b-${pid}`,
    peerServerNamespace: `oasis-tcp-c-${pid}`,
    peerClientLink: `otcpb${pid}`,
    peerServerLink: `otcpc${pid}`,
  };
}

const OASIS_TEST_END = /\btest (?:done|ended early)\b/g;
const PEER_TEST_END = /Server listening/g;

async function measure(testbed: Testbed, config: Settings): Promise<void> {
  const n = names();
  const loadBefore = loadavg();
  const { bundle, bytes: bundleBytes } = await buildBundle(testbed.dir);
  const a = config.addresses;
  setUpTapNamespace(testbed, n.tapNamespace, n.tapName, a);
  const oasisServer = await startOasisServer(testbed, bundle, n.tapNamespace, n.tapName, a);
  const peerServer = await startPeerServer(
    testbed,
    {
      client: n.peerClientNamespace,
      server: n.peerServerNamespace,
      clientLink: n.peerClientLink,
      serverLink: n.peerServerLink,
    },
    a,
  );
  const oasis: Side = {
    label: 'Oasis',
    clientNamespace: n.tapNamespace,
    target: a.tapService,
    server: oasisServer,
    testEnd: OASIS_TEST_END,
  };
  const peer: Side = {
    label: 'Linux',
    clientNamespace: n.peerClientNamespace,
    target: a.vethServer,
    server: peerServer,
    testEnd: PEER_TEST_END,
  };

  const warmup: Record<string, TestResult[]> = { oasis: [], peer: [] };
  for (const side of [oasis, peer]) {
    for (const direction of DIRECTIONS) {
      warmup[side === oasis ? 'oasis' : 'peer']!.push(
        await runTest(testbed, side, direction, WARMUP_SECONDS),
      );
    }
  }
  const simBytes = config.simMib * 1024 * 1024;
  const simDrivers: readonly SimDriver[] = ['timer', 'instant'];
  for (const driver of simDrivers) {
    await measureSimFlow(SIM_WARMUP_MIB * 1024 * 1024, { driver, mtu: SIM_MTU });
  }

  const oasisRounds: TestResult[] = [];
  const peerRounds: TestResult[] = [];
  const simRounds: Record<SimDriver, SimFlowResult[]> = { timer: [], instant: [] };
  const loads: number[] = [];
  for (let round = 0; round < config.rounds; round++) {
    const order = round % 2 === 0 ? [oasis, peer] : [peer, oasis];
    for (const side of order) {
      for (const direction of DIRECTIONS) {
        const result = await runTest(testbed, side, direction, config.seconds);
        (side === oasis ? oasisRounds : peerRounds).push(result);
        const rate = `${gbits(result.receivedBitsPerSecond)} Gbit/s`;
        console.error(`  round ${round + 1}: ${side.label} ${direction} ${rate}`);
      }
    }
    for (const driver of simDrivers) {
      const result = await measureSimFlow(simBytes, { driver, mtu: SIM_MTU });
      simRounds[driver].push(result);
      console.error(
        `  round ${round + 1}: sim (${driver}) ${gbits(result.bitsPerSecond)} Gbit/s in ${result.wallSeconds.toFixed(2)} s`,
      );
    }
    loads.push(loadavg()[0]!);
  }
  const loadAfter = loadavg();

  const byDirection = (results: readonly TestResult[], direction: Direction) =>
    results.filter((result) => result.direction === direction);
  const directions = DIRECTIONS.map((direction) => {
    const o = byDirection(oasisRounds, direction);
    const p = byDirection(peerRounds, direction);
    const oasisSummary = summary(o.map((r) => r.receivedBitsPerSecond));
    const peerSummary = summary(p.map((r) => r.receivedBitsPerSecond));
    return {
      direction,
      label: DIRECTION_LABELS[direction],
      oasis: {
        ...oasisSummary,
        medianSentBitsPerSecond: median(o.map((r) => r.sentBitsPerSecond)),
        medianServerCpuPercent: medianOf(o.map((r) => r.serverCpuPercent)),
        rounds: o,
      },
      peer: {
        ...peerSummary,
        medianSentBitsPerSecond: median(p.map((r) => r.sentBitsPerSecond)),
        medianServerCpuPercent: medianOf(p.map((r) => r.serverCpuPercent)),
        rounds: p,
      },
      ratio: oasisSummary.medianBitsPerSecond / peerSummary.medianBitsPerSecond,
      aimMet: oasisSummary.medianBitsPerSecond >= AIM_BITS_PER_SECOND,
    };
  });
  const forwardMedian = directions[0]!.oasis.medianBitsPerSecond;
  const sim = simDrivers.map((driver) => {
    const rounds = simRounds[driver];
    const s = summary(rounds.map((r) => r.bitsPerSecond));
    return { driver, ...s, ofTapForward: s.medianBitsPerSecond / forwardMedian, rounds };
  });

  console.log(
    `TCP throughput, iperf3 -t ${config.seconds}, ${config.rounds} rounds: median Gbit/s received (min–max)`,
  );
  const rows: string[][] = [
    [
      'direction',
      'Oasis TAP',
      'min–max',
      'CPU',
      'Linux veth',
      'min–max',
      'CPU',
      'Oasis/Linux',
      'aim ≥ 5',
    ],
  ];
  for (const d of directions) {
    rows.push([
      d.label,
      gbits(d.oasis.medianBitsPerSecond),
      range(d.oasis),
      percent(d.oasis.medianServerCpuPercent),
      gbits(d.peer.medianBitsPerSecond),
      range(d.peer),
      percent(d.peer.medianServerCpuPercent),
      `${d.ratio.toFixed(2)}x`,
      d.aimMet ? 'met' : 'not met',
    ]);
  }
  for (const s of sim) {
    rows.push([
      `Oasis ⇄ Oasis, sim (${s.driver === 'timer' ? 'settle per timer' : 'settle per instant'})`,
      gbits(s.medianBitsPerSecond),
      range(s),
      '',
      '—',
      '',
      '',
      '—',
      '',
    ]);
  }
  printTable(rows);
  console.log(
    `CPU: the server process (Oasis: the iperf service's Node process; Linux: iperf3 -s), user+system over the test, % of one core (${cpus().length} cores).`,
  );
  console.log(
    `sim: ${config.simMib} MiB, one flow A → B in this process, MTU ${SIM_MTU} without offloads, wall-clock rate; no peer. Against the TAP forward median: ${sim.map((s) => `${s.driver} ${s.ofTapForward.toFixed(2)}x`).join(', ')}.`,
  );
  const all = [...oasisRounds, ...peerRounds];
  const steal = all.map((r) => r.machineStealPercent).filter((v): v is number => v !== undefined);
  if (steal.length > 0) {
    console.log(
      `CPU stolen by the hypervisor during the tests: median ${median(steal).toFixed(1)}%, max ${Math.max(...steal).toFixed(1)}% of the machine's CPU time.`,
    );
  }
  console.log(
    `load average: ${loadBefore.map((l) => l.toFixed(2)).join(' ')} before, ${loadAfter.map((l) => l.toFixed(2)).join(' ')} after`,
  );

  const resultsDir = new URL('results/', import.meta.url);
  mkdirSync(resultsDir, { recursive: true });
  const report = {
    benchmark: 'tcp-throughput',
    family: config.ipv6 ? 'IPv6' : 'IPv4',
    date: new Date().toISOString(),
    ...machine(),
    loadAverage: { before: loadBefore, after: loadAfter, afterEachRound: loads },
    rounds: config.rounds,
    seconds: config.seconds,
    warmupSeconds: WARMUP_SECONDS,
    unit: 'bits per second received (iperf3 end.sum_received.bits_per_second)',
    aimBitsPerSecond: AIM_BITS_PER_SECOND,
    oasisPath: `iperf3 -c (${n.tapNamespace}, ${a.tapKernel}) -> kernel TCP -> TAP ${n.tapName} -> Oasis direct stack (${a.tapService}), unikernels/iperf tap bundle`,
    peerPath: `iperf3 -c (${n.peerClientNamespace}, ${a.vethClient}) -> kernel TCP -> veth -> kernel TCP -> iperf3 -s (${n.peerServerNamespace}, ${a.vethServer})`,
    bundleBytes,
    directions,
    warmup,
    sim: {
      path: 'two direct stacks, SimNic -- learning switch -- SimNic, one process, no link conditions',
      bytes: simBytes,
      mtu: SIM_MTU,
      unit: 'bits per second of payload over the wall-clock time of the flow',
      drivers: sim,
    },
  };
  const resultFile = config.ipv6 ? 'tcp-throughput-ipv6.json' : 'tcp-throughput.json';
  writeFileSync(new URL(resultFile, resultsDir), `${JSON.stringify(report, null, 2)}\n`);
}

/** --profile: one forward and one reverse test against a profiled service, then the summary. */
async function profile(testbed: Testbed, config: Settings): Promise<void> {
  const n = names();
  // The bundle and its source map stay with the profiles, to summarise them again later.
  const keep = mkdtempSync(join(tmpdir(), 'oasis-tcp-throughput-profile-'));
  const { bundle } = await buildBundle(keep);
  const a = config.addresses;
  setUpTapNamespace(testbed, n.tapNamespace, n.tapName, a);
  const loadBefore = loadavg();
  for (const direction of DIRECTIONS) {
    const dir = join(keep, direction);
    mkdirSync(dir);
    const server = await startOasisServer(testbed, bundle, n.tapNamespace, n.tapName, a, dir);
    const side: Side = {
      label: 'Oasis (profiled)',
      clientNamespace: n.tapNamespace,
      target: a.tapService,
      server,
      testEnd: OASIS_TEST_END,
    };
    const result = await runTest(testbed, side, direction, config.seconds);
    await stop(server.child);
    const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
    if (file === undefined) throw new Error(`no .cpuprofile in ${dir}: ${server.log}`);
    const summaryOfProfile = summariseProfile(join(dir, file), { top: 15 });
    console.log(
      `\n${DIRECTION_LABELS[direction]}: ${gbits(result.receivedBitsPerSecond)} Gbit/s under the profiler (service CPU ${percent(result.serverCpuPercent)} of a core), ${join(dir, file)}`,
    );
    console.log(formatProfileSummary(summaryOfProfile));
  }
  const loadAfter = loadavg();
  console.log(
    `\nload average: ${loadBefore.map((l) => l.toFixed(2)).join(' ')} before, ${loadAfter.map((l) => l.toFixed(2)).join(' ')} after; profiles kept in ${keep}`,
  );
}

async function main(): Promise<void> {
  const config = settings();
  checkMachine();
  const testbed = new Testbed();
  const onSignal = (signal: NodeJS.Signals): void => {
    console.error(`tcp-throughput: ${signal}: stopping the processes, removing the namespaces`);
    testbed.abort();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    if (config.profile) await profile(testbed, config);
    else await measure(testbed, config);
  } finally {
    await testbed.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

try {
  await main();
} catch (error) {
  console.error(`tcp-throughput: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
