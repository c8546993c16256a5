// The rules file: one rule per line, first match wins, no match drops.
//
//   <client-address|*> <accept|drop> [proto=tcp|udp|icmp] [dst=CIDR | dstname=DNS-NAME]
//       [dstports=N[-M]] [icmptype=N] [specialtarget=dns]
//
// `#` starts a comment; blank lines are ignored; fields are separated by spaces or tabs; keys
// may come in any order, each at most once. The keys keep the meanings Qubes OS gives them
// (qubes-doc developer/debugging/vm-interface "Firewall rules in 4.x"; validation as in
// qubes-core-admin qubes/firewall.py): `dst` is Qubes' dst4, `dstname` its dsthost; dstports
// only with tcp or udp, icmptype only with icmp; at most one destination per rule. Where Qubes
// is loose this parser is strict, because a firewall rule that means something other than what
// its author thought is worse than one refused at load time: ports are 1-65535 (Qubes lets 0
// and 65536 through), a CIDR with host bits set is refused rather than silently masked, and
// specialtarget=dns with dstports is an error (Qubes skips the rule unless the ports are 53).
//
// The first error in the file is reported, as `FILE:LINE: reason`.

import { err, ok, type Result } from '@oasis/core';
import {
  formatIpv4Address,
  IP_PROTOCOL_ICMP,
  IP_PROTOCOL_TCP,
  IP_PROTOCOL_UDP,
  ipv4Netmask,
  parseIpv4Address,
  parseIpv4Cidr,
} from '@oasis/wire';
import { dstnameKey, type FirewallRule, RULE_PROTOCOLS, type RulePrefix } from './firewall-rule.ts';

const KEYS = ['proto', 'dst', 'dstname', 'dstports', 'icmptype', 'specialtarget'] as const;
type Key = (typeof KEYS)[number];

export function parseRules(
  text: string,
  fileName: string,
): Result<readonly FirewallRule[], string> {
  const rules: FirewallRule[] = [];
  // A byte order mark is an editor's artefact, not part of the first rule.
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  for (let index = 0; index < lines.length; index++) {
    const parsed = parseLine(lines[index]!, index + 1);
    if (typeof parsed === 'string') return err(`${fileName}:${index + 1}: ${parsed}`);
    if (parsed !== undefined) rules.push(parsed);
  }
  return ok(rules);
}

/** The rule on a line, undefined for a blank or comment line, or the reason it is wrong. */
function parseLine(raw: string, line: number): FirewallRule | undefined | string {
  const hash = raw.indexOf('#');
  const text = (hash < 0 ? raw : raw.slice(0, hash)).replace(/^[ \t\r]+|[ \t\r]+$/g, '');
  if (text === '') return undefined;
  const [clientText, actionText, ...options] = text.split(/[ \t]+/) as [string, ...string[]];

  if (isAction(clientText)) {
    return `missing client address before '${clientText}': use an address, a CIDR or * for any client`;
  }
  const client = clientText === '*' ? undefined : parsePrefix(clientText);
  if (typeof client === 'string') return `bad client address: ${client}`;

  if (actionText === undefined) return 'missing action: expected accept or drop after the client';
  if (actionText.includes('=')) {
    return `missing action before '${actionText}': expected accept or drop after the client`;
  }
  if (!isAction(actionText)) return `unknown action '${actionText}': expected accept or drop`;

  const fields: Fields = {
    protocol: undefined,
    destination: undefined,
    destinationName: undefined,
    ports: undefined,
    icmpType: undefined,
    dns: false,
  };
  const seen = new Set<Key>();
  for (const option of options) {
    const equals = option.indexOf('=');
    if (equals <= 0) return `expected key=value, got '${option}'`;
    const key = option.slice(0, equals).toLowerCase();
    const value = option.slice(equals + 1);
    if (!isKey(key)) return `unknown key '${key}': expected ${KEYS.join(', ')}`;
    if (seen.has(key)) return `duplicate key '${key}'`;
    seen.add(key);
    if (value === '') return `empty value for '${key}'`;
    const problem = parseOption(key, value, fields);
    if (problem !== undefined) return problem;
  }
  const combination = checkCombination(fields);
  if (combination !== undefined) return combination;
  return {
    line,
    text,
    client,
    action: actionText.toLowerCase() as FirewallRule['action'],
    ...fields,
  };
}

/** What the key=value options set, filled in as they are read. */
type Fields = {
  -readonly [K in Exclude<
    keyof FirewallRule,
    'line' | 'text' | 'client' | 'action'
  >]: FirewallRule[K];
};

/** Reads one key's value into `fields`; the reason it is wrong, if it is. */
function parseOption(key: Key, value: string, fields: Fields): string | undefined {
  switch (key) {
    case 'proto': {
      const protocol = RULE_PROTOCOLS.get(value.toLowerCase());
      if (protocol === undefined) {
        return `unknown protocol '${value}': expected ${[...RULE_PROTOCOLS.keys()].join(', ')}`;
      }
      fields.protocol = protocol;
      return undefined;
    }
    case 'dst': {
      const destination = parsePrefix(value);
      if (typeof destination === 'string') return `bad dst: ${destination}`;
      fields.destination = destination;
      return undefined;
    }
    case 'dstname': {
      const name = parseDnsName(value);
      if (!name.ok) return name.error;
      fields.destinationName = name.value;
      return undefined;
    }
    case 'dstports': {
      const ports = parsePorts(value);
      if (typeof ports === 'string') return ports;
      fields.ports = ports;
      return undefined;
    }
    case 'icmptype': {
      const icmpType = parseIcmpType(value);
      if (typeof icmpType === 'string') return icmpType;
      fields.icmpType = icmpType;
      return undefined;
    }
    case 'specialtarget':
      if (value.toLowerCase() !== 'dns') {
        return `unknown specialtarget '${value}': only specialtarget=dns is defined`;
      }
      fields.dns = true;
      return undefined;
  }
}

