// What Linux says about a process and the machine, from /proc (proc(5)): a process' CPU time
// (user + system, all its threads) and resident memory, and the machine's busy and idle time.

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const CLOCK_TICKS = (() => {
  const result = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const value = Number(result.stdout?.trim());
  return Number.isFinite(value) && value > 0 ? value : 100;
})();

/** Seconds of CPU (utime + stime) the process has used so far; undefined once it is gone. */
export function cpuSeconds(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The fields after the command name (which may hold spaces) start at field 3, state;
  // utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** The process' resident set (VmRSS) in bytes; undefined once it is gone. */
export function residentBytes(pid: number): number | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kib = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  return kib === undefined ? undefined : Number(kib) * 1024;
}

/** The machine's CPU time so far, in ticks over every core: all of it, and idle (with iowait). */
export interface MachineTicks {
  readonly total: number;
  readonly idle: number;
}

export function machineTicks(): MachineTicks | undefined {
  let line: string | undefined;
  try {
    line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
  } catch {
    return undefined;
  }
  // cpu user nice system idle iowait irq softirq steal
  const fields = (line ?? '').trim().split(/\s+/).slice(1, 9).map(Number);
  if (fields.length < 8 || fields.some((value) => !Number.isFinite(value))) return undefined;
  return { total: fields.reduce((sum, value) => sum + value, 0), idle: fields[3]! + fields[4]! };
}

/** The share of the machine's CPU time that was busy between two readings (0..1). */
export function busyShare(
  before: MachineTicks | undefined,
  after: MachineTicks | undefined,
): number | undefined {
  if (before === undefined || after === undefined || after.total === before.total) return undefined;
  return 1 - (after.idle - before.idle) / (after.total - before.total);
}
