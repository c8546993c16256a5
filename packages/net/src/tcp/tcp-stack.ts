// The TcpStack a service gets from the direct stack: one TCP layer per address family behind one
// API. The text of an address picks the family. A listener on no address, or on '::', takes
// both families (as a Linux socket bound to :: does while net.ipv6.bindv6only is 0); '0.0.0.0'
// takes every IPv4 address only.

import { OasisError, type Random } from '@oasis/core';
import type {
  Flow,
  TcpConnectOptions,
  TcpEndpoint,
  TcpListener,
  TcpListenOptions,
  TcpStack,
} from '@oasis/runtime';
import { findEphemeralPort } from '../ephemeral-port.ts';
import { parseIpText } from '../ip-address-text.ts';
import type { IpFamilyTypes } from '../ip-network.ts';
import type { Ipv4Family } from '../ipv4-network.ts';
import type { Ipv6Family } from '../ipv6-network.ts';
import type { TcpLayer } from './tcp-layer.ts';
import { DirectTcpListener } from './tcp-listener.ts';

const DEFAULT_BACKLOG = 128;

/** One family's part of a listen: its layer and address (undefined: all of the family's). */
interface ListenTarget {
  available(port: number): boolean;
  portInUse(port: number): boolean;
  add(listener: DirectTcpListener, port: number): void;
  remove(listener: DirectTcpListener, port: number): void;
}

function target<F extends IpFamilyTypes>(
  layer: TcpLayer<F>,
  address: F['address'] | undefined,
): ListenTarget {
  return {
    available: (port) => layer.listenAvailable(port, address),
    portInUse: (port) => layer.portInUse(port),
    add: (listener, port) => layer.addListener(listener, address, port),
    remove: (listener, port) => layer.removeListener(listener, address, port),
  };
}

export class DirectTcpStack implements TcpStack {
  readonly #ipv4: TcpLayer<Ipv4Family>;
  readonly #ipv6: TcpLayer<Ipv6Family> | undefined;
  readonly #random: Random;

  constructor(ipv4: TcpLayer<Ipv4Family>, ipv6: TcpLayer<Ipv6Family> | undefined, random: Random) {
    this.#ipv4 = ipv4;
    this.#ipv6 = ipv6;
    this.#random = random;
  }

  async listen(options: TcpListenOptions): Promise<TcpListener> {
    this.#checkOpen();
    const requested = options.port;
    if (!(Number.isInteger(requested) && requested >= 0 && requested <= 0xffff)) {
      throw new OasisError('EINVAL', `a TCP port is an integer in 0-65535, got ${requested}`);
    }
    const backlog = options.backlog ?? DEFAULT_BACKLOG;
    if (!(Number.isInteger(backlog) && backlog >= 0)) {
      throw new OasisError('EINVAL', `a backlog is a non-negative integer, got ${backlog}`);
    }
    const { text, targets } = this.#listenTargets(options.address);
    const port =
      requested === 0
        ? findEphemeralPort(this.#random, (p) =>
            targets.every((t) => t.available(p) && !t.portInUse(p)),
          )
        : requested;
    if (port === undefined) {
      throw new OasisError('EADDRINUSE', 'every ephemeral TCP port (49152-65535) is in use');
    }
    if (!targets.every((t) => t.available(port))) {
      throw new OasisError('EADDRINUSE', `TCP port ${port} on ${text} is already listening`);
    }
    const listener = new DirectTcpListener({ address: text, port }, backlog, () => {
      for (const t of targets) t.remove(listener, port);
    });
    for (const t of targets) t.add(listener, port);
    return listener;
  }

  async connect(to: TcpEndpoint, options: TcpConnectOptions = {}): Promise<Flow> {
    this.#checkOpen();
    if (options.signal?.aborted) throw new OasisError('EABORTED', 'the connect was aborted');
    if (!(Number.isInteger(to.port) && to.port > 0 && to.port <= 0xffff)) {
      throw new OasisError(
        'EINVAL',
        `a TCP destination port is an integer in 1-65535, got ${to.port}`,
      );
    }
    const remote = parseIpText(to.address);
    const local =
      options.localAddress === undefined ? undefined : parseIpText(options.localAddress);
    if (local !== undefined && local.family !== remote.family) {
      throw new OasisError(
        'EINVAL',
        `cannot connect from ${options.localAddress} to ${to.address}: the families differ`,
      );
    }
    const { localPort, signal } = options;
    if (remote.family === 'IPv4') {
      const from = local?.family === 'IPv4' ? local.address : undefined;
      return this.#ipv4.connect(remote.address, to.port, from, localPort, signal);
    }
    const from = local?.family === 'IPv6' ? local.address : undefined;
    const ipv6 = this.#ipv6Layer('ENETUNREACH', to.address);
    return ipv6.connect(remote.address, to.port, from, localPort, signal);
  }

  #checkOpen(): void {
    if (this.#ipv4.isClosed) throw new OasisError('ECLOSED', 'the network stack is closed');
  }

  #ipv6Layer(code: 'ENETUNREACH' | 'EADDRNOTAVAIL', address: string): TcpLayer<Ipv6Family> {
    if (this.#ipv6 === undefined) {
      throw new OasisError(code, `${address} is IPv6, and this stack has no IPv6 (see --ipv6)`);
    }
    return this.#ipv6;
  }

  #listenTargets(address: string | undefined): { text: string; targets: ListenTarget[] } {
    if (address === undefined || address === '::') {
      const targets = [target(this.#ipv4, undefined)];
      if (this.#ipv6 !== undefined) targets.push(target(this.#ipv6, undefined));
      return { text: this.#ipv6 === undefined ? '0.0.0.0' : '::', targets };
    }
    const parsed = parseIpText(address);
    if (parsed.family === 'IPv4') {
      if (parsed.address !== 0 && !this.#ipv4.network.isLocal(parsed.address)) {
        throw new OasisError('EADDRNOTAVAIL', `${address} is not an address of this stack`);
      }
      return {
        text: address,
        targets: [target(this.#ipv4, parsed.address === 0 ? undefined : parsed.address)],
      };
    }
    const ipv6 = this.#ipv6Layer('EADDRNOTAVAIL', address);
    if (!ipv6.network.isLocal(parsed.address)) {
      throw new OasisError('EADDRNOTAVAIL', `${address} is not an address of this stack`);
    }
    return { text: ipv6.network.format(parsed.address), targets: [target(ipv6, parsed.address)] };
  }
}
