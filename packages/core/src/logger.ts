// A small structured logger. A record is a level, a source (the component that speaks), a
// message and optional fields; sinks decide how records are written. Levels below the logger's
// threshold cost one comparison, so hot paths may keep their debug lines.

import type { Clock } from './time.ts';

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug', 'trace'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type LogFields = Readonly<Record<string, unknown>>;

export interface LogRecord {
  /** Wall-clock time, ms since the Unix epoch. */
  readonly wallMs: number;
  readonly level: LogLevel;
  readonly source: string;
  readonly message: string;
  readonly fields: LogFields | undefined;
}

export interface LogSink {
  write(record: LogRecord): void;
}

export interface Logger {
  error(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  debug(message: string, fields?: LogFields): void;
  trace(message: string, fields?: LogFields): void;
  /** Whether records of `level` are written, to skip building expensive fields. */
  enabled(level: LogLevel): boolean;
  /** A logger for a sub-component: same sink and level, source `parent.name`. */
  child(name: string): Logger;
}

export interface LoggerOptions {
  readonly source: string;
  readonly sink: LogSink;
  readonly clock: Pick<Clock, 'wallMs'>;
  /** The most verbose level written (default 'info'). */
  readonly level?: LogLevel;
}

const SEVERITY: Readonly<Record<LogLevel, number>> = {
  error: 0,
  warn: 1,
  info: 2,
  debug: 3,
  trace: 4,
};

export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

export function createLogger(options: LoggerOptions): Logger {
  const threshold = SEVERITY[options.level ?? 'info'];
  const { sink, clock, source } = options;
  const at =
    (level: LogLevel) =>
    (message: string, fields?: LogFields): void => {
      if (SEVERITY[level] > threshold) return;
      sink.write({ wallMs: clock.wallMs(), level, source, message, fields });
    };
  return {
    error: at('error'),
    warn: at('warn'),
    info: at('info'),
    debug: at('debug'),
    trace: at('trace'),
    enabled: (level) => SEVERITY[level] <= threshold,
    child: (name) =>
      createLogger({ ...options, source: source === '' ? name : `${source}.${name}` }),
  };
}

/** One line per record: `2026-01-02T03:04:05.678Z INFO source: message key=value ...`. */
export function formatLogLine(record: LogRecord): string {
  let line = `${new Date(record.wallMs).toISOString()} ${record.level.toUpperCase()} ${record.source}: ${record.message}`;
  if (record.fields !== undefined) {
    for (const [key, value] of Object.entries(record.fields))
      line += ` ${key}=${formatField(value)}`;
  }
  return line;
}

function formatField(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  if (value instanceof Error) return JSON.stringify(value.message);
  if (typeof value === 'object' && value !== null) return JSON.stringify(value, jsonSafe);
  return String(value);
}

/** A JSON object per record, for log collectors. */
export function formatLogJson(record: LogRecord): string {
  const { wallMs, level, source, message, fields } = record;
  return JSON.stringify(
    { time: new Date(wallMs).toISOString(), level, source, message, ...fields },
    jsonSafe,
  );
}

function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) return { error: value.name, message: value.message };
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  return value;
}

/** Writes each record as a line through `write` (for example `console.error`). */
export function lineSink(
  write: (line: string) => void,
  format: (record: LogRecord) => string = formatLogLine,
): LogSink {
  return { write: (record) => write(format(record)) };
}

/** Keeps records in memory, for tests that assert on what was logged. */
export class MemorySink implements LogSink {
  readonly records: LogRecord[] = [];

  write(record: LogRecord): void {
    this.records.push(record);
  }
}
