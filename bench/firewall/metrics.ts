// The rows of the firewall benchmark's table: what each measures in a round, its unit, and its
// aim; their medians over the rounds per side, the Oasis/Linux ratio, and the table itself.

import { median } from '../stats.ts';
import type { IperfResult } from './iperf.ts';
import type { PingResult } from './ping.ts';
import type { NearKnee } from './udp-knee.ts';
import type { Usage } from './usage.ts';

export type SideName = 'oasis' | 'linux';

export interface Measured<T> {
  readonly result: T;
  readonly usage: Usage;
}

/** One round on one side. */
export interface Round {
  readonly tcpForward: Measured<IperfResult>;
  readonly tcpReverse: Measured<IperfResult>;
  /** The UDP test the round reports: the first of the staircase within the loss limit. */
  readonly udp: Measured<IperfResult>;
  /** How its rate was found. */
  readonly udpRate: Omit<NearKnee, 'result'>;
  readonly ping: Measured<PingResult>;
}

interface Metric {
  readonly key: string;
  readonly label: string;
  readonly digits: number;
  readonly pick: (round: Round) => number | undefined;
  /** No Oasis/Linux ratio: the row explains the others rather than compares the routers. */
  readonly noRatio?: true;
  /** What the ratio should be (e.g. at least 0.77), if the issue sets an aim on it. */
  readonly minRatio?: number;
  /** What Oasis' value should stay below, if the issue sets an aim on it. */
  readonly oasisBelow?: number;
}

const MB = 1024 * 1024;

/** The TCP and UDP aims of the issue: MirageOS' ratios against Linux. */
export const AIM_TCP_RATIO = 0.77;
export const AIM_UDP_RATIO = 0.92;
export const AIM_RESIDENT_MB = 64;

export function metrics(cpuCount: number): readonly Metric[] {
  const each = (test: 'tcpForward' | 'tcpReverse' | 'udp', name: string): Metric[] => [
    {
      key: `${test}.machineBusyPercent`,
      label: `machine CPU during ${name}, % of ${cpuCount} cores`,
      digits: 0,
      pick: (round) => round[test].usage.machineBusyPercent,
    },
    {
      key: `${test}.processCpuPercent`,
      label: `firewall process CPU during ${name}, % of a core`,
      digits: 0,
      pick: (round) => round[test].usage.processCpuPercent,
    },
  ];
  return [
    {
      key: 'tcpForward.gbitPerSecond',
      label: 'TCP client → upstream, Gbit/s',
      digits: 2,
      pick: (round) => round.tcpForward.result.receivedBitsPerSecond / 1e9,
      minRatio: AIM_TCP_RATIO,
    },
    {
      key: 'tcpReverse.gbitPerSecond',
      label: 'TCP upstream → client (-R), Gbit/s',
      digits: 2,
      pick: (round) => round.tcpReverse.result.receivedBitsPerSecond / 1e9,
      minRatio: AIM_TCP_RATIO,
    },
    {
      key: 'udp.receivedMbitPerSecond',
      label: 'UDP 1,470 B near the knee, received Mbit/s',
      digits: 0,
      pick: (round) => round.udp.result.receivedBitsPerSecond / 1e6,
      minRatio: AIM_UDP_RATIO,
    },
    {
      key: 'udp.targetMbitPerSecond',
      label: 'UDP target rate (iperf3 -b), Mbit/s',
      digits: 0,
      pick: (round) => round.udpRate.bitsPerSecond / 1e6,
      noRatio: true,
    },
    {
      key: 'udp.lostPercent',
      label: 'UDP loss near the knee, %',
      digits: 2,
      pick: (round) => round.udp.result.lostPercent,
      noRatio: true,
    },
    {
      key: 'ping.avgMs',
      label: 'ping avg, ms',
      digits: 3,
      pick: (round) => round.ping.result.avgMs,
    },
    {
      key: 'ping.mdevMs',
      label: 'ping mdev, ms',
      digits: 3,
      pick: (round) => round.ping.result.mdevMs,
    },
    ...each('tcpForward', 'TCP →'),
    ...each('tcpReverse', 'TCP ←'),
    ...each('udp', 'UDP'),
    {
      key: 'firewall.peakResidentMb',
      label: 'firewall VmHWM (peak resident), MB',
      digits: 1,
      pick: (round) => mb(round.ping.usage.peakResidentBytes),
      oasisBelow: AIM_RESIDENT_MB,
    },
    {
      key: 'firewall.residentMb',
      label: 'firewall VmRSS after the round, MB',
      digits: 1,
      pick: (round) => mb(round.ping.usage.residentBytes),
    },
  ];
}

