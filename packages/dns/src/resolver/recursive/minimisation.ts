// QNAME minimisation (RFC 9156): below a known zone cut, a server is told only the next label
// of the name, not the whole name, so that each zone's servers learn no more than they need.

import type { DnsName } from '../../wire/name.ts';

/** RFC 9156 §2.3: queries with a minimised name per resolution, at most. */
export const MAX_MINIMISE_COUNT = 10;
/** RFC 9156 §2.3: the first queries add one label each; later ones add several. */
export const MINIMISE_ONE_LAB = 4;

/**
 * The name to ask next on the way from `known` (the zone cut, or the last name asked that
 * turned out not to be one) down to `target`, when `iteration` minimised queries went before.
 * RFC 9156 §2.3: one label at a time for the first MINIMISE_ONE_LAB queries, then the remaining
 * labels spread over the queries left up to MAX_MINIMISE_COUNT, then the whole name.
 */
export function nextMinimisedName(target: DnsName, known: DnsName, iteration: number): DnsName {
  const remaining = target.labels.length - known.labels.length;
  let step: number;
  if (iteration < MINIMISE_ONE_LAB) step = 1;
  else if (iteration < MAX_MINIMISE_COUNT) {
    step = Math.max(1, Math.floor(remaining / (MAX_MINIMISE_COUNT - iteration)));
  } else step = remaining;
  return target.ancestor(Math.min(target.labels.length, known.labels.length + step));
}
