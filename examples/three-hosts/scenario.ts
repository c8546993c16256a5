// Three hosts on a learning switch, each running Oasis' own network stack (@oasis/net) on a
// simulated NIC, all on virtual time: the scenario of the demo, the determinism test and the
// tshark interop test. h2 and h3 run a UDP echo service on port 7 (RFC 862). h1 pings each of
// them once, the ping to h3 large enough to be sent in fragments, then sends them datagrams of
// varied sizes from one ephemeral port, a few of them longer than the MTU, and counts the echoes.
// ARP, fragmentation and reassembly, checksums and retries are the stacks' own. h1's NIC is
// wrapped in a PcapCapture, so the capture holds both directions of h1's traffic.
// Every random choice (link conditions, ephemeral ports, IPv4 identifications, ICMP identifiers)
// is drawn from the seed, so the same seed gives a byte-identical capture.

import { createLogger, isOasisError, MemorySink, SeededRandom } from '@oasis/core';
import { NetStack } from '@oasis/net';
import type { NetDevice, UdpEndpoint } from '@oasis/runtime';
import { type LinkConditions, PcapCapture, PcapWriter, SimNetwork } from '@oasis/sim';

export interface ThreeHostsOptions {
  readonly seed: number;
  readonly conditions?: LinkConditions;
  /** Datagrams h1 sends to each of h2 and h3 (default 20). */
  readonly datagramsPerHost?: number;
  readonly resolution?: 'us' | 'ns';
}

export interface ThreeHostsResult {
  readonly network: SimNetwork;
  /** The pcap file of h1's traffic, both directions. */
  readonly pcap: Uint8Array;
  /** Echoed datagrams h1 received (a duplicated frame on the way counts twice). */
  readonly echoes: number;
  /** Datagrams h1 sent, to h2 and h3 together. */
  readonly datagramsSent: number;
  /** The ephemeral port h1 sent its datagrams from. */
  readonly clientPort: number;
  /** Pings answered and pings that timed out. */
  readonly pings: { readonly answered: number; readonly timedOut: number };
  /** The stacks, closed, for their `counters()` and `drops()`. */
  readonly stacks: { readonly h1: NetStack; readonly h2: NetStack; readonly h3: NetStack };
}

/** The UDP echo service's port (RFC 862). */
export const ECHO_PORT = 7;

/** h1's pings: echo data lengths; 3000 bytes to h3 needs three fragments each way at MTU 1500. */
export const PINGS = [
  { to: '10.0.0.2', dataLength: 56 },
  { to: '10.0.0.3', dataLength: 3000 },
] as const;

/** How long h1 waits for each echo reply. */
export const PING_TIMEOUT_MS = 1000;

/**
 * The length of h1's `index`th datagram to each host: 1 to 1472 bytes (what fits a 1500-byte
 * frame), except every tenth, 1473 to 4472 bytes, which IPv4 sends in two or three fragments.
 */
export function datagramLength(index: number): number {
  return index % 10 === 9 ? 1473 + ((index * 397) % 3000) : 1 + ((index * 397) % 1472);
}

export async function runThreeHosts(options: ThreeHostsOptions): Promise<ThreeHostsResult> {
  const network = new SimNetwork({ seed: options.seed });
  const sw = network.addSwitch('sw');
  const chunks: Uint8Array[] = [];
  const writer = new PcapWriter((chunk) => chunks.push(chunk), {
    resolution: options.resolution ?? 'us',
  });
  const host = (name: string, lastOctet: number, wrap?: (nic: NetDevice) => NetDevice) => {
    const nic = network.addNic(name);
    network.connect(
      nic,
      sw,
      options.conditions === undefined ? {} : { conditions: options.conditions },
    );
    return new NetStack({
      interfaces: [{ device: wrap?.(nic) ?? nic, ipv4: [`10.0.0.${lastOctet}/24`] }],
      clock: network.clock,
      sleep: network.clock,
      random: new SeededRandom(options.seed).derive(name),
      logger: createLogger({ source: name, sink: new MemorySink(), clock: network.clock }),
      // The addresses are known to be free: announce them, skip the 7 s of RFC 5227 probing.
      probeAddresses: false,
    });
  };
  const h1 = host('h1', 1, (nic) => new PcapCapture(nic, network.clock, writer));
  const h2 = host('h2', 2);
  const h3 = host('h3', 3);

  for (const server of [h2, h3]) {
    const socket = await server.udp.bind({ port: ECHO_PORT });
    socket.onMessage((data, from) => socket.send(data, from));
  }

  // The pings resolve h2's and h3's MACs with ARP on the way. Each is answered or timed out
  // once its timeout has passed on the virtual clock.
  const pings = PINGS.map(({ to, dataLength }) =>
    h1.ping(to, { dataLength, timeoutMs: PING_TIMEOUT_MS }),
  );
  network.run(PING_TIMEOUT_MS);
  let answered = 0;
  let timedOut = 0;
  for (const outcome of await Promise.allSettled(pings)) {
    if (outcome.status === 'fulfilled') answered++;
    else if (isOasisError(outcome.reason, 'ETIMEDOUT')) timedOut++;
    else throw outcome.reason;
  }

  const client = await h1.udp.bind();
  let echoes = 0;
  client.onMessage(() => echoes++);
  const peers: UdpEndpoint[] = [
    { address: '10.0.0.2', port: ECHO_PORT },
    { address: '10.0.0.3', port: ECHO_PORT },
  ];
  const count = options.datagramsPerHost ?? 20;
  for (let i = 0; i < count; i++) {
    for (const peer of peers) client.send(new Uint8Array(datagramLength(i)).fill(i), peer);
    network.run(1);
  }
  // Until every frame has arrived and every timer of the stacks (ARP entries ageing, fragments
  // waiting for reassembly) has run out.
  network.runUntilIdle();
  await Promise.all([h1, h2, h3].map((stack) => stack.close()));

  const pcap = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    pcap.set(chunk, offset);
    offset += chunk.length;
  }
  return {
    network,
    pcap,
    echoes,
    datagramsSent: count * peers.length,
    clientPort: client.local.port,
    pings: { answered, timedOut },
    stacks: { h1, h2, h3 },
  };
}
