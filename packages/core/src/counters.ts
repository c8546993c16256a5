// Named event counters. The direct stack keeps two sets: drops, keyed by reason (a codec's
// WireError key such as 'ipv4.bad-checksum', or the stack's own such as 'arp.unresolved'), and
// traffic ('udp.received'); the host socket stack counts what its contract keeps quiet about.
// Keys are stable: tests, logs and statistics use them.

export class Counters {
  readonly #counts = new Map<string, number>();

  add(key: string, count = 1): void {
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + count);
  }

  get(key: string): number {
    return this.#counts.get(key) ?? 0;
  }

  /** Every nonzero counter, keys sorted. */
  snapshot(): Record<string, number> {
    const keys = [...this.#counts.keys()].sort();
    return Object.fromEntries(keys.map((key) => [key, this.#counts.get(key)!]));
  }

  total(): number {
    let sum = 0;
    for (const count of this.#counts.values()) sum += count;
    return sum;
  }
}
