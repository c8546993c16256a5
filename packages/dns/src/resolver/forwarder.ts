// Forwarding mode: cache misses go to upstream resolvers (RD set), as dnsmasq does. An answer
// with SERVFAIL or REFUSED from one upstream is not final: the next one is asked (RFC 8499
// leaves this to the implementation; dnsmasq and Unbound's forward zones do the same).

import { OasisError } from '@oasis/core';
import type { DnsClient } from '../client/index.ts';
import { Rcode } from '../wire/constants.ts';
import type { DnsQuestion } from '../wire/message.ts';
import { relevantAnswer } from './answer-chain.ts';
import type { ResolvedAnswer } from './dns-cache.ts';
import type { Upstream } from './upstream.ts';

export interface ForwarderOptions {
  readonly client: DnsClient;
  readonly servers: readonly { readonly address: string; readonly port: number }[];
}

export class Forwarder implements Upstream {
  readonly #client: DnsClient;
  readonly #servers: ForwarderOptions['servers'];
  #failures = 0;

  constructor(options: ForwarderOptions) {
    if (options.servers.length === 0) throw new RangeError('forwarding needs an upstream server');
    this.#client = options.client;
    this.#servers = options.servers;
  }

  async resolve(question: DnsQuestion): Promise<ResolvedAnswer> {
    let last: number | undefined;
    for (const server of this.#servers) {
      const message = await this.#client
        .query(question, { servers: [server] })
        .catch(() => undefined);
      if (message === undefined) continue;
      if (message.rcode === Rcode.NOERROR || message.rcode === Rcode.NXDOMAIN) {
        return relevantAnswer(question, message);
      }
      last = message.rcode;
    }
    this.#failures++;
    throw new OasisError(
      'EIO',
      last === undefined
        ? 'no upstream server answered'
        : `upstream servers answered RCODE ${last}`,
    );
  }

  counters(): Readonly<Record<string, number>> {
    return { 'upstream.failures': this.#failures, ...this.#client.counters() };
  }

  close(): Promise<void> {
    return this.#client.close();
  }
}
