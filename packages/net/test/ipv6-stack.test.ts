import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { UdpEndpoint } from '@oasis/runtime';
import { SimNetwork } from '@oasis/sim';
import {
  ETHERNET_HEADER_LENGTH,
  ETHERTYPE_IPV6,
  emitIcmpv6,
  IP_PROTOCOL_ICMPV6,
  IP_PROTOCOL_UDP,
  icmpv6Length,
  icmpv6PacketTooBig,
  ipv6PseudoHeaderSum,
  parseIpv6Address,
  writeEthernetHeader,
  writeIpv6Header,
} from '@oasis/wire';
import { addHost, runUntil } from './sim-hosts.ts';

/** Two dual-stack hosts on one switch: static global addresses, link-local ones from the MAC. */
function lan(seed = 1) {
  const network = new SimNetwork({ seed });
  const lanSwitch = network.addSwitch('sw');
  const a = addHost(network, lanSwitch, 'a', '10.0.0.1/24', {
    ipv6: { addresses: ['fd00::1/64'] },
  });
  const b = addHost(network, lanSwitch, 'b', '10.0.0.2/24', {
    ipv6: { addresses: ['fd00::2/64'] },
  });
  return { network, lanSwitch, a, b };
}

describe('IPv6 on the direct stack (simulated LAN)', () => {
  it('checks its addresses with duplicate address detection, then answers pings', async () => {
    const { network, a, b } = lan();
    await runUntil(network, Promise.all([a.stack.ready, b.stack.ready]));
    assert.ok(a.stack.addresses().includes('fd00::1'));
    assert.ok(a.stack.addresses().some((address) => address.startsWith('fe80::')));
    assert.ok((a.stack.counters()['ndp.dad-solicitations-sent'] ?? 0) >= 2);
    const reply = await runUntil(network, a.stack.ping('fd00::2'));
    assert.equal(reply.from, 'fd00::2');
    assert.equal(reply.bytes, 64);
    assert.equal(reply.ttl, 64);
    assert.equal(b.stack.counters()['icmpv6.echo-replies-sent'], 1);
    const linkLocal = b.stack.addresses().find((address) => address.startsWith('fe80::'))!;
    const local = await runUntil(network, a.stack.ping(linkLocal));
    assert.equal(local.from, linkLocal);
    // The other host's MLD reports and duplicate address probes go to groups a has not joined:
    // dropped by MAC, or (solicited-node groups share a MAC prefix) by address.
    assert.deepEqual(Object.keys(a.stack.drops()).sort(), [
      'ethernet.multicast',
      'ipv6.not-joined',
    ]);
  });

  it('fragments a 4000-byte ping and reassembles the reply', async () => {
    const { network, a, b } = lan();
    await runUntil(network, Promise.all([a.stack.ready, b.stack.ready]));
    const reply = await runUntil(network, a.stack.ping('fd00::2', { dataLength: 4000 }));
    assert.equal(reply.bytes, 4008);
    assert.equal(a.stack.counters()['ipv6.fragments-sent'], 3);
    assert.equal(b.stack.counters()['ipv6.reassembled'], 1);
    assert.equal(a.stack.counters()['ipv6.reassembled'], 1);
  });

  it('lowers the path MTU on Packet Too Big and fragments to it (RFC 8201)', async () => {
    const { network, lanSwitch, a, b } = lan();
    const router = network.addNic('router');
    network.connect(router, lanSwitch);
    await runUntil(network, Promise.all([a.stack.ready, b.stack.ready]));
    const server = await b.stack.udp.bind({ port: 9 });
    const sizes: number[] = [];
    server.onMessage((data) => sizes.push(data.length));
    const client = await a.stack.udp.bind();
    client.send(new Uint8Array(1400), { address: 'fd00::2', port: 9 });
    network.run(100);
    assert.equal(a.stack.counters()['ipv6.fragments-sent'], undefined);
    // A router on the path says the next link takes 1280 bytes, quoting a's datagram.
    const address = (text: string) => (parseIpv6Address(text) as { value: Uint8Array }).value;
    const quoted = new Uint8Array(48);
    writeIpv6Header(quoted, address('fd00::1'), address('fd00::2'), IP_PROTOCOL_UDP, 64, 1408);
    const message = icmpv6PacketTooBig(1280, quoted);
    const length = icmpv6Length(message);
    const frame = new Uint8Array(ETHERNET_HEADER_LENGTH + 40 + length);
    writeEthernetHeader(frame, a.nic.mac, router.mac, ETHERTYPE_IPV6);
    const ip = frame.subarray(ETHERNET_HEADER_LENGTH);
    const source = address('fd00::9');
    writeIpv6Header(ip, source, address('fd00::1'), IP_PROTOCOL_ICMPV6, 64, length);
    emitIcmpv6(
      message,
      ip.subarray(40),
      ipv6PseudoHeaderSum(source, address('fd00::1'), IP_PROTOCOL_ICMPV6, length),
    );
    router.send([{ data: frame }]);
    network.run(10);
    assert.equal(a.stack.counters()['ipv6.path-mtu-lowered'], 1);
    client.send(new Uint8Array(1400), { address: 'fd00::2', port: 9 });
    network.run(100);
    assert.equal(a.stack.counters()['ipv6.fragments-sent'], 2);
    assert.deepEqual(sizes, [1400, 1400]);
  });

  it('carries UDP both ways on one dual-stack socket', async () => {
    const { network, a, b } = lan();
    await runUntil(network, Promise.all([a.stack.ready, b.stack.ready]));
    const server = await b.stack.udp.bind({ port: 7 });
    assert.equal(server.local.address, '::');
    server.onMessage((data, from) => server.send(data, from));
    const client = await a.stack.udp.bind();
    const replies: UdpEndpoint[] = [];
    const got = new Promise<void>((resolve) =>
      client.onMessage((_data, from) => {
        replies.push(from);
        if (replies.length === 2) resolve();
      }),
    );
    client.send(Uint8Array.of(1, 2, 3), { address: 'fd00::2', port: 7 });
    client.send(Uint8Array.of(4, 5, 6), { address: '10.0.0.2', port: 7 });
    await runUntil(network, got);
    assert.deepEqual(replies.map((from) => from.address).sort(), ['10.0.0.2', 'fd00::2']);
  });

  it('runs TCP over IPv6', async () => {
    const { network, a, b } = lan();
    await runUntil(network, Promise.all([a.stack.ready, b.stack.ready]));
    const listener = await b.stack.tcp.listen({ port: 80 });
    listener.onConnection(async (flow) => {
      for (let data = await flow.read(); data !== undefined; data = await flow.read()) {
        await flow.write(data);
      }
      await flow.close();
    });
    const flow = await runUntil(network, a.stack.tcp.connect({ address: 'fd00::2', port: 80 }));
    assert.equal(flow.remote.address, 'fd00::2');
    assert.equal(flow.local.address, 'fd00::1');
    const payload = new Uint8Array(100_000).map((_, i) => i & 0xff);
    const echoed: Uint8Array[] = [];
    const reading = (async () => {
      let total = 0;
      while (total < payload.length) {
        const data = await flow.read();
        if (data === undefined) break;
        echoed.push(data);
        total += data.length;
      }
    })();
    await runUntil(network, flow.write(payload));
    await runUntil(network, reading);
    const joined = new Uint8Array(echoed.reduce((n, part) => n + part.length, 0));
    let offset = 0;
    for (const part of echoed) {
      joined.set(part, offset);
      offset += part.length;
    }
    assert.deepEqual(joined, payload);
    await runUntil(network, flow.close());
  });
});
