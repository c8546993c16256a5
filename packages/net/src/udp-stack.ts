// The UdpStack a service gets from the direct stack: one UDP layer per address family, and
// sockets bound in one or both. A socket bound to no address, or to '::', takes both families
// (as a Linux socket bound to :: does while net.ipv6.bindv6only is 0); '0.0.0.0' takes every
// IPv4 address only.

import { type Counters, OasisError, type Random } from '@oasis/core';
import type { UdpBindOptions, UdpSocket, UdpStack } from '@oasis/runtime';
import { findEphemeralPort } from './ephemeral-port.ts';
import { parseIpText } from './ip-address-text.ts';
import type { IpFamilyTypes } from './ip-network.ts';
import type { Ipv4Family } from './ipv4-network.ts';
import type { Ipv6Family } from './ipv6-network.ts';
import type { UdpLayer } from './udp-layer.ts';
import { DirectUdpSocket, type UdpBinding } from './udp-socket.ts';

export interface DirectUdpStackOptions {
  readonly ipv4: UdpLayer<Ipv4Family>;
  readonly ipv6: UdpLayer<Ipv6Family> | undefined;
  readonly random: Random;
  readonly drops: Counters;
  /** Datagrams a socket holds until it has a handler. */
  readonly receiveQueueLength: number;
  /** Throws ClosedError once the stack is closed. */
  readonly checkOpen: () => void;
}

interface Bindings {
  readonly text: string;
  readonly ipv4: UdpBinding<Ipv4Family> | undefined;
  readonly ipv6: UdpBinding<Ipv6Family> | undefined;
}

function free<F extends IpFamilyTypes>(binding: UdpBinding<F> | undefined, port: number): boolean {
  return binding === undefined || binding.layer.available(port, binding.address);
}

export class DirectUdpStack implements UdpStack {
  readonly #options: DirectUdpStackOptions;

  constructor(options: DirectUdpStackOptions) {
    this.#options = options;
  }

  async bind(options: UdpBindOptions = {}): Promise<UdpSocket> {
    this.#options.checkOpen();
    const bindings = this.#bindings(options.address);
    const requested = options.port ?? 0;
    if (!(Number.isInteger(requested) && requested >= 0 && requested <= 0xffff)) {
      throw new OasisError('EINVAL', `a UDP port is an integer in 0-65535, got ${requested}`);
    }
    const available = (port: number): boolean =>
      free(bindings.ipv4, port) && free(bindings.ipv6, port);
    const port = requested === 0 ? findEphemeralPort(this.#options.random, available) : requested;
    if (port === undefined) {
      throw new OasisError('EADDRINUSE', 'every ephemeral UDP port (49152-65535) is in use');
    }
    if (!available(port)) {
      throw new OasisError('EADDRINUSE', `UDP port ${port} on ${bindings.text} is already bound`);
    }
    return new DirectUdpSocket({
      local: { address: bindings.text, port },
      ipv4: bindings.ipv4,
      ipv6: bindings.ipv6,
      broadcast: options.broadcast ?? false,
      receiveQueueLength: this.#options.receiveQueueLength,
      drops: this.#options.drops,
    });
  }

  #bindings(address: string | undefined): Bindings {
    const { ipv4, ipv6 } = this.#options;
    if (address === undefined || address === '::') {
      return {
        text: ipv6 === undefined ? '0.0.0.0' : '::',
        ipv4: { layer: ipv4, address: undefined },
        ipv6: ipv6 === undefined ? undefined : { layer: ipv6, address: undefined },
      };
    }
    const parsed = parseIpText(address);
    const notOurs = () =>
      new OasisError(
        'EADDRNOTAVAIL',
        `${address} is not an address of this stack (bind to one of its addresses, '0.0.0.0' or '::')`,
      );
    if (parsed.family === 'IPv4') {
      const any = parsed.address === 0;
      if (!any && !ipv4.network.isLocal(parsed.address)) throw notOurs();
      return {
        text: address,
        ipv4: { layer: ipv4, address: any ? undefined : parsed.address },
        ipv6: undefined,
      };
    }
    if (ipv6 === undefined || !ipv6.network.isLocal(parsed.address)) throw notOurs();
    return {
      text: ipv6.network.format(parsed.address),
      ipv4: undefined,
      ipv6: { layer: ipv6, address: parsed.address },
    };
  }
}
