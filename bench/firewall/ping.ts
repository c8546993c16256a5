// Round-trip latency across a firewall net: ping(8) from the client host to the upstream host,
// ICMP echo (RFC 792) through the router's NAT, `count` requests `intervalSeconds` apart (below
// 0.2 s ping needs root, which this benchmark has).

import type { FirewallNet } from '../../test/interop/firewall-net.ts';
import type { Children } from './children.ts';

/** How long to wait for the last reply, seconds. */
const REPLY_WAIT_SECONDS = 1;

export interface PingResult {
  readonly transmitted: number;
  readonly received: number;
  readonly minMs: number;
  readonly avgMs: number;
  readonly maxMs: number;
  /** ping's mdev: the standard deviation of the round-trip times. */
  readonly mdevMs: number;
}

/** Reads ping's summary (iputils): the packet counts and `rtt min/avg/max/mdev = ... ms`. */
export function parsePing(output: string): PingResult {
  const counts = /(\d+) packets transmitted, (\d+) received/.exec(output);
  const rtt = /= ([\d.]+)\/([\d.]+)\/([\d.]+)\/([\d.]+) ms/.exec(output);
  if (counts === null || rtt === null) throw new Error(`ping printed no summary: ${output}`);
  return {
    transmitted: Number(counts[1]),
    received: Number(counts[2]),
    minMs: Number(rtt[1]),
    avgMs: Number(rtt[2]),
    maxMs: Number(rtt[3]),
    mdevMs: Number(rtt[4]),
  };
}

export async function runPing(
  children: Children,
  net: FirewallNet,
  count: number,
  intervalSeconds: number,
): Promise<PingResult> {
  const args = ['-q', '-c', String(count), '-i', String(intervalSeconds)];
  args.push('-W', String(REPLY_WAIT_SECONDS), net.addresses.upstreamHost);
  const timeoutMs = (count * intervalSeconds + REPLY_WAIT_SECONDS) * 1000 + 10_000;
  return parsePing(await children.run(net.client.name, 'ping', args, timeoutMs));
}
