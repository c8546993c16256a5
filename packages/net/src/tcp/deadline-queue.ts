// When each connection next needs its timers run, as a binary min-heap with lazy updates: a
// connection is pushed again only when its deadline moves earlier; an entry whose deadline has
// since moved later just wakes the stack early once, and is pushed again with the new one. So
// the stack's next wake-up costs O(1) and a batch O(log n) per touched connection, however many
// connections are open (a scan of all of them per batch was the cost of 1,000 connections).

export interface Scheduled {
  /** The earliest time the item needs `poll`, Infinity for never. */
  pollAt(): number;
  /** The deadline under which the item sits in the queue, Infinity when it is not in it. */
  queuedAt: number;
}

export class DeadlineQueue<T extends Scheduled> {
  readonly #at: number[] = [];
  readonly #items: T[] = [];

  /** The earliest deadline queued (maybe stale, so early), or Infinity. */
  get nextAt(): number {
    return this.#at[0] ?? Number.POSITIVE_INFINITY;
  }

  /** Queues `item` under its current deadline if that is earlier than where it sits. */
  schedule(item: T): void {
    const at = item.pollAt();
    if (!(at < item.queuedAt)) return;
    item.queuedAt = at;
    this.#push(at, item);
  }

  /**
   * Takes every item whose queued deadline is at or before `nowMs` and hands those still due to
   * `due`; items whose deadline moved later are queued again.
   */
  runDue(nowMs: number, due: (item: T) => void): void {
    const taken: T[] = [];
    while (this.#at.length > 0 && this.#at[0]! <= nowMs) {
      const at = this.#at[0]!;
      const item = this.#pop();
      // A stale entry: the item was queued again under an earlier deadline since.
      if (item.queuedAt !== at) continue;
      item.queuedAt = Number.POSITIVE_INFINITY;
      taken.push(item);
    }
    for (const item of taken) if (item.pollAt() <= nowMs) due(item);
    // Queued again afterwards, so an item still due after its turn waits for the next run
    // instead of spinning this one.
    for (const item of taken) this.schedule(item);
  }

  #push(at: number, item: T): void {
    const heapAt = this.#at;
    const items = this.#items;
    let index = heapAt.length;
    heapAt.push(at);
    items.push(item);
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (heapAt[parent]! <= at) break;
      heapAt[index] = heapAt[parent]!;
      items[index] = items[parent]!;
      index = parent;
    }
    heapAt[index] = at;
    items[index] = item;
  }

  #pop(): T {
    const heapAt = this.#at;
    const items = this.#items;
    const top = items[0]!;
    const lastAt = heapAt.pop()!;
    const last = items.pop()!;
    const length = heapAt.length;
    if (length === 0) return top;
    let index = 0;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= length) break;
      const right = left + 1;
      const child = right < length && heapAt[right]! < heapAt[left]! ? right : left;
      if (heapAt[child]! >= lastAt) break;
      heapAt[index] = heapAt[child]!;
      items[index] = items[child]!;
      index = child;
    }
    heapAt[index] = lastAt;
    items[index] = last;
    return top;
  }
}
