// The host stack's name lookup: the host's own resolver (getaddrinfo through node:dns `lookup`,
// so /etc/hosts and /etc/resolv.conf apply as for any program on the host), one family at a
// time for Happy Eyeballs. getaddrinfo cannot be cancelled; an aborted race ignores its answer.

import { lookup } from 'node:dns/promises';
import type { NameLookup } from '@oasis/runtime';
import { hostError } from './host-errors.ts';

/** getaddrinfo's "no such name" and "no address of this family": an empty answer, not a failure. */
const NO_ADDRESS_CODES: ReadonlySet<string> = new Set(['ENOTFOUND', 'ENODATA']);

export const hostNameLookup: NameLookup = async (name, family) => {
  try {
    const entries = await lookup(name, { family, all: true, order: 'verbatim' });
    return entries.map((entry) => entry.address);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && NO_ADDRESS_CODES.has(code)) return [];
    throw hostError(error, `looking up ${name} (IPv${family})`);
  }
};
