// Services as their users run them: built by `oasis build` into a bundle, started as a process
// (optionally inside a network namespace), watched through their log on stderr, stopped with a
// signal. Bundles go to a temporary directory, not the service's dist/.

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BuildReport, build, type TargetName } from '@oasis/cli';

export interface BuiltService {
  readonly report: BuildReport;
  readonly bundle: string;
  /** Removes the bundle's directory. */
  remove(): void;
}

export async function buildService(
  dir: string,
  target: TargetName,
  embed: Readonly<Record<string, string>> = {},
): Promise<BuiltService> {
  const outDir = mkdtempSync(join(tmpdir(), 'oasis-bundle-'));
  const report = await build({ dir, target, embed, out: join(outDir, `${target}.mjs`) });
  return {
    report,
    bundle: report.bundle,
    remove: () => rmSync(outDir, { recursive: true, force: true }),
  };
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export class ServiceProcess {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<Exit>;
  readonly #waiters: Array<() => void> = [];

  /**
   * Starts `node BUNDLE ARGS`, inside `namespace` when given (ip netns exec), with `env` added
   * to this process' environment.
   */
  constructor(
    bundle: string,
    args: readonly string[],
    namespace?: string,
    env: Readonly<Record<string, string>> = {},
  ) {
    const command = [process.execPath, '--enable-source-maps', bundle, ...args];
    const options = { env: { ...process.env, ...env } };
    this.child =
      namespace === undefined
        ? spawn(command[0] as string, command.slice(1), options)
        : spawn('ip', ['netns', 'exec', namespace, ...command], options);
    this.child.stdout?.on('data', (chunk: Buffer) => this.#append('stdout', chunk));
    this.child.stderr?.on('data', (chunk: Buffer) => this.#append('stderr', chunk));
    this.exited = new Promise((resolve) => {
      this.child.on('close', (code, signal) =>
        resolve({ code, signal, stdout: this.stdout, stderr: this.stderr }),
      );
    });
  }

  #append(stream: 'stdout' | 'stderr', chunk: Buffer): void {
    this[stream] += chunk.toString('utf8');
    for (const wake of this.#waiters.splice(0)) wake();
  }

  /**
   * Resolves with the first match of `pattern` in stderr (the log); rejects if the process exits
   * first, with what it printed.
   */
  async waitForLog(pattern: RegExp): Promise<RegExpExecArray> {
    let exited = false;
    void this.exited.then(() => {
      exited = true;
      for (const wake of this.#waiters.splice(0)) wake();
    });
    for (;;) {
      const match = pattern.exec(this.stderr);
      if (match !== null) return match;
      if (exited) {
        throw new Error(`exited before logging ${pattern}:\n${this.stderr}${this.stdout}`);
      }
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  /** Sends `signal` (SIGTERM by default) and waits for the exit. */
  stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<Exit> {
    this.child.kill(signal);
    return this.exited;
  }
}
