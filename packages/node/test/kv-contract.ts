// The KvRw contract, as tests any implementation must pass: kv.test.ts runs them against
// MemoryKv and HostDirectoryKv, so both accept, refuse, order and date entries the same way.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isOasisError } from '@oasis/core';
import type { KvRo, KvRw } from '@oasis/runtime';

export interface KvFixture {
  readonly kv: KvRw;
  cleanup(): Promise<void>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

export async function text(kv: KvRo, key: string): Promise<string> {
  return decoder.decode(await kv.get(key));
}

/** Asserts that `promise` rejects with an OasisError of `code` whose message mentions `mention`. */
export async function rejectsWith(
  promise: Promise<unknown>,
  code: string,
  mention?: string,
): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isOasisError(error), `expected an OasisError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (mention !== undefined) assert.ok(error.message.includes(mention), error.message);
    return true;
  });
}

/** Every write of a read-only store rejects with EPERM and changes nothing. */
export async function assertReadOnly(kv: KvRw, existingKey: string): Promise<void> {
  const before = await kv.digest('');
  await rejectsWith(kv.set(existingKey, bytes('changed')), 'EPERM');
  await rejectsWith(kv.set('new-key', bytes('new')), 'EPERM');
  await rejectsWith(kv.remove(existingKey), 'EPERM');
  await rejectsWith(kv.rename(existingKey, 'moved'), 'EPERM');
  assert.equal(await kv.digest(''), before);
  assert.equal(await kv.exists(existingKey), 'value');
}

// SHA-256 test vectors (FIPS 180-2, appendix B.1; and of the empty message).
const SHA256_ABC = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
const SHA256_EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

const BAD_KEYS = ['/a', 'a/', 'a//b', '.', '..', 'a/./b', 'a/../b', '../a', 'a\0b'];

export function kvContract(name: string, open: () => Promise<KvFixture>): void {
  describe(`KvRw contract: ${name}`, () => {
    let fixture: KvFixture;
    let kv: KvRw;
    // Each test works under its own top-level dictionary of one shared store.
    let next = 0;
    const scope = (): string => `t${next++}`;

    before(async () => {
      fixture = await open();
      kv = fixture.kv;
    });
    after(() => fixture.cleanup());

    it('stores, reads, sizes and overwrites values', async () => {
      const s = scope();
      await kv.set(`${s}/greeting`, bytes('hello'));
      assert.equal(await text(kv, `${s}/greeting`), 'hello');
      assert.equal(await kv.size(`${s}/greeting`), 5);
      await kv.set(`${s}/greeting`, bytes('hi'));
      assert.equal(await text(kv, `${s}/greeting`), 'hi');
      assert.equal(await kv.size(`${s}/greeting`), 2);
      await kv.set(`${s}/empty`, new Uint8Array(0));
      assert.deepEqual(await kv.get(`${s}/empty`), new Uint8Array(0));
    });

    it('copies values in and out', async () => {
      const s = scope();
      const value = bytes('abc');
      const stored = kv.set(`${s}/v`, value);
      value.fill(0); // the caller reuses its buffer before the write resolved
      await stored;
      const got = await kv.get(`${s}/v`);
      assert.ok(Object.getPrototypeOf(got) === Uint8Array.prototype, 'a plain Uint8Array');
      got.slice().fill(1);
      got.fill(0);
      assert.equal(await text(kv, `${s}/v`), 'abc');
    });

    it('rejects missing keys with ENOENT', async () => {
      const s = scope();
      await rejectsWith(kv.get(`${s}/missing`), 'ENOENT', `${s}/missing`);
      await rejectsWith(kv.size(`${s}/missing`), 'ENOENT');
      await rejectsWith(kv.getPartial(`${s}/missing`, 0, 1), 'ENOENT');
      await rejectsWith(kv.list(`${s}/missing`), 'ENOENT');
      await rejectsWith(kv.lastModifiedMs(`${s}/missing`), 'ENOENT');
      await rejectsWith(kv.digest(`${s}/missing`), 'ENOENT');
      assert.equal(await kv.exists(`${s}/missing`), undefined);
    });

    it('rejects malformed keys with EINVAL naming the key', async () => {
      for (const key of BAD_KEYS) {
        await rejectsWith(kv.get(key), 'EINVAL', key);
        await rejectsWith(kv.exists(key), 'EINVAL', key);
        await rejectsWith(kv.list(key), 'EINVAL', key);
        await rejectsWith(kv.set(key, bytes('x')), 'EINVAL', key);
        await rejectsWith(kv.remove(key), 'EINVAL', key);
        await rejectsWith(kv.rename(key, 'elsewhere'), 'EINVAL', key);
        await rejectsWith(kv.rename('elsewhere', key), 'EINVAL', key);
      }
    });

    it("treats '' as the root dictionary, which only reads as a dictionary", async () => {
      const s = scope();
      await kv.set(`${s}/v`, bytes('x'));
      assert.equal(await kv.exists(''), 'dictionary');
      assert.ok((await kv.list('')).some((entry) => entry.name === s));
      assert.equal(typeof (await kv.lastModifiedMs('')), 'number');
      assert.match(await kv.digest(''), /^[0-9a-f]{64}$/);
      await rejectsWith(kv.get(''), 'EINVAL');
      await rejectsWith(kv.size(''), 'EINVAL');
      await rejectsWith(kv.getPartial('', 0, 1), 'EINVAL');
      await rejectsWith(kv.set('', bytes('x')), 'EINVAL');
      await rejectsWith(kv.remove(''), 'EINVAL');
      await rejectsWith(kv.rename('', 'x'), 'EINVAL');
      await rejectsWith(kv.rename(`${s}/v`, ''), 'EINVAL');
    });

    it('keeps values and dictionaries apart', async () => {
      const s = scope();
      await kv.set(`${s}/file`, bytes('x'));
      await kv.set(`${s}/dir/inner`, bytes('y'));
      assert.equal(await kv.exists(`${s}/file`), 'value');
      assert.equal(await kv.exists(`${s}/dir`), 'dictionary');
      await rejectsWith(kv.get(`${s}/dir`), 'EINVAL', 'dictionary');
      await rejectsWith(kv.size(`${s}/dir`), 'EINVAL', 'dictionary');
      await rejectsWith(kv.getPartial(`${s}/dir`, 0, 1), 'EINVAL', 'dictionary');
      await rejectsWith(kv.list(`${s}/file`), 'EINVAL');
      await rejectsWith(kv.set(`${s}/file/below`, bytes('z')), 'EINVAL');
      await rejectsWith(kv.set(`${s}/dir`, bytes('z')), 'EINVAL');
      // Below a value there is nothing, not an error.
      assert.equal(await kv.exists(`${s}/file/below`), undefined);
      await rejectsWith(kv.get(`${s}/file/below`), 'ENOENT');
      await kv.remove(`${s}/file/below`);
      assert.equal(await text(kv, `${s}/file`), 'x');
      assert.equal(await text(kv, `${s}/dir/inner`), 'y');
    });

    it('reads ranges, fewer bytes at the end and none past it', async () => {
      const s = scope();
      const key = `${s}/letters`;
      await kv.set(key, bytes('abcdefghij'));
      const range = async (offset: number, length: number): Promise<string> =>
        decoder.decode(await kv.getPartial(key, offset, length));
      assert.equal(await range(0, 3), 'abc');
      assert.equal(await range(3, 4), 'defg');
      assert.equal(await range(7, 10), 'hij');
      assert.equal(await range(0, 10), 'abcdefghij');
      assert.equal(await range(9, 1), 'j');
      assert.equal(await range(10, 5), '');
      assert.equal(await range(100, 5), '');
      assert.equal(await range(2, 0), '');
      for (const [offset, length] of [
        [-1, 1],
        [0, -1],
        [0.5, 1],
        [0, Number.NaN],
      ] as const) {
        await assert.rejects(kv.getPartial(key, offset, length), RangeError);
      }
    });

    it('lists entries by name in UTF-8 byte order, with their kinds', async () => {
      const s = scope();
      // '😀' (U+1F600) sorts before '！' (U+FF01) in UTF-16 units but after it in UTF-8 bytes.
      const names = ['b', 'a', 'B', 'aa', 'é', '~', '！', '😀', '.hidden'];
      for (const entry of names) await kv.set(`${s}/${entry}`, bytes(entry));
      await kv.set(`${s}/sub/x`, bytes('x'));
      const listing = await kv.list(s);
      assert.deepEqual(listing, [
        { name: '.hidden', kind: 'value' },
        { name: 'B', kind: 'value' },
        { name: 'a', kind: 'value' },
        { name: 'aa', kind: 'value' },
        { name: 'b', kind: 'value' },
        { name: 'sub', kind: 'dictionary' },
        { name: '~', kind: 'value' },
        { name: 'é', kind: 'value' },
        { name: '！', kind: 'value' },
        { name: '😀', kind: 'value' },
      ]);
      assert.deepEqual(await kv.list(`${s}/sub`), [{ name: 'x', kind: 'value' }]);
    });

    it('creates dictionaries from paths and drops them when emptied', async () => {
      const s = scope();
      await kv.set(`${s}/a/b/c/d`, bytes('deep'));
      assert.equal(await kv.exists(`${s}/a/b/c`), 'dictionary');
      await kv.set(`${s}/a/keep`, bytes('k'));
      await kv.remove(`${s}/a/b/c/d`);
      assert.equal(await kv.exists(`${s}/a/b`), undefined);
      assert.deepEqual(await kv.list(`${s}/a`), [{ name: 'keep', kind: 'value' }]);
      await kv.remove(`${s}/a/keep`);
      assert.equal(await kv.exists(s), undefined);
    });

    it('removes values and whole dictionaries; removing nothing is fine', async () => {
      const s = scope();
      await kv.set(`${s}/v`, bytes('v'));
      await kv.set(`${s}/d/x`, bytes('x'));
      await kv.set(`${s}/d/e/y`, bytes('y'));
      await kv.remove(`${s}/v`);
      assert.equal(await kv.exists(`${s}/v`), undefined);
      await kv.remove(`${s}/d`);
      assert.equal(await kv.exists(`${s}/d/e/y`), undefined);
      assert.equal(await kv.exists(`${s}/d`), undefined);
      await kv.remove(`${s}/d`);
      await kv.remove(`${s}/never/was`);
    });

    it('renames values, replacing a value at the destination', async () => {
      const s = scope();
      await kv.set(`${s}/old/v`, bytes('moved'));
      await kv.set(`${s}/other`, bytes('other'));
      await kv.rename(`${s}/old/v`, `${s}/new/place/v`);
      assert.equal(await text(kv, `${s}/new/place/v`), 'moved');
      assert.equal(await kv.exists(`${s}/old/v`), undefined);
      assert.equal(await kv.exists(`${s}/old`), undefined, 'the emptied dictionary is gone');
      await kv.rename(`${s}/other`, `${s}/new/place/v`);
      assert.equal(await text(kv, `${s}/new/place/v`), 'other');
      assert.equal(await kv.exists(`${s}/other`), undefined);
      await kv.rename(`${s}/new/place/v`, `${s}/new/place/v`);
      assert.equal(await text(kv, `${s}/new/place/v`), 'other');
    });

    it('renames dictionaries with their contents', async () => {
      const s = scope();
      await kv.set(`${s}/d/x`, bytes('x'));
      await kv.set(`${s}/d/e/y`, bytes('y'));
      await kv.rename(`${s}/d`, `${s}/moved/d2`);
      assert.equal(await text(kv, `${s}/moved/d2/x`), 'x');
      assert.equal(await text(kv, `${s}/moved/d2/e/y`), 'y');
      assert.equal(await kv.exists(`${s}/d`), undefined);
    });

    it('refuses renames that would lose or tangle entries', async () => {
      const s = scope();
      await kv.set(`${s}/d/x`, bytes('x'));
      await kv.set(`${s}/v`, bytes('v'));
      await rejectsWith(kv.rename(`${s}/missing`, `${s}/z`), 'ENOENT', `${s}/missing`);
      await rejectsWith(kv.rename(`${s}/d`, `${s}/d/inside`), 'EINVAL', 'itself');
      await rejectsWith(kv.rename(`${s}/v`, `${s}/d`), 'EINVAL');
      await rejectsWith(kv.rename(`${s}/d`, `${s}/v`), 'EINVAL');
      await rejectsWith(kv.rename(`${s}/d/x`, `${s}/v/below`), 'EINVAL');
      assert.equal(await text(kv, `${s}/d/x`), 'x');
      assert.equal(await text(kv, `${s}/v`), 'v');
    });

    it('applies writes in the order they were called', async () => {
      const s = scope();
      await Promise.all([
        kv.set(`${s}/p/a`, bytes('1')),
        kv.set(`${s}/p/b`, bytes('2')),
        kv.remove(`${s}/p/a`),
        kv.set(`${s}/p/b`, bytes('3')),
        kv.rename(`${s}/p/b`, `${s}/q/b`),
      ]);
      assert.deepEqual(await kv.list(s), [{ name: 'q', kind: 'dictionary' }]);
      assert.equal(await text(kv, `${s}/q/b`), '3');
    });

    it('dates a dictionary no earlier than anything inside it', async () => {
      const s = scope();
      await kv.set(`${s}/d/e/v`, bytes('v'));
      const value = await kv.lastModifiedMs(`${s}/d/e/v`);
      assert.ok(Number.isFinite(value));
      assert.ok((await kv.lastModifiedMs(`${s}/d/e`)) >= value);
      assert.ok((await kv.lastModifiedMs(`${s}/d`)) >= value);
      assert.ok((await kv.lastModifiedMs('')) >= value);
    });

    it('digests values with SHA-256', async () => {
      const s = scope();
      await kv.set(`${s}/abc`, bytes('abc'));
      await kv.set(`${s}/again`, bytes('abc'));
      await kv.set(`${s}/empty`, new Uint8Array(0));
      assert.equal(await kv.digest(`${s}/abc`), SHA256_ABC);
      assert.equal(await kv.digest(`${s}/again`), SHA256_ABC);
      assert.equal(await kv.digest(`${s}/empty`), SHA256_EMPTY);
      await kv.set(`${s}/abc`, bytes('abd'));
      assert.notEqual(await kv.digest(`${s}/abc`), SHA256_ABC);
    });

    it('changes a dictionary digest when and only when something inside changes', async () => {
      const s = scope();
      await kv.set(`${s}/d/e/v`, bytes('one'));
      await kv.set(`${s}/d/w`, bytes('w'));
      const digestAfter = async (change: () => Promise<void>): Promise<[string, string]> => {
        const before = await kv.digest(`${s}/d`);
        // Reading changes nothing.
        await kv.get(`${s}/d/e/v`);
        await kv.list(`${s}/d`);
        await kv.getPartial(`${s}/d/e/v`, 0, 1);
        await kv.lastModifiedMs(`${s}/d`);
        assert.equal(await kv.digest(`${s}/d`), before);
        await change();
        return [before, await kv.digest(`${s}/d`)];
      };
      const inside = [
        () => kv.set(`${s}/d/e/v`, bytes('two')), // same size, two levels down
        () => kv.set(`${s}/d/e/new`, bytes('n')),
        () => kv.remove(`${s}/d/e/new`),
        () => kv.rename(`${s}/d/w`, `${s}/d/w2`),
      ];
      for (const change of inside) {
        const [before, afterChange] = await digestAfter(change);
        assert.notEqual(afterChange, before);
      }
      const [before, afterOutside] = await digestAfter(() => kv.set(`${s}/other`, bytes('x')));
      assert.equal(afterOutside, before);
    });
  });
}
