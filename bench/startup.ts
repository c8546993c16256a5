// Start-up time and bundle size of the services. Start-up is the time from spawning the process
// to the first answered request, measured by a prober (startup/prober.py) that asks every
// millisecond from before the spawn: a UDP datagram for echo, an HTTP GET for static-site. The
// peer is the smallest Node program doing the same job on the same address (node:dgram echo,
// node:http), so the ratio Oasis/peer shows what the runtime adds to starting Node itself.
//
//   node target: echo on 127.0.0.1 (UDP), static-site on 127.0.0.1 (HTTP, the docs/ tree
//                embedded in the bundle); peers on loopback too
//   tap target:  echo on the direct stack on a TAP device in a namespace this benchmark creates
//                (service 10.81.0.2, kernel 10.81.0.1, the kernel's neighbour entry set so the
//                first datagram needs no ARP); the peer echoes on the kernel's address there
//
// Sizes are of the minified bundles `oasis build` writes (gzip for reference). Rounds alternate
// Oasis and the peer; the table shows medians. Aim: ready in under 100 ms; echo under 100 KB.
// Run: npm run bench startup [-- --rounds N]   (the tap rows need root; skipped otherwise)

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { build, type TargetName } from '@oasis/cli';
import { median } from './stats.ts';

const PROBER = fileURLToPath(new URL('startup/prober.py', import.meta.url));
const HTTP_PEER = fileURLToPath(new URL('startup/http-peer.mjs', import.meta.url));
const UDP_PEER = fileURLToPath(new URL('udp-echo/echo-server.mjs', import.meta.url));
const DOCS = fileURLToPath(new URL('../docs', import.meta.url));
const NAMESPACE = `oasis-su-${process.pid}`;
const TAP = `osu${process.pid}`.slice(0, 15);
const TAP_SERVICE = '10.81.0.2';
const TAP_KERNEL = '10.81.0.1';
const SERVICE_MAC = '02:00:00:81:00:02';
const AIM_MS = 100;
const AIM_ECHO_BYTES = 100 * 1000;

interface Case {
  readonly name: string;
  readonly service: string;
  readonly target: TargetName;
  readonly embed: Readonly<Record<string, string>>;
  readonly probe: 'udp' | 'http';
  readonly host: string;
  readonly port: number;
  /** The service's arguments after the bundle. */
  readonly args: readonly string[];
  /** The peer's command. */
  readonly peer: readonly string[];
  readonly namespace?: string;
}

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '7' } } });
const rounds = Number(values.rounds);
if (!(Number.isInteger(rounds) && rounds > 0)) {
  console.error(`startup: --rounds takes a positive integer, got '${values.rounds}'`);
  process.exit(64);
}

const tapAllowed = process.getuid?.() === 0 && existsSync('/dev/net/tun');
const cases: Case[] = [
  {
    name: 'echo',
    service: 'unikernels/echo',
    target: 'node',
    embed: {},
    probe: 'udp',
    host: '127.0.0.1',
    port: 17_007,
    args: ['--port', '17007'],
    peer: [process.execPath, UDP_PEER, '17007'],
  },
  {
    name: 'static-site',
    service: 'unikernels/static-site',
    target: 'node',
    embed: { root: DOCS },
    probe: 'http',
    host: '127.0.0.1',
    port: 18_080,
    args: ['--port', '18080'],
    peer: [process.execPath, HTTP_PEER, DOCS, '18080'],
  },
  ...(tapAllowed
    ? [
        {
          name: 'echo',
          service: 'unikernels/echo',
          target: 'tap' as const,
          embed: {},
          probe: 'udp' as const,
          host: TAP_SERVICE,
          port: 7,
          args: ['--tap', TAP, '--ipv4', `${TAP_SERVICE}/24`, '--mac', SERVICE_MAC],
          peer: [process.execPath, UDP_PEER, '7'],
          namespace: NAMESPACE,
        },
      ]
    : []),
];

/** `ip netns exec` for commands that run in the namespace. */
const inNamespace = (namespace: string | undefined, command: readonly string[]): string[] =>
  namespace === undefined ? [...command] : ['ip', 'netns', 'exec', namespace, ...command];

