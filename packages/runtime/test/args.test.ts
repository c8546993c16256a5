import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { arg, describeArgs, optionName, parseArgs } from '../src/args.ts';

const specs = {
  port: arg.port({ doc: 'the port', default: 7 }),
  name: arg.string({ doc: 'a name' }),
  mode: arg.string({ doc: 'how', default: 'fast', choices: ['fast', 'safe'] }),
  cacheSize: arg.integer({ doc: 'entries', default: 100, min: 1, max: 1000 }),
  verbose: arg.flag({ doc: 'say more' }),
  upstream: arg.list({
    doc: 'servers',
    check: (text) => (/^\d+\.\d+\.\d+\.\d+$/.test(text) ? undefined : 'expected an IPv4 address'),
  }),
  zone: arg.string({ doc: 'a zone file', required: true }),
};

function values(argv: readonly string[]) {
  const parsed = parseArgs(specs, argv);
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
  assert.equal(parsed.value.kind, 'values');
  return parsed.value.kind === 'values' ? parsed.value.values : undefined;
}

function error(argv: readonly string[]): string {
  const parsed = parseArgs(specs, argv);
  assert.equal(parsed.ok, false);
  return parsed.ok ? '' : parsed.error;
}

describe('parseArgs', () => {
  it('fills defaults, reads both forms, repeats lists in order', () => {
    assert.deepEqual(
      values([
        '--zone',
        'a.zone',
        '--cache-size=5',
        '--verbose',
        '--upstream',
        '10.0.0.1',
        '--upstream=10.0.0.2',
      ]),
      {
        port: 7,
        name: undefined,
        mode: 'fast',
        cacheSize: 5,
        verbose: true,
        upstream: ['10.0.0.1', '10.0.0.2'],
        zone: 'a.zone',
      },
    );
    assert.equal(values(['--zone', 'z', '--verbose=false'])?.verbose, false);
  });

  it('asks for help wherever --help or -h appears', () => {
    assert.deepEqual(parseArgs(specs, ['--port', 'x', '-h']), {
      ok: true,
      value: { kind: 'help' },
    });
  });

  for (const [argv, message] of [
    [['--zone', 'z', '--port', '70000'], "--port: expected an integer in 0-65535, got '70000'"],
    [['--zone', 'z', '--port', '1e3'], "--port: expected an integer in 0-65535, got '1e3'"],
    [['--zone', 'z', '--mode', 'slow'], "--mode: expected one of fast, safe, got 'slow'"],
    [
      ['--zone', 'z', '--upstream', 'dns.example'],
      "--upstream: expected an IPv4 address, got 'dns.example'",
    ],
    [['--zone', 'z', '--verbose=yes'], '--verbose is a switch: true or false'],
    [['--zone', 'z', '--zone', 'y'], '--zone given more than once'],
    [['--zone'], '--zone needs a value'],
    [['zone'], "unexpected argument 'zone' (options start with --)"],
    [['--zone', 'z', '--cache'], 'unknown option --cache (see --help)'],
    [[], '--zone is required'],
  ] as const) {
    it(`refuses ${JSON.stringify(argv)}`, () => {
      assert.equal(error(argv), message);
    });
  }
});

describe('describeArgs', () => {
  it('aligns one line per option with its notes', () => {
    assert.equal(optionName('cacheSize'), '--cache-size');
    assert.deepEqual(
      describeArgs({
        port: specs.port,
        verbose: specs.verbose,
        upstream: specs.upstream,
        zone: specs.zone,
      }),
      [
        '  --port PORT       the port (default: 7)',
        '  --verbose         say more',
        '  --upstream VALUE  servers (repeatable)',
        '  --zone VALUE      a zone file (required)',
      ],
    );
  });
});
