// The client side of the iperf3 protocol, step by step, for driving the server in tests: each
// step is a method, so a test can stop, misbehave or check the server's answer at any point.

import { readU32BE, writeU32BE } from '@oasis/core';
import type { Flow, Stack, UdpEndpoint, UdpSocket } from '@oasis/runtime';
import { FlowReader } from '../flow-reader.ts';
import { encodeJsonFrame, readJsonFrame } from '../json-frame.ts';
import { COOKIE_SIZE, IPERF_DONE, TEST_END } from '../protocol.ts';

let cookies = 0;

/** A 36-character cookie and its NUL, different for each call. */
export function makeCookie(): Uint8Array {
  const text = `test-cookie-${String(++cookies).padStart(24, '0')}`;
  const cookie = new Uint8Array(COOKIE_SIZE);
  cookie.set(new TextEncoder().encode(text));
  return cookie;
}

export class TestClient {
  readonly stack: Stack;
  readonly port: number;
  readonly cookie: Uint8Array;
  readonly control: Flow;
  readonly reader: FlowReader;
  readonly streams: Flow[] = [];

  private constructor(stack: Stack, port: number, cookie: Uint8Array, control: Flow) {
    this.stack = stack;
    this.port = port;
    this.cookie = cookie;
    this.control = control;
    this.reader = new FlowReader(control);
  }

  /** Opens the control connection and sends the cookie. */
  static async connect(stack: Stack, port: number, cookie = makeCookie()): Promise<TestClient> {
    const control = await stack.tcp.connect({ address: '127.0.0.1', port });
    await control.write(cookie);
    return new TestClient(stack, port, cookie, control);
  }

  /** The server's next state (signed), or undefined when it closed the connection. */
  state(): Promise<number | undefined> {
    return this.reader.readSignedByte();
  }

  /** After SERVER_ERROR: the iperf3 error code and errno. */
  async serverError(): Promise<[number, number]> {
    const bytes = await this.reader.readExact(8);
    if (bytes === undefined) throw new Error('the server closed before its error codes');
    return [readU32BE(bytes, 0), readU32BE(bytes, 4)];
  }

  async sendParams(params: Readonly<Record<string, unknown>>): Promise<void> {
    await this.control.write(encodeJsonFrame(params));
  }

  async sendState(state: number): Promise<void> {
    await this.control.write(Uint8Array.of(state & 0xff));
  }

  /** Opens `count` TCP data streams, each introduced by `cookie` (this test's by default). */
  async openStreams(count: number, cookie = this.cookie): Promise<Flow[]> {
    const opened: Flow[] = [];
    for (let i = 0; i < count; i++) {
      const flow = await this.stack.tcp.connect({ address: '127.0.0.1', port: this.port });
      await flow.write(cookie);
      opened.push(flow);
    }
    this.streams.push(...opened);
    return opened;
  }

  async sendResults(streams: readonly { id: number; bytes: number; packets?: number }[]) {
    await this.control.write(
      encodeJsonFrame({
        cpu_util_total: 1,
        cpu_util_user: 0.5,
        cpu_util_system: 0.5,
        sender_has_retransmits: 0,
        streams: streams.map((stream) => ({
          id: stream.id,
          bytes: stream.bytes,
          retransmits: 0,
          jitter: 0,
          errors: 0,
          packets: stream.packets ?? 0,
          start_time: 0,
          end_time: 1,
        })),
      }),
    );
  }

  async readResults(): Promise<Readonly<Record<string, unknown>>> {
    const frame = await readJsonFrame(this.reader);
    if (frame === undefined) throw new Error('the server closed before its results');
    if (!frame.ok) throw new Error(`the server's results: ${frame.error}`);
    return frame.value;
  }

  /** TEST_END, then the results exchange up to IPERF_DONE; returns the server's states and results. */
  async finish(
    results: readonly { id: number; bytes: number; packets?: number }[],
  ): Promise<{ states: number[]; results: Readonly<Record<string, unknown>> }> {
    await this.sendState(TEST_END);
    const states = [(await this.state()) ?? 0];
    await this.sendResults(results);
    const serverResults = await this.readResults();
    states.push((await this.state()) ?? 0);
    await this.sendState(IPERF_DONE);
    await Promise.all([this.control.close(), ...this.streams.map((flow) => flow.close())]);
    return { states, results: serverResults };
  }
}

/** Sends `total` bytes in `blockSize` writes over `flow`. */
export async function sendBytes(flow: Flow, total: number, blockSize = 64 * 1024): Promise<void> {
  const block = new Uint8Array(blockSize).fill(0x5a);
  for (let sent = 0; sent < total; sent += blockSize) {
    await flow.write(block.subarray(0, Math.min(blockSize, total - sent)));
  }
}

/** Reads until `total` bytes came or the stream ended; returns the count. */
export async function receiveBytes(flow: Flow, total: number): Promise<number> {
  let received = 0;
  while (received < total) {
    const chunk = await flow.read();
    if (chunk === undefined) break;
    received += chunk.length;
  }
  return received;
}

/** A UDP test datagram: seconds, microseconds, a 32-bit counter, filler. */
export function udpDatagram(counter: number, sentMs: number, size = 64): Uint8Array {
  const datagram = new Uint8Array(size);
  writeU32BE(datagram, 0, Math.floor(sentMs / 1000));
  writeU32BE(datagram, 4, Math.floor((sentMs % 1000) * 1000));
  writeU32BE(datagram, 8, counter);
  return datagram;
}

/** A UDP socket of the client, with what it received. */
export class UdpClient {
  readonly socket: UdpSocket;
  readonly received: Uint8Array[] = [];
  #waiters: Array<() => void> = [];

  private constructor(socket: UdpSocket) {
    this.socket = socket;
    socket.onMessage((data) => {
      this.received.push(data);
      for (const wake of this.#waiters.splice(0)) wake();
    });
  }

  static async open(stack: Stack): Promise<UdpClient> {
    return new UdpClient(await stack.udp.bind({}));
  }

  get local(): UdpEndpoint {
    return this.socket.local;
  }

  /** Resolves once `count` datagrams have arrived in all. */
  async waitFor(count: number): Promise<void> {
    while (this.received.length < count) {
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }
}
