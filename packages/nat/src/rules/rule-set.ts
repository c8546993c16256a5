// The rules in force: asked once per new flow which rule decides it (established flows are not
// re-checked), first match wins, no match drops, as Qubes applies its lists (qubes-doc
// developer/debugging/vm-interface "Firewall rules in 4.x": "A rule matches only when all
// predicates match"). Matching allocates nothing. Each rule counts its matches so the firewall
// can report which rules are used.
//
// A dstname rule matches the addresses its name currently resolves to, which the
// DstnameResolver (dstname-resolver.ts) keeps up to date through setAddresses. Until a name
// has addresses the rule matches nothing: an accept rule does not open, a drop rule does not
// close, and the flow falls through to the next rule.

import { IP_PROTOCOL_TCP, IP_PROTOCOL_UDP, ipv4InSubnet, isIpv4Address } from '@oasis/wire';
import { dstnameKey, type FirewallRule, type RulePrefix } from './firewall-rule.ts';

const NO_ADDRESSES: readonly number[] = [];

export class RuleSet {
  readonly rules: readonly FirewallRule[];
  /** Rule indexes by dstname. */
  readonly #rulesByName = new Map<string, number[]>();
  /** Per rule, the addresses its dstname has now (NO_ADDRESSES without a dstname). */
  readonly #addresses: (readonly number[])[];
  readonly #byRule: Float64Array;
  #unmatched = 0;

  constructor(rules: readonly FirewallRule[]) {
    this.rules = rules;
    this.#addresses = rules.map(() => NO_ADDRESSES);
    this.#byRule = new Float64Array(rules.length);
    rules.forEach((rule, index) => {
      if (rule.destinationName === undefined) return;
      const indexes = this.#rulesByName.get(rule.destinationName);
      if (indexes === undefined) this.#rulesByName.set(rule.destinationName, [index]);
      else indexes.push(index);
    });
  }

  /** The distinct dstname names, for the resolver. */
  names(): readonly string[] {
    return [...this.#rulesByName.keys()];
  }

  /** The current addresses of a dstname (replacing earlier ones); unknown names are ignored. */
  setAddresses(name: string, addresses: readonly number[]): void {
    for (const address of addresses) {
      if (!isIpv4Address(address)) {
        throw new RangeError(
          `${address} is not an IPv4 address: use an integer in 0-4294967295 (end bit operations with >>> 0)`,
        );
      }
    }
    const indexes = this.#rulesByName.get(dstnameKey(name));
    if (indexes === undefined) return;
    const copy = [...new Set(addresses)].sort((a, b) => a - b);
    for (const index of indexes) this.#addresses[index] = copy;
  }

  /** The addresses a dstname has now, sorted; none for a name not yet resolved or not in the set. */
  addressesOf(name: string): readonly number[] {
    const index = this.#rulesByName.get(dstnameKey(name))?.[0];
    return index === undefined ? NO_ADDRESSES : this.#addresses[index]!;
  }

  /**
   * The index of the first rule matching a new flow, or -1 (no match: drop). `toDnsService`: the
   * packet goes to the firewall's DNS address on port 53. `port`: destination port (TCP/UDP),
   * `icmpType` for ICMP. A dstname rule whose name has no addresses yet matches nothing.
   * Counts the match (per rule; `unmatched` for -1).
   */
  match(
    client: number,
    protocol: number,
    destination: number,
    port: number,
    icmpType: number,
    toDnsService: boolean,
  ): number {
    const rules = this.rules;
    for (let index = 0; index < rules.length; index++) {
      const rule = rules[index]!;
      if (!inPrefix(client, rule.client)) continue;
      // specialtarget=dns "should match DNS traffic to default DNS server (but not any DNS
      // server), on both TCP and UDP" (vm-interface "Firewall rules in 4.x").
      if (rule.dns && !(toDnsService && isTcpOrUdp(protocol))) continue;
      if (rule.protocol !== undefined && rule.protocol !== protocol) continue;
      if (!inPrefix(destination, rule.destination)) continue;
      if (rule.destinationName !== undefined && !this.#addresses[index]!.includes(destination)) {
        continue;
      }
      // The parser allows ports only with proto=tcp|udp and icmptype only with proto=icmp, so
      // the protocol has been checked by now.
      if (rule.ports !== undefined && (port < rule.ports.first || port > rule.ports.last)) continue;
      if (rule.icmpType !== undefined && rule.icmpType !== icmpType) continue;
      this.#byRule[index]!++;
      return index;
    }
    this.#unmatched++;
    return -1;
  }

  /** Matches per rule index since this set was made, and the unmatched count. */
  counts(): { readonly byRule: readonly number[]; readonly unmatched: number } {
    return { byRule: Array.from(this.#byRule), unmatched: this.#unmatched };
  }
}

/** Whether `address` is in `prefix`; undefined is `*`, any address. */
function inPrefix(address: number, prefix: RulePrefix | undefined): boolean {
  return prefix === undefined || ipv4InSubnet(address, prefix.address, prefix.prefixLength);
}

function isTcpOrUdp(protocol: number): boolean {
  return protocol === IP_PROTOCOL_TCP || protocol === IP_PROTOCOL_UDP;
}
