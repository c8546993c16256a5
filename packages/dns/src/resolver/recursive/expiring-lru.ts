// A bounded map whose entries expire: at most `maxEntries` keys, the least recently used evicted
// first, and an entry past its expiry read as absent (and dropped). Insertion order of a Map is
// the recency order: a read or write moves the key to the end.

export class ExpiringLru<V> {
  readonly #entries = new Map<string, { readonly value: V; readonly expiresMs: number }>();
  readonly #maxEntries: number;
  #evictions = 0;

  /** Throws RangeError unless `maxEntries` is a positive integer. */
  constructor(maxEntries: number) {
    if (!(Number.isInteger(maxEntries) && maxEntries >= 1)) {
      throw new RangeError(`a cache needs room for one entry at least, got ${maxEntries}`);
    }
    this.#maxEntries = maxEntries;
  }

  get(key: string, nowMs: number): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    if (entry.expiresMs <= nowMs) return undefined;
    this.#entries.set(key, entry);
    return entry.value;
  }

  set(key: string, value: V, expiresMs: number): void {
    this.#entries.delete(key);
    this.#entries.set(key, { value, expiresMs });
    while (this.#entries.size > this.#maxEntries) {
      this.#entries.delete(this.#entries.keys().next().value as string);
      this.#evictions++;
    }
  }

  get size(): number {
    return this.#entries.size;
  }

  get evictions(): number {
    return this.#evictions;
  }
}
