// Outgoing frames, batched. While a batch is open (the stack handles a received batch, or a
// timer fires) frames collect and go to the device in one `send` call when it closes: one
// native crossing for a whole batch of echoes. Outside a batch a frame goes at once, so virtual
// time in the simulator stays exact.
//
// Inside a batch, buffers come from a pool reused after each flush: the NetDevice contract lets
// the caller reuse its buffers once `send` returns. A frame that must outlive the batch (queued
// for ARP) is allocated by the caller instead.

import type { Frame, FrameOffload, NetDevice } from '@oasis/runtime';

export class FrameOutput {
  readonly #device: NetDevice;
  readonly #pool: Uint8Array[] = [];
  #poolUsed = 0;
  readonly #pending: Frame[] = [];
  #depth = 0;

  constructor(device: NetDevice) {
    this.#device = device;
  }

  /**
   * A buffer of exactly `length` bytes for one frame, from the pool inside a batch (valid until
   * the batch is sent), fresh outside one.
   */
  allocate(length: number): Uint8Array {
    if (this.#depth === 0) return new Uint8Array(length);
    const pooled = this.#pool[this.#poolUsed];
    if (pooled !== undefined && pooled.length >= length) {
      this.#poolUsed++;
      return pooled.subarray(0, length);
    }
    const size = Math.max(length, this.#device.mtu + 64);
    const buffer = new Uint8Array(size);
    // A pool slot too small for this frame is replaced by a bigger one.
    if (pooled === undefined) this.#pool.push(buffer);
    else this.#pool[this.#poolUsed] = buffer;
    this.#poolUsed++;
    return buffer.subarray(0, length);
  }

  send(data: Uint8Array, offload?: FrameOffload): void {
    this.#pending.push(offload === undefined ? { data } : { data, offload });
    if (this.#depth === 0) this.#flush();
  }

  /** Runs `work` inside a batch; batches nest, and the outermost one flushes. */
  batch(work: () => void): void {
    this.#depth++;
    try {
      work();
    } finally {
      this.#depth--;
      if (this.#depth === 0) this.#flush();
    }
  }

  #flush(): void {
    try {
      // The device copies before returning (NetDevice.send), so the pool is free again after.
      if (this.#pending.length > 0) this.#device.send(this.#pending);
    } finally {
      this.#pending.length = 0;
      this.#poolUsed = 0;
    }
  }
}
