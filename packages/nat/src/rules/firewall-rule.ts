// One line of a firewall rules file, parsed: which new flows it matches and what happens to
// them. The fields are those of a Qubes OS 4.x firewall rule (qubes-doc
// developer/debugging/vm-interface "Firewall rules in 4.x": action, proto, dst4/dsthost,
// dstports, icmptype, specialtarget), with the client that Qubes keys its rule lists by
// (/qubes-firewall/SOURCE_IP) written at the start of each line instead.

import { formatIpv4Address, IP_PROTOCOL_ICMP, IP_PROTOCOL_TCP, IP_PROTOCOL_UDP } from '@oasis/wire';

/** An address with a prefix length whose host bits are zero (the parser refuses others). */
export interface RulePrefix {
  readonly address: number;
  readonly prefixLength: number;
}

export interface FirewallRule {
  /** 1-based line in the file. */
  readonly line: number;
  /** The rule as written, comment stripped, trimmed. */
  readonly text: string;
  /** The client's source network; undefined for `*`, any client. */
  readonly client: RulePrefix | undefined;
  readonly action: 'accept' | 'drop';
  /** 6, 17, 1, or undefined for any protocol. */
  readonly protocol: number | undefined;
  readonly destination: RulePrefix | undefined;
  /** A DNS name whose A records are the destinations; lower-case, no trailing dot. */
  readonly destinationName: string | undefined;
  /** Destination ports, inclusive; only with TCP or UDP. */
  readonly ports: { readonly first: number; readonly last: number } | undefined;
  /** Only with ICMP. */
  readonly icmpType: number | undefined;
  /** specialtarget=dns: the flow goes to the firewall's own DNS service. */
  readonly dns: boolean;
}

/** The `proto=` names and their IP protocol numbers (RFC 790 "Assigned Internet Protocol Numbers"). */
export const RULE_PROTOCOLS: ReadonlyMap<string, number> = new Map([
  ['tcp', IP_PROTOCOL_TCP],
  ['udp', IP_PROTOCOL_UDP],
  ['icmp', IP_PROTOCOL_ICMP],
]);

/**
 * The form under which a dstname is kept and looked up: DNS names compare case-insensitively
 * (RFC 4343 §3) and `example.com.` is the fully qualified `example.com`.
 */
export function dstnameKey(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/**
 * The rule in the file's syntax, fields in a fixed order, for reports and logs. Parsing the
 * result gives the same rule (line and text aside).
 */
export function formatRule(rule: FirewallRule): string {
  const parts = [rule.client === undefined ? '*' : formatPrefix(rule.client), rule.action];
  if (rule.protocol !== undefined) parts.push(`proto=${protocolName(rule.protocol)}`);
  if (rule.destination !== undefined) parts.push(`dst=${formatPrefix(rule.destination)}`);
  if (rule.destinationName !== undefined) parts.push(`dstname=${rule.destinationName}`);
  if (rule.ports !== undefined) {
    const { first, last } = rule.ports;
    parts.push(first === last ? `dstports=${first}` : `dstports=${first}-${last}`);
  }
  if (rule.icmpType !== undefined) parts.push(`icmptype=${rule.icmpType}`);
  if (rule.dns) parts.push('specialtarget=dns');
  return parts.join(' ');
}

/** A host (/32) as a bare address, as the rules file allows. */
function formatPrefix(prefix: RulePrefix): string {
  const address = formatIpv4Address(prefix.address);
  return prefix.prefixLength === 32 ? address : `${address}/${prefix.prefixLength}`;
}

function protocolName(protocol: number): string {
  for (const [name, number] of RULE_PROTOCOLS) if (number === protocol) return name;
  throw new RangeError(`protocol ${protocol} has no name in a rules file: use 6, 17 or 1`);
}
