import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger, MemorySink, readU16BE, readU32BE, SeededRandom } from '@oasis/core';
import type { ForwardingPolicy, ForwardVerdict, UdpEndpoint } from '@oasis/runtime';
import { SimNetwork } from '@oasis/sim';
import { emitIpv4, IP_PROTOCOL_UDP, type Ipv4Repr } from '@oasis/wire';
import fc from 'fast-check';
import { NetStack } from '../src/index.ts';
import { decrementTtl } from '../src/ipv4-forwarder.ts';
import { addHost, runUntil } from './sim-hosts.ts';

/**
 * inside host 10.1.0.2 — [10.1.0.1 router 10.2.0.1] — outside host 10.2.0.2; the outside link
 * has `outsideMtu`.
 */
function routed(outsideMtu = 1500) {
  const network = new SimNetwork({ seed: 7 });
  const insideSwitch = network.addSwitch('inside');
  const outsideSwitch = network.addSwitch('outside');
  const inside = addHost(network, insideSwitch, 'in', '10.1.0.2/24', { ipv4Gateway: '10.1.0.1' });
  const outside = addHost(network, outsideSwitch, 'out', '10.2.0.2/24', {
    ipv4Gateway: '10.2.0.1',
    mtu: outsideMtu,
  });
  const insideNic = network.addNic('router-in');
  network.connect(insideNic, insideSwitch);
  const outsideNic = network.addNic('router-out', { mtu: outsideMtu });
  network.connect(outsideNic, outsideSwitch);
  const router = new NetStack({
    interfaces: [
      { device: insideNic, ipv4: ['10.1.0.1/24'] },
      { device: outsideNic, ipv4: ['10.2.0.1/24'] },
    ],
    interfaceNames: ['inside', 'outside'],
    clock: network.clock,
    sleep: network.clock,
    random: new SeededRandom(7).derive('router'),
    logger: createLogger({ source: 'router', sink: new MemorySink(), clock: network.clock }),
    probeAddresses: false,
  });
  return { network, inside, outside, router };
}

/** Forwards what is not for the router itself, with the checks the contract asks of a policy. */
function forwardAll(router: NetStack, seen: number[] = []): ForwardingPolicy {
  const { forwarding } = router;
  const own = new Set(forwarding.interfaces.flatMap((iface) => iface.ipv4.map((a) => a.address)));
  return {
    route(packet, received): ForwardVerdict {
      seen.push(received.ingress);
      const destination = readU32BE(packet, 16);
      if (own.has(destination)) return 'deliver';
      if (packet[8]! <= 1) return 'time-exceeded';
      const egress = forwarding.interfaces[forwarding.egressOf(destination)];
      const dontFragment = (packet[6]! & 0x40) !== 0;
      if (egress !== undefined && packet.length > egress.mtu && dontFragment) return 'too-big';
      return 'forward';
    },
  };
}

