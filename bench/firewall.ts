// Oasis' firewall (unikernels/firewall, its tap bundle) against a Linux router doing the same
// job, each on its own copy of the three-namespace topology of test/interop/firewall-net.ts:
//
//   Oasis: client ns 10.89.1.2 ⟷ TAP ⟷ node FIREWALL_NODE_FLAGS firewall (router ns,
//          10.89.1.1 | 10.89.2.2, rules `* accept`) ⟷ TAP ⟷ upstream ns 10.89.2.1
//   Linux: client ns 10.90.1.2 ⟷ veth ⟷ router ns (ip_forward, nftables: forward from the
//          client subnet and established/related, masquerade on the uplink) ⟷ veth ⟷
//          upstream ns 10.90.2.1
//
// The upstream host has no route to the client subnet: every test crosses the NAT. In a round,
// each side runs, from the client host to the upstream host:
// - iperf3 TCP, forward and reverse (-R), `--seconds` each: end.sum_received.bits_per_second;
// - iperf3 UDP with 1,470-byte datagrams just under that side's knee, the highest rate with at
//   most 2% loss: the received rate and the loss (bench/firewall/udp-knee.ts). The knee is
//   searched once per side before the rounds (2 s probes from 250 Mbit/s, doubling until the
//   loss passes 2%, then 4 bisections); each round then runs a staircase from there: a test
//   beyond 2% is repeated at 85% of its rate (up to 4 times), and the next round starts 5% above
//   the last rate within it;
// - ping -c 200 -i 0.002: the average round trip and its mdev.
// Around each test, the machine's busy share of CPU from /proc/stat (both sides: the Linux
// router forwards in softirq, which no process is charged for), and the firewall process' user +
// system time over the wall time and its resident memory (VmRSS, and VmHWM: the peak since it
// started). Each side is warmed up first (2 s of TCP each way, 20 pings); the rounds then
// alternate the order (Oasis first in even rounds). The table shows medians and Oasis/Linux;
// the issue's aims: TCP at least 0.77 of Linux, UDP at least 0.92, the firewall's resident
// memory under 64 MB. The results go to bench/results/firewall.json (not with --only).
//
// All traffic stays inside the namespaces, deleted at the end, on failure and on SIGINT/SIGTERM,
// with every process this benchmark started.
// Run: npm run bench -- firewall [-- --rounds N --seconds N --only oasis|linux]
//      (as root; needs iperf3, nft and ping)

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from '@oasis/cli';
import { FIREWALL_NODE_FLAGS, FirewallNet } from '../test/interop/firewall-net.ts';
import { benchArguments, integerOption, usageError } from './command-line.ts';
import { residentBytes } from './dns/proc-stats.ts';
import { Children, type Watched } from './firewall/children.ts';
import { type IperfResult, runIperf, UDP_PAYLOAD_BYTES } from './firewall/iperf.ts';
import {
  formatTable,
  type Measured,
  type Round,
  type SideName,
  summarise,
} from './firewall/metrics.ts';
import { type PingResult, runPing } from './firewall/ping.ts';
import { findUdpKnee, type Knee, type KneeSearch, measureNearKnee } from './firewall/udp-knee.ts';
import { measureUsage, peakResidentBytes } from './firewall/usage.ts';

const FIREWALL_SERVICE = fileURLToPath(new URL('../unikernels/firewall', import.meta.url));
const RULES = '* accept\n';
const READY_TIMEOUT_MS = 20_000;
/** Pings, one a second at most, until the path works after set-up. */
const PATH_TRIES = 20;
const WARMUP_SECONDS = 2;
const WARMUP_PINGS = 20;
const PING_COUNT = 200;
const PING_INTERVAL_SECONDS = 0.002;
const KNEE_SEARCH: KneeSearch = {
  startBitsPerSecond: 250e6,
  maxBitsPerSecond: 20e9,
  lossLimitPercent: 2,
  bisections: 4,
};
const KNEE_PROBE_SECONDS = 2;
const MB = 1024 * 1024;

interface Settings {
  readonly rounds: number;
  readonly seconds: number;
  readonly sides: readonly SideName[];
}

interface Side {
  readonly name: SideName;
  readonly net: FirewallNet;
  /** The firewall process (Oasis only). */
  readonly firewall: Watched | undefined;
  readonly path: string;
  /** The firewall's memory once the path works, before any test (Oasis only). */
  readonly atReady: {
    readonly residentBytes: number | undefined;
    readonly peakResidentBytes: number | undefined;
  };
}

const BENCH = 'firewall';

