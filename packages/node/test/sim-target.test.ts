import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { arg, DeviceArgumentError, defineUnikernel, device } from '@oasis/runtime';
import { readPcap } from '@oasis/sim';
import { type SimulationReport, simLauncher, simulate, summaryLine } from '../src/sim-main.ts';
import { simStackProvider } from '../src/sim-stack-provider.ts';
import { parseTopology } from '../src/sim-topology.ts';

// How often the service's heartbeat ran in the last simulation: proof that its timers ran on
// virtual time.
let heartbeats = 0;

// UDP echo on port 7, after an optional delay in `start`, with
// a heartbeat every virtual second.
const service = defineUnikernel({
  name: 'udp-echo',
  doc: 'UDP echo for the sim target tests',
  devices: { net: device.stack(), sleep: device.sleep() },
  args: { startDelayMs: arg.integer({ doc: 'wait this long before serving', default: 0 }) },
  async start({ net, sleep }, { startDelayMs }, { signal }) {
    heartbeats = 0;
    if (startDelayMs > 0) await sleep.sleep(startDelayMs);
    const socket = await net.udp.bind({ port: 7 });
    socket.onMessage((data, from) => socket.send(data, from));
    void (async () => {
      try {
        for (;;) {
          await sleep.sleep(1000, signal);
          heartbeats++;
        }
      } catch {
        // Aborted: the service is stopping.
      }
    })();
    signal.addEventListener('abort', () => void socket.close());
  },
});

