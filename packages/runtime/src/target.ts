// A target turns declared devices into implementations: the host's sockets and directories
// (`node`), the direct stack on TAP devices (`tap`), a simulated network (`sim`). Each device kind
// has a provider that adds its command-line arguments and opens the device from their values.
// The launcher assembles the service's and the target's arguments, opens the devices in
// declaration order, starts the service, and closes everything in reverse order when it stops.

import {
  type Clock,
  err,
  isOasisError,
  type Logger,
  type Random,
  type Result,
  type Sleep,
} from '@oasis/core';
import { type ArgSpecs, describeArgs, optionName, type ParsedArgs, parseArgs } from './args.ts';
import type {
  DeviceDeclaration,
  DeviceDeclarations,
  DeviceKind,
  DeviceTypes,
  UnikernelDefinition,
} from './definition.ts';

/** What every target provides without a declaration: time, randomness, the log. */
export interface TargetEnvironment {
  readonly clock: Clock;
  readonly sleep: Sleep;
  readonly random: Random;
  /** The service's logger; devices log through children of it. */
  readonly logger: Logger;
}

export interface Opened<T> {
  readonly value: T;
  close(): Promise<void>;
}

/** Argument values by key, as the launcher parsed them. */
export type ArgumentValues = Readonly<Record<string, unknown>>;

export interface DeviceRequest<K extends DeviceKind> {
  /** The device's name in the definition (`uplink`). */
  readonly name: string;
  /** '' when it is the service's only device of its kind, else its name: options are `--tap` or `--uplink-tap`. */
  readonly prefix: string;
  readonly declaration: DeviceDeclaration<K>;
}

export interface DeviceProvider<K extends DeviceKind> {
  args(request: DeviceRequest<K>): ArgSpecs;
  open(
    request: DeviceRequest<K>,
    values: ArgumentValues,
    environment: TargetEnvironment,
  ): Promise<Opened<DeviceTypes[K]>>;
}

/** The devices whose implementation depends on the target (the others come from the environment). */
export type ProvidedKind = 'stack' | 'kvRo' | 'kvRw' | 'block';

export type DeviceProviders = { readonly [K in ProvidedKind]?: DeviceProvider<K> };

export interface Target {
  readonly name: string;
  /** The target's own arguments (`--log-level`, `--seed`). */
  readonly args: ArgSpecs;
  environment(serviceName: string, values: ArgumentValues): Promise<Opened<TargetEnvironment>>;
  readonly providers: DeviceProviders;
}

/** `prefix` + `name` as one camelCase key: ('uplink', 'tap') → 'uplinkTap', ('', 'tap') → 'tap'. */
export function prefixedKey(prefix: string, name: string): string {
  return prefix === '' ? name : `${prefix}${name[0]?.toUpperCase() ?? ''}${name.slice(1)}`;
}

export interface RunningUnikernel {
  /** Asks the service to stop, then closes its devices and the environment. */
  stop(): Promise<void>;
  /** Asks the service to reload its configuration (its `onReload` listeners). */
  reload(): void;
  /** Asks the service to log its state (its `onReport` listeners). */
  report(): void;
  readonly environment: TargetEnvironment;
}

/**
 * Thrown by `start` when a value the user gave is refused while the target's environment or a
 * device opens (a missing directory, a bad topology): a usage error (exit 64).
 */
export class DeviceArgumentError extends Error {
  override get name(): string {
    return 'DeviceArgumentError';
  }
}

interface Slot {
  readonly request: DeviceRequest<DeviceKind>;
  readonly provider: DeviceProvider<ProvidedKind> | undefined;
}

export class UnikernelLauncher {
  readonly definition: UnikernelDefinition;
  readonly target: Target;
  readonly #slots: readonly Slot[];
  readonly #deviceArgs: ArgSpecs;

