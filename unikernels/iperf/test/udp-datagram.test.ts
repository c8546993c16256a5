// UDP test datagrams: the header (sent time and counter, 32- or 64-bit) and the receiver's
// accounting as iperf3 keeps it: losses from counter gaps, late arrivals, and the RFC 3550
// interarrival jitter.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readU32BE } from '@oasis/core';
import { UdpReceiveStats, udpHeaderLength, writeUdpHeader } from '../udp-datagram.ts';

function datagram(sentMs: number, counter: number, counters64 = false, size = 32): Uint8Array {
  const bytes = new Uint8Array(size);
  writeUdpHeader(bytes, sentMs, counter, counters64);
  return bytes;
}

describe('UDP datagram header', () => {
  it('writes seconds, microseconds and a 32-bit counter', () => {
    const bytes = datagram(12_345.678_9, 0x01020304);
    assert.deepEqual(
      [readU32BE(bytes, 0), readU32BE(bytes, 4), readU32BE(bytes, 8)],
      [12, 345_678, 0x01020304],
    );
    assert.equal(udpHeaderLength(false), 12);
  });

  it('writes a 64-bit counter with --udp-counters-64bit', () => {
    const bytes = datagram(1000, 2 ** 32 + 5, true);
    assert.deepEqual([readU32BE(bytes, 8), readU32BE(bytes, 12)], [1, 5]);
    assert.equal(udpHeaderLength(true), 16);
  });
});

describe('UdpReceiveStats', () => {
  it('counts datagrams in order without loss', () => {
    const stats = new UdpReceiveStats(false);
    for (let i = 1; i <= 5; i++) stats.add(datagram(1000 + i, i), 2000 + i);
    assert.deepEqual([stats.bytes, stats.packets, stats.lost, stats.outOfOrder], [5 * 32, 5, 0, 0]);
    // Constant transit time: no jitter.
    assert.ok(Math.abs(stats.jitterS) < 1e-9);
  });

  it('counts gaps as losses and takes one back for each late datagram', () => {
    const stats = new UdpReceiveStats(false);
    for (const counter of [1, 2, 5, 3, 8]) stats.add(datagram(1000, counter), 1000);
    // 3 and 4 missing at 5, 3 arrives late, 6 and 7 missing at 8.
    assert.deepEqual([stats.packets, stats.lost, stats.outOfOrder], [8, 3, 1]);
  });

  it('reads 64-bit counters', () => {
    const stats = new UdpReceiveStats(true);
    stats.add(datagram(1000, 2 ** 32 + 1, true), 1000);
    assert.equal(stats.packets, 2 ** 32 + 1);
  });

  it('computes the RFC 3550 jitter: J += (|D| - J) / 16', () => {
    const stats = new UdpReceiveStats(false);
    // Sent every 10 ms; transit 5, 7, 4 ms.
    stats.add(datagram(1000, 1), 1005);
    stats.add(datagram(1010, 2), 1017);
    stats.add(datagram(1020, 3), 1024);
    let expected = 0;
    for (const difference of [0.002, 0.003]) expected += (difference - expected) / 16;
    assert.ok(Math.abs(stats.jitterS - expected) < 1e-9, `${stats.jitterS} vs ${expected}`);
  });

  it('counts a datagram shorter than a header as bytes only', () => {
    const stats = new UdpReceiveStats(false);
    stats.add(new Uint8Array(4), 1000);
    assert.deepEqual([stats.bytes, stats.packets, stats.lost], [4, 0, 0]);
  });
});
