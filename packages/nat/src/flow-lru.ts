// Doubly linked lists of flows threaded through preallocated Int32Arrays, one list per timeout
// class. A flow moves to the front of its list on each packet, so every list stays ordered by
// last activity and its tail is the flow that expires first: expiry and eviction look at tails
// only, never scan.

export class FlowLru {
  readonly #previous: Int32Array;
  readonly #next: Int32Array;
  readonly #listOf: Uint8Array;
  readonly #heads: Int32Array;
  readonly #tails: Int32Array;

  constructor(capacity: number, listCount: number) {
    this.#previous = new Int32Array(capacity);
    this.#next = new Int32Array(capacity);
    this.#listOf = new Uint8Array(capacity);
    this.#heads = new Int32Array(listCount).fill(-1);
    this.#tails = new Int32Array(listCount).fill(-1);
  }

  get byteLength(): number {
    return (
      this.#previous.byteLength +
      this.#next.byteLength +
      this.#listOf.byteLength +
      this.#heads.byteLength +
      this.#tails.byteLength
    );
  }

  /** The least recently active flow of `list`, or -1 when it is empty. */
  tail(list: number): number {
    return this.#tails[list]!;
  }

  /** Puts `flow`, which is in no list, at the front of `list`. */
  pushFront(list: number, flow: number): void {
    const head = this.#heads[list]!;
    this.#listOf[flow] = list;
    this.#previous[flow] = -1;
    this.#next[flow] = head;
    if (head < 0) this.#tails[list] = flow;
    else this.#previous[head] = flow;
    this.#heads[list] = flow;
  }

  /** Takes `flow` out of the list it is in. */
  unlink(flow: number): void {
    const list = this.#listOf[flow]!;
    const previous = this.#previous[flow]!;
    const next = this.#next[flow]!;
    if (previous < 0) this.#heads[list] = next;
    else this.#next[previous] = next;
    if (next < 0) this.#tails[list] = previous;
    else this.#previous[next] = previous;
  }
}
