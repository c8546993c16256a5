// The key-value stores: the shared KvRw contract against MemoryKv and HostDirectoryKv, then what
// is particular to each: MemoryKv's dates under a manual clock and embedded trees, and
// HostDirectoryKv's confinement to its directory and its files on disk.

import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ManualClock, SystemClock } from '@oasis/core';
import { decodeBase64, type EmbeddedTree, MemoryKv } from '@oasis/runtime';
import { HostDirectoryKv } from '../src/host-directory-kv.ts';
import { assertReadOnly, bytes, kvContract, rejectsWith, text } from './kv-contract.ts';

async function temporaryDirectory(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'oasis-kv-'));
}

kvContract('MemoryKv', async () => ({
  kv: new MemoryKv({ clock: new SystemClock() }),
  cleanup: async () => {},
}));

kvContract('HostDirectoryKv', async () => {
  const directory = await temporaryDirectory();
  return {
    kv: await HostDirectoryKv.open(directory),
    cleanup: () => rm(directory, { recursive: true, force: true }),
  };
});

/** Base64 of `values` as a build step writes it, with the platform's `btoa`. */
function base64Of(values: readonly number[]): string {
  return btoa(String.fromCharCode(...values));
}

describe('MemoryKv', () => {
  it('dates values by the clock and dictionaries by the latest change inside', async () => {
    const clock = new ManualClock({ wallStartMs: 1_000 });
    const kv = new MemoryKv({ clock });
    assert.equal(await kv.lastModifiedMs(''), 1_000);
    clock.advance(10);
    await kv.set('a/b/v', bytes('v'));
    clock.advance(10);
    await kv.set('a/w', bytes('w'));
    assert.equal(await kv.lastModifiedMs('a/b/v'), 1_010);
    assert.equal(await kv.lastModifiedMs('a/b'), 1_010);
    assert.equal(await kv.lastModifiedMs('a/w'), 1_020);
    assert.equal(await kv.lastModifiedMs('a'), 1_020);
    clock.advance(10);
    await kv.set('a/b/x', bytes('x'));
    await kv.remove('a/b/x');
    assert.equal(await kv.lastModifiedMs('a/b'), 1_030, 'a removal is a change');
    assert.equal(await kv.lastModifiedMs(''), 1_030);
    clock.advance(10);
    await kv.rename('a/b/v', 'c/v');
    assert.equal(await kv.lastModifiedMs('c/v'), 1_010, 'a moved value keeps its date');
    assert.equal(await kv.lastModifiedMs('a'), 1_040);
    clock.advance(10);
    await kv.rename('c/v', 'c/v2');
    assert.equal(await kv.lastModifiedMs('c'), 1_050, 'a rename inside is a change');
  });

  it('refuses writes when read-only', async () => {
    const kv = MemoryKv.fromTree(
      { files: [{ key: 'v', base64: base64Of([1]), modifiedMs: 5 }] },
      { clock: new SystemClock() },
    );
    await assertReadOnly(kv, 'v');
    await rejectsWith(
      new MemoryKv({ clock: new SystemClock(), readOnly: true }).set('k', bytes('')),
      'EPERM',
    );
  });

  it('serves an embedded tree, byte for byte and dated as built', async () => {
    const all = Array.from({ length: 256 }, (_, index) => index);
    const tree: EmbeddedTree = {
      files: [
        { key: 'index.html', base64: btoa('<h1>hi</h1>'), modifiedMs: 1_700_000_000_000 },
        { key: 'css/site.css', base64: btoa('h1{}'), modifiedMs: 1_700_000_000_500 },
        { key: 'bin/edges', base64: base64Of([0x00, 0x01, 0x7f, 0x80, 0xff]), modifiedMs: 1 },
        { key: 'bin/all', base64: base64Of(all), modifiedMs: 2 },
        { key: 'bin/empty', base64: '', modifiedMs: 3 },
      ],
    };
    const kv = MemoryKv.fromTree(tree, { clock: new ManualClock({ wallStartMs: 9e12 }) });
    assert.equal(await text(kv, 'index.html'), '<h1>hi</h1>');
    assert.deepEqual(await kv.get('bin/edges'), new Uint8Array([0x00, 0x01, 0x7f, 0x80, 0xff]));
    assert.deepEqual(await kv.get('bin/all'), new Uint8Array(all));
    assert.equal(await kv.size('bin/empty'), 0);
    assert.deepEqual(await kv.list(''), [
      { name: 'bin', kind: 'dictionary' },
      { name: 'css', kind: 'dictionary' },
      { name: 'index.html', kind: 'value' },
    ]);
    assert.equal(await kv.lastModifiedMs('css/site.css'), 1_700_000_000_500);
    assert.equal(await kv.lastModifiedMs('bin'), 3);
    assert.equal(await kv.lastModifiedMs(''), 1_700_000_000_500, 'the root: the latest file');
    await assertReadOnly(kv, 'index.html');
  });

  it('makes an embedded tree writable on request', async () => {
    const tree = { files: [{ key: 'a', base64: btoa('a'), modifiedMs: 1 }] };
    const kv = MemoryKv.fromTree(tree, { clock: new SystemClock(), readOnly: false });
    await kv.set('a', bytes('b'));
    assert.equal(await text(kv, 'a'), 'b');
  });

  it('refuses an embedded tree with a bad or conflicting key', () => {
    const clock = new SystemClock();
    const file = (key: string) => ({ key, base64: '', modifiedMs: 0 });
    for (const files of [
      [file('/abs')],
      [file('a'), file('a')],
      [file('a'), file('a/b')],
      [file('a/b'), file('a')],
    ]) {
      assert.throws(() => MemoryKv.fromTree({ files }, { clock }), { code: 'EINVAL' });
    }
  });

  it('decodes base64 of every byte value', () => {
    const all = Array.from({ length: 256 }, (_, index) => 255 - index);
    for (let length = 0; length <= 4; length++) {
      // Every padding case: lengths 0..4 cover '', '==', '=' and none.
      assert.deepEqual(
        decodeBase64(base64Of(all.slice(0, length))),
        new Uint8Array(all.slice(0, length)),
      );
    }
    assert.deepEqual(decodeBase64(base64Of(all)), new Uint8Array(all));
  });
});

