// The direct stack's `connect` by name over TAP (RFC 8305): its own DNS client asks dnsmasq in
// the test's namespace, and the Linux kernel there listens on both families. A name whose IPv6
// address works is reached over IPv6; one whose IPv6 address nobody holds (neighbour discovery
// never completes) over IPv4, a Connection Attempt Delay later rather than after the 3 s in which
// neighbour discovery gives up; an IPv4-only name over IPv4 at once. Addresses: 10.78.0.0/24 and
// fd00:96::/64, inside a namespace this test creates.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLogger, lineSink, SystemClock, SystemRandom, SystemSleep } from '@oasis/core';
import { type DirectNameLookup, directNameLookup } from '@oasis/node';
import { type DirectStackFixture, KERNEL_ADDRESS, openDirectStack } from './direct-stack.ts';
import { Dnsmasq } from './dnsmasq.ts';
import { skipUnlessTapAllowed } from './netns.ts';
import { skipUnless } from './tools.ts';

const KERNEL6 = 'fd00:96::1';
const STACK6 = 'fd00:96::2';
/** On the link, and held by nobody. */
const DARK6 = 'fd00:96::99';
const PORT = 8096;

const skip =
  skipUnlessTapAllowed() ||
  skipUnless('dnsmasq', 'apt-get install dnsmasq-base') ||
  skipUnless('socat', 'apt-get install socat');

describe('connect by name on the direct stack over TAP (Happy Eyeballs)', { skip }, () => {
  let fixture: DirectStackFixture | undefined;
  let names: DirectNameLookup | undefined;
  let dnsmasq: Dnsmasq | undefined;
  let server: { kill(): void } | undefined;

  before(async () => {
    const clock = new SystemClock();
    names = directNameLookup([KERNEL_ADDRESS], {
      clock,
      sleep: new SystemSleep(clock),
      random: new SystemRandom(),
      logger: createLogger({ source: 'dns', sink: lineSink(console.error), clock, level: 'warn' }),
    });
    fixture = await openDirectStack(
      'he',
      { nameLookup: names.nameLookup },
      { ipv6: { stack: { addresses: [`${STACK6}/64`] }, kernel: [`${KERNEL6}/64`] } },
    );
    const namespace = fixture.namespace;
    dnsmasq = await Dnsmasq.start(
      KERNEL_ADDRESS,
      53,
      [
        '--log-queries',
        // NXDOMAIN for this one name (dnsmasq has no upstream to ask for others).
        '--address=/nowhere.example.test/',
        `--host-record=both.example.test,${KERNEL_ADDRESS},${KERNEL6}`,
        `--host-record=dark.example.test,${KERNEL_ADDRESS},${DARK6}`,
        `--host-record=v4.example.test,${KERNEL_ADDRESS}`,
      ],
      namespace.name,
    );
    // One listener for both families (IPV6_V6ONLY off); each connection is told its peer.
    const socat = namespace.spawn('socat', [
      `TCP6-LISTEN:${PORT},ipv6only=0,reuseaddr,fork`,
      'SYSTEM:echo $SOCAT_PEERADDR',
    ]);
    // It ends when `after` kills it.
    socat.done.catch(() => {});
    server = socat;
    // socat is ready once the namespace lists its listening socket.
    for (
      let tries = 0;
      namespace.exec('ss', ['-Hltn', `sport = :${PORT}`]).trim() === '';
      tries++
    ) {
      if (tries === 50) throw new Error(`socat does not listen on ${PORT}`);
      namespace.exec('sleep', ['0.1']);
    }
  });

  after(async () => {
    server?.kill();
    await dnsmasq?.stop();
    await names?.close();
    await fixture?.close();
  });

  /** Connects to `host`, reads what the server says, and how long the connect took. */
  async function fetch(host: string): Promise<{ remote: string; said: string; tookMs: number }> {
    const startMs = performance.now();
    const flow = await fixture!.stack.connect({ host, port: PORT });
    const tookMs = performance.now() - startMs;
    let said = '';
    for (let data = await flow.read(); data !== undefined; data = await flow.read()) {
      said += new TextDecoder().decode(data);
    }
    await flow.close();
    return { remote: flow.remote.address, said: said.trim(), tookMs };
  }

  it('reaches a dual-stack name over IPv6, asking dnsmasq for AAAA before A', async () => {
    const { remote, said } = await fetch('both.example.test');
    assert.equal(remote, KERNEL6);
    assert.equal(said, '[fd00:0096:0000:0000:0000:0000:0000:0002]', 'socat saw the IPv6 address');
    const asked = [...dnsmasq!.log.matchAll(/query\[(A|AAAA)\] both\.example\.test/g)].map(
      (match) => match[1],
    );
    assert.deepEqual(asked.slice(0, 2), ['AAAA', 'A']);
  });

  it('falls back to IPv4 when the IPv6 address does not answer, without waiting for it', async () => {
    const { remote, said, tookMs } = await fetch('dark.example.test');
    assert.equal(remote, KERNEL_ADDRESS);
    // 10.78.0.2 as the dual-stack socket sees it: IPv4-mapped (RFC 4291 §2.5.5.2).
    assert.equal(said, '[0000:0000:0000:0000:0000:ffff:0a4e:0002]');
    // Without the race the IPv6 attempt would hold the connect until neighbour discovery gives
    // up: three solicitations a second apart (RFC 4861 §10). The race starts IPv4 after 250 ms.
    assert.ok(tookMs < 2500, `connected after ${tookMs.toFixed(0)} ms`);
    assert.ok(tookMs >= 250, `connected after ${tookMs.toFixed(0)} ms, before the attempt delay`);
  });

  it('reaches an IPv4-only name over IPv4', async () => {
    const { remote } = await fetch('v4.example.test');
    assert.equal(remote, KERNEL_ADDRESS);
  });

  it('rejects a name dnsmasq does not know with ENOTFOUND', async () => {
    await assert.rejects(fixture!.stack.connect({ host: 'nowhere.example.test', port: PORT }), {
      code: 'ENOTFOUND',
    });
  });
});
