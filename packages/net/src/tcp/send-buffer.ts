// The sender's byte queue (RFC 9293 §3.3.1 "send sequence space"): what the application wrote
// and the peer has not acknowledged, from SND.UNA on. A ring that grows by doubling up to its
// limit, so an idle connection holds a few KiB and a bulk one its whole window. Writes copy in
// once; segments copy out once, straight into the outgoing frame.

const INITIAL_CAPACITY = 16 * 1024;

export class SendBuffer {
  readonly #limit: number;
  #ring: Uint8Array;
  /** Index in #ring of the byte at SND.UNA. */
  #head = 0;
  #length = 0;

  /** `limitBytes` is the most unacknowledged bytes held, rounded up to a power of two. */
  constructor(limitBytes: number) {
    let limit = INITIAL_CAPACITY;
    while (limit < limitBytes) limit *= 2;
    this.#limit = limit;
    this.#ring = new Uint8Array(Math.min(INITIAL_CAPACITY, limit));
  }

  /** Bytes held: sent and unacknowledged, plus not yet sent. */
  get length(): number {
    return this.#length;
  }

  get free(): number {
    return this.#limit - this.#length;
  }

  /** Copies as much of `data` as fits and returns how many bytes that was. */
  append(data: Uint8Array): number {
    const count = Math.min(data.length, this.free);
    if (count === 0) return 0;
    if (this.#length + count > this.#ring.length) this.#grow(this.#length + count);
    const ring = this.#ring;
    const mask = ring.length - 1;
    const tail = (this.#head + this.#length) & mask;
    const first = Math.min(count, ring.length - tail);
    ring.set(first === data.length ? data : data.subarray(0, first), tail);
    if (first < count) ring.set(data.subarray(first, count), 0);
    this.#length += count;
    return count;
  }

  /** Copies `length` bytes starting `offset` bytes after SND.UNA into `target` at `at`. */
  copyOut(offset: number, length: number, target: Uint8Array, at: number): void {
    if (offset + length > this.#length) {
      throw new RangeError(`send buffer holds ${this.#length} bytes, asked ${offset}+${length}`);
    }
    const ring = this.#ring;
    const start = (this.#head + offset) & (ring.length - 1);
    const first = Math.min(length, ring.length - start);
    target.set(ring.subarray(start, start + first), at);
    if (first < length) target.set(ring.subarray(0, length - first), at + first);
  }

  /** Drops the first `count` bytes: the peer acknowledged them. */
  release(count: number): void {
    if (count > this.#length) throw new RangeError(`release ${count} of ${this.#length} bytes`);
    this.#length -= count;
    this.#head = this.#length === 0 ? 0 : (this.#head + count) & (this.#ring.length - 1);
  }

  #grow(needed: number): void {
    let capacity = this.#ring.length * 2;
    while (capacity < needed) capacity *= 2;
    const ring = new Uint8Array(capacity);
    this.copyOut(0, this.#length, ring, 0);
    this.#ring = ring;
    this.#head = 0;
  }
}
