// `npm start`: the three-host scenario (scenario.ts) on a lossy simulated network, on virtual
// time: three Oasis network stacks on a switch, h1 pinging and sending datagrams to UDP echo
// services on h2 and h3. Prints what every link, the switch, each NIC and each stack counted
// (and dropped, by reason), and writes h1's capture to a pcap file.
//   node --import tsx examples/three-hosts/main.ts [--seed N] [--out FILE]

import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { LearningSwitch, SimNic } from '@oasis/sim';
import { PINGS, runThreeHosts } from './scenario.ts';

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '7' },
    out: { type: 'string', default: 'sim-demo.pcap' },
  },
});
const seed = Number(values.seed);
if (!Number.isInteger(seed)) {
  console.error(`--seed must be an integer, got '${values.seed}'`);
  process.exit(64);
}

const conditions = { latencyMs: 5, jitterMs: 2, loss: 0.05, duplicate: 0.02, reorder: 0.05 };
const started = performance.now();
const datagramsPerHost = 100;
const { network, pcap, echoes, datagramsSent, pings, stacks } = await runThreeHosts({
  seed,
  conditions,
  datagramsPerHost,
});
const elapsedMs = performance.now() - started;
writeFileSync(values.out, pcap);

console.log(`seed ${seed}; links: ${JSON.stringify(conditions)}`);
console.log(
  `simulated ${network.clock.nowMs().toFixed(1)} ms in ${elapsedMs.toFixed(1)} ms of real time\n`,
);
for (const link of network.links) {
  for (const [direction, channel] of [
    [`${link.a.name} -> ${link.b.name}`, link.aToB],
    [`${link.b.name} -> ${link.a.name}`, link.bToA],
  ] as const) {
    console.log(`link ${direction.padEnd(9)} ${JSON.stringify(channel.counters)}`);
  }
}
const ends = new Set(network.links.flatMap((link) => [link.a, link.b]));
for (const end of ends) {
  if (end instanceof LearningSwitch)
    console.log(`switch ${end.name} ${JSON.stringify(end.counters)}`);
  if (end instanceof SimNic) console.log(`nic ${end.name} ${JSON.stringify(end.counters())}`);
}
for (const [name, stack] of Object.entries(stacks)) {
  console.log(`\nstack ${name} ${stack.interfaces()[0]?.addresses[0]?.cidr}`);
  for (const line of byProtocol(stack.counters())) console.log(`  ${line}`);
  const drops = Object.entries(stack.drops()).map(([reason, n]) => `${reason}=${n}`);
  console.log(`  drops  ${drops.length === 0 ? 'none' : drops.join(' ')}`);
}
const pinged = PINGS.map(({ to, dataLength }) => `${to} (${dataLength} bytes)`).join(' and ');
console.log(`\nh1 pinged ${pinged}: ${pings.answered} answered, ${pings.timedOut} timed out`);
console.log(
  `h1 sent ${datagramsSent} datagrams and received ${echoes} echoes (duplicates included); capture written to ${values.out} (${pcap.length} bytes)`,
);

/** One line per protocol: 'udp.sent' and 'udp.received' become 'udp    sent=… received=…'. */
function byProtocol(counters: Record<string, number>): string[] {
  const lines = new Map<string, string>();
  for (const [key, value] of Object.entries(counters)) {
    const dot = key.indexOf('.');
    const protocol = key.slice(0, dot);
    lines.set(
      protocol,
      `${lines.get(protocol) ?? protocol.padEnd(6)} ${key.slice(dot + 1)}=${value}`,
    );
  }
  return [...lines.values()];
}
