// The host socket stack over loopback: UDP and TCP with the direct stack's semantics and error
// codes, the listener's backlog, and what closing the stack does to what is still open. Every
// wait is on an event or a promise, never on wall time.

import assert from 'node:assert/strict';
import { connect as netConnect, type Socket } from 'node:net';
import { networkInterfaces } from 'node:os';
import { describe, it } from 'node:test';
import { concatBytes, isOasisError } from '@oasis/core';
import type { Flow, NameLookup, UdpEndpoint, UdpSocket } from '@oasis/runtime';
import { hostNameLookup } from '../src/host-name-lookup.ts';
import { connectedPair, LOOPBACK, openStack } from './loopback-stack.ts';

/** Bytes 0..length-1 of a sequence that does not repeat every 256 bytes. */
function pattern(length: number, seed = 0): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 7 + (i >>> 8) + seed) & 0xff;
  return bytes;
}

function text(value: string): Uint8Array {
  return new TextEncoder().encode(value);
}

function assertPlainView(data: Uint8Array): void {
  assert.equal(Object.getPrototypeOf(data), Uint8Array.prototype, 'a Uint8Array, not a Buffer');
}

function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  return assert.rejects(promise, (error) => isOasisError(error) && error.code === code);
}

function throwsWith(run: () => unknown, code: string): void {
  assert.throws(run, (error) => isOasisError(error) && error.code === code);
}

interface Datagram {
  readonly data: Uint8Array;
  readonly from: UdpEndpoint;
}

function nextDatagram(socket: UdpSocket): Promise<Datagram> {
  return new Promise((resolve) => socket.onMessage((data, from) => resolve({ data, from })));
}

async function readAll(flow: Flow): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for (let chunk = await flow.read(); chunk !== undefined; chunk = await flow.read()) {
    assertPlainView(chunk);
    chunks.push(chunk);
  }
  return concatBytes(chunks);
}

async function writeAll(flow: Flow, data: Uint8Array, chunkLength: number): Promise<void> {
  // One buffer, refilled after each write resolves: the flow must not hold on to it.
  const chunk = new Uint8Array(chunkLength);
  for (let offset = 0; offset < data.length; offset += chunkLength) {
    const part = data.subarray(offset, offset + chunkLength);
    chunk.set(part);
    await flow.write(chunk.subarray(0, part.length));
    chunk.fill(0xee);
  }
}

const hasIpv6Loopback = Object.values(networkInterfaces()).some((entries) =>
  entries?.some((entry) => entry.address === '::1'),
);

