// Storage for the labels of many names read from one list. A blocklist of 10 MB holds about a
// million labels; as separate Uint8Arrays each is its own object with its own backing store,
// which costs the garbage collector more than the parsing does. Here labels are views into a few
// shared buffers, so a list's names cost one view per label and one buffer per 64 KiB.

const FIRST_CHUNK_BYTES = 256;
const MAX_CHUNK_BYTES = 64 * 1024;

export class LabelArena {
  #chunk = new ArrayBuffer(FIRST_CHUNK_BYTES);
  #bytes = new Uint8Array(this.#chunk);
  #used = 0;

  /** The characters of `text` from `start` to `end` as bytes; each must be below 256. */
  copy(text: string, start: number, end: number): Uint8Array {
    const length = end - start;
    if (this.#used + length > this.#chunk.byteLength) {
      // Chunks grow from small, so that a hosts file of three lines keeps a few hundred bytes.
      const size = Math.max(length, Math.min(MAX_CHUNK_BYTES, this.#chunk.byteLength * 2));
      this.#chunk = new ArrayBuffer(size);
      this.#bytes = new Uint8Array(this.#chunk);
      this.#used = 0;
    }
    const offset = this.#used;
    for (let i = 0; i < length; i++) this.#bytes[offset + i] = text.charCodeAt(start + i);
    this.#used += length;
    return new Uint8Array(this.#chunk, offset, length);
  }
}
