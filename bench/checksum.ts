// Internet checksum throughput: Oasis' `internetChecksum` against the textbook RFC 1071 §4.1
// loop (the peer), on an IPv4 header (20 B), a full Ethernet payload (1,500 B) and a 64 KiB
// super-frame (TSO/GSO), each as an aligned view and as a view at byte offset 2, where a
// received frame's IP header starts (after the 14-byte Ethernet header of a 4-byte aligned
// buffer). Each implementation is timed in its own child process, so neither one's JIT feedback
// shapes the other's code; their rounds are interleaved so both see the same machine. The table
// shows median MB/s and the ratio Oasis/peer (above 1: Oasis is faster); the JSON in
// bench/results/ has every round.
// Run: node --import tsx bench/checksum.ts

import { type ChildProcess, fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { internetChecksum } from '../packages/core/src/checksum.ts';
import { SeededRandom } from '../packages/core/src/random.ts';
import { median } from './stats.ts';

const SIZES = [20, 1500, 65_536];
const BYTE_OFFSETS = [0, 2];
const WARMUP_MS = 300;
const ROUNDS = 7;
const ROUND_MS = 300;

/**
 * RFC 1071 §4.1 as printed: add 16-bit big-endian words, pad an odd last byte, fold the carries
 * at the end. The sum stays exact for inputs up to 128 KiB (2^16 words below 2^16 each).
 */
function referenceChecksum(bytes: Uint8Array): number {
  let sum = 0;
  let i = 0;
  for (; i + 1 < bytes.length; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  if (i < bytes.length) sum += bytes[i]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

const IMPLEMENTATIONS = { oasis: internetChecksum, reference: referenceChecksum } as const;
type Implementation = keyof typeof IMPLEMENTATIONS;

function isImplementation(name: string): name is Implementation {
  return Object.hasOwn(IMPLEMENTATIONS, name);
}

/** The same pseudo-random bytes for every run, as a view at `byteOffset` of its buffer. */
function testView(size: number, byteOffset: number): Uint8Array {
  return new SeededRandom(size).fill(new Uint8Array(byteOffset + size)).subarray(byteOffset);
}

/**
 * Bytes per second of `checksum` over `view` for one round of about `durationMs`. Every result is
 * compared with `expected`, which checks the timed calls and keeps the optimiser from dropping them.
 */
function measure(
  checksum: (bytes: Uint8Array) => number,
  view: Uint8Array,
  expected: number,
  durationMs: number,
): number {
  // Calls per timer read: about 64 KiB of data, so reading the timer costs next to nothing.
  const batch = Math.ceil(65_536 / view.length);
  let calls = 0;
  let wrong = 0;
  const start = performance.now();
  let elapsedMs = 0;
  do {
    for (let i = 0; i < batch; i++) if (checksum(view) !== expected) wrong++;
    calls += batch;
    elapsedMs = performance.now() - start;
  } while (elapsedMs < durationMs);
  if (wrong > 0) throw new Error(`${wrong} of ${calls} timed calls returned a wrong checksum`);
  return (calls * view.length) / (elapsedMs / 1000);
}

/** In a child process: warm up, say 'ready', then answer each 'round' with its bytes/s. */
function serve(implementation: Implementation, size: number, byteOffset: number): void {
  const checksum = IMPLEMENTATIONS[implementation];
  const view = testView(size, byteOffset);
  const expected = referenceChecksum(view);
  measure(checksum, view, expected, WARMUP_MS);
  process.on('message', () => process.send?.(measure(checksum, view, expected, ROUND_MS)));
  process.send?.('ready');
}

/** The next message from `child`; rejects if it exits first. */
function reply(child: ChildProcess): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`measuring process exited (${code})`));
    child.once('exit', onExit);
    child.once('message', (message) => {
      child.off('exit', onExit);
      resolve(message);
    });
  });
}

async function round(child: ChildProcess): Promise<number> {
  child.send('round');
  const bytesPerSecond = await reply(child);
  if (typeof bytesPerSecond !== 'number') throw new Error(`unexpected reply ${bytesPerSecond}`);
  return bytesPerSecond;
}

interface CaseResult {
  readonly name: string;
  readonly bytes: number;
  readonly byteOffset: number;
  readonly oasis: { readonly medianBytesPerSecond: number; readonly rounds: number[] };
  readonly reference: { readonly medianBytesPerSecond: number; readonly rounds: number[] };
  readonly ratio: number;
}

async function runCase(size: number, byteOffset: number): Promise<CaseResult> {
  const name = `${size} B at offset ${byteOffset}`;
  const view = testView(size, byteOffset);
  if (internetChecksum(view) !== referenceChecksum(view)) {
    throw new Error(`${name}: Oasis and the reference disagree; fix that before timing them`);
  }
  const start = (implementation: Implementation) =>
    fork(fileURLToPath(import.meta.url), [implementation, String(size), String(byteOffset)]);
  const oasisChild = start('oasis');
  const referenceChild = start('reference');
  try {
    await Promise.all([reply(oasisChild), reply(referenceChild)]);
    const oasis: number[] = [];
    const reference: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      oasis.push(await round(oasisChild));
      reference.push(await round(referenceChild));
    }
    const oasisMedian = median(oasis);
    const referenceMedian = median(reference);
    return {
      name,
      bytes: size,
      byteOffset,
      oasis: { medianBytesPerSecond: oasisMedian, rounds: oasis },
      reference: { medianBytesPerSecond: referenceMedian, rounds: reference },
      ratio: oasisMedian / referenceMedian,
    };
  } finally {
    oasisChild.disconnect();
    referenceChild.disconnect();
  }
}

function printTable(results: readonly CaseResult[]): void {
  const rows = [
    ['case', 'Oasis MB/s', 'RFC 1071 loop MB/s', 'Oasis/peer'],
    ...results.map((result) => [
      result.name,
      (result.oasis.medianBytesPerSecond / 1e6).toFixed(0),
      (result.reference.medianBytesPerSecond / 1e6).toFixed(0),
      `${result.ratio.toFixed(2)}x`,
    ]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  for (const row of rows) {
    const cells = row.map((cell, column) =>
      column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!),
    );
    console.log(cells.join('  '));
  }
}

async function main(): Promise<void> {
  const results: CaseResult[] = [];
  for (const size of SIZES) {
    for (const byteOffset of BYTE_OFFSETS) results.push(await runCase(size, byteOffset));
  }
  printTable(results);
  const resultsDir = new URL('results/', import.meta.url);
  mkdirSync(resultsDir, { recursive: true });
  const report = {
    benchmark: 'checksum',
    date: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    warmupMs: WARMUP_MS,
    rounds: ROUNDS,
    roundMs: ROUND_MS,
    unit: 'bytes per second',
    peer: 'RFC 1071 §4.1 loop (16-bit words, carries folded at the end)',
    cases: results,
  };
  writeFileSync(new URL('checksum.json', resultsDir), `${JSON.stringify(report, null, 2)}\n`);
}

const [role, size, byteOffset] = process.argv.slice(2);
if (role === undefined) {
  await main();
} else if (isImplementation(role)) {
  serve(role, Number(size), Number(byteOffset));
} else {
  throw new Error(
    `unknown implementation '${role}': use ${Object.keys(IMPLEMENTATIONS).join(' or ')}`,
  );
}
