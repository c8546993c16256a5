#!/usr/bin/env node
// Enforces the package layering of DESIGN.md on every source file under packages/*/src:
//  - a package imports only packages of a lower layer (never its own layer or above);
//  - platform-neutral packages import no Node built-in (`node:*` or a bare built-in name) and
//    do not mention `Buffer`: they are what later runs in a browser.
// Every workspace package must be listed in LAYERS, so a new package gets a deliberate place.
// Usage: node scripts/check-layering.mjs [ROOT]   (ROOT defaults to this repository)
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';

// Layer numbers: a package may import packages with a smaller number only.
// `platform: true` marks the packages allowed to use Node's APIs.
const LAYERS = {
  '@oasis/core': { layer: 0 },
  '@oasis/runtime': { layer: 1 },
  '@oasis/wire': { layer: 2 },
  '@oasis/net': { layer: 3 },
  '@oasis/sim': { layer: 3 },
  '@oasis/dns': { layer: 4 },
  '@oasis/dhcp': { layer: 4 },
  '@oasis/nat': { layer: 4 },
  '@oasis/fs': { layer: 4 },
  '@oasis/ssh': { layer: 4 },
  '@oasis/node': { layer: 5, platform: true },
  '@oasis/cli': { layer: 6, platform: true },
};

const root = process.argv[2] ?? join(import.meta.dirname, '..');
const builtins = new Set(builtinModules.flatMap((name) => [name, name.split('/')[0]]));
const problems = [];

function sourceFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|mts|js|mjs)$/.test(name) ? [path] : [];
  });
}

// Static imports, re-exports and dynamic imports with a literal specifier.
const IMPORT =
  /(?:^|[\s;])(?:import|export)\s(?:[^'";]*?\sfrom\s)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

for (const dirName of readdirSync(join(root, 'packages'))) {
  const dir = join(root, 'packages', dirName);
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const self = LAYERS[manifest.name];
  if (self === undefined) {
    problems.push(`${manifest.name}: not in the layer table of scripts/check-layering.mjs`);
    continue;
  }
  let files;
  try {
    files = sourceFiles(join(dir, 'src'));
  } catch {
    continue;
  }
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const where = relative(root, file);
    for (const match of text.matchAll(IMPORT)) {
      const specifier = match[1] ?? match[2];
      if (specifier.startsWith('.')) continue;
      if (specifier.startsWith('@oasis/')) {
        const name = specifier.split('/').slice(0, 2).join('/');
        const target = LAYERS[name];
        if (name === manifest.name)
          problems.push(
            `${where}: imports its own package by name (${specifier}); use a relative path`,
          );
        else if (target === undefined)
          problems.push(`${where}: imports ${name}, which has no layer`);
        else if (target.layer >= self.layer) {
          problems.push(
            `${where}: ${manifest.name} (layer ${self.layer}) imports ${name} (layer ${target.layer})`,
          );
        }
      } else if (
        !self.platform &&
        (specifier.startsWith('node:') || builtins.has(specifier.split('/')[0]))
      ) {
        problems.push(
          `${where}: platform-neutral ${manifest.name} imports the Node built-in '${specifier}'`,
        );
      }
    }
    if (!self.platform) {
      const code = text.replace(/\/\/[^\n]*|\/\*[\s\S]*?\*\//g, '');
      if (/\bBuffer\b/.test(code))
        problems.push(`${where}: platform-neutral ${manifest.name} uses Buffer; use Uint8Array`);
    }
  }
}

if (problems.length > 0) {
  console.error(`layering check failed:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log('layering check passed');
