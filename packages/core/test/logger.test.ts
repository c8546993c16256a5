// The structured logger: level threshold, child sources, and the line and JSON formats.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OasisError } from '../src/errors.ts';
import {
  createLogger,
  formatLogJson,
  formatLogLine,
  isLogLevel,
  LOG_LEVELS,
  type LogLevel,
  type LogRecord,
  lineSink,
  MemorySink,
} from '../src/logger.ts';
import { ManualClock } from '../src/manual-clock.ts';

const WALL_START_MS = Date.UTC(2026, 0, 2, 3, 4, 5, 678);

function setup(level?: LogLevel) {
  const sink = new MemorySink();
  const clock = new ManualClock({ wallStartMs: WALL_START_MS });
  const options = { source: 'net', sink, clock };
  const logger = createLogger(level === undefined ? options : { ...options, level });
  return { sink, clock, logger };
}

function record(fields?: LogRecord['fields']): LogRecord {
  return { wallMs: WALL_START_MS, level: 'info', source: 'net.tcp', message: 'listening', fields };
}

describe('createLogger', () => {
  it('writes records at or above its level (default info) and reports enabled levels', () => {
    const expected: Readonly<Record<LogLevel, readonly LogLevel[]>> = {
      error: ['error'],
      warn: ['error', 'warn'],
      info: ['error', 'warn', 'info'],
      debug: ['error', 'warn', 'info', 'debug'],
      trace: LOG_LEVELS,
    };
    for (const level of [undefined, ...LOG_LEVELS]) {
      const { sink, logger } = setup(level);
      for (const each of LOG_LEVELS) logger[each](`a ${each} line`);
      const written = expected[level ?? 'info'];
      assert.deepEqual(
        sink.records.map((r) => r.level),
        written,
      );
      for (const each of LOG_LEVELS) assert.equal(logger.enabled(each), written.includes(each));
    }
  });

  it('stamps records with the clock, source, message and fields', () => {
    const { sink, clock, logger } = setup();
    logger.info('up');
    clock.advance(1500);
    logger.warn('slow', { rttMs: 1200 });
    assert.deepEqual(sink.records, [
      { wallMs: WALL_START_MS, level: 'info', source: 'net', message: 'up', fields: undefined },
      {
        wallMs: WALL_START_MS + 1500,
        level: 'warn',
        source: 'net',
        message: 'slow',
        fields: { rttMs: 1200 },
      },
    ]);
  });

  it('child loggers share the sink and level and name their source parent.child', () => {
    const { sink, logger } = setup('warn');
    const rto = logger.child('tcp').child('rto');
    rto.info('dropped: below the level');
    rto.warn('backing off');
    assert.deepEqual(
      sink.records.map((r) => `${r.source} ${r.message}`),
      ['net.tcp.rto backing off'],
    );
    const root = createLogger({ source: '', sink, clock: new ManualClock() });
    root.child('dns').error('no upstream');
    assert.equal(sink.records.at(-1)?.source, 'dns');
  });
});

describe('formatLogLine', () => {
  it('writes time, level, source and message', () => {
    assert.equal(formatLogLine(record()), '2026-01-02T03:04:05.678Z INFO net.tcp: listening');
  });

  it('appends fields as key=value, quoting what would not read back as one word', () => {
    const line = formatLogLine(
      record({
        port: 80,
        host: 'example.org',
        note: 'two words',
        empty: '',
        ok: true,
        missing: undefined,
        none: null,
        big: 2n ** 64n,
        error: new OasisError('ECONNRESET', 'reset by peer'),
        peer: { address: '192.0.2.1', seq: 1n },
        payload: new Uint8Array(3),
      }),
    );
    assert.equal(
      line,
      '2026-01-02T03:04:05.678Z INFO net.tcp: listening port=80 host=example.org' +
        ' note="two words" empty="" ok=true missing=undefined none=null big=18446744073709551616' +
        ' error="reset by peer" peer={"address":"192.0.2.1","seq":"1"} payload="3 bytes"',
    );
  });
});

describe('formatLogJson', () => {
  it('writes one JSON object with the fields beside time, level, source and message', () => {
    assert.deepEqual(JSON.parse(formatLogJson(record())), {
      time: '2026-01-02T03:04:05.678Z',
      level: 'info',
      source: 'net.tcp',
      message: 'listening',
    });
    const json = formatLogJson(
      record({
        port: 80,
        big: 2n ** 64n,
        error: new OasisError('ECONNRESET', 'reset by peer'),
        nested: { frame: new Uint8Array(60), ids: [1n, 2n] },
      }),
    );
    assert.deepEqual(JSON.parse(json), {
      time: '2026-01-02T03:04:05.678Z',
      level: 'info',
      source: 'net.tcp',
      message: 'listening',
      port: 80,
      big: '18446744073709551616',
      error: { error: 'OasisError', message: 'reset by peer' },
      nested: { frame: '60 bytes', ids: ['1', '2'] },
    });
    assert.ok(!json.includes('\n'));
  });
});

describe('sinks and levels', () => {
  it('lineSink formats each record and hands the line on', () => {
    const lines: string[] = [];
    const logger = createLogger({
      source: 'dhcp',
      sink: lineSink((line) => lines.push(line), formatLogJson),
      clock: new ManualClock(),
    });
    logger.error('no lease');
    assert.deepEqual(
      lines.map((line) => JSON.parse(line)),
      [{ time: '1970-01-01T00:00:00.000Z', level: 'error', source: 'dhcp', message: 'no lease' }],
    );
    const plain: string[] = [];
    lineSink((line) => plain.push(line)).write(record());
    assert.deepEqual(plain, [formatLogLine(record())]);
  });

  it('isLogLevel accepts exactly the level names', () => {
    for (const level of LOG_LEVELS) assert.ok(isLogLevel(level));
    for (const other of ['INFO', 'warning', 'fatal', '']) assert.ok(!isLogLevel(other));
  });
});
