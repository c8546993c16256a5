// The servers under test as child processes: started, watched (the tail of their output for
// error messages, their CPU time and resident memory from /proc), stopped with SIGTERM then
// SIGKILL. A ChildProcesses set remembers every process it started (and the dnsperf runs), to stop
// them all at the end, on failure, and (synchronously, with SIGKILL) on SIGINT/SIGTERM.

import { type ChildProcess, type ChildProcessByStdio, spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { cpuSeconds, residentBytes } from './proc-stats.ts';

const STOP_TIMEOUT_MS = 5000;
const OUTPUT_LIMIT = 4096;

type Child = ChildProcessByStdio<null, Readable, Readable>;

export class ServerProcess {
  readonly label: string;
  readonly pid: number;
  readonly #child: Child;
  #output = '';

  constructor(label: string, child: Child) {
    const keep = (chunk: string): void => {
      this.#output = (this.#output + chunk).slice(-OUTPUT_LIMIT);
    };
    child.once('error', (error) => keep(`\n${String(error)}\n`));
    child.stdout.setEncoding('utf8').on('data', keep);
    child.stderr.setEncoding('utf8').on('data', keep);
    if (child.pid === undefined) throw new Error(`${label}: the process did not start`);
    this.label = label;
    this.pid = child.pid;
    this.#child = child;
  }

  /** The last few kB the process printed (stdout and stderr). */
  get output(): string {
    return this.#output;
  }

  get running(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** Throws, with what it printed, if the process has exited. */
  checkAlive(): void {
    if (this.running) return;
    const ended = this.#child.exitCode ?? this.#child.signalCode;
    throw new Error(`${this.label} exited (${ended}):\n${this.#output}`);
  }

  /** CPU seconds (user + system) used so far; throws if the process is gone. */
  cpuSeconds(): number {
    const seconds = cpuSeconds(this.pid);
    if (seconds === undefined) this.checkAlive();
    return seconds ?? 0;
  }

  /** Resident memory (VmRSS) now, in bytes; throws if the process is gone. */
  residentBytes(): number {
    const bytes = residentBytes(this.pid);
    if (bytes === undefined) this.checkAlive();
    return bytes ?? 0;
  }

  /** SIGTERM, then SIGKILL after STOP_TIMEOUT_MS; resolves once the process has exited. */
  stop(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.#child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      this.#child.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.#child.kill('SIGTERM');
    });
  }

  kill(): void {
    if (this.running) this.#child.kill('SIGKILL');
  }
}

export class ChildProcesses {
  readonly #members = new Set<ServerProcess>();
  /** Short-lived helpers (dnsperf) that end by themselves, killed only on a signal. */
  readonly #helpers = new Set<ChildProcess>();

  /**
   * Remembers `child`, the leader of a process group of its own (spawned `detached`), until it
   * exits, so that killAll reaches it and its children.
   */
  adopt(child: ChildProcess): void {
    this.#helpers.add(child);
    child.once('close', () => this.#helpers.delete(child));
  }

  /** Starts `program args` with its output piped; it belongs to the group until stopped. */
  start(label: string, program: string, args: readonly string[]): ServerProcess {
    const server = new ServerProcess(
      label,
      spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'] }),
    );
    this.#members.add(server);
    return server;
  }

  async stop(server: ServerProcess): Promise<void> {
    await server.stop();
    this.#members.delete(server);
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.#members].map((server) => this.stop(server)));
  }

  /** For signal handlers: SIGKILL to every member, without waiting. */
  killAll(): void {
    for (const server of this.#members) server.kill();
    for (const child of this.#helpers) {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }
}
