// The DNS services on the `tap` target, on Oasis' own stack, inside a network namespace this
// test creates: dns-primary on one TAP (10.87.0.2, the kernel 10.87.0.1) asked by dig and kdig
// over UDP and TCP, with a zone transfer to the kernel's address; dns-resolver on another TAP
// (10.87.1.2, the kernel 10.87.1.1) forwarding to dnsmasq on the kernel's side and asked by dig.
// All traffic stays inside the namespace, deleted at the end.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Dnsmasq } from './dnsmasq.ts';
import { NetNamespace, skipUnlessTapAllowed } from './netns.ts';
import { type BuiltService, buildService, ServiceProcess } from './service-process.ts';
import { skipUnless } from './tools.ts';

const PRIMARY_KERNEL = '10.87.0.1';
const PRIMARY = '10.87.0.2';
const RESOLVER_KERNEL = '10.87.1.1';
const RESOLVER = '10.87.1.2';

const ZONE = readFileSync(
  join(import.meta.dirname, '../../packages/dns/test/zone-file/corpus/example.com.zone'),
  'utf8',
);

const skip =
  skipUnlessTapAllowed() ||
  skipUnless('dig', 'apt-get install bind9-dnsutils') ||
  skipUnless('kdig', 'apt-get install knot-dnsutils') ||
  skipUnless('dnsmasq', 'apt-get install dnsmasq-base');

describe('dns-primary and dns-resolver on the tap target', { skip }, () => {
  const suffix = String(process.pid).slice(-6);
  const primaryTap = `odp${suffix}`;
  const resolverTap = `odr${suffix}`;
  let namespace: NetNamespace;
  let primary: BuiltService;
  let resolver: BuiltService;
  const services: ServiceProcess[] = [];
  let dnsmasq: Dnsmasq | undefined;
  let dir: string;
  const dig = (server: string, ...args: string[]): string =>
    namespace.exec('dig', [`@${server}`, '+tries=2', '+time=3', ...args]);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'oasis-dns-tap-'));
    writeFileSync(join(dir, 'example.com.zone'), ZONE);
    [primary, resolver] = await Promise.all([
      buildService('unikernels/dns-primary', 'tap'),
      buildService('unikernels/dns-resolver', 'tap'),
    ]);
    namespace = new NetNamespace(`oasis-dns-${process.pid}`);
    for (const [tap, address] of [
      [primaryTap, PRIMARY_KERNEL],
      [resolverTap, RESOLVER_KERNEL],
    ] as const) {
      namespace.ip(['tuntap', 'add', 'dev', tap, 'mode', 'tap']);
      namespace.ip(['addr', 'add', `${address}/24`, 'dev', tap]);
      namespace.ip(['link', 'set', tap, 'up']);
    }
    dnsmasq = await Dnsmasq.start(
      RESOLVER_KERNEL,
      53,
      ['--host-record=www.upstream.test,192.0.2.44'],
      namespace.name,
    );
    services.push(
      new ServiceProcess(
        primary.bundle,
        [
          '--tap',
          primaryTap,
          '--ipv4',
          `${PRIMARY}/24`,
          '--zones',
          dir,
          '--axfr-allow',
          `${PRIMARY_KERNEL}/32`,
        ],
        namespace.name,
      ),
      new ServiceProcess(
        resolver.bundle,
        [
          '--tap',
          resolverTap,
          '--ipv4',
          `${RESOLVER}/24`,
          '--files',
          dir,
          '--upstream',
          RESOLVER_KERNEL,
        ],
        namespace.name,
      ),
    );
    await services[0]!.waitForLog(/INFO dns-primary: serving/);
    await services[1]!.waitForLog(/INFO dns-resolver: resolving/);
  });

  after(async () => {
    try {
      for (const service of services) await service.stop();
      await dnsmasq?.stop();
    } finally {
      namespace?.delete();
      primary?.remove();
      resolver?.remove();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('answers dig over UDP and TCP on the direct stack', () => {
    assert.match(services[0]!.stderr, new RegExp(`direct stack on ${primaryTap} ${PRIMARY}/24`));
    assert.equal(dig(PRIMARY, '+short', 'www.example.com', 'A').trim(), '192.0.2.80');
    assert.equal(dig(PRIMARY, '+short', '+tcp', 'www.example.com', 'AAAA').trim(), '2001:db8::80');
    assert.match(dig(PRIMARY, 'nope.example.com'), /status: NXDOMAIN/);
    const kdig = namespace.exec('kdig', [`@${PRIMARY}`, '+tcp', 'alias.example.com', 'A']);
    assert.match(kdig, /www\.example\.com\.\s+3600\s+IN\s+A\s+192\.0\.2\.80/);
  });

  it('transfers the zone over TCP to the allowed address', () => {
    const transfer = namespace.exec('kdig', [`@${PRIMARY}`, 'example.com', 'AXFR']);
    const records = ZONE.split('\n').filter((line) => /\sIN\s/.test(line)).length + 1;
    assert.match(transfer, new RegExp(`\\(\\d+ messages?, ${records} records\\)`));
  });

  it('resolves through dnsmasq on the kernel side', () => {
    const answer = dig(RESOLVER, 'www.upstream.test', 'A');
    assert.match(answer, /flags: qr rd ra;/);
    assert.match(answer, /www\.upstream\.test\.\s+\d+\s+IN\s+A\s+192\.0\.2\.44/);
  });
});
