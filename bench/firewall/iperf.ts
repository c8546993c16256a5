// One iperf3 test across a firewall net: `iperf3 -s -1` (one test, then it exits) in the
// upstream namespace, the client in the client namespace towards the upstream host, through the
// router and its NAT. Forward is client → upstream, reverse (-R) the other way. UDP tests send
// 1,470-byte datagrams (1,498-byte IP packets: one per 1,500-byte frame, no fragments) with
// 4 MiB socket buffers, so that the receiving socket does not drop what the path delivered;
// what it still drops is read from the upstream host's UDP counters and reported apart.

import type { FirewallNet } from '../../test/interop/firewall-net.ts';
import type { Children } from './children.ts';

const IPERF_PORT = 5201;
export const UDP_PAYLOAD_BYTES = 1470;
const UDP_SOCKET_BUFFER = '4M';
const READY_TIMEOUT_MS = 10_000;
/** How long a test may run past its duration before it counts as stuck. */
const GRACE_MS = 30_000;

export interface IperfTest {
  readonly seconds: number;
  readonly reverse: boolean;
  /** A UDP test at this target rate (iperf3 -b); a TCP test when undefined. */
  readonly udpBitsPerSecond?: number;
}

export interface IperfResult {
  /** end.sum_received.bits_per_second: what the receiver got over the test. */
  readonly receivedBitsPerSecond: number;
  readonly sentBitsPerSecond: number;
  /** TCP: retransmissions counted by the Linux sender. */
  readonly retransmits: number | undefined;
  /** UDP: datagrams lost, percent of those sent (iperf3's count from sequence numbers). */
  readonly lostPercent: number | undefined;
  /** UDP: datagrams the upstream host's sockets dropped for want of buffer (RcvbufErrors). */
  readonly receiverSocketDrops: number | undefined;
}

function numberAt(value: unknown, path: readonly string[]): number | undefined {
  let at = value;
  for (const key of path) {
    if (typeof at !== 'object' || at === null) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return typeof at === 'number' && Number.isFinite(at) ? at : undefined;
}

function parseReport(stdout: string, what: string): Omit<IperfResult, 'receiverSocketDrops'> {
  let report: unknown;
  try {
    report = JSON.parse(stdout);
  } catch {
    throw new Error(`iperf3 (${what}) printed no JSON: ${stdout.slice(0, 500)}`);
  }
  const error = (report as Record<string, unknown>)['error'];
  if (typeof error === 'string') throw new Error(`iperf3 (${what}): ${error}`);
  const received = numberAt(report, ['end', 'sum_received', 'bits_per_second']);
  const sent = numberAt(report, ['end', 'sum_sent', 'bits_per_second']);
  if (received === undefined || sent === undefined) {
    throw new Error(`iperf3 (${what}): no end.sum_received/sum_sent in its report`);
  }
  return {
    receivedBitsPerSecond: received,
    sentBitsPerSecond: sent,
    retransmits: numberAt(report, ['end', 'sum_sent', 'retransmits']),
    lostPercent: numberAt(report, ['end', 'sum_received', 'lost_percent']),
  };
}

/** The Udp RcvbufErrors counter of a namespace, from its /proc/net/snmp (RFC 4113's MIB). */
async function udpReceiveBufferErrors(children: Children, namespace: string): Promise<number> {
  const snmp = await children.run(namespace, 'cat', ['/proc/net/snmp'], READY_TIMEOUT_MS);
  const [names, values] = snmp.split('\n').filter((line) => line.startsWith('Udp: '));
  const index = names?.split(' ').indexOf('RcvbufErrors') ?? -1;
  const value = Number(values?.split(' ')[index]);
  if (index < 0 || !Number.isFinite(value)) throw new Error(`no Udp RcvbufErrors in ${namespace}`);
  return value;
}

export async function runIperf(
  children: Children,
  net: FirewallNet,
  test: IperfTest,
): Promise<IperfResult> {
  const udp = test.udpBitsPerSecond !== undefined;
  const what = `${net.kind}, ${udp ? 'UDP' : 'TCP'}${test.reverse ? ' -R' : ''}`;
  const server = children.watch(`iperf3 -s (${net.kind})`, net.upstream.name, 'iperf3', [
    '-s',
    '-1',
    '-p',
    String(IPERF_PORT),
    '--forceflush',
  ]);
  try {
    await server.waitFor(/Server listening/, READY_TIMEOUT_MS);
    const args = [
      '-c',
      net.addresses.upstreamHost,
      '-p',
      String(IPERF_PORT),
      '-t',
      String(test.seconds),
      '--json',
    ];
    if (test.reverse) args.push('-R');
    if (udp) {
      const rate = String(Math.round(test.udpBitsPerSecond));
      args.push('-u', '-b', rate, '-l', String(UDP_PAYLOAD_BYTES), '-w', UDP_SOCKET_BUFFER);
    }
    const receiver = test.reverse ? net.client.name : net.upstream.name;
    const dropsBefore = udp ? await udpReceiveBufferErrors(children, receiver) : undefined;
    const timeoutMs = test.seconds * 1000 + GRACE_MS;
    const stdout = await children.run(net.client.name, 'iperf3', args, timeoutMs);
    const result = parseReport(stdout, what);
    const dropsAfter = udp ? await udpReceiveBufferErrors(children, receiver) : undefined;
    // The next test may start only once this server is done with this one.
    await server.waitForExit(READY_TIMEOUT_MS);
    return {
      ...result,
      receiverSocketDrops:
        dropsBefore === undefined || dropsAfter === undefined
          ? undefined
          : dropsAfter - dropsBefore,
    };
  } finally {
    if (server.ended() === undefined) server.child.kill('SIGKILL');
  }
}
