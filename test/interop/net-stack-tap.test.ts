// The direct stack against the Linux kernel over a TAP device: ping both ways (with 8000-byte
// pings that need fragmenting and reassembling on both sides), arping, UDP both ways with nc
// and socat, ICMP port unreachable as a Linux socket sees it, and tshark over the capture of the
// whole exchange. Needs root: skipped elsewhere, failed under CI when it cannot run.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { UdpSocket } from '@oasis/runtime';
import {
  type DirectStackFixture,
  KERNEL_ADDRESS,
  openDirectStack,
  STACK_ADDRESS,
} from './direct-stack.ts';
import { skipUnlessTapAllowed } from './netns.ts';
import { run, skipUnless } from './tools.ts';

const skip =
  skipUnlessTapAllowed() ||
  skipUnless('ip', 'Debian: apt-get install iproute2') ||
  skipUnless('ping', 'Debian: apt-get install iputils-ping') ||
  skipUnless('arping', 'Debian: apt-get install iputils-arping') ||
  skipUnless('socat', 'Debian: apt-get install socat') ||
  skipUnless('nc', 'Debian: apt-get install netcat-openbsd') ||
  skipUnless('tshark', 'Debian: apt-get install tshark') ||
  skipUnless('/usr/bin/python3', 'Debian: apt-get install python3');

/** Sends one UDP datagram to a closed port from a connected Linux socket; prints the outcome. */
const CLOSED_PORT_PROBE = `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect((sys.argv[1], int(sys.argv[2])))
s.settimeout(3)
s.send(b'anyone?')
try:
    s.recv(100)
    print('answered')
except ConnectionRefusedError:
    print('refused')
except socket.timeout:
    print('timeout')
`;

describe('the direct stack with the Linux kernel as its peer', { skip }, () => {
  let fixture: DirectStackFixture | undefined;
  let echo: UdpSocket | undefined;

  function ns() {
    assert.ok(fixture !== undefined, 'the fixture opened');
    return fixture.namespace;
  }

  before(async () => {
    fixture = await openDirectStack('net');
    echo = await fixture.stack.udp.bind({ port: 7 });
    const server = echo;
    server.onMessage((data, from) => server.send(data, from));
  });

  after(async () => {
    await echo?.close();
    await fixture?.close();
  });

  it('answers Linux ping', async () => {
    const out = await ns().spawn('ping', ['-c', '3', '-i', '0.2', '-W', '3', STACK_ADDRESS]).done;
    assert.match(out, /3 packets transmitted, 3 received, 0% packet loss/);
  });

  it('answers 8000-byte pings, reassembling them and fragmenting the replies', async () => {
    const before = fixture!.stack.counters();
    const out = await ns().spawn('ping', [
      '-c',
      '2',
      '-i',
      '0.2',
      '-W',
      '3',
      '-s',
      '8000',
      STACK_ADDRESS,
    ]).done;
    assert.match(out, /2 packets transmitted, 2 received/);
    assert.match(out, /8008 bytes from 10\.78\.0\.2/);
    const counters = fixture!.stack.counters();
    assert.equal((counters['ipv4.reassembled'] ?? 0) - (before['ipv4.reassembled'] ?? 0), 2);
    assert.equal((counters['ipv4.fragments-sent'] ?? 0) - (before['ipv4.fragments-sent'] ?? 0), 12);
  });

  it('pings Linux, small and 8000 bytes', async () => {
    const small = await fixture!.stack.ping(KERNEL_ADDRESS, { timeoutMs: 3000 });
    assert.equal(small.from, KERNEL_ADDRESS);
    assert.equal(small.bytes, 64);
    const large = await fixture!.stack.ping(KERNEL_ADDRESS, { dataLength: 8000, timeoutMs: 3000 });
    assert.equal(large.bytes, 8008);
  });

  it('answers arping', async () => {
    const out = await ns().spawn('arping', [
      '-c',
      '2',
      '-w',
      '5',
      '-I',
      fixture!.tapName,
      STACK_ADDRESS,
    ]).done;
    assert.match(out, /Received 2 response\(s\)/);
  });

  it('echoes UDP from nc and socat', async () => {
    const fromNc = await ns().spawn('sh', [
      '-c',
      `printf 'hello from nc' | nc -u -w 1 ${STACK_ADDRESS} 7`,
    ]).done;
    assert.equal(fromNc, 'hello from nc');
    const big = 'x'.repeat(4000);
    const fromSocat = await ns().spawn('sh', [
      '-c',
      `printf '${big}' | socat -t 1 - UDP:${STACK_ADDRESS}:7`,
    ]).done;
    assert.equal(fromSocat, big);
  });

  it('sends UDP that nc receives', async () => {
    const client = await fixture!.stack.udp.bind();
    const listener = ns().spawn('nc', ['-u', '-l', '-W', '1', KERNEL_ADDRESS, '9000']);
    let received = '';
    listener.done.then((out) => {
      received = out;
    });
    // nc may not be listening yet: repeat until it has taken one datagram.
    for (let attempt = 0; attempt < 50 && received === ''; attempt++) {
      client.send(new TextEncoder().encode('hello nc'), { address: KERNEL_ADDRESS, port: 9000 });
      await Promise.race([listener.done, new Promise((resolve) => setTimeout(resolve, 100))]);
    }
    await client.close();
    assert.equal(received, 'hello nc');
  });

  it('refuses a closed UDP port with ICMP port unreachable that Linux reports', async () => {
    const out = await ns().spawn('/usr/bin/python3', ['-c', CLOSED_PORT_PROBE, STACK_ADDRESS, '9'])
      .done;
    assert.equal(out.trim(), 'refused');
    assert.ok((fixture!.stack.drops()['udp.no-socket'] ?? 0) >= 1);
  });

  it('leaves a capture that tshark decodes without malformed packets', () => {
    const path = fixture!.pcapPath;
    const fields = run('tshark', [
      '-r',
      path,
      '-T',
      'fields',
      '-e',
      'frame.protocols',
      '-e',
      'icmp.type',
      '-e',
      'icmp.code',
    ]);
    const rows = fields
      .trim()
      .split('\n')
      .map((line) => line.split('\t'));
    const has = (protocol: string, type?: string, code?: string): boolean =>
      rows.some(
        ([protocols = '', icmpType, icmpCode]) =>
          protocols.split(':').includes(protocol) &&
          (type === undefined || icmpType === type) &&
          (code === undefined || icmpCode === code),
      );
    assert.ok(has('arp'), 'ARP');
    assert.ok(has('icmp', '8', '0'), 'echo requests');
    assert.ok(has('icmp', '0', '0'), 'echo replies');
    assert.ok(has('icmp', '3', '3'), 'port unreachable');
    assert.ok(has('udp'), 'UDP');
    const fragments = run('tshark', ['-r', path, '-Y', 'ip.flags.mf == 1 && ip.src == 10.78.0.2']);
    assert.ok(fragments.trim().split('\n').length >= 5, 'our fragments');
    const flagged = run('tshark', [
      '-r',
      path,
      '-o',
      'ip.check_checksum:TRUE',
      '-Y',
      '_ws.malformed || _ws.expert.severity >= "warning" || ip.checksum.status == "Bad"',
    ]);
    assert.equal(flagged.trim(), '', `tshark flagged:\n${flagged}`);
  });

  it('counted no internal errors', () => {
    assert.equal(fixture!.stack.drops()['internal.exception'], undefined);
  });
});
