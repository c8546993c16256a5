// The services on the `tap` target, run from their bundles inside a network namespace this test
// creates: a persistent TAP interface there carries the kernel's address (10.80.0.1/24), and the
// service attaches to it with Oasis' direct stack (10.80.0.2/24). ping, a Python UDP client and
// tshark are the peers. All traffic stays inside the namespace, deleted at the end.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
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
  skipUnless('ping', 'apt-get install iputils-ping');

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
    await service.waitForLog(/echoing udpPort=7 tcpPort=off/);
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

  it('says it runs on the direct stack, without TCP for now', () => {
    assert.match(service.stderr, /TCP echo is off: this stack has no TCP/);
    assert.match(service.stderr, new RegExp(`direct stack on ${tapName} ${SERVICE_ADDRESS}/24`));
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
