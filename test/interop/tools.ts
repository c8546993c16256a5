// What interop tests need from the machine. A missing program skips the test with the reason
// on a developer's machine, and fails it under CI (CI=true), where .ci/run installs everything.

import { spawnSync } from 'node:child_process';

/** `false` when `program` is on the PATH; otherwise the skip reason (or a thrown error under CI). */
export function skipUnless(program: string, installHint: string): false | string {
  const found = spawnSync('sh', ['-c', `command -v ${program}`], { encoding: 'utf8' }).status === 0;
  if (found) return false;
  const reason = `${program} is not installed (${installHint})`;
  if (process.env['CI'] === 'true') throw new Error(`${reason}; .ci/run should have installed it`);
  return reason;
}

/** Runs a program to completion and returns its standard output; throws with its stderr on failure. */
export function run(program: string, args: readonly string[]): string {
  const result = spawnSync(program, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error !== undefined) throw result.error;
  if (result.status !== 0) {
    throw new Error(`${program} ${args.join(' ')} exited with ${result.status}: ${result.stderr}`);
  }
  return result.stdout;
}

/** Debian's python3, which has the scapy module (a python3 on the PATH may be another). */
export const PYTHON = '/usr/bin/python3';

/** As `skipUnless`, for the scapy module of Debian's python3 rather than a program. */
export function skipUnlessScapy(): false | string {
  if (spawnSync(PYTHON, ['-c', 'import scapy'], { stdio: 'ignore' }).status === 0) return false;
  const reason = 'scapy is not installed (Debian: apt-get install python3-scapy)';
  if (process.env['CI'] === 'true') throw new Error(`${reason}; .ci/run should have installed it`);
  return reason;
}
