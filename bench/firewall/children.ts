// The processes the firewall benchmark starts, each inside a network namespace (ip netns exec
// runs the program in its own place, so a child's pid is the program's): run to completion, or
// kept running and watched through their output. `killAll` ends them synchronously, for signal
// handlers; `stopAll` asks first.

import { type ChildProcessByStdio, spawn } from 'node:child_process';
import type { Readable } from 'node:stream';

type Child = ChildProcessByStdio<null, Readable, Readable>;

const STOP_TIMEOUT_MS = 5000;
/** What a watched process keeps of its output for error messages. */
const LOG_TAIL = 4096;

function tail(text: string): string {
  return text.length > LOG_TAIL ? text.slice(-LOG_TAIL) : text;
}

/** A long-running process: its output so far (both streams), and a way to wait for a line. */
export class Watched {
  readonly label: string;
  readonly child: Child;
  #output = '';
  readonly #wakers = new Set<() => void>();

  constructor(label: string, child: Child) {
    this.label = label;
    this.child = child;
    const onData = (chunk: string): void => {
      this.#output = tail(this.#output + chunk);
      for (const wake of this.#wakers) wake();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('close', () => {
      for (const wake of this.#wakers) wake();
    });
  }

  get pid(): number {
    const pid = this.child.pid;
    if (pid === undefined) throw new Error(`${this.label} did not start`);
    return pid;
  }

  /** The last few kB of what it printed. */
  get log(): string {
    return this.#output;
  }

  /** The exit code or signal once it has ended. */
  ended(): number | string | undefined {
    const ended = this.child.exitCode ?? this.child.signalCode;
    return ended === null ? undefined : ended;
  }

  /** Throws with its output if it has ended. */
  alive(): void {
    const ended = this.ended();
    if (ended !== undefined) throw new Error(`${this.label} exited (${ended}): ${this.#output}`);
  }

  /** Resolves once it has ended; rejects after `timeoutMs`. */
  waitForExit(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.ended() !== undefined) {
        resolve();
        return;
      }
      const timer = setTimeout(
        () => reject(new Error(`${this.label} still runs after ${timeoutMs} ms: ${this.#output}`)),
        timeoutMs,
      );
      this.child.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Resolves once `pattern` appears in its output; rejects if it ends or `timeoutMs` pass. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const finish = (error?: Error): void => {
        clearTimeout(timer);
        this.#wakers.delete(poll);
        if (error === undefined) resolve();
        else reject(error);
      };
      const poll = (): void => {
        if (pattern.test(this.#output)) finish();
        else if (this.ended() !== undefined) {
          finish(new Error(`${this.label} exited (${this.ended()}): ${this.#output}`));
        }
      };
      const timer = setTimeout(
        () =>
          finish(new Error(`${this.label}: no ${pattern} within ${timeoutMs} ms: ${this.#output}`)),
        timeoutMs,
      );
      this.#wakers.add(poll);
      poll();
    });
  }
}

export class Children {
  readonly #running = new Set<Child>();

  #spawn(namespace: string, program: string, args: readonly string[]): Child {
    const child = spawn('ip', ['netns', 'exec', namespace, program, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    this.#running.add(child);
    child.once('close', () => this.#running.delete(child));
    return child;
  }

  /** Starts a long-running program in `namespace`. */
  watch(label: string, namespace: string, program: string, args: readonly string[]): Watched {
    return new Watched(label, this.#spawn(namespace, program, args));
  }

  /**
   * Runs a program in `namespace` to completion and resolves with its standard output; rejects
   * with its stderr when it fails, and kills it after `timeoutMs`.
   */
  run(
    namespace: string,
    program: string,
    args: readonly string[],
    timeoutMs: number,
  ): Promise<string> {
    const child = this.#spawn(namespace, program, args);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk: string) => {
      stderr = tail(stderr + chunk);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    return new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        if (code === 0) resolve(stdout);
        else {
          const output = stderr.trim() || tail(stdout.trim());
          reject(new Error(`${program} in ${namespace} ended with ${code ?? signal}: ${output}`));
        }
      });
    });
  }

  /** SIGTERM to each, then SIGKILL to whoever is left after a few seconds. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.#running].map((child) => stop(child)));
  }

  /** SIGKILL to each, without waiting: for signal handlers. */
  killAll(): void {
    for (const child of this.#running) child.kill('SIGKILL');
  }
}

function stop(child: Child): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    child.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
