// SYN cookies (RFC 4987 §3.6) end to end: a listener whose half-open queue is full (or zero)
// answers SYNs statelessly; real clients still connect through the cookie and move data, forged
// third segments are reset and counted. A raw peer plays the flooder and the forger.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Flow } from '@oasis/runtime';
import { TCP_ACK, TCP_PSH, TCP_RST, TCP_SYN } from '@oasis/wire';
import { runUntil } from '../sim-hosts.ts';
import {
  describeFlow,
  pattern,
  RawPeer,
  readAll,
  readExactly,
  sameBytes,
  type TwoHosts,
  twoHosts,
} from './tcp-harness.ts';

const LATENCY_MS = 5;

/** An echo-and-invert server on b:80 that closes after the client does. */
async function serve(hosts: TwoHosts): Promise<Flow[]> {
  const listener = await hosts.b.stack.tcp.listen({ port: 80 });
  const flows: Flow[] = [];
  listener.onConnection((flow) => {
    flows.push(flow);
    void (async () => {
      const request = await readAll(flow);
      await flow.write(request.map((x) => x ^ 0xff));
      await flow.close();
    })().catch(() => {});
  });
  return flows;
}

/** Connects from a, sends `size` bytes, checks the inverted echo, closes. */
async function exchange(hosts: TwoHosts, size: number, seed: number): Promise<Flow> {
  const flow = await runUntil(
    hosts.network,
    hosts.a.stack.tcp.connect({ address: hosts.b.address, port: 80 }),
  );
  const data = pattern(size, seed);
  const answer = await runUntil(
    hosts.network,
    (async () => {
      await flow.write(data);
      await flow.closeWrite();
      const got = await readAll(flow);
      await flow.close();
      return got;
    })(),
  );
  assert.ok(
    sameBytes(
      answer,
      data.map((x) => x ^ 0xff),
    ),
    'the echo came back byte-exact',
  );
  return flow;
}

/** Where the raw peers send: host b. */
function hostB(hosts: TwoHosts) {
  return { mac: hosts.b.mac, ip: hosts.b.ip };
}

