// Packets for the tests of packet-fields, packet-rewrite and icmp-error-rewrite: captured fixtures
// as annotated hex, builders that emit whole datagrams from plain values with @oasis/wire's
// emitters (so "what the packet should be" is always computed from scratch, never incrementally),
// fast-check arbitraries of their values, and a bounds-checking view for the fuzz tests.

import { concatBytes, fromHex, internetChecksum, readU32BE, sumWords } from '@oasis/core';
import {
  emitIcmpv4,
  emitIpv4,
  emitTcp,
  emitUdp,
  type Icmpv4Repr,
  IP_PROTOCOL_ICMP,
  IP_PROTOCOL_TCP,
  IP_PROTOCOL_UDP,
  IPV4_OPTION_NOP,
  icmpv4Length,
  ipv4PseudoHeaderSum,
  TCP_ACK,
  TCP_CHECKSUM_OFFSET,
  UDP_CHECKSUM_OFFSET,
} from '@oasis/wire';
import fc from 'fast-check';
import type { FlowTuple } from '../src/flow-tuple.ts';

/** Every property runs this often, from a fixed seed, so a run is the same run every time. */
export const PROPERTY_RUNS = { seed: 0x0a515, numRuns: 400 } as const;

export const CLIENT = 0xc0a8010a; // 192.168.1.10
export const SERVER = 0xc0a80114; // 192.168.1.20
export const RESOLVER = 0xc0a80101; // 192.168.1.1
export const PUBLIC = 0xcb007105; // 203.0.113.5, the NAT's outside address (RFC 5737 TEST-NET-3)

// `curl http://192.168.1.20/` from 192.168.1.10: the SYN of packages/wire/test/tcp.test.ts, whose
// TCP checksum tshark verified, in an IPv4 header whose checksum was computed apart (Python's
// struct and a plain RFC 1071 sum, not this code base).
export const SYN = fromHex(`
  45 00 00 3c              # IPv4, IHL 5; total length 60
  5c 3a 40 00              # identification; DF
  40 06 5b 13              # TTL 64, TCP, header checksum
  c0 a8 01 0a c0 a8 01 14  # 192.168.1.10 -> 192.168.1.20
  c8 22 00 50              # TCP 51234 -> 80
  1e 8b 3c 52 00 00 00 00  # sequence (ISN), no acknowledgment
  a0 02 fa f0              # data offset 10 words, SYN, window 64240
  cf b6 00 00              # checksum, urgent pointer
  02 04 05 b4 04 02 08 0a 00 12 d6 87 00 00 00 00 01 03 03 07   # MSS, SACK-OK, TS, NOP, WS
`);

// The SYN after source NAT to 203.0.113.5:40001, every checksum computed apart from scratch.
export const SYN_TRANSLATED = fromHex(`
  45 00 00 3c 5c 3a 40 00
  40 06 e0 bf              # TTL 64, TCP, header checksum for the new source
  cb 00 71 05 c0 a8 01 14  # 203.0.113.5 -> 192.168.1.20
  9c 41 00 50              # TCP 40001 -> 80
  1e 8b 3c 52 00 00 00 00 a0 02 fa f0
  81 44 00 00              # checksum for the new pseudo-header and port
  02 04 05 b4 04 02 08 0a 00 12 d6 87 00 00 00 00 01 03 03 07
`);

// `host -t A example.com` from 192.168.1.10:51234 to 192.168.1.1:53: the datagram of
// packages/wire/test/udp.test.ts (tshark-verified checksum), header checksum computed apart.
export const DNS_QUERY = fromHex(`
  45 00 00 39 9e 21 00 00  # total length 57; identification; no flags
  40 11 59 37              # TTL 64, UDP, header checksum
  c0 a8 01 0a c0 a8 01 01  # 192.168.1.10 -> 192.168.1.1
  c8 22 00 35 00 25 ca 57  # UDP 51234 -> 53, length 37, checksum
  1a 2b 01 00 00 01 00 00 00 00 00 00       # DNS: id 0x1a2b, RD, 1 question
  07 65 78 61 6d 70 6c 65 03 63 6f 6d 00    # example.com
  00 01 00 01                               # type A, class IN
`);

