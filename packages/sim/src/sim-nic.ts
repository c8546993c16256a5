// A simulated network interface card: a NetDevice whose cable is a simulated link. Frames it
// sends go onto the link's channel; frames the link delivers go to the installed handler as a
// batch of one. Like Ethernet hardware, it passes up only frames addressed to its MAC, broadcast
// and multicast, unless it is promiscuous.

import { ClosedError } from '@oasis/core';
import {
  emptyCounters,
  type Frame,
  type FrameHandler,
  type NetDevice,
  type NetDeviceCounters,
  NO_OFFLOAD,
  type OffloadCapabilities,
} from '@oasis/runtime';
import { ethernetFrameFits } from '@oasis/wire';
import type { Channel, FrameSink } from './channel.ts';
import type { LinkEnd } from './link.ts';

export class SimNic implements NetDevice, LinkEnd {
  readonly name: string;
  readonly mac: Uint8Array;
  readonly mtu: number;
  readonly offload: OffloadCapabilities = NO_OFFLOAD;
  readonly #counters = emptyCounters();
  #outgoing: Channel | undefined;
  #handler: FrameHandler | undefined;
  #closed = false;
  readonly #promiscuous: boolean;

  constructor(name: string, mac: Uint8Array, mtu: number, promiscuous = false) {
    if (mac.length !== 6) throw new RangeError(`a MAC address has 6 bytes, got ${mac.length}`);
    if (!(Number.isInteger(mtu) && mtu >= 68 && mtu <= 65535)) {
      throw new RangeError(
        `MTU must be an integer in 68..65535 (RFC 791 §3.2 minimum), got ${mtu}`,
      );
    }
    this.name = name;
    this.mac = mac.slice();
    this.mtu = mtu;
    this.#promiscuous = promiscuous;
  }

  plug(outgoing: Channel): FrameSink {
    if (this.#outgoing !== undefined)
      throw new RangeError(`NIC ${this.name} is already connected to a link`);
    this.#outgoing = outgoing;
    return (frame) => this.#receive(frame);
  }

  send(frames: readonly Frame[]): void {
    if (this.#closed) throw new ClosedError(`NIC ${this.name}`);
    const counters = this.#counters;
    for (const { data } of frames) {
      if (this.#outgoing === undefined || !ethernetFrameFits(data, this.mtu)) {
        counters.txDropped++;
        continue;
      }
      counters.txFrames++;
      counters.txBytes += data.length;
      this.#outgoing.transmit(data);
    }
  }

  listen(handler: FrameHandler): void {
    this.#handler = handler;
  }

  counters(): NetDeviceCounters {
    return { ...this.#counters };
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#handler = undefined;
  }

  #addressedToUs(frame: Uint8Array): boolean {
    // The I/G bit, the least significant bit of the first octet, marks group addresses (IEEE 802 §8.2).
    if (this.#promiscuous || (frame[0]! & 1) === 1) return true;
    for (let i = 0; i < 6; i++) if (frame[i] !== this.mac[i]) return false;
    return true;
  }

  #receive(frame: Uint8Array): void {
    if (!this.#addressedToUs(frame)) return;
    const counters = this.#counters;
    if (this.#handler === undefined) {
      counters.rxDropped++;
      return;
    }
    counters.rxFrames++;
    counters.rxBytes += frame.length;
    this.#handler([{ data: frame }]);
  }
}
