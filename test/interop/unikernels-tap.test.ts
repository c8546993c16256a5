// The services on the `tap` target, run from their bundles inside a network namespace this test
// creates: a persistent TAP interface there carries the kernel's address (10.80.0.1/24), and the
// service attaches to it with Oasis' direct stack (10.80.0.2/24). ping, nc, curl, a Python UDP
// client and tshark are the peers. All traffic stays inside the namespace, deleted at the end.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { NetNamespace, skipUnlessTapAllowed } from './netns.ts';
import { type BuiltService, buildService, ServiceProcess } from './service-process.ts';
import { run, skipUnless } from './tools.ts';

const KERNEL_ADDRESS = '10.80.0.1';
const SERVICE_ADDRESS = '10.80.0.2';

/** Sends one datagram from inside the namespace and prints the reply; no reply in 10 s fails. */
const UDP_CLIENT = `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(10)
s.sendto(sys.argv[3].encode(), (sys.argv[1], int(sys.argv[2])))
print(s.recvfrom(65535)[0].decode(), end='')
`;

const skip =
  skipUnlessTapAllowed() ||
  skipUnless('tshark', 'apt-get install tshark') ||
  skipUnless('ping', 'apt-get install iputils-ping') ||
  skipUnless('nc', 'apt-get install netcat-openbsd') ||
  skipUnless('curl', 'apt-get install curl');

describe('echo on the tap target', { skip }, () => {
  const tapName = `ouk${process.pid}`.slice(0, 15);
  let namespace: NetNamespace;
  let echo: BuiltService;
  let service: ServiceProcess;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'oasis-tap-'));
    echo = await buildService('unikernels/echo', 'tap');
    namespace = new NetNamespace(`oasis-uk-${process.pid}`);
    namespace.ip(['tuntap', 'add', 'dev', tapName, 'mode', 'tap']);
    namespace.ip(['addr', 'add', `${KERNEL_ADDRESS}/24`, 'dev', tapName]);
    namespace.ip(['link', 'set', tapName, 'up']);
    service = new ServiceProcess(
      echo.bundle,
      ['--tap', tapName, '--ipv4', `${SERVICE_ADDRESS}/24`, '--pcap', join(dir, 'echo.pcap')],
      namespace.name,
    );
    await service.waitForLog(/echoing udpPort=7 tcpPort=7/);
  });

  after(async () => {
    try {
      if (service !== undefined) await service.stop();
    } finally {
      namespace?.delete();
      echo?.remove();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says it runs on the direct stack', () => {
    assert.match(service.stderr, new RegExp(`direct stack on ${tapName} ${SERVICE_ADDRESS}/24`));
  });

  it('echoes a TCP stream until the client closes its side (nc -N)', () => {
    const lines = Array.from({ length: 2000 }, (_, i) => `line ${i} of the echo test`).join('\n');
    const input = join(dir, 'input.txt');
    writeFileSync(input, lines);
    const output = namespace.exec('sh', ['-c', `nc -N ${SERVICE_ADDRESS} 7 < ${input}`]);
    assert.equal(output, lines);
  });

  it('answers ping from the kernel', () => {
    const output = namespace.exec('ping', ['-c', '3', '-i', '0.2', '-W', '5', SERVICE_ADDRESS]);
    assert.match(output, /3 packets transmitted, 3 received/);
  });

  it('echoes UDP datagrams', () => {
    for (const text of ['hello over tap', 'x'.repeat(3000)]) {
      const reply = namespace.exec('python3', ['-c', UDP_CLIENT, SERVICE_ADDRESS, '7', text]);
      assert.equal(reply, text);
    }
  });

  it('stops on SIGTERM with exit code 0, and its --pcap capture reads in tshark', async () => {
    const exit = await service.stop('SIGTERM');
    assert.equal(exit.code, 0, exit.stderr);
    const udp = run('tshark', [
      '-r',
      join(dir, 'echo.pcap'),
      '-Y',
      'udp.port == 7',
      '-T',
      'fields',
      '-e',
      'ip.src',
    ]);
    const sources = udp.trim().split('\n');
    assert.ok(sources.includes(KERNEL_ADDRESS) && sources.includes(SERVICE_ADDRESS), udp);
  });
});

describe('static-site on the tap target', { skip }, () => {
  const tapName = `ouks${process.pid}`.slice(0, 15);
  let namespace: NetNamespace;
  let site: BuiltService;
  let service: ServiceProcess;
  let tree: string;

  before(async () => {
    tree = mkdtempSync(join(tmpdir(), 'oasis-site-'));
    mkdirSync(join(tree, 'docs'));
    writeFileSync(join(tree, 'index.html'), '<h1>home over tap</h1>\n');
    writeFileSync(
      join(tree, 'docs', 'big.bin'),
      new Uint8Array(3_000_000).map((_, i) => i * 13),
    );
    site = await buildService('unikernels/static-site', 'tap', { root: tree });
    namespace = new NetNamespace(`oasis-uks-${process.pid}`);
    namespace.ip(['tuntap', 'add', 'dev', tapName, 'mode', 'tap']);
    namespace.ip(['addr', 'add', `${KERNEL_ADDRESS}/24`, 'dev', tapName]);
    namespace.ip(['link', 'set', tapName, 'up']);
    service = new ServiceProcess(
      site.bundle,
      ['--tap', tapName, '--ipv4', `${SERVICE_ADDRESS}/24`],
      namespace.name,
    );
    await service.waitForLog(/serving port=80/);
  });

  after(async () => {
    try {
      if (service !== undefined) await service.stop();
    } finally {
      namespace?.delete();
      site?.remove();
      rmSync(tree, { recursive: true, force: true });
    }
  });

  it('serves pages and a 3 MB file to curl over its own TCP', () => {
    const url = `http://${SERVICE_ADDRESS}`;
    assert.equal(
      namespace.exec('curl', ['--silent', '--show-error', `${url}/`]),
      '<h1>home over tap</h1>\n',
    );
    const served = namespace.exec('sh', [
      '-c',
      `curl --silent --show-error ${url}/docs/big.bin | sha256sum`,
    ]);
    const expected = run('sha256sum', [join(tree, 'docs', 'big.bin')]);
    assert.equal(served.split(' ')[0], expected.split(' ')[0]);
    assert.match(
      namespace.exec('curl', ['--silent', '--include', `${url}/missing`]),
      /^HTTP\/1\.1 404/,
    );
  });
});

describe('argument errors on the tap target', () => {
  it('refuses a malformed --ipv4 with one line and exit code 64, before touching a device', async () => {
    const built = await buildService('unikernels/echo', 'tap');
    try {
      const exit = await new ServiceProcess(built.bundle, [
        '--tap',
        'tap0',
        '--ipv4',
        '10.0.0.300/24',
      ]).exited;
      assert.equal(exit.code, 64);
      assert.equal(
        exit.stderr,
        "echo: --ipv4: expected an address and prefix length such as 10.0.0.2/24, got '10.0.0.300/24'\n",
      );
      const missing = await new ServiceProcess(built.bundle, ['--ipv4', '10.0.0.2/24']).exited;
      assert.equal(missing.code, 64);
      assert.equal(missing.stderr, 'echo: --tap is required\n');
    } finally {
      built.remove();
    }
  });
});
