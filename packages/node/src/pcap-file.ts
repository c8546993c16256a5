// `--pcap FILE` on any device: a NetDevice wrapper that records every frame sent and received
// to a pcap file (the simulator's writer and capture, with a file as the sink). Records are
// written synchronously, one write per frame, so a capture is complete up to the moment a
// process dies; capturing costs throughput, as with tcpdump -U.

import { closeSync, openSync, writeSync } from 'node:fs';
import type { Clock } from '@oasis/core';
import type { NetDevice } from '@oasis/runtime';
import { PcapCapture, PcapWriter, type PcapWriterOptions } from '@oasis/sim';

export class PcapFileCapture extends PcapCapture {
  readonly path: string;
  readonly #fd: number;

  /** Creates (or truncates) `path` and starts recording `inner`'s frames into it. */
  static open(
    inner: NetDevice,
    clock: Clock,
    path: string,
    options: PcapWriterOptions = {},
  ): PcapFileCapture {
    const fd = openSync(path, 'w');
    try {
      const writer = new PcapWriter((chunk) => writeSync(fd, chunk), options);
      return new PcapFileCapture(inner, clock, writer, path, fd);
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }

  private constructor(
    inner: NetDevice,
    clock: Clock,
    writer: PcapWriter,
    path: string,
    fd: number,
  ) {
    super(inner, clock, writer);
    this.path = path;
    this.#fd = fd;
  }

  /** Closes the device, then the file. */
  override async close(): Promise<void> {
    try {
      await super.close();
    } finally {
      closeSync(this.#fd);
    }
  }
}
