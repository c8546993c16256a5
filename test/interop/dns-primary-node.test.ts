// The dns-primary service on the `node` target, asked by dig (BIND 9.18) and kdig (Knot 3.2) over
// loopback: every record type of the test zone, AA and negative answers, referrals with glue,
// REFUSED outside its zones, truncation and the TCP retry, AXFR to allowed clients only, and a
// SIGHUP reload that refuses a bad zone file (file, line, reason) while the old zone answers.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort } from './free-port.ts';
import { type BuiltService, buildService, ServiceProcess } from './service-process.ts';
import { skipUnless } from './tools.ts';

const corpus = readFileSync(
  join(import.meta.dirname, '../../packages/dns/test/zone-file/corpus/example.com.zone'),
  'utf8',
);
// Twenty 200-byte strings: about 4 kB, more than 512 bytes and than 1232.
const BIG_TXT = Array.from(
  { length: 20 },
  (_, i) => `big IN TXT "${String(i).padStart(2, '0')}${'x'.repeat(198)}"`,
).join('\n');
const ZONE = `${corpus}\n${BIG_TXT}\n`;

function tool(program: string, args: readonly string[]): string {
  const result = spawnSync(program, args, { encoding: 'utf8', timeout: 20_000 });
  if (result.error !== undefined) throw result.error;
  return result.stdout;
}

