// One run of dnsperf (DNS-OARC, 2.x) against 127.0.0.1:PORT, and the figures of its
// "Statistics:" block: queries sent, completed and lost, response codes, run time, queries per
// second and average latency; and dnsperf's own CPU time, which shows when the load generator,
// not the server, is the limit.

import { type ChildProcess, spawn } from 'node:child_process';

/**
 * dnsperf under sh, whose `times` (POSIX) then prints the user and system time of the shell and,
 * on its second line, of its children: dnsperf's.
 */
const SCRIPT = 'dnsperf "$@"; status=$?; times; exit $status';

/** The load: dnsperf's -c, -q and -T, and -t (seconds before a query counts as lost). */
export interface DnsperfLoad {
  readonly clients: number;
  readonly outstanding: number;
  readonly threads: number;
  readonly timeoutSeconds: number;
}

export interface DnsperfRun {
  readonly port: number;
  readonly queryFile: string;
  /** -l: stop after this long. */
  readonly seconds?: number;
  /** -n: stop after this many passes over the query file. */
  readonly passes?: number;
}

export interface DnsperfResult {
  readonly sent: number;
  readonly completed: number;
  readonly lost: number;
  /** Response code → count, e.g. { NOERROR: 1000 }. */
  readonly rcodes: Readonly<Record<string, number>>;
  readonly runSeconds: number;
  readonly queriesPerSecond: number;
  readonly averageLatencySeconds: number;
  /** dnsperf's user + system time over the run. */
  readonly clientCpuSeconds: number;
}

export function dnsperfArgs(load: DnsperfLoad, run: DnsperfRun): string[] {
  return [
    '-s',
    '127.0.0.1',
    '-p',
    String(run.port),
    '-d',
    run.queryFile,
    '-c',
    String(load.clients),
    '-q',
    String(load.outstanding),
    '-T',
    String(load.threads),
    '-t',
    String(load.timeoutSeconds),
    ...(run.seconds === undefined ? [] : ['-l', String(run.seconds)]),
    ...(run.passes === undefined ? [] : ['-n', String(run.passes)]),
  ];
}

/**
 * Runs dnsperf; `adopt` is given the shell around it, which leads a process group of its own
 * (kill -PID reaches dnsperf too).
 */
export function runDnsperf(
  load: DnsperfLoad,
  run: DnsperfRun,
  adopt: (child: ChildProcess) => void,
): Promise<DnsperfResult> {
  const args = dnsperfArgs(load, run);
  const child = spawn('sh', ['-c', SCRIPT, 'sh', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  adopt(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4096);
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code !== 0) {
        reject(new Error(`dnsperf ${args.join(' ')} ended with ${code ?? signal}: ${stderr}`));
        return;
      }
      try {
        resolve(parseDnsperf(stdout));
      } catch (error) {
        reject(error);
      }
    });
  });
}

/** The figures of dnsperf's report; throws naming the line it could not find. */
export function parseDnsperf(output: string): DnsperfResult {
  const field = (label: string): string => {
    const match = new RegExp(`^[ \\t]*${label}:[ \\t]*(.*)$`, 'm').exec(output);
    if (match === null) throw new Error(`dnsperf printed no '${label}' line:\n${output}`);
    return match[1]!.trim();
  };
  const number = (label: string): number => {
    const value = Number.parseFloat(field(label));
    if (!Number.isFinite(value)) throw new Error(`dnsperf's '${label}' is not a number`);
    return value;
  };
  // The last `times` line: the children's (dnsperf's) user and system time.
  const times = [...output.matchAll(/^(\d+)m([\d.]+)s (\d+)m([\d.]+)s$/gm)].at(-1);
  if (times === undefined) throw new Error(`no CPU times after dnsperf's report:\n${output}`);
  const [userMinutes, userSeconds, systemMinutes, systemSeconds] = times.slice(1).map(Number);
  const rcodes: Record<string, number> = {};
  for (const match of field('Response codes').matchAll(/([A-Z]+) (\d+) \(/g)) {
    rcodes[match[1]!] = Number(match[2]);
  }
  return {
    sent: number('Queries sent'),
    completed: number('Queries completed'),
    lost: number('Queries lost'),
    rcodes,
    runSeconds: number('Run time \\(s\\)'),
    queriesPerSecond: number('Queries per second'),
    averageLatencySeconds: number('Average Latency \\(s\\)'),
    clientCpuSeconds: userMinutes! * 60 + userSeconds! + systemMinutes! * 60 + systemSeconds!,
  };
}
