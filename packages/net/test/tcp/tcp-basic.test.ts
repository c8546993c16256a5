import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Flow } from '@oasis/runtime';
import { SimNetwork } from '@oasis/sim';
import { addHost, runUntil } from '../sim-hosts.ts';

function lan(seed = 1) {
  const network = new SimNetwork({ seed });
  const lanSwitch = network.addSwitch('sw');
  const a = addHost(network, lanSwitch, 'a', '10.0.0.1/24');
  const b = addHost(network, lanSwitch, 'b', '10.0.0.2/24');
  return { network, lanSwitch, a, b };
}

async function readAll(flow: Flow): Promise<Uint8Array> {
  const pieces: Uint8Array[] = [];
  let total = 0;
  for (let piece = await flow.read(); piece !== undefined; piece = await flow.read()) {
    pieces.push(piece);
    total += piece.length;
  }
  const all = new Uint8Array(total);
  let at = 0;
  for (const piece of pieces) {
    all.set(piece, at);
    at += piece.length;
  }
  return all;
}

describe('TCP between two direct stacks', () => {
  it('connects, moves data both ways and closes', async () => {
    const { network, a, b } = lan();
    const listener = await b.stack.tcp.listen({ port: 80 });
    const served = new Promise<Uint8Array>((resolve, reject) => {
      listener.onConnection((flow) => {
        (async () => {
          const request = await readAll(flow);
          await flow.write(request.map((x) => x ^ 0xff));
          await flow.close();
          return request;
        })().then(resolve, reject);
      });
    });
    const flow = await runUntil(network, a.stack.tcp.connect({ address: '10.0.0.2', port: 80 }));
    const data = new Uint8Array(300_000).map((_, i) => (i * 7) & 0xff);
    const client = (async () => {
      await flow.write(data);
      await flow.closeWrite();
      const answer = await readAll(flow);
      await flow.close();
      return answer;
    })();
    const answer = await runUntil(network, client);
    const request = await runUntil(network, served);
    assert.deepEqual(request, data);
    assert.deepEqual(
      answer,
      data.map((x) => x ^ 0xff),
    );
    console.log(a.stack.counters(), a.stack.drops(), b.stack.drops());
  });
});
