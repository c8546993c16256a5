// The firewall policy on a real router stack in the simulator: a client host, the router (a
// NetStack with a `client` and an `uplink` interface and the policy installed) and an outside
// host, all on one virtual clock.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger, MemorySink, SeededRandom, unwrap } from '@oasis/core';
import { NetStack } from '@oasis/net';
import type { UdpEndpoint, UdpSocket } from '@oasis/runtime';
import { SimNetwork } from '@oasis/sim';
import { addHost, runUntil } from '../../net/test/sim-hosts.ts';
import {
  ConnectionTable,
  FirewallPolicy,
  parsePortForward,
  parseRules,
  RuleSet,
} from '../src/index.ts';

const UPLINK = '192.0.2.2';

function firewalled(rulesText: string, options: { forwards?: string[]; capacity?: number } = {}) {
  const network = new SimNetwork({ seed: 3 });
  const clientSwitch = network.addSwitch('lan');
  const outsideSwitch = network.addSwitch('internet');
  const client = addHost(network, clientSwitch, 'client', '10.137.0.2/24', {
    ipv4Gateway: '10.137.0.1',
  });
  const other = addHost(network, clientSwitch, 'other', '10.137.0.3/24', {
    ipv4Gateway: '10.137.0.1',
  });
  // The outside host routes the client network to the firewall, as an attacker next to it would.
  const outside = addHost(network, outsideSwitch, 'outside', '192.0.2.1/24', {
    routes: [{ destination: '10.137.0.0/24', gateway: UPLINK }],
  });
  const clientNic = network.addNic('fw-client');
  network.connect(clientNic, clientSwitch);
  const uplinkNic = network.addNic('fw-uplink');
  network.connect(uplinkNic, outsideSwitch);
  const router = new NetStack({
    interfaces: [
      { device: clientNic, ipv4: ['10.137.0.1/24'] },
      { device: uplinkNic, ipv4: [`${UPLINK}/24`] },
    ],
    interfaceNames: ['client', 'uplink'],
    ipv4Gateway: '192.0.2.1',
    clock: network.clock,
    sleep: network.clock,
    random: new SeededRandom(3).derive('router'),
    logger: createLogger({ source: 'router', sink: new MemorySink(), clock: network.clock }),
    probeAddresses: false,
  });
  const table = new ConnectionTable({
    capacity: options.capacity ?? 1024,
    random: new SeededRandom(3).derive('table'),
    isPortUsedLocally: (protocol, port) => router.forwarding.portInUse(protocol, port),
  });
  const policy = new FirewallPolicy({
    forwarding: router.forwarding,
    clientInterface: 0,
    uplinkInterface: 1,
    table,
    rules: new RuleSet(unwrap(parseRules(rulesText, 'rules'))),
    dnsUpstream: 0xc0000201,
    portForwards: (options.forwards ?? []).map((text) => unwrap(parsePortForward(text))),
  });
  router.forwarding.setPolicy(policy);
  return { network, client, other, outside, router, table, policy };
}

/** Binds `port` on `stack` and answers every datagram with the sender's address and port. */
async function whoAsks(stack: NetStack, port: number): Promise<UdpSocket> {
  const socket = await stack.udp.bind({ port });
  socket.onMessage((_data, from) =>
    socket.send(new TextEncoder().encode(`${from.address}:${from.port}`), from),
  );
  return socket;
}

/** Sends from `stack` (from `sourcePort`, or an ephemeral one) and resolves with the answer. */
async function ask(
  stack: NetStack,
  to: UdpEndpoint,
  sourcePort?: number,
): Promise<{ text: string; from: UdpEndpoint }> {
  const socket = await stack.udp.bind(sourcePort === undefined ? {} : { port: sourcePort });
  const answer = new Promise<{ text: string; from: UdpEndpoint }>((resolve) =>
    socket.onMessage((data, from) => {
      resolve({ text: new TextDecoder().decode(data), from });
      socket.close();
    }),
  );
  socket.send(new TextEncoder().encode('who am I'), to);
  return answer;
}

