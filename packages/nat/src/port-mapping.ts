// Endpoint-independent mappings for source NAT (RFC 4787 REQ-1, RFC 5382 REQ-1, RFC 5508 REQ-1 a):
// an inside endpoint (protocol, address, port) gets one external port, the same whatever the
// destination, for as long as any flow uses it. Mappings are reference-counted by flows and freed
// with the last one (RFC 4787 REQ-5: the mapping lives as long as its flows' timers). TCP, UDP and
// ICMP query identifiers each have their own space of 65,536 numbers, shared by all NAT addresses.
// Everything is preallocated; acquiring and releasing allocate nothing.

import type { Random } from '@oasis/core';
import { IP_PROTOCOL_ICMP, IP_PROTOCOL_TCP, IP_PROTOCOL_UDP } from '@oasis/wire';
import { FlowHash } from './flow-hash.ts';
import { emptyTuple } from './flow-tuple.ts';

const PORT_COUNT = 65536;
const WORDS_PER_SPACE = PORT_COUNT / 32;
const SPACE_COUNT = 3;
/** Owner values besides a mapping's index. */
const FREE = -1;
const RESERVED = -2;
const EVEN_PORTS = 0x55555555;

export interface PortMappingsOptions {
  /** The most mappings at once: the connection table's capacity, as every mapping has a flow. */
  readonly capacity: number;
  /** The key of the hash over inside endpoints. */
  readonly seed: number;
  readonly random: Random;
  readonly isPortUsedLocally?: (protocol: number, port: number) => boolean;
}

export class PortMappings {
  readonly #random: Random;
  readonly #isPortUsedLocally: (protocol: number, port: number) => boolean;
  /** Mapping i is keyed by the tuple (protocol, inside address, inside port, 0, 0). */
  readonly #keys: FlowHash;
  readonly #externalPort: Uint16Array;
  readonly #references: Uint32Array;
  readonly #free: Int32Array;
  #freeCount: number;
  /** Per space and port: the owning mapping, FREE or RESERVED. */
  readonly #owner: Int32Array;
  /** Per space, a bit per port that is not FREE: finds a free port 32 at a time. */
  readonly #used: Uint32Array;
  readonly #key = emptyTuple();

  constructor(options: PortMappingsOptions) {
    const { capacity } = options;
    this.#random = options.random;
    this.#isPortUsedLocally = options.isPortUsedLocally ?? (() => false);
    this.#keys = new FlowHash(capacity, options.seed);
    this.#externalPort = new Uint16Array(capacity);
    this.#references = new Uint32Array(capacity);
    this.#free = new Int32Array(capacity);
    for (let i = 0; i < capacity; i++) this.#free[i] = capacity - 1 - i;
    this.#freeCount = capacity;
    this.#owner = new Int32Array(SPACE_COUNT * PORT_COUNT).fill(FREE);
    this.#used = new Uint32Array(SPACE_COUNT * WORDS_PER_SPACE);
  }

  get byteLength(): number {
    return (
      this.#keys.byteLength +
      this.#externalPort.byteLength +
      this.#references.byteLength +
      this.#free.byteLength +
      this.#owner.byteLength +
      this.#used.byteLength
    );
  }

  /** Mappings in use. */
  get size(): number {
    return this.#free.length - this.#freeCount;
  }