function settings(): Settings {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      // `npm run bench -- firewall -- --rounds 3` hands over a leading '--': skip it.
      args: benchArguments(),
      options: {
        rounds: { type: 'string', default: '5' },
        seconds: { type: 'string', default: '5' },
        only: { type: 'string' },
      },
      allowPositionals: false,
    }));
  } catch (error) {
    usageError(
      BENCH,
      `${error instanceof Error ? error.message : String(error)}; options: --rounds N --seconds N --only oasis|linux`,
    );
  }
  const only = values['only'];
  if (only !== undefined && only !== 'oasis' && only !== 'linux') {
    usageError(BENCH, `--only takes oasis or linux, got '${only}'`);
  }
  return {
    rounds: integerOption(BENCH, String(values['rounds']), '--rounds', 1, 100),
    seconds: integerOption(BENCH, String(values['seconds']), '--seconds', 1, 3600),
    sides: only === undefined ? ['oasis', 'linux'] : [only],
  };
}

/** Exits with the reason when this machine cannot run the benchmark. */
function checkMachine(config: Settings): void {
  let reason: string | undefined;
  const missing = (program: string): boolean =>
    spawnSync('sh', ['-c', `command -v ${program}`]).status !== 0;
  if (process.getuid?.() !== 0) {
    reason = 'needs root (CAP_NET_ADMIN) for TAP devices and network namespaces';
  } else if (!existsSync('/dev/net/tun')) {
    reason = '/dev/net/tun is missing (load the tun module: modprobe tun)';
  } else if (missing('ip')) {
    reason = 'the ip command is missing (apt-get install iproute2)';
  } else if (missing('iperf3')) {
    reason = 'iperf3 is missing (apt-get install iperf3)';
  } else if (missing('ping')) {
    reason = 'ping is missing (apt-get install iputils-ping)';
  } else if (config.sides.includes('linux') && missing('nft')) {
    reason = 'nft is missing (apt-get install nftables)';
  } else if (
    config.sides.includes('oasis') &&
    !existsSync(join(FIREWALL_SERVICE, 'unikernel.ts'))
  ) {
    reason = `there is no firewall service at ${FIREWALL_SERVICE} yet (--only linux runs the rest)`;
  }
  if (reason === undefined) return;
  console.error(`firewall: ${reason}`);
  process.exit(1);
}

/** Pings the upstream host from the client host until it answers. */
async function waitForPath(children: Children, side: Side): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await runPing(children, side.net, 1, 1);
      return;
    } catch (error) {
      side.firewall?.alive();
      if (attempt === PATH_TRIES) {
        const log = side.firewall === undefined ? '' : `; the firewall said: ${side.firewall.log}`;
        throw new Error(
          `no path from the client to the upstream host through ${side.name} after ${attempt} tries: ${error instanceof Error ? error.message : String(error)}${log}`,
        );
      }
    }
  }
}

async function openOasis(children: Children, dir: string, nets: FirewallNet[]): Promise<Side> {
  const report = await build({
    dir: FIREWALL_SERVICE,
    target: 'tap',
    embed: {},
    out: join(dir, 'tap.mjs'),
  });
  const rules = join(dir, 'rules');
  writeFileSync(rules, RULES);
  const net = FirewallNet.oasis({ tag: 'fwbo', subnet: 89 });
  nets.push(net);
  const firewall = children.watch('the Oasis firewall', net.router.name, process.execPath, [
    ...FIREWALL_NODE_FLAGS,
    report.bundle,
    ...net.firewallArgs(rules),
  ]);
  await firewall.waitFor(/firewall ready/, READY_TIMEOUT_MS);
  net.attachAfterOpen();
  const a = net.addresses;
  const side: Side = {
    name: 'oasis',
    net,
    firewall,
    atReady: { residentBytes: undefined, peakResidentBytes: undefined },
    path: `client ${a.clientHost} (${net.client.name}) -> TAP ${net.clientTap} -> unikernels/firewall tap bundle (${report.bytes} bytes), node ${FIREWALL_NODE_FLAGS.join(' ')}, ${a.firewallClient} | ${a.firewallUplink} in ${net.router.name} -> TAP ${net.uplinkTap} -> upstream ${a.upstreamHost} (${net.upstream.name})`,
  };
  await waitForPath(children, side);
  return {
    ...side,
    atReady: {
      residentBytes: residentBytes(firewall.pid),
      peakResidentBytes: peakResidentBytes(firewall.pid),
    },
  };
}

