// DNS over UDP (RFC 1035 §4.2.1): each datagram is one query, each answer one datagram to the
// address and port it came from. The receive path makes no closure and no timer per query; a
// send the stack refuses is counted and the server goes on.

import type { Counters, Logger } from '@oasis/core';
import type { UdpEndpoint, UdpSocket } from '@oasis/runtime';
import type { DnsClient, DnsResponder, EncodedReply, ReplySink } from './query-responder.ts';

export class DnsUdpServer implements ReplySink {
  readonly #socket: UdpSocket;
  readonly #responder: DnsResponder;
  readonly #counters: Counters;
  readonly #logger: Logger;
  #closed = false;

  constructor(socket: UdpSocket, responder: DnsResponder, counters: Counters, logger: Logger) {
    this.#socket = socket;
    this.#responder = responder;
    this.#counters = counters;
    this.#logger = logger;
    socket.onMessage(this.#onMessage);
  }

  get port(): number {
    return this.#socket.local.port;
  }

  readonly #onMessage = (data: Uint8Array, from: UdpEndpoint): void => {
    this.#responder.receive(data, from, this);
  };

  deliver(reply: EncodedReply, client: DnsClient): void {
    // The UDP responder makes single answers only: several are refused before encoding.
    if (this.#closed || !(reply instanceof Uint8Array)) return;
    try {
      this.#socket.send(reply, client);
    } catch (error) {
      this.#counters.add('udp.send-error');
      if (this.#logger.enabled('debug')) {
        this.#logger.debug('a DNS answer could not be sent', {
          error,
          client: `${client.address}:${client.port}`,
        });
      }
    }
  }

  /** Stops receiving; answers still being prepared are dropped. */
  close(): Promise<void> {
    this.#closed = true;
    return this.#socket.close();
  }
}
