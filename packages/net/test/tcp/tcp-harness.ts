// Test tools for TCP in virtual time: a tap device that records every TCP segment a stack sends
// and receives (with the virtual time), drops the ones a predicate picks and injects hand-made
// frames; hosts whose NIC sits behind such a tap; a scripted raw peer that answers ARP and sends
// exactly the segments a test writes; frame builders and stream helpers.

import { createLogger, MemorySink, SeededRandom } from '@oasis/core';
import type {
  Flow,
  Frame,
  FrameHandler,
  NetDevice,
  NetDeviceCounters,
  OffloadCapabilities,
} from '@oasis/runtime';
import { type LinkConditions, SimNetwork, type SimNic } from '@oasis/sim';
import {
  BROADCAST_MAC,
  ETHERNET_HEADER_LENGTH,
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  emitArp,
  emitIpv4,
  emitTcp,
  IP_PROTOCOL_TCP,
  Ipv4Packet,
  ipv4PseudoHeaderSum,
  ParsedTcpOptions,
  parseArp,
  parseIpv4Address,
  parseTcpOptions,
  TCP_ACK,
  TCP_FIN,
  TCP_HEADER_LENGTH,
  TCP_PSH,
  TCP_RST,
  TCP_SYN,
  type TcpOptionsOut,
  TcpPacket,
  tcpOptionsLength,
  writeEthernetHeader,
  writeTcpOptions,
} from '@oasis/wire';
import { NetStack, type NetStackOptions } from '../../src/index.ts';
import type { TcpFlow } from '../../src/tcp/tcp-flow.ts';
import { runUntil } from '../sim-hosts.ts';

type Connectable = Parameters<SimNetwork['connect']>[1];

/** One TCP segment as a tap or a raw peer saw it. */
export interface SeenSegment {
  readonly timeMs: number;
  /** 'out': the stack sent it; 'in': it arrived for the stack (or was injected). */
  readonly direction: 'out' | 'in';
  /** The tap's predicate dropped it. */
  readonly dropped: boolean;
  readonly sourceIp: number;
  readonly destinationIp: number;
  readonly sourcePort: number;
  readonly destinationPort: number;
  readonly seq: number;
  readonly ack: number;
  readonly flags: number;
  readonly window: number;
  /** A copy of the data. */
  readonly payload: Uint8Array;
  readonly mss: number;
  readonly windowScale: number;
  readonly sackPermitted: boolean;
  readonly tsValue: number | undefined;
  readonly tsEcho: number | undefined;
  /** SACK edges, left, right, ... */
  readonly sack: readonly number[];
}

const parsedOptions = new ParsedTcpOptions();

/** The TCP segment in an untagged Ethernet/IPv4 frame, or undefined for anything else. */
export function decodeSegment(
  frame: Uint8Array,
  timeMs: number,
  direction: 'out' | 'in',
  dropped = false,
): SeenSegment | undefined {
  if (frame.length < ETHERNET_HEADER_LENGTH) return undefined;
  if (((frame[12]! << 8) | frame[13]!) !== ETHERTYPE_IPV4) return undefined;
  const ip = Ipv4Packet.checked(frame.subarray(ETHERNET_HEADER_LENGTH));
  if (!ip.ok || ip.value.protocol !== IP_PROTOCOL_TCP || ip.value.isFragment) return undefined;
  const tcp = TcpPacket.checked(ip.value.payload);
  if (!tcp.ok) return undefined;
  const packet = tcp.value;
  const options = parsedOptions;
  const valid = parseTcpOptions(packet.options, options);
  return {
    timeMs,
    direction,
    dropped,
    sourceIp: ip.value.source,
    destinationIp: ip.value.destination,
    sourcePort: packet.sourcePort,
    destinationPort: packet.destinationPort,
    seq: packet.sequence,
    ack: packet.acknowledgment,
    flags: packet.flags,
    window: packet.window,
    payload: packet.payload.slice(),
    mss: valid ? options.mss : 0,
    windowScale: valid ? options.windowScale : -1,
    sackPermitted: valid && options.sackPermitted,
    tsValue: valid && options.hasTimestamp ? options.tsValue : undefined,
    tsEcho: valid && options.hasTimestamp ? options.tsEcho : undefined,
    sack: valid ? Array.from(options.sackEdges.subarray(0, 2 * options.sackCount)) : [],
  };
}

