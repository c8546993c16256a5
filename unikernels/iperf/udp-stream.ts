// One UDP data stream of a test: a client endpoint that said hello on the server's port. The
// receiving side feeds each datagram to its statistics; the sending side writes `blockSize`-byte
// datagrams at the client's -b rate from one reusable buffer, stamping the header in place.

import type { Clock, Sleep } from '@oasis/core';
import type { UdpEndpoint, UdpSocket } from '@oasis/runtime';
import type { Pacer } from './pacer.ts';
import type { StreamReport } from './results.ts';
import type { SendBudget } from './send-budget.ts';
import type { SendSwitch } from './tcp-stream.ts';
import { UdpReceiveStats, writeUdpHeader } from './udp-datagram.ts';

/** Without a rate limit a sender yields to the event loop after about this many bytes. */
const UNPACED_BURST_BYTES = 256 * 1024;

export class UdpDataStream {
  readonly peer: UdpEndpoint;
  readonly id: number;
  readonly sending: boolean;
  readonly stats: UdpReceiveStats;
  /** Sender: datagrams and bytes sent. */
  sentPackets = 0;
  sentBytes = 0;
  /** Counts when the omitted start of the test ended (-O). */
  #omitted = { bytes: 0, packets: 0, lost: 0 };
  failure: unknown;

  constructor(peer: UdpEndpoint, id: number, sending: boolean, counters64: boolean) {
    this.peer = peer;
    this.id = id;
    this.sending = sending;
    this.stats = new UdpReceiveStats(counters64);
  }

  matches(from: UdpEndpoint): boolean {
    return from.port === this.peer.port && from.address === this.peer.address;
  }

  /** The end of the omitted start: later results count from here. */
  markOmitted(): void {
    this.#omitted = this.sending
      ? { bytes: this.sentBytes, packets: this.sentPackets, lost: 0 }
      : { bytes: this.stats.bytes, packets: this.stats.packets, lost: this.stats.lost };
  }

  /** Sends until `control.stopped` or the budget is spent. */
  async send(
    socket: UdpSocket,
    datagram: Uint8Array,
    counters64: boolean,
    budget: SendBudget,
    pacer: Pacer,
    timers: { clock: Clock; sleep: Sleep },
    control: SendSwitch,
  ): Promise<void> {
    const burst = Math.max(1, Math.floor(UNPACED_BURST_BYTES / datagram.length));
    try {
      let inBurst = 0;
      while (!control.stopped && budget.claim(datagram.length, false) > 0) {
        writeUdpHeader(datagram, timers.clock.nowMs(), this.sentPackets + 1, counters64);
        socket.send(datagram, this.peer);
        this.sentPackets++;
        this.sentBytes += datagram.length;
        if (pacer.limited) {
          await pacer.wait(this.sentBytes);
        } else if (++inBurst === burst) {
          // UDP has no backpressure: let the stack and the control connection have their turn.
          inBurst = 0;
          await timers.sleep.sleep(1);
        }
      }
    } catch (error) {
      this.failure = error;
    }
  }

  report(startMs: number, endMs: number): StreamReport {
    const endS = Math.max(0, endMs - startMs) / 1000;
    if (this.sending) {
      return {
        id: this.id,
        bytes: this.sentBytes - this.#omitted.bytes,
        retransmits: -1,
        jitterS: 0,
        errors: 0,
        packets: this.sentPackets - this.#omitted.packets,
        startS: 0,
        endS,
      };
    }
    return {
      id: this.id,
      bytes: this.stats.bytes - this.#omitted.bytes,
      retransmits: -1,
      jitterS: this.stats.jitterS,
      errors: Math.max(0, this.stats.lost - this.#omitted.lost),
      packets: this.stats.packets - this.#omitted.packets,
      startS: 0,
      endS,
    };
  }
}
