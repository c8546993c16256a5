// Where a process spent its time, from a V8 CPU profile (`node --cpu-prof`): self time per
// function, mapped through the bundle's source map to the TypeScript it came from, the top
// functions, and the shares of a few groups (idle, GC, the TAP device, TCP input and output,
// buffer copies, ...). Also runnable on a file:
//   node --import tsx bench/tcp-throughput/cpu-profile.ts FILE.cpuprofile [--map BUNDLE.map] [--top N]
//
// A .cpuprofile is a call tree (`nodes`, each a call frame with children) and a sample list:
// `samples[i]` is the node that was running, `timeDeltas[i]` the µs since the sample before. A
// sample's time here is the gap to the next one (the last one's, to `endTime`).

import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
  readonly columnNumber: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** A function as the summary names it: its name, and where it is in the sources. */
export interface FunctionTime {
  readonly name: string;
  readonly location: string;
  readonly group: string;
  readonly selfMs: number;
  readonly share: number;
}

export interface GroupTime {
  readonly group: string;
  readonly selfMs: number;
  readonly share: number;
}

export interface ProfileSummary {
  readonly file: string;
  readonly totalMs: number;
  readonly top: readonly FunctionTime[];
  /** Self time by group, largest first; the shares add up to 1. */
  readonly groups: readonly GroupTime[];
  /** Time with one of these functions on the stack (inclusive), each against the total. */
  readonly inclusive: readonly GroupTime[];
}

/** What the summary calls a function: name, source location, group. */
interface Resolved {
  readonly name: string;
  readonly location: string;
  readonly source: string;
}

/** Built-ins that move bytes: copies between buffers, when V8 did not inline them. */
const COPY_BUILTINS = new Set([
  'set',
  'slice',
  'subarray',
  'copy',
  'copyWithin',
  'concat',
  'from',
  'fill',
  'TypedArray',
  'Uint8Array',
  'allocUnsafe',
  'alloc',
]);

/**
 * Functions whose self time is mostly one copy of payload bytes (the typed-array copy is inlined
 * into them): the receive side's `payload.slice` out of the device's buffer, and the send
 * buffer's copies in (from the application's write) and out (into each outgoing frame).
 */
