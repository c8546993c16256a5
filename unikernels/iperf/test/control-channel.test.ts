// The control connection: writes in order however they are asked for, and reads and writes that
// report a connection that ended or failed as CLOSED instead of rejecting.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CLOSED, ControlChannel } from '../control-channel.ts';
import { FlowReader } from '../flow-reader.ts';
import { encodeJsonFrame } from '../json-frame.ts';
import { MemoryFlow } from './memory-stack.ts';

function pair(): [ControlChannel, MemoryFlow] {
  const [server, client] = MemoryFlow.pair(
    { address: '127.0.0.1', port: 5201 },
    { address: '127.0.0.1', port: 40000 },
  );
  return [new ControlChannel(new FlowReader(server)), client];
}

describe('ControlChannel', () => {
  it('keeps writes in order while earlier ones wait for the peer', async () => {
    const [control, client] = pair();
    // The first write fills the peer's window, so the next ones queue behind it.
    const big = new Uint8Array(300 * 1024).fill(1);
    const writes = [
      control.write(big),
      control.write(Uint8Array.of(2)),
      control.write(Uint8Array.of(3)),
    ];
    const reader = new FlowReader(client);
    assert.equal(
      (await reader.readExact(big.length))?.every((byte) => byte === 1),
      true,
    );
    assert.deepEqual([...((await reader.readExact(2)) ?? [])], [2, 3]);
    assert.deepEqual(await Promise.all(writes), [undefined, undefined, undefined]);
    await control.written();
  });

  it('reads states and frames, and CLOSED at the end of the stream', async () => {
    const [control, client] = pair();
    await client.write(Uint8Array.of(4));
    await client.write(encodeJsonFrame({ streams: [] }));
    await client.closeWrite();
    assert.equal(await control.readState(), 4);
    assert.deepEqual(await control.readFrame(), { ok: true, value: { streams: [] } });
    assert.equal(await control.readState(), CLOSED);
    assert.equal(await control.readFrame(), CLOSED);
  });

  it('reports a reset connection as CLOSED to readers and writers', async () => {
    const [control, client] = pair();
    const reading = control.readState();
    client.abort();
    assert.equal(await reading, CLOSED);
    assert.equal(await control.write(Uint8Array.of(1)), CLOSED);
    assert.equal(await control.readFrame(), CLOSED);
  });
});
