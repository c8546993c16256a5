// The dns-resolver service on the `node` target, forwarding to dnsmasq (the upstream nobody here
// wrote) and asked by dig: forwarded answers with RA, answers from the cache (still there once
// the upstream is gone; dnsmasq's NXDOMAIN carries no SOA, so it is not cached, RFC 2308 §5),
// names from a hosts file, names blocked by a
// list file and by lists fetched over HTTP and HTTPS (0.0.0.0 and the Blocked extended error), a list
// refreshed on SIGHUP, counters on SIGUSR1, SERVFAIL when no upstream answers.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createSecureServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Dnsmasq } from './dnsmasq.ts';
import { freePort } from './free-port.ts';
import { type BuiltService, buildService, ServiceProcess } from './service-process.ts';
import { run, skipUnless } from './tools.ts';

describe('dns-resolver on the node target, forwarding to dnsmasq, asked by dig', {
  skip:
    skipUnless('dig', 'apt-get install bind9-dnsutils') ||
    skipUnless('dnsmasq', 'apt-get install dnsmasq-base'),
}, () => {
  let built: BuiltService;
  let service: ServiceProcess;
  let dnsmasq: Dnsmasq;
  let lists: Server;
  let secureLists: Server;
  let listText = 'tracker.example.test\n';
  let directory: string;
  let port: number;
  const dig = (...args: string[]): string =>
    spawnSync('dig', ['@127.0.0.1', '-p', String(port), '+tries=1', '+time=5', ...args], {
      encoding: 'utf8',
    }).stdout;
  const short = (name: string, type = 'A'): string => dig('+short', name, type).trim();

  before(async () => {
    built = await buildService('unikernels/dns-resolver', 'node');
    const upstreamPort = await freePort();
    dnsmasq = await Dnsmasq.start('127.0.0.1', upstreamPort, [
      '--local-ttl=300',
      '--host-record=www.example.test,192.0.2.80',
      '--host-record=mail.example.test,192.0.2.25',
      '--host-record=tracker.example.test,192.0.2.66',
      '--host-record=ads.example.test,192.0.2.67',
      '--host-record=lists.example.test,127.0.0.1',
      '--host-record=secure-tracker.example.test,192.0.2.68',
      '--address=/nx.test/',
    ]);
    lists = createServer((request, response) => {
      if (request.url === '/list.txt') response.end(listText);
      else response.writeHead(404).end();
    });
    const listPort = await new Promise<number>((resolve) =>
      lists.listen(0, '127.0.0.1', () => resolve((lists.address() as { port: number }).port)),
    );
    directory = mkdtempSync(join(tmpdir(), 'oasis-resolver-'));
    // A certificate for the HTTPS list server, trusted by the service through NODE_EXTRA_CA_CERTS.
    const key = join(directory, 'key.pem');
    const cert = join(directory, 'cert.pem');
    run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=lists.example.test',
      '-addext',
      'subjectAltName=DNS:lists.example.test',
    ]);
    secureLists = createSecureServer(
      { key: readFileSync(key), cert: readFileSync(cert) },
      (_request, response) => response.end('||secure-tracker.example.test^\n'),
    );
    const secureListPort = await new Promise<number>((resolve) =>
      secureLists.listen(0, '127.0.0.1', () =>
        resolve((secureLists.address() as { port: number }).port),
      ),
    );
    writeFileSync(join(directory, 'hosts'), '# local names\n192.168.1.5 printer.lan printer\n');
    writeFileSync(join(directory, 'ads.hosts'), '0.0.0.0 ads.example.test\n0.0.0.0 localhost\n');
    port = await freePort();
    service = new ServiceProcess(
      built.bundle,
      [
        '--files',
        directory,
        '--port',
        String(port),
        '--upstream',
        `127.0.0.1:${upstreamPort}`,
        '--hosts',
        'hosts',
        '--blocklist',
        'ads.hosts',
        // The list server is found by name, through the resolver itself.
        '--blocklist',
        `http://lists.example.test:${listPort}/list.txt`,
        '--blocklist',
        `https://lists.example.test:${secureListPort}/list.txt`,
      ],
      undefined,
      { NODE_EXTRA_CA_CERTS: cert },
    );
    await service.waitForLog(/INFO dns-resolver: resolving .*blocked=3/);
  });
  after(async () => {
    const exit = await service.stop();
    await dnsmasq.stop();
    lists.close();
    secureLists.close();
    built.remove();
    rmSync(directory, { recursive: true, force: true });
    assert.equal(exit.code, 0, exit.stderr);
  });

  it('forwards, sets RA, and answers the second time from its cache', () => {
    const first = dig('www.example.test', 'A');
    assert.match(first, /status: NOERROR/);
    assert.match(first, /flags: qr rd ra;/);
    assert.match(first, /www\.example\.test\.\s+300\s+IN\s+A\s+192\.0\.2\.80/);
    // The countdown itself is tested in virtual time (dns-cache.test.ts); here the answer must
    // not exceed what the upstream gave, and the counters below show it came from the cache.
    const second = dig('www.example.test', 'A');
    const ttl = Number(/www\.example\.test\.\s+(\d+)\s+IN\s+A/.exec(second)?.[1]);
    assert.ok(ttl <= 300 && ttl >= 290, `TTL ${ttl} is at most the upstream's 300`);
    assert.match(dig('nope.nx.test', 'A'), /status: NXDOMAIN/);
    assert.equal(short('mail.example.test'), '192.0.2.25');
  });

  it('answers hosts-file names itself', () => {
    assert.equal(short('printer.lan'), '192.168.1.5');
    assert.equal(short('printer'), '192.168.1.5', 'an alias');
    assert.equal(short('5.1.168.192.in-addr.arpa', 'PTR'), 'printer.lan.');
  });

  it('blocks names from a list file and from lists fetched over HTTP and HTTPS', () => {
    const blocked = dig('ads.example.test', 'A');
    assert.match(blocked, /ads\.example\.test\.\s+\d+\s+IN\s+A\s+0\.0\.0\.0/);
    assert.match(blocked, /EDE: 15 \(Blocked\)/);
    assert.equal(short('x.tracker.example.test'), '0.0.0.0');
    assert.equal(short('tracker.example.test', 'AAAA'), '::');
    assert.equal(short('secure-tracker.example.test'), '0.0.0.0');
    assert.equal(short('www.example.test'), '192.0.2.80');
  });

  it('reads the lists again on SIGHUP and logs counters on SIGUSR1', async () => {
    listText = 'tracker.example.test\nwww.example.test\n';
    service.child.kill('SIGHUP');
    await service.waitForLog(/blocklists ready names=4 failed=0/);
    assert.equal(short('www.example.test'), '0.0.0.0');
    service.child.kill('SIGUSR1');
    const counters = await service.waitForLog(/INFO dns-resolver: counters (.*)/);
    assert.match(counters[1] ?? '', /resolver\.blocked=\d+/);
    assert.match(counters[1] ?? '', /cache\.hits=[1-9]/);
  });

  it('keeps answering from the cache without the upstream, and SERVFAILs the rest', async () => {
    await dnsmasq.stop();
    assert.equal(short('mail.example.test'), '192.0.2.25');
    const failed = dig('+time=8', 'other.example.test', 'A');
    assert.match(failed, /status: SERVFAIL/);
  });
});
