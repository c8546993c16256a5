// dnsmasq as the DNS peer of the interop tests: answering only from its command line (no
// upstream servers, no hosts file, no configuration file), in the foreground, logging to stderr.

import { type ChildProcess, spawn } from 'node:child_process';

export class Dnsmasq {
  readonly process: ChildProcess;
  /** What dnsmasq logged so far. */
  log = '';
  readonly exited: Promise<void>;

  private constructor(child: ChildProcess) {
    this.process = child;
    this.exited = new Promise((resolve) => child.once('close', () => resolve()));
    child.stderr?.on('data', (chunk: Buffer) => {
      this.log += chunk.toString();
    });
  }

  /**
   * Starts dnsmasq listening on `listen` (comma-separated addresses) and `port`, with `records`
   * (its own options: `--host-record=...`, `--address=/.../`), inside `namespace` when given.
   * Resolves once it says it started.
   */
  static start(
    listen: string,
    port: number,
    records: readonly string[],
    namespace?: string,
  ): Promise<Dnsmasq> {
    const command = [
      'dnsmasq',
      '--keep-in-foreground',
      '--conf-file=/dev/null',
      '--no-resolv',
      '--no-hosts',
      '--pid-file=',
      '--log-facility=-',
      '--bind-interfaces',
      `--listen-address=${listen}`,
      `--port=${port}`,
      ...records,
    ];
    const child =
      namespace === undefined
        ? spawn(command[0]!, command.slice(1))
        : spawn('ip', ['netns', 'exec', namespace, ...command]);
    const dnsmasq = new Dnsmasq(child);
    return new Promise((resolve, reject) => {
      child.stderr?.on('data', () => {
        if (/started, version/.test(dnsmasq.log)) resolve(dnsmasq);
      });
      child.once('error', reject);
      child.once('close', (code) =>
        reject(new Error(`dnsmasq exited with ${code}:\n${dnsmasq.log}`)),
      );
    });
  }

  async stop(): Promise<void> {
    this.process.kill('SIGTERM');
    await this.exited;
  }
}
