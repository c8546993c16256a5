// UDP echo rate: datagrams per second that Oasis' direct stack receives and echoes through a TAP
// device, against the same echo by a node:dgram server on the kernel's UDP over a veth pair (the
// peer). A small C load generator (udp-echo/load.c) keeps a window of datagrams in flight to the
// echo and counts the echoes; it runs in a network namespace this benchmark creates:
//
//   Oasis: load (ns A, 10.79.0.1) -- kernel UDP -- TAP -- this process: TapDevice, createNetStack,
//          a UDP socket on 10.79.0.2:7 whose handler sends each datagram back
//   peer:  load (ns B, 10.79.1.1) -- kernel UDP -- veth -- kernel UDP (ns C, 10.79.1.2) --
//          udp-echo/echo-server.mjs, a node:dgram socket on 0.0.0.0:7 doing the same
//
// Both echo programs are JavaScript on the same Node: the stack on a TAP device against
// node:dgram over the kernel. So the ratio compares the UDP paths, not languages. Each side is
// warmed up, then the rounds alternate between the sides (Oasis first in even rounds, the peer
// first in odd ones) so both see the same machine. The table shows median echoes per second and
// the ratio Oasis/peer (above 1: the Oasis path echoes more datagrams per second). The aim is
// at least 0.8: the stack's UDP path costing no more than one crossing of the TAP device.
// Lost: datagrams unanswered 20 ms after they were sent; late: their echoes, arriving after
// that, which are not counted as echoed. The JSON in bench/results/ has every round, and
// the stack's drop and traffic counters.
// All traffic stays inside the namespaces, which are deleted at the end, on failure and on
// SIGINT/SIGTERM.
// Run: npm run bench udp-echo [-- --window N --payload N --rounds N --round-ms N]
//      (as root: TAP device and network namespaces; needs cc)

import {
  type ChildProcessByStdio,
  type SpawnSyncReturns,
  spawn,
  spawnSync,
} from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createLogger, lineSink, SystemClock, SystemRandom, SystemSleep } from '@oasis/core';
import { createNetStack, type NetStack } from '@oasis/net';
import { TapDevice } from '@oasis/node';
import { integerOption, usageError } from './command-line.ts';
import { median } from './stats.ts';

const TAP_KERNEL_ADDRESS = '10.79.0.1';
const TAP_STACK_ADDRESS = '10.79.0.2';
const VETH_LOAD_ADDRESS = '10.79.1.1';
const VETH_PEER_ADDRESS = '10.79.1.2';
const PREFIX_LENGTH = 24;
const ECHO_PORT = 7;
/** Load on each side, once, before the first round. */
const WARMUP_MS = 2000;
/** The load generator's own warm-up at the start of every round, to fill the window. */
const ROUND_WARMUP_MS = 200;
/** The load generator declares a datagram lost when its echo is this late (load.c). */
const LOSS_TIMEOUT_MS = 20;
const READY_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 2000;
const AIM = 0.8;
/** The load generator's limits: a sequence number in every payload, one Ethernet frame each. */
const MIN_PAYLOAD = 8;
const MAX_PAYLOAD = 1472;
const MAX_WINDOW = 4096;

const LOAD_SOURCE = fileURLToPath(new URL('udp-echo/load.c', import.meta.url));
const ECHO_SERVER = fileURLToPath(new URL('udp-echo/echo-server.mjs', import.meta.url));

interface Settings {
  readonly window: number;
  readonly payloadBytes: number;
  readonly rounds: number;
  readonly roundMs: number;
}

/** What the load generator prints after a run (load.c). */
interface LoadResult {
  readonly echoed: number;
  readonly sent: number;
  readonly lost: number;
  readonly late: number;
  readonly seconds: number;
  readonly pps: number;
}

const LOAD_FIELDS = ['echoed', 'sent', 'lost', 'late', 'seconds', 'pps'] as const;

type Child = ChildProcessByStdio<null, Readable, Readable>;

const BENCH = 'udp-echo';

