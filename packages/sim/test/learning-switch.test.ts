import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Frame } from '@oasis/runtime';
import { arpRequest, ipv4, udpFrame } from '../../../examples/three-hosts/frames.ts';
import { SimNetwork } from '../src/sim-network.ts';

function star(hosts: number, options: { agingMs?: number; tableSize?: number } = {}) {
  const net = new SimNetwork({ seed: 3 });
  const sw = net.addSwitch('sw', options);
  const nics = Array.from({ length: hosts }, (_, i) => {
    const nic = net.addNic(`h${i + 1}`, { promiscuous: true });
    net.connect(nic, sw, { conditions: { latencyMs: 1 } });
    return nic;
  });
  const received = nics.map(() => [] as Uint8Array[]);
  nics.forEach((nic, i) => {
    nic.listen((frames: readonly Frame[]) => {
      for (const frame of frames) received[i]!.push(frame.data.slice());
    });
  });
  return { net, sw, nics, received };
}

function unicast(from: { mac: Uint8Array }, to: { mac: Uint8Array }, n: number): Uint8Array {
  const payload = Uint8Array.of(n);
  return udpFrame({
    dstMac: to.mac,
    srcMac: from.mac,
    srcIp: ipv4(1),
    dstIp: ipv4(2),
    srcPort: 1000,
    dstPort: 2000,
    payload,
  });
}

describe('LearningSwitch', () => {
  it('floods unknown unicast and broadcast, then forwards to the learned port only', () => {
    const { net, sw, nics, received } = star(3);
    const [h1, h2, h3] = nics as [(typeof nics)[0], (typeof nics)[0], (typeof nics)[0]];
    h1.send([{ data: arpRequest(h1.mac, ipv4(1), ipv4(2)) }]); // broadcast: everyone else sees it
    net.run(10);
    assert.deepEqual(
      received.map((r) => r.length),
      [0, 1, 1],
    );
    h2.send([{ data: unicast(h2, h1, 1) }]); // h1 is known: only h1 gets it
    net.run(10);
    assert.deepEqual(
      received.map((r) => r.length),
      [1, 1, 1],
    );
    h1.send([{ data: unicast(h1, h3, 2) }]); // h3 unknown: flooded to h2 and h3
    net.run(10);
    assert.deepEqual(
      received.map((r) => r.length),
      [1, 2, 2],
    );
    assert.equal(sw.portOf(h1.mac), 0);
    assert.equal(sw.portOf(h3.mac), undefined);
    assert.deepEqual(sw.counters, { forwarded: 1, flooded: 2, filtered: 0, runts: 0, evicted: 0 });
  });

  it('forgets entries after the ageing time', () => {
    const { net, sw, nics } = star(2, { agingMs: 1000 });
    nics[0]!.send([{ data: arpRequest(nics[0]!.mac, ipv4(1), ipv4(2)) }]);
    net.run(500);
    assert.equal(sw.portOf(nics[0]!.mac), 0);
    net.run(600);
    assert.equal(sw.portOf(nics[0]!.mac), undefined);
  });

  it('bounds its table, evicting the entry seen longest ago', () => {
    const { net, sw, nics } = star(3, { tableSize: 2 });
    for (const nic of nics) {
      nic.send([{ data: arpRequest(nic.mac, ipv4(1), ipv4(9)) }]);
      net.run(10);
    }
    assert.equal(sw.counters.evicted, 1);
    assert.equal(sw.portOf(nics[0]!.mac), undefined);
    assert.equal(sw.portOf(nics[1]!.mac), 1);
    assert.equal(sw.portOf(nics[2]!.mac), 2);
  });

  it('filters frames for a host behind the port they came from', () => {
    const net = new SimNetwork();
    const core = net.addSwitch('core');
    const edge = net.addSwitch('edge');
    const a = net.addNic('a');
    const b = net.addNic('b');
    net.connect(a, edge);
    net.connect(b, edge);
    net.connect(edge, core);
    b.listen(() => {});
    a.send([{ data: arpRequest(a.mac, ipv4(1), ipv4(2)) }]); // flooded: core learns a behind port 0
    b.send([{ data: unicast(b, a, 1) }]); // edge knows a: forwarded locally, core never sees it
    net.runUntilIdle();
    a.send([{ data: unicast(a, b, 2) }]);
    net.runUntilIdle();
    assert.equal(core.counters.flooded, 1);
    assert.equal(edge.counters.forwarded, 2);
  });
});