  constructor(definition: UnikernelDefinition, target: Target) {
    this.definition = definition;
    this.target = target;
    const declarations: DeviceDeclarations = definition.devices;
    const kindCount = new Map<DeviceKind, number>();
    for (const declaration of Object.values(declarations)) {
      kindCount.set(declaration.kind, (kindCount.get(declaration.kind) ?? 0) + 1);
    }
    this.#slots = Object.entries(declarations).map(([name, declaration]) => {
      const request = {
        name,
        prefix: kindCount.get(declaration.kind) === 1 ? '' : name,
        declaration,
      };
      return { request, provider: this.#providerFor(declaration.kind) };
    });
    const deviceArgs: Record<string, ArgSpecs[string]> = {};
    const owner = new Map<string, string>();
    const claim = (specs: ArgSpecs, by: string): void => {
      for (const [key, spec] of Object.entries(specs)) {
        const earlier = owner.get(key);
        if (earlier !== undefined) {
          throw new TypeError(
            `${optionName(key)} is claimed twice in ${definition.name} on target ${target.name}: by ${earlier} and by ${by}`,
          );
        }
        owner.set(key, by);
        if (by.startsWith('device')) deviceArgs[key] = spec;
      }
    };
    claim(definition.args, 'the service');
    claim({ help: { kind: 'flag', doc: '' } }, 'the runtime');
    claim(target.args, `target ${target.name}`);
    for (const slot of this.#slots) {
      claim(slot.provider?.args(slot.request as never) ?? {}, `device ${slot.request.name}`);
    }
    this.#deviceArgs = deviceArgs;
  }

  #providerFor(kind: DeviceKind): DeviceProvider<ProvidedKind> | undefined {
    if (kind === 'clock' || kind === 'sleep' || kind === 'random' || kind === 'logger') {
      return undefined;
    }
    const provider = this.target.providers[kind];
    if (provider === undefined) {
      throw new TypeError(`target ${this.target.name} has no ${kind} device`);
    }
    return provider as DeviceProvider<ProvidedKind>;
  }

  get specs(): ArgSpecs {
    return { ...this.definition.args, ...this.#deviceArgs, ...this.target.args };
  }

  help(): string {
    const { definition, target } = this;
    const lines = [
      `${definition.name}: ${definition.doc}`,
      '',
      `usage: ${definition.name} [OPTIONS]`,
    ];
    const group = (title: string, specs: ArgSpecs): void => {
      if (Object.keys(specs).length === 0) return;
      lines.push('', title, ...describeArgs(specs));
    };
    group('Service options:', definition.args);
    for (const slot of this.#slots) {
      const specs = slot.provider?.args(slot.request as never) ?? {};
      group(`Device ${slot.request.name} (${slot.request.declaration.doc}):`, specs);
    }
    group(`Target ${target.name}:`, {
      ...target.args,
      help: { kind: 'flag', doc: 'print this help and exit' },
    });
    return `${lines.join('\n')}\n`;
  }

  parse(argv: readonly string[]): Result<ParsedArgs<ArgSpecs>, string> {
    const parsed = parseArgs(this.specs, argv);
    return parsed.ok ? parsed : err(parsed.error);
  }

  /**
   * Opens the environment and the devices, then starts the service. On failure everything
   * opened so far is closed again before the error propagates.
   */
  async start(values: ArgumentValues): Promise<RunningUnikernel> {
    const { definition, target } = this;
    const environment = await target.environment(definition.name, values);
    const closers: Array<() => Promise<void>> = [() => environment.close()];
    const controller = new AbortController();
    const reloadListeners: Array<() => void> = [];
    const reportListeners: Array<() => void> = [];
    const notify = (listeners: ReadonlyArray<() => void>, what: string): void => {
      for (const listener of listeners) {
        try {
          listener();
        } catch (error) {
          environment.value.logger.error(`${what} failed`, { error });
        }
      }
    };
    const stop = async (): Promise<void> => {
      controller.abort();
      for (const close of closers.reverse().splice(0)) {
        await close().catch((error: unknown) =>
          environment.value.logger.warn('closing failed', { error }),
        );
      }
    };
    try {
      const devices: Record<string, unknown> = {};
      for (const { request, provider } of this.#slots) {
        if (provider === undefined) {
          devices[request.name] =
            environment.value[request.declaration.kind as keyof TargetEnvironment];
          continue;
        }
        const opened = await provider
          .open(request as never, values, environment.value)
          .catch((error: unknown) => {
            // A value the user gave that the device refuses (a malformed address, a missing
            // directory) is a usage error, not a failure of the service.
            throw isOasisError(error, 'EINVAL') || isOasisError(error, 'ENOENT')
              ? new DeviceArgumentError(`device ${request.name}: ${error.message}`, {
                  cause: error,
                })
              : error;
          });
        closers.push(() => opened.close());
        devices[request.name] = opened.value;
      }
      const serviceValues = Object.fromEntries(
        Object.keys(definition.args).map((key) => [key, values[key]]),
      );
      await definition.start(devices as never, serviceValues as never, {
        target: target.name,
        signal: controller.signal,
        onReload: (listener) => void reloadListeners.push(listener),
        onReport: (listener) => void reportListeners.push(listener),
      });
    } catch (error) {
      await stop();
      throw error;
    }
    return {
      stop,
      reload: () => notify(reloadListeners, 'reload'),
      report: () => notify(reportListeners, 'report'),
      environment: environment.value,
    };
  }
}