describe('host stack: UDP', () => {
  it('sends and receives a datagram, handed over as a plain Uint8Array', async () => {
    const stack = openStack();
    const a = await stack.udp.bind({ address: LOOPBACK });
    const b = await stack.udp.bind({ address: LOOPBACK });
    assert.equal(a.local.address, LOOPBACK);
    assert.ok(a.local.port > 0);
    const received = nextDatagram(b);
    const payload = pattern(1200);
    a.send(payload, b.local);
    payload.fill(0); // the socket copied it: reusing it at once is allowed
    const { data, from } = await received;
    assertPlainView(data);
    assert.deepEqual(data, pattern(1200));
    assert.deepEqual(from, a.local);
  });

  it('keeps datagrams that arrive before there is a handler, in order', async () => {
    const stack = openStack();
    const a = await stack.udp.bind({ address: LOOPBACK });
    const b = await stack.udp.bind({ address: LOOPBACK });
    for (const word of ['one', 'two', 'three']) a.send(text(word), b.local);
    // Sent after them, so by the time `a` hears itself, `b` has been handed all three.
    const echo = nextDatagram(a);
    a.send(text('marker'), a.local);
    await echo;
    await new Promise(setImmediate);
    const delivered: string[] = [];
    b.onMessage((data) => delivered.push(new TextDecoder().decode(data)));
    assert.deepEqual(delivered, ['one', 'two', 'three'], 'delivered to the first handler at once');
    assert.equal(stack.counters()['udp.queue-overflow'], undefined);
  });

  it('throws for what is wrong at once: EINVAL, EMSGSIZE, EACCES, ECLOSED', async () => {
    const stack = openStack();
    const socket = await stack.udp.bind({ address: LOOPBACK });
    const to = { address: LOOPBACK, port: 9 };
    const small = new Uint8Array(1);
    for (const address of ['localhost', '10.0.0.256', '', '::1']) {
      throwsWith(() => socket.send(small, { address, port: 9 }), 'EINVAL');
    }
    for (const port of [0, 65536, 1.5, -1]) {
      throwsWith(() => socket.send(small, { address: LOOPBACK, port }), 'EINVAL');
    }
    throwsWith(() => socket.send(new Uint8Array(65_508), to), 'EMSGSIZE');
    throwsWith(() => socket.send(small, { address: '255.255.255.255', port: 9 }), 'EACCES');
    // Loopback is 127.0.0.0/8: its directed broadcast is refused too.
    throwsWith(() => socket.send(small, { address: '127.255.255.255', port: 9 }), 'EACCES');
    await socket.close();
    throwsWith(() => socket.send(small, to), 'ECLOSED');
  });

  it('sends to a broadcast address when bound with { broadcast: true }', async () => {
    const stack = openStack();
    const socket = await stack.udp.bind({ address: LOOPBACK, broadcast: true });
    socket.send(new Uint8Array(1), { address: '127.255.255.255', port: 9 });
    await socket.close();
  });

  it('allows 65527 bytes over IPv6 (no IPv4 header)', { skip: !hasIpv6Loopback }, async () => {
    const stack = openStack();
    const socket = await stack.udp.bind({ address: '::1' });
    assert.equal(socket.local.address, '::1');
    socket.send(new Uint8Array(65_527), { address: '::1', port: 9 });
    throwsWith(() => socket.send(new Uint8Array(65_528), { address: '::1', port: 9 }), 'EMSGSIZE');
  });

  it('rejects a bind to a taken port (EADDRINUSE) and bad arguments (EINVAL)', async () => {
    const stack = openStack();
    const first = await stack.udp.bind({ address: LOOPBACK });
    await rejectsWith(stack.udp.bind({ address: LOOPBACK, port: first.local.port }), 'EADDRINUSE');
    await rejectsWith(stack.udp.bind({ address: 'localhost' }), 'EINVAL');
    await rejectsWith(stack.udp.bind({ port: 70_000 }), 'EINVAL');
  });
});