function settings(): Settings {
  let values: Record<string, string | undefined>;
  try {
    ({ values } = parseArgs({
      options: {
        window: { type: 'string', default: '64' },
        payload: { type: 'string', default: '64' },
        rounds: { type: 'string', default: '5' },
        'round-ms': { type: 'string', default: '2000' },
      },
      allowPositionals: false,
    }));
  } catch (error) {
    usageError(
      BENCH,
      `${error instanceof Error ? error.message : String(error)}; options: --window N --payload N --rounds N --round-ms N`,
    );
  }
  return {
    window: integerOption(BENCH, values['window'] ?? '', '--window', 1, MAX_WINDOW),
    payloadBytes: integerOption(
      BENCH,
      values['payload'] ?? '',
      '--payload',
      MIN_PAYLOAD,
      MAX_PAYLOAD,
    ),
    rounds: integerOption(BENCH, values['rounds'] ?? '', '--rounds', 1, 1000),
    roundMs: integerOption(BENCH, values['round-ms'] ?? '', '--round-ms', 100, 3_600_000),
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
  } else if (spawnSync('cc', ['--version']).error !== undefined) {
    reason = 'cc is missing: the load generator is C, compiled at start (apt-get install gcc)';
  }
  if (reason === undefined) return;
  console.error(`udp-echo: ${reason}`);
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

/**
 * Everything the benchmark creates: network namespaces (and so the interfaces in them), child
 * processes, the stack and its device, a temporary directory. `close` removes them in order;
 * `abort` does what can be done synchronously, for signal handlers.
 */
class Testbed {
  readonly dir = mkdtempSync(join(tmpdir(), 'oasis-udp-echo-'));
  readonly #namespaces: string[] = [];
  readonly #children = new Set<Child>();
  readonly #closers: (() => Promise<void>)[] = [];

  addNamespace(name: string): void {
    run('ip', ['netns', 'add', name]);
    this.#namespaces.push(name);
  }

  /** Registers something to close (a device, a stack) before the namespaces go. */
  onClose(close: () => Promise<void>): void {
    this.#closers.push(close);
  }

  /** Starts `program` inside `namespace`, without waiting for it. */
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
    for (const close of this.#closers.splice(0).reverse()) {
      try {
        await close();
      } catch (error) {
        console.error(`udp-echo: cleanup: ${String(error)}`);
      }
    }
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
        console.error(`udp-echo: could not delete namespace ${name}: ${result.stderr.trim()}`);
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

function compileLoad(dir: string): string {
  const output = join(dir, 'load');
  run('cc', ['-O2', '-o', output, LOAD_SOURCE]);
  return output;
}

/** Where one side's load generator runs and what it loads. */
interface Side {
  readonly label: string;
  readonly namespace: string;
  readonly target: string;
}

/**
 * The Oasis side: a TAP device opened here and moved into `namespace`, the kernel's end at
 * TAP_KERNEL_ADDRESS, the stack at TAP_STACK_ADDRESS with a UDP echo on ECHO_PORT.
 */
async function openOasisSide(
  testbed: Testbed,
  tapName: string,
  namespace: string,
): Promise<{ readonly stack: NetStack; readonly device: TapDevice }> {
  const device = await TapDevice.open({ name: tapName, mtu: 1500 });
  testbed.onClose(() => device.close());
  testbed.addNamespace(namespace);
  run('ip', ['link', 'set', tapName, 'netns', namespace]);
  run('ip', [
    '-n',
    namespace,
    'addr',
    'add',
    `${TAP_KERNEL_ADDRESS}/${PREFIX_LENGTH}`,
    'dev',
    tapName,
  ]);
  run('ip', ['-n', namespace, 'link', 'set', tapName, 'up']);
  const clock = new SystemClock();
  const stack = await createNetStack({
    interfaces: [{ device, ipv4: [`${TAP_STACK_ADDRESS}/${PREFIX_LENGTH}`] }],
    clock,
    sleep: new SystemSleep(clock),
    random: new SystemRandom(),
    logger: createLogger({
      source: 'bench',
      sink: lineSink((line) => process.stderr.write(`${line}\n`)),
      clock,
      level: 'warn',
    }),
    probeAddresses: false,
  });
  testbed.onClose(() => stack.close());
  const socket = await stack.udp.bind({ port: ECHO_PORT });
  socket.onMessage((data, from) => socket.send(data, from));
  return { stack, device };
}

/** Throws if the echo server has exited. */
type AliveCheck = () => void;

/**
 * The peer side: a veth pair from `loadNamespace` (VETH_LOAD_ADDRESS) to `peerNamespace`
 * (VETH_PEER_ADDRESS), where the node:dgram echo server runs. Resolves once it is bound.
 */
async function openPeerSide(
  testbed: Testbed,
  names: { loadNamespace: string; peerNamespace: string; loadLink: string; peerLink: string },
): Promise<AliveCheck> {
  const { loadNamespace, peerNamespace, loadLink, peerLink } = names;
  testbed.addNamespace(loadNamespace);
  testbed.addNamespace(peerNamespace);
  run('ip', [
    '-n',
    loadNamespace,
    'link',
    'add',
    loadLink,
    'type',
    'veth',
    'peer',
    'name',
    peerLink,
    'netns',
    peerNamespace,
  ]);
  for (const [namespace, link, address] of [
    [loadNamespace, loadLink, VETH_LOAD_ADDRESS],
    [peerNamespace, peerLink, VETH_PEER_ADDRESS],
  ] as const) {
    run('ip', ['-n', namespace, 'addr', 'add', `${address}/${PREFIX_LENGTH}`, 'dev', link]);
    run('ip', ['-n', namespace, 'link', 'set', link, 'up']);
  }
  const server = testbed.spawnIn(peerNamespace, process.execPath, [ECHO_SERVER, String(ECHO_PORT)]);
  let stdout = '';
  let stderr = '';
  server.stderr.on('data', (chunk: string) => {
    stderr = tail(stderr + chunk);
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the echo server did not start within ${READY_TIMEOUT_MS} ms`)),
      READY_TIMEOUT_MS,
    );
    const onData = (chunk: string): void => {
      stdout += chunk;
      if (!stdout.split('\n').includes('ready')) return;
      clearTimeout(timer);
      server.stdout.off('data', onData);
      server.off('close', onClose);
      resolve();
    };
    const onClose = (code: number | null, signal: NodeJS.Signals | null): void => {
      clearTimeout(timer);
      reject(
        new Error(`the echo server exited (${code ?? signal}) before it was ready: ${stderr}`),
      );
    };
    server.stdout.on('data', onData);
    server.once('close', onClose);
  });
  server.stdout.resume();
  return () => {
    const ended = server.exitCode ?? server.signalCode;
    if (ended !== null) throw new Error(`the echo server exited (${ended}): ${stderr}`);
  };
}

function parseLoadResult(stdout: string): LoadResult {
  const line = stdout.trim().split('\n').at(-1) ?? '';
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    throw new Error(`the load generator printed '${line}', not a JSON line`);
  }
  const record = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<
    string,
    unknown
  >;
  const values = LOAD_FIELDS.map((field) => record[field]);
  if (!values.every((value) => typeof value === 'number' && Number.isFinite(value))) {
    throw new Error(`the load generator's result lacks one of ${LOAD_FIELDS.join(', ')}: ${line}`);
  }
  const [echoed, sent, lost, late, seconds, pps] = values as number[];
  return { echoed: echoed!, sent: sent!, lost: lost!, late: late!, seconds: seconds!, pps: pps! };
}

/** One run of the load generator against `side`; resolves with what it counted. */
function runLoad(
  testbed: Testbed,
  loadPath: string,
  side: Side,
  config: Settings,
  durationMs: number,
  warmupMs: number,
): Promise<LoadResult> {
  const args = [side.target, ECHO_PORT, config.payloadBytes, config.window, durationMs, warmupMs];
  const child = testbed.spawnIn(side.namespace, loadPath, args.map(String));
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk: string) => {
    stderr = tail(stderr + chunk);
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code !== 0) {
        reject(
          new Error(`the load generator (${side.label}) ended with ${code ?? signal}: ${stderr}`),
        );
        return;
      }
      try {
        resolve(parseLoadResult(stdout));
      } catch (error) {
        reject(error);
      }
    });
  });
}

