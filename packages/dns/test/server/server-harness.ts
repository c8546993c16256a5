// A DNS server on a direct stack in the simulator, and a client host beside it: UDP exchanges
// that collect whatever comes back within a stretch of virtual time, TCP frames written and read
// with the two-byte length prefix, and answer builders for test handlers.

import { concatBytes, createLogger, MemorySink } from '@oasis/core';
import type { Flow, UdpStack } from '@oasis/runtime';
import { runVirtualTime, SimNetwork } from '@oasis/sim';
import { addHost, flush, runUntil, type SimHost } from '../../../net/test/sim-hosts.ts';
import {
  type DnsServer,
  type DnsServerOptions,
  startDnsServer,
} from '../../src/server/dns-server.ts';
import type { DnsQueryHandler } from '../../src/server/query-handler.ts';
import { RecordClass, RecordType } from '../../src/wire/constants.ts';
import {
  type DnsMessage,
  type DnsRecord,
  decodeMessage,
  encodeMessage,
  makeQuery,
} from '../../src/wire/message.ts';
import { DnsName } from '../../src/wire/name.ts';
import { frameMessage, TcpFrameReader } from '../../src/wire/tcp-framing.ts';

export const SERVER_ADDRESS = '10.0.0.1';
export const DNS_PORT = 53;

export interface ServerSetup {
  readonly network: SimNetwork;
  readonly server: DnsServer;
  readonly serverHost: SimHost;
  readonly client: SimHost;
  /** What the server logged. */
  readonly log: MemorySink;
}

export type ServerTuning = Partial<
  Pick<DnsServerOptions, 'maxUdpPayload' | 'tcpIdleMs' | 'maxTcpConnections' | 'maxTcpPipeline'>
> & {
  /** Puts something between the server and its host's UDP (to make sends fail). */
  readonly wrapUdp?: (udp: UdpStack) => UdpStack;
};

export async function simServer(
  handler: DnsQueryHandler,
  { wrapUdp = (udp) => udp, ...tuning }: ServerTuning = {},
): Promise<ServerSetup> {
  const network = new SimNetwork();
  const lanSwitch = network.addSwitch('sw');
  const serverHost = addHost(network, lanSwitch, 'server', `${SERVER_ADDRESS}/24`);
  const client = addHost(network, lanSwitch, 'client', '10.0.0.2/24');
  const log = new MemorySink();
  const server = await runUntil(
    network,
    startDnsServer({
      udp: wrapUdp(serverHost.stack.udp),
      tcp: serverHost.stack.tcp,
      port: DNS_PORT,
      handler,
      clock: network.clock,
      sleep: network.clock,
      logger: createLogger({ source: 'dns', sink: log, clock: network.clock }),
      ...tuning,
    }),
  );
  return { network, server, serverHost, client, log };
}

/** Runs virtual time for `durationMs`, letting the work it starts run. */
export function runFor(network: SimNetwork, durationMs: number): Promise<void> {
  return runVirtualTime(network.clock, {
    untilMs: network.clock.nowMs() + durationMs,
    settle: flush,
  });
}

/** Sends each datagram to the server and returns what came back within `waitMs`, in arrival order. */
export async function udpExchange(
  setup: ServerSetup,
  datagrams: readonly Uint8Array[],
  waitMs = 500,
): Promise<Uint8Array[]> {
  const socket = await runUntil(setup.network, setup.client.stack.udp.bind());
  const received: Uint8Array[] = [];
  socket.onMessage((data) => received.push(data));
  for (const datagram of datagrams)
    socket.send(datagram, { address: SERVER_ADDRESS, port: setup.server.udpPort });
  await runFor(setup.network, waitMs);
  await socket.close();
  return received;
}

export async function tcpConnect(setup: ServerSetup): Promise<Flow> {
  const flow = await runUntil(
    setup.network,
    setup.client.stack.tcp.connect({ address: SERVER_ADDRESS, port: setup.server.tcpPort }),
  );
  flow.setNoDelay(true);
  return flow;
}

/** Messages with their two-byte length prefixes, back to back. */
export function framed(...messages: Uint8Array[]): Uint8Array {
  return concatBytes(messages.map(frameMessage));
}

/** The next `count` frames from `flow`; fewer if the server closes first. */
export async function readFrames(
  setup: ServerSetup,
  flow: Flow,
  count: number,
): Promise<Uint8Array[]> {
  const reader = new TcpFrameReader();
  const frames: Uint8Array[] = [];
  const reading = (async () => {
    while (frames.length < count) {
      for (
        let frame = reader.next();
        frame !== undefined && frames.length < count;
        frame = reader.next()
      ) {
        frames.push(frame);
      }
      if (frames.length === count) break;
      const chunk = await flow.read();
      if (chunk === undefined) break;
      reader.push(chunk);
    }
  })();
  await runUntil(setup.network, reading);
  return frames;
}

export function decoded(bytes: Uint8Array): DnsMessage {
  const result = decodeMessage(bytes);
  if (!result.ok) throw new Error(`the answer does not decode: ${result.error.key}`);
  return result.value;
}

export function aQuery(
  id: number,
  name: string,
  options: Parameters<typeof makeQuery>[2] = {},
): DnsMessage {
  return makeQuery(
    id,
    { name: DnsName.of(name), type: RecordType.A, class: RecordClass.IN },
    options,
  );
}

export function aQueryBytes(
  id: number,
  name: string,
  options: Parameters<typeof makeQuery>[2] = {},
): Uint8Array {
  return encodeMessage(aQuery(id, name, options));
}

/**
 * An A record. Its data is opaque bytes (RFC 3597), which every build of the codec encodes
 * whichever typed codecs it has; compare names and counts, not the decoded data's shape.
 */
export function aRecord(name: string, address: string): DnsRecord {
  return {
    name: DnsName.of(name),
    type: RecordType.A,
    class: RecordClass.IN,
    ttl: 300,
    data: { kind: 'opaque', bytes: Uint8Array.from(address.split('.').map(Number)) },
  };
}

/** The answer to `query` with `records` in the answer section, AA set. */
export function answerWith(query: DnsMessage, records: readonly DnsRecord[]): DnsMessage {
  return {
    ...query,
    qr: true,
    aa: true,
    ra: false,
    answers: records,
    authorities: [],
    additionals: [],
  };
}

/** A handler that answers every query with 192.0.2.1 for the name asked. */
export const answerEverything: DnsQueryHandler = (query) =>
  answerWith(query, [aRecord(query.questions[0]!.name.toString(), '192.0.2.1')]);

/** `count` one-record RRsets of distinct names under `zone`: about 20 bytes each on the wire. */
export function manyRrsets(zone: string, count: number): DnsRecord[] {
  return Array.from({ length: count }, (_, i) => aRecord(`h${i}.${zone}`, `192.0.2.${i % 256}`));
}