const dir = mkdtempSync(join(tmpdir(), 'oasis-sim-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

function writeTopology(topology: unknown): string {
  const file = join(dir, `topology-${files++}.json`);
  writeFileSync(file, JSON.stringify(topology));
  return file;
}

async function run(argv: readonly string[]): Promise<SimulationReport> {
  const { launcher, world } = simLauncher(service, (w) => ({ stack: simStackProvider(w) }));
  const parsed = launcher.parse(['--log-level', 'error', ...argv]);
  if (!parsed.ok) assert.fail(parsed.error);
  if (parsed.value.kind !== 'values') assert.fail('--help');
  return simulate(launcher, world, parsed.value.values);
}

const hello = { to: '10.0.0.2:7', send: 'hello', expect: 'hello', timeoutMs: 1000 };

// Bob sits behind a lossy link: each of his probes is a coin toss drawn from the seed.
const bobActions = Array.from({ length: 10 }, (_, i) =>
  i % 2 === 0 ? { atMs: 1000 + i * 300, ping: '10.0.0.2' } : { atMs: 1000 + i * 300, udp: hello },
);

const topology = {
  durationMs: 5000,
  networks: { net: { ipv4: '10.0.0.2/24', link: { latencyMs: 1 } } },
  clients: [
    {
      name: 'alice',
      network: 'net',
      ipv4: '10.0.0.10/24',
      link: { latencyMs: 1 },
      actions: [
        { atMs: 100, ping: '10.0.0.2' },
        { atMs: 200, udp: hello },
        // Nothing listens on port 9, and no reply is expected: reported, not judged.
        { atMs: 300, udp: { to: '10.0.0.2:9', send: 'anyone?', timeoutMs: 500 } },
      ],
    },
    {
      name: 'bob',
      network: 'net',
      ipv4: '10.0.0.11/24',
      link: { latencyMs: 5, loss: 0.3 },
      actions: bobActions,
    },
  ],
};

describe('the sim target', () => {
  it('runs the clients against the service and reports each outcome', async () => {
    const report = await run(['--topology', writeTopology(topology), '--seed', '7']);
    const alice = report.lines.filter((line) => line.includes(' alice '));
    assert.deepEqual(alice, [
      '   100.0 ms  alice  ping 10.0.0.2 → reply in 8.0 ms  ok',
      '   200.0 ms  alice  udp 10.0.0.2:7 "hello" → "hello" in 4.0 ms  ok',
      '   300.0 ms  alice  udp 10.0.0.2:9 "anyone?" no reply within 500 ms  unchecked',
    ]);
    // Bob's link loses 30% of the frames each way: with seed 7, 5 of his 10 exchanges fail.
    const bob = report.lines.filter((line) => line.includes(' bob '));
    assert.equal(bob.length, 10);
    assert.equal(bob.filter((line) => line.endsWith('  FAILED')).length, 5);
    assert.deepEqual(
      {
        actions: report.actions,
        ok: report.ok,
        failed: report.failed,
        unchecked: report.unchecked,
      },
      { actions: 13, ok: 7, failed: 5, unchecked: 1 },
    );
    assert.equal(report.virtualMs, 5000);
    assert.match(
      summaryLine(report),
      /^sim: 13 actions, 7 ok, 5 failed, 1 unchecked; 5000 ms of virtual time in \d+ ms$/,
    );
  });

  it('gives the same outcomes for the same seed, and others for another', async () => {
    const file = writeTopology(topology);
    const first = await run(['--topology', file, '--seed', '7']);
    const second = await run(['--topology', file, '--seed', '7']);
    const other = await run(['--topology', file, '--seed', '8']);
    assert.deepEqual(first.lines, second.lines);
    assert.notDeepEqual(first.lines, other.lines);
  });

  it('fails an exchange whose reply is not the expected text', async () => {
    const report = await run([
      '--topology',
      writeTopology({
        durationMs: 1000,
        clients: [
          {
            name: 'carol',
            network: 'net',
            ipv4: '10.0.0.12/24',
            actions: [{ atMs: 10, udp: { ...hello, expect: 'HELLO' } }],
          },
        ],
      }),
    ]);
    assert.equal(report.failed, 1);
    assert.equal(report.ok, 0);
    assert.match(
      report.lines[0] ?? '',
      /carol {2}udp 10\.0\.0\.2:7 "hello" → "hello" in [\d.]+ ms, expected "HELLO" {2}FAILED$/,
    );
  });

  it('fails an action still waiting when the run ends', async () => {
    const report = await run([
      '--topology',
      writeTopology({
        clients: [
          {
            name: 'dave',
            network: 'net',
            ipv4: '10.0.0.13/24',
            actions: [{ atMs: 900, ping: '10.0.0.99' }],
          },
        ],
      }),
      '--duration-ms',
      '1000',
    ]);
    assert.deepEqual(report.lines, [
      '   900.0 ms  dave  ping 10.0.0.99 still waiting at the end of the run  FAILED',
    ]);
    assert.equal(report.failed, 1);
  });

  it('rejects a malformed topology with one line naming the field', async () => {
    const bob = {
      ...topology.clients[1],
      actions: [{ atMs: 1, udp: { ...hello, to: '10.0.0.2' } }],
    };
    const bad = { ...topology, clients: [topology.clients[0], bob] };
    await assert.rejects(run(['--topology', writeTopology(bad)]), (error: unknown) => {
      assert.ok(error instanceof DeviceArgumentError);
      assert.doesNotMatch(error.message, /\n/);
      assert.match(
        error.message,
        /^--topology .*: clients\[1\]\.actions\[0\]\.udp\.to: expected ADDRESS:PORT or \[IPV6-ADDRESS\]:PORT such as 10\.0\.0\.2:7 or \[fd00::2\]:7, got "10\.0\.0\.2"$/,
      );
      return true;
    });
  });

  it('names the field of every kind of mistake', () => {
    const context = { stackDevices: ['net'] };
    const client = { name: 'erin', network: 'net', ipv4: '10.0.0.14/24' };
    const cases: [unknown, RegExp][] = [
      [[], /^the topology: expected an object, got a list$/],
      [{ duration: 5 }, /^duration: unknown field \(expected durationMs, networks, clients\)$/],
      [{ durationMs: 0 }, /^durationMs: expected an integer >= 1, got 0$/],
      [{ networks: { lan: {} } }, /^networks\.lan: unknown network \(expected net\)$/],
      [
        { networks: { net: { ipv4: '10.0.0.2' } } },
        /^networks\.net\.ipv4: expected an address and prefix/,
      ],
      [
        { networks: { net: { link: { latency: 5 } } } },
        /^networks\.net\.link\.latency: unknown field \(expected latencyMs, /,
      ],
      [
        { networks: { net: { link: { loss: 2 } } } },
        /^networks\.net\.link\.loss: link loss must be a probability in \[0, 1\], got 2$/,
      ],
      [
        { networks: { net: { link: { jitterMs: '3' } } } },
        /^networks\.net\.link\.jitterMs: expected a number, got "3"$/,
      ],
      [
        { clients: [{ ...client, network: 'lan' }] },
        /^clients\[0\]\.network: expected a stack device of the service \(net\), got "lan"$/,
      ],
      [{ clients: [{ ...client, name: 'Erin' }] }, /^clients\[0\]\.name: use lower-case letters/],
      [
        { clients: [client, client] },
        /^clients\[1\]\.name: 'erin' is already the name of clients\[0\]$/,
      ],
      [
        { clients: [{ ...client, ipv4: undefined }] },
        /^clients\[0\]\.ipv4: expected an address .*, got nothing$/,
      ],
      [
        { clients: [{ ...client, actions: [{ atMs: 5 }] }] },
        /^clients\[0\]\.actions\[0\]: expected one of "ping" or "udp"$/,
      ],
      [
        { clients: [{ ...client, actions: [{ atMs: 5, ping: 'x' }] }] },
        /^clients\[0\]\.actions\[0\]\.ping: expected an IPv4 or IPv6 address such as 10\.0\.0\.2 or fd00::2, got "x"$/,
      ],
      [
        { durationMs: 100, clients: [{ ...client, actions: [{ atMs: 100, ping: '10.0.0.2' }] }] },
        /^clients\[0\]\.actions\[0\]\.atMs: 100 is not before the end of the run \(durationMs 100\)$/,
      ],
      [
        {
          clients: [
            { ...client, actions: [{ atMs: 1, udp: { to: '10.0.0.2:7', send: 'x', tcp: true } }] },
          ],
        },
        /^clients\[0\]\.actions\[0\]\.udp\.tcp: unknown field \(expected to, send, expect, timeoutMs\)$/,
      ],
    ];
    for (const [json, expected] of cases) {
      assert.throws(
        () => parseTopology(json, context),
        (error: Error) => {
          assert.match(error.message, expected);
          return true;
        },
      );
    }
  });

  it('gives every stack device a network of its own by default', () => {
    const topology = parseTopology({}, { stackDevices: ['uplink', 'lan'] });
    assert.deepEqual(topology, {
      durationMs: 10_000,
      networks: {
        uplink: { ipv4: '10.0.0.2/24', link: {} },
        lan: { ipv4: '10.1.0.2/24', link: {} },
      },
      clients: [],
    });
  });

  it('lets start wait on virtual timers, and runs late actions once it is up', async () => {
    const report = await run(['--topology', writeTopology(topology), '--start-delay-ms', '400']);
    assert.match(report.lines[0] ?? '', /^ {3}400\.0 ms {2}alice {2}ping 10\.0\.0\.2 → reply/);
  });

  it('runs 10 s of virtual time without waiting for them', { timeout: 5000 }, async () => {
    // No topology: the default network, no clients, 10 s. The runner's timeout would catch a
    // simulation that slept in real time; only virtual time is asserted on.
    const report = await run([]);
    assert.equal(report.virtualMs, 10_000);
    assert.equal(report.actions, 0);
    assert.equal(heartbeats, 10);
  });

  it('records the service network to a pcap file stamped with virtual time', async () => {
    const pcap = join(dir, 'net.pcap');
    await run(['--topology', writeTopology(topology), '--pcap', pcap]);
    const file = readPcap(readFileSync(pcap));
    assert.ok(file.ok);
    assert.ok(file.value.records.length > 10);
    // The simulated clock's wall time starts on 2026-01-01.
    assert.ok((file.value.records[0]?.wallMs ?? 0) >= Date.UTC(2026, 0, 1));
  });

  it('puts each stack device on a network of its own, with its own options', async () => {
    const twoNetworks = defineUnikernel({
      name: 'two-networks',
      doc: 'a host on two networks, answering pings on both',
      devices: { uplink: device.stack(), lan: device.stack() },
      args: {},
      async start() {},
    });
    const { launcher, world } = simLauncher(twoNetworks, (w) => ({ stack: simStackProvider(w) }));
    assert.match(launcher.help(), /--uplink-pcap FILE[\s\S]*--lan-pcap FILE/);
    const file = writeTopology({
      durationMs: 1000,
      clients: [
        {
          name: 'up',
          network: 'uplink',
          ipv4: '10.0.0.10/24',
          actions: [{ atMs: 1, ping: '10.0.0.2' }],
        },
        {
          name: 'down',
          network: 'lan',
          ipv4: '10.1.0.10/24',
          actions: [
            { atMs: 2, ping: '10.1.0.2' },
            // The service's uplink address is on another network, and nothing routes there.
            { atMs: 3, ping: '10.0.0.2' },
          ],
        },
      ],
    });
    const parsed = launcher.parse(['--topology', file, '--log-level', 'error']);
    assert.ok(parsed.ok && parsed.value.kind === 'values');
    const report = await simulate(launcher, world, parsed.value.values);
    assert.deepEqual(
      report.lines.map((line) => line.replace(/ in [\d.]+ ms/, '')),
      [
        '     1.0 ms  up    ping 10.0.0.2 → reply  ok',
        '     2.0 ms  down  ping 10.1.0.2 → reply  ok',
        '     3.0 ms  down  ping 10.0.0.2 failed: no route to 10.0.0.2  FAILED',
      ],
    );
  });

  it('lists its options in --help', () => {
    const { launcher } = simLauncher(service, (w) => ({ stack: simStackProvider(w) }));
    const help = launcher.help();
    for (const option of [
      '--topology FILE',
      '--seed N',
      '--duration-ms N',
      '--pcap FILE',
      '--log-level',
    ]) {
      assert.ok(help.includes(option), `${option} in\n${help}`);
    }
  });
});

describe('the sim target over IPv6', () => {
  const dualStack = { ipv4: '10.0.0.2/24', ipv6: 'fd00:1::2/64', link: { latencyMs: 1 } };

  it('runs IPv6-only and dual-stack clients against the service', async () => {
    const report = await run([
      '--topology',
      writeTopology({
        durationMs: 2000,
        networks: { net: dualStack },
        clients: [
          {
            name: 'six',
            network: 'net',
            ipv6: 'fd00:1::10/64',
            link: { latencyMs: 1 },
            actions: [
              { atMs: 100, ping: 'fd00:1::2' },
              { atMs: 200, udp: { to: '[fd00:1::2]:7', send: 'hello', expect: 'hello' } },
            ],
          },
          {
            name: 'dual',
            network: 'net',
            ipv4: '10.0.0.11/24',
            ipv6: 'fd00:1::11/64',
            link: { latencyMs: 1 },
            actions: [
              { atMs: 300, ping: '10.0.0.2' },
              { atMs: 301, ping: 'fd00:1::2' },
              { atMs: 400, udp: { to: '10.0.0.2:7', send: 'four', expect: 'four' } },
              { atMs: 401, udp: { to: '[fd00:1::2]:7', send: 'six', expect: 'six' } },
            ],
          },
          // Prefixes are the user's to choose, as for IPv4: off the service's prefix, and with
          // no router, the client has no route to it.
          {
            name: 'off',
            network: 'net',
            ipv6: 'fd00:2::10/64',
            actions: [{ atMs: 500, ping: 'fd00:1::2' }],
          },
        ],
      }),
    ]);
    // Each way a frame crosses two links of 1 ms; the first exchange with a host also waits for
    // neighbour discovery (RFC 4861 §7.2), as the first IPv4 one waits for ARP. The addresses are
    // usable from the first instant: no 1 s of duplicate address detection delays anything.
    assert.deepEqual(report.lines, [
      '   100.0 ms  six   ping fd00:1::2 → reply in 8.0 ms  ok',
      '   200.0 ms  six   udp [fd00:1::2]:7 "hello" → "hello" in 4.0 ms  ok',
      '   300.0 ms  dual  ping 10.0.0.2 → reply in 8.0 ms  ok',
      '   301.0 ms  dual  ping fd00:1::2 → reply in 8.0 ms  ok',
      '   400.0 ms  dual  udp 10.0.0.2:7 "four" → "four" in 4.0 ms  ok',
      '   401.0 ms  dual  udp [fd00:1::2]:7 "six" → "six" in 4.0 ms  ok',
      '   500.0 ms  off   ping fd00:1::2 failed: no route to fd00:1::2  FAILED',
    ]);
    assert.deepEqual([report.ok, report.failed], [6, 1]);
  });

  it("meets every expectation of the echo service's IPv6 example", async () => {
    const example = fileURLToPath(
      new URL('../../../unikernels/echo/topology-ipv6.json', import.meta.url),
    );
    const report = await run(['--topology', example]);
    assert.deepEqual([report.actions, report.ok], [4, 4], report.lines.join('\n'));
    assert.match(report.lines[1] ?? '', /alice {2}udp \[fd00::2\]:7 "hello" → "hello" in /);
  });

  it('records IPv6 frames in the capture of the service network', async () => {
    const pcap = join(dir, 'net-ipv6.pcap');
    await run([
      '--topology',
      writeTopology({
        durationMs: 500,
        networks: { net: dualStack },
        clients: [
          {
            name: 'six',
            network: 'net',
            ipv6: 'fd00:1::10/64',
            actions: [{ atMs: 1, ping: 'fd00:1::2' }],
          },
        ],
      }),
      '--pcap',
      pcap,
    ]);
    const file = readPcap(readFileSync(pcap));
    assert.ok(file.ok);
    // The EtherType at bytes 12-13 of each frame: 0x86dd is IPv6 (RFC 2464 §3).
    const ipv6Frames = file.value.records.filter(
      ({ data }) => data[12] === 0x86 && data[13] === 0xdd,
    );
    assert.ok(ipv6Frames.length >= 4, `${ipv6Frames.length} IPv6 frames`);
  });

  it('writes IPv6 addresses in RFC 5952 form and keeps IPv6 out of topologies without it', () => {
    const topology = parseTopology(
      {
        networks: { net: { ipv6: 'FD00:1:0::2/64' } },
        clients: [
          {
            name: 'six',
            network: 'net',
            ipv6: 'fd00:1::10/64',
            actions: [
              { atMs: 1, ping: 'FD00:1:0:0:0:0:0:2' },
              { atMs: 2, udp: { to: '[fd00:1:0::2]:7', send: 'x' } },
            ],
          },
          { name: 'four', network: 'net', ipv4: '10.0.0.10/24' },
        ],
      },
      { stackDevices: ['net', 'lan'] },
    );
    assert.deepEqual(topology.networks, {
      net: { ipv4: '10.0.0.2/24', ipv6: 'FD00:1:0::2/64', link: {} },
      lan: { ipv4: '10.1.0.2/24', link: {} },
    });
    assert.deepEqual(topology.clients, [
      {
        name: 'six',
        network: 'net',
        ipv6: 'fd00:1::10/64',
        link: {},
        actions: [
          { kind: 'ping', atMs: 1, to: 'fd00:1::2' },
          {
            kind: 'udp',
            atMs: 2,
            to: { address: 'fd00:1::2', port: 7 },
            send: 'x',
            timeoutMs: 1000,
          },
        ],
      },
      { name: 'four', network: 'net', ipv4: '10.0.0.10/24', link: {}, actions: [] },
    ]);
  });

  it('names the field of every IPv6 mistake', () => {
    const four = { name: 'erin', network: 'net', ipv4: '10.0.0.14/24' };
    const six = { name: 'erin', network: 'net', ipv6: 'fd00::14/64' };
    const to = (target: string, client: object = six) => ({
      clients: [{ ...client, actions: [{ atMs: 1, udp: { to: target, send: 'x' } }] }],
    });
    const endpointError = (got: string) =>
      `clients[0].actions[0].udp.to: expected ADDRESS:PORT or [IPV6-ADDRESS]:PORT such as ` +
      `10.0.0.2:7 or [fd00::2]:7, got ${got}`;
    const cases: [unknown, string][] = [
      [
        { networks: { net: { ipv6: 'x' } } },
        'networks.net.ipv6: expected an address and prefix length such as fd00::2/64, got "x"',
      ],
      [
        { clients: [{ ...six, ipv6: 'x' }] },
        'clients[0].ipv6: expected an address and prefix length such as fd00::2/64, got "x"',
      ],
      [
        { clients: [{ ...six, ipv6: 'fd00::14' }] },
        'clients[0].ipv6: expected an address and prefix length such as fd00::2/64, got "fd00::14"',
      ],
      [
        { clients: [{ ...six, ipv6: '10.0.0.14/24' }] },
        'clients[0].ipv6: expected an address and prefix length such as fd00::2/64, got "10.0.0.14/24"',
      ],
      [
        { clients: [{ ...six, ipv6: 64 }] },
        'clients[0].ipv6: expected an address and prefix length such as fd00::2/64, got 64',
      ],
      [
        { clients: [{ ...four, ipv4: 'fd00::14/64' }] },
        'clients[0].ipv4: expected an address and prefix length such as 10.0.0.2/24, got "fd00::14/64"',
      ],
      [
        { networks: { net: { ipv6: 'ff02::1/64' } } },
        'networks.net.ipv6: "ff02::1/64" is a multicast address (RFC 4291 §2.7), which no interface may have',
      ],
      [
        { clients: [{ ...six, ipv6: '::/64' }] },
        'clients[0].ipv6: "::/64" is the unspecified address (RFC 4291 §2.5.2), which no interface may have',
      ],
      [
        { clients: [{ ...six, ipv6: '::1/128' }] },
        'clients[0].ipv6: "::1/128" is the loopback address (RFC 4291 §2.5.3), which no interface may have',
      ],
      [
        { clients: [{ ...six, ipv6: 'fd00::14/0' }] },
        'clients[0].ipv6: expected a prefix length of 1-128, got "fd00::14/0"',
      ],
      [
        { clients: [{ name: 'erin', network: 'net' }] },
        'clients[0].ipv4: expected an address and prefix length such as 10.0.0.2/24, got nothing',
      ],
      [
        { clients: [{ ...four, actions: [{ atMs: 1, ping: 'fd00::2' }] }] },
        'clients[0].actions[0].ping: fd00::2 is IPv6, and the client has no ipv6 address',
      ],
      [
        { clients: [{ ...six, actions: [{ atMs: 1, ping: '10.0.0.2' }] }] },
        'clients[0].actions[0].ping: 10.0.0.2 is IPv4, and the client has no ipv4 address',
      ],
      [
        { clients: [{ ...six, actions: [{ atMs: 1, ping: 'fd00::2%eth0' }] }] },
        'clients[0].actions[0].ping: expected an IPv4 or IPv6 address such as 10.0.0.2 or ' +
          'fd00::2, got "fd00::2%eth0"',
      ],
      [
        to('[fd00::2]:7', four),
        'clients[0].actions[0].udp.to: [fd00::2]:7 is IPv6, and the client has no ipv6 address',
      ],
      [
        to('10.0.0.2:7'),
        'clients[0].actions[0].udp.to: 10.0.0.2:7 is IPv4, and the client has no ipv4 address',
      ],
      // Without brackets, the last group of an IPv6 address cannot be told from a port.
      [to('fd00::2:7'), endpointError('"fd00::2:7"')],
      [to('[10.0.0.2]:7'), endpointError('"[10.0.0.2]:7"')],
      [to('[fd00::2]'), endpointError('"[fd00::2]"')],
      [to('[fd00::2]:0'), endpointError('"[fd00::2]:0"')],
      [to('[fd00::2]:65536'), endpointError('"[fd00::2]:65536"')],
      [to('[fd00::x]:7'), endpointError('"[fd00::x]:7"')],
      [to('[[fd00::2]]:7'), endpointError('"[[fd00::2]]:7"')],
    ];
    for (const [json, expected] of cases) {
      assert.throws(
        () => parseTopology(json, { stackDevices: ['net'] }),
        (error: Error) => {
          assert.equal(error.message, expected);
          return true;
        },
      );
    }
  });
});