function mb(bytes: number | undefined): number | undefined {
  return bytes === undefined ? undefined : bytes / MB;
}

export interface Stat {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

export interface MetricSummary {
  readonly key: string;
  readonly label: string;
  readonly oasis: Stat | undefined;
  readonly linux: Stat | undefined;
  /** Oasis' median over Linux'. */
  readonly ratio: number | undefined;
  readonly aim: string | undefined;
  readonly aimMet: boolean | undefined;
}

function stat(values: readonly (number | undefined)[]): Stat | undefined {
  const known = values.filter((value): value is number => value !== undefined);
  if (known.length === 0) return undefined;
  return { median: median(known), min: Math.min(...known), max: Math.max(...known) };
}

export function summarise(
  cpuCount: number,
  rounds: Readonly<Record<SideName, readonly Round[]>>,
): MetricSummary[] {
  return metrics(cpuCount).map((metric) => {
    const oasis = stat(rounds.oasis.map(metric.pick));
    const linux = stat(rounds.linux.map(metric.pick));
    const ratio =
      metric.noRatio || oasis === undefined || linux === undefined || linux.median === 0
        ? undefined
        : oasis.median / linux.median;
    let aim: string | undefined;
    let aimMet: boolean | undefined;
    if (metric.minRatio !== undefined) {
      aim = `≥ ${metric.minRatio}`;
      aimMet = ratio === undefined ? undefined : ratio >= metric.minRatio;
    } else if (metric.oasisBelow !== undefined) {
      aim = `< ${metric.oasisBelow}`;
      aimMet = oasis === undefined ? undefined : oasis.median < metric.oasisBelow;
    }
    return { key: metric.key, label: metric.label, oasis, linux, ratio, aim, aimMet };
  });
}

/** The table: one row per metric with any value, the sides that ran as columns. */
export function formatTable(
  cpuCount: number,
  summaries: readonly MetricSummary[],
  sides: readonly SideName[],
): string {
  const digits = new Map(metrics(cpuCount).map((metric) => [metric.key, metric.digits]));
  const both = sides.length === 2;
  const header = ['median', ...sides.map((side) => (side === 'oasis' ? 'Oasis' : 'Linux'))];
  if (both) header.push('Oasis/Linux');
  header.push('aim');
  const rows = [header];
  for (const summary of summaries) {
    const values = sides.map((side) => summary[side]);
    if (values.every((value) => value === undefined)) continue;
    const cell = (value: Stat | undefined): string =>
      value === undefined ? '—' : value.median.toFixed(digits.get(summary.key));
    const row = [summary.label, ...values.map(cell)];
    if (both) row.push(summary.ratio === undefined ? '—' : `${summary.ratio.toFixed(2)}×`);
    row.push(
      summary.aim === undefined
        ? ''
        : `${summary.aim}${summary.aimMet === undefined ? '' : summary.aimMet ? ' met' : ' not met'}`,
    );
    rows.push(row);
  }
  const widths = header.map((_, column) =>
    Math.max(...rows.map((cells) => (cells[column] ?? '').length)),
  );
  return rows
    .map((cells) =>
      cells
        .map((cell, column) =>
          column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!),
        )
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
