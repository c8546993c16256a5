// The client over TCP on simulated direct stacks, in virtual time: fallback on TC, one shared
// connection per server with pipelined queries answered out of order, IDs unique on it, frames
// split across reads, the idle timeout, and connections the server closes or refuses.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { concatBytes, isOasisError, type Random, SeededRandom } from '@oasis/core';
import type { Flow, TcpStack } from '@oasis/runtime';
import { DnsClient, type DnsClientOptions } from '../../src/client/dns-client.ts';
import { RecordClass, RecordType } from '../../src/wire/constants.ts';
import type { DnsQuestion, DnsRecord } from '../../src/wire/message.ts';
import { DnsName } from '../../src/wire/name.ts';
import { runFor, runUntil, simLan } from '../sim-net.ts';
import {
  type ReceivedQuery,
  TestDnsServer,
  type TestServerOptions,
  tcpFrame,
} from './test-server.ts';

function ask(name: string, type: number = RecordType.A): DnsQuestion {
  return { name: DnsName.of(name), type, class: RecordClass.IN };
}

/** 12 strings of 250 bytes: about 3 KB, more than the 1232 bytes offered over UDP. */
function bigTxt(question: DnsQuestion): DnsRecord[] {
  const strings = Array.from({ length: 12 }, (_, i) => new Uint8Array(250).fill(0x41 + i));
  return [
    {
      name: question.name,
      type: RecordType.TXT,
      class: RecordClass.IN,
      ttl: 60,
      data: { kind: 'TXT', strings },
    },
  ];
}

/** The stack's TCP, with the length of every read the client's flows return noted in `reads`. */
function noteReads(tcp: TcpStack, reads: number[]): TcpStack {
  return {
    listen: (options) => tcp.listen(options),
    async connect(to, options) {
      const flow = await tcp.connect(to, options);
      const noted: Flow = {
        local: flow.local,
        remote: flow.remote,
        async read() {
          const chunk = await flow.read();
          if (chunk !== undefined) reads.push(chunk.length);
          return chunk;
        },
        write: (data) => flow.write(data),
        closeWrite: () => flow.closeWrite(),
        close: () => flow.close(),
        abort: () => flow.abort(),
        setNoDelay: (noDelay) => flow.setNoDelay(noDelay),
        counters: () => flow.counters(),
      };
      return noted;
    },
  };
}

async function setup(options: Partial<DnsClientOptions> & { server?: TestServerOptions } = {}) {
  const { network, addHost } = simLan();
  const clientHost = addHost('client', '10.0.0.1');
  const server = await TestDnsServer.start(
    addHost('ns', '10.0.0.53'),
    network.clock,
    options.server,
  );
  const reads: number[] = [];
  const client = new DnsClient({
    udp: clientHost.stack.udp,
    tcp: noteReads(clientHost.stack.tcp, reads),
    servers: [{ address: server.address, port: server.port }],
    clock: network.clock,
    sleep: network.clock,
    random: new SeededRandom(7),
    ...options,
  });
  return { network, server, client, reads };
}

