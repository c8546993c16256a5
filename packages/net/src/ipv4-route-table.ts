// Static IPv4 routes and next-hop selection. A host chooses the first hop of each datagram from
// its routes (RFC 1122 §3.3.1.1-3.3.1.2); the choice is the longest matching prefix
// (RFC 1812 §5.2.4.3), here with the lowest metric and then the oldest route breaking ties.
// Routes are kept in that order, so a lookup is one scan that stops at the first match, which
// is fast for the tens of routes a host or small appliance has.

import { formatIpv4Address, ipv4InSubnet, ipv4Netmask, isIpv4Address } from '@oasis/wire';

export interface Ipv4Route {
  /** The destination network, host bits zero. 0.0.0.0/0 is the default route. */
  readonly network: number;
  /** 0-32. */
  readonly prefixLength: number;
  /** The router to send through; undefined on-link, where the destination is the next hop. */
  readonly gateway: number | undefined;
  readonly interfaceIndex: number;
  /** Lower wins among routes of equal prefix length. */
  readonly metric: number;
}

/** A route as given to `add`: the metric defaults to 0. */
export type Ipv4RouteInit = Omit<Ipv4Route, 'metric'> & { readonly metric?: number };

export interface Ipv4NextHop {
  readonly route: Ipv4Route;
  /** The address to resolve on the route's interface: the gateway, or the destination itself. */
  readonly nextHop: number;
}

export class Ipv4RouteTable {
  /** By prefix length descending, then metric ascending, then insertion order. */
  #routes: Ipv4Route[] = [];

  /**
   * Adds a route and returns it as stored (frozen, metric filled in). Throws RangeError for host
   * bits set in `network`, a prefix length outside 0-32, a bad gateway, interface index or
   * metric, or a route with the same network, prefix, gateway and interface already present.
   */
  add(init: Ipv4RouteInit): Ipv4Route {
    const route: Ipv4Route = Object.freeze({
      network: init.network,
      prefixLength: init.prefixLength,
      gateway: init.gateway,
      interfaceIndex: init.interfaceIndex,
      metric: init.metric ?? 0,
    });
    validate(route);
    const existing = this.#routes.find(
      (other) =>
        other.network === route.network &&
        other.prefixLength === route.prefixLength &&
        other.gateway === route.gateway &&
        other.interfaceIndex === route.interfaceIndex,
    );
    if (existing !== undefined) {
      throw new RangeError(
        `a route to ${describe(route)} already exists (metric ${existing.metric}): remove it first to change it`,
      );
    }
    let index = this.#routes.findIndex(
      (other) =>
        other.prefixLength < route.prefixLength ||
        (other.prefixLength === route.prefixLength && other.metric > route.metric),
    );
    if (index < 0) index = this.#routes.length;
    this.#routes.splice(index, 0, route);
    return route;
  }

  /** Removes every route the predicate selects; returns how many. */
  remove(predicate: (route: Ipv4Route) => boolean): number {
    const before = this.#routes.length;
    this.#routes = this.#routes.filter((route) => !predicate(route));
    return before - this.#routes.length;
  }

  /** The route for `destination` and the next hop it gives, or undefined if no route matches. */
  lookup(destination: number): Ipv4NextHop | undefined {
    const route = this.routeFor(destination);
    return route === undefined ? undefined : { route, nextHop: route.gateway ?? destination };
  }

  /** The route `lookup` takes, without allocating: the forwarding path asks once per packet. */
  routeFor(destination: number): Ipv4Route | undefined {
    for (const route of this.#routes) {
      if (ipv4InSubnet(destination, route.network, route.prefixLength)) return route;
    }
    return undefined;
  }

  /** A snapshot of the routes in lookup order. */
  routes(): readonly Ipv4Route[] {
    return this.#routes.slice();
  }
}

function validate(route: Ipv4Route): void {
  const { network, prefixLength, gateway, interfaceIndex, metric } = route;
  if (!isIpv4Address(network)) {
    throw new RangeError(
      `route network ${network} is not an IPv4 address: use an integer in 0-4294967295`,
    );
  }
  if (!(Number.isInteger(prefixLength) && prefixLength >= 0 && prefixLength <= 32)) {
    throw new RangeError(`route prefix length must be an integer in 0-32, got ${prefixLength}`);
  }
  const masked = (network & ipv4Netmask(prefixLength)) >>> 0;
  if (masked !== network) {
    throw new RangeError(
      `route ${formatIpv4Address(network)}/${prefixLength} has host bits set: use ${formatIpv4Address(masked)}/${prefixLength}`,
    );
  }
  if (gateway !== undefined && !isIpv4Address(gateway)) {
    throw new RangeError(
      `route gateway ${gateway} is not an IPv4 address: use an integer in 0-4294967295, or undefined for on-link`,
    );
  }
  if (!(Number.isInteger(interfaceIndex) && interfaceIndex >= 0)) {
    throw new RangeError(`route interface index must be an integer >= 0, got ${interfaceIndex}`);
  }
  if (!(Number.isSafeInteger(metric) && metric >= 0)) {
    throw new RangeError(`route metric must be an integer >= 0, got ${metric}`);
  }
}

function describe(route: Ipv4Route): string {
  const via = route.gateway === undefined ? 'on-link' : `via ${formatIpv4Address(route.gateway)}`;
  return `${formatIpv4Address(route.network)}/${route.prefixLength} ${via} on interface ${route.interfaceIndex}`;
}
