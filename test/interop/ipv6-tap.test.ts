// IPv6 on the direct stack against the Linux kernel over a TAP device (RFC 8200, RFC 4861,
// RFC 4862, RFC 4443): ping -6 to the stack's global and link-local addresses, pings that need
// fragments both ways, TCP and UDP over IPv6 with socat, SLAAC from a router advertisement
// crafted with scapy on the kernel's side, and scapy's bad extension-header chains, tiny and
// overlapping fragments, each dropped and counted. Then the services: curl -6 to static-site
// and dig AAAA over IPv6 to dns-primary, both on the tap target. Addresses are ULAs (fd00:91::/64
// and up) inside namespaces this test creates.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  eui64InterfaceIdentifier,
  formatIpv6Address,
  ipv6FromPrefixAndIdentifier,
  parseIpv6Address,
  parseMac,
} from '@oasis/wire';
import { type DirectStackFixture, openDirectStack } from './direct-stack.ts';
import { NetNamespace, skipUnlessTapAllowed } from './netns.ts';
import { type BuiltService, buildService, ServiceProcess } from './service-process.ts';
import { PYTHON, skipUnless, skipUnlessScapy } from './tools.ts';

const PACKETS = fileURLToPath(new URL('./ipv6-packets.py', import.meta.url));
const KERNEL6 = 'fd00:91::1';
const STACK6 = 'fd00:91::2';

const skip =
  skipUnlessTapAllowed() ||
  skipUnless('ping', 'apt-get install iputils-ping') ||
  skipUnless('socat', 'apt-get install socat') ||
  skipUnless('curl', 'apt-get install curl') ||
  skipUnless('dig', 'apt-get install bind9-dnsutils') ||
  skipUnlessScapy();

/** The stack's SLAAC address in `prefix` (a /64): the prefix and the MAC's modified EUI-64. */
function slaacAddress(prefix: string, mac: string): string {
  const identifier = eui64InterfaceIdentifier(unwrapped(parseMac(mac)));
  return formatIpv6Address(
    ipv6FromPrefixAndIdentifier(unwrapped(parseIpv6Address(prefix)), 64, identifier),
  );
}

function unwrapped<T>(result: { ok: true; value: T } | { ok: false; error: string }): T {
  if (!result.ok) throw new Error(result.error);
  return result.value;
}

describe('IPv6 on the direct stack over TAP, against Linux', { skip }, () => {
  let fixture: DirectStackFixture | undefined;
  const ns = () => fixture!.namespace;

  before(async () => {
    fixture = await openDirectStack(
      'v6',
      {},
      { ipv6: { stack: { addresses: [`${STACK6}/64`] }, kernel: [`${KERNEL6}/64`] } },
    );
  });

  after(async () => {
    await fixture?.close();
  });

  it('answers ping -6 to its global and its link-local address', async () => {
    const global = await ns().spawn('ping', ['-6', '-c', '3', '-i', '0.2', '-W', '3', STACK6]).done;
    assert.match(global, /3 packets transmitted, 3 received/);
    const linkLocal = fixture!.stack.addresses().find((address) => address.startsWith('fe80:'));
    assert.ok(linkLocal !== undefined, 'the stack has a link-local address');
    const local = await ns().spawn('ping', [
      '-6',
      '-c',
      '2',
      '-i',
      '0.2',
      '-W',
      '3',
      `${linkLocal}%${fixture!.tapName}`,
    ]).done;
    assert.match(local, /2 packets transmitted, 2 received/);
  });

  it('answers 4000-byte pings that arrive in fragments, fragmenting its replies', async () => {
    const before = fixture!.stack.counters();
    const out = await ns().spawn('ping', ['-6', '-c', '2', '-s', '4000', '-W', '3', STACK6]).done;
    assert.match(out, /2 packets transmitted, 2 received/);
    const after = fixture!.stack.counters();
    assert.equal((after['ipv6.reassembled'] ?? 0) - (before['ipv6.reassembled'] ?? 0), 2);
    assert.ok((after['ipv6.fragments-sent'] ?? 0) - (before['ipv6.fragments-sent'] ?? 0) >= 6);
  });

  it('pings Linux over IPv6, small and 4000 bytes', async () => {
    const small = await fixture!.stack.ping(KERNEL6, { timeoutMs: 3000 });
    assert.equal(small.from, KERNEL6);
    const large = await fixture!.stack.ping(KERNEL6, { dataLength: 4000, timeoutMs: 3000 });
    assert.equal(large.bytes, 4008);
  });

  it('carries TCP and UDP over IPv6 to and from socat', async () => {
    const listener = await fixture!.stack.tcp.listen({ port: 7007 });
    listener.onConnection(async (flow) => {
      for (let data = await flow.read(); data !== undefined; data = await flow.read()) {
        await flow.write(data);
      }
      await flow.close();
    });
    const udp = await fixture!.stack.udp.bind({ port: 7008 });
    udp.onMessage((data, from) => udp.send(data, from));
    try {
      const tcp = await ns().spawn('sh', [
        '-c',
        `head -c 300000 /dev/urandom > /tmp/v6-$$ && socat -t 5 - TCP6:[${STACK6}]:7007 < /tmp/v6-$$ | cmp - /tmp/v6-$$ && echo same; rm -f /tmp/v6-$$`,
      ]).done;
      assert.match(tcp, /same/);
      const datagram = await ns().spawn('sh', [
        '-c',
        `echo hello-six | socat -t 3 - UDP6:[${STACK6}]:7008`,
      ]).done;
      assert.equal(datagram.trim(), 'hello-six');
    } finally {
      await listener.close();
      await udp.close();
    }
  });

  it('drops bad extension-header chains, tiny and overlapping fragments, and counts them', async () => {
    const mac = fixture!.stack.interfaces()[0]!.mac;
    await ns().spawn(PYTHON, [PACKETS, 'bad', fixture!.tapName, mac, KERNEL6, STACK6]).done;
    // The stack is still there and answers.
    const out = await ns().spawn('ping', ['-6', '-c', '1', '-W', '3', STACK6]).done;
    assert.match(out, /1 received/);
    const drops = fixture!.stack.drops();
    for (const reason of [
      'ipv6.hop-by-hop-not-first',
      'ipv6.unknown-option',
      'ipv6.routing-header',
      'ipv6.truncated-extension',
      'ipv6.incomplete-chain',
      'ipv6.fragment-overlap',
    ]) {
      assert.ok((drops[reason] ?? 0) >= 1, `${reason} counted: ${JSON.stringify(drops)}`);
    }
  });
});