const COPYING = /(?:tcp-connection\.ts#receiveData|send-buffer\.ts(?:append|copyOut|#grow))$/;

/** Functions of the TCP layer that handle arriving segments (the rest of TCP is output). */
const TCP_INPUT =
  /^(?:#?input\w*|#processAck|#newAck|#updateWindow|#acceptText|#receiveData|#deliver|#acceptable|#finAcked|#passive|#cookieAck|#enterRecovery|acceptSyn|acceptCookie|#challenge)$/;

/** The TAP device's functions on the send path; the rest of it receives. */
const TAP_SEND = new Set(['send', '#fits', '#reserve', 'emitVirtioNetHeader']);

export const GROUPS = {
  idle: 'idle (waiting for events)',
  gc: 'GC',
  unattributed: 'V8 and native, unattributed',
  tapSend: "TAP send (the native write, with the kernel's work inside it)",
  tapReceive: 'TAP receive (read callback, virtio-net header)',
  copies: 'buffer copies (#receiveData slice, send buffer append/copyOut)',
  tcpInput: 'TCP input',
  tcpOutput: 'TCP output and timers',
  tcpFlow: 'TCP flow (application side: read/write promises)',
  checksums: 'checksums',
  ip: 'IP, ARP, Ethernet, codecs, stack loop',
  iperf: 'iperf service',
  core: 'core and runtime (clock, timers, ...)',
  node: 'Node internals',
  builtins: 'other built-ins and natives',
  other: 'other JavaScript',
} as const;

const V8_PSEUDO: Readonly<Record<string, string>> = {
  '(idle)': GROUPS.idle,
  '(garbage collector)': GROUPS.gc,
  '(program)': GROUPS.unattributed,
  '(root)': GROUPS.unattributed,
};

/** The group of a function by where it comes from. */
function groupOf(resolved: Resolved, frame: CallFrame): string {
  const pseudo = V8_PSEUDO[frame.functionName];
  if (pseudo !== undefined && frame.url === '') return pseudo;
  const { source, name } = resolved;
  if (source === '') {
    if (COPY_BUILTINS.has(frame.functionName)) return GROUPS.copies;
    return GROUPS.builtins;
  }
  if (source.startsWith('node:')) return GROUPS.node;
  if (COPYING.test(`${source}${name}`)) return GROUPS.copies;
  if (/packages\/node\/src\/(?:tap-|virtio-net)/.test(source)) {
    return TAP_SEND.has(name) ? GROUPS.tapSend : GROUPS.tapReceive;
  }
  if (/packages\/net\/src\/tcp\//.test(source)) {
    if (/receive-(?:buffer|reassembly)|sack-scoreboard/.test(source)) return GROUPS.tcpInput;
    if (/tcp-(?:connection|layer)\.ts/.test(source) && TCP_INPUT.test(name)) return GROUPS.tcpInput;
    if (/tcp-flow\.ts/.test(source)) return GROUPS.tcpFlow;
    return GROUPS.tcpOutput;
  }
  if (/checksum/.test(source) || /checksum/i.test(name)) return GROUPS.checksums;
  if (/packages\/(?:net|wire)\//.test(source)) return GROUPS.ip;
  if (/unikernels\/iperf\//.test(source)) return GROUPS.iperf;
  if (/packages\/(?:core|runtime)\//.test(source)) return GROUPS.core;
  return GROUPS.other;
}

/** Names for the inclusive view: a group while one of these is on the stack. */
const INCLUSIVE: readonly { readonly label: string; readonly test: (r: Resolved) => boolean }[] = [
  {
    label: 'TAP receive: the read callback and all it calls (stack input)',
    test: (r) => /packages\/node\/src\/tap-device/.test(r.source) && r.name === '#receive',
  },
  {
    label: 'TapDevice.send and all it calls',
    test: (r) => /packages\/node\/src\/tap-device/.test(r.source) && r.name === 'send',
  },
  {
    label: 'TcpConnection.input and all it calls',
    test: (r) => /tcp-connection\.ts/.test(r.source) && r.name === 'input',
  },
  {
    label: 'TcpConnection.flush and all it calls (output)',
    test: (r) => /tcp-connection\.ts/.test(r.source) && r.name === 'flush',
  },
];

class Locator {
  readonly #maps = new Map<string, SourceMap | undefined>();
  readonly #mapOverride: string | undefined;
  readonly #sources = new Map<string, readonly string[] | undefined>();
  readonly #cwd = process.cwd();

  constructor(mapOverride: string | undefined) {
    this.#mapOverride = mapOverride;
  }

  resolve(frame: CallFrame): Resolved {
    const fallbackName = frame.functionName === '' ? '(anonymous)' : frame.functionName;
    if (frame.url === '') return { name: fallbackName, location: '', source: '' };
    if (frame.url.startsWith('node:')) {
      return { name: fallbackName, location: frame.url, source: frame.url };
    }
    const map = this.#map(frame.url);
    const path = frame.url.startsWith('file:') ? fileURLToPath(frame.url) : frame.url;
    if (map === undefined) {
      const source = relative(this.#cwd, path);
      return { name: fallbackName, location: `${source}:${frame.lineNumber + 1}`, source };
    }
    const entry = map.findEntry(frame.lineNumber, frame.columnNumber) as {
      originalSource?: string;
      originalLine?: number;
      originalColumn?: number;
      name?: string;
    };
    if (entry.originalSource === undefined || entry.originalLine === undefined) {
      return { name: fallbackName, location: relative(this.#cwd, path), source: path };
    }
    const original = entry.originalSource.startsWith('file:')
      ? fileURLToPath(entry.originalSource)
      : entry.originalSource;
    const source = relative(this.#cwd, original);
    const name =
      this.#nameAt(original, entry.originalLine, entry.originalColumn ?? 0) ??
      entry.name ??
      fallbackName;
    return { name, location: `${source}:${entry.originalLine + 1}`, source };
  }

  #map(url: string): SourceMap | undefined {
    if (this.#maps.has(url)) return this.#maps.get(url);
    let map: SourceMap | undefined;
    const path = url.startsWith('file:') ? fileURLToPath(url) : url;
    const candidate = this.#mapOverride ?? `${path}.map`;
    if (path.endsWith('.mjs') && existsSync(candidate)) {
      const payload = JSON.parse(readFileSync(candidate, 'utf8')) as {
        sources: string[];
        sourceRoot?: string;
      };
      // Sources as absolute file URLs, so that findEntry names real files wherever the map is.
      const base = dirname(candidate);
      payload.sources = payload.sources.map((source) =>
        source.startsWith('file:')
          ? source
          : pathToFileURL(resolve(base, payload.sourceRoot ?? '', source)).href,
      );
      payload.sourceRoot = '';
      map = new SourceMap(payload as ConstructorParameters<typeof SourceMap>[0]);
    }
    this.#maps.set(url, map);
    return map;
  }

  /** The name a function has in its source, read at its start: `name(`, `function name(`, ... */
  #nameAt(path: string, line: number, column: number): string | undefined {
    let lines = this.#sources.get(path);
    if (!this.#sources.has(path)) {
      lines = existsSync(path) ? readFileSync(path, 'utf8').split('\n') : undefined;
      this.#sources.set(path, lines);
    }
    const text = lines?.[line];
    if (text === undefined) return undefined;
    const from = text.slice(column);
    const method =
      /^(?:(?:static|async|get|set|override|public|private|protected)\s+)*(#?[A-Za-z_$][\w$]*)\s*(?:<[^>]*>)?\(/.exec(
        from,
      );
    if (method !== null && method[1] !== 'function') return method[1];
    const declared = /^(?:async\s+)?function\s*\*?\s*([A-Za-z_$][\w$]*)/.exec(from);
    if (declared !== null) return declared[1];
    // An arrow function or a function expression: the name it is assigned to, before it.
    const before = text.slice(0, column);
    const assigned = /(#?[A-Za-z_$][\w$]*)\s*(?::[^=]*)?[=:]\s*(?:async\s*)?(?:function\s*)?$/.exec(
      before,
    );
    if (assigned !== null) return `${assigned[1]} (arrow)`;
    const argument = /([A-Za-z_$][\w$.]*)\s*\(\s*(?:[^()]*,\s*)?(?:async\s*)?$/.exec(before);
    if (argument !== null) return `callback in ${argument[1]}`;
    return undefined;
  }
}

/** Self time per function, the top `top`, group shares and inclusive times. */
export function summariseProfile(
  file: string,
  options: { readonly top?: number; readonly sourceMap?: string } = {},
): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map<number, number>();
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) parents.set(child, node.id);
  }
  // Self time per node id, in µs.
  const selfUs = new Map<number, number>();
  const { samples, timeDeltas } = profile;
  let at = profile.startTime;
  const stamps = samples.map((_, i) => {
    at += timeDeltas[i] ?? 0;
    return at;
  });
  for (let i = 0; i < samples.length; i++) {
    const next = i + 1 < samples.length ? stamps[i + 1]! : profile.endTime;
    const duration = Math.max(0, next - stamps[i]!);
    selfUs.set(samples[i]!, (selfUs.get(samples[i]!) ?? 0) + duration);
  }
  const locator = new Locator(options.sourceMap);
  const resolvedById = new Map<number, Resolved>();
  const resolvedOf = (id: number): Resolved => {
    let resolved = resolvedById.get(id);
    if (resolved === undefined) {
      resolved = locator.resolve(nodes.get(id)!.callFrame);
      resolvedById.set(id, resolved);
    }
    return resolved;
  };
  let totalUs = 0;
  const byFunction = new Map<
    string,
    { name: string; location: string; group: string; us: number }
  >();
  const byGroup = new Map<string, number>();
  const inclusiveUs = INCLUSIVE.map(() => 0);
  for (const [id, us] of selfUs) {
    totalUs += us;
    const node = nodes.get(id)!;
    const resolved = resolvedOf(id);
    const group = groupOf(resolved, node.callFrame);
    const key = `${resolved.name}\u0000${resolved.location}`;
    const entry = byFunction.get(key) ?? {
      name: resolved.name,
      location: resolved.location,
      group,
      us: 0,
    };
    entry.us += us;
    byFunction.set(key, entry);
    byGroup.set(group, (byGroup.get(group) ?? 0) + us);
    // Inclusive: is one of the INCLUSIVE functions on this node's stack?
    const onStack = INCLUSIVE.map(() => false);
    for (let up: number | undefined = id; up !== undefined; up = parents.get(up)) {
      const r = resolvedOf(up);
      INCLUSIVE.forEach((inclusive, i) => {
        if (!onStack[i] && inclusive.test(r)) onStack[i] = true;
      });
    }
    onStack.forEach((on, i) => {
      if (on) inclusiveUs[i]! += us;
    });
  }
  const share = (us: number): number => (totalUs === 0 ? 0 : us / totalUs);
  return {
    file,
    totalMs: totalUs / 1000,
    top: [...byFunction.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, options.top ?? 15)
      .map((f) => ({
        name: f.name,
        location: f.location,
        group: f.group,
        selfMs: f.us / 1000,
        share: share(f.us),
      })),
    groups: [...byGroup]
      .sort((a, b) => b[1] - a[1])
      .map(([group, us]) => ({ group, selfMs: us / 1000, share: share(us) })),
    inclusive: INCLUSIVE.map((inclusive, i) => ({
      group: inclusive.label,
      selfMs: inclusiveUs[i]! / 1000,
      share: share(inclusiveUs[i]!),
    })),
  };
}

const pct = (share: number): string => `${(share * 100).toFixed(1)}%`.padStart(6);

export function formatProfileSummary(summary: ProfileSummary): string {
  const lines = [
    `profile: ${(summary.totalMs / 1000).toFixed(2)} s sampled on the main thread (idle includes native work outside JavaScript, such as the addon's reads in its libuv callback; GC helper threads are not sampled)`,
  ];
  lines.push('top functions by self time:');
  for (const f of summary.top) {
    lines.push(
      `  ${pct(f.share)}  ${f.name}${f.location === '' ? '' : `  (${f.location})`}  [${f.group}]`,
    );
  }
  lines.push('self time by group:');
  for (const g of summary.groups) lines.push(`  ${pct(g.share)}  ${g.group}`);
  lines.push(
    'inclusive (the function and everything it calls; these overlap, e.g. the ACKs of a received batch are sent from inside the receive callback):',
  );
  for (const g of summary.inclusive) lines.push(`  ${pct(g.share)}  ${g.group}`);
  return lines.join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values, positionals } = parseArgs({
    options: { map: { type: 'string' }, top: { type: 'string', default: '15' } },
    allowPositionals: true,
  });
  const file = positionals[0];
  if (file === undefined) {
    console.error('usage: cpu-profile.ts FILE.cpuprofile [--map BUNDLE.map] [--top N]');
    process.exit(64);
  }
  const summary = summariseProfile(file, {
    top: Number(values.top),
    ...(values.map === undefined ? {} : { sourceMap: values.map }),
  });
  console.log(formatProfileSummary(summary));
}
