// The `oasis` command as a user runs it: list, build (size report), run (rebuilding only when
// something changed, passing the service's options through), and its usage errors (exit 64).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

const OASIS = 'packages/cli/bin/oasis.mjs';

function oasis(args: readonly string[]) {
  const result = spawnSync(process.execPath, [OASIS, ...args], { encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('oasis', () => {
  let dir: string;
  let service: string;
  before(() => {
    // Inside the repository's ignored tmp/, so that the copy below resolves @oasis/* packages.
    mkdirSync('tmp', { recursive: true });
    dir = mkdtempSync(join('tmp', 'oasis-cli-'));
    // A copy of hello, so that touching its source does not touch the service itself.
    service = join(dir, 'hello');
    cpSync('unikernels/hello', service, {
      recursive: true,
      filter: (path) => !path.includes('dist'),
    });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('lists the services with their docs', () => {
    const { code, stdout } = oasis(['list']);
    assert.equal(code, 0);
    assert.match(stdout, /^unikernels\/echo +TCP and UDP echo \(RFC 862\)$/m);
    assert.match(stdout, /^unikernels\/hello +the smallest service: logs a line a second$/m);
    assert.match(stdout, /^unikernels\/static-site +an HTTP\/1\.1 server for a file tree$/m);
  });

  it('builds a bundle with a source map and reports its size by package', () => {
    const out = join(dir, 'echo.mjs');
    const { code, stderr } = oasis(['build', 'unikernels/echo', '--target', 'tap', '--out', out]);
    assert.equal(code, 0, stderr);
    assert.match(stderr, /echo\.mjs: [\d.]+ KiB \(minified, tree-shaken, \d+ source files/);
    assert.match(stderr, /^ +[\d.]+ KiB {2}@oasis\/net$/m);
    assert.ok(existsSync(`${out}.map`));
    assert.ok(existsSync(join(dir, 'oasis_tap.node')), 'the TAP addon beside a tap bundle');
  });

  it('runs a service, rebuilding only when a source changed', () => {
    const run = () => oasis(['run', service, '--target', 'node', '--', '--help']);
    const first = run();
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /building .*hello for node \(not built yet\)/);
    assert.match(first.stdout, /^hello: the smallest service/);
    const second = run();
    assert.equal(second.code, 0);
    assert.doesNotMatch(second.stderr, /building/);
    const later = new Date(Date.now() + 5000);
    utimesSync(join(service, 'unikernel.ts'), later, later);
    const third = run();
    assert.match(third.stderr, /building .*hello for node \(.*unikernel\.ts changed\)/);
  });

  it("passes the service's exit code through", () => {
    const { code, stderr } = oasis(['run', service, '--target', 'node', '--', '--no-such-option']);
    assert.equal(code, 64);
    assert.match(stderr, /hello: unknown option --no-such-option/);
  });

  for (const [args, message] of [
    [[], 'oasis: a command is needed: build, run or list (see oasis --help)'],
    [['frobnicate'], "oasis: unknown command 'frobnicate' (see oasis --help)"],
    [['build'], 'oasis: a service directory is needed first, such as unikernels/echo'],
    [
      ['build', 'unikernels/echo', '--target', 'vax'],
      "oasis: --target: expected one of node, tap, sim, got 'vax'",
    ],
    [['build', 'unikernels/echo', '--fast'], 'oasis: unknown option --fast (see oasis --help)'],
    [
      ['build', 'unikernels/echo', '--embed', 'root'],
      "oasis: --embed: expected NAME=DIR, got 'root'",
    ],
    [
      ['build', 'unikernels/echo', '--embed', 'root=docs'],
      'oasis: --embed root=...: echo has no read-only tree named root',
    ],
    [
      ['build', 'unikernels/nothing-here'],
      'oasis: unikernels/nothing-here: no unikernel.ts (is it a service directory?)',
    ],
  ] as const) {
    it(`refuses \`oasis ${args.join(' ')}\` with one line, exit 64`, () => {
      const { code, stderr } = oasis(args);
      assert.equal(code, 64);
      assert.equal(stderr, `${message}\n`);
    });
  }
});