describe('SLAAC and RDNSS from a router advertisement sent on the Linux side', { skip }, () => {
  let fixture: DirectStackFixture | undefined;

  before(async () => {
    fixture = await openDirectStack(
      'v6a',
      {},
      { ipv6: { stack: 'auto', kernel: ['fd00:92::1/64'] } },
    );
  });

  after(async () => {
    await fixture?.close();
  });

  it('forms an address from the advertised prefix and answers on it', async () => {
    const { namespace, tapName, stack } = fixture!;
    const kernelLinkLocal = namespace
      .ip(['-6', 'addr', 'show', 'dev', tapName, 'scope', 'link'])
      .match(/inet6 (fe80::[0-9a-f:]+)\//)?.[1];
    assert.ok(kernelLinkLocal !== undefined, 'the kernel has a link-local address');
    await namespace.spawn(PYTHON, [PACKETS, 'ra', tapName, kernelLinkLocal, 'fd00:92::']).done;
    const expected = slaacAddress('fd00:92::', stack.interfaces()[0]!.mac);
    // Duplicate address detection takes about a second: ping until the address answers.
    const out = await namespace.spawn('ping', ['-6', '-c', '1', '-w', '10', expected]).done;
    // A probe sent during DAD waits in the kernel for neighbour discovery: its reply may come
    // with the next probe's, so 1 or 2 replies.
    assert.match(out, / [12] received/);
    assert.ok(stack.addresses().includes(expected), `${expected} in ${stack.addresses()}`);
    assert.ok((stack.counters()['ndp.router-advertisements'] ?? 0) >= 1);
    // The advertisement's RDNSS option: the server `connect` asks for names without --dns.
    assert.deepEqual(stack.dnsServers(), ['fd00:92::53']);
  });
});

describe('services over IPv6 on the tap target', { skip }, () => {
  const suffix = String(process.pid).slice(-6);
  const siteTap = `o6s${suffix}`;
  const dnsTap = `o6d${suffix}`;
  let namespace: NetNamespace;
  let site: BuiltService;
  let primary: BuiltService;
  const services: ServiceProcess[] = [];
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'oasis-v6-'));
    writeFileSync(join(dir, 'index.html'), '<h1>home over IPv6</h1>\n');
    writeFileSync(
      join(dir, 'example.com.zone'),
      [
        '$ORIGIN example.com.',
        '$TTL 300',
        '@ IN SOA ns1 hostmaster 1 7200 3600 1209600 300',
        '@ IN NS ns1',
        'ns1 IN AAAA fd00:94::2',
        'www IN AAAA 2001:db8::80',
        '',
      ].join('\n'),
    );
    [site, primary] = await Promise.all([
      buildService('unikernels/static-site', 'tap', { root: dir }),
      buildService('unikernels/dns-primary', 'tap'),
    ]);
    namespace = new NetNamespace(`oasis-v6s-${process.pid}`);
    for (const [tap, ipv4, ipv6] of [
      [siteTap, '10.91.3.1/24', 'fd00:93::1/64'],
      [dnsTap, '10.91.4.1/24', 'fd00:94::1/64'],
    ] as const) {
      namespace.ip(['tuntap', 'add', 'dev', tap, 'mode', 'tap']);
      namespace.ip(['addr', 'add', ipv4, 'dev', tap]);
      namespace.ip(['addr', 'add', ipv6, 'dev', tap, 'nodad']);
      namespace.ip(['link', 'set', tap, 'up']);
    }
    services.push(
      new ServiceProcess(
        site.bundle,
        ['--tap', siteTap, '--ipv4', '10.91.3.2/24', '--ipv6', 'fd00:93::2/64'],
        namespace.name,
      ),
      new ServiceProcess(
        primary.bundle,
        ['--tap', dnsTap, '--ipv4', '10.91.4.2/24', '--ipv6', 'fd00:94::2/64', '--zones', dir],
        namespace.name,
      ),
    );
    await services[0]!.waitForLog(/serving port=80/);
    await services[1]!.waitForLog(/INFO dns-primary: serving/);
  });

  after(async () => {
    try {
      for (const service of services) await service.stop();
    } finally {
      namespace?.delete();
      site?.remove();
      primary?.remove();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('serves static-site to curl -6', () => {
    assert.equal(
      namespace.exec('curl', [
        '-6',
        '--silent',
        '--show-error',
        '--max-time',
        '10',
        'http://[fd00:93::2]/',
      ]),
      '<h1>home over IPv6</h1>\n',
    );
  });

  it('answers dig AAAA over IPv6, UDP and TCP', () => {
    for (const transport of ['+notcp', '+tcp']) {
      const answer = namespace.exec('dig', [
        '-6',
        '@fd00:94::2',
        '+tries=2',
        '+time=3',
        '+short',
        transport,
        'www.example.com',
        'AAAA',
      ]);
      assert.equal(answer.trim(), '2001:db8::80', transport);
    }
  });
});
