// A UDP socket of the direct stack: the UdpSocket contract over the UDP layer. Received
// datagrams are copied out of the device's buffer once, here, and handed to the handler; until
// there is a handler they wait in a bounded queue.

import { ClosedError, type Counters, OasisError } from '@oasis/core';
import {
  HandlerQueue,
  type UdpEndpoint,
  type UdpMessageHandler,
  type UdpSocket,
} from '@oasis/runtime';
import { formatIpv4Address } from '@oasis/wire';
import { parseIpv4Text } from './ip-address-text.ts';
import type { UdpLayer } from './udp-layer.ts';

export interface DirectUdpSocketOptions {
  readonly layer: UdpLayer;
  readonly address: number;
  readonly port: number;
  readonly broadcast: boolean;
  readonly receiveQueueLength: number;
  readonly drops: Counters;
}

interface ReceivedDatagram {
  readonly data: Uint8Array;
  readonly from: UdpEndpoint;
}

export class DirectUdpSocket implements UdpSocket {
  /** 0 when bound to every address. */
  readonly address: number;
  readonly port: number;
  readonly broadcast: boolean;
  readonly local: UdpEndpoint;
  readonly #layer: UdpLayer;
  readonly #drops: Counters;
  readonly #received: HandlerQueue<ReceivedDatagram>;
  #closed = false;
  // Services usually answer the address they just heard from: parse each text once.
  #lastAddressText = '';
  #lastAddress = 0;

  constructor(options: DirectUdpSocketOptions) {
    this.#layer = options.layer;
    this.address = options.address;
    this.port = options.port;
    this.broadcast = options.broadcast;
    this.#drops = options.drops;
    this.#received = new HandlerQueue(options.receiveQueueLength);
    this.local = { address: formatIpv4Address(options.address), port: options.port };
  }

  send(data: Uint8Array, to: UdpEndpoint): void {
    if (this.#closed) throw new ClosedError('the UDP socket');
    if (!(Number.isInteger(to.port) && to.port > 0 && to.port <= 0xffff)) {
      throw new OasisError(
        'EINVAL',
        `a UDP destination port is an integer in 1-65535, got ${to.port}`,
      );
    }
    if (to.address !== this.#lastAddressText) {
      this.#lastAddress = parseIpv4Text(to.address);
      this.#lastAddressText = to.address;
    }
    this.#layer.send(this, data, this.#lastAddress, to.port);
  }

  onMessage(handler: UdpMessageHandler): void {
    this.#received.setHandler(({ data, from }) => handler(data, from));
  }

  /** Input from the UDP layer: `payload` is borrowed from the device's buffer. */
  deliver(payload: Uint8Array, source: number, sourcePort: number): void {
    const data = payload.slice();
    const from = { address: formatIpv4Address(source), port: sourcePort };
    if (!this.#received.offer({ data, from })) this.#drops.add('udp.receive-queue-full');
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#received.clear();
    this.#layer.unbind(this);
  }
}
