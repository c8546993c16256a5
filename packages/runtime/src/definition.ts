// The unikernel definition: what a service is (name, one-line doc), the devices it needs, its
// runtime arguments, and `start`. The build reads the declared devices to wire in only the
// implementations this service uses on the chosen target, the way MirageOS' configure step does.

import type { Clock, Logger, Random, Sleep } from '@oasis/core';
import type { ArgSpecs, ArgValues } from './args.ts';
import type { BlockDevice } from './block-device.ts';
import type { KvRo, KvRw } from './kv.ts';
import type { Stack } from './stack.ts';

/** The interface a service receives for each kind of device. */
export interface DeviceTypes {
  readonly stack: Stack;
  readonly kvRo: KvRo;
  readonly kvRw: KvRw;
  readonly block: BlockDevice;
  readonly clock: Clock;
  readonly sleep: Sleep;
  readonly random: Random;
  readonly logger: Logger;
}

export type DeviceKind = keyof DeviceTypes;
export const DEVICE_KINDS: readonly DeviceKind[] = [
  'stack',
  'kvRo',
  'kvRw',
  'block',
  'clock',
  'sleep',
  'random',
  'logger',
];

export interface DeviceDeclaration<K extends DeviceKind = DeviceKind> {
  readonly kind: K;
  /** What the service uses it for, shown by `--help` next to the device's target arguments. */
  readonly doc: string;
  /** For a block device: bytes per sector (default 512). */
  readonly sectorSize?: number;
  /**
   * For a read-only tree: the host directory read when none is given (`.`: file names are
   * relative to where the service was started, as a command-line user expects).
   */
  readonly defaultDirectory?: string;
  /**
   * For a stack: the names of its interfaces, when it has several (a router's `client` and
   * `uplink`); each gets its own target options, prefixed by its name (`--uplink-tap`).
   */
  readonly interfaces?: readonly string[];
}

export type DeviceDeclarations = Readonly<Record<string, DeviceDeclaration>>;

export type Devices<D extends DeviceDeclarations> = {
  readonly [N in keyof D]: DeviceTypes[D[N]['kind']];
};

const declare =
  <K extends DeviceKind>(kind: K, fallback: string) =>
  (doc: string = fallback): DeviceDeclaration<K> => ({ kind, doc });

/** Device declarations, one constructor per kind. */
export const device = {
  /** A TCP/UDP network stack; with `interfaces`, one stack on several networks (a router). */
  stack: (
    doc = 'the network',
    options: { interfaces?: readonly string[] } = {},
  ): DeviceDeclaration<'stack'> => ({ kind: 'stack', doc, ...options }),
  /** A read-only key-value tree: a host directory, or a tree embedded at build time. */
  kvRo: (
    doc = 'a read-only file tree',
    options: { defaultDirectory?: string } = {},
  ): DeviceDeclaration<'kvRo'> => ({ kind: 'kvRo', doc, ...options }),
  /** A read-write key-value tree: a host directory, or memory. */
  kvRw: declare('kvRw', 'a read-write file tree'),
  /** A block device: a host file, or memory. */
  block: (
    doc = 'a block device',
    options: { sectorSize?: number } = {},
  ): DeviceDeclaration<'block'> => ({
    kind: 'block',
    doc,
    ...options,
  }),
  clock: declare('clock', 'monotonic and wall-clock time'),
  sleep: declare('sleep', 'timers'),
  random: declare('random', 'random numbers'),
  logger: declare('logger', 'the service log'),
};

/** What the runtime hands `start` besides devices and arguments. */
export interface StartContext {
  /** The target's name: 'node', 'tap' or 'sim'. */
  readonly target: string;
  /** Aborts when the service is asked to stop (SIGINT, SIGTERM, the end of a simulation). */
  readonly signal: AbortSignal;
  /**
   * Calls `listener` when the service is asked to reload its configuration (SIGHUP on a
   * process). The service keeps serving with its old configuration if the new one is bad.
   */
  onReload(listener: () => void): void;
  /** Calls `listener` when the service is asked to log its state and counters (SIGUSR1). */
  onReport(listener: () => void): void;
}

export interface UnikernelDefinition<
  D extends DeviceDeclarations = DeviceDeclarations,
  A extends ArgSpecs = ArgSpecs,
> {
  /** Lower-case, digits and dashes: `static-site`. */
  readonly name: string;
  /** One line for `oasis list` and `--help`. */
  readonly doc: string;
  readonly devices: D;
  readonly args: A;
  /**
   * Starts the service and resolves once it is ready (listening). It then runs on callbacks
   * until `context.signal` aborts; the runtime closes the devices afterwards. Rejecting means the
   * service could not start: the process exits non-zero with the error.
   */
  start(devices: Devices<D>, args: ArgValues<A>, context: StartContext): Promise<void>;
}

const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const KEY = /^[a-z][a-zA-Z0-9]*$/;

/** Checks a definition's shape and returns it, typed. Throws TypeError on a malformed one. */
export function defineUnikernel<const D extends DeviceDeclarations, const A extends ArgSpecs>(
  definition: UnikernelDefinition<D, A>,
): UnikernelDefinition<D, A> {
  if (!NAME.test(definition.name)) {
    throw new TypeError(
      `unikernel name '${definition.name}': use lower-case letters, digits and dashes`,
    );
  }
  for (const key of [...Object.keys(definition.devices), ...Object.keys(definition.args)]) {
    if (!KEY.test(key)) {
      throw new TypeError(`'${key}' in unikernel ${definition.name}: use a camelCase identifier`);
    }
  }
  for (const [name, declaration] of Object.entries(definition.devices)) {
    const { interfaces } = declaration;
    if (interfaces === undefined) continue;
    if (interfaces.length === 0 || new Set(interfaces).size !== interfaces.length) {
      throw new TypeError(
        `the interfaces of ${name} in unikernel ${definition.name}: name at least one, each once`,
      );
    }
    for (const key of interfaces) {
      if (!KEY.test(key)) {
        throw new TypeError(
          `interface '${key}' of ${name} in unikernel ${definition.name}: use a camelCase identifier`,
        );
      }
    }
  }
  for (const key of Object.keys(definition.args)) {
    if (key in definition.devices) {
      throw new TypeError(
        `'${key}' in unikernel ${definition.name} is both a device and an argument`,
      );
    }
  }
  return definition;
}
