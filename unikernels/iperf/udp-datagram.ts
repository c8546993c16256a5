// An iperf3 UDP test datagram: the sender's clock when it was sent (seconds, then microseconds,
// each 32-bit big-endian), then a packet counter starting at 1 (32-bit, or 64-bit with
// --udp-counters-64bit), then filler up to the block size.

import { readU32BE, writeU32BE } from '@oasis/core';

export function udpHeaderLength(counters64: boolean): number {
  return counters64 ? 16 : 12;
}

/** Writes the header into `datagram`, which is at least `udpHeaderLength` long. */
export function writeUdpHeader(
  datagram: Uint8Array,
  sentMs: number,
  counter: number,
  counters64: boolean,
): void {
  const seconds = Math.floor(sentMs / 1000);
  writeU32BE(datagram, 0, seconds);
  writeU32BE(datagram, 4, Math.floor((sentMs - seconds * 1000) * 1000));
  if (counters64) {
    writeU32BE(datagram, 8, Math.floor(counter / 2 ** 32));
    writeU32BE(datagram, 12, counter >>> 0);
  } else {
    writeU32BE(datagram, 8, counter >>> 0);
  }
}

/**
 * A UDP receiver's view of one stream, as iperf3 keeps it: bytes, the highest counter seen,
 * losses (gaps in the counters, less the late arrivals that filled them), out-of-order arrivals,
 * and the interarrival jitter of RFC 3550 §6.4.1 (A.8), which needs no synchronised clocks.
 */
export class UdpReceiveStats {
  readonly #counters64: boolean;
  bytes = 0;
  /** The highest counter seen: the datagrams the sender had sent by then. */
  packets = 0;
  lost = 0;
  outOfOrder = 0;
  jitterS = 0;
  #previousTransitS = 0;
  #first = true;

  constructor(counters64: boolean) {
    this.#counters64 = counters64;
  }

  /** Accounts one datagram received at `nowMs`; one shorter than a header counts bytes only. */
  add(datagram: Uint8Array, nowMs: number): void {
    this.bytes += datagram.length;
    if (datagram.length < udpHeaderLength(this.#counters64)) return;
    const sentS = readU32BE(datagram, 0) + readU32BE(datagram, 4) / 1e6;
    const counter = this.#counters64
      ? readU32BE(datagram, 8) * 2 ** 32 + readU32BE(datagram, 12)
      : readU32BE(datagram, 8);
    if (counter > this.packets) {
      this.lost += counter - this.packets - 1;
      this.packets = counter;
    } else {
      // Late: it was counted lost when the gap opened.
      this.outOfOrder++;
      if (this.lost > 0) this.lost--;
    }
    const transitS = nowMs / 1000 - sentS;
    if (this.#first) {
      this.#previousTransitS = transitS;
      this.#first = false;
    }
    const difference = Math.abs(transitS - this.#previousTransitS);
    this.#previousTransitS = transitS;
    this.jitterS += (difference - this.jitterS) / 16;
  }
}
