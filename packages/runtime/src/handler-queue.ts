// Arrivals before their consumer: a socket's datagrams before `onMessage`, a listener's
// connections before `onConnection`. They wait in a bounded queue and go to the first handler in
// arrival order. A full queue refuses the newcomer (tail drop, as a full socket buffer does);
// the caller counts it. Shared by every stack, so services see the same behaviour on each.

export class HandlerQueue<T> {
  readonly #limit: number;
  #handler: ((item: T) => void) | undefined;
  #waiting: T[] = [];

  constructor(limit: number) {
    if (!(Number.isInteger(limit) && limit >= 0)) {
      throw new RangeError(`a queue limit is a non-negative integer, got ${limit}`);
    }
    this.#limit = limit;
  }

  /** No handler yet and no room left: an arrival now would be refused. */
  get full(): boolean {
    return this.#handler === undefined && this.#waiting.length >= this.#limit;
  }

  /** Hands `item` to the handler, or queues it; false when it was refused (queue full). */
  offer(item: T): boolean {
    if (this.#handler !== undefined) {
      this.#handler(item);
      return true;
    }
    if (this.#waiting.length >= this.#limit) return false;
    this.#waiting.push(item);
    return true;
  }

  /** Installs `handler`, replacing any earlier one; what waited goes to it now, in order. */
  setHandler(handler: (item: T) => void): void {
    this.#handler = handler;
    for (const item of this.#waiting.splice(0)) handler(item);
  }

  /** Forgets the handler and returns what was still waiting, for the caller to dispose of. */
  clear(): T[] {
    this.#handler = undefined;
    return this.#waiting.splice(0);
  }
}