// The query after source NAT to 203.0.113.5:40002, checksums computed apart.
export const DNS_QUERY_TRANSLATED = fromHex(`
  45 00 00 39 9e 21 00 00
  40 11 de e3              # header checksum for the new source
  cb 00 71 05 c0 a8 01 01  # 203.0.113.5 -> 192.168.1.1
  9c 42 00 35 00 25 7b e4  # UDP 40002 -> 53, checksum for the new pseudo-header and port
  1a 2b 01 00 00 01 00 00 00 00 00 00
  07 65 78 61 6d 70 6c 65 03 63 6f 6d 00
  00 01 00 01
`);

// `ping 10.0.0.2` from 10.0.0.1: the capture of packages/wire/test/ipv4.test.ts, both checksums
// as captured (and checked again below and apart).
export const PING = fromHex(`
  45 00 00 54 a3 6f 40 00  # total length 84; identification; DF
  40 01 83 37              # TTL 64, ICMP, header checksum
  0a 00 00 01 0a 00 00 02  # 10.0.0.1 -> 10.0.0.2
  08 00 0c 60 00 2a 00 01  # echo request, checksum, identifier 42, sequence 1
  b5 2e 9b 66 00 00 00 00 d1 0c 0b 00 00 00 00 00   # ping's timestamp
  10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d 1e 1f
  20 21 22 23 24 25 26 27 28 29 2a 2b 2c 2d 2e 2f
  30 31 32 33 34 35 36 37
`);

// The ping after source NAT to 203.0.113.5 with identifier 40001, checksums computed apart.
export const PING_TRANSLATED = fromHex(`
  45 00 00 54 a3 6f 40 00
  40 01 51 32              # header checksum for the new source
  cb 00 71 05 0a 00 00 02  # 203.0.113.5 -> 10.0.0.2
  08 00 70 48 9c 41 00 01  # echo request, checksum for identifier 40001
  b5 2e 9b 66 00 00 00 00 d1 0c 0b 00 00 00 00 00
  10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d 1e 1f
  20 21 22 23 24 25 26 27 28 29 2a 2b 2c 2d 2e 2f
  30 31 32 33 34 35 36 37
`);

// 192.168.1.1 has no DNS server after all: its port unreachable about the translated query, as
// it reaches the NAT's outside address, quoting the whole datagram. Checksums computed apart.
export const PORT_UNREACHABLE_OUTSIDE = fromHex(`
  45 00 00 55 11 11 00 00  # total length 85
  40 01 6b e8              # TTL 64, ICMP, header checksum
  c0 a8 01 01 cb 00 71 05  # 192.168.1.1 -> 203.0.113.5
  03 03 fa e2 00 00 00 00  # destination unreachable, port unreachable; checksum; unused
  45 00 00 39 9e 21 00 00 40 11 de e3 cb 00 71 05 c0 a8 01 01   # quoted: 203.0.113.5 ->
  9c 42 00 35 00 25 7b e4                                        # 192.168.1.1, UDP 40002 -> 53
  1a 2b 01 00 00 01 00 00 00 00 00 00 07 65 78 61 6d 70 6c 65 03 63 6f 6d 00 00 01 00 01
`);

// The same error as the NAT forwards it inside (RFC 5508 REQ-4): the quoted datagram back to the
// query as the client sent it, the outer destination the client. Checksums computed apart.
export const PORT_UNREACHABLE_INSIDE = fromHex(`
  45 00 00 55 11 11 00 00
  40 01 e6 3b              # header checksum for the new destination
  c0 a8 01 01 c0 a8 01 0a  # 192.168.1.1 -> 192.168.1.10
  03 03 80 8f 00 00 00 00  # checksum over the restored quote
  45 00 00 39 9e 21 00 00 40 11 59 37 c0 a8 01 0a c0 a8 01 01   # quoted: 192.168.1.10 ->
  c8 22 00 35 00 25 ca 57                                        # 192.168.1.1, UDP 51234 -> 53
  1a 2b 01 00 00 01 00 00 00 00 00 00 07 65 78 61 6d 70 6c 65 03 63 6f 6d 00 00 01 00 01
`);

