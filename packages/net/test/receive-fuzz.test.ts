// Fuzzing the whole receive path: frames that start as valid ARP, ICMP, UDP and fragments, with
// random bytes flipped, cut or appended, and frames of random bytes, all sent to one stack from
// a raw NIC on the switch. Nothing may throw (`internal.exception`), and afterwards the stack
// still answers pings.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SimNetwork } from '@oasis/sim';
import {
  ETHERNET_HEADER_LENGTH,
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  emitArp,
  emitIcmpv4,
  emitIpv4,
  emitUdp,
  IP_PROTOCOL_ICMP,
  IP_PROTOCOL_UDP,
  ipv4PseudoHeaderSum,
  writeEthernetHeader,
} from '@oasis/wire';
import fc from 'fast-check';
import { addHost, runUntil } from './sim-hosts.ts';

const FUZZER_IP = 0x0a000009;
const TARGET_IP = 0x0a000002;

function ipv4Packet(
  protocol: number,
  payload: Uint8Array,
  fragment?: { offset: number; more: boolean },
) {
  const packet = new Uint8Array(20 + payload.length);
  emitIpv4(
    {
      dscp: 0,
      ecn: 0,
      identification: 77,
      reservedFlag: false,
      dontFragment: false,
      moreFragments: fragment?.more ?? false,
      fragmentOffset: fragment?.offset ?? 0,
      ttl: 64,
      protocol,
      source: FUZZER_IP,
      destination: TARGET_IP,
      options: new Uint8Array(0),
      payloadLength: payload.length,
      checksum: 'compute',
    },
    packet,
  );
  packet.set(payload, 20);
  return packet;
}

/** Valid packets of each kind the stack parses, as seeds for mutation. */
function seeds(): { etherType: number; packet: Uint8Array }[] {
  const echo = new Uint8Array(8 + 32);
  emitIcmpv4(
    {
      kind: 'echo-request',
      checksum: 'compute',
      identifier: 1,
      sequence: 1,
      data: new Uint8Array(32),
    },
    echo,
  );
  const udp = new Uint8Array(8 + 16);
  emitUdp(
    { sourcePort: 4000, destinationPort: 7, checksum: 'compute', payload: new Uint8Array(16) },
    udp,
    ipv4PseudoHeaderSum(FUZZER_IP, TARGET_IP, IP_PROTOCOL_UDP, udp.length),
  );
  const arp = new Uint8Array(28);
  emitArp(
    {
      operation: 'request',
      senderMac: Uint8Array.of(2, 0, 0, 0, 0, 9),
      senderIp: FUZZER_IP,
      targetMac: new Uint8Array(6),
      targetIp: TARGET_IP,
    },
    arp,
  );
  return [
    { etherType: ETHERTYPE_IPV4, packet: ipv4Packet(IP_PROTOCOL_ICMP, echo) },
    { etherType: ETHERTYPE_IPV4, packet: ipv4Packet(IP_PROTOCOL_UDP, udp) },
    {
      etherType: ETHERTYPE_IPV4,
      packet: ipv4Packet(IP_PROTOCOL_ICMP, echo.subarray(0, 16), { offset: 0, more: true }),
    },
    {
      etherType: ETHERTYPE_IPV4,
      packet: ipv4Packet(IP_PROTOCOL_ICMP, echo.subarray(16), { offset: 16, more: false }),
    },
    { etherType: ETHERTYPE_ARP, packet: arp },
  ];
}

const mutation = fc.record({
  seed: fc.nat(4),
  flips: fc.array(fc.record({ at: fc.nat(80), value: fc.nat(255) }), { maxLength: 4 }),
  cut: fc.option(fc.nat(80), { nil: undefined }),
  tail: fc.uint8Array({ maxLength: 16, size: 'max' }),
  etherType: fc.option(fc.constantFrom(ETHERTYPE_IPV4, ETHERTYPE_ARP, 0x86dd, 0x8100, 0x0042), {
    nil: undefined,
  }),
});

describe('the receive path under fuzzed frames', () => {
  it('never throws, and keeps answering pings', async () => {
    const network = new SimNetwork({ seed: 3 });
    const lanSwitch = network.addSwitch('sw');
    const a = addHost(network, lanSwitch, 'a', '10.0.0.1/24');
    const b = addHost(network, lanSwitch, 'b', '10.0.0.2/24', {
      reassembly: { timeoutMs: 200, maxDatagrams: 4 },
    });
    const fuzzer = network.addNic('fuzzer');
    network.connect(fuzzer, lanSwitch);
    const bases = seeds();
    await runUntil(network, a.stack.ping('10.0.0.2'));
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 8 }), (mutations) => {
        fuzzer.send(
          mutations.map(({ seed, flips, cut, tail, etherType }) => {
            const base = bases[seed]!;
            const packet = new Uint8Array([...base.packet, ...tail]);
            for (const { at, value } of flips) if (at < packet.length) packet[at] = value;
            const body = cut === undefined ? packet : packet.subarray(0, cut);
            const frame = new Uint8Array(ETHERNET_HEADER_LENGTH + body.length);
            writeEthernetHeader(frame, b.nic.mac, fuzzer.mac, etherType ?? base.etherType);
            frame.set(body, ETHERNET_HEADER_LENGTH);
            return { data: frame };
          }),
        );
        network.run(50);
        assert.equal(b.stack.drops()['internal.exception'], undefined);
      }),
      { numRuns: 300 },
    );
    const reply = await runUntil(network, a.stack.ping('10.0.0.2'));
    assert.equal(reply.from, '10.0.0.2');
    // The fuzzing was not all dropped at the door: it reached the parsers of every layer.
    const drops = Object.keys(b.stack.drops());
    for (const layer of ['ethernet.', 'arp.', 'ipv4.', 'icmpv4.', 'udp.']) {
      assert.ok(
        drops.some((key) => key.startsWith(layer)),
        `no ${layer} drops in ${drops}`,
      );
    }
  });
});