describe('DnsClient over TCP (simulator)', () => {
  it('asks again over TCP when the UDP answer is truncated, and gets the whole answer', async () => {
    const { network, server, client } = await setup();
    server.lookup = bigTxt;
    server.handler = (query) =>
      query.transport === 'udp'
        ? query.reply({ ...query.answer, tc: true, answers: [] })
        : query.reply();
    const answer = await runUntil(network, client.query(ask('big.example.test.', RecordType.TXT)));
    assert.equal(answer.tc, false);
    assert.deepEqual(answer.answers, bigTxt(ask('big.example.test.', RecordType.TXT)));
    assert.deepEqual(
      server.queries.map((query) => query.transport),
      ['udp', 'tcp'],
    );
    assert.deepEqual(client.counters(), {
      queries: 1,
      tcp: 1,
      'tcp-connections': 1,
      truncated: 1,
      udp: 1,
    });
  });

  it('reads an answer split across many reads', async () => {
    const { network, server, client, reads } = await setup();
    server.lookup = bigTxt;
    // The length split in two, then a piece of the header, then the rest in two.
    server.tcpPieces = [1, 1, 5, 1000];
    const answer = await runUntil(
      network,
      client.query(ask('big.example.test.', RecordType.TXT), { tcp: true }),
    );
    assert.deepEqual(answer.answers, bigTxt(ask('big.example.test.', RecordType.TXT)));
    assert.deepEqual(reads.slice(0, 4), [1, 1, 5, 1000]);
    assert.deepEqual(client.counters(), { queries: 1, tcp: 1, 'tcp-connections': 1 });
  });

  it('pipelines queries on one connection and matches answers given out of order in one write', async () => {
    const { network, server, client, reads } = await setup();
    const held: ReceivedQuery[] = [];
    let both = 0;
    server.handler = (query) => {
      held.push(query);
      if (held.length < 2) return;
      const bytes = concatBytes([tcpFrame(held[1]!.answer), tcpFrame(held[0]!.answer)]);
      both = bytes.length;
      query.send(bytes);
    };
    const [first, second] = await runUntil(
      network,
      Promise.all([
        client.query(ask('one.example.test.'), { tcp: true }),
        client.query(ask('two.example.test.'), { tcp: true }),
      ]),
    );
    assert.equal(first.questions[0]?.name.toString(), 'one.example.test.');
    assert.equal(second.questions[0]?.name.toString(), 'two.example.test.');
    assert.equal(server.tcpAccepted, 1);
    assert.deepEqual(reads, [both], 'both answers came in one read');
    assert.notEqual(held[0]!.message.id, held[1]!.message.id);
  });

  it('gives queries on one connection distinct IDs even when the random draws repeat', async () => {
    const seeded = new SeededRandom(1);
    const draws = [7, 7, 7, 9];
    const random: Random = {
      fill: (bytes) => seeded.fill(bytes),
      uint32: () => seeded.uint32(),
      below: (bound) => draws.shift() ?? seeded.below(bound),
      float: () => seeded.float(),
    };
    const { network, server, client } = await setup({ random });
    const held: ReceivedQuery[] = [];
    server.handler = (query) => {
      held.push(query);
      if (held.length === 2) for (const each of held) each.reply();
    };
    await runUntil(
      network,
      Promise.all([
        client.query(ask('one.example.test.'), { tcp: true }),
        client.query(ask('two.example.test.'), { tcp: true }),
      ]),
    );
    assert.deepEqual(
      held.map((query) => query.message.id),
      [7, 9],
    );
  });

  it('reuses the connection, then closes it after tcpIdleMs without a query', async () => {
    const { network, server, client } = await setup({ tcpIdleMs: 5000 });
    await runUntil(network, client.query(ask('one.example.test.'), { tcp: true }));
    await runFor(network, 4000);
    await runUntil(network, client.query(ask('two.example.test.'), { tcp: true }));
    assert.equal(server.tcpAccepted, 1, 'the second query reused the connection');
    const answeredMs = network.clock.nowMs();
    await runFor(network, 4990);
    assert.equal(server.tcpClosedByClient, 0, 'still open before the idle time is up');
    await runFor(network, 20);
    assert.equal(
      server.tcpClosedByClient,
      1,
      `closed ${network.clock.nowMs() - answeredMs} ms after the last answer`,
    );
    await runUntil(network, client.query(ask('three.example.test.'), { tcp: true }));
    assert.equal(server.tcpAccepted, 2);
    assert.deepEqual(client.counters(), {
      queries: 3,
      tcp: 3,
      'tcp-connections': 2,
      'tcp-idle-closes': 1,
    });
  });

  it('opens a new connection after the server closed the last one', async () => {
    const { network, server, client } = await setup();
    await runUntil(network, client.query(ask('one.example.test.'), { tcp: true }));
    await runUntil(network, server.closeConnections());
    await runFor(network, 10);
    const answer = await runUntil(network, client.query(ask('two.example.test.'), { tcp: true }));
    assert.equal(answer.answers.length, 1);
    assert.equal(server.tcpAccepted, 2);
    assert.equal(client.counters()['tcp-reconnects'], undefined);
  });

  it('retries on a new connection a query the server closed a reused one on (RFC 7766 §6.2.4)', async () => {
    const { network, server, client } = await setup();
    await runUntil(network, client.query(ask('one.example.test.'), { tcp: true }));
    server.handler = (query) => {
      if (server.tcpAccepted === 1) void server.closeConnections();
      else query.reply();
    };
    const answer = await runUntil(network, client.query(ask('two.example.test.'), { tcp: true }));
    assert.equal(answer.questions[0]?.name.toString(), 'two.example.test.');
    assert.equal(server.tcpAccepted, 2);
    assert.deepEqual(client.counters(), {
      queries: 2,
      tcp: 2,
      'tcp-connections': 2,
      'tcp-reconnects': 1,
    });
  });

  it('fails with ECONNREFUSED when every server refuses the connection', async () => {
    const { network, client } = await setup({ server: { tcp: false } });
    const start = network.clock.nowMs();
    await assert.rejects(
      runUntil(network, client.query(ask('one.example.test.'), { tcp: true })),
      (error) => isOasisError(error, 'ECONNREFUSED'),
    );
    assert.ok(network.clock.nowMs() - start < 100, 'a reset needs no timeout');
    assert.deepEqual(client.counters(), {
      queries: 1,
      refused: 2,
      retries: 1,
      tcp: 2,
      'tcp-connections': 2,
    });
  });

  it('fails with ETIMEDOUT when one server refuses and another does not answer', async () => {
    const { network, addHost } = simLan();
    const clientHost = addHost('client', '10.0.0.1');
    const refusing = await TestDnsServer.start(addHost('ns0', '10.0.0.53'), network.clock, {
      tcp: false,
    });
    const silent = await TestDnsServer.start(addHost('ns1', '10.0.0.54'), network.clock);
    silent.handler = () => {};
    const client = new DnsClient({
      udp: clientHost.stack.udp,
      tcp: clientHost.stack.tcp,
      servers: [refusing, silent].map(({ address, port }) => ({ address, port })),
      clock: network.clock,
      sleep: network.clock,
      random: new SeededRandom(7),
      attempts: 1,
    });
    await assert.rejects(
      runUntil(network, client.query(ask('one.example.test.'), { tcp: true })),
      (error) => isOasisError(error, 'ETIMEDOUT'),
    );
    assert.equal(client.counters()['refused'], 1);
    assert.equal(client.counters()['timeouts'], 1);
  });

  it('times out a TCP query the server does not answer, and keeps the connection', async () => {
    const { network, server, client } = await setup({ attempts: 1 });
    server.handler = () => {};
    const start = network.clock.nowMs();
    await assert.rejects(
      runUntil(network, client.query(ask('one.example.test.'), { tcp: true })),
      (error) => isOasisError(error, 'ETIMEDOUT'),
    );
    assert.equal(network.clock.nowMs() - start, 1500);
    server.handler = (query) => query.reply();
    await runUntil(network, client.query(ask('two.example.test.'), { tcp: true }));
    assert.equal(server.tcpAccepted, 1);
  });

  it('closes its connections on close, and fails their queries with ECLOSED', async () => {
    const { network, server, client } = await setup();
    await runUntil(network, client.query(ask('one.example.test.'), { tcp: true }));
    server.handler = () => {};
    const pending = assert.rejects(client.query(ask('two.example.test.'), { tcp: true }), (error) =>
      isOasisError(error, 'ECLOSED'),
    );
    await runFor(network, 10);
    await runUntil(network, client.close());
    await pending;
    await runFor(network, 10);
    assert.equal(server.tcpClosedByClient, 1);
  });
});