describe('Ipv4Forwarder: a stack with a forwarding policy routes between its interfaces', () => {
  it('forwards nothing without a policy, as a host', async () => {
    const { network, inside, router } = routed();
    await assert.rejects(runUntil(network, inside.stack.ping('10.2.0.2', { timeoutMs: 1000 })));
    assert.equal(router.drops()['ipv4.not-for-us'], 1);
  });

  it('describes its interfaces and routes, and knows its own ports', async () => {
    const { router } = routed(1000);
    const { forwarding } = router;
    assert.deepEqual(
      forwarding.interfaces.map((iface) => [iface.name, iface.mtu, iface.ipv4[0]?.address]),
      [
        ['inside', 1500, 0x0a010001],
        ['outside', 1000, 0x0a020001],
      ],
    );
    assert.equal(forwarding.egressOf(0x0a020063), 1);
    assert.equal(forwarding.egressOf(0x0a010063), 0);
    assert.equal(forwarding.egressOf(0x08080808), -1);
    assert.equal(forwarding.portInUse(IP_PROTOCOL_UDP, 5353), false);
    const socket = await router.udp.bind({ port: 5353 });
    assert.equal(forwarding.portInUse(IP_PROTOCOL_UDP, 5353), true);
    assert.equal(forwarding.portInUse(6, 5353), false);
    socket.close();
  });

  it('forwards pings both ways with the TTL decremented, and still answers its own', async () => {
    const { network, inside, outside, router } = routed();
    const seen: number[] = [];
    router.forwarding.setPolicy(forwardAll(router, seen));
    const reply = await runUntil(network, inside.stack.ping('10.2.0.2'));
    assert.equal(reply.from, '10.2.0.2');
    assert.equal(reply.ttl, 63);
    const back = await runUntil(network, outside.stack.ping('10.1.0.2'));
    assert.equal(back.ttl, 63);
    const own = await runUntil(network, inside.stack.ping('10.1.0.1'));
    assert.equal(own.ttl, 64);
    assert.equal(router.counters()['forward.packets'], 4);
    assert.ok(seen.includes(0) && seen.includes(1));
    assert.deepEqual(router.drops(), {});
  });

  it('answers a TTL of 1 with Time Exceeded from its own address (RFC 1812 §5.3.1)', async () => {
    const { network, inside, router } = routed();
    router.forwarding.setPolicy(forwardAll(router));
    await assert.rejects(
      runUntil(network, inside.stack.ping('10.2.0.2', { ttl: 1, timeoutMs: 1000 })),
    );
    assert.equal(router.drops()['forward.ttl-exceeded'], 1);
    assert.equal(router.counters()['icmpv4.errors-sent'], 1);
    assert.equal(inside.stack.counters()['icmpv4.time-exceeded-received'], 1);
  });

  it('drops what the policy drops', async () => {
    const { network, inside, router } = routed();
    router.forwarding.setPolicy({ route: () => 'drop' });
    await assert.rejects(runUntil(network, inside.stack.ping('10.2.0.2', { timeoutMs: 1000 })));
    assert.equal(router.counters()['forward.packets'], undefined);
    // Its own address too: the policy sees everything first.
    await assert.rejects(runUntil(network, inside.stack.ping('10.1.0.1', { timeoutMs: 1000 })));
  });

  it('reassembles, lets the policy see the whole datagram, and fragments for a smaller MTU', async () => {
    const { network, inside, outside, router } = routed(1000);
    const lengths: number[] = [];
    const policy = forwardAll(router);
    router.forwarding.setPolicy({
      route(packet, received, nowMs) {
        lengths.push(packet.length);
        return policy.route(packet, received, nowMs);
      },
    });
    const receiver = await outside.stack.udp.bind({ port: 7000 });
    const got = new Promise<{ data: Uint8Array; from: UdpEndpoint }>((resolve) =>
      receiver.onMessage((data, from) => resolve({ data, from })),
    );
    const sender = await inside.stack.udp.bind();
    const data = Uint8Array.from({ length: 3000 }, (_, i) => i & 0xff);
    sender.send(data, { address: '10.2.0.2', port: 7000 });
    const { data: received, from } = await runUntil(network, got);
    assert.deepEqual(received, data);
    assert.equal(from.address, '10.1.0.2');
    assert.ok(lengths.includes(20 + 8 + 3000), `the policy saw ${lengths.join(', ')}`);
    assert.equal(router.counters()['ipv4.reassembled'], 1);
    assert.equal(router.counters()['forward.fragments-sent'], 4);
  });

  it('answers Fragmentation Needed with the egress MTU for DF datagrams (RFC 1191 §4)', async () => {
    const { network, inside, router } = routed(1000);
    router.forwarding.setPolicy(forwardAll(router));
    await assert.rejects(
      runUntil(
        network,
        inside.stack.ping('10.2.0.2', { dataLength: 1200, dontFragment: true, timeoutMs: 1000 }),
      ),
    );
    assert.equal(router.drops()['forward.too-big'], 1);
    assert.equal(inside.stack.counters()['icmpv4.destination-unreachable-received'], 1);
  });

  it('rewrites nothing but the TTL and header checksum of what it forwards', async () => {
    const { network, inside, outside, router } = routed();
    const copies: Uint8Array[] = [];
    const policy = forwardAll(router);
    router.forwarding.setPolicy({
      route(packet, received, nowMs) {
        const verdict = policy.route(packet, received, nowMs);
        if (verdict === 'forward') copies.push(packet.slice());
        return verdict;
      },
    });
    await runUntil(network, inside.stack.ping('10.2.0.2'));
    const request = copies[0]!;
    assert.equal(readU16BE(request, 2), 84);
    // The router decremented the very buffer it forwarded: the copy shows 64, the wire 63.
    assert.equal(request[8], 64);
    assert.equal(outside.stack.counters()['icmpv4.echo-replies-sent'], 1);
    assert.deepEqual(outside.stack.drops(), {});
  });
});

describe('decrementTtl', () => {
  it('gives the header a full recomputation gives, for any header (RFC 1624 §3)', () => {
    const header = (repr: Ipv4Repr): Uint8Array => {
      const bytes = new Uint8Array(20 + repr.options.length);
      emitIpv4(repr, bytes);
      return bytes;
    };
    fc.assert(
      fc.property(
        fc.record({
          ttl: fc.integer({ min: 1, max: 255 }),
          protocol: fc.integer({ min: 0, max: 255 }),
          identification: fc.integer({ min: 0, max: 0xffff }),
          source: fc.integer({ min: 0, max: 0xffffffff }),
          destination: fc.integer({ min: 0, max: 0xffffffff }),
          dscp: fc.integer({ min: 0, max: 63 }),
        }),
        (fields) => {
          const repr: Ipv4Repr = {
            ...fields,
            ecn: 0,
            reservedFlag: false,
            dontFragment: true,
            moreFragments: false,
            fragmentOffset: 0,
            options: new Uint8Array(0),
            payloadLength: 0,
            checksum: 'compute',
          };
          const packet = header(repr);
          decrementTtl(packet);
          assert.deepEqual(packet, header({ ...repr, ttl: fields.ttl - 1 }));
        },
      ),
      { seed: 1, numRuns: 500 },
    );
  });
});