/** What a test packet carries. For an echo the identifier is `sourcePort`, and `destinationPort` equals it. */
export interface PacketSpec {
  readonly kind: 'tcp' | 'udp' | 'echo-request' | 'echo-reply';
  readonly source: number;
  readonly destination: number;
  readonly sourcePort: number;
  readonly destinationPort: number;
  /** TCP sequence number (32 bits), or echo sequence number (16 bits). */
  readonly sequence: number;
  readonly ttl: number;
  /** IPv4 options, a multiple of 4 bytes up to 40. */
  readonly options: Uint8Array;
  readonly payload: Uint8Array;
  /** UDP only: send no checksum (a zero field, RFC 768). */
  readonly noUdpChecksum: boolean;
}

export function protocolOf(spec: PacketSpec): number {
  if (spec.kind === 'tcp') return IP_PROTOCOL_TCP;
  if (spec.kind === 'udp') return IP_PROTOCOL_UDP;
  return IP_PROTOCOL_ICMP;
}

/** The spec with one endpoint replaced; for an echo the port is the identifier, both ports. */
export function withEndpoint(
  spec: PacketSpec,
  end: 'source' | 'destination',
  address: number,
  port: number,
): PacketSpec {
  const echo = spec.kind === 'echo-request' || spec.kind === 'echo-reply';
  if (echo) return { ...spec, [end]: address, sourcePort: port, destinationPort: port };
  return end === 'source'
    ? { ...spec, source: address, sourcePort: port }
    : { ...spec, destination: address, destinationPort: port };
}

/**
 * The whole datagram, every checksum computed from scratch by the wire emitters. With 'offload',
 * a TCP or UDP checksum field holds the folded pseudo-header sum for a device to finish
 * (virtio-net NEEDS_CSUM), as the emitters write it.
 */
export function buildPacket(
  spec: PacketSpec,
  transportChecksum: 'compute' | 'offload' = 'compute',
) {
  const protocol = protocolOf(spec);
  const transport = buildTransport(spec, protocol, transportChecksum);
  const header = new Uint8Array(20 + spec.options.length);
  emitIpv4(
    {
      dscp: 0,
      ecn: 0,
      identification: 0x1234,
      reservedFlag: false,
      dontFragment: true,
      moreFragments: false,
      fragmentOffset: 0,
      ttl: spec.ttl,
      protocol,
      source: spec.source,
      destination: spec.destination,
      options: spec.options,
      payloadLength: transport.length,
      checksum: 'compute',
    },
    header,
  );
  return concatBytes([header, transport]);
}

function buildTransport(
  spec: PacketSpec,
  protocol: number,
  transportChecksum: 'compute' | 'offload',
): Uint8Array {
  if (protocol === IP_PROTOCOL_ICMP) {
    const repr: Icmpv4Repr = {
      kind: spec.kind === 'echo-request' ? 'echo-request' : 'echo-reply',
      checksum: 'compute',
      identifier: spec.sourcePort,
      sequence: spec.sequence,
      data: spec.payload,
    };
    const message = new Uint8Array(icmpv4Length(repr));
    emitIcmpv4(repr, message);
    return message;
  }
  if (protocol === IP_PROTOCOL_TCP) {
    const segment = new Uint8Array(20 + spec.payload.length);
    const pseudo = ipv4PseudoHeaderSum(spec.source, spec.destination, protocol, segment.length);
    emitTcp(
      {
        sourcePort: spec.sourcePort,
        destinationPort: spec.destinationPort,
        sequence: spec.sequence,
        acknowledgment: 0x0102_0304,
        flags: TCP_ACK,
        reservedBits: 0,
        window: 0xfaf0,
        checksum: transportChecksum,
        urgentPointer: 0,
        options: new Uint8Array(0),
        payload: spec.payload,
      },
      segment,
      pseudo,
    );
    return segment;
  }
  const datagram = new Uint8Array(8 + spec.payload.length);
  const pseudo = ipv4PseudoHeaderSum(spec.source, spec.destination, protocol, datagram.length);
  emitUdp(
    {
      sourcePort: spec.sourcePort,
      destinationPort: spec.destinationPort,
      checksum: spec.noUdpChecksum ? 0 : transportChecksum,
      payload: spec.payload,
    },
    datagram,
    pseudo,
  );
  return datagram;
}

