import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isOasisError } from '@oasis/core';
import type { UdpEndpoint } from '@oasis/runtime';
import { SimNetwork } from '@oasis/sim';
import { addHost, flush, runUntil } from './sim-hosts.ts';

function lan(seed = 1) {
  const network = new SimNetwork({ seed });
  const lanSwitch = network.addSwitch('sw');
  const a = addHost(network, lanSwitch, 'a', '10.0.0.1/24');
  const b = addHost(network, lanSwitch, 'b', '10.0.0.2/24');
  return { network, lanSwitch, a, b };
}

describe('NetStack on a simulated LAN', () => {
  it('answers pings after resolving the address with ARP', async () => {
    const { network, a, b } = lan();
    const reply = await runUntil(network, a.stack.ping('10.0.0.2'));
    assert.equal(reply.from, '10.0.0.2');
    assert.equal(reply.bytes, 64);
    assert.equal(reply.ttl, 64);
    assert.ok(reply.rttMs >= 0);
    assert.equal(a.stack.counters()['arp.requests-sent'], 1);
    assert.equal(b.stack.counters()['arp.replies-sent'], 1);
    assert.equal(b.stack.counters()['icmpv4.echo-replies-sent'], 1);
    // b learnt a from the request it answered (unconfirmed, so stale): its reply goes at once,
    // and one unicast request re-validates the entry (RFC 1122 §2.3.2.1).
    assert.equal(b.stack.counters()['arp.requests-sent'], 1);
    network.run(10);
    assert.equal(b.stack.interfaces()[0]!.arp[0]?.state, 'reachable');
    assert.deepEqual(a.stack.drops(), {});
    assert.deepEqual(b.stack.drops(), {});
    const entry = a.stack.interfaces()[0]!.arp.find((e) => e.ip === 0x0a000002);
    assert.equal(entry?.state, 'reachable');
  });

  it('fragments an 8000-byte ping at MTU 1500 and reassembles the reply', async () => {
    const { network, a, b } = lan();
    const reply = await runUntil(network, a.stack.ping('10.0.0.2', { dataLength: 8000 }));
    assert.equal(reply.bytes, 8008);
    // 8008 bytes of ICMP in 1480-byte pieces: 6 fragments each way.
    assert.equal(a.stack.counters()['ipv4.fragments-sent'], 6);
    assert.equal(b.stack.counters()['ipv4.fragments-sent'], 6);
    assert.equal(a.stack.counters()['ipv4.reassembled'], 1);
    assert.equal(b.stack.counters()['ipv4.reassembled'], 1);
  });

  it('refuses to fragment with DF set', async () => {
    const { network, a } = lan();
    await runUntil(network, a.stack.ping('10.0.0.2'));
    await assert.rejects(
      a.stack.ping('10.0.0.2', { dataLength: 2000, dontFragment: true }),
      (error) => isOasisError(error, 'EMSGSIZE'),
    );
  });

  it('echoes UDP datagrams both ways, with the sender as the reply address', async () => {
    const { network, a, b } = lan();
    const server = await b.stack.udp.bind({ port: 7 });
    server.onMessage((data, from) => server.send(data, from));
    const client = await a.stack.udp.bind();
    assert.ok(client.local.port >= 49152, `ephemeral port ${client.local.port}`);
    const received: { data: string; from: UdpEndpoint }[] = [];
    const echoed = new Promise<void>((resolve) => {
      client.onMessage((data, from) => {
        received.push({ data: new TextDecoder().decode(data), from });
        if (received.length === 2) resolve();
      });
    });
    client.send(new TextEncoder().encode('hello'), { address: '10.0.0.2', port: 7 });
    client.send(new Uint8Array(3000).fill(0x61), { address: '10.0.0.2', port: 7 });
    await runUntil(network, echoed);
    assert.deepEqual(received[0], { data: 'hello', from: { address: '10.0.0.2', port: 7 } });
    assert.equal(received[1]!.data, 'a'.repeat(3000));
    assert.equal(b.stack.counters()['udp.received'], 2);
    assert.deepEqual(b.stack.drops(), {});
  });

  it('answers a closed port with ICMP port unreachable, rate-limited', async () => {
    const network = new SimNetwork();
    const lanSwitch = network.addSwitch('sw');
    const a = addHost(network, lanSwitch, 'a', '10.0.0.1/24');
    const b = addHost(network, lanSwitch, 'b', '10.0.0.2/24', {
      icmpErrorRate: { ratePerSecond: 1, burst: 2 },
    });
    const client = await a.stack.udp.bind();
    for (let i = 0; i < 5; i++) client.send(Uint8Array.of(i), { address: '10.0.0.2', port: 9 });
    await runUntil(network, a.stack.ping('10.0.0.2'));
    assert.equal(b.stack.drops()['udp.no-socket'], 5);
    assert.equal(b.stack.counters()['icmpv4.errors-sent'], 2);
    assert.equal(b.stack.drops()['icmpv4.rate-limited'], 3);
    assert.equal(a.stack.counters()['icmpv4.destination-unreachable-received'], 2);
  });

  it('sends broadcasts only from sockets that asked for them', async () => {
    const { network, a, b } = lan();
    const listener = await b.stack.udp.bind({ port: 67 });
    const heard: UdpEndpoint[] = [];
    listener.onMessage((_data, from) => heard.push(from));
    const plain = await a.stack.udp.bind({ port: 68 });
    assert.throws(
      () => plain.send(Uint8Array.of(1), { address: '255.255.255.255', port: 67 }),
      (error) => isOasisError(error, 'EACCES'),
    );
    await plain.close();
    const broadcaster = await a.stack.udp.bind({ port: 68, broadcast: true });
    broadcaster.send(Uint8Array.of(1), { address: '255.255.255.255', port: 67 });
    broadcaster.send(Uint8Array.of(2), { address: '10.0.0.255', port: 67 });
    network.run(10);
    await flush();
    assert.deepEqual(heard, [
      { address: '10.0.0.1', port: 68 },
      { address: '10.0.0.1', port: 68 },
    ]);
    // No ARP for a broadcast.
    assert.equal(a.stack.counters()['arp.requests-sent'], undefined);
  });

  it('binds: EADDRINUSE, EADDRNOTAVAIL, specific before wildcard', async () => {
    const { network, a, b } = lan();
    const wildcard = await b.stack.udp.bind({ port: 53 });
    await assert.rejects(b.stack.udp.bind({ port: 53 }), (e) => isOasisError(e, 'EADDRINUSE'));
    await assert.rejects(b.stack.udp.bind({ address: '10.0.0.99', port: 54 }), (e) =>
      isOasisError(e, 'EADDRNOTAVAIL'),
    );
    await wildcard.close();
    const specific = await b.stack.udp.bind({ address: '10.0.0.2', port: 53 });
    const got: number[] = [];
    specific.onMessage((data) => got.push(data[0]!));
    const client = await a.stack.udp.bind();
    client.send(Uint8Array.of(42), { address: '10.0.0.2', port: 53 });
    await runUntil(network, a.stack.ping('10.0.0.2'));
    assert.deepEqual(got, [42]);
  });

  it('gives up on an address nobody answers for, dropping what waited', async () => {
    const { network, a } = lan();
    const client = await a.stack.udp.bind();
    client.send(Uint8Array.of(1), { address: '10.0.0.99', port: 7 });
    await assert.rejects(
      runUntil(network, a.stack.ping('10.0.0.99', { timeoutMs: 10_000 })),
      (error) => isOasisError(error, 'ETIMEDOUT'),
    );
    assert.equal(a.stack.counters()['arp.requests-sent'], 3);
    assert.equal(a.stack.drops()['arp.unresolved'], 2);
  });

  it('sends off-link traffic to the default gateway', async () => {
    const network = new SimNetwork();
    const lanSwitch = network.addSwitch('sw');
    const router = addHost(network, lanSwitch, 'r', '10.0.0.254/24');
    const a = addHost(network, lanSwitch, 'a', '10.0.0.1/24', { ipv4Gateway: '10.0.0.254' });
    await assert.rejects(
      runUntil(network, a.stack.ping('192.0.2.7', { timeoutMs: 500 })),
      (error) => isOasisError(error, 'ETIMEDOUT'),
    );
    // The router got the echo request at its MAC and, being a host, did not forward it.
    assert.equal(router.stack.drops()['ipv4.not-for-us'], 1);
    assert.deepEqual(
      a.stack.routes().map((route) => [route.network, route.prefixLength, route.gateway]),
      [
        [0x0a000000, 24, undefined],
        [0, 0, 0x0a0000fe],
      ],
    );
    await assert.rejects(
      (async () => addHost(network, lanSwitch, 'c', '10.0.1.1/24').stack.ping('192.0.2.7'))(),
      (error) => isOasisError(error, 'ENETUNREACH'),
    );
  });

  it('routes by longest prefix: a static route beats the default gateway', async () => {
    const network = new SimNetwork();
    const lanSwitch = network.addSwitch('sw');
    const gateway = addHost(network, lanSwitch, 'gw', '10.0.0.254/24');
    const router = addHost(network, lanSwitch, 'r', '10.0.0.253/24');
    const a = addHost(network, lanSwitch, 'a', '10.0.0.1/24', {
      ipv4Gateway: '10.0.0.254',
      routes: [{ destination: '192.168.10.0/24', gateway: '10.0.0.253' }],
    });
    for (const destination of ['192.168.10.7', '192.168.11.7']) {
      await assert.rejects(
        runUntil(network, a.stack.ping(destination, { timeoutMs: 500 })),
        (error) => isOasisError(error, 'ETIMEDOUT'),
      );
    }
    assert.equal(router.stack.drops()['ipv4.not-for-us'], 1);
    assert.equal(gateway.stack.drops()['ipv4.not-for-us'], 1);
    assert.throws(
      () =>
        addHost(network, lanSwitch, 'c', '10.0.0.3/24', {
          routes: [{ destination: '10.1.0.0/16', interface: 2 }],
        }),
      /no interface 2/,
    );
  });

  it('probes its address (RFC 5227) before using it, and announces it', async () => {
    const network = new SimNetwork();
    const lanSwitch = network.addSwitch('sw');
    const watcher = addHost(network, lanSwitch, 'w', '10.0.0.9/24');
    const host = addHost(network, lanSwitch, 'h', '10.0.0.3/24', { probeAddresses: true });
    const startMs = network.clock.nowMs();
    await runUntil(network, host.stack.ready);
    const tookMs = network.clock.nowMs() - startMs;
    // PROBE_WAIT [0,1) + 2 gaps of [1,2] + ANNOUNCE_WAIT 2 s.
    assert.ok(tookMs >= 4000 && tookMs <= 7000, `ready after ${tookMs} ms`);
    assert.equal(host.stack.counters()['arp.probes-sent'], 3);
    await runUntil(network, watcher.stack.ping('10.0.0.3'));
    network.run(5000);
    assert.equal(host.stack.counters()['arp.announcements-sent'], 2);
    assert.equal(host.stack.interfaces()[0]!.addresses[0]!.state, 'bound');
  });

  it('refuses an address another host holds', async () => {
    const network = new SimNetwork();
    const lanSwitch = network.addSwitch('sw');
    addHost(network, lanSwitch, 'owner', '10.0.0.5/24');
    const late = addHost(network, lanSwitch, 'late', '10.0.0.5/24', { probeAddresses: true });
    await assert.rejects(runUntil(network, late.stack.ready), (error) =>
      isOasisError(error, 'EADDRINUSE'),
    );
    assert.equal(late.stack.interfaces()[0]!.addresses[0]!.state, 'conflict');
  });

  it('keeps working over a lossy, reordering, duplicating link', async () => {
    const network = new SimNetwork({ seed: 5 });
    const lanSwitch = network.addSwitch('sw');
    const conditions = { latencyMs: 2, jitterMs: 3, loss: 0.05, duplicate: 0.1, reorder: 0.2 };
    const a = addHost(network, lanSwitch, 'a', '10.0.0.1/24', { conditions });
    addHost(network, lanSwitch, 'b', '10.0.0.2/24', { conditions });
    let answered = 0;
    for (let i = 0; i < 40; i++) {
      try {
        await runUntil(network, a.stack.ping('10.0.0.2', { dataLength: 3000 }));
        answered++;
      } catch (error) {
        assert.ok(isOasisError(error, 'ETIMEDOUT'));
      }
    }
    // Each ping is 3 fragments each way over two lossy hops: about 0.95^12 ≈ 54% get through.
    assert.ok(answered >= 12, `${answered} of 40 answered`);
    // Duplicated fragments are recognised as such, not mistaken for overlaps.
    assert.ok((a.stack.drops()['ipv4.fragment-duplicate'] ?? 0) > 0);
    assert.equal(a.stack.drops()['ipv4.fragment-overlap'], undefined);
    assert.equal(a.stack.drops()['internal.exception'], undefined);
  });
});
