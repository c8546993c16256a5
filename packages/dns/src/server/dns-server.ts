// A DNS server's transport: UDP and TCP on one port, decoding, size limits, error answers and
// counters, over the runtime's Stack contract so that it runs on host sockets, the direct stack
// and the simulator alike. What to answer is the handler's business: the authoritative server
// and the resolver each bring theirs.

import { type Clock, Counters, isOasisError, type Logger, type Sleep } from '@oasis/core';
import type { TcpListener, TcpStack, UdpStack } from '@oasis/runtime';
import { DnsWriter, MAX_MESSAGE_LENGTH } from '../wire/dns-writer.ts';
import { CLASSIC_UDP_LIMIT, DEFAULT_MAX_UDP_PAYLOAD } from './answer-limit.ts';
import type { DnsQueryHandler } from './query-handler.ts';
import { DnsResponder } from './query-responder.ts';
import { DnsTcpServer } from './tcp-server.ts';
import { DnsUdpServer } from './udp-server.ts';

export interface DnsServerOptions {
  readonly udp: UdpStack;
  readonly tcp: TcpStack;
  /** 0 for an ephemeral port: TCP then listens on the port UDP got, or on its own if that is taken. */
  readonly port: number;
  /** The local address to serve on; default every address. */
  readonly address?: string;
  readonly handler: DnsQueryHandler;
  readonly clock: Clock;
  readonly sleep: Sleep;
  readonly logger: Logger;
  /** The most this server sends over UDP even if the client offers more: default 1232. */
  readonly maxUdpPayload?: number;
  /** RFC 7766 §6.2.3 idle timeout, default 10_000. */
  readonly tcpIdleMs?: number;
  /** Default 256; beyond it new connections are closed at once and counted. */
  readonly maxTcpConnections?: number;
  /** Queries in progress per TCP connection, default 16. */
  readonly maxTcpPipeline?: number;
}

export interface DnsServer {
  readonly udpPort: number;
  readonly tcpPort: number;
  /**
   * Nonzero counters, keys sorted: `queries.udp`, `queries.tcp` (messages received), `answers`
   * (messages sent), `formerr`, `badvers`, `servfail` (error answers the server made itself),
   * `truncated` (answers cut to fit, TC set), `handler.error`, `dns.<reason>` (messages that did
   * not decode, by DnsWireError reason), `dropped.short`, `dropped.response`, `dropped.no-answer`,
   * `udp.send-error`, `tcp.connections`, `tcp.refused`, `tcp.idle-timeout`, `tcp.bad-frame`,
   * `tcp.pipeline-full`, `tcp.read-error`, `tcp.write-error`.
   */
  counters(): Readonly<Record<string, number>>;
  /** Stops listening and closes connections (FIN, then a reset after a second). */
  close(): Promise<void>;
}

const DEFAULT_TCP_IDLE_MS = 10_000;
const DEFAULT_MAX_TCP_CONNECTIONS = 256;
const DEFAULT_MAX_TCP_PIPELINE = 16;
/** How long a closing TCP connection waits for the client's FIN before it is reset. */
const TCP_CLOSE_GRACE_MS = 1000;

/** Binds UDP and listens on TCP; rejects with the stack's error (EADDRINUSE, EACCES, ...). */
export async function startDnsServer(options: DnsServerOptions): Promise<DnsServer> {
  const maxUdpPayload = checkInteger(
    'maxUdpPayload',
    options.maxUdpPayload ?? DEFAULT_MAX_UDP_PAYLOAD,
    CLASSIC_UDP_LIMIT,
    MAX_MESSAGE_LENGTH,
  );
  const idleMs = checkInteger('tcpIdleMs', options.tcpIdleMs ?? DEFAULT_TCP_IDLE_MS, 1, 2 ** 31);
  const maxConnections = checkInteger(
    'maxTcpConnections',
    options.maxTcpConnections ?? DEFAULT_MAX_TCP_CONNECTIONS,
    0,
    2 ** 31,
  );
  const maxPipeline = checkInteger(
    'maxTcpPipeline',
    options.maxTcpPipeline ?? DEFAULT_MAX_TCP_PIPELINE,
    1,
    2 ** 31,
  );
  checkInteger('port', options.port, 0, 0xffff);
  const { address, logger, handler } = options;
  const socket = await options.udp.bind(
    address === undefined ? { port: options.port } : { address, port: options.port },
  );
  let listener: TcpListener;
  try {
    listener = await listenTcp(options.tcp, address, options.port, socket.local.port);
  } catch (error) {
    await socket.close();
    throw error;
  }
  const counters = new Counters();
  const writer = new DnsWriter();
  const responder = (transport: 'udp' | 'tcp'): DnsResponder =>
    new DnsResponder({ transport, handler, counters, logger, writer, maxUdpPayload });
  const udp = new DnsUdpServer(socket, responder('udp'), counters, logger);
  const tcp = new DnsTcpServer(listener, {
    responder: responder('tcp'),
    counters,
    logger,
    clock: options.clock,
    sleep: options.sleep,
    idleMs,
    maxPipeline,
    closeGraceMs: TCP_CLOSE_GRACE_MS,
    maxConnections,
  });
  logger.info('DNS server listening', {
    address: address ?? 'every address',
    udpPort: udp.port,
    tcpPort: tcp.port,
  });
  let closing: Promise<void> | undefined;
  return {
    udpPort: udp.port,
    tcpPort: tcp.port,
    counters: () => counters.snapshot(),
    close() {
      closing ??= Promise.all([udp.close(), tcp.close()]).then(() => undefined);
      return closing;
    },
  };
}

/**
 * Listens on `port`; for an ephemeral one, on the port UDP was given, so that clients find both
 * transports on one port, or on a port of its own when another socket holds that one.
 */
async function listenTcp(
  tcp: TcpStack,
  address: string | undefined,
  port: number,
  udpPort: number,
): Promise<TcpListener> {
  const at = (listenPort: number) =>
    address === undefined ? { port: listenPort } : { address, port: listenPort };
  if (port !== 0) return tcp.listen(at(port));
  try {
    return await tcp.listen(at(udpPort));
  } catch (error) {
    if (!isOasisError(error, 'EADDRINUSE')) throw error;
    return tcp.listen(at(0));
  }
}

function checkInteger(name: string, value: number, min: number, max: number): number {
  if (!(Number.isInteger(value) && value >= min && value <= max)) {
    throw new RangeError(
      `DnsServerOptions.${name} must be an integer in ${min}-${max}, got ${value}`,
    );
  }
  return value;
}
