// In which order a zone's servers are asked. RFC 1034 §5.3.3 step 3 leaves the choice to the
// resolver and suggests preferring servers that answered fast; this one draws a random order
// (which spreads load over a zone's servers and is one more thing an off-path attacker must
// guess), with the servers whose addresses are known before those that must first be
// looked up, as Unbound does: each lookup costs queries of its own.

import type { Random } from '@oasis/core';
import type { NameServer } from './delegation-cache.ts';

export function orderServers(servers: readonly NameServer[], random: Random): NameServer[] {
  const shuffled = [...servers];
  // Fisher-Yates.
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = random.below(i + 1);
    [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
  }
  return [
    ...shuffled.filter((server) => server.addresses.length > 0),
    ...shuffled.filter((server) => server.addresses.length === 0),
  ];
}
