// A NetDevice that records every frame it sends and receives to a pcap writer, then passes it on:
// the `--pcap` option of a target, and the dump a simulation writes when a test fails.
// Frames are recorded as the stack hands them over: a TSO super-frame as one record larger than
// the MTU, a frame whose checksum the device is to finish with that checksum unfinished, as
// tcpdump shows them on a host that offloads.

import type { Clock } from '@oasis/core';
import type {
  Frame,
  FrameHandler,
  NetDevice,
  NetDeviceCounters,
  OffloadCapabilities,
} from '@oasis/runtime';
import type { PcapWriter } from './pcap-writer.ts';

export class PcapCapture implements NetDevice {
  readonly #inner: NetDevice;
  readonly #clock: Clock;
  readonly #writer: PcapWriter;
  #closed = false;

  /** Records frames through `writer`, stamped with `clock.wallMs()`, one reading a batch. */
  constructor(inner: NetDevice, clock: Clock, writer: PcapWriter) {
    this.#inner = inner;
    this.#clock = clock;
    this.#writer = writer;
  }

  get name(): string {
    return this.#inner.name;
  }

  get mac(): Uint8Array {
    return this.#inner.mac;
  }

  get mtu(): number {
    return this.#inner.mtu;
  }

  get offload(): OffloadCapabilities {
    return this.#inner.offload;
  }

  /** Records the batch before the inner device may consume its bytes, then sends it. */
  send(frames: readonly Frame[]): void {
    // After close the inner device throws ClosedError; nothing it refuses is recorded.
    if (!this.#closed) this.#record(frames);
    this.#inner.send(frames);
  }

  /** Records each received batch (the writer copies the lent bytes), then hands it to `handler`. */
  listen(handler: FrameHandler): void {
    this.#inner.listen((frames) => {
      this.#record(frames);
      handler(frames);
    });
  }

  counters(): NetDeviceCounters {
    return this.#inner.counters();
  }

  /** Stops recording, then closes the inner device; the writer's sink is the caller's to close. */
  close(): Promise<void> {
    this.#closed = true;
    return this.#inner.close();
  }

  #record(frames: readonly Frame[]): void {
    const wallMs = this.#clock.wallMs();
    for (const frame of frames) this.#writer.writeRecord(wallMs, frame.data);
  }
}