/** "S", "S.", ".", "P.", "F.", "R", "R." as tcpdump writes the flags. */
export function flagText(flags: number): string {
  let text = '';
  if (flags & TCP_SYN) text += 'S';
  if (flags & TCP_FIN) text += 'F';
  if (flags & TCP_RST) text += 'R';
  if (flags & TCP_PSH) text += 'P';
  if (flags & TCP_ACK) text += '.';
  return text;
}

export type SegmentPredicate = (segment: SeenSegment) => boolean;

/**
 * A NetDevice around a NetDevice that records the TCP segments crossing it, drops those
 * `dropOut` (sent) or `dropIn` (received) pick, and can inject frames as if received.
 */
export class TapDevice implements NetDevice {
  readonly segments: SeenSegment[] = [];
  dropOut: SegmentPredicate | undefined;
  dropIn: SegmentPredicate | undefined;
  readonly #inner: NetDevice;
  readonly #nowMs: () => number;
  #handler: FrameHandler | undefined;

  constructor(inner: NetDevice, nowMs: () => number) {
    this.#inner = inner;
    this.#nowMs = nowMs;
  }

  get name(): string {
    return this.#inner.name;
  }

  get mac(): Uint8Array {
    return this.#inner.mac;
  }

  get mtu(): number {
    return this.#inner.mtu;
  }

  get offload(): OffloadCapabilities {
    return this.#inner.offload;
  }

  send(frames: readonly Frame[]): void {
    const kept = frames.filter((frame) => this.#pass(frame.data, 'out', this.dropOut));
    this.#inner.send(kept);
  }

  listen(handler: FrameHandler): void {
    this.#handler = handler;
    this.#inner.listen((frames) => {
      const kept = frames.filter((frame) => this.#pass(frame.data, 'in', this.dropIn));
      if (kept.length > 0) handler(kept);
    });
  }

  /** Delivers a hand-made frame to the stack as if the wire had brought it (recorded as 'in'). */
  inject(frame: Uint8Array): void {
    if (this.#handler === undefined) throw new Error('no stack listens on this tap');
    this.#pass(frame, 'in', undefined);
    this.#handler([{ data: frame }]);
  }

  counters(): NetDeviceCounters {
    return this.#inner.counters();
  }

  close(): Promise<void> {
    return this.#inner.close();
  }

  /** Segments sent (and not dropped) matching `filter`. */
  sent(filter: SegmentPredicate = () => true): SeenSegment[] {
    return this.segments.filter((s) => s.direction === 'out' && !s.dropped && filter(s));
  }

  /** Segments the stack tried to send matching `filter`, dropped ones included. */
  attempted(filter: SegmentPredicate = () => true): SeenSegment[] {
    return this.segments.filter((s) => s.direction === 'out' && filter(s));
  }

  received(filter: SegmentPredicate = () => true): SeenSegment[] {
    return this.segments.filter((s) => s.direction === 'in' && !s.dropped && filter(s));
  }

  #pass(data: Uint8Array, direction: 'out' | 'in', drop: SegmentPredicate | undefined): boolean {
    const timeMs = this.#nowMs();
    const seen = decodeSegment(data, timeMs, direction);
    if (seen === undefined) return true;
    const dropped = drop?.(seen) ?? false;
    this.segments.push(dropped ? { ...seen, dropped } : seen);
    return !dropped;
  }
}

export interface TcpHost {
  readonly stack: NetStack;
  readonly nic: SimNic;
  readonly tap: TapDevice;
  readonly ip: number;
  readonly address: string;
  readonly mac: Uint8Array;
  readonly log: MemorySink;
}

export interface TcpHostOptions extends Partial<NetStackOptions> {
  readonly conditions?: LinkConditions;
  readonly mtu?: number;
}

/** A direct stack on `network` whose NIC sits behind a TapDevice. */
export function tcpHost(
  network: SimNetwork,
  attachTo: Connectable,
  name: string,
  cidr: string,
  options: TcpHostOptions = {},
): TcpHost {
  const { conditions, mtu, ...stackOptions } = options;
  const nic = network.addNic(name, mtu === undefined ? {} : { mtu });
  network.connect(nic, attachTo, conditions === undefined ? {} : { conditions });
  const tap = new TapDevice(nic, () => network.clock.nowMs());
  const log = new MemorySink();
  const stack = new NetStack({
    interfaces: [{ device: tap, ipv4: [cidr] }],
    clock: network.clock,
    sleep: network.clock,
    random: new SeededRandom(network.seed).derive(name),
    logger: createLogger({ source: name, sink: log, clock: network.clock }),
    probeAddresses: false,
    ...stackOptions,
  });
  const address = cidr.split('/')[0]!;
  return { stack, nic, tap, ip: ipv4(address), address, mac: nic.mac, log };
}

