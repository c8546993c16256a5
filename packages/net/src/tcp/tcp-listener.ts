// A listening port (RFC 9293 LISTEN): the TcpListener contract. Established connections wait in
// a bounded queue until the service installs its handler; half-open ones are counted so the
// layer can answer a SYN flood with cookies instead of state.

import { type FlowHandler, HandlerQueue, type TcpEndpoint, type TcpListener } from '@oasis/runtime';
import type { TcpFlow } from './tcp-flow.ts';

export class DirectTcpListener implements TcpListener {
  readonly local: TcpEndpoint;
  /** Connections in SYN-RECEIVED for this listener. */
  halfOpen = 0;
  readonly #accepted: HandlerQueue<TcpFlow>;
  readonly #unlisten: () => void;
  #closed = false;

  /** `unlisten` removes the listener from the layers it listens on. */
  constructor(local: TcpEndpoint, backlog: number, unlisten: () => void) {
    this.local = local;
    this.#accepted = new HandlerQueue(backlog);
    this.#unlisten = unlisten;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** No handler and a full backlog: a connection completing now would be refused. */
  get backlogFull(): boolean {
    return this.#accepted.full;
  }

  onConnection(handler: FlowHandler): void {
    this.#accepted.setHandler(handler);
  }

  /** Hands over an established connection; false when the backlog is full. */
  offer(flow: TcpFlow): boolean {
    return this.#accepted.offer(flow);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#unlisten();
    // Connections nobody took are reset, as Linux does when a listening socket closes.
    for (const flow of this.#accepted.clear()) flow.abort();
  }
}
