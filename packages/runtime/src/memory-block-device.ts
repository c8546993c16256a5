// A block device in memory: zero-filled at creation, gone when the process ends. It is the
// `sim` target's disk and a test double for file systems. The argument checks below are the
// BlockDevice rules every implementation applies, exported so that they are written once.

import { ClosedError, OasisError } from '@oasis/core';
import type { BlockDevice, BlockDeviceInfo } from './block-device.ts';

export interface MemoryBlockDeviceOptions {
  /** Bytes per sector: a power of two, at least 512. */
  readonly sectorSize: number;
  readonly sectorCount: number;
  /** Refuse writes with EPERM. */
  readonly readOnly?: boolean;
}

/**
 * Throws RangeError unless `sectorSize` is a power of two of at least 512 and `sectorCount` a
 * positive integer, with the device's byte size a safe integer (byte positions stay exact).
 */
export function checkBlockGeometry(sectorSize: number, sectorCount: number): void {
  if (
    !Number.isSafeInteger(sectorSize) ||
    sectorSize < 512 ||
    !Number.isInteger(Math.log2(sectorSize))
  ) {
    throw new RangeError(
      `sector size ${sectorSize}: use a power of two of at least 512 (512, 4096)`,
    );
  }
  if (!Number.isSafeInteger(sectorCount) || sectorCount < 1) {
    throw new RangeError(`sector count ${sectorCount}: use a positive integer`);
  }
  if (!Number.isSafeInteger(sectorSize * sectorCount)) {
    throw new RangeError(
      `${sectorCount} sectors of ${sectorSize} bytes exceed 2^53 bytes: use fewer sectors`,
    );
  }
}

/**
 * Checks a read or write of `buffer` at `sector` against `device`, in the order a caller fixes
 * them: ClosedError once closed, RangeError for a bad sector or buffer, EPERM for a write to a
 * read-only device.
 */
export function checkBlockAccess(
  device: { readonly info: BlockDeviceInfo; readonly closed: boolean },
  sector: number,
  buffer: Uint8Array,
  access: 'read' | 'write',
): void {
  if (device.closed) throw new ClosedError('the block device');
  const { sectorSize, sectorCount, readOnly } = device.info;
  if (buffer.length === 0 || buffer.length % sectorSize !== 0) {
    throw new RangeError(
      `a ${buffer.length}-byte buffer: ${access} whole sectors, a positive multiple of ${sectorSize} bytes`,
    );
  }
  const sectors = buffer.length / sectorSize;
  if (!Number.isSafeInteger(sector) || sector < 0 || sector + sectors > sectorCount) {
    throw new RangeError(
      `sectors ${sector}..${sector + sectors - 1}: the device has sectors 0..${sectorCount - 1}`,
    );
  }
  if (access === 'write' && readOnly) {
    throw new OasisError('EPERM', 'the block device is read-only');
  }
}

export class MemoryBlockDevice implements BlockDevice {
  readonly info: BlockDeviceInfo;
  #closed = false;
  readonly #bytes: Uint8Array;

  constructor(options: MemoryBlockDeviceOptions) {
    checkBlockGeometry(options.sectorSize, options.sectorCount);
    this.info = {
      sectorSize: options.sectorSize,
      sectorCount: options.sectorCount,
      readOnly: options.readOnly ?? false,
    };
    this.#bytes = new Uint8Array(options.sectorSize * options.sectorCount);
  }

  get closed(): boolean {
    return this.#closed;
  }

  async read(sector: number, buffer: Uint8Array): Promise<void> {
    checkBlockAccess(this, sector, buffer, 'read');
    const start = sector * this.info.sectorSize;
    buffer.set(this.#bytes.subarray(start, start + buffer.length));
  }

  async write(sector: number, buffer: Uint8Array): Promise<void> {
    checkBlockAccess(this, sector, buffer, 'write');
    this.#bytes.set(buffer, sector * this.info.sectorSize);
  }

  /** Memory is as stable as this device gets: nothing is pending. */
  async flush(): Promise<void> {
    if (this.#closed) throw new ClosedError('the block device');
  }

  /** Idempotent: the launcher and the service may both close a device. */
  async close(): Promise<void> {
    this.#closed = true;
  }
}
