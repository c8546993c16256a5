// The services on the `sim` target, run from their bundles: the simulated clients of a topology
// file talk to the service in virtual time; the exit code says whether every expectation held.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type BuiltService, buildService, ServiceProcess } from '../interop/service-process.ts';

describe('echo on the sim target', () => {
  let echo: BuiltService;
  let dir: string;
  before(async () => {
    echo = await buildService('unikernels/echo', 'sim');
    dir = mkdtempSync(join(tmpdir(), 'oasis-sim-'));
  });
  after(() => {
    echo.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  it("answers the example topology's clients, the same way every run", async () => {
    const args = ['--topology', 'unikernels/echo/topology.json', '--log-level', 'warn'];
    const first = await new ServiceProcess(echo.bundle, args).exited;
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /100\.0 ms {2}alice {2}ping 10\.0\.0\.2 → reply in [\d.]+ ms {2}ok/);
    assert.match(first.stdout, /alice {2}udp 10\.0\.0\.2:7 "hello" → "hello" in [\d.]+ ms {2}ok/);
    assert.match(
      first.stdout,
      /bob {4}udp 10\.0\.0\.2:7 "over a slow link" → "over a slow link" in 160\.0 ms {2}ok/,
    );
    assert.match(
      first.stdout,
      /^sim: 3 actions, 3 ok, 0 failed; 5000 ms of virtual time in \d+ ms$/m,
    );
    const second = await new ServiceProcess(echo.bundle, args).exited;
    const withoutWallTime = (text: string) => text.replace(/in \d+ ms$/m, '');
    assert.equal(withoutWallTime(second.stdout), withoutWallTime(first.stdout));
  });

  it('exits with 1 when a client does not get what it expects', async () => {
    const topology = JSON.parse(readFileSync('unikernels/echo/topology.json', 'utf8'));
    topology.clients[0].actions[1].udp.to = '10.0.0.2:9';
    const file = join(dir, 'wrong-port.json');
    writeFileSync(file, JSON.stringify(topology));
    const exit = await new ServiceProcess(echo.bundle, ['--topology', file, '--log-level', 'warn'])
      .exited;
    assert.equal(exit.code, 1);
    assert.match(exit.stdout, /udp 10\.0\.0\.2:9 "hello" no reply within 1000 ms {2}FAILED/);
    assert.match(exit.stdout, /^sim: 3 actions, 2 ok, 1 failed/m);
  });

  it('refuses a malformed topology with one line naming the field, exit code 64', async () => {
    const file = join(dir, 'bad.json');
    writeFileSync(
      file,
      JSON.stringify({ clients: [{ name: 'carol', network: 'net', ipv4: '10.0.0.300/24' }] }),
    );
    const exit = await new ServiceProcess(echo.bundle, ['--topology', file]).exited;
    assert.equal(exit.code, 64);
    assert.match(exit.stderr, /^echo: .*clients\[0\]\.ipv4/);
    assert.equal(exit.stderr.trim().split('\n').length, 1);
  });
});

describe('hello on the sim target', () => {
  it('logs once a second of virtual time for the default 10 s, at 0 s to 10 s', async () => {
    const hello = await buildService('unikernels/hello', 'sim');
    try {
      const exit = await new ServiceProcess(hello.bundle, []).exited;
      assert.equal(exit.code, 0, exit.stderr);
      const lines = exit.stderr
        .split('\n')
        .filter((line) => / INFO hello: hello count=\d+$/.test(line));
      assert.equal(lines.length, 11);
      assert.match(lines[10] ?? '', /^2026-01-01T00:00:10\.000Z INFO hello: hello count=11$/);
    } finally {
      hello.remove();
    }
  });
});