  /**
   * The mapping of the inside endpoint, created if needed, with one more reference; -1 when no
   * external number is free. Throws RangeError for a protocol without ports or identifiers.
   */
  acquire(protocol: number, insideAddress: number, insidePort: number): number {
    const space = spaceOf(protocol);
    const existing = this.#keys.find(protocol, insideAddress, insidePort, 0, 0);
    if (existing >= 0) {
      this.#references[existing]!++;
      return existing;
    }
    if (this.#freeCount === 0) return -1;
    const port = this.#choosePort(space, protocol, insidePort);
    if (port < 0) return -1;
    const mapping = this.#free[--this.#freeCount]!;
    const key = this.#key;
    key.protocol = protocol;
    key.source = insideAddress;
    key.sourcePort = insidePort;
    this.#keys.insert(mapping, key);
    this.#externalPort[mapping] = port;
    this.#references[mapping] = 1;
    this.#own(space, port, mapping);
    return mapping;
  }

  /** Drops one reference; the last frees the mapping and its external number. */
  release(mapping: number): void {
    const references = this.#references[mapping]! - 1;
    this.#references[mapping] = references;
    if (references > 0) return;
    const { protocol } = this.#keys.read(mapping, this.#key);
    this.#keys.remove(mapping);
    this.#own(spaceOf(protocol), this.#externalPort[mapping]!, FREE);
    this.#free[this.#freeCount++] = mapping;
  }

  externalPort(mapping: number): number {
    return this.#externalPort[mapping]!;
  }

  /** Keeps `port` out of every mapping (a port forward's); false when a mapping holds it. */
  reserve(protocol: number, port: number): boolean {
    if (!(Number.isInteger(port) && port >= 0 && port < PORT_COUNT)) {
      throw new RangeError(`a port must be an integer in 0..65535, got ${port}`);
    }
    const space = spaceOf(protocol);
    if (this.#owner[space * PORT_COUNT + port]! >= 0) return false;
    this.#own(space, port, RESERVED);
    return true;
  }

  #choosePort(space: number, protocol: number, insidePort: number): number {
    // Port preservation (RFC 4787 §4.2.1): keep the inside port when nobody holds it outside.
    if (
      this.#owner[space * PORT_COUNT + insidePort] === FREE &&
      !this.#isPortUsedLocally(protocol, insidePort)
    ) {
      return insidePort;
    }
    // RFC 4787 REQ-3 a: a port in 0-1023 maps into 0-1023 (never 0, which TCP and UDP reserve),
    // one in 1024-65535 into 1024-65535. ICMP identifiers have no such ranges.
    const low = protocol === IP_PROTOCOL_ICMP ? 0 : insidePort < 1024 ? 1 : 1024;
    const high = protocol === IP_PROTOCOL_ICMP || insidePort >= 1024 ? PORT_COUNT - 1 : 1023;
    // From a random start (RFC 6056 §3: unpredictable ports resist off-path guessing), with
    // the inside port's parity first (RFC 4787 REQ-4), then the other parity.
    const start = low + this.#random.below(high - low + 1);
    const sameParity = (insidePort & 1) === 0 ? EVEN_PORTS : ~EVEN_PORTS;
    const port = this.#search(space, protocol, low, high, start, sameParity);
    return port >= 0 ? port : this.#search(space, protocol, low, high, start, ~sameParity);
  }

  /** A free port in [start, high], else in [low, start), among the bits of `mask`; or -1. */
  #search(
    space: number,
    protocol: number,
    low: number,
    high: number,
    start: number,
    mask: number,
  ): number {
    const port = this.#scan(space, protocol, start, high, mask);
    return port >= 0 || start === low ? port : this.#scan(space, protocol, low, start - 1, mask);
  }

  #scan(space: number, protocol: number, from: number, to: number, mask: number): number {
    const base = space * WORDS_PER_SPACE;
    const first = from >>> 5;
    const last = to >>> 5;
    for (let word = first; word <= last; word++) {
      let candidates = ~this.#used[base + word]! & mask;
      if (word === first) candidates &= -1 << (from & 31);
      if (word === last) candidates &= -1 >>> (31 - (to & 31));
      for (; candidates !== 0; candidates &= candidates - 1) {
        const port = (word << 5) | (31 - Math.clz32(candidates & -candidates));
        if (!this.#isPortUsedLocally(protocol, port)) return port;
      }
    }
    return -1;
  }

  #own(space: number, port: number, owner: number): void {
    this.#owner[space * PORT_COUNT + port] = owner;
    const word = space * WORDS_PER_SPACE + (port >>> 5);
    const bit = 1 << (port & 31);
    this.#used[word] = owner === FREE ? this.#used[word]! & ~bit : this.#used[word]! | bit;
  }
}

function spaceOf(protocol: number): number {
  switch (protocol) {
    case IP_PROTOCOL_TCP:
      return 0;
    case IP_PROTOCOL_UDP:
      return 1;
    case IP_PROTOCOL_ICMP:
      return 2;
    default:
      throw new RangeError(
        `protocol ${protocol} has no ports to map: source NAT handles TCP, UDP and ICMP queries`,
      );
  }
}
