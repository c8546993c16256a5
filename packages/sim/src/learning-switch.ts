// A learning Ethernet switch (IEEE 802.1D §7.8, §8.7): it learns which port each source MAC
// lives behind, forwards known unicast out of that port only, and floods broadcast, multicast and
// unknown unicast out of every other port. Entries age out, and the table is bounded: when it is
// full, the entry seen longest ago makes room.

import { readU16BE, readU32BE } from '@oasis/core';
import type { Channel, FrameSink } from './channel.ts';
import type { LinkEnd } from './link.ts';

export interface LearningSwitchOptions {
  /** How long an entry lives without traffic from its MAC (802.1D's default ageing time: 300 s). */
  readonly agingMs?: number;
  /** The most MAC addresses remembered (default 4096). */
  readonly tableSize?: number;
}

export interface SwitchCounters {
  /** Frames forwarded out of exactly one port. */
  forwarded: number;
  /** Frames flooded out of every other port. */
  flooded: number;
  /** Frames whose destination lives behind the port they came in on. */
  filtered: number;
  /** Frames too short to hold two MAC addresses. */
  runts: number;
  /** Entries evicted to make room in a full table. */
  evicted: number;
}

interface MacEntry {
  port: number;
  lastSeenMs: number;
}

export class LearningSwitch implements LinkEnd {
  readonly name: string;
  readonly counters: SwitchCounters = {
    forwarded: 0,
    flooded: 0,
    filtered: 0,
    runts: 0,
    evicted: 0,
  };
  readonly #agingMs: number;
  readonly #tableSize: number;
  readonly #clock: { nowMs(): number };
  readonly #ports: Channel[] = [];
  /** MAC (as a 48-bit number) to entry, in least recently seen order (Map keeps insertion order). */
  readonly #table = new Map<number, MacEntry>();

  constructor(name: string, clock: { nowMs(): number }, options: LearningSwitchOptions = {}) {
    this.name = name;
    this.#clock = clock;
    this.#agingMs = options.agingMs ?? 300_000;
    this.#tableSize = options.tableSize ?? 4096;
    if (!(this.#agingMs > 0))
      throw new RangeError(`switch agingMs must be > 0, got ${this.#agingMs}`);
    if (!(Number.isInteger(this.#tableSize) && this.#tableSize >= 1)) {
      throw new RangeError(`switch tableSize must be an integer >= 1, got ${this.#tableSize}`);
    }
  }

  get portCount(): number {
    return this.#ports.length;
  }

  /** The port a MAC address was learned on, if its entry is live. */
  portOf(mac: Uint8Array): number | undefined {
    return this.#lookup(macKey(mac, 0), this.#clock.nowMs());
  }

  plug(outgoing: Channel): FrameSink {
    const port = this.#ports.push(outgoing) - 1;
    return (frame) => this.#receive(port, frame);
  }

  #receive(inPort: number, frame: Uint8Array): void {
    if (frame.length < 12) {
      this.counters.runts++;
      return;
    }
    const nowMs = this.#clock.nowMs();
    // A group address is never a source (802.1D §7.8): do not learn one.
    if ((frame[6]! & 1) === 0) this.#learn(macKey(frame, 6), inPort, nowMs);
    const outPort = (frame[0]! & 1) === 0 ? this.#lookup(macKey(frame, 0), nowMs) : undefined;
    if (outPort === undefined) {
      this.counters.flooded++;
      for (let port = 0; port < this.#ports.length; port++) {
        if (port !== inPort) this.#ports[port]!.transmit(frame);
      }
    } else if (outPort === inPort) {
      this.counters.filtered++;
    } else {
      this.counters.forwarded++;
      this.#ports[outPort]!.transmit(frame);
    }
  }

  #learn(key: number, port: number, nowMs: number): void {
    const table = this.#table;
    const entry = table.get(key);
    if (entry !== undefined) table.delete(key);
    else if (table.size >= this.#tableSize) {
      const oldest = table.keys().next().value!;
      table.delete(oldest);
      this.counters.evicted++;
    }
    table.set(key, { port, lastSeenMs: nowMs });
  }

  #lookup(key: number, nowMs: number): number | undefined {
    const entry = this.#table.get(key);
    if (entry === undefined) return undefined;
    if (nowMs - entry.lastSeenMs >= this.#agingMs) {
      this.#table.delete(key);
      return undefined;
    }
    return entry.port;
  }
}

/** A MAC address as a number (48 bits fit a double exactly), for use as a map key. */
function macKey(bytes: Uint8Array, offset: number): number {
  return readU16BE(bytes, offset) * 0x1_0000_0000 + readU32BE(bytes, offset + 2);
}