interface SideResult {
  readonly path: string;
  readonly medianPps: number;
  readonly lost: number;
  readonly late: number;
  readonly warmup: LoadResult;
  readonly rounds: readonly LoadResult[];
}

function summarise(path: string, warmup: LoadResult, rounds: readonly LoadResult[]): SideResult {
  return {
    path,
    medianPps: median(rounds.map((round) => round.pps)),
    lost: rounds.reduce((sum, round) => sum + round.lost, 0),
    late: rounds.reduce((sum, round) => sum + round.late, 0),
    warmup,
    rounds,
  };
}

function printTable(config: Settings, oasis: SideResult, peer: SideResult, ratio: number): void {
  const row = (label: string, result: SideResult): string[] => {
    const pps = result.rounds.map((round) => round.pps);
    return [
      label,
      result.medianPps.toFixed(0),
      Math.min(...pps).toFixed(0),
      Math.max(...pps).toFixed(0),
      String(result.lost),
      String(result.late),
    ];
  };
  const rows = [
    ['echo', 'median pps', 'min pps', 'max pps', 'lost', 'late'],
    row('Oasis stack over TAP', oasis),
    row('node:dgram over veth', peer),
  ];
  const widths = rows[0]!.map((_, column) =>
    Math.max(...rows.map((cells) => cells[column]!.length)),
  );
  console.log(
    `UDP echo, ${config.payloadBytes}-byte payloads, window ${config.window}, ${config.rounds} rounds of ${config.roundMs} ms`,
  );
  for (const cells of rows) {
    console.log(
      cells
        .map((cell, column) =>
          column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!),
        )
        .join('  '),
    );
  }
  console.log(`Oasis/peer: ${ratio.toFixed(2)}x (aim: at least ${AIM})`);
}

