// The client side of ICMP and ICMPv6 echo (RFC 792, RFC 4443 §4), the same in both families:
// one identifier per stack, a sequence number per request, the requests waiting for their reply
// or their timeout. The layers build and send the messages; this matches the replies.

import { type Sleep, TimeoutError, type Timer } from '@oasis/core';

export interface PingOptions {
  /** Echo data bytes after the 8-byte ICMP header: 56 by default, like ping(8). */
  readonly dataLength?: number;
  readonly timeoutMs?: number;
  /** IPv4 time to live, IPv6 hop limit. */
  readonly ttl?: number;
  /** Set DF: a request longer than the MTU then fails with EMSGSIZE instead of fragmenting. */
  readonly dontFragment?: boolean;
}

export interface PingReply {
  readonly from: string;
  readonly sequence: number;
  readonly rttMs: number;
  /** The reply's ICMP length (header and data), as ping(8) prints it. */
  readonly bytes: number;
  /** The reply's TTL (IPv4) or hop limit (IPv6). */
  readonly ttl: number;
}

interface PendingPing {
  readonly sentAtMs: number;
  readonly dataLength: number;
  readonly resolve: (reply: PingReply) => void;
  readonly reject: (error: Error) => void;
  readonly timer: Timer;
}

const DEFAULT_PING_DATA_LENGTH = 56;
const DEFAULT_PING_TIMEOUT_MS = 1000;

export class PingTracker {
  readonly identifier: number;
  readonly #sleep: Sleep;
  readonly #pings = new Map<number, PendingPing>();
  #sequence = 0;

  constructor(sleep: Sleep, identifier: number) {
    this.#sleep = sleep;
    this.identifier = identifier;
  }

  /**
   * Starts one ping to `destination` (text, for messages): `send(sequence, data)` sends the
   * request; a throw from it rejects the ping. Throws RangeError for a data length beyond
   * `maxDataLength`.
   */
  start(
    destination: string,
    options: PingOptions,
    maxDataLength: number,
    nowMs: number,
    send: (sequence: number, data: Uint8Array) => void,
  ): Promise<PingReply> {
    const dataLength = options.dataLength ?? DEFAULT_PING_DATA_LENGTH;
    const timeoutMs = options.timeoutMs ?? DEFAULT_PING_TIMEOUT_MS;
    if (!(Number.isInteger(dataLength) && dataLength >= 0 && dataLength <= maxDataLength)) {
      throw new RangeError(`ping data length is 0-${maxDataLength} bytes, got ${dataLength}`);
    }
    this.#sequence = (this.#sequence + 1) & 0xffff;
    const sequence = this.#sequence;
    const data = new Uint8Array(dataLength);
    // The pattern ping(8) uses: byte i holds i, so a reply that changed the data shows.
    for (let i = 0; i < dataLength; i++) data[i] = i & 0xff;
    return new Promise<PingReply>((resolve, reject) => {
      const timer = this.#sleep.setTimer(nowMs + timeoutMs, () => {
        this.#pings.delete(sequence);
        reject(new TimeoutError(`no echo reply from ${destination} within ${timeoutMs} ms`));
      });
      this.#pings.get(sequence)?.timer.cancel();
      this.#pings.set(sequence, { sentAtMs: nowMs, dataLength, resolve, reject, timer });
      try {
        send(sequence, data);
      } catch (error) {
        timer.cancel();
        this.#pings.delete(sequence);
        reject(error);
      }
    });
  }

  /** An echo reply: resolves the ping it answers; false when it answers none of ours. */
  answer(
    identifier: number,
    sequence: number,
    dataLength: number,
    from: string,
    ttl: number,
    nowMs: number,
  ): boolean {
    const pending = identifier === this.identifier ? this.#pings.get(sequence) : undefined;
    if (pending === undefined || dataLength !== pending.dataLength) return false;
    this.#pings.delete(sequence);
    pending.timer.cancel();
    pending.resolve({
      from,
      sequence,
      rttMs: nowMs - pending.sentAtMs,
      bytes: 8 + dataLength,
      ttl,
    });
    return true;
  }

  /** Rejects the pings still waiting: the stack is closing. */
  close(error: Error): void {
    for (const pending of this.#pings.values()) {
      pending.timer.cancel();
      pending.reject(error);
    }
    this.#pings.clear();
  }
}
