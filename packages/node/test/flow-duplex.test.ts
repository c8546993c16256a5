// The Flow adapters over flows of the host stack: Web Streams (flowToWebStreams) and a Node
// Duplex (flowToDuplex) carrying Node's own http server, and client, with keep-alive.

import assert from 'node:assert/strict';
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { after, describe, it } from 'node:test';
import { concatBytes } from '@oasis/core';
import { flowToWebStreams } from '@oasis/runtime';
import { flowToDuplex } from '../src/flow-duplex.ts';
import type { HostStack } from '../src/host-stack.ts';
import { connectedPair, LOOPBACK, openStack } from './loopback-stack.ts';

async function readStream(readable: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of readable) chunks.push(chunk);
  return concatBytes(chunks);
}

describe('flowToWebStreams', () => {
  it('carries bytes both ways; closing the writable half-closes the flow', async () => {
    const stack = openStack();
    const { client, server } = await connectedPair(stack);
    const serverSide = flowToWebStreams(server);
    const echoing = serverSide.readable.pipeTo(serverSide.writable);
    const clientSide = flowToWebStreams(client);
    const sent = new Uint8Array(300_000).map((_, i) => (i * 13) & 0xff);
    const writer = clientSide.writable.getWriter();
    const writing = (async () => {
      for (let offset = 0; offset < sent.length; offset += 50_000) {
        await writer.write(sent.subarray(offset, offset + 50_000));
      }
      await writer.close();
    })();
    const [received] = await Promise.all([readStream(clientSide.readable), writing, echoing]);
    assert.deepEqual(received, sent);
  });

  it('cancelling the readable drops the rest of the input and leaves the writable open', async () => {
    const stack = openStack();
    const { client, server } = await connectedPair(stack);
    const { readable, writable } = flowToWebStreams(client);
    const reader = readable.getReader();
    const reading = reader.read();
    await server.write(new Uint8Array([1]));
    assert.deepEqual((await reading).value, new Uint8Array([1]));
    await reader.cancel();
    // More than loopback's buffers hold: it all goes through only if the client drops it.
    const block = new Uint8Array(1 << 20);
    for (let i = 0; i < 16; i++) await server.write(block);
    await server.closeWrite();
    const writer = writable.getWriter();
    await writer.write(new TextEncoder().encode('still writing'));
    await writer.close();
    assert.equal(new TextDecoder().decode(await server.read()), 'still writing');
    assert.equal(await server.read(), undefined);
  });
});

interface Reply {
  readonly status: number | undefined;
  readonly body: string;
  readonly reusedSocket: boolean;
}

function request(
  agent: http.Agent,
  port: number,
  options: { method: string; path: string; body?: string },
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { agent, host: LOOPBACK, port, method: options.method, path: options.path },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () =>
          resolve({ status: res.statusCode, body, reusedSocket: req.reusedSocket }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Answers `METHOD PATH BODY`. */
function echoServer(): http.Server {
  return http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => res.end(`${req.method} ${req.url} ${body}`));
  });
}

/** An http.Agent whose connections are flows of `stack`, as Duplex streams. */
class FlowAgent extends http.Agent {
  readonly #stack: HostStack;

  constructor(stack: HostStack) {
    super({ keepAlive: true, maxSockets: 1 });
    this.#stack = stack;
  }

  override createConnection(
    options: http.ClientRequestArgs,
    created: (error: Error | null, socket?: Duplex) => void,
  ): undefined {
    this.#stack.tcp.connect({ address: options.host ?? LOOPBACK, port: Number(options.port) }).then(
      (flow) => created(null, flowToDuplex(flow)),
      (error: Error) => created(error),
    );
    return undefined;
  }
}

describe('flowToDuplex', () => {
  it('serves node:http with keep-alive: two requests on one connection, a POST echoed', async () => {
    const stack = openStack();
    const listener = await stack.tcp.listen({ address: LOOPBACK, port: 0 });
    const server = echoServer();
    let connections = 0;
    listener.onConnection((flow) => {
      connections++;
      server.emit('connection', flowToDuplex(flow));
    });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    after(() => agent.destroy());
    const port = listener.local.port;
    const first = await request(agent, port, { method: 'GET', path: '/first' });
    const second = await request(agent, port, { method: 'POST', path: '/echo', body: 'payload' });
    assert.deepEqual(first, { status: 200, body: 'GET /first ', reusedSocket: false });
    assert.deepEqual(second, { status: 200, body: 'POST /echo payload', reusedSocket: true });
    assert.equal(connections, 1);
  });

  it('carries a node:http client too, through an Agent that connects flows', async () => {
    const stack = openStack();
    const listener = await stack.tcp.listen({ address: LOOPBACK, port: 0 });
    const server = echoServer();
    const remotes: string[] = [];
    listener.onConnection((flow) => {
      const socket = flowToDuplex(flow);
      remotes.push(`${socket.remoteAddress}:${socket.remotePort}`);
      server.emit('connection', socket);
    });
    const agent = new FlowAgent(stack);
    after(() => agent.destroy());
    const port = listener.local.port;
    const body = 'x'.repeat(200_000);
    const first = await request(agent, port, { method: 'POST', path: '/big', body });
    const second = await request(agent, port, { method: 'GET', path: '/again' });
    assert.equal(first.body, `POST /big ${body}`);
    assert.deepEqual(second, { status: 200, body: 'GET /again ', reusedSocket: true });
    assert.equal(remotes.length, 1);
    assert.ok(remotes[0]?.startsWith(`${LOOPBACK}:`));
  });
});
