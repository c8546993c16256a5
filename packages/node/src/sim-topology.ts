// The topology of a `sim` run (`--topology FILE`, JSON): the simulated network behind each of the
// service's stack devices, the clients on those networks with what each does when, and how long
// the run lasts. A topology is written by hand, so every mistake is reported with the path of
// the field it is in (`clients[1].actions[0].ping: expected an IPv4 or IPv6 address ..., got "x"`).
// IPv6 is optional on each network and client; the default topology is IPv4 only.

import { readFileSync } from 'node:fs';
import type { UdpEndpoint } from '@oasis/runtime';
import { type LinkConditions, resolveConditions } from '@oasis/sim';
import {
  formatIpv6Address,
  isIpv6Loopback,
  isIpv6Multicast,
  isIpv6Unspecified,
  parseIpv4Address,
  parseIpv4Cidr,
  parseIpv6Address,
  parseIpv6Cidr,
} from '@oasis/wire';

export interface SimTopology {
  /** Virtual time the run lasts. */
  readonly durationMs: number;
  /** One per stack device of the service, by the device's name. */
  readonly networks: Readonly<Record<string, SimTopologyNetwork>>;
  readonly clients: readonly SimTopologyClient[];
}

export interface SimTopologyNetwork {
  /** The service's address and prefix on this network: '10.0.0.2/24'. */
  readonly ipv4: string;
  /** The service's IPv6 address and prefix on this network, 'fd00::2/64'; absent for none. */
  readonly ipv6?: string;
  /** The link between the service and the network's switch. */
  readonly link: LinkConditions;
}

export interface SimTopologyClient {
  /** Lower-case letters, digits and dashes; unique. */
  readonly name: string;
  /** The stack device of the service whose network the client is on. */
  readonly network: string;
  /** At least one of ipv4 and ipv6: a client has either family, or both. */
  readonly ipv4?: string;
  readonly ipv6?: string;
  /** The link between the client and the network's switch. */
  readonly link: LinkConditions;
  readonly actions: readonly SimClientAction[];
}

/**
 * Something a client does at `atMs` of virtual time. IPv6 addresses (`to`, `to.address`) are in
 * RFC 5952 form, the form in which the stack names a reply's source.
 */
export type SimClientAction =
  | { readonly kind: 'ping'; readonly atMs: number; readonly to: string }
  | {
      readonly kind: 'udp';
      readonly atMs: number;
      readonly to: UdpEndpoint;
      readonly send: string;
      /** The reply's text; without it any reply, or none, is fine. */
      readonly expect?: string;
      readonly timeoutMs: number;
    };

export interface TopologyContext {
  /** The service's stack devices in declaration order: the networks a topology may name. */
  readonly stackDevices: readonly string[];
  /** `--duration-ms`, which overrides the file's. */
  readonly durationMs?: number | undefined;
}

/** A mistake in a topology; the message starts with the path of the field. */
export class TopologyError extends Error {
  override get name(): string {
    return 'TopologyError';
  }
}

export const DEFAULT_DURATION_MS = 10_000;
const DEFAULT_UDP_TIMEOUT_MS = 1000;
const CLIENT_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

// Every field of LinkConditions, checked by the compiler: a knob added to the simulator without
// being added here fails the typecheck instead of being refused as unknown.
const LINK_FIELDS: Readonly<Record<keyof LinkConditions, true>> = {
  latencyMs: true,
  jitterMs: true,
  bandwidthBitsPerSecond: true,
  queueFrames: true,
  loss: true,
  duplicate: true,
  reorder: true,
  reorderDelayMs: true,
  corrupt: true,
};

