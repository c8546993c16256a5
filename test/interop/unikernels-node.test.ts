// The services on the `node` target, run from their bundles as a user runs them, with curl, nc
// and kernel sockets as clients on loopback. Also the runtime's behaviour around a service: --help,
// argument errors (exit 64, one line), a failing start (exit 1), a clean stop on SIGTERM, and
// tree-shaking (the hello bundle has no network code).

import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type BuiltService, buildService, ServiceProcess } from './service-process.ts';
import { run, skipUnless } from './tools.ts';

describe('hello on the node target', () => {
  let hello: BuiltService;
  before(async () => {
    hello = await buildService('unikernels/hello', 'node');
  });
  after(() => hello.remove());

  it('carries no network code: tree-shaking drops what it did not declare', () => {
    const sources = hello.report.inputs.join('\n');
    assert.doesNotMatch(sources, /packages\/net\/|host-tcp|host-udp|host-stack|tap-/);
    const text = readFileSync(hello.bundle, 'utf8');
    assert.doesNotMatch(text, /"node:net"|"node:dgram"/);
  });

  it('logs its lines until SIGTERM, then stops cleanly with exit code 0', async () => {
    const service = new ServiceProcess(hello.bundle, [
      '--message',
      'hi there',
      '--interval-ms',
      '5',
    ]);
    await service.waitForLog(/hi there count=3/);
    const exit = await service.stop('SIGTERM');
    assert.equal(exit.code, 0, exit.stderr);
    assert.match(exit.stderr, /INFO hello: stopping signal=SIGTERM/);
  });

  it('prints --help with the service and target options and their defaults', () => {
    const help = run(process.execPath, [hello.bundle, '--help']);
    assert.match(help, /^hello: the smallest service: logs a line a second/);
    assert.match(help, /--message VALUE\s+what to log \(default: hello\)/);
    assert.match(help, /--interval-ms N\s+milliseconds between lines \(default: 1000\)/);
    assert.match(help, /Target node:\n.*--log-level error\|warn\|info\|debug\|trace/);
  });

  for (const [args, message] of [
    [
      ['--interval-ms', 'soon'],
      "hello: --interval-ms: expected an integer in 1-9007199254740991, got 'soon'",
    ],
    [['--colour', 'blue'], 'hello: unknown option --colour (see --help)'],
    [['--message'], 'hello: --message needs a value'],
    [
      ['--log-level', 'loud'],
      "hello: --log-level: expected one of error, warn, info, debug, trace, got 'loud'",
    ],
  ] as const) {
    it(`refuses ${args.join(' ')} with one line and exit code 64`, async () => {
      const exit = await new ServiceProcess(hello.bundle, args).exited;
      assert.equal(exit.code, 64);
      assert.equal(exit.stderr, `${message}\n`);
    });
  }
});

describe('a service that fails at start', () => {
  it('exits with code 1 and its error', async () => {
    const built = await buildService('test/interop/fixtures/failing-service', 'node');
    try {
      const exit = await new ServiceProcess(built.bundle, []).exited;
      assert.equal(exit.code, 1);
      assert.equal(
        exit.stderr,
        'failing: failed to start: the port is taken, as this test wants (EADDRINUSE)\n',
      );
    } finally {
      built.remove();
    }
  });
});