async function openLinux(children: Children, nets: FirewallNet[]): Promise<Side> {
  const net = FirewallNet.linux({ tag: 'fwbl', subnet: 90 });
  nets.push(net);
  const a = net.addresses;
  const side: Side = {
    name: 'linux',
    net,
    firewall: undefined,
    atReady: { residentBytes: undefined, peakResidentBytes: undefined },
    path: `client ${a.clientHost} (${net.client.name}) -> veth -> Linux router ${a.firewallClient} | ${a.firewallUplink} (${net.router.name}: ip_forward, nftables forward filter and masquerade) -> veth -> upstream ${a.upstreamHost} (${net.upstream.name})`,
  };
  await waitForPath(children, side);
  return side;
}

/** A measured action on `side`; then checks that its firewall is still running. */
async function measured<T>(side: Side, action: () => Promise<T>): Promise<Measured<T>> {
  const result = await measureUsage(side.firewall?.pid, action);
  side.firewall?.alive();
  return result;
}

/**
 * A UDP test on `side` at a given rate, logged as it ends; `last` holds the latest with its
 * usage, the one a round reports.
 */
function udpTester(
  children: Children,
  side: Side,
  seconds: number,
): { test: (bitsPerSecond: number) => Promise<IperfResult>; last: () => Measured<IperfResult> } {
  let last: Measured<IperfResult> | undefined;
  return {
    test: async (bitsPerSecond) => {
      last = await measured(side, () =>
        runIperf(children, side.net, { seconds, reverse: false, udpBitsPerSecond: bitsPerSecond }),
      );
      const r = last.result;
      console.error(
        `  ${LABELS[side.name]} UDP at ${mbits(bitsPerSecond)} for ${seconds} s: sent ${mbits(r.sentBitsPerSecond)}, received ${mbits(r.receivedBitsPerSecond)}, lost ${r.lostPercent?.toFixed(2)}%`,
      );
      return r;
    },
    last: () => {
      if (last === undefined) throw new Error('no UDP test ran');
      return last;
    },
  };
}

/** One round on `side`; the UDP test starts at `udpBitsPerSecond` (udp-knee.ts). */
async function runRound(
  children: Children,
  side: Side,
  config: Settings,
  udpBitsPerSecond: number,
): Promise<Round> {
  const tcp = (reverse: boolean) => () =>
    runIperf(children, side.net, { seconds: config.seconds, reverse });
  const tcpForward = await measured(side, tcp(false));
  const tcpReverse = await measured(side, tcp(true));
  const udp = udpTester(children, side, config.seconds);
  const { result: _, ...udpRate } = await measureNearKnee(
    udpBitsPerSecond,
    KNEE_SEARCH.lossLimitPercent,
    udp.test,
  );
  return {
    tcpForward,
    tcpReverse,
    udp: udp.last(),
    udpRate,
    ping: await measured<PingResult>(side, () =>
      runPing(children, side.net, PING_COUNT, PING_INTERVAL_SECONDS),
    ),
  };
}

const LABELS: Readonly<Record<SideName, string>> = { oasis: 'Oasis', linux: 'Linux' };
const gbits = (bitsPerSecond: number): string => `${(bitsPerSecond / 1e9).toFixed(2)} Gbit/s`;
const mbits = (bitsPerSecond: number): string => `${(bitsPerSecond / 1e6).toFixed(0)} Mbit/s`;

function describeKnee(knee: Knee): string {
  const notes = [
    knee.senderLimited ? 'sender-limited' : '',
    knee.withinLimit ? '' : `no probe within ${KNEE_SEARCH.lossLimitPercent}% loss`,
  ].filter((note) => note !== '');
  return `${mbits(knee.bitsPerSecond)}${notes.length > 0 ? ` (${notes.join(', ')})` : ''}`;
}

function machine(): Record<string, unknown> {
  const version = (program: string, args: readonly string[]): string =>
    spawnSync(program, args, { encoding: 'utf8' }).stdout?.split('\n')[0]?.trim() || 'unknown';
  return {
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    kernel: release(),
    cpu: cpus()[0]?.model ?? 'unknown',
    cpuCount: cpus().length,
    iperf3: version('iperf3', ['--version']),
    nft: version('nft', ['--version']),
  };
}

