// The block devices: one BlockDevice contract against MemoryBlockDevice and FileBlockDevice,
// then what is particular to a file: what survives closing and reopening, and which files
// cannot be devices.

import assert from 'node:assert/strict';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isOasisError } from '@oasis/core';
import { type BlockDevice, MemoryBlockDevice } from '@oasis/runtime';
import { FileBlockDevice } from '../src/file-block-device.ts';
import { rejectsWith } from './kv-contract.ts';

interface Geometry {
  readonly sectorSize: number;
  readonly sectorCount: number;
  readonly readOnly?: boolean;
}

/** Opens a zero-filled device of `geometry`; the suite closes it. */
type OpenDevice = (geometry: Geometry) => Promise<BlockDevice>;

/** `sectors` sectors of `sectorSize` bytes, each byte saying which sector it is in and where. */
function pattern(sectorSize: number, sectors: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(sectorSize * sectors);
  for (let index = 0; index < bytes.length; index++) {
    bytes[index] = (seed + Math.floor(index / sectorSize) * 31 + index) & 0xff;
  }
  return bytes;
}

function blockDeviceContract(name: string, open: OpenDevice): void {
  describe(`BlockDevice contract: ${name}`, () => {
    const opened: BlockDevice[] = [];
    const device = async (geometry: Geometry): Promise<BlockDevice> => {
      const value = await open(geometry);
      opened.push(value);
      return value;
    };
    after(() => Promise.all(opened.map((value) => value.close())));

    it('reports its geometry and starts zero-filled', async () => {
      const dev = await device({ sectorSize: 512, sectorCount: 8 });
      assert.deepEqual(dev.info, { sectorSize: 512, sectorCount: 8, readOnly: false });
      const buffer = new Uint8Array(512 * 8).fill(0xaa);
      await dev.read(0, buffer);
      assert.deepEqual(buffer, new Uint8Array(512 * 8));
    });

    it('reads back what it wrote, one sector or several', async () => {
      const dev = await device({ sectorSize: 4096, sectorCount: 16 });
      const one = pattern(4096, 1, 7);
      await dev.write(3, one);
      const many = pattern(4096, 5, 11);
      await dev.write(10, many);
      const last = pattern(4096, 1, 13);
      await dev.write(15, last);
      const buffer = new Uint8Array(4096);
      await dev.read(3, buffer);
      assert.deepEqual(buffer, one);
      await dev.read(15, buffer);
      assert.deepEqual(buffer, last);
      // Read several sectors written separately, in one call and in pieces.
      const spanning = new Uint8Array(4096 * 6);
      await dev.read(10, spanning);
      assert.deepEqual(spanning.subarray(0, 4096 * 5), many);
      assert.deepEqual(spanning.subarray(4096 * 5), last);
      await dev.read(12, buffer);
      assert.deepEqual(buffer, many.subarray(4096 * 2, 4096 * 3));
      // The neighbours are untouched.
      await dev.read(2, buffer);
      assert.deepEqual(buffer, new Uint8Array(4096));
    });

    it('copies what it writes: the caller may reuse the buffer', async () => {
      const dev = await device({ sectorSize: 512, sectorCount: 2 });
      const data = pattern(512, 1, 3);
      const expected = data.slice();
      await dev.write(1, data);
      data.fill(0);
      const buffer = new Uint8Array(512);
      await dev.read(1, buffer);
      assert.deepEqual(buffer, expected);
    });

    it('rejects with RangeError buffers that are not whole sectors, and sectors past the end', async () => {
      const dev = await device({ sectorSize: 512, sectorCount: 4 });
      const cases: [number, number][] = [
        [0, 0], // empty buffer
        [0, 511],
        [0, 513],
        [-1, 512],
        [0.5, 512],
        [Number.NaN, 512],
        [4, 512], // one past the last sector
        [3, 1024], // starts inside, ends past the end
        [0, 512 * 5],
      ];
      for (const [sector, length] of cases) {
        await assert.rejects(dev.read(sector, new Uint8Array(length)), RangeError);
        await assert.rejects(dev.write(sector, new Uint8Array(length)), RangeError);
      }
      await dev.write(3, new Uint8Array(512)); // the last sector is fine
    });

    it('refuses writes with EPERM when read-only, and still reads', async () => {
      const dev = await device({ sectorSize: 512, sectorCount: 2, readOnly: true });
      assert.equal(dev.info.readOnly, true);
      await rejectsWith(dev.write(0, new Uint8Array(512)), 'EPERM');
      const buffer = new Uint8Array(1024);
      await dev.read(0, buffer);
      assert.deepEqual(buffer, new Uint8Array(1024));
    });

    it('flushes, closes once, and then refuses everything with ClosedError', async () => {
      const dev = await open({ sectorSize: 512, sectorCount: 2 });
      await dev.write(0, pattern(512, 1, 1));
      await dev.flush();
      await dev.close();
      await dev.close();
      const closed = (error: unknown): boolean => isOasisError(error, 'ECLOSED');
      await assert.rejects(dev.read(0, new Uint8Array(512)), closed);
      await assert.rejects(dev.write(0, new Uint8Array(512)), closed);
      await assert.rejects(dev.flush(), closed);
    });
  });
}