describe('echo on the node target', {
  skip: skipUnless('nc', 'apt-get install netcat-openbsd'),
}, () => {
  let echo: BuiltService;
  let service: ServiceProcess;
  let tcpPort: number;
  let udpPort: number;
  before(async () => {
    echo = await buildService('unikernels/echo', 'node');
    service = new ServiceProcess(echo.bundle, ['--port', '0']);
    const match = await service.waitForLog(/echoing udpPort=(\d+) tcpPort=(\d+)/);
    udpPort = Number(match[1]);
    tcpPort = Number(match[2]);
  });
  after(async () => {
    await service.stop();
    echo.remove();
  });

  it('echoes a TCP stream until the client closes its side (nc -N)', () => {
    const lines = Array.from({ length: 2000 }, (_, i) => `line ${i} of the echo test`).join('\n');
    const dir = mkdtempSync(join(tmpdir(), 'oasis-echo-'));
    try {
      const input = join(dir, 'input.txt');
      writeFileSync(input, lines);
      const output = run('sh', ['-c', `nc -N 127.0.0.1 ${tcpPort} < ${input}`]);
      assert.equal(output, lines);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('echoes UDP datagrams to their sender', async () => {
    // A kernel UDP socket as the client: the reply is awaited, not waited for with a timeout.
    const client = createSocket('udp4');
    try {
      const reply = new Promise<Buffer>((resolve) => client.once('message', resolve));
      client.send('ping over udp', udpPort, '127.0.0.1');
      assert.equal((await reply).toString(), 'ping over udp');
    } finally {
      client.close();
    }
  });
});

describe('static-site on the node target', {
  skip: skipUnless('curl', 'apt-get install curl'),
}, () => {
  let site: BuiltService;
  let tree: string;
  const big = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 7 + (i >> 9)) & 0xff);

  before(async () => {
    tree = mkdtempSync(join(tmpdir(), 'oasis-site-'));
    writeFileSync(join(tree, 'index.html'), '<h1>home</h1>\n');
    mkdirSync(join(tree, 'docs'));
    writeFileSync(join(tree, 'docs', 'index.html'), '<h1>docs</h1>\n');
    writeFileSync(join(tree, 'docs', 'notes.txt'), 'plain notes\n');
    writeFileSync(join(tree, 'big.bin'), big);
    site = await buildService('unikernels/static-site', 'node', { root: tree });
  });
  after(() => {
    site.remove();
    rmSync(tree, { recursive: true, force: true });
  });

  async function serve(args: readonly string[]): Promise<{ service: ServiceProcess; url: string }> {
    const service = new ServiceProcess(site.bundle, ['--port', '0', ...args]);
    const match = await service.waitForLog(/serving port=(\d+)/);
    return { service, url: `http://127.0.0.1:${match[1]}` };
  }

  const curl = (args: readonly string[]): string =>
    run('curl', ['--silent', '--show-error', ...args]);
  /** The status line and headers only: the body goes to /dev/null. */
  const head = (args: readonly string[]): string =>
    curl(['--dump-header', '-', '--output', '/dev/null', ...args]);

  it('serves the embedded tree: index, types, 404, redirect, HEAD, keep-alive', async () => {
    const { service, url } = await serve([]);
    try {
      assert.equal(curl([`${url}/`]), '<h1>home</h1>\n');
      assert.equal(curl([`${url}/docs/`]), '<h1>docs</h1>\n');
      const head = curl(['--head', `${url}/docs/notes.txt`]);
      assert.match(head, /^HTTP\/1\.1 200 OK/);
      assert.match(head, /content-type: text\/plain; charset=utf-8/i);
      assert.match(head, /content-length: 12/i);
      assert.match(curl(['--include', `${url}/docs`]), /^HTTP\/1\.1 301[\s\S]*location: \/docs\//i);
      assert.match(curl(['--include', `${url}/missing`]), /^HTTP\/1\.1 404/);
      assert.match(
        curl(['--include', '--request', 'POST', `${url}/`]),
        /^HTTP\/1\.1 405[\s\S]*allow: GET, HEAD/i,
      );
      // Two URLs in one curl run share the connection when the server keeps it alive.
      const verbose = run('sh', [
        '-c',
        `curl --silent --verbose ${url}/ ${url}/docs/notes.txt 2>&1`,
      ]);
      assert.match(verbose, /Re-using existing connection/);
      assert.match(verbose, /plain notes/);
    } finally {
      assert.equal((await service.stop()).code, 0);
    }
  });

  it('answers ranges and conditional requests', async () => {
    const { service, url } = await serve([]);
    try {
      const headers = curl(['--head', `${url}/big.bin`]);
      const etag = /etag: ("[0-9a-f]+")/i.exec(headers)?.[1];
      assert.ok(etag !== undefined, headers);
      const partial = run('sh', [
        '-c',
        `curl --silent --range 1000-1009 ${url}/big.bin | od -An -v -tx1`,
      ]);
      assert.equal(
        partial.replace(/\s/g, ''),
        Buffer.from(big.subarray(1000, 1010)).toString('hex'),
      );
      assert.match(
        head(['--range', '1000-1009', `${url}/big.bin`]),
        /^HTTP\/1\.1 206[\s\S]*content-range: bytes 1000-1009\/300000/i,
      );
      const tail = head(['--range', '299990-', `${url}/big.bin`]);
      assert.match(tail, /content-range: bytes 299990-299999\/300000/i);
      assert.match(tail, /content-length: 10\r\n/i);
      assert.match(
        head(['--range', '-5', `${url}/big.bin`]),
        /content-range: bytes 299995-299999\/300000/i,
      );
      assert.match(
        head(['--range', '400000-', `${url}/big.bin`]),
        /^HTTP\/1\.1 416[\s\S]*content-range: bytes \*\/300000/i,
      );
      assert.match(
        head(['--header', `If-None-Match: ${etag}`, `${url}/big.bin`]),
        /^HTTP\/1\.1 304/,
      );
      assert.match(
        head(['--header', 'If-None-Match: "other"', `${url}/big.bin`]),
        /^HTTP\/1\.1 200/,
      );
      const body = run('sh', ['-c', `curl --silent ${url}/big.bin | sha256sum`]);
      const expected = run('sh', ['-c', `sha256sum < ${join(tree, 'big.bin')}`]);
      assert.equal(body, expected);
    } finally {
      await service.stop();
    }
  });

  it('serves a host directory given with --root instead of the embedded tree', async () => {
    const other = mkdtempSync(join(tmpdir(), 'oasis-site-'));
    writeFileSync(join(other, 'index.html'), 'from the host directory\n');
    const { service, url } = await serve(['--root', other]);
    try {
      assert.equal(curl([`${url}/`]), 'from the host directory\n');
    } finally {
      await service.stop();
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('refuses a --root that does not exist with exit code 64', async () => {
    const exit = await new ServiceProcess(site.bundle, ['--root', '/nonexistent/oasis']).exited;
    assert.equal(exit.code, 64);
    assert.match(exit.stderr, /^static-site: device root: .*nonexistent/);
    assert.equal(exit.stderr.split('\n').length, 2);
  });
});
