import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isOasisError } from '@oasis/core';
import { BROADCAST_MAC } from '@oasis/wire';
import { ipv4, udpFrame } from '../../../examples/three-hosts/frames.ts';
import { SimNetwork } from '../src/sim-network.ts';

function pair(mtu = 1500) {
  const net = new SimNetwork();
  const a = net.addNic('a', { mtu });
  const b = net.addNic('b', { mtu });
  const link = net.connect(a, b, { conditions: { latencyMs: 2 } });
  const got: Uint8Array[] = [];
  b.listen((frames) => {
    for (const f of frames) got.push(f.data.slice());
  });
  return { net, a, b, link, got };
}

function udp(dstMac: Uint8Array, srcMac: Uint8Array, payloadLength: number): Uint8Array {
  const payload = new Uint8Array(payloadLength);
  return udpFrame({
    dstMac,
    srcMac,
    srcIp: ipv4(1),
    dstIp: ipv4(2),
    srcPort: 1,
    dstPort: 2,
    payload,
  });
}

describe('SimNic', () => {
  it('sends frames up to the MTU and counts longer or truncated ones as dropped', () => {
    const { net, a, b, got } = pair(1500);
    a.send([
      { data: udp(b.mac, a.mac, 1472) },
      { data: udp(b.mac, a.mac, 1473) },
      { data: new Uint8Array(10) },
    ]);
    net.runUntilIdle();
    assert.equal(got.length, 1);
    assert.equal(got[0]!.length, 1514);
    assert.deepEqual(a.counters(), {
      rxFrames: 0,
      rxBytes: 0,
      txFrames: 1,
      txBytes: 1514,
      rxDropped: 0,
      txDropped: 2,
    });
    assert.deepEqual(b.counters(), {
      rxFrames: 1,
      rxBytes: 1514,
      txFrames: 0,
      txBytes: 0,
      rxDropped: 0,
      txDropped: 0,
    });
  });

  it('allows four more bytes for an 802.1Q-tagged frame', () => {
    const { net, a, b, got } = pair(1500);
    const tagged = new Uint8Array(1518);
    tagged.set(b.mac, 0);
    tagged.set(a.mac, 6);
    tagged.set([0x81, 0x00, 0x00, 0x05, 0x08, 0x00], 12);
    a.send([{ data: tagged }]);
    net.runUntilIdle();
    assert.equal(got.length, 1);
  });

  it('passes up only its own unicast, broadcast and multicast unless promiscuous', () => {
    const { net, a, b, got } = pair();
    const other = Uint8Array.of(0x02, 9, 9, 9, 9, 9);
    const multicast = Uint8Array.of(0x01, 0x00, 0x5e, 0, 0, 1);
    for (const dst of [b.mac, other, BROADCAST_MAC, multicast])
      a.send([{ data: udp(dst, a.mac, 10) }]);
    net.runUntilIdle();
    assert.equal(got.length, 3);
    assert.equal(b.counters().rxFrames, 3);
  });

  it('counts frames that arrive with no handler as dropped', () => {
    const net = new SimNetwork();
    const a = net.addNic('a');
    const b = net.addNic('b');
    net.connect(a, b);
    a.send([{ data: udp(b.mac, a.mac, 10) }]);
    net.runUntilIdle();
    assert.equal(b.counters().rxDropped, 1);
  });

  it('refuses to send once closed, with a ClosedError', async () => {
    const { a, b } = pair();
    await a.close();
    assert.throws(
      () => a.send([{ data: udp(b.mac, a.mac, 10) }]),
      (error: unknown) => isOasisError(error, 'ECLOSED'),
    );
  });

  it('rejects a second link, a bad MAC, a bad MTU and duplicate names', () => {
    const net = new SimNetwork();
    const a = net.addNic('a');
    net.connect(a, net.addNic('b'));
    assert.throws(() => net.connect(a, net.addNic('c')), /already connected/);
    assert.throws(() => net.addNic('d', { mac: new Uint8Array(5) }), /6 bytes/);
    assert.throws(() => net.addNic('e', { mtu: 20 }), /MTU must be/);
    assert.throws(() => net.addNic('a'), /already has a device named 'a'/);
  });

  it('drops everything while the link is partitioned and recovers when it heals', () => {
    const { net, a, b, link, got } = pair();
    link.partition(100, 200);
    for (let t = 0; t < 300; t += 10) {
      a.send([{ data: udp(b.mac, a.mac, 10) }]);
      net.run(10);
    }
    net.runUntilIdle();
    // Sent at 0..90 arrive (2 ms latency); 100..190 are lost; 200..290 arrive. The frame sent
    // at 90 is still in flight at the cut (arrives at 92 < 100), so it is delivered.
    assert.equal(got.length, 20);
    assert.equal(link.aToB.counters.cutDropped, 10);
    assert.ok(link.up);
  });
});
