#!/usr/bin/env node
// Runs benchmarks from bench/, one process each, over TypeScript (tsx).
//   node scripts/run-bench.mjs               every bench/*.ts, in name order
//   node scripts/run-bench.mjs checksum ...  bench/checksum.ts, ...
//   node scripts/run-bench.mjs udp-echo --rounds 3   options from the first '-' on go to each
// Each benchmark prints its table and writes its JSON to bench/results/. Exits with the first
// failing benchmark's status, after running the rest.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const benchDir = join(root, 'bench');
const args = process.argv.slice(2);
const firstOption = args.findIndex((arg) => arg.startsWith('-'));
const requested = firstOption === -1 ? args : args.slice(0, firstOption);
const options = firstOption === -1 ? [] : args.slice(firstOption);
const names =
  requested.length > 0
    ? requested
    : readdirSync(benchDir)
        .filter((file) => file.endsWith('.ts'))
        .map((file) => file.replace(/\.ts$/, ''))
        .sort();

const missing = names.filter((name) => !existsSync(join(benchDir, `${name}.ts`)));
if (missing.length > 0) {
  console.error(`no benchmark named ${missing.join(', ')}: expected bench/<name>.ts`);
  process.exit(64);
}
if (names.length === 0) {
  console.error('no benchmarks in bench/');
  process.exit(1);
}

let status = 0;
for (const name of names) {
  console.error(`bench: ${name}`);
  const script = join(benchDir, `${name}.ts`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', script, ...options], {
    cwd: root,
    stdio: 'inherit',
  });
  const code = result.status ?? 1;
  if (code !== 0) console.error(`bench: ${name} failed (exit ${code})`);
  if (status === 0) status = code;
}
process.exit(status);