async function measure(
  config: Settings,
  children: Children,
  dir: string,
  nets: FirewallNet[],
): Promise<void> {
  const loadBefore = loadavg();
  const sides: Side[] = [];
  for (const name of config.sides) {
    sides.push(
      name === 'oasis' ? await openOasis(children, dir, nets) : await openLinux(children, nets),
    );
  }
  const warmup: Record<string, unknown> = {};
  const knees: Partial<Record<SideName, Knee>> = {};
  for (const side of sides) {
    const tcp = (reverse: boolean) =>
      measured(side, () => runIperf(children, side.net, { seconds: WARMUP_SECONDS, reverse }));
    warmup[side.name] = {
      tcpForward: await tcp(false),
      tcpReverse: await tcp(true),
      ping: await measured(side, () =>
        runPing(children, side.net, WARMUP_PINGS, PING_INTERVAL_SECONDS),
      ),
    };
    const knee = await findUdpKnee(KNEE_SEARCH, udpTester(children, side, KNEE_PROBE_SECONDS).test);
    knees[side.name] = knee;
    console.error(`  ${LABELS[side.name]} UDP knee: ${describeKnee(knee)}`);
  }

  const rounds: Record<SideName, Round[]> = { oasis: [], linux: [] };
  const udpRates = new Map(sides.map((side) => [side.name, knees[side.name]!.bitsPerSecond]));
  for (let i = 0; i < config.rounds; i++) {
    const order = i % 2 === 0 ? sides : [...sides].reverse();
    for (const side of order) {
      const round = await runRound(children, side, config, udpRates.get(side.name)!);
      udpRates.set(side.name, round.udpRate.nextBitsPerSecond);
      rounds[side.name].push(round);
      console.error(
        `  round ${i + 1}: ${LABELS[side.name]} TCP ${gbits(round.tcpForward.result.receivedBitsPerSecond)} / -R ${gbits(round.tcpReverse.result.receivedBitsPerSecond)}, UDP ${mbits(round.udp.result.receivedBitsPerSecond)} (lost ${round.udp.result.lostPercent?.toFixed(2)}%), ping ${round.ping.result.avgMs} ms`,
      );
    }
  }
  const loadAfter = loadavg();

  const cpuCount = cpus().length;
  const summaries = summarise(cpuCount, rounds);
  console.log(
    `Firewall: client → upstream through NAT, iperf3 -t ${config.seconds}, ${config.rounds} rounds, medians`,
  );
  console.log(formatTable(cpuCount, summaries, config.sides));
  console.log(
    `UDP knee (highest iperf3 -b with loss ≤ ${KNEE_SEARCH.lossLimitPercent}%) from the ${KNEE_PROBE_SECONDS} s probes before the rounds: ${sides.map((side) => `${LABELS[side.name]} ${describeKnee(knees[side.name]!)}`).join(', ')}.`,
  );
  for (const side of sides) {
    const { residentBytes: rss, peakResidentBytes: hwm } = side.atReady;
    if (rss === undefined || hwm === undefined) continue;
    console.log(
      `${LABELS[side.name]} firewall when ready, before the tests: VmRSS ${(rss / MB).toFixed(1)} MB, VmHWM ${(hwm / MB).toFixed(1)} MB.`,
    );
  }
  console.log(
    'CPU: the machine (every core, softirq included) over each test; the firewall process: user+system over the test (Linux has none: it forwards in softirq).',
  );
  console.log(
    `load average: ${loadBefore.map((l) => l.toFixed(2)).join(' ')} before, ${loadAfter.map((l) => l.toFixed(2)).join(' ')} after`,
  );
  if (config.sides.length < 2) {
    console.log('only one side ran: bench/results/firewall.json is left as it was');
    return;
  }
  const resultsDir = new URL('results/', import.meta.url);
  mkdirSync(resultsDir, { recursive: true });
  const report = {
    benchmark: 'firewall',
    date: new Date().toISOString(),
    ...machine(),
    loadAverage: { before: loadBefore, after: loadAfter },
    rounds: config.rounds,
    seconds: config.seconds,
    udpPayloadBytes: UDP_PAYLOAD_BYTES,
    ping: { count: PING_COUNT, intervalSeconds: PING_INTERVAL_SECONDS },
    firewallNodeFlags: FIREWALL_NODE_FLAGS,
    rules: RULES,
    kneeSearch: { ...KNEE_SEARCH, probeSeconds: KNEE_PROBE_SECONDS },
    paths: Object.fromEntries(sides.map((side) => [side.name, side.path])),
    firewallAtReady: Object.fromEntries(sides.map((side) => [side.name, side.atReady])),
    knees,
    metrics: summaries,
    warmup,
    roundResults: rounds,
  };
  writeFileSync(new URL('firewall.json', resultsDir), `${JSON.stringify(report, null, 2)}\n`);
}

async function main(): Promise<void> {
  const config = settings();
  checkMachine(config);
  const children = new Children();
  const nets: FirewallNet[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'oasis-firewall-bench-'));
  const cleanUp = (): void => {
    for (const net of nets) net.delete();
    rmSync(dir, { recursive: true, force: true });
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    console.error(`firewall: ${signal}: stopping the processes, removing the namespaces`);
    children.killAll();
    cleanUp();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await measure(config, children, dir, nets);
  } finally {
    await children.stopAll();
    cleanUp();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

try {
  await main();
} catch (error) {
  console.error(`firewall: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
