// Network namespaces for tests that put the kernel on the far side of a TAP device
// (ip-netns(8)): the namespace holds the interface and its addresses, so a test's traffic stays
// between this process and that namespace and never reaches the host's networks.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { run } from './tools.ts';

/**
 * `false` when this process may create TAP devices and network namespaces (root, with
 * /dev/net/tun); otherwise the skip reason, or a thrown error under CI, which runs as root.
 */
export function skipUnlessTapAllowed(): false | string {
  let reason: string | undefined;
  if (process.getuid?.() !== 0) {
    reason = 'needs root (CAP_NET_ADMIN) for TAP devices and network namespaces';
  } else if (!existsSync('/dev/net/tun')) {
    reason = '/dev/net/tun is missing (load the tun module: modprobe tun)';
  }
  if (reason === undefined) return false;
  if (process.env['CI'] === 'true') throw new Error(`${reason}; CI must run these tests`);
  return reason;
}

export class NetNamespace {
  readonly name: string;

  /** Creates the namespace; `name` should be unique to this process (put the pid in it). */
  constructor(name: string) {
    this.name = name;
    run('ip', ['netns', 'add', name]);
  }

  /** `ip -n NAME ARGS`: configures the namespace's links, addresses and neighbours. */
  ip(args: readonly string[]): string {
    return run('ip', ['-n', this.name, ...args]);
  }

  /** Runs a program inside the namespace to completion; returns its standard output. */
  exec(program: string, args: readonly string[]): string {
    return run('ip', ['netns', 'exec', this.name, program, ...args]);
  }

  /**
   * Starts a program inside the namespace without waiting, so this process's event loop keeps
   * running while it talks to us. Resolves with its standard output when it exits with 0.
   */
  spawn(program: string, args: readonly string[]): { done: Promise<string>; kill(): void } {
    const child = spawn('ip', ['netns', 'exec', this.name, program, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const done = new Promise<string>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => {
        if (code === 0) resolve(stdout);
        else
          reject(new Error(`${program} in ${this.name} ended with ${code ?? signal}: ${stderr}`));
      });
    });
    return { done, kill: () => child.kill() };
  }

  /** Deletes the namespace, and with it the interfaces in it; harmless if it is gone. */
  delete(): void {
    if (
      run('ip', ['netns', 'list'])
        .split('\n')
        .some((line) => line.split(' ')[0] === this.name)
    ) {
      run('ip', ['netns', 'delete', this.name]);
    }
  }
}