async function main(): Promise<void> {
  const config = settings();
  checkMachine();
  const pid = process.pid;
  // Interface names have at most 15 bytes; a pid has at most 7 digits.
  const tapName = `oudpt${pid}`;
  const oasisSide: Side = {
    label: 'Oasis',
    namespace: `oasis-udp-echo-a-${pid}`,
    target: TAP_STACK_ADDRESS,
  };
  const peerSide: Side = {
    label: 'peer',
    namespace: `oasis-udp-echo-b-${pid}`,
    target: VETH_PEER_ADDRESS,
  };
  const peerNamespace = `oasis-udp-echo-c-${pid}`;

  const testbed = new Testbed();
  const onSignal = (signal: NodeJS.Signals): void => {
    console.error(`udp-echo: ${signal}: removing the namespaces`);
    testbed.abort();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const loadPath = compileLoad(testbed.dir);
    const { stack, device } = await openOasisSide(testbed, tapName, oasisSide.namespace);
    const peerAlive = await openPeerSide(testbed, {
      loadNamespace: peerSide.namespace,
      peerNamespace,
      loadLink: `oudpb${pid}`,
      peerLink: `oudpc${pid}`,
    });

    const load = async (side: Side, durationMs: number, warmupMs: number): Promise<LoadResult> => {
      const result = await runLoad(testbed, loadPath, side, config, durationMs, warmupMs);
      if (side === peerSide) peerAlive();
      if (result.echoed === 0) {
        throw new Error(`no echo from the ${side.label} side: ${JSON.stringify(result)}`);
      }
      return result;
    };
    const oasisWarmup = await load(oasisSide, WARMUP_MS, 0);
    const peerWarmup = await load(peerSide, WARMUP_MS, 0);
    const oasisRounds: LoadResult[] = [];
    const peerRounds: LoadResult[] = [];
    for (let i = 0; i < config.rounds; i++) {
      const order = i % 2 === 0 ? [oasisSide, peerSide] : [peerSide, oasisSide];
      for (const side of order) {
        const result = await load(side, config.roundMs, ROUND_WARMUP_MS);
        (side === oasisSide ? oasisRounds : peerRounds).push(result);
      }
    }

    const oasis = summarise(
      `load (${oasisSide.namespace}) -> kernel UDP -> TAP -> Oasis direct stack, UDP socket echo`,
      oasisWarmup,
      oasisRounds,
    );
    const peer = summarise(
      `load (${peerSide.namespace}) -> kernel UDP -> veth -> kernel UDP -> node:dgram echo`,
      peerWarmup,
      peerRounds,
    );
    const ratio = oasis.medianPps / peer.medianPps;
    printTable(config, oasis, peer, ratio);
    const resultsDir = new URL('results/', import.meta.url);
    mkdirSync(resultsDir, { recursive: true });
    const report = {
      benchmark: 'udp-echo',
      date: new Date().toISOString(),
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      kernel: release(),
      cpu: cpus()[0]?.model ?? 'unknown',
      cpuCount: cpus().length,
      payloadBytes: config.payloadBytes,
      window: config.window,
      warmupMs: WARMUP_MS,
      rounds: config.rounds,
      roundMs: config.roundMs,
      roundWarmupMs: ROUND_WARMUP_MS,
      lossTimeoutMs: LOSS_TIMEOUT_MS,
      unit: 'echoed datagrams per second',
      peer: 'node:dgram echo server over the kernel UDP stack and a veth pair',
      oasis,
      reference: peer,
      ratio,
      aim: AIM,
      oasisStack: { drops: stack.drops(), counters: stack.counters(), device: device.counters() },
    };
    writeFileSync(new URL('udp-echo.json', resultsDir), `${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await testbed.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

try {
  await main();
} catch (error) {
  console.error(`udp-echo: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
