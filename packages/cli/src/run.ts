// `oasis run`: build the bundle when it is stale, then run it as a child process with the
// service's arguments. The child gets a process group of its own, so a Ctrl-C reaches it once,
// forwarded from here, and it can stop cleanly; its exit code becomes ours.

import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { type BuildOptions, bundlePath } from './build.ts';

const FORWARDED: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGUSR1'];

export function runBundle(options: BuildOptions, serviceArgs: readonly string[]): Promise<number> {
  const child = spawn(
    process.execPath,
    ['--enable-source-maps', bundlePath(options), ...serviceArgs],
    {
      stdio: 'inherit',
      detached: true,
    },
  );
  const forward = (signal: NodeJS.Signals): void => {
    child.kill(signal);
  };
  for (const signal of FORWARDED) process.on(signal, forward);
  const killChild = (): void => {
    child.kill('SIGKILL');
  };
  process.on('exit', killChild);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      for (const name of FORWARDED) process.off(name, forward);
      process.off('exit', killChild);
      resolve(code ?? 128 + (signal === null ? 0 : constants.signals[signal]));
    });
  });
}
