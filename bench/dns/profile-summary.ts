// Where a DNS service spends its time, from a V8 CPU profile (`node --cpu-prof`): the functions
// with the most self time, mapped to the TypeScript sources through the bundle's source map
// (tcp-throughput/cpu-profile.ts reads the profile), and the self time of each package.

import { summariseProfile } from '../tcp-throughput/cpu-profile.ts';

export interface DnsProfileSummary {
  readonly file: string;
  readonly totalMs: number;
  readonly top: readonly {
    readonly name: string;
    readonly location: string;
    readonly share: number;
  }[];
  /** Self time by where the code comes from, largest first. */
  readonly byOrigin: readonly { readonly origin: string; readonly share: number }[];
}

const PSEUDO: Readonly<Record<string, string>> = {
  '(idle)': 'idle (waiting for events, and native I/O outside JavaScript)',
  '(garbage collector)': 'GC',
  '(program)': 'V8 and native, unattributed',
  '(root)': 'V8 and native, unattributed',
};

function originOf(name: string, location: string): string {
  if (location === '') return PSEUDO[name] ?? 'built-ins';
  if (location.startsWith('node:')) return 'Node internals (node:dgram, streams, events, ...)';
  const workspace = /^(packages|unikernels)\/([^/]+)\//.exec(location);
  if (workspace !== null) {
    return workspace[1] === 'packages' ? `@oasis/${workspace[2]}` : `unikernels/${workspace[2]}`;
  }
  return 'other JavaScript';
}

export function summariseDnsProfile(file: string, top = 15): DnsProfileSummary {
  const every = summariseProfile(file, { top: Number.MAX_SAFE_INTEGER });
  const byOrigin = new Map<string, number>();
  for (const entry of every.top) {
    const origin = originOf(entry.name, entry.location);
    byOrigin.set(origin, (byOrigin.get(origin) ?? 0) + entry.share);
  }
  return {
    file,
    totalMs: every.totalMs,
    top: every.top.slice(0, top).map(({ name, location, share }) => ({ name, location, share })),
    byOrigin: [...byOrigin]
      .sort((a, b) => b[1] - a[1])
      .map(([origin, share]) => ({ origin, share })),
  };
}

const percent = (share: number): string => `${(share * 100).toFixed(1)}%`.padStart(6);

export function formatDnsProfile(summary: DnsProfileSummary): string {
  return [
    `profile: ${(summary.totalMs / 1000).toFixed(2)} s sampled on the main thread, ${summary.file}`,
    'top functions by self time:',
    ...summary.top.map(
      (f) => `  ${percent(f.share)}  ${f.name}${f.location === '' ? '' : `  (${f.location})`}`,
    ),
    'self time by origin:',
    ...summary.byOrigin.map((o) => `  ${percent(o.share)}  ${o.origin}`),
  ].join('\n');
}
