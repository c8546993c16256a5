// What a test cost: the machine's busy share over its wall time (every core, softirq included:
// where the Linux router does its forwarding), and the firewall process' own CPU time and memory
// when there is one. The /proc readers are bench/dns/proc-stats.ts'; VmHWM is read here.

import { readFileSync } from 'node:fs';
import { busyShare, cpuSeconds, machineTicks, residentBytes } from '../dns/proc-stats.ts';

export interface Usage {
  readonly wallSeconds: number;
  /** Busy share of the machine's CPU time over the test, percent of all cores. */
  readonly machineBusyPercent: number | undefined;
  /** The firewall process' user + system time over the wall time, percent of one core. */
  readonly processCpuPercent: number | undefined;
  /** Its VmRSS after the test, bytes. */
  readonly residentBytes: number | undefined;
  /** Its VmHWM after the test (the peak resident set since it started), bytes. */
  readonly peakResidentBytes: number | undefined;
}

/** The process' peak resident set (VmHWM, proc(5)) in bytes; undefined once it is gone. */
export function peakResidentBytes(pid: number): number | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kib = /^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1];
  return kib === undefined ? undefined : Number(kib) * 1024;
}

/** Runs `action` and measures it; `pid` is the firewall process, if any. */
export async function measureUsage<T>(
  pid: number | undefined,
  action: () => Promise<T>,
): Promise<{ result: T; usage: Usage }> {
  const cpuBefore = pid === undefined ? undefined : cpuSeconds(pid);
  const ticksBefore = machineTicks();
  const start = process.hrtime.bigint();
  const result = await action();
  const wallSeconds = Number(process.hrtime.bigint() - start) / 1e9;
  const ticksAfter = machineTicks();
  const cpuAfter = pid === undefined ? undefined : cpuSeconds(pid);
  const busy = busyShare(ticksBefore, ticksAfter);
  return {
    result,
    usage: {
      wallSeconds,
      machineBusyPercent: busy === undefined ? undefined : busy * 100,
      processCpuPercent:
        cpuBefore === undefined || cpuAfter === undefined
          ? undefined
          : ((cpuAfter - cpuBefore) / wallSeconds) * 100,
      residentBytes: pid === undefined ? undefined : residentBytes(pid),
      peakResidentBytes: pid === undefined ? undefined : peakResidentBytes(pid),
    },
  };
}