describe('TCP SYN cookies (RFC 4987 §3.6)', () => {
  for (const seed of [1, 2, 3, 4]) {
    it(`a listener with synBacklog 0 connects a real client through a cookie (seed ${seed})`, async () => {
      const hosts = await twoHosts(LATENCY_MS, { seed, b: { tcp: { synBacklog: 0 } } });
      const { a, b } = hosts;
      const served = await serve(hosts);
      const flow = await exchange(hosts, 300_000, seed);
      const counters = b.stack.counters();
      assert.equal(counters['tcp.syn-cookies-sent'], 1);
      assert.equal(counters['tcp.syn-cookies-accepted'], 1);
      assert.equal(counters['tcp.connections-accepted'], 1);
      assert.equal(served.length, 1);
      // The SYN-ACK kept no state, yet the options came through its timestamp.
      const server = describeFlow(served[0]!);
      assert.equal(server['sack'], true);
      assert.equal(server['timestamps'], true);
      assert.equal(server['sendMss'], 1448);
      assert.equal(server['sndShift'], describeFlow(flow)['rcvShift']);
      assert.equal(describeFlow(flow)['sndShift'], server['rcvShift']);
      // Nothing was dropped on either side: the timestamps after the cookie went on from it.
      assert.deepEqual(a.stack.drops(), {});
      assert.deepEqual(b.stack.drops(), {});
      assert.equal(a.stack.counters()['tcp.retransmit-timeouts'], undefined);
    });
  }

  it('answers a SYN flood beyond synBacklog with cookies and still serves a real client', async () => {
    const hosts = await twoHosts(LATENCY_MS, { b: { tcp: { synBacklog: 8 } } });
    const { network, a, b, lanSwitch } = hosts;
    const served = await serve(hosts);
    const flooder = new RawPeer(network, lanSwitch, 'flooder', '10.0.0.66', {
      latencyMs: LATENCY_MS,
    });
    // b learns the flooder's MAC first, so that no SYN-ACK waits for ARP.
    flooder.introduce(b.ip);
    network.run(100);
    for (let i = 0; i < 50; i++) {
      flooder.send(hostB(hosts), {
        sourcePort: 20_000 + i,
        destinationPort: 80,
        seq: 1000 * i,
        flags: TCP_SYN,
        window: 65535,
        options: {
          mss: 1460,
          sackPermitted: true,
          windowScale: 7,
          timestamp: { value: i + 1, echo: 0 },
        },
      });
    }
    network.run(100);
    const synAcks = flooder.received.filter((s) => s.flags === (TCP_SYN | TCP_ACK));
    assert.equal(synAcks.length, 50);
    assert.equal(b.stack.counters()['tcp.syn-cookies-sent'], 42);
    // The real client, arriving while the half-open queue is full, also gets a cookie.
    await exchange(hosts, 100_000, 9);
    assert.equal(b.stack.counters()['tcp.syn-cookies-sent'], 43);
    assert.equal(b.stack.counters()['tcp.syn-cookies-accepted'], 1);
    assert.equal(served.length, 1);
    // The eight half-open connections give up after synRetries SYN-ACKs (at 1, 3, 7, 15, 31
    // and 63 s; the seventh wait is capped at 60 s) with a reset each.
    network.run(130_000);
    const resets = flooder.received.filter((s) => s.flags === TCP_RST);
    assert.equal(resets.length, 8);
    const retransmitted = flooder.received.filter((s) => s.flags === (TCP_SYN | TCP_ACK));
    assert.equal(retransmitted.length, 50 + 8 * 6);
    // With the queue empty again, the next SYN gets state, not a cookie.
    await exchange(hosts, 1000, 10);
    assert.equal(b.stack.counters()['tcp.syn-cookies-sent'], 43);
    assert.equal(served.length, 2);
    assert.equal(a.stack.counters()['tcp.connections-opened'], 2);
  });

  it('resets a forged third segment and counts it; the right cookie opens the connection', async () => {
    const hosts = await twoHosts(LATENCY_MS, { b: { tcp: { synBacklog: 0 } } });
    const { network, b, lanSwitch } = hosts;
    const listener = await b.stack.tcp.listen({ port: 80 });
    const accepted = new Promise<Flow>((resolve) => listener.onConnection(resolve));
    const peer = new RawPeer(network, lanSwitch, 'peer', '10.0.0.7', { latencyMs: LATENCY_MS });
    // An ACK out of nowhere: no SYN-ACK was sent for it.
    peer.send(hostB(hosts), {
      sourcePort: 30_000,
      destinationPort: 80,
      seq: 12345,
      ack: 0xdead_beef,
      flags: TCP_ACK,
    });
    network.run(100);
    assert.equal(b.stack.drops()['tcp.bad-cookie'], 1);
    const reset = peer.received.at(-1)!;
    // RFC 9293 §3.10.7.1: <SEQ=SEG.ACK><CTL=RST>.
    assert.equal(reset.flags, TCP_RST);
    assert.equal(reset.seq, 0xdead_beef);

    // A real SYN, then its third segment with the cookie off by one.
    const clientIsn = 0x5000_0000;
    const tsOptions = { timestamp: { value: 100, echo: 0 } };
    peer.send(hostB(hosts), {
      sourcePort: 30_001,
      destinationPort: 80,
      seq: clientIsn,
      flags: TCP_SYN,
      window: 65535,
      options: { mss: 1460, sackPermitted: true, windowScale: 2, ...tsOptions },
    });
    network.run(100);
    const synAck = peer.received.at(-1)!;
    assert.equal(synAck.flags, TCP_SYN | TCP_ACK);
    assert.equal(synAck.ack, clientIsn + 1);
    assert.equal(synAck.windowScale >= 0, true);
    assert.equal(synAck.sackPermitted, true);
    assert.equal(b.stack.counters()['tcp.syn-cookies-sent'], 1);
    const third = (ack: number) => ({
      sourcePort: 30_001,
      destinationPort: 80,
      seq: clientIsn + 1,
      ack,
      flags: TCP_ACK,
      window: 1024,
      options: { timestamp: { value: 101, echo: synAck.tsValue! } },
    });
    peer.send(hostB(hosts), third((synAck.seq + 2) >>> 0));
    network.run(100);
    assert.equal(b.stack.drops()['tcp.bad-cookie'], 2);
    assert.equal(peer.received.at(-1)!.flags, TCP_RST);
    assert.equal(peer.received.at(-1)!.seq, (synAck.seq + 2) >>> 0);
    // The echoed timestamp carries the options: a tampered echo is refused too.
    peer.send(hostB(hosts), {
      ...third((synAck.seq + 1) >>> 0),
      options: { timestamp: { value: 101, echo: synAck.tsValue! | 0x20 } },
    });
    network.run(100);
    assert.equal(b.stack.drops()['tcp.bad-cookie'], 3);
    assert.equal(b.stack.counters()['tcp.syn-cookies-accepted'] ?? 0, 0);

    // The right cookie, with data on it.
    peer.send(hostB(hosts), {
      ...third((synAck.seq + 1) >>> 0),
      flags: TCP_ACK | TCP_PSH,
      payload: pattern(100, 5),
    });
    const flow = await runUntil(network, accepted);
    assert.ok(sameBytes(await runUntil(network, readExactly(flow, 100)), pattern(100, 5)));
    assert.equal(b.stack.counters()['tcp.syn-cookies-accepted'], 1);
    const state = describeFlow(flow);
    assert.equal(state['state'], 'ESTABLISHED');
    assert.equal(state['sack'], true);
    assert.equal(state['sndShift'], 2);
    // Its ACK of the data, with a window scaled by the shift the SYN-ACK announced.
    network.run(100);
    const ack = peer.received.at(-1)!;
    assert.equal(ack.flags, TCP_ACK);
    assert.equal(ack.ack, clientIsn + 1 + 100);
    assert.equal(ack.seq, (synAck.seq + 1) >>> 0);
  });

  it('offers neither window scaling nor SACK in a cookie SYN-ACK to a peer without timestamps', async () => {
    const hosts = await twoHosts(LATENCY_MS, { b: { tcp: { synBacklog: 0 } } });
    const { network, b, lanSwitch } = hosts;
    const listener = await b.stack.tcp.listen({ port: 80 });
    const accepted = new Promise<Flow>((resolve) => listener.onConnection(resolve));
    const peer = new RawPeer(network, lanSwitch, 'peer', '10.0.0.7', { latencyMs: LATENCY_MS });
    peer.send(hostB(hosts), {
      sourcePort: 30_002,
      destinationPort: 80,
      seq: 77,
      flags: TCP_SYN,
      window: 65535,
      options: { mss: 1400, sackPermitted: true, windowScale: 7 },
    });
    network.run(100);
    const synAck = peer.received.at(-1)!;
    assert.equal(synAck.flags, TCP_SYN | TCP_ACK);
    // The cookie cannot remember these without the timestamp (RFC 4987 §3.6), so they are not
    // agreed to: a shift announced here and then forgotten would scale every window wrongly.
    assert.equal(synAck.windowScale, -1);
    assert.equal(synAck.sackPermitted, false);
    assert.equal(synAck.tsValue, undefined);
    peer.send(hostB(hosts), {
      sourcePort: 30_002,
      destinationPort: 80,
      seq: 78,
      ack: (synAck.seq + 1) >>> 0,
      flags: TCP_ACK,
      window: 65535,
    });
    const flow = await runUntil(network, accepted);
    const state = describeFlow(flow);
    assert.equal(state['sack'], false);
    assert.equal(state['timestamps'], false);
    assert.equal(state['sndShift'], 0);
    assert.equal(state['rcvShift'], 0);
    // The cookie's MSS table has 1400 (syn-cookies.ts).
    assert.equal(state['sendMss'], 1400);
    assert.equal(state['sndWnd'], 65535);
  });
});