export function ipv4(text: string): number {
  const parsed = parseIpv4Address(text);
  if (!parsed.ok) throw new RangeError(`bad address ${text}`);
  return parsed.value;
}

/** What a hand-made TCP segment carries. */
export interface SegmentFields {
  readonly sourcePort: number;
  readonly destinationPort: number;
  readonly seq: number;
  readonly ack?: number;
  readonly flags: number;
  readonly window?: number;
  /** Raw option bytes (a multiple of 4), or options to lay out with writeTcpOptions. */
  readonly options?: Uint8Array | TcpOptionsOut;
  readonly payload?: Uint8Array;
}

export interface FrameAddresses {
  readonly sourceMac: Uint8Array;
  readonly destinationMac: Uint8Array;
  readonly sourceIp: number;
  readonly destinationIp: number;
}

export function tcpOptionBytes(out: TcpOptionsOut): Uint8Array {
  const bytes = new Uint8Array(tcpOptionsLength(out));
  writeTcpOptions(bytes, 0, out);
  return bytes;
}

/** An Ethernet/IPv4/TCP frame with correct checksums. */
export function tcpFrame(addresses: FrameAddresses, fields: SegmentFields): Uint8Array {
  const options =
    fields.options === undefined
      ? new Uint8Array(0)
      : fields.options instanceof Uint8Array
        ? fields.options
        : tcpOptionBytes(fields.options);
  const payload = fields.payload ?? new Uint8Array(0);
  const tcpLength = TCP_HEADER_LENGTH + options.length + payload.length;
  const frame = new Uint8Array(ETHERNET_HEADER_LENGTH + 20 + tcpLength);
  writeEthernetHeader(frame, addresses.destinationMac, addresses.sourceMac, ETHERTYPE_IPV4);
  emitIpv4(
    {
      dscp: 0,
      ecn: 0,
      identification: 0,
      reservedFlag: false,
      dontFragment: true,
      moreFragments: false,
      fragmentOffset: 0,
      ttl: 64,
      protocol: IP_PROTOCOL_TCP,
      source: addresses.sourceIp,
      destination: addresses.destinationIp,
      options: new Uint8Array(0),
      payloadLength: tcpLength,
      checksum: 'compute',
    },
    frame.subarray(ETHERNET_HEADER_LENGTH),
  );
  emitTcp(
    {
      sourcePort: fields.sourcePort,
      destinationPort: fields.destinationPort,
      sequence: fields.seq >>> 0,
      acknowledgment: (fields.ack ?? 0) >>> 0,
      flags: fields.flags,
      reservedBits: 0,
      window: fields.window ?? 0xffff,
      checksum: 'compute',
      urgentPointer: 0,
      options,
      payload,
    },
    frame.subarray(ETHERNET_HEADER_LENGTH + 20),
    ipv4PseudoHeaderSum(addresses.sourceIp, addresses.destinationIp, IP_PROTOCOL_TCP, tcpLength),
  );
  return frame;
}

/**
 * A host with no stack: it answers ARP for its address, records every TCP segment for it and
 * sends exactly the segments a test writes. What a real stack would answer (RSTs to unknown
 * SYN-ACKs, ACKs) it leaves to the test.
 */
export class RawPeer {
  readonly nic: SimNic;
  readonly ip: number;
  readonly mac: Uint8Array;
  readonly received: SeenSegment[] = [];
  onSegment: ((segment: SeenSegment) => void) | undefined;
  readonly #network: SimNetwork;

  constructor(
    network: SimNetwork,
    attachTo: Connectable,
    name: string,
    address: string,
    conditions?: LinkConditions,
  ) {
    this.#network = network;
    this.nic = network.addNic(name);
    network.connect(this.nic, attachTo, conditions === undefined ? {} : { conditions });
    this.ip = ipv4(address);
    this.mac = this.nic.mac;
    this.nic.listen((frames) => {
      for (const { data } of frames) this.#receive(data);
    });
  }

  /** Sends a segment to `to` (a host on the same link). */
  send(to: { readonly mac: Uint8Array; readonly ip: number }, fields: SegmentFields): void {
    this.nic.send([
      {
        data: tcpFrame(
          {
            sourceMac: this.mac,
            destinationMac: to.mac,
            sourceIp: this.ip,
            destinationIp: to.ip,
          },
          fields,
        ),
      },
    ]);
  }

