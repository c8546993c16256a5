import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex } from '@oasis/core';
import fc from 'fast-check';
import { TcpFrameReader } from '../../src/wire/tcp-framing.ts';
import { framed } from '../server/server-harness.ts';

function drain(reader: TcpFrameReader): Uint8Array[] {
  const frames: Uint8Array[] = [];
  for (let frame = reader.next(); frame !== undefined; frame = reader.next()) frames.push(frame);
  return frames;
}

describe('TcpFrameReader', () => {
  it('reads several frames from one read, as views of it', () => {
    const reader = new TcpFrameReader();
    const chunk = fromHex(`
      0003 aabbcc      # a frame of 3 bytes
      0000             # an empty frame
      0001 dd          # a frame of 1 byte
      00               # half of the next length
    `);
    reader.push(chunk);
    const frames = drain(reader);
    assert.deepEqual(frames, [fromHex('aabbcc'), new Uint8Array(0), fromHex('dd')]);
    assert.equal(frames[0]!.buffer, chunk.buffer, 'no copy');
    assert.equal(reader.buffered, 1);
    reader.push(fromHex('02 eeff'));
    assert.deepEqual(drain(reader), [fromHex('eeff')]);
    assert.equal(reader.buffered, 0);
  });

  it('joins a frame split anywhere, the length prefix included', () => {
    const stream = framed(fromHex('0102030405'), fromHex('06'));
    for (let cut = 0; cut <= stream.length; cut++) {
      const reader = new TcpFrameReader();
      reader.push(stream.subarray(0, cut));
      const early = drain(reader);
      reader.push(stream.subarray(cut));
      assert.deepEqual(
        [...early, ...drain(reader)],
        [fromHex('0102030405'), fromHex('06')],
        `cut at ${cut}`,
      );
    }
  });

  it('takes a large frame dripped one byte per read', () => {
    const message = Uint8Array.from({ length: 65_535 }, (_, i) => i & 0xff);
    const stream = framed(message);
    const reader = new TcpFrameReader();
    let frames: Uint8Array[] = [];
    for (let i = 0; i < stream.length; i++) {
      reader.push(stream.subarray(i, i + 1));
      frames = frames.concat(drain(reader));
    }
    assert.equal(frames.length, 1);
    assert.deepEqual(frames[0], message);
  });

  it('gives back the frames that were written, however the stream is cut', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 8 }),
        fc.array(fc.nat(400), { maxLength: 10 }),
        (messages, cuts) => {
          const stream = framed(...messages);
          const points = [...new Set(cuts.map((cut) => cut % (stream.length + 1)))].sort(
            (a, b) => a - b,
          );
          const reader = new TcpFrameReader();
          const frames: Uint8Array[] = [];
          let from = 0;
          for (const to of [...points, stream.length]) {
            reader.push(stream.subarray(from, to));
            frames.push(...drain(reader));
            from = to;
          }
          assert.deepEqual(frames, messages);
          assert.equal(reader.buffered, 0);
        },
      ),
    );
  });
});
