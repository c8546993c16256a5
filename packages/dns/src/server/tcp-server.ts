// DNS over TCP's listening side: accepts connections up to a limit and hands each to a
// DnsTcpConnection. Beyond the limit a new connection is reset at once and counted, so a flood of
// idle connections cannot starve the server of memory (RFC 7766 §6.2.2 lets servers bound them).

import type { TcpListener } from '@oasis/runtime';
import { DnsTcpConnection, type TcpConnectionSettings } from './tcp-connection.ts';

export type TcpServerSettings = Omit<TcpConnectionSettings, 'removed'> & {
  readonly maxConnections: number;
};

export class DnsTcpServer {
  readonly #listener: TcpListener;
  readonly #settings: TcpServerSettings;
  readonly #connectionSettings: TcpConnectionSettings;
  readonly #connections = new Set<DnsTcpConnection>();
  #closed = false;

  constructor(listener: TcpListener, settings: TcpServerSettings) {
    this.#listener = listener;
    this.#settings = settings;
    this.#connectionSettings = {
      ...settings,
      removed: (connection) => this.#connections.delete(connection),
    };
    listener.onConnection((flow) => {
      if (this.#closed || this.#connections.size >= this.#settings.maxConnections) {
        this.#settings.counters.add('tcp.refused');
        flow.abort();
        return;
      }
      this.#settings.counters.add('tcp.connections');
      const connection = new DnsTcpConnection(flow, this.#connectionSettings);
      this.#connections.add(connection);
      connection.start();
    });
  }

  get port(): number {
    return this.#listener.local.port;
  }

  /** Stops listening and closes every connection. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#listener.close();
    await Promise.all([...this.#connections].map((connection) => connection.shutdown()));
  }
}