describe('HostDirectoryKv', () => {
  let base: string;
  let root: string;
  let outside: string;

  before(async () => {
    base = await temporaryDirectory();
    root = join(base, 'root');
    outside = join(base, 'outside');
    await mkdir(join(root, 'real'), { recursive: true });
    await mkdir(outside);
    await writeFile(join(outside, 'secret'), 'secret');
    await writeFile(join(root, 'real', 'x'), 'x');
    await symlink(outside, join(root, 'escape'));
    await symlink(join(outside, 'secret'), join(root, 'escape-file'));
    await symlink('../../outside', join(root, 'real', 'up'));
    await symlink('real', join(root, 'alias'));
    await symlink('.', join(root, 'real', 'loop'));
  });
  after(() => rm(base, { recursive: true, force: true }));

  it('refuses a missing directory and a file', async () => {
    await rejectsWith(HostDirectoryKv.open(join(base, 'missing')), 'ENOENT');
    await rejectsWith(HostDirectoryKv.open(join(outside, 'secret')), 'EINVAL', 'not a directory');
  });

  it('keeps every key inside its directory, links included', async () => {
    const kv = await HostDirectoryKv.open(root);
    for (const key of ['escape', 'escape/secret', 'escape-file', 'real/up/secret', 'alias/up']) {
      await rejectsWith(kv.get(key), 'EINVAL', key);
      await rejectsWith(kv.exists(key), 'EINVAL', key);
      await rejectsWith(kv.set(key, bytes('overwritten')), 'EINVAL', key);
    }
    await rejectsWith(kv.set('escape/planted', bytes('p')), 'EINVAL');
    await rejectsWith(kv.rename('real/x', 'escape/x'), 'EINVAL');
    await rejectsWith(kv.list('escape'), 'EINVAL');
    assert.deepEqual(await readdir(outside), ['secret']);
    assert.equal(await readFile(join(outside, 'secret'), 'utf8'), 'secret');
    assert.equal(await text(kv, 'real/x'), 'x');
  });

  it('follows links that stay inside, and lists only those', async () => {
    const kv = await HostDirectoryKv.open(join(root));
    assert.equal(await text(kv, 'alias/x'), 'x');
    assert.deepEqual(await kv.list(''), [
      { name: 'alias', kind: 'dictionary' },
      { name: 'real', kind: 'dictionary' },
    ]);
    assert.deepEqual(await kv.list('real'), [
      { name: 'loop', kind: 'dictionary' },
      { name: 'x', kind: 'value' },
    ]);
    // The loop is listed but not walked forever.
    assert.match(await kv.digest(''), /^[0-9a-f]{64}$/);
    assert.ok(Number.isFinite(await kv.lastModifiedMs('')));
  });

  it('writes plain files, leaving no temporary file behind', async () => {
    const directory = await temporaryDirectory();
    try {
      const kv = await HostDirectoryKv.open(directory);
      await kv.set('a/b/c.txt', bytes('content'));
      await kv.set('a/b/c.txt', bytes('replaced'));
      assert.equal(await readFile(join(directory, 'a', 'b', 'c.txt'), 'utf8'), 'replaced');
      assert.deepEqual(await readdir(join(directory, 'a', 'b')), ['c.txt']);
      await rejectsWith(kv.set('.oasis-tmp-x', bytes('')), 'EINVAL', 'reserved');
      await writeFile(join(directory, '.oasis-tmp-left-by-a-crash'), 'partial');
      assert.deepEqual(await kv.list(''), [{ name: 'a', kind: 'dictionary' }]);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it('refuses writes when read-only', async () => {
    const kv = await HostDirectoryKv.open(root, { readOnly: true });
    await assertReadOnly(kv, 'real/x');
  });
});