/**
 * What a device does with a NEEDS_CSUM packet: sums from csum_start (the transport header) to the
 * end, field included, and stores the complement at csum_offset; a UDP 0 goes out as 0xffff
 * (RFC 768; Linux skb_checksum_help). `packet` is an IPv4 datagram of TCP or UDP.
 */
export function finishOnDevice(packet: Uint8Array): void {
  const start = (packet[0]! & 0x0f) * 4;
  const udp = packet[9] === IP_PROTOCOL_UDP;
  const at = start + (udp ? UDP_CHECKSUM_OFFSET : TCP_CHECKSUM_OFFSET);
  const computed = internetChecksum(packet.subarray(start));
  const value = udp && computed === 0 ? 0xffff : computed;
  packet[at] = value >>> 8;
  packet[at + 1] = value & 0xff;
}

/** Whether the IPv4 header at `start` of `packet` verifies: its sum is all ones (RFC 791 §3.1, RFC 1071). */
export function ipv4ChecksumOk(packet: Uint8Array, start = 0): boolean {
  const length = (packet[start]! & 0x0f) * 4;
  return sumWords(packet.subarray(start, start + length)) === 0xffff;
}

export type ErrorKind = 'destination-unreachable' | 'time-exceeded' | 'parameter-problem';

/** How `buildIcmpError` builds an error; every field has a default. */
export interface ErrorSpec {
  readonly kind?: ErrorKind;
  /** The outer source. Default 192.168.1.1. */
  readonly reporter?: number;
  /** The outer destination. Default: the quoted datagram's source, to whom errors go. */
  readonly destination?: number;
  /** Bytes quoted after the offending datagram's IP header. Default: all of it. */
  readonly dataLength?: number | 'whole';
  /**
   * An RFC 4884 extension structure: the quote holds at least 128 bytes of the datagram (all of
   * a shorter one, zero padded), whatever `dataLength` says, and the length attribute is set.
   */
  readonly extensions?: Uint8Array | undefined;
  /** Outer IPv4 options. Default none. */
  readonly options?: Uint8Array;
}

/** An ICMP error quoting `offending` (an IPv4 datagram), checksums computed from scratch. */
export function buildIcmpError(offending: Uint8Array, spec: ErrorSpec = {}): Uint8Array {
  const {
    kind = 'destination-unreachable',
    reporter = RESOLVER,
    destination = readU32BE(offending, 12),
    dataLength = 'whole',
    extensions,
    options = new Uint8Array(0),
  } = spec;
  const headerLength = (offending[0]! & 0x0f) * 4;
  const quoteLength =
    dataLength === 'whole'
      ? offending.length
      : Math.min(offending.length, headerLength + dataLength);
  let quoted = offending.subarray(0, quoteLength);
  if (extensions !== undefined) {
    // RFC 4884: the original datagram field holds at least 128 bytes of it, zero padded when
    // the datagram is shorter, to a multiple of 4: padding comes only after the whole datagram.
    const held = offending.subarray(0, Math.max(quoteLength, Math.min(offending.length, 128)));
    quoted = new Uint8Array(Math.max(128, Math.ceil(held.length / 4) * 4));
    quoted.set(held);
  }
  const fields = { checksum: 'compute' as const, code: 1, quoted, extensions };
  const repr: Icmpv4Repr =
    kind === 'destination-unreachable'
      ? { kind, ...fields, nextHopMtu: 0 }
      : kind === 'time-exceeded'
        ? { kind, ...fields }
        : { kind, ...fields, pointer: 12 };
  const message = new Uint8Array(icmpv4Length(repr));
  emitIcmpv4(repr, message);
  const header = new Uint8Array(20 + options.length);
  emitIpv4(
    {
      dscp: 0,
      ecn: 0,
      identification: 0x4242,
      reservedFlag: false,
      dontFragment: false,
      moreFragments: false,
      fragmentOffset: 0,
      ttl: 64,
      protocol: IP_PROTOCOL_ICMP,
      source: reporter,
      destination,
      options,
      payloadLength: message.length,
      checksum: 'compute',
    },
    header,
  );
  return concatBytes([header, message]);
}