describe('dns-primary on the node target, asked by dig and kdig', {
  skip:
    skipUnless('dig', 'apt-get install bind9-dnsutils') ||
    skipUnless('kdig', 'apt-get install knot-dnsutils'),
}, () => {
  let built: BuiltService;
  let service: ServiceProcess;
  let directory: string;
  let port: number;
  const dig = (...args: string[]): string =>
    tool('dig', ['@127.0.0.1', '-p', String(port), '+tries=1', '+time=3', ...args]);
  const short = (name: string, type: string, ...args: string[]): string[] =>
    dig('+short', '+norec', name, type, ...args)
      .trim()
      .split('\n')
      .filter((line) => line !== '');

  before(async () => {
    built = await buildService('unikernels/dns-primary', 'node');
    directory = mkdtempSync(join(tmpdir(), 'oasis-zones-'));
    writeFileSync(join(directory, 'example.com.zone'), ZONE);
    port = await freePort();
    service = new ServiceProcess(built.bundle, [
      '--zones',
      directory,
      '--zone',
      'example.com.zone',
      '--port',
      String(port),
      '--axfr-allow',
      '127.0.0.1/32',
    ]);
    await service.waitForLog(/INFO dns-primary: serving/);
  });
  after(async () => {
    const exit = await service.stop();
    built.remove();
    rmSync(directory, { recursive: true, force: true });
    assert.equal(exit.code, 0, exit.stderr);
  });

  it('answers every record type as dig prints it', () => {
    const expected: Array<[string, string, string[]]> = [
      ['www.example.com', 'A', ['192.0.2.80']],
      ['www.example.com', 'AAAA', ['2001:db8::80']],
      ['example.com', 'NS', ['ns.example.net.', 'ns1.example.com.']],
      ['example.com', 'MX', ['10 mail.example.com.']],
      ['example.com', 'TXT', ['"v=spf1 mx -all"']],
      ['example.com', 'CAA', ['0 issue "letsencrypt.org"']],
      [
        'example.com',
        'SOA',
        ['ns1.example.com. hostmaster.example.com. 2024010101 7200 3600 1209600 300'],
      ],
      ['_sip._udp.example.com', 'SRV', ['10 60 5060 sip.example.com.']],
      [
        'ns1.example.com',
        'SSHFP',
        ['4 2 CEF2C8D0A0A0C2A8B137AF7ED4A8DF67820431A4AC2D4962EF0D989F B4D0CF9E'],
      ],
      [
        '_443._tcp.www.example.com',
        'TLSA',
        ['3 1 1 16058D40FF834E025AD15EC37EE5C0ED9DF770C37BA2491CC5D8FC0D B93696EB'],
      ],
      ['www.example.com', 'HTTPS', ['1 . alpn="h2"']],
      [
        'sub.example.com',
        'DS',
        ['12345 13 2 F9C7AF7EBCBF098B9F5F37361D1B168BB2E5B98D930CEEF0F055377A 8C94DB61'],
      ],
      ['old.example.com', 'DNAME', ['new.example.com.']],
      ['alias.example.com', 'A', ['alias2.example.com.', 'www.example.com.', '192.0.2.80']],
      ['host.old.example.com', 'A', ['new.example.com.', 'host.new.example.com.', '192.0.2.77']],
      ['x.y.wild.example.com', 'TXT', ['"wildcard"']],
      ['opaque.example.com', 'TYPE65534', ['\\# 4 0A0B0C0D']],
    ];
    for (const [name, type, lines] of expected) {
      assert.deepEqual(short(name, type).sort(), [...lines].sort(), `${name} ${type}`);
    }
  });

  it('sets AA, answers NXDOMAIN and NODATA with the SOA, refuses other zones', () => {
    const answer = dig('+norec', 'www.example.com', 'A');
    assert.match(answer, /status: NOERROR/);
    assert.match(answer, /flags: qr aa;/);
    const nx = dig('+norec', 'nope.example.com', 'A');
    assert.match(nx, /status: NXDOMAIN/);
    assert.match(nx, /AUTHORITY SECTION:\nexample\.com\.\s+300\s+IN\s+SOA/);
    const nodata = dig('+norec', 'mail.example.com', 'MX');
    assert.match(nodata, /status: NOERROR.*\n.*ANSWER: 0, AUTHORITY: 1/);
    assert.match(dig('+norec', 'example.org', 'A'), /status: REFUSED/);
  });

  it('refers below a zone cut with glue and without AA', () => {
    const referral = dig('+norec', 'host.sub.example.com', 'A');
    assert.match(referral, /flags: qr;/);
    assert.match(
      referral,
      /AUTHORITY SECTION:[\s\S]*sub\.example\.com\.\s+3600\s+IN\s+NS\s+ns1\.sub\.example\.com\./,
    );
    assert.match(
      referral,
      /ADDITIONAL SECTION:[\s\S]*ns1\.sub\.example\.com\.\s+3600\s+IN\s+A\s+192\.0\.2\.130/,
    );
  });

  it('truncates over UDP and answers whole over TCP', () => {
    const udp = dig('+norec', '+noedns', '+ignore', 'big.example.com', 'TXT');
    assert.match(udp, /flags: qr aa tc;/);
    const edns = dig('+norec', '+ignore', '+bufsize=1232', 'big.example.com', 'TXT');
    assert.match(edns, /flags: qr aa tc;/);
    const retried = dig('+norec', 'big.example.com', 'TXT');
    assert.match(retried, /Truncated, retrying in TCP mode/);
    assert.match(retried, /ANSWER: 20,/);
    const kdig = tool('kdig', [
      '@127.0.0.1',
      '-p',
      String(port),
      '+tcp',
      '+norec',
      'big.example.com',
      'TXT',
    ]);
    assert.match(kdig, /ANSWER: 20;/);
    assert.match(kdig, /TCP/);
  });

  it('transfers the zone to allowed clients over TCP, and refuses others', () => {
    const transfer = dig('example.com', 'AXFR');
    const records = transfer.split('\n').filter((line) => /^\S+\.\s+\d+\s+IN\s/.test(line));
    const expectedCount = ZONE.split('\n').filter((line) => /\sIN\s/.test(line)).length + 1;
    assert.equal(records.length, expectedCount);
    assert.match(records[0] ?? '', /\sSOA\s/);
    assert.match(records.at(-1) ?? '', /\sSOA\s/);
    const kdig = tool('kdig', ['@127.0.0.1', '-p', String(port), 'example.com', 'AXFR']);
    assert.match(
      kdig,
      new RegExp(`Received \\d+ B \\(\\d+ messages?, ${expectedCount} records\\)`),
    );
    assert.match(dig('-b', '127.0.0.2', 'example.com', 'AXFR'), /Transfer failed/);
  });

  it('reloads on SIGHUP, keeping the old zone when the new file is bad', async () => {
    writeFileSync(join(directory, 'example.com.zone'), `${ZONE}\nbroken IN MX not-a-number mail\n`);
    service.child.kill('SIGHUP');
    await service.waitForLog(
      /zones not reloaded, the old ones still answer reason="example\.com\.zone:\d+: MX: /,
    );
    assert.deepEqual(short('www.example.com', 'A'), ['192.0.2.80']);
    writeFileSync(join(directory, 'example.com.zone'), `${ZONE}\nnew IN A 192.0.2.200\n`);
    service.child.kill('SIGHUP');
    await service.waitForLog(/zones reloaded/);
    assert.deepEqual(short('new.example.com', 'A'), ['192.0.2.200']);
  });
});

describe('dns-primary refusing a bad zone file at start', {
  skip: skipUnless('dig', 'apt-get install bind9-dnsutils'),
}, () => {
  it('exits 1 naming the file, line and reason', async () => {
    const built = await buildService('unikernels/dns-primary', 'node');
    const directory = mkdtempSync(join(tmpdir(), 'oasis-zones-'));
    try {
      writeFileSync(
        join(directory, 'bad.zone'),
        '$ORIGIN bad.\n$TTL 60\n@ SOA ns hostmaster 1 2 3 4 5\n@ NS ns\nns A 300.1.2.3\n',
      );
      const service = new ServiceProcess(built.bundle, [
        '--zones',
        directory,
        '--port',
        String(await freePort()),
      ]);
      const exit = await service.exited;
      assert.equal(exit.code, 1);
      assert.match(exit.stderr, /bad\.zone:5: A: /);
    } finally {
      built.remove();
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