blockDeviceContract('MemoryBlockDevice', async (geometry) => new MemoryBlockDevice(geometry));

describe('MemoryBlockDevice', () => {
  it('refuses geometries it cannot hold, saying what to use', () => {
    for (const sectorSize of [0, 256, 511, 1000, 513, 4096.5, Number.NaN]) {
      assert.throws(() => new MemoryBlockDevice({ sectorSize, sectorCount: 1 }), {
        name: 'RangeError',
        message: /power of two/,
      });
    }
    for (const sectorCount of [0, -1, 1.5, Number.POSITIVE_INFINITY]) {
      assert.throws(() => new MemoryBlockDevice({ sectorSize: 512, sectorCount }), {
        name: 'RangeError',
        message: /positive integer/,
      });
    }
    assert.throws(() => new MemoryBlockDevice({ sectorSize: 2 ** 20, sectorCount: 2 ** 40 }), {
      name: 'RangeError',
      message: /fewer sectors/,
    });
  });
});

describe('FileBlockDevice', () => {
  let directory: string;
  let files = 0;
  const freshPath = (): string => join(directory, `disk-${files++}.img`);

  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'oasis-block-'));
  });
  after(() => rm(directory, { recursive: true, force: true }));

  blockDeviceContract('FileBlockDevice', async ({ sectorSize, sectorCount, readOnly }) => {
    const path = freshPath();
    const created = await FileBlockDevice.create(path, { sectorSize, sectorCount });
    if (readOnly !== true) return created;
    await created.close();
    return FileBlockDevice.open(path, { sectorSize, readOnly });
  });

  it('keeps what was flushed across closing and reopening', async () => {
    const path = freshPath();
    const written = pattern(4096, 3, 42);
    const device = await FileBlockDevice.create(path, { sectorSize: 4096, sectorCount: 8 });
    assert.equal((await stat(path)).size, 4096 * 8);
    await device.write(2, written);
    await device.flush();
    await device.close();
    const reopened = await FileBlockDevice.open(path, { sectorSize: 4096, readOnly: true });
    try {
      assert.deepEqual(reopened.info, { sectorSize: 4096, sectorCount: 8, readOnly: true });
      const buffer = new Uint8Array(4096 * 3);
      await reopened.read(2, buffer);
      assert.deepEqual(buffer, written);
    } finally {
      await reopened.close();
    }
  });

  it('lets writes under way finish before closing', async () => {
    const path = freshPath();
    const device = await FileBlockDevice.create(path, { sectorSize: 512, sectorCount: 64 });
    const data = pattern(512, 64, 9);
    const writes = Array.from({ length: 64 }, (_, sector) =>
      device.write(sector, data.subarray(sector * 512, (sector + 1) * 512)),
    );
    await device.close();
    await Promise.all(writes);
    const reopened = await FileBlockDevice.open(path);
    try {
      const buffer = new Uint8Array(512 * 64);
      await reopened.read(0, buffer);
      assert.deepEqual(buffer, data);
    } finally {
      await reopened.close();
    }
  });

  it('refuses a missing file, a directory, and sizes that are not whole sectors', async () => {
    await rejectsWith(FileBlockDevice.open(join(directory, 'missing.img')), 'ENOENT');
    await rejectsWith(FileBlockDevice.open(directory, { readOnly: true }), 'EINVAL');
    const odd = freshPath();
    await writeFile(odd, new Uint8Array(1000));
    await rejectsWith(FileBlockDevice.open(odd), 'EINVAL', '1000 bytes');
    const empty = freshPath();
    await writeFile(empty, new Uint8Array(0));
    await rejectsWith(FileBlockDevice.open(empty), 'EINVAL', '0 bytes');
    const small = freshPath();
    await writeFile(small, new Uint8Array(1024));
    await rejectsWith(FileBlockDevice.open(small, { sectorSize: 4096 }), 'EINVAL', '1024 bytes');
    await assert.rejects(FileBlockDevice.open(small, { sectorSize: 1000 }), RangeError);
  });

  it('does not overwrite an existing file when creating', async () => {
    const path = freshPath();
    await writeFile(path, 'precious');
    await rejectsWith(
      FileBlockDevice.create(path, { sectorSize: 512, sectorCount: 1 }),
      'EINVAL',
      'exists',
    );
    assert.equal((await stat(path)).size, 'precious'.length);
  });
});