describe('host stack: TCP', () => {
  it('echoes 1 MiB byte for byte, each write awaited', async () => {
    const stack = openStack();
    const { listener, client, server } = await connectedPair(stack);
    assert.deepEqual(client.remote, listener.local);
    assert.deepEqual(server.remote, client.local);
    const echoing = (async () => {
      for (let chunk = await server.read(); chunk !== undefined; chunk = await server.read()) {
        await server.write(chunk);
      }
      await server.closeWrite();
    })();
    const sent = pattern(1 << 20, 3);
    const [received] = await Promise.all([
      readAll(client),
      writeAll(client, sent, 64 * 1024).then(() => client.closeWrite()),
      echoing,
    ]);
    assert.equal(received.length, sent.length);
    assert.ok(Buffer.from(received).equals(sent), 'the echo is byte-exact');
    assert.deepEqual(client.counters(), { bytesRead: 1 << 20, bytesWritten: 1 << 20 });
    await Promise.all([client.close(), server.close()]);
  });

  it('half-closes: the server reads the end, then answers and closes', async () => {
    const stack = openStack();
    const { client, server } = await connectedPair(stack);
    await client.write(text('question'));
    await client.closeWrite();
    await rejectsWith(client.write(text('more')), 'EPIPE');
    assert.deepEqual(await readAll(server), text('question'));
    await server.write(text('answer'));
    const serverClosed = server.close();
    assert.deepEqual(await readAll(client), text('answer'));
    await Promise.all([client.close(), serverClosed]);
  });

  it('aborts with a reset: the peer sees ECONNRESET, the flow itself ECLOSED', async () => {
    const stack = openStack();
    const { client, server } = await connectedPair(stack);
    const pending = client.read();
    server.abort();
    await rejectsWith(pending, 'ECONNRESET');
    await rejectsWith(server.read(), 'ECLOSED');
    await rejectsWith(server.write(text('late')), 'ECLOSED');
  });

  it('rejects a pending read and write with ECLOSED when aborted', async () => {
    const stack = openStack();
    const { client } = await connectedPair(stack);
    const reading = client.read();
    const writing = client.write(new Uint8Array(1 << 24)); // more than loopback buffers take
    client.abort();
    await rejectsWith(reading, 'ECLOSED');
    await rejectsWith(writing, 'ECLOSED');
  });

  it('allows one pending read and one pending write at a time', async () => {
    const stack = openStack();
    const { client, server } = await connectedPair(stack);
    const reading = client.read();
    assert.throws(() => client.read(), TypeError);
    await server.write(text('x'));
    assert.deepEqual(await reading, text('x'));
    const writing = client.write(new Uint8Array(1 << 24));
    assert.throws(() => client.write(text('y')), TypeError);
    client.abort();
    await rejectsWith(writing, 'ECLOSED');
  });

  it('rejects a connection to a closed port with ECONNREFUSED, bad arguments with EINVAL', async () => {
    const stack = openStack();
    const listener = await stack.tcp.listen({ address: LOOPBACK, port: 0 });
    await listener.close();
    await rejectsWith(stack.tcp.connect(listener.local), 'ECONNREFUSED');
    await rejectsWith(stack.tcp.connect({ address: 'localhost', port: 80 }), 'EINVAL');
    await rejectsWith(stack.tcp.connect({ address: LOOPBACK, port: 0 }), 'EINVAL');
    await rejectsWith(
      stack.tcp.connect({ address: LOOPBACK, port: 80 }, { localAddress: '::1' }),
      'EINVAL',
    );
  });

  it('rejects a connection attempt whose signal is aborted with EABORTED', async () => {
    const stack = openStack();
    const listener = await stack.tcp.listen({ address: LOOPBACK, port: 0 });
    const controller = new AbortController();
    controller.abort();
    await rejectsWith(stack.tcp.connect(listener.local, { signal: controller.signal }), 'EABORTED');
  });

  it('rejects a listen on a taken port with EADDRINUSE', async () => {
    const stack = openStack();
    const listener = await stack.tcp.listen({ address: LOOPBACK, port: 0 });
    await rejectsWith(
      stack.tcp.listen({ address: LOOPBACK, port: listener.local.port }),
      'EADDRINUSE',
    );
  });

  it('holds connections until there is a handler, and resets those beyond the backlog', async () => {
    const stack = openStack();
    const listener = await stack.tcp.listen({ address: LOOPBACK, port: 0, backlog: 1 });
    const first = await stack.tcp.connect(listener.local);
    await first.write(text('first'));
    // The reset may beat the client's own handshake completion, here in the same process.
    await rejectsWith(
      stack.tcp.connect(listener.local).then((second) => second.read()),
      'ECONNRESET',
    );
    assert.equal(stack.counters()['tcp.backlog-overflow'], 1);
    const accepted = await new Promise<Flow>((resolve) => listener.onConnection(resolve));
    assert.deepEqual(accepted.remote, first.local);
    assert.deepEqual(await accepted.read(), text('first'));
  });
});

