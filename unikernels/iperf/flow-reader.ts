// Exact-length reads over a Flow, whose `read` returns however many bytes arrived. The control
// connection is read a byte, a length or a JSON frame at a time; a data stream's first 37 bytes
// are its cookie and whatever came with them is already test data.

import type { Flow } from '@oasis/runtime';

const EMPTY = new Uint8Array(0);

export class FlowReader {
  readonly flow: Flow;
  #chunk: Uint8Array = EMPTY;
  #offset = 0;

  constructor(flow: Flow) {
    this.flow = flow;
  }

  /**
   * The next `length` bytes, or undefined when the stream ends first (bytes read before the end
   * are lost: for this protocol a cut message is as good as none). Rejects as `Flow.read` does.
   * The result is a view of the flow's chunk when it holds them all, a copy otherwise.
   */
  async readExact(length: number): Promise<Uint8Array | undefined> {
    const available = this.#chunk.length - this.#offset;
    if (available >= length) {
      const bytes = this.#chunk.subarray(this.#offset, this.#offset + length);
      this.#offset += length;
      return bytes;
    }
    const out = new Uint8Array(length);
    out.set(this.#chunk.subarray(this.#offset));
    let filled = available;
    this.#chunk = EMPTY;
    this.#offset = 0;
    while (filled < length) {
      const chunk = await this.flow.read();
      if (chunk === undefined) return undefined;
      const take = Math.min(chunk.length, length - filled);
      out.set(chunk.subarray(0, take), filled);
      filled += take;
      if (take < chunk.length) {
        this.#chunk = chunk;
        this.#offset = take;
      }
    }
    return out;
  }

  /** The next byte as a signed value (iperf3's states are signed chars), or undefined at the end. */
  async readSignedByte(): Promise<number | undefined> {
    const bytes = await this.readExact(1);
    if (bytes === undefined) return undefined;
    return ((bytes[0] as number) << 24) >> 24;
  }

  /** Hands over what was received but not yet consumed, and forgets it. */
  takeBuffered(): Uint8Array {
    const rest = this.#chunk.subarray(this.#offset);
    this.#chunk = EMPTY;
    this.#offset = 0;
    return rest;
  }
}
