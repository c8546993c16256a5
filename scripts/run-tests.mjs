#!/usr/bin/env node
// Runs the test suites with node's built-in runner over TypeScript (tsx).
//   node scripts/run-tests.mjs unit      packages/*/test/**, unikernels/*/test/**, test/tooling/**
//   node scripts/run-tests.mjs interop   test/interop/**/*.test.ts (real peers; some need root)
//   node scripts/run-tests.mjs all       both
// Extra arguments after the suite are passed to `node --test` (e.g. --test-name-pattern=pcap).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(import.meta.dirname, '..');
const [suite = 'all', ...extra] = process.argv.slice(2);

function testFiles(dir) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    if (name === 'node_modules') return [];
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return testFiles(path);
    return name.endsWith('.test.ts') ? [path] : [];
  });
}

function workspaceTests() {
  return ['packages', 'unikernels'].flatMap((group) => {
    const dir = join(root, group);
    let names;
    try {
      names = readdirSync(dir);
    } catch {
      return [];
    }
    return names.flatMap((name) => testFiles(join(dir, name, 'test')));
  });
}

const suites = {
  unit: () => [...workspaceTests(), ...testFiles(join(root, 'test', 'tooling'))],
  interop: () => testFiles(join(root, 'test', 'interop')),
};
const chosen = suite === 'all' ? Object.keys(suites) : [suite];
for (const name of chosen) {
  if (!(name in suites)) {
    console.error(`unknown suite '${name}': use unit, interop or all`);
    process.exit(64);
  }
}
const files = chosen.flatMap((name) => suites[name]()).sort();
if (files.length === 0) {
  console.error(`no test files found for suite '${suite}'`);
  process.exit(1);
}
console.error(
  `running ${files.length} test files: ${files.map((f) => relative(root, f)).join(' ')}`,
);
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', ...extra, ...files],
  {
    cwd: root,
    stdio: 'inherit',
  },
);
process.exit(result.status ?? 1);
