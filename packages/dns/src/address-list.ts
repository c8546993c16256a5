// A list of IPv4 networks written as CIDR text (`10.0.0.0/8`, `192.0.2.7`), asked whether an
// address (as the Stack reports it) is inside one of them: who may transfer a zone.

import { err, ok, type Result } from '@oasis/core';
import { ipv4InSubnet, parseIpv4Address, parseIpv4Cidr } from '@oasis/wire';

interface Network {
  readonly address: number;
  readonly prefixLength: number;
}

export class AddressList {
  readonly #networks: readonly Network[];

  private constructor(networks: readonly Network[]) {
    this.#networks = networks;
  }

  /** Nobody. */
  static readonly EMPTY = new AddressList([]);

  /** Parses `A.B.C.D/N` or a bare address (a /32). */
  static parse(entries: readonly string[]): Result<AddressList, string> {
    const networks: Network[] = [];
    for (const entry of entries) {
      const parsed = parseIpv4Cidr(entry.includes('/') ? entry : `${entry}/32`);
      if (!parsed.ok) return err(parsed.error);
      networks.push(parsed.value);
    }
    return ok(new AddressList(networks));
  }

  /** Whether `address` (dotted-quad text, or IPv4-mapped IPv6 as host sockets may report) is listed. */
  includes(address: string): boolean {
    const text = address.startsWith('::ffff:') ? address.slice(7) : address;
    const parsed = parseIpv4Address(text);
    if (!parsed.ok) return false;
    return this.#networks.some((network) =>
      ipv4InSubnet(parsed.value, network.address, network.prefixLength),
    );
  }
}
