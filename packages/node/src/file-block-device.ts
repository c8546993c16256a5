// A block device in a host file: sector N is bytes N*sectorSize.. of the file, so a disk image
// made here can be inspected with host tools (fsck.fat, mtools) and the other way round. Writes
// go through the page cache; `flush` is fdatasync, which is what makes them survive a crash.

import { type FileHandle, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ClosedError, OasisError } from '@oasis/core';
import {
  type BlockDevice,
  type BlockDeviceInfo,
  checkBlockAccess,
  checkBlockGeometry,
} from '@oasis/runtime';
import { fsError, syncDirectory } from './host-fs.ts';

export interface FileBlockDeviceOptions {
  /** Bytes per sector (default 512): a power of two, at least 512. */
  readonly sectorSize?: number;
  /** Open the file read-only; writes reject with EPERM. */
  readonly readOnly?: boolean;
}

export class FileBlockDevice implements BlockDevice {
  readonly path: string;
  readonly info: BlockDeviceInfo;
  readonly #handle: FileHandle;
  #closed = false;
  /** Reads and writes under way, which `close` lets finish before its final flush. */
  readonly #pending = new Set<Promise<void>>();

  /**
   * Opens an existing image. Rejects with OasisError ENOENT when `path` is missing, EINVAL when
   * it is not a regular file or its size is not a non-zero multiple of the sector size.
   */
  static async open(path: string, options: FileBlockDeviceOptions = {}): Promise<FileBlockDevice> {
    const sectorSize = options.sectorSize ?? 512;
    const readOnly = options.readOnly ?? false;
    checkBlockGeometry(sectorSize, 1); // the sector size alone, before touching the file
    let handle: FileHandle;
    try {
      handle = await open(path, readOnly ? 'r' : 'r+');
    } catch (error) {
      throw fsError(error, `cannot open the block device '${path}'`);
    }
    try {
      const stats = await handle.stat();
      if (!stats.isFile()) {
        throw new OasisError('EINVAL', `'${path}' is not a regular file: give a disk image file`);
      }
      if (stats.size === 0 || stats.size % sectorSize !== 0) {
        throw new OasisError(
          'EINVAL',
          `'${path}' is ${stats.size} bytes, not a non-zero multiple of the ${sectorSize}-byte sector size: resize it or choose another sector size`,
        );
      }
      const sectorCount = stats.size / sectorSize;
      return new FileBlockDevice(path, handle, { sectorSize, sectorCount, readOnly });
    } catch (error) {
      await handle.close();
      throw fsError(error, `cannot open the block device '${path}'`);
    }
  }

  /**
   * Creates a zero-filled image of `sectorCount` sectors (sparse where the file system allows)
   * and opens it for writing. Refuses with OasisError EINVAL when `path` exists: an image is
   * never overwritten by accident.
   */
  static async create(
    path: string,
    geometry: { readonly sectorSize: number; readonly sectorCount: number },
  ): Promise<FileBlockDevice> {
    const { sectorSize, sectorCount } = geometry;
    checkBlockGeometry(sectorSize, sectorCount);
    let handle: FileHandle;
    try {
      handle = await open(path, 'wx+');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new OasisError(
          'EINVAL',
          `'${path}' exists: not overwriting it; open it, or remove it first`,
          { cause: error },
        );
      }
      throw fsError(error, `cannot create the block device '${path}'`);
    }
    try {
      await handle.truncate(sectorSize * sectorCount);
      await handle.sync();
      await syncDirectory(dirname(path));
    } catch (error) {
      await handle.close();
      throw fsError(error, `cannot create the block device '${path}'`);
    }
    return new FileBlockDevice(path, handle, { sectorSize, sectorCount, readOnly: false });
  }

  private constructor(path: string, handle: FileHandle, info: BlockDeviceInfo) {
    this.path = path;
    this.#handle = handle;
    this.info = info;
  }

  get closed(): boolean {
    return this.#closed;
  }

  read(sector: number, buffer: Uint8Array): Promise<void> {
    return this.#track(async () => {
      checkBlockAccess(this, sector, buffer, 'read');
      const position = sector * this.info.sectorSize;
      for (let done = 0; done < buffer.length; ) {
        const { bytesRead } = await this.#handle.read(
          buffer,
          done,
          buffer.length - done,
          position + done,
        );
        // The size was checked at open: a short file now means someone else truncated it.
        if (bytesRead === 0) {
          throw new OasisError(
            'EIO',
            `'${this.path}' ends at byte ${position + done}: it was truncated`,
          );
        }
        done += bytesRead;
      }
    });
  }

  write(sector: number, buffer: Uint8Array): Promise<void> {
    return this.#track(async () => {
      checkBlockAccess(this, sector, buffer, 'write');
      const position = sector * this.info.sectorSize;
      for (let done = 0; done < buffer.length; ) {
        const { bytesWritten } = await this.#handle.write(
          buffer,
          done,
          buffer.length - done,
          position + done,
        );
        done += bytesWritten;
      }
    });
  }

  async flush(): Promise<void> {
    if (this.#closed) throw new ClosedError('the block device');
    try {
      await this.#handle.datasync();
    } catch (error) {
      throw fsError(error, `cannot flush '${this.path}'`);
    }
  }

  /** Lets reads and writes under way finish, flushes, and closes the file. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.allSettled(this.#pending);
    try {
      if (!this.info.readOnly) await this.#handle.datasync();
    } catch (error) {
      throw fsError(error, `cannot flush '${this.path}'`);
    } finally {
      await this.#handle.close();
    }
  }

  /** Runs an access, mapping its failures and keeping it visible to `close`. */
  async #track(access: () => Promise<void>): Promise<void> {
    const running = access().catch((error: unknown) => {
      if (error instanceof RangeError) throw error;
      throw fsError(error, `cannot access '${this.path}'`);
    });
    this.#pending.add(running);
    try {
      await running;
    } finally {
      this.#pending.delete(running);
    }
  }
}
