// The client's parameters (its first JSON frame) as a checked, typed value. The fields are the
// ones the iperf3 client sends: protocol ("tcp"/"udp"/"sctp": true), "time", "num", "blockcount",
// "omit", "parallel", "reverse", "bidirectional", "len", "bandwidth", "pacing_timer",
// "udp_counters_64bit", "get_server_output", and settings a host-socket service cannot apply
// ("MSS", "window", "nodelay", "congestion", "TOS", "fqrate"), which are kept to be reported.

import { err, ok, type Result } from '@oasis/core';
import {
  DEFAULT_TCP_BLOCK_SIZE,
  DEFAULT_UDP_BLOCK_SIZE,
  IPERF_ERRORS,
  MAX_STREAMS,
  MAX_TCP_BLOCK_SIZE,
  MAX_UDP_BLOCK_SIZE,
} from './protocol.ts';

/** Who sends: the client (`normal`), the server (`reverse`, -R) or both (`bidirectional`). */
export type TestMode = 'normal' | 'reverse' | 'bidirectional';

export interface TestParams {
  readonly protocol: 'tcp' | 'udp';
  readonly mode: TestMode;
  /** Streams per direction (-P). */
  readonly parallel: number;
  /** -t in seconds; 0 when the test ends by bytes or blocks. */
  readonly durationS: number;
  /** -O: seconds at the start left out of the results. */
  readonly omitS: number;
  /** -n: bytes to send in all, over all streams of a direction; 0 for none. */
  readonly bytes: number;
  /** -k: blocks to send in all; 0 for none. */
  readonly blocks: number;
  /** -l: bytes per write (TCP) or per datagram (UDP). */
  readonly blockSize: number;
  /** -b: bits per second per stream; 0 for no limit. */
  readonly bitsPerSecond: number;
  /** How often a rate-limited sender checks its rate, in microseconds. */
  readonly pacingTimerUs: number;
  /** UDP datagrams carry a 64-bit packet counter instead of a 32-bit one. */
  readonly udpCounters64: boolean;
  /** --get-server-output: the results carry the server's report as text. */
  readonly getServerOutput: boolean;
  /** Socket options the client asked for that this server does not apply (`MSS`, `window`...). */
  readonly ignored: readonly string[];
  readonly clientVersion: string | undefined;
  readonly title: string | undefined;
}

/** Why parameters were refused: the iperf3 error code for SERVER_ERROR, and a line for the log. */
export interface ParamsError {
  readonly code: number;
  readonly message: string;
}

/** Settings that only mean something to a kernel socket; reported, not applied. */
const SOCKET_OPTIONS = ['MSS', 'window', 'nodelay', 'congestion', 'TOS', 'flowlabel', 'fqrate'];

export function parseTestParams(
  json: Readonly<Record<string, unknown>>,
): Result<TestParams, ParamsError> {
  const refuse = (code: number, message: string) => err({ code, message });
  const bad = (message: string) => refuse(IPERF_ERRORS.receiveParams, message);
  if (json['sctp'] !== undefined) return refuse(IPERF_ERRORS.noSctp, 'SCTP is not supported');
  const protocol = json['udp'] !== undefined ? 'udp' : 'tcp';

  const numbers: Record<string, number> = {};
  for (const key of [
    'time',
    'num',
    'blockcount',
    'omit',
    'parallel',
    'len',
    'bandwidth',
    'pacing_timer',
  ]) {
    const value = json[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      return bad(`parameter ${key} is not a non-negative integer: ${JSON.stringify(value)}`);
    }
    numbers[key] = value;
  }
  const reverse = json['reverse'] !== undefined;
  const bidirectional = json['bidirectional'] !== undefined;
  if (reverse && bidirectional) {
    return refuse(IPERF_ERRORS.reverseBidir, 'both reverse and bidirectional');
  }
  const parallel = numbers['parallel'] ?? 1;
  if (parallel < 1 || parallel > MAX_STREAMS) {
    return refuse(IPERF_ERRORS.numStreams, `${parallel} streams (1-${MAX_STREAMS})`);
  }
  const blockSize =
    numbers['len'] ?? (protocol === 'udp' ? DEFAULT_UDP_BLOCK_SIZE : DEFAULT_TCP_BLOCK_SIZE);
  if (protocol === 'tcp' && (blockSize < 1 || blockSize > MAX_TCP_BLOCK_SIZE)) {
    return refuse(IPERF_ERRORS.blockSize, `a block of ${blockSize} bytes`);
  }
  // A datagram holds at least the header: seconds, microseconds and a 32- or 64-bit counter.
  const udpCounters64 = json['udp_counters_64bit'] !== undefined;
  if (
    protocol === 'udp' &&
    (blockSize < (udpCounters64 ? 16 : 12) || blockSize > MAX_UDP_BLOCK_SIZE)
  ) {
    return refuse(IPERF_ERRORS.udpBlockSize, `a datagram of ${blockSize} bytes`);
  }
  const title = json['title'];
  const clientVersion = json['client_version'];
  return ok({
    protocol,
    mode: bidirectional ? 'bidirectional' : reverse ? 'reverse' : 'normal',
    parallel,
    durationS: numbers['time'] ?? 10,
    omitS: numbers['omit'] ?? 0,
    bytes: numbers['num'] ?? 0,
    blocks: numbers['blockcount'] ?? 0,
    blockSize,
    // The client always names a UDP rate except for -b 0, "no limit".
    bitsPerSecond: numbers['bandwidth'] ?? 0,
    pacingTimerUs: numbers['pacing_timer'] ?? 1000,
    udpCounters64,
    getServerOutput: json['get_server_output'] !== undefined,
    ignored: SOCKET_OPTIONS.filter((key) => json[key] !== undefined),
    clientVersion: typeof clientVersion === 'string' ? clientVersion : undefined,
    title: typeof title === 'string' ? title : undefined,
  });
}

/** How many streams the client opens: `parallel` per direction. */
export function streamCount(params: TestParams): number {
  return params.mode === 'bidirectional' ? 2 * params.parallel : params.parallel;
}

/**
 * Whether the server sends on the stream at `index` (creation order). The client opens its
 * sending streams first, so in a bidirectional test the server receives on the first `parallel`
 * streams and sends on the rest.
 */
export function serverSendsOn(params: TestParams, index: number): boolean {
  switch (params.mode) {
    case 'normal':
      return false;
    case 'reverse':
      return true;
    case 'bidirectional':
      return index >= params.parallel;
  }
}
