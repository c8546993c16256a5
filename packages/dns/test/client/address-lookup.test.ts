// A name's addresses through the DNS client, and the direct stack's `connect` by name on top of
// them: Happy Eyeballs (RFC 8305) between two dual-stack hosts on the simulator, with a test DNS
// server deciding which addresses a name has.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isOasisError, SeededRandom } from '@oasis/core';
import type { NetStack } from '@oasis/net';
import { dnsNameLookup, lookUpAddresses } from '../../src/client/address-lookup.ts';
import { DnsClient } from '../../src/client/dns-client.ts';
import type { DnsServerAddress } from '../../src/client/server-address.ts';
import { Rcode, RecordClass, RecordType } from '../../src/wire/constants.ts';
import type { DnsQuestion, DnsRecord } from '../../src/wire/message.ts';
import type { DnsName } from '../../src/wire/name.ts';
import { runUntil, simLan } from '../sim-net.ts';
import { TestDnsServer } from './test-server.ts';

const SERVER_V4 = '10.0.0.2';
const SERVER_V6 = 'fd00::2';
/** An address on the link that nobody holds: its neighbour discovery never completes. */
const DARK_V6 = 'fd00::99';

function record(name: DnsName, ttl: number, data: DnsRecord['data']): DnsRecord {
  const type = data.kind === 'A' ? RecordType.A : RecordType.AAAA;
  return { name, type, class: RecordClass.IN, ttl, data };
}

/** www: both families on the server; dark: IPv6 nobody answers, IPv4 on the server; v4: A only. */
function zone(question: DnsQuestion): DnsRecord[] {
  const name = question.name.toString();
  const ipv6 = name === 'www.example.test.' ? SERVER_V6 : DARK_V6;
  if (question.type === RecordType.AAAA && name !== 'v4.example.test.') {
    return [record(question.name, 300, { kind: 'AAAA', address: ipv6 })];
  }
  if (question.type === RecordType.A) {
    return [record(question.name, 60, { kind: 'A', address: SERVER_V4 })];
  }
  return [];
}

async function dualStackLan(servers: () => readonly DnsServerAddress[]) {
  const { network, addHost } = simLan();
  const server = addHost('server', SERVER_V4, { ipv6: `${SERVER_V6}/64` });
  const random = new SeededRandom(1);
  let client: DnsClient | undefined;
  const host = addHost('client', '10.0.0.1', {
    ipv6: 'fd00::1/64',
    stack: {
      nameLookup: (stack: NetStack) => {
        client = new DnsClient({
          udp: stack.udp,
          tcp: stack.tcp,
          servers: [],
          clock: network.clock,
          sleep: network.clock,
          random,
        });
        return dnsNameLookup(client, servers);
      },
    },
  });
  const dns = await runUntil(network, TestDnsServer.start(server, network.clock));
  dns.lookup = zone;
  const listener = await runUntil(network, server.stack.tcp.listen({ port: 80 }));
  return { network, stack: host.stack, dns, listener, client: client! };
}

const DNS_SERVER = [{ address: SERVER_V6, port: 53 }];

describe('lookUpAddresses', () => {
  it('gives the A or the AAAA addresses, with the TTL', async () => {
    const lan = await dualStackLan(() => DNS_SERVER);
    const ipv4 = await runUntil(
      lan.network,
      lookUpAddresses(lan.client, 'www.example.test', 4, { servers: DNS_SERVER }),
    );
    assert.deepEqual(ipv4, { addresses: [SERVER_V4], ttlSeconds: 60 });
    const ipv6 = await runUntil(
      lan.network,
      lookUpAddresses(lan.client, 'www.example.test.', 6, { servers: DNS_SERVER }),
    );
    assert.deepEqual(ipv6, { addresses: [SERVER_V6], ttlSeconds: 300 });
    const none = await runUntil(
      lan.network,
      lookUpAddresses(lan.client, 'v4.example.test', 6, { servers: DNS_SERVER }),
    );
    assert.deepEqual(none.addresses, []);
  });

  it('refuses a name that is not one (EINVAL) and an error answer (EIO)', async () => {
    const lan = await dualStackLan(() => DNS_SERVER);
    await assert.rejects(lookUpAddresses(lan.client, 'a..b', 4, { servers: DNS_SERVER }), (error) =>
      isOasisError(error, 'EINVAL'),
    );
    lan.dns.handler = (query) =>
      query.reply({ ...query.answer, rcode: Rcode.SERVFAIL, answers: [] });
    await assert.rejects(
      runUntil(
        lan.network,
        lookUpAddresses(lan.client, 'www.example.test', 4, { servers: DNS_SERVER }),
      ),
      (error) => isOasisError(error, 'EIO') && /rcode 2/.test(error.message),
    );
  });
});

describe('the direct stack connects by name (RFC 8305)', () => {
  it('over IPv6 when both families work, asking AAAA before A', async () => {
    const lan = await dualStackLan(() => DNS_SERVER);
    const flow = await runUntil(
      lan.network,
      lan.stack.connect({ host: 'www.example.test', port: 80 }),
    );
    assert.deepEqual(flow.remote, { address: SERVER_V6, port: 80 });
    assert.deepEqual(
      lan.dns.queries.map((query) => query.message.questions[0]?.type),
      [RecordType.AAAA, RecordType.A],
    );
  });

  it('over IPv4 a Connection Attempt Delay after an IPv6 attempt that gets nowhere', async () => {
    const lan = await dualStackLan(() => DNS_SERVER);
    const startMs = lan.network.clock.nowMs();
    const flow = await runUntil(
      lan.network,
      lan.stack.connect({ host: 'dark.example.test', port: 80 }),
    );
    const tookMs = lan.network.clock.nowMs() - startMs;
    assert.deepEqual(flow.remote, { address: SERVER_V4, port: 80 });
    // 250 ms after the first attempt, plus the lookups' and the handshake's round trips (1 ms
    // links); without the race it would wait for neighbour discovery to give up (3 s).
    assert.ok(tookMs >= 250 && tookMs < 300, `connected after ${tookMs} ms`);
  });

  it('rejects a name while no DNS server is known, and still connects to addresses', async () => {
    const lan = await dualStackLan(() => []);
    await assert.rejects(
      lan.stack.connect({ host: 'www.example.test', port: 80 }),
      (error) => isOasisError(error, 'EINVAL') && /no DNS server/.test(error.message),
    );
    const flow = await runUntil(lan.network, lan.stack.connect({ host: SERVER_V4, port: 80 }));
    assert.equal(flow.remote.address, SERVER_V4);
  });
});
