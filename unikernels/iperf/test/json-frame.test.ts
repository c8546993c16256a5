// The control connection's framing: exact reads over a flow that delivers any chunking, signed
// state bytes, and iperf3's JSON frames (32-bit big-endian length, then the text), with every
// malformed frame an error value, never an exception.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FlowReader } from '../flow-reader.ts';
import { decodeJsonBody, encodeJsonFrame, readJsonFrame } from '../json-frame.ts';
import { MemoryFlow } from './memory-stack.ts';

/** A reader over a flow whose peer writes `chunks` one by one, then ends. */
function readerOf(chunks: readonly Uint8Array[]): FlowReader {
  const [writer, reader] = MemoryFlow.pair(
    { address: '127.0.0.1', port: 1 },
    { address: '127.0.0.1', port: 2 },
  );
  void (async () => {
    for (const chunk of chunks) await writer.write(chunk);
    await writer.closeWrite();
  })();
  return new FlowReader(reader);
}

/** `bytes` cut at every offset in `cuts`. */
function split(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const parts: Uint8Array[] = [];
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    parts.push(bytes.subarray(start, cut));
    start = cut;
  }
  return parts;
}

const bytes = (...values: number[]) => Uint8Array.from(values);

describe('FlowReader', () => {
  it('reads exact lengths across chunk boundaries and keeps the rest', async () => {
    const reader = readerOf([bytes(1, 2), bytes(3), bytes(4, 5, 6, 7)]);
    assert.deepEqual([...((await reader.readExact(3)) ?? [])], [1, 2, 3]);
    assert.deepEqual([...((await reader.readExact(1)) ?? [])], [4]);
    assert.deepEqual([...reader.takeBuffered()], [5, 6, 7]);
    assert.equal(reader.takeBuffered().length, 0);
    assert.equal(await reader.readExact(1), undefined);
  });

  it('reads states as signed bytes', async () => {
    const reader = readerOf([bytes(9, 0xff, 0xfe, 16)]);
    const states = [];
    for (let i = 0; i < 4; i++) states.push(await reader.readSignedByte());
    assert.deepEqual(states, [9, -1, -2, 16]);
    assert.equal(await reader.readSignedByte(), undefined);
  });

  it('reports the end of the stream inside a read as undefined', async () => {
    const reader = readerOf([bytes(1, 2)]);
    assert.equal(await reader.readExact(3), undefined);
  });

  it('reads a cookie and hands over the data that came with it', async () => {
    const cookie = new TextEncoder().encode(`${'a'.repeat(36)}\0`);
    const reader = readerOf([Uint8Array.from([...cookie, 7, 7, 7])]);
    assert.equal((await reader.readExact(37))?.length, 37);
    assert.equal(reader.takeBuffered().length, 3);
  });
});

describe('JSON frames', () => {
  const params = { tcp: true, omit: 0, time: 10, parallel: 1, len: 131072 };

  it('frames JSON with a big-endian length', () => {
    const frame = encodeJsonFrame({ a: 1 });
    assert.deepEqual([...frame.subarray(0, 4)], [0, 0, 0, 7]);
    assert.equal(new TextDecoder().decode(frame.subarray(4)), '{"a":1}');
  });

  it('reads a frame however the stream cuts it', async () => {
    const frame = encodeJsonFrame(params);
    for (const cuts of [[], [1], [2, 3], [4], [5, 20], [frame.length - 1]]) {
      const result = await readJsonFrame(readerOf(split(frame, cuts)));
      assert.deepEqual(result, { ok: true, value: params }, `cut at ${cuts}`);
    }
  });

  it('reads two frames in one chunk, and multi-byte text', async () => {
    const both = [...encodeJsonFrame({ title: 'débit ✓' }), ...encodeJsonFrame([])];
    const reader = readerOf([Uint8Array.from(both)]);
    assert.deepEqual(await readJsonFrame(reader), { ok: true, value: { title: 'débit ✓' } });
    assert.deepEqual(await readJsonFrame(reader), {
      ok: false,
      error: 'the JSON is not an object',
    });
  });

  it('reads no frame from any truncated prefix of one', async () => {
    const frame = encodeJsonFrame(params);
    for (let length = 0; length < frame.length; length++) {
      const result = await readJsonFrame(readerOf([frame.subarray(0, length)]));
      assert.equal(result, undefined, `prefix of ${length} bytes`);
    }
  });

  it('refuses an oversized length without reading the body', async () => {
    const result = await readJsonFrame(readerOf([bytes(0, 0x20, 0, 0)]), 1024);
    assert.deepEqual(result, { ok: false, error: 'a JSON frame of 2097152 bytes (at most 1024)' });
  });

  it('refuses text that is not a JSON object', () => {
    const encode = (text: string) => new TextEncoder().encode(text);
    for (const text of ['', '{', 'null', '[1]', '"x"', '42']) {
      assert.equal(decodeJsonBody(encode(text)).ok, false, text);
    }
    assert.equal(decodeJsonBody(bytes(0x7b, 0xff, 0x7d)).ok, false, 'invalid UTF-8');
  });
});
