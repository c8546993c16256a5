// `oasis build`: generate the target's entry point for a service, bundle it with esbuild into one
// minified, tree-shaken ES module with a source map, put the files it needs beside it, and record
// what it was built from, so that `oasis run` rebuilds only when something changed.

import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtTapAddonPath } from '@oasis/node';
import type { DeviceKind, EmbeddedTree } from '@oasis/runtime';
import * as esbuild from 'esbuild';
import { embedTree, treeFiles } from './embed.ts';
import { entrySource } from './entry.ts';
import { definitionPath, loadDefinition } from './load-definition.ts';
import { TARGETS, type TargetName } from './targets.ts';
import { UsageError } from './usage-error.ts';

export interface BuildOptions {
  readonly dir: string;
  readonly target: TargetName;
  /** The bundle's path (default `<dir>/dist/<target>.mjs`). */
  readonly out?: string;
  /** kvRo device name → host directory to embed. */
  readonly embed: Readonly<Record<string, string>>;
}

export interface BuildReport {
  readonly bundle: string;
  readonly bytes: number;
  /** Bytes of the bundle by the package (or file) they came from, largest first. */
  readonly origins: readonly { readonly origin: string; readonly bytes: number }[];
  /** Source files with code in the bundle (after tree-shaking), relative to the working directory. */
  readonly inputs: readonly string[];
}

/** What a bundle was built from: compared by `staleReason`. */
interface Manifest {
  readonly target: TargetName;
  readonly embed: Readonly<Record<string, string>>;
  /** Every input file (sources, embedded files) with its modification time. */
  readonly inputs: Readonly<Record<string, number>>;
}

export function bundlePath(options: Pick<BuildOptions, 'dir' | 'target' | 'out'>): string {
  return resolve(options.out ?? join(options.dir, 'dist', `${options.target}.mjs`));
}

const manifestPath = (bundle: string): string => `${bundle}.manifest.json`;

/** The generator's own sources: a change to them changes every entry point. */
const GENERATOR = ['entry.ts', 'targets.ts'].map((name) =>
  fileURLToPath(new URL(name, import.meta.url)),
);

export async function build(options: BuildOptions): Promise<BuildReport> {
  const definition = await loadDefinition(options.dir);
  const embed = Object.fromEntries(
    Object.entries(options.embed).map(([name, dir]) => [name, resolve(dir)]),
  );
  const embedded: Record<string, EmbeddedTree> = {};
  for (const [name, dir] of Object.entries(embed)) {
    if (definition.devices[name]?.kind !== 'kvRo') {
      throw new UsageError(
        `--embed ${name}=...: ${definition.name} has no read-only tree named ${name}`,
      );
    }
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      throw new UsageError(`--embed ${name}=${dir}: not a directory`);
    }
    embedded[name] = embedTree(dir);
  }
  const bundle = bundlePath(options);
  const kinds = new Set<DeviceKind>(Object.values(definition.devices).map((d) => d.kind));
  const contents = entrySource({
    definition: `./${relative(resolve(options.dir), definitionPath(options.dir))}`,
    target: options.target,
    kinds,
    embedded,
  });
  mkdirSync(dirname(bundle), { recursive: true });
  const result = await esbuild.build({
    stdin: {
      contents,
      resolveDir: resolve(options.dir),
      sourcefile: `oasis-${options.target}-entry.ts`,
      loader: 'ts',
    },
    outfile: bundle,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: true,
    sourcemap: 'linked',
    metafile: true,
    legalComments: 'none',
    logLevel: 'silent',
  });
  if (TARGETS[options.target].tapAddon) copyTapAddon(dirname(bundle));
  const inputs = Object.keys(result.metafile.inputs).filter((path) => existsSync(path));
  const files = [
    ...inputs.map((path) => resolve(path)),
    ...GENERATOR,
    ...Object.values(embed).flatMap(treeFiles),
  ];
  const manifest: Manifest = {
    target: options.target,
    embed,
    inputs: Object.fromEntries(files.map((path) => [path, statSync(path).mtimeMs])),
  };
  writeFileSync(manifestPath(bundle), `${JSON.stringify(manifest, null, 2)}\n`);
  const contributions = result.metafile.outputs[relative(process.cwd(), bundle)]?.inputs ?? {};
  return {
    bundle,
    bytes: statSync(bundle).size,
    origins: origins(contributions),
    inputs: Object.keys(contributions).filter((path) => contributions[path]?.bytesInOutput),
  };
}

function copyTapAddon(directory: string): void {
  const path = builtTapAddonPath();
  if (!existsSync(path)) {
    throw new Error(
      `the TAP addon is not built (${path}): run \`npm rebuild -w @oasis/node\` with make, g++ and python3 installed`,
    );
  }
  copyFileSync(path, join(directory, basename(path)));
}

/** Why the bundle must be rebuilt, or undefined when it is up to date. */
export function staleReason(options: BuildOptions): string | undefined {
  const bundle = bundlePath(options);
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(manifestPath(bundle), 'utf8')) as Manifest;
  } catch {
    return 'not built yet';
  }
  if (manifest.target !== options.target) return 'built for another target';
  const embed = Object.fromEntries(
    Object.entries(options.embed).map(([name, dir]) => [name, resolve(dir)]),
  );
  if (JSON.stringify(embed) !== JSON.stringify(manifest.embed)) return 'other trees to embed';
  const known = new Set(Object.keys(manifest.inputs));
  for (const dir of Object.values(embed)) {
    if (treeFiles(dir).some((path) => !known.has(path))) return `a file was added under ${dir}`;
  }
  for (const [path, mtimeMs] of Object.entries(manifest.inputs)) {
    if (!existsSync(path)) return `${path} is gone`;
    if (statSync(path).mtimeMs !== mtimeMs) return `${path} changed`;
  }
  return undefined;
}

/** Groups output bytes by workspace package or npm dependency. */
function origins(inputs: Readonly<Record<string, { bytesInOutput: number }>>) {
  const totals = new Map<string, number>();
  for (const [path, { bytesInOutput }] of Object.entries(inputs)) {
    const dependency = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1];
    const workspace = /(packages|unikernels)\/([^/]+)\//.exec(path);
    const origin =
      dependency ??
      (workspace === null
        ? path
        : `${workspace[1] === 'packages' ? '@oasis' : 'unikernels'}/${workspace[2]}`);
    totals.set(origin, (totals.get(origin) ?? 0) + bytesInOutput);
  }
  return [...totals]
    .map(([origin, bytes]) => ({ origin, bytes }))
    .sort((a, b) => b.bytes - a.bytes);
}