describe('host stack: connect by name', () => {
  // A scripted lookup: the host's resolver would ask a DNS server for any name that is not in
  // /etc/hosts, and tests send no traffic beyond loopback.
  const lookup: NameLookup = async (name, family) => {
    assert.equal(name, 'dual.test');
    return family === 6 ? ['::1'] : [LOOPBACK];
  };

  it('connects over IPv6 first when the service takes both families', {
    skip: !hasIpv6Loopback,
  }, async () => {
    const stack = openStack({ lookup });
    const listener = await stack.tcp.listen({ address: '::', port: 0 });
    const flow = await stack.connect({ host: 'dual.test', port: listener.local.port });
    assert.equal(flow.remote.address, '::1');
    flow.abort();
  });

  it('falls back to IPv4 at once when IPv6 is refused (RFC 8305 §5)', {
    skip: !hasIpv6Loopback,
  }, async () => {
    const stack = openStack({ lookup });
    const listener = await stack.tcp.listen({ address: LOOPBACK, port: 0 });
    const flow = await stack.connect({ host: 'dual.test', port: listener.local.port });
    assert.deepEqual(flow.remote, { address: LOOPBACK, port: listener.local.port });
    flow.abort();
  });

  it('connects to an address literal without looking it up', async () => {
    const stack = openStack({ lookup: () => Promise.reject(new Error('looked up')) });
    const listener = await stack.tcp.listen({ address: LOOPBACK, port: 0 });
    const flow = await stack.connect({ host: LOOPBACK, port: listener.local.port });
    assert.equal(flow.remote.address, LOOPBACK);
    flow.abort();
  });

  it("looks names up with the host's resolver (/etc/hosts)", async () => {
    assert.ok(
      (await hostNameLookup('localhost', 4, new AbortController().signal)).includes(LOOPBACK),
    );
  });
});

describe('host stack: close', () => {
  it('describes itself and lists the loopback address', () => {
    const stack = openStack();
    assert.equal(stack.describe(), 'host sockets (node:net, node:dgram)');
    assert.ok(stack.addresses().includes(LOOPBACK));
  });

  it('closes open flows gracefully, then rejects every call with ECLOSED', async () => {
    // A grace period no test would wait for: both ends close at once, as they are both here.
    const stack = openStack({ closeGraceMs: 3_600_000 });
    const { client, server } = await connectedPair(stack);
    const socket = await stack.udp.bind({ address: LOOPBACK });
    const serverRead = server.read();
    await stack.close();
    assert.equal(await serverRead, undefined, 'a pending read sees the end');
    await rejectsWith(client.write(text('late')), 'EPIPE');
    throwsWith(() => socket.send(text('late'), { address: LOOPBACK, port: 9 }), 'ECLOSED');
    await rejectsWith(stack.udp.bind(), 'ECLOSED');
    await rejectsWith(stack.tcp.listen({ port: 0 }), 'ECLOSED');
    await rejectsWith(stack.tcp.connect({ address: LOOPBACK, port: 9 }), 'ECLOSED');
  });

  it('resets flows whose peer does not close within the grace period', async () => {
    const stack = openStack({ closeGraceMs: 0 });
    const listener = await stack.tcp.listen({ address: LOOPBACK, port: 0 });
    const accepted = new Promise<Flow>((resolve) => listener.onConnection(resolve));
    // A peer outside the stack that takes our FIN and never sends its own.
    const peer: Socket = netConnect({
      host: LOOPBACK,
      port: listener.local.port,
      allowHalfOpen: true,
    });
    peer.resume();
    const flow = await accepted;
    await stack.close();
    await rejectsWith(flow.read(), 'ECLOSED');
    // The peer got FIN, then RST: Linux fails its next send with EPIPE (tcp_reset in CLOSE_WAIT).
    const peerError = new Promise<NodeJS.ErrnoException>((resolve) => peer.once('error', resolve));
    peer.write('late');
    assert.ok(['EPIPE', 'ECONNRESET'].includes((await peerError).code ?? ''));
    peer.destroy();
  });
});
