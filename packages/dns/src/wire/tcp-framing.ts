// DNS over TCP frames each message with a two-byte length (RFC 1035 §4.2.2). Writers send the
// length and the message in one write (RFC 7766 §8: servers that read the length alone and then
// wait are slow or fail). Reads cut the byte stream anywhere: a frame may span several reads and
// a read may hold several frames (RFC 7766 §8). A frame that lies within one read is a view of it; only a frame spread over several reads
// is copied, once, so a frame dripped in byte by byte costs linear time, not quadratic.

import { writeU16BE } from '@oasis/core';

/** The length and the message in one buffer. */
export function frameMessage(message: Uint8Array): Uint8Array {
  const frame = new Uint8Array(2 + message.length);
  writeU16BE(frame, 0, message.length);
  frame.set(message, 2);
  return frame;
}

export class TcpFrameReader {
  readonly #chunks: Uint8Array[] = [];
  /** Bytes of `#chunks[0]` already taken. */
  #offset = 0;
  #buffered = 0;

  /** Bytes received and not yet returned as frames (length prefixes included). */
  get buffered(): number {
    return this.#buffered;
  }

  /** Adds the bytes of one read; they must not change afterwards (frames may be views of them). */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
  }

  /** The next whole frame without its length prefix (possibly empty), or undefined when more bytes are needed. */
  next(): Uint8Array | undefined {
    if (this.#buffered < 2) return undefined;
    const length = (this.#byteAt(0) << 8) | this.#byteAt(1);
    if (this.#buffered < 2 + length) return undefined;
    this.#take(2);
    return this.#take(length);
  }

  #byteAt(index: number): number {
    let at = this.#offset + index;
    for (const chunk of this.#chunks) {
      if (at < chunk.length) return chunk[at]!;
      at -= chunk.length;
    }
    throw new RangeError(`byte ${index} is past the ${this.#buffered} bytes buffered`);
  }

  /** The next `length` bytes (at most `#buffered`). */
  #take(length: number): Uint8Array {
    this.#buffered -= length;
    const first = this.#chunks[0];
    if (first === undefined) return new Uint8Array(0);
    const start = this.#offset;
    if (first.length - start >= length) {
      this.#offset += length;
      if (this.#offset === first.length) this.#dropChunks(1);
      return first.subarray(start, start + length);
    }
    const frame = new Uint8Array(length);
    let filled = 0;
    let used = 0;
    let from = start;
    while (filled < length) {
      const chunk = this.#chunks[used]!;
      const count = Math.min(chunk.length - from, length - filled);
      frame.set(chunk.subarray(from, from + count), filled);
      filled += count;
      from += count;
      if (from === chunk.length) {
        used += 1;
        from = 0;
      }
    }
    this.#dropChunks(used);
    this.#offset = from;
    return frame;
  }

  #dropChunks(count: number): void {
    this.#chunks.splice(0, count);
    this.#offset = 0;
  }
}
