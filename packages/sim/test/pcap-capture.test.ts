// The capture wrapper over a fake device: frames sent and received are recorded in order, stamped
// with the clock's wall time, before the device or the handler may reuse their bytes; every other
// member is the inner device's.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClosedError, concatBytes, fromHex, ManualClock, toHex } from '@oasis/core';
import {
  emptyCounters,
  type Frame,
  type FrameHandler,
  type NetDevice,
  NO_OFFLOAD,
} from '@oasis/runtime';
import { PcapCapture } from '../src/pcap/pcap-capture.ts';
import { readPcap } from '../src/pcap/pcap-reader.ts';
import { PcapWriter } from '../src/pcap/pcap-writer.ts';

/**
 * A NetDevice that keeps a copy of each batch sent and then scribbles over the caller's bytes
 * (which the contract allows), and lets the test deliver batches, scribbling over them once the
 * handler returns (as a device reusing its receive ring would).
 */
class FakeDevice implements NetDevice {
  readonly name = 'fake0';
  readonly mac = fromHex('02:00:00:00:00:01');
  readonly mtu = 1500;
  readonly offload = NO_OFFLOAD;
  readonly sent: string[] = [];
  closed = false;
  #handler: FrameHandler | undefined;

  send(frames: readonly Frame[]): void {
    if (this.closed) throw new ClosedError('fake0');
    for (const frame of frames) {
      this.sent.push(toHex(frame.data));
      frame.data.fill(0xee);
    }
  }

  listen(handler: FrameHandler): void {
    this.#handler = handler;
  }

  deliver(frames: readonly Frame[]): void {
    this.#handler?.(frames);
    for (const frame of frames) frame.data.fill(0xdd);
  }

  counters() {
    return { ...emptyCounters(), txFrames: this.sent.length };
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

function setUp(): {
  inner: FakeDevice;
  capture: PcapCapture;
  clock: ManualClock;
  chunks: Uint8Array[];
} {
  const inner = new FakeDevice();
  const clock = new ManualClock({ wallStartMs: 1_700_000_000_000 });
  const chunks: Uint8Array[] = [];
  const capture = new PcapCapture(inner, clock, new PcapWriter((chunk) => chunks.push(chunk)));
  return { inner, capture, clock, chunks };
}

const frame = (hex: string): Frame => ({ data: fromHex(hex) });

describe('pcap capture', () => {
  it('records sent and received frames in order, with the clock wall time', () => {
    const { inner, capture, clock, chunks } = setUp();
    const received: string[] = [];
    capture.listen((frames) => {
      for (const { data } of frames) received.push(toHex(data));
    });

    capture.send([frame('a1 a1')]);
    clock.advance(1.5);
    inner.deliver([frame('b2 b2 b2'), frame('c3')]);
    clock.advance(998.75);
    capture.send([frame('d4'), frame('e5 e5')]);

    assert.deepEqual(inner.sent, ['a1a1', 'd4', 'e5e5']);
    assert.deepEqual(received, ['b2b2b2', 'c3']);
    const file = readPcap(concatBytes(chunks));
    assert.ok(file.ok);
    assert.deepEqual(
      file.value.records.map((r) => [r.seconds, r.fraction, toHex(r.data)]),
      [
        [1_700_000_000, 0, 'a1a1'],
        [1_700_000_000, 1_500, 'b2b2b2'],
        [1_700_000_000, 1_500, 'c3'],
        [1_700_000_001, 250, 'd4'],
        [1_700_000_001, 250, 'e5e5'],
      ],
    );
  });

  it('records a received frame before the handler rewrites it in place and sends it back', () => {
    const { inner, capture, chunks } = setUp();
    // As a forwarding path does: rewrite the lent frame's bytes and send the same frame on.
    capture.listen((frames) => {
      for (const { data } of frames) data[0] = 0x99;
      capture.send(frames);
    });
    inner.deliver([frame('01 02 03')]);

    assert.deepEqual(inner.sent, ['990203']);
    const file = readPcap(concatBytes(chunks));
    assert.ok(file.ok);
    assert.deepEqual(
      file.value.records.map((r) => toHex(r.data)),
      ['010203', '990203'],
    );
  });

  it('delegates every other member to the inner device', async () => {
    const { inner, capture, chunks } = setUp();
    assert.equal(capture.name, 'fake0');
    assert.equal(capture.mac, inner.mac);
    assert.equal(capture.mtu, 1500);
    assert.equal(capture.offload, NO_OFFLOAD);
    capture.send([frame('01')]);
    assert.equal(capture.counters().txFrames, 1);

    await capture.close();
    assert.ok(inner.closed);
    assert.throws(() => capture.send([frame('02')]), ClosedError);
    assert.equal(chunks.length, 2, 'the file header and the one frame sent before close');
  });
});
