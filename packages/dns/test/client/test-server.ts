// A DNS server for client tests, on a simulated host: a UDP socket and a TCP listener on one
// port, and a spare UDP socket on another port (to answer from the wrong port). Each query goes
// to `handler`, which decides what to send back, when, and how: the default answer, a doctored
// one, raw bytes, nothing at all. TCP answers can be written in pieces, a virtual millisecond
// apart, so that the client reads them split.

import { concatBytes, type ManualClock, writeU16BE } from '@oasis/core';
import type { Flow, UdpEndpoint, UdpSocket } from '@oasis/runtime';
import { RecordClass, RecordType } from '../../src/wire/constants.ts';
import { defaultEdns } from '../../src/wire/edns.ts';
import {
  type DnsMessage,
  type DnsQuestion,
  type DnsRecord,
  decodeMessage,
  encodeMessage,
} from '../../src/wire/message.ts';
import { TcpFrameReader } from '../../src/wire/tcp-framing.ts';
import type { SimHost } from '../sim-net.ts';

export type Transport = 'udp' | 'tcp';

export interface ReceivedQuery {
  readonly message: DnsMessage;
  readonly transport: Transport;
  /** Virtual time of arrival. */
  readonly atMs: number;
  /** The sender's address and port. */
  readonly from: UdpEndpoint;
  /** The answer the server's records give: the question echoed, EDNS echoed if the query had it. */
  readonly answer: DnsMessage;
  /** Sends `message` (default `answer`): a datagram over UDP, a framed write over TCP. */
  reply(message?: DnsMessage): void;
  /** Sends bytes as they are: one datagram, or one write (no framing added) on the connection. */
  send(bytes: Uint8Array): void;
  /** UDP only: sends `message` from the server's other port. */
  replyFromOtherPort(message?: DnsMessage): void;
}

export interface TestServerOptions {
  readonly port?: number;
  /** Listen on TCP too (default true); without it a TCP connection is refused with a reset. */
  readonly tcp?: boolean;
}

/** The frame of a message on a TCP connection (RFC 1035 §4.2.2). */
export function tcpFrame(message: DnsMessage | Uint8Array): Uint8Array {
  const bytes = message instanceof Uint8Array ? message : encodeMessage(message);
  const length = new Uint8Array(2);
  writeU16BE(length, 0, bytes.length);
  return concatBytes([length, bytes]);
}

export class TestDnsServer {
  readonly address: string;
  readonly port: number;
  readonly queries: ReceivedQuery[] = [];
  /** What to do with each query; the default answers it. */
  handler: (query: ReceivedQuery) => void = (query) => query.reply();
  /** The records for a question; the default has an A record 192.0.2.1 for every A question. */
  lookup: (question: DnsQuestion) => DnsRecord[] = (question) =>
    question.type === RecordType.A
      ? [
          {
            name: question.name,
            type: RecordType.A,
            class: RecordClass.IN,
            ttl: 300,
            data: { kind: 'A', address: '192.0.2.1' },
          },
        ]
      : [];
  /** Sizes of the pieces each TCP write is cut into, a millisecond apart (the rest goes last). */
  tcpPieces: readonly number[] = [];
  /** TCP connections accepted, and those the client closed. */
  tcpAccepted = 0;
  tcpClosedByClient = 0;
  readonly flows = new Set<Flow>();
  readonly #clock: ManualClock;
  readonly #udp: UdpSocket;
  readonly #spare: UdpSocket;

  private constructor(
    address: string,
    port: number,
    clock: ManualClock,
    udp: UdpSocket,
    spare: UdpSocket,
  ) {
    this.address = address;
    this.port = port;
    this.#clock = clock;
    this.#udp = udp;
    this.#spare = spare;
  }

  static async start(
    host: SimHost,
    clock: ManualClock,
    options: TestServerOptions = {},
  ): Promise<TestDnsServer> {
    const port = options.port ?? 53;
    const udp = await host.stack.udp.bind({ port });
    const spare = await host.stack.udp.bind({ port: port + 1 });
    const server = new TestDnsServer(host.address, port, clock, udp, spare);
    udp.onMessage((data, from) => server.#onDatagram(data, from));
    if (options.tcp ?? true) {
      const listener = await host.stack.tcp.listen({ port });
      listener.onConnection((flow) => {
        void server.#serveFlow(flow);
      });
    }
    return server;
  }

  /** Closes every TCP connection from the server's side (FIN). */
  async closeConnections(): Promise<void> {
    await Promise.all([...this.flows].map((flow) => flow.close()));
  }

  #onDatagram(data: Uint8Array, from: UdpEndpoint): void {
    const decoded = decodeMessage(data);
    if (!decoded.ok) return;
    this.#received(
      decoded.value,
      'udp',
      from,
      (bytes) => this.#udp.send(bytes, from),
      (bytes) => this.#spare.send(bytes, from),
    );
  }

  async #serveFlow(flow: Flow): Promise<void> {
    this.tcpAccepted += 1;
    // Each piece its own segment, so that the client reads them apart.
    flow.setNoDelay(true);
    this.flows.add(flow);
    const frames = new TcpFrameReader();
    let writes = Promise.resolve();
    const send = (bytes: Uint8Array): void => {
      writes = writes.then(() => this.#write(flow, bytes)).catch(() => {});
    };
    try {
      for (let chunk = await flow.read(); chunk !== undefined; chunk = await flow.read()) {
        frames.push(chunk);
        for (let bytes = frames.next(); bytes !== undefined; bytes = frames.next()) {
          const decoded = decodeMessage(bytes);
          if (decoded.ok) {
            this.#received(
              decoded.value,
              'tcp',
              flow.remote,
              (answer) => send(answer),
              () => {
                throw new Error('no other port over TCP');
              },
            );
          }
        }
      }
      this.tcpClosedByClient += 1;
      await flow.close();
    } catch {
      // Reset, or closed by the test.
    } finally {
      this.flows.delete(flow);
    }
  }

  async #write(flow: Flow, bytes: Uint8Array): Promise<void> {
    let offset = 0;
    for (const size of this.tcpPieces) {
      if (offset >= bytes.length) break;
      await flow.write(bytes.subarray(offset, offset + size));
      offset += size;
      await this.#clock.sleep(1);
    }
    if (offset < bytes.length) await flow.write(bytes.subarray(offset));
  }

  #received(
    message: DnsMessage,
    transport: Transport,
    from: UdpEndpoint,
    send: (bytes: Uint8Array) => void,
    sendFromOtherPort: (bytes: Uint8Array) => void,
  ): void {
    const answer = this.#answerTo(message);
    const encode = (reply: DnsMessage): Uint8Array =>
      transport === 'udp' ? encodeMessage(reply) : tcpFrame(reply);
    const query: ReceivedQuery = {
      message,
      transport,
      atMs: this.#clock.nowMs(),
      from,
      answer,
      reply: (reply = answer) => send(encode(reply)),
      send,
      replyFromOtherPort: (reply = answer) => sendFromOtherPort(encodeMessage(reply)),
    };
    this.queries.push(query);
    this.handler(query);
  }

  #answerTo(query: DnsMessage): DnsMessage {
    const question = query.questions[0];
    const answer: DnsMessage = {
      ...query,
      qr: true,
      ra: true,
      answers: question === undefined ? [] : this.lookup(question),
    };
    if (query.edns === undefined) return answer;
    return { ...answer, edns: defaultEdns(1232) };
  }
}
