// Query IDs. RFC 5452 §9.2: the ID is one of the two random values (with the source port) an
// off-path attacker must guess, so each query sent gets a fresh one from the Random device.

import { type Random, writeU16BE } from '@oasis/core';

export function randomQueryId(random: Random): number {
  return random.below(0x1_0000);
}

/** A copy of the encoded `query` with `id` in its first two bytes (RFC 1035 §4.1.1). */
export function withQueryId(query: Uint8Array, id: number): Uint8Array {
  const copy = query.slice();
  writeU16BE(copy, 0, id);
  return copy;
}
