// The `oasis` command line: build, run, list. Mistakes in its own arguments are one line on
// stderr and exit code 64; `run` exits with the service's code.

import { relative } from 'node:path';
import { type BuildOptions, build, staleReason } from './build.ts';
import { listServices } from './list.ts';
import { runBundle } from './run.ts';
import { isTargetName, TARGETS } from './targets.ts';
import { UsageError } from './usage-error.ts';

const EXIT_USAGE = 64;

const USAGE = `usage:
  oasis build <dir> [--target T] [--out FILE] [--embed NAME=DIR]...
  oasis run <dir> [--target T] [--out FILE] [--embed NAME=DIR]... [--rebuild] [--] [SERVICE OPTIONS]
  oasis list [<dir>]

  <dir>             a service directory, holding unikernel.ts (e.g. unikernels/echo)
  --target T        ${Object.keys(TARGETS).join(', ')} (default: node)
${Object.entries(TARGETS)
  .map(([name, plan]) => `                      ${name}: ${plan.doc}`)
  .join('\n')}
  --out FILE        the bundle (default: <dir>/dist/<target>.mjs)
  --embed NAME=DIR  build the directory DIR into the bundle as the read-only tree NAME
  --rebuild         build even if the bundle is up to date
  SERVICE OPTIONS   the service's and the target's options: see \`oasis run <dir> --help\`
  list              the services under <dir> (default: unikernels)
`;

export async function main(argv: readonly string[]): Promise<number> {
  try {
    return await command(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`oasis: ${error.message}\n`);
      return EXIT_USAGE;
    }
    process.stderr.write(`oasis: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

async function command(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  switch (name) {
    case 'build': {
      const { options } = parseBuildArgs(rest, false);
      await buildAndReport(options);
      return 0;
    }
    case 'run': {
      const { options, rebuild, serviceArgs } = parseBuildArgs(rest, true);
      const reason = rebuild ? 'asked to' : staleReason(options);
      if (reason !== undefined) {
        process.stderr.write(`oasis: building ${options.dir} for ${options.target} (${reason})\n`);
        await buildAndReport(options);
      }
      return runBundle(options, serviceArgs);
    }
    case 'list': {
      if (rest.length > 1) throw new UsageError('list takes at most one directory');
      for (const line of await listServices(rest[0] ?? 'unikernels'))
        process.stdout.write(`${line}\n`);
      return 0;
    }
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return 0;
    case undefined:
      throw new UsageError('a command is needed: build, run or list (see oasis --help)');
    default:
      throw new UsageError(`unknown command '${name}' (see oasis --help)`);
  }
}

async function buildAndReport(options: BuildOptions): Promise<void> {
  const report = await build(options);
  const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;
  process.stderr.write(
    `oasis: ${relative(process.cwd(), report.bundle)}: ${kib(report.bytes)} (minified, tree-shaken, ${report.inputs.length} source files; source map beside it)\n`,
  );
  for (const { origin, bytes } of report.origins) {
    process.stderr.write(`  ${kib(bytes).padStart(10)}  ${origin}\n`);
  }
}

interface ParsedBuildArgs {
  readonly options: BuildOptions;
  readonly rebuild: boolean;
  readonly serviceArgs: readonly string[];
}

/**
 * `<dir>` then oasis' own options; for `run`, the first word that is not one of them (or
 * everything after `--`) is the service's.
 */
function parseBuildArgs(argv: readonly string[], running: boolean): ParsedBuildArgs {
  const [dir, ...rest] = argv;
  if (dir === undefined || dir.startsWith('-'))
    throw new UsageError('a service directory is needed first, such as unikernels/echo');
  let target = 'node';
  let out: string | undefined;
  let rebuild = false;
  const embed: Record<string, string> = {};
  let i = 0;
  const value = (option: string): string => {
    const next = rest[i + 1];
    if (next === undefined) throw new UsageError(`${option} needs a value`);
    i += 2;
    return next;
  };
  while (i < rest.length) {
    const word = rest[i] as string;
    if (word === '--target') target = value(word);
    else if (word === '--out') out = value(word);
    else if (word === '--embed') {
      const spec = value(word);
      const match = /^([a-z][a-zA-Z0-9]*)=(.+)$/.exec(spec);
      if (match === null) throw new UsageError(`--embed: expected NAME=DIR, got '${spec}'`);
      embed[match[1] as string] = match[2] as string;
    } else if (word === '--rebuild' && running) {
      rebuild = true;
      i++;
    } else if (word === '--' && running) {
      i++;
      break;
    } else if (running) break;
    else throw new UsageError(`unknown option ${word} (see oasis --help)`);
  }
  if (!isTargetName(target)) {
    throw new UsageError(
      `--target: expected one of ${Object.keys(TARGETS).join(', ')}, got '${target}'`,
    );
  }
  return {
    options: { dir, target, embed, ...(out === undefined ? {} : { out }) },
    rebuild,
    serviceArgs: rest.slice(i),
  };
}
