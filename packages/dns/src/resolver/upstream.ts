// Where a resolver's cache misses go: upstream servers that recurse (forwarding mode) or the
// name server hierarchy itself (recursive mode). Either way the result is an answer whose
// records were checked (`relevantAnswer`), or a rejection when no server answered usefully.

import type { DnsQuestion } from '../wire/message.ts';
import type { ResolvedAnswer } from './dns-cache.ts';

export interface Upstream {
  /** Rejects with OasisError ETIMEDOUT / ECONNREFUSED / EIO when no usable answer came. */
  resolve(question: DnsQuestion): Promise<ResolvedAnswer>;
  counters(): Readonly<Record<string, number>>;
  close(): Promise<void>;
}
