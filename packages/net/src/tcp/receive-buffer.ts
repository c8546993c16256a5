// The receiver's in-order bytes waiting for the application (RFC 9293 §3.3.1 "receive sequence
// space", before RCV.NXT). Each piece is the copy made when the segment arrived, handed to the
// reader as it is: one copy per received byte in all.

export class ReceiveBuffer {
  readonly #pieces: Uint8Array[] = [];
  #first = 0;
  #length = 0;

  /** Bytes waiting to be read. */
  get length(): number {
    return this.#length;
  }

  /** Takes ownership of `piece`. */
  push(piece: Uint8Array): void {
    if (piece.length === 0) return;
    this.#pieces.push(piece);
    this.#length += piece.length;
  }

  /** The oldest piece, or undefined when empty. */
  shift(): Uint8Array | undefined {
    const piece = this.#pieces[this.#first];
    if (piece === undefined) return undefined;
    this.#pieces[this.#first] = EMPTY;
    this.#first++;
    this.#length -= piece.length;
    // Compacts now and then instead of Array.shift on every read.
    if (this.#first === this.#pieces.length) {
      this.#pieces.length = 0;
      this.#first = 0;
    } else if (this.#first >= 1024) {
      this.#pieces.splice(0, this.#first);
      this.#first = 0;
    }
    return piece;
  }

  clear(): void {
    this.#pieces.length = 0;
    this.#first = 0;
    this.#length = 0;
  }
}

const EMPTY = new Uint8Array(0);
