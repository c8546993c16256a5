// The work one client question may cause (RFC 9156 §2.3: "MUST implement a mechanism to limit
// the number of outgoing queries per user request"; RFC 1034 §5.3.3 asks for a bound on the
// work a request makes, against delegation loops), shared by the lookups it spawns: name server
// addresses and alias targets count against the same budget.

export class ResolutionWork {
  readonly limit: number;
  #sent = 0;
  #exhausted = false;
  /** Server names being looked up for this question, to refuse a lookup that needs itself. */
  readonly #lookups = new Set<string>();

  constructor(limit: number) {
    this.limit = limit;
  }

  get sent(): number {
    return this.#sent;
  }

  /** True once a query was refused for want of budget. */
  get exhausted(): boolean {
    return this.#exhausted;
  }

  /** Takes one query from the budget; false when it is spent. */
  spend(): boolean {
    if (this.#sent >= this.limit) {
      this.#exhausted = true;
      return false;
    }
    this.#sent++;
    return true;
  }

  /** Starts looking up `key` (a server name's key); false when that lookup is already under way. */
  enter(key: string): boolean {
    if (this.#lookups.has(key)) return false;
    this.#lookups.add(key);
    return true;
  }

  leave(key: string): void {
    this.#lookups.delete(key);
  }
}
