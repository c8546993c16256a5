// Fuzzing the IPv6 receive path: packets that start as a valid echo request, UDP datagram,
// Neighbor Solicitation, Router Advertisement, MLD query, fragments and an extension-header
// chain, with bytes flipped, cut or appended, sent to a stack from a raw NIC on the switch.
// Nothing may throw (`internal.exception`), and afterwards the stack still answers pings.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SimNetwork } from '@oasis/sim';
import {
  ETHERNET_HEADER_LENGTH,
  ETHERTYPE_IPV6,
  emitIcmpv6,
  emitNdp,
  emitUdp,
  IP_PROTOCOL_HOP_BY_HOP,
  IP_PROTOCOL_ICMPV6,
  IP_PROTOCOL_IPV6_FRAGMENT,
  IP_PROTOCOL_UDP,
  IPV6_ALL_NODES,
  ipv6MulticastMac,
  ipv6PseudoHeaderSum,
  type NdpRepr,
  ndpLength,
  parseIpv6Address,
  solicitedNodeAddress,
  writeEthernetHeader,
  writeIpv6FragmentHeader,
  writeIpv6Header,
} from '@oasis/wire';
import fc from 'fast-check';
import { addHost, runUntil } from './sim-hosts.ts';

const address = (text: string): Uint8Array => {
  const parsed = parseIpv6Address(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
};
const FUZZER = address('fd00::9');
const FUZZER_LINK_LOCAL = address('fe80::9');
const TARGET = address('fd00::2');
const FUZZER_MAC = Uint8Array.of(2, 0, 0, 0, 0, 9);

function packet(
  source: Uint8Array,
  destination: Uint8Array,
  nextHeader: number,
  payload: Uint8Array,
  hopLimit = 64,
): Uint8Array {
  const bytes = new Uint8Array(40 + payload.length);
  writeIpv6Header(bytes, source, destination, nextHeader, hopLimit, payload.length);
  bytes.set(payload, 40);
  return bytes;
}

function icmpv6Echo(sequence: number): Uint8Array {
  const repr = {
    kind: 'echo-request',
    checksum: 'compute',
    identifier: 1,
    sequence,
    data: new Uint8Array(40).fill(sequence),
  } as const;
  const bytes = new Uint8Array(48);
  emitIcmpv6(repr, bytes, ipv6PseudoHeaderSum(FUZZER, TARGET, IP_PROTOCOL_ICMPV6, bytes.length));
  return bytes;
}

function ndp(repr: NdpRepr, source: Uint8Array, destination: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(ndpLength(repr));
  emitNdp(repr, bytes, ipv6PseudoHeaderSum(source, destination, IP_PROTOCOL_ICMPV6, bytes.length));
  return packet(source, destination, IP_PROTOCOL_ICMPV6, bytes, 255);
}

/** Valid packets of each kind the IPv6 receive path parses, with the MAC they go to. */
function seeds(targetMac: Uint8Array): { mac: Uint8Array; packet: Uint8Array }[] {
  const udp = new Uint8Array(8 + 16);
  emitUdp(
    { sourcePort: 4000, destinationPort: 7, checksum: 'compute', payload: new Uint8Array(16) },
    udp,
    ipv6PseudoHeaderSum(FUZZER, TARGET, IP_PROTOCOL_UDP, udp.length),
  );
  const echo = icmpv6Echo(2);
  const fragment = (offset: number, more: boolean, data: Uint8Array): Uint8Array => {
    const body = new Uint8Array(8 + data.length);
    writeIpv6FragmentHeader(body, 0, IP_PROTOCOL_ICMPV6, offset, more, 0x51);
    body.set(data, 8);
    return packet(FUZZER, TARGET, IP_PROTOCOL_IPV6_FRAGMENT, body);
  };
  // Hop-by-hop (PadN) then the echo request.
  const chain = new Uint8Array(8 + echo.length);
  chain.set([IP_PROTOCOL_ICMPV6, 0, 1, 4, 0, 0, 0, 0]);
  chain.set(icmpv6Echo(3), 8);
  const group = solicitedNodeAddress(TARGET);
  return [
    { mac: targetMac, packet: packet(FUZZER, TARGET, IP_PROTOCOL_ICMPV6, icmpv6Echo(1)) },
    { mac: targetMac, packet: packet(FUZZER, TARGET, IP_PROTOCOL_UDP, udp) },
    { mac: targetMac, packet: fragment(0, true, echo.subarray(0, 24)) },
    { mac: targetMac, packet: fragment(24, false, echo.subarray(24)) },
    { mac: targetMac, packet: packet(FUZZER, TARGET, IP_PROTOCOL_HOP_BY_HOP, chain) },
    {
      mac: ipv6MulticastMac(group),
      packet: ndp(
        {
          kind: 'neighbor-solicitation',
          target: TARGET,
          options: { prefixes: [], sourceLinkAddress: FUZZER_MAC },
        },
        FUZZER,
        group,
      ),
    },
    {
      mac: ipv6MulticastMac(IPV6_ALL_NODES),
      packet: ndp(
        {
          kind: 'router-advertisement',
          curHopLimit: 64,
          managed: false,
          other: false,
          routerLifetimeS: 1800,
          reachableTimeMs: 30_000,
          retransTimerMs: 1000,
          options: {
            prefixes: [
              {
                prefix: address('fd00:1::'),
                prefixLength: 64,
                onLink: true,
                autonomous: true,
                validLifetimeS: 3600,
                preferredLifetimeS: 1800,
              },
            ],
            sourceLinkAddress: FUZZER_MAC,
            mtu: 1500,
          },
        },
        FUZZER_LINK_LOCAL,
        IPV6_ALL_NODES,
      ),
    },
  ];
}

const mutation = fc.record({
  seed: fc.nat(6),
  flips: fc.array(fc.record({ at: fc.nat(120), value: fc.nat(255) }), { maxLength: 4 }),
  cut: fc.option(fc.nat(120), { nil: undefined }),
  tail: fc.uint8Array({ maxLength: 16, size: 'max' }),
});

describe('the IPv6 receive path under fuzzed packets', () => {
  it('never throws, and keeps answering pings', async () => {
    const network = new SimNetwork({ seed: 5 });
    const lanSwitch = network.addSwitch('sw');
    const a = addHost(network, lanSwitch, 'a', '10.0.0.1/24', {
      ipv6: { addresses: ['fd00::1/64'] },
    });
    const b = addHost(network, lanSwitch, 'b', '10.0.0.2/24', {
      ipv6: { addresses: ['fd00::2/64'] },
      reassembly: { timeoutMs: 200, maxDatagrams: 4 },
    });
    const fuzzer = network.addNic('fuzzer');
    network.connect(fuzzer, lanSwitch);
    await runUntil(network, Promise.all([a.stack.ready, b.stack.ready]));
    await runUntil(network, a.stack.ping('fd00::2'));
    const bases = seeds(b.nic.mac);
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 8 }), (mutations) => {
        fuzzer.send(
          mutations.map(({ seed, flips, cut, tail }) => {
            const base = bases[seed]!;
            const bytes = new Uint8Array([...base.packet, ...tail]);
            for (const { at, value } of flips) if (at < bytes.length) bytes[at] = value;
            const body = cut === undefined ? bytes : bytes.subarray(0, cut);
            const frame = new Uint8Array(ETHERNET_HEADER_LENGTH + body.length);
            writeEthernetHeader(frame, base.mac, fuzzer.mac, ETHERTYPE_IPV6);
            frame.set(body, ETHERNET_HEADER_LENGTH);
            return { data: frame };
          }),
        );
        network.run(50);
        assert.equal(b.stack.drops()['internal.exception'], undefined);
      }),
      { numRuns: 300 },
    );
    const reply = await runUntil(network, a.stack.ping('fd00::2'));
    assert.equal(reply.from, 'fd00::2');
    // The fuzzing reached the parsers of every layer, not only the door.
    const drops = Object.keys(b.stack.drops());
    for (const layer of ['ipv6.', 'icmpv6.', 'ndp.', 'udp.']) {
      assert.ok(
        drops.some((key) => key.startsWith(layer)),
        `no ${layer} drops in ${drops}`,
      );
    }
  });
});