/** The constraints between keys (vm-interface "Firewall rules in 4.x"), or the first broken. */
function checkCombination(fields: Fields): string | undefined {
  const { protocol, destination, destinationName, ports, icmpType, dns } = fields;
  // "Only one of dst4, dst6 or dsthost can be used in a single rule."
  if (destination !== undefined && destinationName !== undefined) {
    return 'both dst and dstname: a rule has at most one destination';
  }
  // specialtarget=dns "should match DNS traffic to default DNS server ... on both TCP and UDP":
  // it names the destination and the port itself, and only TCP or UDP can reach it.
  if (dns) {
    if (protocol === IP_PROTOCOL_ICMP) {
      return 'specialtarget=dns needs proto=tcp, proto=udp or no proto';
    }
    for (const [key, value] of [
      ['dst', destination],
      ['dstname', destinationName],
      ['dstports', ports],
    ] as const) {
      if (value !== undefined) {
        return `specialtarget=dns cannot be combined with ${key}: it already means the firewall's DNS service on port 53`;
      }
    }
  }
  // "dstports ... valid only together with proto=tcp or proto=udp"
  if (ports !== undefined && protocol !== IP_PROTOCOL_TCP && protocol !== IP_PROTOCOL_UDP) {
    return 'dstports needs proto=tcp or proto=udp';
  }
  // "icmptype ... valid only together with proto=icmp"
  if (icmpType !== undefined && protocol !== IP_PROTOCOL_ICMP) {
    return 'icmptype needs proto=icmp';
  }
  return undefined;
}

function isAction(text: string): boolean {
  const lower = text.toLowerCase();
  return lower === 'accept' || lower === 'drop';
}

function isKey(key: string): key is Key {
  return (KEYS as readonly string[]).includes(key);
}

/**
 * `a.b.c.d` (a host, /32) or `a.b.c.d/n`. A prefix with host bits set is refused: whether
 * `10.0.0.5/24` meant the host or its network is exactly what a firewall must not guess.
 */
function parsePrefix(text: string): RulePrefix | string {
  const parsed = text.includes('/') ? parseIpv4Cidr(text) : parseIpv4Address(text);
  if (!parsed.ok) return parsed.error;
  const prefix =
    typeof parsed.value === 'number' ? { address: parsed.value, prefixLength: 32 } : parsed.value;
  const network = (prefix.address & ipv4Netmask(prefix.prefixLength)) >>> 0;
  if (network !== prefix.address) {
    const host = text.slice(0, text.indexOf('/'));
    return `'${text}' has host bits set: write ${formatIpv4Address(network)}/${prefix.prefixLength} for the network or ${host} for the host`;
  }
  return prefix;
}

/**
 * A name to resolve: labels of letters, digits, hyphens and underscores (the characters Qubes
 * allows in dsthost), 1-63 octets each, 253 in all (RFC 1035 §2.3.4), no label starting or
 * ending with a hyphen (RFC 1123 §2.1). The name comes back in its key form (dstnameKey).
 */
function parseDnsName(text: string): Result<string, string> {
  const name = dstnameKey(text);
  const bad = `bad dstname '${text}'`;
  if (parseIpv4Address(name).ok) return err(`${bad}: that is an address, write dst=${name}`);
  if (name.length === 0 || name.length > 253) return err(`${bad}: a DNS name has 1-253 characters`);
  const labels = name.split('.');
  for (const label of labels) {
    if (label.length === 0) return err(`${bad}: empty label`);
    if (label.length > 63) return err(`${bad}: label '${label}' is longer than 63 characters`);
    if (!/^[a-z0-9_-]+$/.test(label)) {
      return err(`${bad}: label '${label}' has a character other than a letter, digit, '-' or '_'`);
    }
    if (label.startsWith('-') || label.endsWith('-')) {
      return err(`${bad}: label '${label}' starts or ends with '-'`);
    }
  }
  // RFC 3696 §2: a top-level domain is never all-numeric, so such a name is a typo'd address.
  if (/^[0-9]+$/.test(labels[labels.length - 1]!)) {
    return err(`${bad}: the last label is all digits, which no DNS name has`);
  }
  return ok(name);
}

function parsePorts(text: string): { readonly first: number; readonly last: number } | string {
  const match = /^([0-9]+)(?:-([0-9]+))?$/.exec(text);
  if (match === null) return `bad dstports '${text}': expected a port N or a range N-M`;
  const firstText = match[1]!;
  const lastText = match[2] ?? firstText;
  for (const port of [firstText, lastText]) {
    if (!(Number(port) >= 1 && Number(port) <= 65535)) return `port ${port} out of range (1-65535)`;
  }
  const first = Number(firstText);
  const last = Number(lastText);
  if (first > last) return `reversed port range ${text}: the first port must not exceed the last`;
  return { first, last };
}

function parseIcmpType(text: string): number | string {
  if (!/^[0-9]+$/.test(text)) return `bad icmptype '${text}': expected a number 0-255`;
  const type = Number(text);
  if (type > 255) return `icmptype ${text} out of range (0-255)`;
  return type;
}
