import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Counters } from '@oasis/core';
import { emptyCounters, type Frame, type NetDevice, NO_OFFLOAD } from '@oasis/runtime';
import { FrameOutput } from '../src/frame-output.ts';

/** Records each send call with copies of its frames, as a device that copies would see them. */
function recordingDevice(): NetDevice & { calls: Uint8Array[][] } {
  const calls: Uint8Array[][] = [];
  return {
    calls,
    name: 'rec',
    mac: new Uint8Array(6),
    mtu: 1500,
    offload: NO_OFFLOAD,
    send: (frames: readonly Frame[]) => {
      calls.push(frames.map((frame) => frame.data.slice()));
    },
    listen: () => {},
    counters: emptyCounters,
    close: async () => {},
  };
}

describe('FrameOutput', () => {
  it('sends at once outside a batch, with fresh buffers', () => {
    const device = recordingDevice();
    const output = new FrameOutput(device);
    const first = output.allocate(60).fill(1);
    const second = output.allocate(60).fill(2);
    output.send(first);
    output.send(second);
    assert.deepEqual(
      device.calls.map((call) => call.map((frame) => frame[0])),
      [[1], [2]],
    );
  });

  it('sends a batch in one call, nested batches included, pooled buffers never shared', () => {
    const device = recordingDevice();
    const output = new FrameOutput(device);
    output.batch(() => {
      for (let i = 0; i < 3; i++) output.send(output.allocate(100).fill(i));
      output.batch(() => output.send(output.allocate(100).fill(9)));
      assert.equal(device.calls.length, 0);
    });
    assert.deepEqual(
      device.calls.map((call) => call.map((frame) => frame[0])),
      [[0, 1, 2, 9]],
    );
    // The pool is reused by the next batch.
    output.batch(() => output.send(output.allocate(100).fill(7)));
    assert.deepEqual(
      device.calls[1]?.map((frame) => frame[0]),
      [7],
    );
  });

  it('grows a pool slot for a frame larger than it', () => {
    const device = recordingDevice();
    const output = new FrameOutput(device);
    output.batch(() => output.send(output.allocate(100).fill(1)));
    output.batch(() => output.send(output.allocate(9000).fill(2)));
    assert.equal(device.calls[1]?.[0]?.length, 9000);
  });

  it('empties the batch even when the device throws', () => {
    const device = recordingDevice();
    let fail = true;
    const output = new FrameOutput({
      ...device,
      send: (frames) => {
        if (fail) throw new Error('device gone');
        device.send(frames);
      },
    });
    assert.throws(() => output.batch(() => output.send(output.allocate(10))), /device gone/);
    fail = false;
    output.batch(() => output.send(output.allocate(10).fill(5)));
    assert.deepEqual(device.calls, [[new Uint8Array(10).fill(5)]]);
  });
});

describe('Counters', () => {
  it('adds, reads, totals and snapshots with sorted keys', () => {
    const counters = new Counters();
    counters.add('udp.bad-checksum');
    counters.add('arp.unresolved', 3);
    counters.add('udp.bad-checksum');
    assert.equal(counters.get('udp.bad-checksum'), 2);
    assert.equal(counters.get('never'), 0);
    assert.equal(counters.total(), 5);
    assert.deepEqual(Object.keys(counters.snapshot()), ['arp.unresolved', 'udp.bad-checksum']);
  });
});