  /**
   * Asks who has `targetIp` (ARP request): the host answering learns this peer's MAC on the
   * way, so its first segment to the peer need not wait for ARP.
   */
  introduce(targetIp: number): void {
    const request = new Uint8Array(ETHERNET_HEADER_LENGTH + 28);
    writeEthernetHeader(request, BROADCAST_MAC, this.mac, ETHERTYPE_ARP);
    emitArp(
      {
        operation: 'request',
        senderMac: this.mac,
        senderIp: this.ip,
        targetMac: new Uint8Array(6),
        targetIp,
      },
      request.subarray(ETHERNET_HEADER_LENGTH),
    );
    this.nic.send([{ data: request }]);
  }

  #receive(data: Uint8Array): void {
    const etherType = (data[12]! << 8) | data[13]!;
    if (etherType === ETHERTYPE_ARP) {
      const arp = parseArp(data.subarray(ETHERNET_HEADER_LENGTH));
      if (!arp.ok || arp.value.operation !== 'request' || arp.value.targetIp !== this.ip) return;
      const reply = new Uint8Array(ETHERNET_HEADER_LENGTH + 28);
      writeEthernetHeader(reply, arp.value.senderMac, this.mac, ETHERTYPE_ARP);
      emitArp(
        {
          operation: 'reply',
          senderMac: this.mac,
          senderIp: this.ip,
          targetMac: arp.value.senderMac,
          targetIp: arp.value.senderIp,
        },
        reply.subarray(ETHERNET_HEADER_LENGTH),
      );
      this.nic.send([{ data: reply }]);
      return;
    }
    const seen = decodeSegment(data, this.#network.clock.nowMs(), 'in');
    if (seen === undefined || seen.destinationIp !== this.ip) return;
    this.received.push(seen);
    this.onSegment?.(seen);
  }
}

/** A stream of `length` bytes from `seed` that no shifted copy of itself matches. */
export function pattern(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let x = (seed * 2654435761 + 1) >>> 0;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    bytes[i] = x >>> 24;
  }
  return bytes;
}

/** Reads until the end of the stream. */
export async function readAll(flow: Flow): Promise<Uint8Array> {
  const pieces: Uint8Array[] = [];
  let total = 0;
  for (let piece = await flow.read(); piece !== undefined; piece = await flow.read()) {
    pieces.push(piece);
    total += piece.length;
  }
  return concat(pieces, total);
}

/** Reads exactly `length` bytes (fails at an early end). */
export async function readExactly(flow: Flow, length: number): Promise<Uint8Array> {
  const pieces: Uint8Array[] = [];
  let total = 0;
  while (total < length) {
    const piece = await flow.read();
    if (piece === undefined) throw new Error(`the stream ended after ${total} of ${length} bytes`);
    pieces.push(piece);
    total += piece.length;
  }
  if (total !== length) throw new Error(`read ${total} bytes, wanted ${length}`);
  return concat(pieces, total);
}

function concat(pieces: readonly Uint8Array[], total: number): Uint8Array {
  const all = new Uint8Array(total);
  let at = 0;
  for (const piece of pieces) {
    all.set(piece, at);
    at += piece.length;
  }
  return all;
}

/** Whether two byte arrays are equal, without assert.deepEqual's cost on large arrays. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** seq − base in the 32-bit sequence space. */
export function offsetOf(seq: number, base: number): number {
  return (seq - base) | 0;
}

export interface TwoHosts {
  readonly network: SimNetwork;
  readonly lanSwitch: ReturnType<SimNetwork['addSwitch']>;
  readonly a: TcpHost;
  readonly b: TcpHost;
}

/**
 * Hosts a (10.0.0.1) and b (10.0.0.2) on one switch, each link `latencyMs` each way (so the
 * round trip is 4·latencyMs), with ARP already resolved both ways so that the first TCP
 * segment leaves at once.
 */
export async function twoHosts(
  latencyMs: number,
  options: { seed?: number; a?: TcpHostOptions; b?: TcpHostOptions } = {},
): Promise<TwoHosts> {
  const network = new SimNetwork({ seed: options.seed ?? 1 });
  const lanSwitch = network.addSwitch('sw');
  const a = tcpHost(network, lanSwitch, 'a', '10.0.0.1/24', {
    conditions: { latencyMs },
    ...options.a,
  });
  const b = tcpHost(network, lanSwitch, 'b', '10.0.0.2/24', {
    conditions: { latencyMs },
    ...options.b,
  });
  await runUntil(network, a.stack.ping(b.address));
  return { network, lanSwitch, a, b };
}

/** The direct stack's snapshot of a flow's connection (TcpFlow.describe). */
export function describeFlow(flow: Flow): Record<string, number | string | boolean> {
  return (flow as TcpFlow).describe();
}