/**
 * A view of `bytes` that throws RangeError on any read or write outside them, where a Uint8Array
 * would quietly give undefined or drop the write: what the fuzz tests run the readers on.
 */
export function guarded(bytes: Uint8Array): Uint8Array {
  const index = (key: string | symbol): number | undefined =>
    typeof key === 'string' && /^-?\d+$/.test(key) ? Number(key) : undefined;
  const check = (at: number): void => {
    if (!(at >= 0 && at < bytes.length)) {
      throw new RangeError(`access at ${at} outside ${bytes.length} bytes`);
    }
  };
  return new Proxy(bytes, {
    get(target, key) {
      const at = index(key);
      if (at === undefined) return Reflect.get(target, key, target);
      check(at);
      return target[at];
    },
    set(target, key, value) {
      const at = index(key);
      if (at === undefined) return Reflect.set(target, key, value, target);
      check(at);
      target[at] = value;
      return true;
    },
  });
}

export const addressArbitrary = fc.nat({ max: 0xffff_ffff });
export const portArbitrary = fc.nat({ max: 0xffff });

/** No options, NOP padding, or a Record Route option with random slots (RFC 791 §3.1). */
export const ipv4OptionsArbitrary: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.constant(new Uint8Array(0)),
  fc.integer({ min: 1, max: 10 }).map((words) => new Uint8Array(words * 4).fill(IPV4_OPTION_NOP)),
  fc.integer({ min: 1, max: 10 }).chain((words) =>
    fc.uint8Array({ minLength: words * 4 - 3, maxLength: words * 4 - 3 }).map((data) => {
      // Type 7, length 4w - 1, then pointer and slots; End of Option List pads the last byte.
      const options = new Uint8Array(words * 4);
      options[0] = 7;
      options[1] = words * 4 - 1;
      options.set(data, 2);
      return options;
    }),
  ),
);

export const kindArbitrary = fc.constantFrom<PacketSpec['kind']>(
  'tcp',
  'udp',
  'echo-request',
  'echo-reply',
);

export function specArbitrary(
  kinds: fc.Arbitrary<PacketSpec['kind']> = kindArbitrary,
): fc.Arbitrary<PacketSpec> {
  return fc
    .record({
      kind: kinds,
      source: addressArbitrary,
      destination: addressArbitrary,
      sourcePort: portArbitrary,
      destinationPort: portArbitrary,
      sequence: fc.nat({ max: 0xffff_ffff }),
      ttl: fc.integer({ min: 1, max: 255 }),
      options: ipv4OptionsArbitrary,
      payload: fc.uint8Array({ maxLength: 64 }),
      noUdpChecksum: fc.boolean(),
    })
    .map((spec) =>
      spec.kind === 'echo-request' || spec.kind === 'echo-reply'
        ? { ...spec, sequence: spec.sequence & 0xffff, destinationPort: spec.sourcePort }
        : spec,
    );
}

/** A FlowTuple from its five values. */
export function tuple(
  protocol: number,
  source: number,
  sourcePort: number,
  destination: number,
  destinationPort: number,
): FlowTuple {
  return { protocol, source, sourcePort, destination, destinationPort };
}
