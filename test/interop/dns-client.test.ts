// The DNS client against dnsmasq (a resolver nobody here wrote) on loopback, over the host socket
// stack with the real clock: an A record over UDP, a TXT record too large for the 1232 bytes
// offered (dnsmasq sets TC, the client asks again over TCP), NXDOMAIN, TCP queries sharing one
// connection, a server at ::1, and a refused TCP connection. dnsmasq answers only from its
// command line: no upstream servers, no hosts file.

import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import { after, before, describe, it } from 'node:test';
import {
  createLogger,
  isOasisError,
  lineSink,
  SystemClock,
  SystemRandom,
  SystemSleep,
} from '@oasis/core';
import { DnsClient, DnsName, Rcode, RecordClass, RecordType } from '@oasis/dns';
import { createHostStack, type HostStack } from '@oasis/node';
import { Dnsmasq } from './dnsmasq.ts';
import { freePort } from './free-port.ts';
import { skipUnless } from './tools.ts';

/** Six strings of 250 bytes: about 1,550 bytes of answer, over the 1232 offered over UDP. */
const BIG_STRINGS = Array.from({ length: 6 }, (_, i) => String.fromCharCode(0x41 + i).repeat(250));

/** Whether this host has ::1, to test the client with an IPv6 server address. */
const IPV6_LOOPBACK = Object.values(networkInterfaces()).some((entries) =>
  (entries ?? []).some((entry) => entry.address === '::1'),
);

function question(name: string, type: number) {
  return { name: DnsName.of(name), type, class: RecordClass.IN };
}

describe('DnsClient against dnsmasq on loopback', {
  skip: skipUnless('dnsmasq', 'apt-get install dnsmasq-base'),
}, () => {
  let dnsmasq: Dnsmasq | undefined;
  let stack: HostStack | undefined;
  let client: DnsClient;
  let port: number;

  before(async () => {
    port = await freePort();
    dnsmasq = await Dnsmasq.start(`127.0.0.1${IPV6_LOOPBACK ? ',::1' : ''}`, port, [
      '--log-queries',
      '--address=/example.test/192.0.2.7',
      // A domain with no address: dnsmasq answers NXDOMAIN for names under it.
      '--address=/nx.test/',
      `--txt-record=big.example.test,${BIG_STRINGS.join(',')}`,
    ]);
    const clock = new SystemClock();
    stack = createHostStack({
      logger: createLogger({ source: 'host', sink: lineSink(console.error), clock, level: 'warn' }),
    });
    client = new DnsClient({
      udp: stack.udp,
      tcp: stack.tcp,
      servers: [{ address: '127.0.0.1', port }],
      clock,
      sleep: new SystemSleep(clock),
      random: new SystemRandom(),
      timeoutMs: 2000,
    });
  });

  /** The PID dnsmasq logged a query for `name` under, once the line shows up. */
  async function loggedPid(name: string): Promise<number> {
    const line = new RegExp(`dnsmasq\\[(\\d+)\\]: query\\[A\\] ${name.replaceAll('.', '\\.')} `);
    for (let waited = 0; waited < 2000; waited += 20) {
      const match = line.exec(dnsmasq?.log ?? '');
      if (match !== null) return Number(match[1]);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`dnsmasq did not log a query for ${name}:\n${dnsmasq?.log}`);
  }

  after(async () => {
    await client?.close();
    await stack?.close();
    await dnsmasq?.stop();
  });

  it('gets an A record over UDP', async () => {
    const answer = await client.query(question('www.example.test.', RecordType.A));
    assert.equal(answer.rcode, Rcode.NOERROR);
    assert.deepEqual(
      answer.answers.map((record) => record.data),
      [{ kind: 'A', address: '192.0.2.7' }],
    );
    assert.equal(client.counters()['tcp'], undefined);
  });

  it('gets a large TXT record over TCP after a truncated UDP answer', async () => {
    const before = client.counters();
    const answer = await client.query(question('big.example.test.', RecordType.TXT));
    assert.equal(answer.rcode, Rcode.NOERROR);
    assert.equal(answer.tc, false);
    const [record] = answer.answers;
    assert.ok(record?.data.kind === 'TXT');
    assert.deepEqual(
      record.data.strings.map((bytes) => new TextDecoder().decode(bytes)),
      BIG_STRINGS,
    );
    const after = client.counters();
    assert.equal((after['truncated'] ?? 0) - (before['truncated'] ?? 0), 1);
    assert.equal((after['tcp'] ?? 0) - (before['tcp'] ?? 0), 1);
  });

  it('returns NXDOMAIN as an answer', async () => {
    const answer = await client.query(question('nothing.nx.test.', RecordType.A));
    assert.equal(answer.rcode, Rcode.NXDOMAIN);
    assert.equal(answer.answers.length, 0);
  });

  it('sends concurrent TCP queries on one connection', async () => {
    const labels = ['pipe1', 'pipe2', 'pipe3'];
    const answers = await Promise.all(
      labels.map((label) =>
        client.query(question(`${label}.example.test.`, RecordType.A), { tcp: true }),
      ),
    );
    for (const answer of answers) assert.equal(answer.answers.length, 1);
    // dnsmasq serves each TCP connection in a process of its own, and logs under its PID.
    const pids = await Promise.all(labels.map((label) => loggedPid(`${label}.example.test`)));
    assert.equal(new Set(pids).size, 1, `served by ${pids.join(', ')}`);
    assert.notEqual(pids[0], dnsmasq?.process.pid, 'not by the UDP (main) process');
  });

  it('asks a server at an IPv6 address over UDP and TCP', {
    skip: !IPV6_LOOPBACK && 'this host has no ::1',
  }, async () => {
    const servers = [{ address: '::1', port }];
    const overUdp = await client.query(question('six.example.test.', RecordType.A), { servers });
    const overTcp = await client.query(question('six.example.test.', RecordType.A), {
      servers,
      tcp: true,
    });
    for (const answer of [overUdp, overTcp]) {
      assert.deepEqual(
        answer.answers.map((record) => record.data),
        [{ kind: 'A', address: '192.0.2.7' }],
      );
    }
  });

  it('fails with ECONNREFUSED when nothing listens on the TCP port', async () => {
    const closedPort = await freePort();
    await assert.rejects(
      client.query(question('www.example.test.', RecordType.A), {
        tcp: true,
        servers: [{ address: '127.0.0.1', port: closedPort }],
      }),
      (error) => isOasisError(error, 'ECONNREFUSED'),
    );
  });
});