function sh(command: readonly string[]): void {
  const result = spawnSync(command[0] as string, command.slice(1), { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command.join(' ')}: ${result.stderr}`);
}

/** Spawns `command`; resolves with the ms from the spawn to the prober's first answer. */
async function timeToAnswer(command: readonly string[], c: Case, host: string): Promise<number> {
  const prober = spawn(
    ...splitCommand(inNamespace(c.namespace, ['python3', PROBER, c.probe, host, String(c.port)])),
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let output = '';
  prober.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  const proberDone = new Promise<void>((resolve, reject) =>
    prober.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`prober exited with ${code}`)),
    ),
  );
  while (!output.includes('probing\n'))
    await new Promise((resolve) => prober.stdout.once('data', resolve));
  const startNs = process.hrtime.bigint();
  const server = spawn(...splitCommand(inNamespace(c.namespace, command)), { stdio: 'ignore' });
  try {
    await proberDone;
  } finally {
    server.kill('SIGTERM');
    await new Promise((resolve) => server.on('close', resolve));
  }
  const answeredNs = BigInt(output.split('\n')[1] as string);
  return Number(answeredNs - startNs) / 1e6;
}

function splitCommand(command: readonly string[]): [string, string[]] {
  return [command[0] as string, command.slice(1)];
}

function setUpNamespace(): void {
  sh(['ip', 'netns', 'add', NAMESPACE]);
  sh(['ip', '-n', NAMESPACE, 'tuntap', 'add', 'dev', TAP, 'mode', 'tap']);
  sh(['ip', '-n', NAMESPACE, 'addr', 'add', `${TAP_KERNEL}/24`, 'dev', TAP]);
  sh(['ip', '-n', NAMESPACE, 'link', 'set', TAP, 'up']);
  sh(['ip', '-n', NAMESPACE, 'link', 'set', 'lo', 'up']);
  sh([
    'ip',
    '-n',
    NAMESPACE,
    'neigh',
    'replace',
    TAP_SERVICE,
    'lladdr',
    SERVICE_MAC,
    'dev',
    TAP,
    'nud',
    'permanent',
  ]);
}

function tearDownNamespace(): void {
  spawnSync('ip', ['netns', 'delete', NAMESPACE]);
}

interface Row {
  readonly service: string;
  readonly target: TargetName;
  readonly bundleBytes: number;
  readonly gzipBytes: number;
  readonly readyMs: number;
  readonly peerReadyMs: number;
  readonly ratio: number;
  readonly roundsMs: { readonly oasis: readonly number[]; readonly peer: readonly number[] };
}

async function main(): Promise<void> {
  const out = mkdtempSync(join(tmpdir(), 'oasis-startup-'));
  const rows: Row[] = [];
  const sizes: { service: string; target: TargetName; bytes: number; gzipBytes: number }[] = [];
  try {
    if (tapAllowed) setUpNamespace();
    for (const service of ['hello', 'echo', 'static-site']) {
      for (const target of ['node', 'tap'] as const) {
        const report = await build({
          dir: `unikernels/${service}`,
          target,
          embed: service === 'static-site' ? { root: DOCS } : {},
          out: join(out, `${service}-${target}.mjs`),
        });
        const gzipBytes = gzipSync(readFileSync(report.bundle)).length;
        sizes.push({ service, target, bytes: report.bytes, gzipBytes });
      }
    }
    for (const c of cases) {
      const bundle = join(out, `${c.name}-${c.target}.mjs`);
      const oasis: number[] = [];
      const peer: number[] = [];
      const peerHost = c.namespace === undefined ? c.host : TAP_KERNEL;
      for (let round = 0; round < rounds; round++) {
        const measureOasis = () =>
          timeToAnswer([process.execPath, bundle, ...c.args, '--log-level', 'warn'], c, c.host);
        const measurePeer = () => timeToAnswer(c.peer, c, peerHost);
        if (round % 2 === 0) {
          oasis.push(await measureOasis());
          peer.push(await measurePeer());
        } else {
          peer.push(await measurePeer());
          oasis.push(await measureOasis());
        }
      }
      const size = sizes.find((s) => s.service === c.name && s.target === c.target);
      rows.push({
        service: c.name,
        target: c.target,
        bundleBytes: size?.bytes ?? 0,
        gzipBytes: size?.gzipBytes ?? 0,
        readyMs: median(oasis),
        peerReadyMs: median(peer),
        ratio: median(oasis) / median(peer),
        roundsMs: { oasis, peer },
      });
    }
  } finally {
    if (tapAllowed) tearDownNamespace();
    rmSync(out, { recursive: true, force: true });
  }
  const kb = (bytes: number) => `${(bytes / 1000).toFixed(1)} kB`;
  console.log(
    `start-up: ${rounds} rounds each, medians (Node ${process.version}, ${cpus().length} cores, Linux ${release()})`,
  );
  console.log(
    'service      target  ready   peer ready  ratio  (peer: the smallest node:dgram/node:http program)',
  );
  for (const row of rows) {
    console.log(
      `${row.service.padEnd(12)} ${row.target.padEnd(6)}  ${row.readyMs.toFixed(1).padStart(5)} ms ${row.peerReadyMs.toFixed(1).padStart(6)} ms  ${row.ratio.toFixed(2)}${row.readyMs <= AIM_MS ? '' : `  (aim: ${AIM_MS} ms)`}`,
    );
  }
  if (!tapAllowed) console.log('(tap target skipped: needs root and /dev/net/tun)');
  console.log('\nbundle sizes (minified; gzip)');
  for (const size of sizes) {
    console.log(
      `${size.service.padEnd(12)} ${size.target.padEnd(6)}  ${kb(size.bytes).padStart(9)}  ${kb(size.gzipBytes).padStart(8)}`,
    );
  }
  const echo = sizes.filter((s) => s.service === 'echo');
  if (echo.some((s) => s.bytes > AIM_ECHO_BYTES))
    console.log(`echo is over the aim of ${kb(AIM_ECHO_BYTES)}`);
  mkdirSync(fileURLToPath(new URL('results', import.meta.url)), { recursive: true });
  writeFileSync(
    fileURLToPath(new URL('results/startup.json', import.meta.url)),
    `${JSON.stringify({ date: new Date().toISOString(), node: process.version, cores: cpus().length, rounds, rows, sizes }, null, 2)}\n`,
  );
}

process.on('SIGINT', () => {
  if (tapAllowed) tearDownNamespace();
  process.exit(130);
});
await main();
