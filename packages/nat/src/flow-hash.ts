// A hash index over 5-tuples in preallocated typed arrays: entry i holds one tuple, and entries
// sharing a bucket are chained through Int32Array links (-1 ends a chain). The caller numbers the
// entries (the connection table uses flow * 2 + direction); nothing is allocated after
// construction.

import type { FlowTuple } from './flow-tuple.ts';

/**
 * MurmurHash3's x86_32 block mixing and finalizer over the tuple's four words, keyed by a random
 * `seed`: the tuples an attacker sends do not tell them which bucket they land in (Linux keys its
 * conntrack hash, jhash2, with a random seed the same way). MurmurHash3's known seed-independent
 * collisions (Aumasson and Bernstein, 2012) need pairs of consecutive attacker-chosen words; the
 * protocol word is not chosen by anyone, so a tuple holds at most one such pair and the attack
 * yields colliding twos, not the multicollisions that would lengthen a chain under a flood.
 */
export function hashTuple(
  seed: number,
  protocol: number,
  source: number,
  sourcePort: number,
  destination: number,
  destinationPort: number,
): number {
  let h = mixWord(seed, source);
  h = mixWord(h, destination);
  h = mixWord(h, (sourcePort << 16) | destinationPort);
  h = mixWord(h, protocol);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function mixWord(h: number, word: number): number {
  let k = Math.imul(word, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  h ^= Math.imul(k, 0x1b873593);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

export class FlowHash {
  readonly #seed: number;
  readonly #mask: number;
  readonly #buckets: Int32Array;
  readonly #next: Int32Array;
  readonly #protocol: Uint8Array;
  readonly #source: Uint32Array;
  readonly #sourcePort: Uint16Array;
  readonly #destination: Uint32Array;
  readonly #destinationPort: Uint16Array;

  /** Room for `entryCount` entries in a power of two of buckets, at least `entryCount`. */
  constructor(entryCount: number, seed: number) {
    let buckets = 1;
    while (buckets < entryCount) buckets *= 2;
    this.#seed = seed | 0;
    this.#mask = buckets - 1;
    this.#buckets = new Int32Array(buckets).fill(-1);
    this.#next = new Int32Array(entryCount);
    this.#protocol = new Uint8Array(entryCount);
    this.#source = new Uint32Array(entryCount);
    this.#sourcePort = new Uint16Array(entryCount);
    this.#destination = new Uint32Array(entryCount);
    this.#destinationPort = new Uint16Array(entryCount);
  }

  get byteLength(): number {
    return (
      this.#buckets.byteLength +
      this.#next.byteLength +
      this.#protocol.byteLength +
      this.#source.byteLength +
      this.#sourcePort.byteLength +
      this.#destination.byteLength +
      this.#destinationPort.byteLength
    );
  }

  /** The entry holding this tuple, or -1. */
  find(
    protocol: number,
    source: number,
    sourcePort: number,
    destination: number,
    destinationPort: number,
  ): number {
    const bucket =
      hashTuple(this.#seed, protocol, source, sourcePort, destination, destinationPort) &
      this.#mask;
    source >>>= 0;
    destination >>>= 0;
    for (let entry = this.#buckets[bucket]!; entry >= 0; entry = this.#next[entry]!) {
      if (
        this.#source[entry] === source &&
        this.#destination[entry] === destination &&
        this.#sourcePort[entry] === sourcePort &&
        this.#destinationPort[entry] === destinationPort &&
        this.#protocol[entry] === protocol
      ) {
        return entry;
      }
    }
    return -1;
  }

  /** Stores `tuple` as `entry`, which must not be in the index. */
  insert(entry: number, tuple: FlowTuple): void {
    const { protocol, source, sourcePort, destination, destinationPort } = tuple;
    this.#protocol[entry] = protocol;
    this.#source[entry] = source;
    this.#sourcePort[entry] = sourcePort;
    this.#destination[entry] = destination;
    this.#destinationPort[entry] = destinationPort;
    const bucket = this.#bucketOf(entry);
    this.#next[entry] = this.#buckets[bucket]!;
    this.#buckets[bucket] = entry;
  }

  /** Takes `entry`, which must be in the index, out of its chain. */
  remove(entry: number): void {
    const bucket = this.#bucketOf(entry);
    let previous = -1;
    let at = this.#buckets[bucket]!;
    while (at !== entry) {
      if (at < 0) throw new Error(`flow-hash: entry ${entry} is not in the index`);
      previous = at;
      at = this.#next[at]!;
    }
    if (previous < 0) this.#buckets[bucket] = this.#next[entry]!;
    else this.#next[previous] = this.#next[entry]!;
  }

  /** Fills `into` with the tuple stored as `entry`. */
  read(entry: number, into: FlowTuple): FlowTuple {
    into.protocol = this.#protocol[entry]!;
    into.source = this.#source[entry]!;
    into.sourcePort = this.#sourcePort[entry]!;
    into.destination = this.#destination[entry]!;
    into.destinationPort = this.#destinationPort[entry]!;
    return into;
  }

  #bucketOf(entry: number): number {
    return (
      hashTuple(
        this.#seed,
        this.#protocol[entry]!,
        this.#source[entry]!,
        this.#sourcePort[entry]!,
        this.#destination[entry]!,
        this.#destinationPort[entry]!,
      ) & this.#mask
    );
  }
}