describe('FirewallPolicy on a simulated router', () => {
  it('translates a client to the uplink address, keeping its port, both ways', async () => {
    const { network, client, outside, table } = firewalled('* accept proto=udp\n');
    await whoAsks(outside.stack, 7000);
    const answer = await runUntil(
      network,
      ask(client.stack, { address: '192.0.2.1', port: 7000 }, 40000),
    );
    assert.equal(answer.text, `${UPLINK}:40000`);
    assert.deepEqual(answer.from, { address: '192.0.2.1', port: 7000 });
    assert.equal(table.size, 1);
  });

  it('maps one inside endpoint to one outside port for every destination (RFC 4787 REQ-1)', async () => {
    const { network, client, other, outside } = firewalled('* accept proto=udp\n');
    await whoAsks(outside.stack, 7000);
    await whoAsks(outside.stack, 7001);
    const first = await runUntil(
      network,
      ask(client.stack, { address: '192.0.2.1', port: 7000 }, 40000),
    );
    // Another client with the same port gets another outside port; the first keeps its own.
    const second = await runUntil(
      network,
      ask(other.stack, { address: '192.0.2.1', port: 7000 }, 40000),
    );
    const again = await runUntil(
      network,
      ask(client.stack, { address: '192.0.2.1', port: 7001 }, 40000),
    );
    assert.equal(first.text, `${UPLINK}:40000`);
    assert.notEqual(second.text, `${UPLINK}:40000`);
    assert.match(second.text, /^192\.0\.2\.2:\d+$/);
    assert.equal(again.text, `${UPLINK}:40000`);
  });

  it('forwards pings and answers its own; drops what no rule accepts', async () => {
    const { network, client, policy } = firewalled('* accept proto=icmp dst=192.0.2.1\n');
    const reply = await runUntil(network, client.stack.ping('192.0.2.1'));
    assert.equal(reply.from, '192.0.2.1');
    assert.equal(reply.ttl, 63);
    assert.equal((await runUntil(network, client.stack.ping('10.137.0.1'))).ttl, 64);
    await assert.rejects(runUntil(network, client.stack.ping('192.0.2.77', { timeoutMs: 500 })));
    assert.equal(policy.rules.counts().byRule[0], 1);
    assert.equal(policy.rules.counts().unmatched, 1);
    assert.equal(policy.drops.get('rule'), 1);
  });

  it('lets nothing in from outside but replies and port forwards', async () => {
    const { network, client, outside, policy } = firewalled('* accept\n', {
      forwards: ['udp:5353=10.137.0.2:53'],
    });
    const inside = await whoAsks(client.stack, 53);
    let heard = 0;
    inside.onMessage((_data, from) => {
      heard++;
      inside.send(new TextEncoder().encode(`${from.address}:${from.port}`), from);
    });
    const forwarded = await runUntil(network, ask(outside.stack, { address: UPLINK, port: 5353 }));
    // The client sees the real outside sender; the answer leaves from the forwarded port.
    assert.match(forwarded.text, /^192\.0\.2\.1:\d+$/);
    assert.deepEqual(forwarded.from, { address: UPLINK, port: 5353 });
    const unsolicited = await outside.stack.udp.bind();
    unsolicited.send(new Uint8Array(4), { address: UPLINK, port: 6000 });
    unsolicited.send(new Uint8Array(4), { address: '10.137.0.2', port: 53 });
    network.run(100);
    assert.equal(heard, 1);
    assert.equal(policy.drops.get('not-translated'), 1);
  });

  it('brings a port unreachable back to the client, translated (RFC 5508)', async () => {
    const { network, client, router } = firewalled('* accept proto=udp\n');
    const socket = await client.stack.udp.bind({ port: 40000 });
    socket.send(new Uint8Array(8), { address: '192.0.2.1', port: 9 });
    network.run(100);
    assert.equal(client.stack.counters()['icmpv4.destination-unreachable-received'], 1);
    assert.equal(router.counters()['forward.packets'], 2);
  });

  it('sends DNS for the firewall upstream where specialtarget=dns allows', async () => {
    const { network, client, outside } = firewalled('* accept specialtarget=dns\n');
    await whoAsks(outside.stack, 53);
    const answer = await runUntil(
      network,
      ask(client.stack, { address: '10.137.0.1', port: 53 }, 40001),
    );
    assert.equal(answer.text, `${UPLINK}:40001`);
    // The client hears the firewall answer, as it asked the firewall.
    assert.deepEqual(answer.from, { address: '10.137.0.1', port: 53 });
  });

  it('hairpins a client to a port forward through the uplink address (RFC 4787 REQ-9)', async () => {
    const { network, client, other } = firewalled('* accept\n', {
      forwards: ['udp:8053=10.137.0.3:53'],
    });
    await whoAsks(other.stack, 53);
    const answer = await runUntil(
      network,
      ask(client.stack, { address: UPLINK, port: 8053 }, 40002),
    );
    // The target sees the client as the outside does, and the client hears the outside address.
    assert.equal(answer.text, `${UPLINK}:40002`);
    assert.deepEqual(answer.from, { address: UPLINK, port: 8053 });
  });

  it('keeps tracked flows across a rules change; new flows meet the new rules', async () => {
    const { network, client, outside, policy } = firewalled('* accept proto=udp\n');
    await whoAsks(outside.stack, 7000);
    await runUntil(network, ask(client.stack, { address: '192.0.2.1', port: 7000 }, 40000));
    policy.setRules(new RuleSet(unwrap(parseRules('* drop\n', 'rules'))));
    const same = await runUntil(
      network,
      ask(client.stack, { address: '192.0.2.1', port: 7000 }, 40000),
    );
    assert.equal(same.text, `${UPLINK}:40000`);
    const fresh = await client.stack.udp.bind({ port: 40003 });
    let answered = false;
    fresh.onMessage(() => {
      answered = true;
    });
    fresh.send(new Uint8Array(4), { address: '192.0.2.1', port: 7000 });
    network.run(1000);
    assert.equal(answered, false);
    assert.deepEqual(policy.rules.counts(), { byRule: [1], unmatched: 0 });
    assert.equal(policy.drops.get('rule'), 1);
  });

  it('carries a TCP connection through the NAT, tracking it from SYN to FIN (RFC 5382)', async () => {
    const { network, client, outside, table } = firewalled('* accept proto=tcp dstports=80\n');
    const listener = await outside.stack.tcp.listen({ port: 80 });
    const served = new Promise<string>((resolve) =>
      listener.onConnection(async (flow) => {
        const data = await flow.read();
        await flow.write(data ?? new Uint8Array(0));
        resolve(`${flow.remote.address} ${new TextDecoder().decode(data)}`);
        flow.close();
      }),
    );
    const flow = await runUntil(
      network,
      client.stack.tcp.connect({ address: '192.0.2.1', port: 80 }),
    );
    await runUntil(network, flow.write(new TextEncoder().encode('hello')));
    assert.equal(await runUntil(network, served), `${UPLINK} hello`);
    assert.deepEqual(await runUntil(network, flow.read()), new TextEncoder().encode('hello'));
    assert.equal(await runUntil(network, flow.read()), undefined);
    flow.close();
    network.run(1000);
    assert.equal(table.stateCounts()['time-wait'], 1);
  });

  it('answers a TTL of 1 with Time Exceeded before translating', async () => {
    const { network, client, router, table } = firewalled('* accept\n');
    await assert.rejects(
      runUntil(network, client.stack.ping('192.0.2.1', { ttl: 1, timeoutMs: 500 })),
    );
    assert.equal(client.stack.counters()['icmpv4.time-exceeded-received'], 1);
    assert.equal(router.drops()['forward.ttl-exceeded'], 1);
    assert.equal(table.size, 1);
  });
});
