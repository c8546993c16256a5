// The path MTU of each IPv6 destination this host has heard a Packet Too Big about (RFC 8201).
// Only the source fragments in IPv6, so sends need the path's MTU, not just the link's. An entry
// ages out after 10 minutes (RFC 8201 §4: "at least 5 minutes", recommended 10), after which the
// link MTU is tried again; the table is bounded, oldest first out.

import { ipv6Key } from '@oasis/wire';

/** RFC 8201 §4: the time after which a reduced path MTU is forgotten. */
export const PATH_MTU_AGING_MS = 10 * 60_000;
const MAX_ENTRIES = 1024;

interface Entry {
  readonly mtu: number;
  readonly expiresAtMs: number;
}

export class Ipv6PathMtuCache {
  /** Insertion order is expiry order (every entry lives the same time). */
  readonly #entries = new Map<string, Entry>();

  /** The path MTU to `destination` over a link of `linkMtu`. */
  mtu(destination: Uint8Array, linkMtu: number, nowMs: number): number {
    if (this.#entries.size === 0) return linkMtu;
    const entry = this.#entries.get(ipv6Key(destination));
    if (entry === undefined || entry.expiresAtMs <= nowMs) return linkMtu;
    return Math.min(entry.mtu, linkMtu);
  }

  /** A Packet Too Big said `mtu` (already at least 1280); true if that lowered the path MTU. */
  lower(destination: Uint8Array, mtu: number, linkMtu: number, nowMs: number): boolean {
    if (mtu >= this.mtu(destination, linkMtu, nowMs)) return false;
    const key = ipv6Key(destination);
    this.#entries.delete(key);
    if (this.#entries.size >= MAX_ENTRIES) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, { mtu, expiresAtMs: nowMs + PATH_MTU_AGING_MS });
    return true;
  }

  /** Forgets the entries that aged out. */
  poll(nowMs: number): void {
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAtMs > nowMs) break;
      this.#entries.delete(key);
    }
  }

  get size(): number {
    return this.#entries.size;
  }
}
