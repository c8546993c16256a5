// The control connection as the server's state machine uses it: the client's one-byte states and
// JSON frames in, the server's states and frames out. Reads and writes never reject: a failed or
// ended connection is CLOSED. Writes go out in order, one at a time (a Flow takes one pending
// write), and a write asked for while none is pending starts at once, so that SERVER_TERMINATE is
// on its way before the runtime closes the stack.

import type { Result } from '@oasis/core';
import type { Flow } from '@oasis/runtime';
import type { FlowReader } from './flow-reader.ts';
import { readJsonFrame } from './json-frame.ts';

export const CLOSED: unique symbol = Symbol('closed');

export class ControlChannel {
  readonly #reader: FlowReader;
  #writes: Promise<void> = Promise.resolve();
  #writesPending = 0;

  constructor(reader: FlowReader) {
    this.#reader = reader;
  }

  get flow(): Flow {
    return this.#reader.flow;
  }

  /** The client's next state (a signed byte), or CLOSED. */
  readState(): Promise<number | typeof CLOSED> {
    return this.#reader.readSignedByte().then(
      (state) => state ?? CLOSED,
      () => CLOSED,
    );
  }

  /** The client's next JSON frame (or why it is malformed), or CLOSED. */
  readFrame(): Promise<Result<Readonly<Record<string, unknown>>, string> | typeof CLOSED> {
    return readJsonFrame(this.#reader).then(
      (frame) => frame ?? CLOSED,
      () => CLOSED,
    );
  }

  /** Writes after the writes before it; resolves once the flow took the bytes, or CLOSED. */
  write(bytes: Uint8Array): Promise<undefined | typeof CLOSED> {
    const { flow } = this.#reader;
    const write =
      this.#writesPending === 0 ? flow.write(bytes) : this.#writes.then(() => flow.write(bytes));
    this.#writesPending++;
    this.#writes = write.then(
      () => void this.#writesPending--,
      () => void this.#writesPending--,
    );
    return write.then(
      () => undefined,
      () => CLOSED,
    );
  }

  /** Resolves once every write asked for so far is done or failed. */
  written(): Promise<void> {
    return this.#writes;
  }
}
