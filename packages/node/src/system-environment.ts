// The environment of the `node` and `tap` targets: the host's clocks and timers, the platform's
// cryptographic random generator, and a log on stderr (text lines or JSON objects).

import {
  type Clock,
  createLogger,
  formatLogJson,
  formatLogLine,
  isLogLevel,
  LOG_LEVELS,
  type Logger,
  lineSink,
  SystemClock,
  SystemRandom,
  SystemSleep,
} from '@oasis/core';
import {
  type ArgumentValues,
  arg,
  type DeviceProviders,
  type Opened,
  type Target,
  type TargetEnvironment,
} from '@oasis/runtime';

export const SYSTEM_TARGET_ARGS = {
  logLevel: arg.string({
    doc: 'the most verbose log level written',
    default: 'info',
    choices: LOG_LEVELS,
  }),
  logFormat: arg.string({
    doc: 'log records as text lines or JSON objects, on stderr',
    default: 'text',
    choices: ['text', 'json'],
  }),
};

export async function systemEnvironment(
  serviceName: string,
  values: ArgumentValues,
): Promise<Opened<TargetEnvironment>> {
  const clock = new SystemClock();
  const logger = stderrLogger(serviceName, values, clock);
  const environment = { clock, sleep: new SystemSleep(clock), random: new SystemRandom(), logger };
  return { value: environment, close: async () => {} };
}

/** The log on stderr as `--log-level` and `--log-format` ask, stamped with `clock`'s wall time. */
export function stderrLogger(
  source: string,
  values: ArgumentValues,
  clock: Pick<Clock, 'wallMs'>,
): Logger {
  const level = String(values['logLevel']);
  const format = values['logFormat'] === 'json' ? formatLogJson : formatLogLine;
  return createLogger({
    source,
    sink: lineSink((line) => process.stderr.write(`${line}\n`), format),
    clock,
    ...(isLogLevel(level) ? { level } : {}),
  });
}

/** A target on the host's clock and log, with the given device providers. */
export function systemTarget(name: string, providers: DeviceProviders): Target {
  return { name, args: SYSTEM_TARGET_ARGS, environment: systemEnvironment, providers };
}
