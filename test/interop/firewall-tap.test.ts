// The firewall (unikernels/firewall, tap target) between a client namespace and an upstream
// namespace (firewall-net.ts): Linux programs on both sides, the rules file below, dnsmasq as
// the upstream resolver. What the upstream side sees of the client, what each rule lets through,
// DNS through the firewall, dstname rules, ICMP errors back through the NAT (traceroute, port
// unreachable), port forwards, reloads under traffic, and bad packets counted.

import assert from 'node:assert/strict';
import { type SpawnSyncReturns, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Dnsmasq } from './dnsmasq.ts';
import { FIREWALL_NODE_FLAGS, FirewallNet } from './firewall-net.ts';
import type { NetNamespace } from './netns.ts';
import { skipUnlessTapAllowed } from './netns.ts';
import { type BuiltService, buildService, ServiceProcess } from './service-process.ts';
import { PYTHON, skipUnless, skipUnlessScapy } from './tools.ts';

const SUBNET = 88;
const UPSTREAM = `10.${SUBNET}.2.1`;
/** Second and third addresses of the upstream host: one a dstname points at, one denied. */
const NAMED = `10.${SUBNET}.2.11`;
const DENIED = `10.${SUBNET}.2.10`;
const CLIENT = `10.${SUBNET}.1.2`;
const FIREWALL_CLIENT = `10.${SUBNET}.1.1`;
const FIREWALL_UPLINK = `10.${SUBNET}.2.2`;

const RULES = `# interop test rules
* accept proto=icmp dst=${UPSTREAM}
* accept proto=udp dst=${UPSTREAM} dstports=7000-7001   # the echo of who is asking
* accept proto=udp dstports=33434-33534                 # traceroute's probes
* accept proto=udp dst=${UPSTREAM} dstports=9000-9015   # the flood
* accept proto=tcp dst=${UPSTREAM} dstports=7000
* accept proto=tcp dstname=named.test dstports=7000
* accept specialtarget=dns
* drop proto=tcp dst=${DENIED}
`;

const skip =
  skipUnlessTapAllowed() ||
  skipUnless('socat', 'apt-get install socat') ||
  skipUnless('traceroute', 'apt-get install traceroute') ||
  skipUnless('dig', 'apt-get install bind9-dnsutils') ||
  skipUnless('/usr/sbin/dnsmasq', 'apt-get install dnsmasq-base') ||
  skipUnlessScapy();

/** Runs a program in `namespace`, returning its outcome whether or not it succeeded. */
function attempt(
  namespace: NetNamespace,
  program: string,
  args: readonly string[],
  input?: string,
): SpawnSyncReturns<string> {
  return spawnSync('ip', ['netns', 'exec', namespace.name, program, ...args], {
    encoding: 'utf8',
    ...(input === undefined ? {} : { input }),
  });
}

/**
 * A service in the upstream namespace that answers with the address and port that asked; over
 * TCP it then echoes each line until the client closes.
 */
function whoAsks(net: FirewallNet, protocol: 'UDP4' | 'TCP4', port: number) {
  const listen =
    protocol === 'UDP4' ? `UDP4-RECVFROM:${port},fork` : `TCP4-LISTEN:${port},fork,reuseaddr`;
  return net.upstream.spawn('socat', [
    listen,
    // socat would cut the command at a colon: address and port are separated by a space.
    'SYSTEM:echo $SOCAT_PEERADDR $SOCAT_PEERPORT; while read line; do echo "$line"; done',
  ]);
}

/** Resolves once `stream` has printed text matching `pattern`. */
function printed(stream: NodeJS.ReadableStream, pattern: RegExp): Promise<void> {
  let text = '';
  return new Promise((resolve) => {
    const onData = (chunk: Buffer) => {
      text += chunk.toString('utf8');
      if (!pattern.test(text)) return;
      stream.off('data', onData);
      resolve();
    };
    stream.on('data', onData);
  });
}

/**
 * A TCP connection from the client to the upstream echo that stays open between lines: `say`
 * sends a line and resolves when it comes back; `end` sends the last one and resolves with
 * socat's exit status once the connection closed.
 */
function openConnection(net: FirewallNet) {
  const socat = spawn('ip', [
    'netns',
    'exec',
    net.client.name,
    'socat',
    '-',
    `TCP4:${UPSTREAM}:7000`,
  ]);
  const closed = new Promise<number | null>((resolve) => socat.once('close', resolve));
  return {
    say(line: string): Promise<void> {
      const echoed = printed(socat.stdout, new RegExp(`${line}\n`));
      socat.stdin.write(`${line}\n`);
      return echoed;
    },
    async end(line: string): Promise<number | null> {
      const echoed = printed(socat.stdout, new RegExp(`${line}\n`));
      socat.stdin.end(`${line}\n`);
      await echoed;
      return closed;
    },
  };
}

