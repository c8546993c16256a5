// A UDP socket of the direct stack: the UdpSocket contract over the UDP layers, bound in one
// family or in both (udp-stack.ts). Received datagrams are copied out of the device's buffer
// once, here, and handed to the handler; until there is a handler they wait in a bounded queue.

import { ClosedError, type Counters, OasisError } from '@oasis/core';
import {
  HandlerQueue,
  type UdpEndpoint,
  type UdpMessageHandler,
  type UdpSocket,
} from '@oasis/runtime';
import { type ParsedIpText, parseIpText } from './ip-address-text.ts';
import type { IpFamilyTypes } from './ip-network.ts';
import type { Ipv4Family } from './ipv4-network.ts';
import type { Ipv6Family } from './ipv6-network.ts';
import type { UdpLayer } from './udp-layer.ts';

/** Where a socket is bound in one family: the layer, and the address (undefined: all). */
export interface UdpBinding<F extends IpFamilyTypes> {
  readonly layer: UdpLayer<F>;
  readonly address: F['address'] | undefined;
}

export interface DirectUdpSocketOptions {
  readonly local: UdpEndpoint;
  readonly ipv4: UdpBinding<Ipv4Family> | undefined;
  readonly ipv6: UdpBinding<Ipv6Family> | undefined;
  readonly broadcast: boolean;
  readonly receiveQueueLength: number;
  readonly drops: Counters;
}

interface ReceivedDatagram {
  readonly data: Uint8Array;
  readonly from: UdpEndpoint;
}

export class DirectUdpSocket implements UdpSocket {
  readonly local: UdpEndpoint;
  readonly #ipv4: UdpBinding<Ipv4Family> | undefined;
  readonly #ipv6: UdpBinding<Ipv6Family> | undefined;
  readonly #broadcast: boolean;
  readonly #drops: Counters;
  readonly #received: HandlerQueue<ReceivedDatagram>;
  #closed = false;
  // Services usually answer the address they just heard from: parse each text once.
  #lastAddressText = '';
  #lastAddress: ParsedIpText | undefined;

  constructor(options: DirectUdpSocketOptions) {
    this.local = options.local;
    this.#ipv4 = options.ipv4;
    this.#ipv6 = options.ipv6;
    this.#broadcast = options.broadcast;
    this.#drops = options.drops;
    this.#received = new HandlerQueue(options.receiveQueueLength);
    options.ipv4?.layer.add(this, options.ipv4.address, options.local.port);
    options.ipv6?.layer.add(this, options.ipv6.address, options.local.port);
  }

  send(data: Uint8Array, to: UdpEndpoint): void {
    if (this.#closed) throw new ClosedError('the UDP socket');
    if (!(Number.isInteger(to.port) && to.port > 0 && to.port <= 0xffff)) {
      throw new OasisError(
        'EINVAL',
        `a UDP destination port is an integer in 1-65535, got ${to.port}`,
      );
    }
    if (to.address !== this.#lastAddressText || this.#lastAddress === undefined) {
      this.#lastAddress = parseIpText(to.address);
      this.#lastAddressText = to.address;
    }
    const destination = this.#lastAddress;
    const { port } = this.local;
    if (destination.family === 'IPv4') {
      const binding = this.#binding(this.#ipv4, to.address);
      binding.layer.send(
        data,
        binding.address,
        port,
        destination.address,
        to.port,
        this.#broadcast,
      );
    } else {
      const binding = this.#binding(this.#ipv6, to.address);
      binding.layer.send(data, binding.address, port, destination.address, to.port, false);
    }
  }

  #binding<F extends IpFamilyTypes>(
    binding: UdpBinding<F> | undefined,
    address: string,
  ): UdpBinding<F> {
    if (binding === undefined) {
      throw new OasisError(
        'EINVAL',
        `the socket bound to ${this.local.address} cannot send to ${address}: the families differ`,
      );
    }
    return binding;
  }

  onMessage(handler: UdpMessageHandler): void {
    this.#received.setHandler(({ data, from }) => handler(data, from));
  }

  /** Input from a UDP layer: `payload` is borrowed from the device's buffer. */
  deliver(payload: Uint8Array, source: string, sourcePort: number): void {
    const data = payload.slice();
    const from = { address: source, port: sourcePort };
    if (!this.#received.offer({ data, from })) this.#drops.add('udp.receive-queue-full');
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#received.clear();
    this.#ipv4?.layer.remove(this, this.#ipv4.address, this.local.port);
    this.#ipv6?.layer.remove(this, this.#ipv6.address, this.local.port);
  }
}
