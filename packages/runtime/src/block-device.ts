// A block device: fixed-size sectors, read and written whole, made durable by `flush`. File
// systems sit on it; the implementations are a host file and memory.

export interface BlockDeviceInfo {
  /** Bytes per sector, a power of two (512 or 4096). */
  readonly sectorSize: number;
  readonly sectorCount: number;
  readonly readOnly: boolean;
}

export interface BlockDevice {
  readonly info: BlockDeviceInfo;
  /**
   * Reads sectors starting at `sector` into `buffer`, whose length must be a multiple of the
   * sector size. Rejects with RangeError past the end, OasisError EIO when the medium fails.
   */
  read(sector: number, buffer: Uint8Array): Promise<void>;
  /**
   * Writes `buffer` (a multiple of the sector size) starting at `sector`. The write may sit in a
   * cache until `flush` resolves. Rejects with OasisError EPERM on a read-only device.
   */
  write(sector: number, buffer: Uint8Array): Promise<void>;
  /** Resolves when every write that resolved before the call is on stable storage. */
  flush(): Promise<void>;
  /** Flushes and releases the device. */
  close(): Promise<void>;
}