describe('firewall on the tap target between two namespaces', { skip }, () => {
  let net: FirewallNet;
  let built: BuiltService;
  let firewall: ServiceProcess;
  let dnsmasq: Dnsmasq;
  let dir: string;
  const services: { done: Promise<string>; kill(): void }[] = [];

  /** The firewall's next counters record (SIGUSR1), as a map. */
  async function counters(): Promise<Map<string, number>> {
    const before = firewall.stderr.length;
    firewall.child.kill('SIGUSR1');
    for (;;) {
      const match = /counters(.*)\n/.exec(firewall.stderr.slice(before));
      if (match !== null) {
        const fields = new Map<string, number>();
        for (const [, key, value] of (match[1] ?? '').matchAll(/([\w.-]+)=(\d+)/g)) {
          fields.set(key ?? '', Number(value));
        }
        return fields;
      }
      await firewall.waitForLog(new RegExp(`[\\s\\S]{${before}}[\\s\\S]*counters`));
    }
  }

  before(async () => {
    net = FirewallNet.oasis({ tag: 'fwt', subnet: SUBNET });
    dir = mkdtempSync(join(tmpdir(), 'oasis-firewall-'));
    writeFileSync(join(dir, 'rules.txt'), RULES);
    built = await buildService('unikernels/firewall', 'tap');
    firewall = new ServiceProcess(
      built.bundle,
      [
        ...net.firewallArgs(join(dir, 'rules.txt')),
        '--dns-upstream',
        UPSTREAM,
        '--forward',
        `tcp:8080=${CLIENT}:7000`,
      ],
      net.router.name,
      { NODE_OPTIONS: FIREWALL_NODE_FLAGS.join(' ') },
    );
    await firewall.waitForLog(/firewall ready/);
    net.attachAfterOpen();
    for (const address of [NAMED, DENIED]) {
      net.upstream.ip(['addr', 'add', `${address}/24`, 'dev', net.upstreamLink]);
    }
    dnsmasq = await Dnsmasq.start(
      UPSTREAM,
      53,
      [`--host-record=named.test,${NAMED}`, '--address=/other.test/10.88.2.99'],
      net.upstream.name,
    );
    services.push(whoAsks(net, 'UDP4', 7000), whoAsks(net, 'TCP4', 7000));
    await firewall.waitForLog(/rule names resolved.*named\.test=1/);
  });

  after(async () => {
    for (const service of services) {
      service.kill();
      // Killed on purpose: its exit status says nothing.
      await service.done.catch(() => undefined);
    }
    await firewall?.stop();
    await dnsmasq?.stop();
    built?.remove();
    net?.delete();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('translates a client to the uplink address, keeping its port (RFC 4787)', () => {
    const udp = attempt(
      net.client,
      'socat',
      ['-T2', '-', `UDP4:${UPSTREAM}:7000,sourceport=40123`],
      'who am I\n',
    );
    assert.equal(udp.stdout.split('\n')[0], `${FIREWALL_UPLINK} 40123`, udp.stderr);
    const tcp = net.client.exec('socat', ['-T2', '-', `TCP4:${UPSTREAM}:7000`]);
    assert.match(tcp, new RegExp(`^${FIREWALL_UPLINK.replaceAll('.', '\\.')} \\d+\\n$`));
  });

  it('forwards pings, and answers its own', () => {
    const ping = net.client.exec('ping', ['-c', '3', '-i', '0.2', '-W', '2', UPSTREAM]);
    assert.match(ping, /3 received/);
    assert.match(net.client.exec('ping', ['-c', '1', '-W', '2', FIREWALL_CLIENT]), /1 received/);
  });

  it('drops what the rules deny, and what no rule accepts', async () => {
    const denied = attempt(net.client, 'socat', [
      '-T1',
      '-',
      `TCP4:${DENIED}:7000,connect-timeout=1`,
    ]);
    assert.notEqual(denied.status, 0);
    const unmatched = attempt(net.client, 'ping', ['-c', '1', '-W', '1', NAMED]);
    assert.notEqual(unmatched.status, 0);
    const fields = await counters();
    assert.ok((fields.get('rule.9.drop') ?? 0) >= 1, 'the drop rule counted');
    assert.ok((fields.get('rule.none.drop') ?? 0) >= 1, 'the unmatched ping counted');
  });

  it('lets dstname rules follow DNS: the named address is reachable on its port only', () => {
    const tcp = net.client.exec('socat', ['-T2', '-', `TCP4:${NAMED}:7000`]);
    assert.match(tcp, new RegExp(`^${FIREWALL_UPLINK.replaceAll('.', '\\.')} `));
  });

  it('sends DNS for the firewall to the upstream resolver (specialtarget=dns)', () => {
    const answer = net.client.exec('dig', [
      '+short',
      '+time=2',
      '+tries=1',
      `@${FIREWALL_CLIENT}`,
      'named.test',
    ]);
    assert.equal(answer.trim(), NAMED);
    const tcp = net.client.exec('dig', [
      '+short',
      '+tcp',
      '+time=2',
      `@${FIREWALL_CLIENT}`,
      'other.test',
    ]);
    assert.equal(tcp.trim(), '10.88.2.99');
  });

  it('brings ICMP errors back through the NAT: traceroute and port unreachable (RFC 5508)', () => {
    const trace = net.client.exec('traceroute', ['-n', '-q', '1', '-w', '2', '-m', '4', UPSTREAM]);
    const hops = trace
      .split('\n')
      .slice(1)
      .filter((line) => line.trim() !== '')
      .map((line) => line.trim().split(/\s+/)[1]);
    assert.deepEqual(hops, [FIREWALL_CLIENT, UPSTREAM], trace);
    // Port 7001 has no listener upstream: the kernel's port unreachable comes back translated.
    const refused = attempt(net.client, 'socat', ['-T2', '-', `UDP4:${UPSTREAM}:7001`], 'hello\n');
    assert.notEqual(refused.status, 0);
    assert.match(refused.stderr, /Connection refused/);
  });

  it('forwards a port of the uplink address to a client, which sees the real source', () => {
    const inside = net.client.spawn('socat', [
      'TCP4-LISTEN:7000,reuseaddr',
      'SYSTEM:echo $SOCAT_PEERADDR',
    ]);
    services.push(inside);
    const reply = net.upstream.exec('socat', [
      '-T2',
      '-',
      `TCP4:${FIREWALL_UPLINK}:8080,retry=5,interval=0.2`,
    ]);
    assert.equal(reply.trim(), UPSTREAM);
  });

  it('reloads rules on SIGHUP without cutting tracked flows, and refuses a bad file', async () => {
    // A flow that lasts across the reload: one line before it, one after.
    const connection = openConnection(net);
    await connection.say('before');
    writeFileSync(join(dir, 'rules.txt'), '* drop\n');
    firewall.child.kill('SIGHUP');
    await firewall.waitForLog(/rules reloaded/);
    assert.equal(await connection.end('after'), 0);
    const fresh = attempt(net.client, 'socat', [
      '-T1',
      '-',
      `TCP4:${UPSTREAM}:7000,connect-timeout=1`,
    ]);
    assert.notEqual(fresh.status, 0, 'a new flow is denied by the new rules');
    writeFileSync(join(dir, 'rules.txt'), '* accept\n* sometimes\n');
    firewall.child.kill('SIGHUP');
    await firewall.waitForLog(/rules not reloaded.*rules\.txt:2/);
    writeFileSync(join(dir, 'rules.txt'), RULES);
    firewall.child.kill('SIGHUP');
    await firewall.waitForLog(/rules reloaded[\s\S]*rules reloaded/);
    assert.match(net.client.exec('socat', ['-T2', '-', `TCP4:${UPSTREAM}:7000`]), / \d+\n/);
  });

  it('drops spoofed and malformed packets from clients and counts them', async () => {
    const script = join(import.meta.dirname, 'firewall-bad-packets.py');
    const sent = net.client.exec(PYTHON, [script, net.clientLink, UPSTREAM, FIREWALL_CLIENT]);
    const expected = JSON.parse(sent) as Record<string, number>;
    const fields = await counters();
    for (const [reason, count] of Object.entries(expected)) {
      assert.ok(
        (fields.get(`drop.${reason}`) ?? 0) >= count,
        `drop.${reason}: ${fields.get(`drop.${reason}`)} of ${count}`,
      );
    }
  });

  it('survives a flood of 1,000,000 new flows in bounded memory, established flows unharmed', async () => {
    const established = openConnection(net);
    await established.say('before the flood');
    const script = join(import.meta.dirname, 'firewall-flood.py');
    const flood = (firstFlow: number) => {
      const args = [script, CLIENT, UPSTREAM, '9000', '16', String(firstFlow), '500000'];
      const { sent, refused } = JSON.parse(net.client.exec(PYTHON, args));
      assert.equal(sent + refused, 500_000);
    };
    const memory = (field: 'VmRSS' | 'VmHWM'): number => {
      const status = readFileSync(`/proc/${firewall.child.pid}/status`, 'utf8');
      return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1]) * 1024;
    };
    flood(0);
    const afterHalf = memory('VmRSS');
    const half = await counters();
    flood(500_000);
    const fields = await counters();
    // Far more new flows reached the firewall than its table holds: it made room for them, and
    // memory stopped growing with the table full (the second half added no resident memory).
    assert.ok((fields.get('evictions') ?? 0) > (half.get('evictions') ?? 0) + 100_000);
    assert.equal(fields.get('flows'), fields.get('maxFlows'));
    assert.equal(fields.get('flows.established'), 1);
    const growth = memory('VmRSS') - afterHalf;
    assert.ok(growth < 4 << 20, `resident memory grew by ${growth} bytes in the second half`);
    assert.ok(memory('VmHWM') < 96 << 20, `resident memory peaked at ${memory('VmHWM')} bytes`);
    assert.equal(await established.end('after the flood'), 0);
  });
});
