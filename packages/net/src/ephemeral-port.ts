// Ephemeral ports (RFC 6335 §6: 49152-65535), chosen as RFC 6056 §3.3.1 suggests: from a random
// point of the range, the first port the caller finds free. UDP and TCP each say what free means.

import type { Random } from '@oasis/core';

const EPHEMERAL_FIRST = 49152;
const EPHEMERAL_COUNT = 65536 - EPHEMERAL_FIRST;

/** The first port `isFree` accepts, searching from a random start; undefined when none is. */
export function findEphemeralPort(
  random: Random,
  isFree: (port: number) => boolean,
): number | undefined {
  const start = random.below(EPHEMERAL_COUNT);
  for (let i = 0; i < EPHEMERAL_COUNT; i++) {
    const port = EPHEMERAL_FIRST + ((start + i) % EPHEMERAL_COUNT);
    if (isFree(port)) return port;
  }
  return undefined;
}
