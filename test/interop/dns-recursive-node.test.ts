// Recursive resolution end to end on the `node` target: three dns-primary processes serve a
// small hierarchy on loopback addresses, port 53 as real authorities do (the root on 127.0.0.2,
// `test.` on 127.0.0.3, `example.test.` on 127.0.0.4), and dns-resolver --recursive starts from
// root hints naming 127.0.0.2 only. dig asks the resolver. Needs root (port 53); nothing leaves
// the loopback interface.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort } from './free-port.ts';
import { type BuiltService, buildService, ServiceProcess } from './service-process.ts';
import { skipUnless } from './tools.ts';

const SOA = 'SOA ns hostmaster 1 7200 3600 1209600 300';

const ZONES = {
  'root.zone': `$ORIGIN .\n$TTL 3600\n. ${SOA.replace('ns hostmaster', 'a.root-servers.test. hostmaster.test.')}\n. NS a.root-servers.test.\na.root-servers.test. A 127.0.0.2\ntest. NS ns.test.\nns.test. A 127.0.0.3\n`,
  'test.zone': `$ORIGIN test.\n$TTL 3600\n@ ${SOA}\n@ NS ns\nns A 127.0.0.3\na.root-servers A 127.0.0.2\nexample NS ns.example\nns.example A 127.0.0.4\n`,
  'example.test.zone': `$ORIGIN example.test.\n$TTL 3600\n@ ${SOA}\n@ NS ns\nns A 127.0.0.4\nwww A 192.0.2.80\nalias CNAME www\n@ MX 10 mail\nmail A 192.0.2.25\n`,
} as const;

const AUTHORITIES = [
  ['root.zone', '.', '127.0.0.2'],
  ['test.zone', 'test.', '127.0.0.3'],
  ['example.test.zone', 'example.test.', '127.0.0.4'],
] as const;

function portFree(address: string): boolean {
  const listening = spawnSync('ss', ['-Hlnu', `( sport = :53 )`], { encoding: 'utf8' }).stdout;
  return !new RegExp(`(${address.replaceAll('.', '\\.')}|0\\.0\\.0\\.0|\\*):53\\s`).test(listening);
}

const skip =
  (process.getuid?.() !== 0 && 'binding port 53 needs root') ||
  skipUnless('dig', 'apt-get install bind9-dnsutils') ||
  (!AUTHORITIES.every(([, , address]) => portFree(address)) && 'something listens on port 53');

describe('dns-resolver --recursive over a hierarchy of dns-primary servers', { skip }, () => {
  let primary: BuiltService;
  let resolverBundle: BuiltService;
  const services: ServiceProcess[] = [];
  let dir: string;
  let port: number;
  const dig = (...args: string[]): string =>
    spawnSync('dig', ['@127.0.0.1', '-p', String(port), '+tries=1', '+time=5', ...args], {
      encoding: 'utf8',
    }).stdout;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'oasis-recursive-'));
    for (const [file, text] of Object.entries(ZONES)) writeFileSync(join(dir, file), text);
    writeFileSync(
      join(dir, 'root.hints'),
      '. 3600000 NS a.root-servers.test.\na.root-servers.test. 3600000 A 127.0.0.2\n',
    );
    [primary, resolverBundle] = await Promise.all([
      buildService('unikernels/dns-primary', 'node'),
      buildService('unikernels/dns-resolver', 'node'),
    ]);
    for (const [file, origin, address] of AUTHORITIES) {
      const service = new ServiceProcess(primary.bundle, [
        '--zones',
        dir,
        '--zone',
        `${origin}=${file}`,
        '--address',
        address,
        '--port',
        '53',
      ]);
      services.push(service);
      await service.waitForLog(/INFO dns-primary: serving/);
    }
    port = await freePort();
    const resolver = new ServiceProcess(resolverBundle.bundle, [
      '--files',
      dir,
      '--recursive',
      '--root-hints',
      'root.hints',
      '--port',
      String(port),
    ]);
    services.push(resolver);
    await resolver.waitForLog(/INFO dns-resolver: resolving .*mode=recursive/);
  });

  after(async () => {
    for (const service of services) await service.stop();
    primary?.remove();
    resolverBundle?.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  it('resolves from the root down, following a CNAME, with RA and without AA', () => {
    const answer = dig('www.example.test', 'A');
    assert.match(answer, /status: NOERROR/);
    assert.match(answer, /flags: qr rd ra;/);
    assert.match(answer, /www\.example\.test\.\s+3600\s+IN\s+A\s+192\.0\.2\.80/);
    assert.match(
      dig('alias.example.test', 'A'),
      /alias\.example\.test\.\s+\d+\s+IN\s+CNAME\s+www\.example\.test\.[\s\S]*192\.0\.2\.80/,
    );
    assert.match(dig('example.test', 'MX'), /10 mail\.example\.test\./);
  });

  it('answers NXDOMAIN with the SOA, from a zone and from the root', () => {
    const nx = dig('nope.example.test', 'A');
    assert.match(nx, /status: NXDOMAIN/);
    assert.match(nx, /example\.test\.\s+\d+\s+IN\s+SOA/);
    assert.match(dig('nope.invalid', 'A'), /status: NXDOMAIN/);
  });

  it('answers a repeated question from its cache', async () => {
    assert.match(dig('www.example.test', 'A'), /192\.0\.2\.80/);
    services.at(-1)?.child.kill('SIGUSR1');
    const counters =
      (await services.at(-1)!.waitForLog(/INFO dns-resolver: counters (.*)/))[1] ?? '';
    assert.match(counters, /cache\.hits=[1-9]/);
    assert.match(counters, /resolver\.cached=[1-9]/);
  });
});