/** Reads and checks `file`; without one, the default topology. Throws TopologyError. */
export function readTopology(file: string | undefined, context: TopologyContext): SimTopology {
  if (file === undefined) return parseTopology({}, context);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new TopologyError(`cannot read it: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new TopologyError(`not JSON: ${(error as Error).message}`);
  }
  return parseTopology(json, context);
}

/**
 * Checks a topology parsed from JSON. A stack device the topology leaves out gets network
 * 10.<n>.0.2/24 (n its position among the stack devices) on a perfect link; durationMs defaults
 * to 10 s, and clients to none.
 */
export function parseTopology(json: unknown, context: TopologyContext): SimTopology {
  const top = fields(json, '', ['durationMs', 'networks', 'clients']);
  const durationMs =
    context.durationMs ??
    (top.durationMs === undefined ? DEFAULT_DURATION_MS : integer(top.durationMs, 'durationMs', 1));
  const networks: Record<string, SimTopologyNetwork> = Object.fromEntries(
    context.stackDevices.map((device, n) => [device, { ipv4: `10.${n}.0.2/24`, link: {} }]),
  );
  const given =
    top.networks === undefined
      ? {}
      : fields(top.networks, 'networks', context.stackDevices, 'network');
  for (const [device, value] of Object.entries(given)) {
    const path = `networks.${device}`;
    const network = fields(value, path, ['ipv4', 'ipv6', 'link']);
    networks[device] = {
      ipv4:
        network.ipv4 === undefined
          ? (networks[device] as SimTopologyNetwork).ipv4
          : cidr(network.ipv4, `${path}.ipv4`),
      ...(network.ipv6 === undefined ? {} : { ipv6: cidr6(network.ipv6, `${path}.ipv6`) }),
      link: link(network.link, `${path}.link`),
    };
  }
  const clients = (top.clients === undefined ? [] : list(top.clients, 'clients')).map((value, i) =>
    client(value, `clients[${i}]`, context.stackDevices, durationMs),
  );
  clients.forEach(({ name }, i) => {
    const first = clients.findIndex((other) => other.name === name);
    if (first !== i)
      fail(`clients[${i}].name`, `'${name}' is already the name of clients[${first}]`);
  });
  return { durationMs, networks, clients };
}

function client(
  value: unknown,
  path: string,
  stackDevices: readonly string[],
  durationMs: number,
): SimTopologyClient {
  const given = fields(value, path, ['name', 'network', 'ipv4', 'ipv6', 'link', 'actions']);
  const name = text(given.name, `${path}.name`);
  if (!CLIENT_NAME.test(name))
    fail(`${path}.name`, `use lower-case letters, digits and dashes, got ${shown(name)}`);
  const network = text(given.network, `${path}.network`);
  if (!stackDevices.includes(network)) {
    fail(
      `${path}.network`,
      `expected a stack device of the service (${known(stackDevices)}), got ${shown(network)}`,
    );
  }
  // Without ipv6, ipv4 is required: a client without either is told about ipv4, as before IPv6.
  const ipv4 =
    given.ipv4 === undefined && given.ipv6 !== undefined
      ? undefined
      : cidr(given.ipv4, `${path}.ipv4`);
  const ipv6 = given.ipv6 === undefined ? undefined : cidr6(given.ipv6, `${path}.ipv6`);
  const families: Families = { ipv4: ipv4 !== undefined, ipv6: ipv6 !== undefined };
  const actions = given.actions === undefined ? [] : list(given.actions, `${path}.actions`);
  return {
    name,
    network,
    ...(ipv4 === undefined ? {} : { ipv4 }),
    ...(ipv6 === undefined ? {} : { ipv6 }),
    link: link(given.link, `${path}.link`),
    actions: actions.map((entry, i) =>
      action(entry, `${path}.actions[${i}]`, durationMs, families),
    ),
  };
}

type Family = 'ipv4' | 'ipv6';
/** Which families a client has an address in. */
type Families = Readonly<Record<Family, boolean>>;

function action(
  value: unknown,
  path: string,
  durationMs: number,
  families: Families,
): SimClientAction {
  const given = fields(value, path, ['atMs', 'ping', 'udp']);
  const atMs = integer(given.atMs, `${path}.atMs`, 0);
  if (atMs >= durationMs) {
    fail(`${path}.atMs`, `${atMs} is not before the end of the run (durationMs ${durationMs})`);
  }
  if ((given.ping === undefined) === (given.udp === undefined)) {
    fail(path, 'expected one of "ping" or "udp"');
  }
  if (given.ping !== undefined)
    return { kind: 'ping', atMs, to: address(given.ping, `${path}.ping`, families) };
  const udpPath = `${path}.udp`;
  const udp = fields(given.udp, udpPath, ['to', 'send', 'expect', 'timeoutMs']);
  return {
    kind: 'udp',
    atMs,
    to: endpoint(udp.to, `${udpPath}.to`, families),
    send: text(udp.send, `${udpPath}.send`),
    ...(udp.expect === undefined ? {} : { expect: text(udp.expect, `${udpPath}.expect`) }),
    timeoutMs:
      udp.timeoutMs === undefined
        ? DEFAULT_UDP_TIMEOUT_MS
        : integer(udp.timeoutMs, `${udpPath}.timeoutMs`, 1),
  };
}

function link(value: unknown, path: string): LinkConditions {
  if (value === undefined) return {};
  const given = fields(value, path, Object.keys(LINK_FIELDS));
  for (const [key, field] of Object.entries(given)) {
    if (typeof field !== 'number') fail(`${path}.${key}`, `expected a number, got ${shown(field)}`);
    try {
      // The simulator's own check, one knob at a time so that the error names the knob.
      resolveConditions({ [key]: field });
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      fail(`${path}.${key}`, error.message);
    }
  }
  return given as LinkConditions;
}

function fail(path: string, problem: string): never {
  throw new TopologyError(`${path === '' ? 'the topology' : path}: ${problem}`);
}

/** `value` as a JSON object with only `allowed` keys. */
function fields<const K extends string>(
  value: unknown,
  path: string,
  allowed: readonly K[],
  kind = 'field',
): { readonly [key in K]?: unknown } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(path, `expected an object, got ${shown(value)}`);
  }
  for (const key of Object.keys(value)) {
    if (!(allowed as readonly string[]).includes(key)) {
      fail(path === '' ? key : `${path}.${key}`, `unknown ${kind} (expected ${known(allowed)})`);
    }
  }
  return value as { readonly [key in K]?: unknown };
}

function list(value: unknown, path: string): readonly unknown[] {
  if (!Array.isArray(value)) fail(path, `expected a list, got ${shown(value)}`);
  return value;
}

function text(value: unknown, path: string): string {
  if (typeof value !== 'string') fail(path, `expected a string, got ${shown(value)}`);
  return value;
}

function integer(value: unknown, path: string, min: number): number {
  if (!(typeof value === 'number' && Number.isSafeInteger(value) && value >= min)) {
    fail(path, `expected an integer >= ${min}, got ${shown(value)}`);
  }
  return value;
}

function cidr(value: unknown, path: string): string {
  if (typeof value !== 'string' || !parseIpv4Cidr(value).ok) {
    fail(path, `expected an address and prefix length such as 10.0.0.2/24, got ${shown(value)}`);
  }
  return value;
}

// What no interface may have (RFC 4291): the stack refuses these as static addresses, so they are
// refused here, where the error names the field.
const NOT_AN_INTERFACE_ADDRESS: readonly [(address: Uint8Array) => boolean, string][] = [
  [isIpv6Unspecified, 'the unspecified address (RFC 4291 §2.5.2)'],
  [isIpv6Loopback, 'the loopback address (RFC 4291 §2.5.3)'],
  [isIpv6Multicast, 'a multicast address (RFC 4291 §2.7)'],
];

function cidr6(value: unknown, path: string): string {
  const parsed = typeof value === 'string' ? parseIpv6Cidr(value) : undefined;
  if (parsed === undefined || !parsed.ok) {
    fail(path, `expected an address and prefix length such as fd00::2/64, got ${shown(value)}`);
  }
  const { address, prefixLength } = parsed.value;
  for (const [test, what] of NOT_AN_INTERFACE_ADDRESS) {
    if (test(address)) fail(path, `${shown(value)} is ${what}, which no interface may have`);
  }
  // Length 0 would put every address on the link (RFC 4861 §2.1, on-link); the stack refuses it.
  if (prefixLength === 0) fail(path, `expected a prefix length of 1-128, got ${shown(value)}`);
  return value as string;
}

/** The address `text` names and its family, IPv6 in RFC 5952 form; undefined when none. */
function ipAddress(text: string): { readonly family: Family; readonly text: string } | undefined {
  if (parseIpv4Address(text).ok) return { family: 'ipv4', text };
  const ipv6 = parseIpv6Address(text);
  return ipv6.ok ? { family: 'ipv6', text: formatIpv6Address(ipv6.value) } : undefined;
}

/** Refuses a destination in a family the client has no address in: it could never reach it. */
function reachable(family: Family, families: Families, path: string, value: string): void {
  if (!families[family]) {
    fail(
      path,
      `${value} is ${family === 'ipv4' ? 'IPv4' : 'IPv6'}, and the client has no ${family} address`,
    );
  }
}

function address(value: unknown, path: string, families: Families): string {
  const parsed = typeof value === 'string' ? ipAddress(value) : undefined;
  if (parsed === undefined) {
    fail(path, `expected an IPv4 or IPv6 address such as 10.0.0.2 or fd00::2, got ${shown(value)}`);
  }
  reachable(parsed.family, families, path, value as string);
  return parsed.text;
}

/**
 * `ADDRESS:PORT` for IPv4, `[ADDRESS]:PORT` for IPv6: brackets set the address's colons apart from
 * the port's, as in URLs (RFC 3986 §3.2.2) and as ss(8) writes them.
 */
function endpoint(value: unknown, path: string, families: Families): UdpEndpoint {
  const match =
    typeof value === 'string' ? /^(?:\[([^\]]*)\]|([^:[\]]*)):(\d{1,5})$/.exec(value) : null;
  const [, ipv6Text, ipv4Text, portText] = match ?? [];
  const parsed = ipAddress(ipv6Text ?? ipv4Text ?? '');
  const port = Number(portText);
  // An IPv4 address in brackets is refused: RFC 3986 §3.2.2 brackets only IPv6 literals (and
  // the unbracketed form cannot hold a colon, so an IPv6 address there never matches).
  const bracketsFit = parsed?.family === (ipv6Text === undefined ? 'ipv4' : 'ipv6');
  if (parsed === undefined || !bracketsFit || !(port >= 1 && port <= 65535)) {
    fail(
      path,
      `expected ADDRESS:PORT or [IPV6-ADDRESS]:PORT such as 10.0.0.2:7 or [fd00::2]:7, got ${shown(value)}`,
    );
  }
  reachable(parsed.family, families, path, value as string);
  return { address: parsed.text, port };
}

function known(names: readonly string[]): string {
  return names.length === 0 ? 'there are none' : names.join(', ');
}

/** A value as the error shows it: short, and `nothing` for a missing field. */
function shown(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object' && value !== null) return 'an object';
  return JSON.stringify(value);
}
