// The process around a unikernel on Node: parse the command line (mistakes: one line on stderr,
// exit 64, as sysexits.h's EX_USAGE), print `--help`, open the devices and start the service
// (failure: the error on stderr, exit 1), then run until SIGINT or SIGTERM, when the service is
// stopped and its devices closed (flows ended, block devices flushed) before the process exits.
// A second signal exits at once. SIGHUP asks the service to reload its configuration, SIGUSR1 to
// log its state.

import { isOasisError } from '@oasis/core';
import {
  type ArgumentValues,
  DeviceArgumentError,
  type RunningUnikernel,
  type Target,
  type UnikernelDefinition,
  UnikernelLauncher,
} from '@oasis/runtime';

export const EXIT_USAGE = 64;
export const EXIT_FAILURE = 1;
/** 128 + SIGINT, what a shell reports for a process killed by Ctrl-C. */
const EXIT_INTERRUPTED = 130;

export async function runMain(
  definition: UnikernelDefinition,
  target: Target,
  argv: readonly string[] = process.argv.slice(2),
): Promise<void> {
  const launcher = new UnikernelLauncher(definition, target);
  const values = parseCommandLine(launcher, argv);
  if (values === undefined) return;
  let running: RunningUnikernel;
  try {
    running = await launcher.start(values);
  } catch (error) {
    return exitStartFailure(definition.name, error);
  }
  const { logger } = running.environment;
  // performance.now() counts from the process' start.
  logger.info('started', { target: target.name, startupMs: Math.round(performance.now()) });
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) process.exit(EXIT_INTERRUPTED);
    stopping = true;
    logger.info('stopping', { signal });
    running.stop().then(
      () => process.exit(0),
      (error: unknown) =>
        exitWith(definition.name, EXIT_FAILURE, `failed to stop: ${describeError(error)}`),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.on('SIGHUP', () => {
    logger.info('reloading', { signal: 'SIGHUP' });
    running.reload();
  });
  process.on('SIGUSR1', () => running.report());
}

/** Writes `service: message` on stderr and exits with `code`. */
export function exitWith(serviceName: string, code: number, message: string): never {
  process.stderr.write(`${serviceName}: ${message}\n`);
  process.exit(code);
}

/** The values of the command line, or undefined once `--help` was printed; a mistake exits 64. */
export function parseCommandLine(
  launcher: UnikernelLauncher,
  argv: readonly string[],
): ArgumentValues | undefined {
  const parsed = launcher.parse(argv);
  if (!parsed.ok) return exitWith(launcher.definition.name, EXIT_USAGE, parsed.error);
  if (parsed.value.kind === 'help') {
    process.stdout.write(launcher.help());
    return undefined;
  }
  return parsed.value.values;
}

/** Exits for an error thrown by `start`: 64 for an argument a device refused, else 1. */
export function exitStartFailure(serviceName: string, error: unknown): never {
  if (error instanceof DeviceArgumentError) return exitWith(serviceName, EXIT_USAGE, error.message);
  return exitWith(serviceName, EXIT_FAILURE, `failed to start: ${describeError(error)}`);
}

function describeError(error: unknown): string {
  if (isOasisError(error)) return `${error.message} (${error.code})`;
  if (error instanceof Error) return error.message;
  return String(error);
}
