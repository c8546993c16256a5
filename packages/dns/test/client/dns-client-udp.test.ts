// The client over UDP on simulated direct stacks, in virtual time: answers, what must be
// ignored, timeouts and the order of servers, EDNS and its fallback, abort and close.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isOasisError, SeededRandom } from '@oasis/core';
import fc from 'fast-check';
import { DnsClient, type DnsClientOptions } from '../../src/client/dns-client.ts';
import { Rcode, RecordClass, RecordType } from '../../src/wire/constants.ts';
import { type DnsMessage, type DnsQuestion, encodeMessage } from '../../src/wire/message.ts';
import { DnsName } from '../../src/wire/name.ts';
import { runFor, runUntil, simLan } from '../sim-net.ts';
import { TestDnsServer, type TestServerOptions } from './test-server.ts';

const question: DnsQuestion = {
  name: DnsName.of('www.example.test.'),
  type: RecordType.A,
  class: RecordClass.IN,
};

async function setup(
  options: Partial<DnsClientOptions> & { serverCount?: number; server?: TestServerOptions } = {},
) {
  const { network, addHost } = simLan();
  const clientHost = addHost('client', '10.0.0.1');
  const servers: TestDnsServer[] = [];
  for (let i = 0; i < (options.serverCount ?? 1); i++) {
    const host = addHost(`ns${i}`, `10.0.0.${53 + i}`);
    servers.push(await TestDnsServer.start(host, network.clock, options.server));
  }
  const client = new DnsClient({
    udp: clientHost.stack.udp,
    tcp: clientHost.stack.tcp,
    servers: servers.map(({ address, port }) => ({ address, port })),
    clock: network.clock,
    sleep: network.clock,
    random: new SeededRandom(7),
    ...options,
  });
  return { network, clientHost, servers, client };
}

/** The header-only FORMERR of a server that predates EDNS (RFC 6891 §7). */
function bareFormerr(query: DnsMessage): DnsMessage {
  return {
    id: query.id,
    qr: true,
    opcode: 0,
    aa: false,
    tc: false,
    rd: query.rd,
    ra: false,
    z: false,
    ad: false,
    cd: false,
    rcode: Rcode.FORMERR,
    questions: [],
    answers: [],
    authorities: [],
    additionals: [],
  };
}

describe('DnsClient over UDP (simulator)', () => {
  it('sends a recursive query with EDNS 1232 from an ephemeral port and returns the answer', async () => {
    const { network, servers, client } = await setup();
    const answer = await runUntil(network, client.query(question));
    assert.equal(answer.rcode, Rcode.NOERROR);
    assert.deepEqual(answer.answers[0]?.data, { kind: 'A', address: '192.0.2.1' });
    const [received] = servers[0]!.queries;
    assert.equal(received?.transport, 'udp');
    assert.equal(received?.message.rd, true);
    assert.equal(received?.message.cd, false);
    assert.equal(received?.message.edns?.udpPayloadSize, 1232);
    assert.equal(received?.message.edns?.dnssecOk, false);
    assert.ok(received!.from.port >= 49152, `ephemeral port, got ${received!.from.port}`);
    assert.deepEqual(client.counters(), { queries: 1, udp: 1 });
  });

  it('sets RD, CD and DO as asked, and leaves EDNS out with udpPayloadSize 0', async () => {
    const { network, servers, client } = await setup();
    await runUntil(network, client.query(question, { rd: false, cd: true, dnssecOk: true }));
    const plain = await setup({ udpPayloadSize: 0 });
    await runUntil(plain.network, plain.client.query(question));
    const [flagged] = servers[0]!.queries;
    assert.equal(flagged?.message.rd, false);
    assert.equal(flagged?.message.cd, true);
    assert.equal(flagged?.message.edns?.dnssecOk, true);
    assert.equal(plain.servers[0]!.queries[0]?.message.edns, undefined);
    await assert.rejects(plain.client.query(question, { dnssecOk: true }), TypeError);
  });

  it('ignores answers from another port, with another ID or question, queries and garbage', async () => {
    const { network, servers, client } = await setup();
    const [server] = servers;
    const shouted = { ...question, name: DnsName.of('WwW.ExAmPlE.tEsT.') };
    server!.handler = (query) => {
      const { answer } = query;
      query.replyFromOtherPort();
      query.reply({ ...answer, id: answer.id ^ 1 });
      query.reply({
        ...answer,
        questions: [{ ...question, name: DnsName.of('www.example.evil.') }],
      });
      query.reply({ ...answer, questions: [{ ...question, type: RecordType.AAAA }] });
      query.reply({ ...answer, qr: false });
      query.send(Uint8Array.of(1, 2, 3));
      query.reply({ ...answer, questions: [shouted] });
    };
    const answer = await runUntil(network, client.query(question));
    assert.equal(answer.questions[0]?.name.toString(), 'WwW.ExAmPlE.tEsT.');
    assert.deepEqual(client.counters(), { mismatched: 5, queries: 1, udp: 1, undecodable: 1 });
  });

  it('drops random and mutated datagrams and still takes the real answer (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.uint8Array({ maxLength: 80 }),
            fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })),
          ),
          { minLength: 1, maxLength: 6 },
        ),
        async (noise) => {
          const { network, servers, client } = await setup();
          servers[0]!.handler = (query) => {
            const real = encodeMessage(query.answer);
            for (const item of noise) {
              if (item instanceof Uint8Array) {
                query.send(item);
              } else {
                // The real answer with one byte flipped: undecodable, or not ours, or, when the
                // flip lands where matching does not look (a TTL), an answer just as good.
                const [at, mask] = item;
                const mutated = real.slice();
                mutated[at % mutated.length]! ^= mask;
                query.send(mutated);
              }
            }
            query.reply();
          };
          const answer = await runUntil(network, client.query(question));
          assert.equal(answer.questions[0]?.name.equals(question.name), true);
          const counters = client.counters();
          assert.ok((counters['mismatched'] ?? 0) + (counters['undecodable'] ?? 0) <= noise.length);
        },
      ),
      { numRuns: 25, seed: 42 },
    );
  });

  it('moves to the next server after timeoutMs, and starts each query at the first', async () => {
    const { network, servers, client } = await setup({ serverCount: 2 });
    const [silent, second] = servers;
    silent!.handler = () => {};
    const start = network.clock.nowMs();
    await runUntil(network, client.query(question));
    const answeredMs = network.clock.nowMs() - start;
    assert.ok(answeredMs >= 1500 && answeredMs < 1520, `answered after ${answeredMs} ms`);
    assert.equal(second!.queries[0]!.atMs - start >= 1500, true);
    await runUntil(network, client.query(question));
    assert.equal(silent!.queries.length, 2, 'the second query went to the first server first');
    assert.deepEqual(client.counters(), { queries: 2, retries: 2, timeouts: 2, udp: 4 });
  });

  it('fails with ETIMEDOUT after `attempts` rounds, a fresh port and ID for each attempt', async () => {
    const { network, servers, client } = await setup({
      serverCount: 2,
      timeoutMs: 1000,
      attempts: 3,
    });
    for (const server of servers) server.handler = () => {};
    const start = network.clock.nowMs();
    await assert.rejects(runUntil(network, client.query(question)), (error) =>
      isOasisError(error, 'ETIMEDOUT'),
    );
    assert.equal(network.clock.nowMs() - start, 6000);
    const queries = servers.flatMap((server) => server.queries);
    // Server 1 at 0 (+4 ms: ARP, then the query), server 2 at 1000 (+6: its own ARP), then
    // every 1000 ms, alternating: three rounds over two servers.
    assert.deepEqual(
      servers.map((server) => server.queries.map((query) => query.atMs - start)),
      [
        [4, 2002, 4002],
        [1006, 3002, 5002],
      ],
    );
    assert.equal(new Set(queries.map((query) => query.message.id)).size, 6);
    assert.equal(new Set(queries.map((query) => query.from.port)).size, 6);
    assert.deepEqual(client.counters(), { queries: 1, retries: 5, timeouts: 6, udp: 6 });
  });

  it('asks the given servers instead of its own', async () => {
    const { network, servers, client } = await setup({ serverCount: 2 });
    const [own, other] = servers;
    await runUntil(
      network,
      client.query(question, { servers: [{ address: other!.address, port: 53 }] }),
    );
    assert.equal(own!.queries.length, 0);
    assert.equal(other!.queries.length, 1);
  });

  it('retries without EDNS a server that answers FORMERR without OPT (RFC 6891 §7)', async () => {
    const { network, servers, client } = await setup();
    const [old] = servers;
    old!.handler = (query) =>
      query.message.edns === undefined ? query.reply() : query.reply(bareFormerr(query.message));
    const answer = await runUntil(network, client.query(question));
    assert.equal(answer.rcode, Rcode.NOERROR);
    assert.equal(answer.answers.length, 1);
    assert.deepEqual(
      old!.queries.map((query) => query.message.edns !== undefined),
      [true, false],
    );
    assert.deepEqual(client.counters(), { 'edns-fallback': 1, queries: 1, udp: 2 });
  });

  it('returns FORMERR as it is when the server speaks EDNS (its answer has OPT)', async () => {
    const { network, servers, client } = await setup();
    servers[0]!.handler = (query) =>
      query.reply({ ...query.answer, answers: [], rcode: Rcode.FORMERR });
    const answer = await runUntil(network, client.query(question));
    assert.equal(answer.rcode, Rcode.FORMERR);
    assert.equal(servers[0]!.queries.length, 1);
  });

  it('rejects EABORTED when the signal aborts, and closes its socket', async () => {
    const { network, clientHost, servers, client } = await setup();
    const held: ((answer?: DnsMessage) => void)[] = [];
    servers[0]!.handler = (query) => held.push(query.reply);
    const abort = new AbortController();
    network.clock.setTimer(500, () => abort.abort());
    await assert.rejects(
      runUntil(network, client.query(question, { signal: abort.signal })),
      (error) => isOasisError(error, 'EABORTED'),
    );
    assert.equal(network.clock.nowMs(), 500);
    const before = clientHost.stack.drops()['udp.no-socket'] ?? 0;
    held[0]!();
    await runFor(network, 10);
    assert.equal(
      clientHost.stack.drops()['udp.no-socket'],
      before + 1,
      'the late answer found no socket',
    );
    await assert.rejects(client.query(question, { signal: abort.signal }), (error) =>
      isOasisError(error, 'EABORTED'),
    );
  });

  it('rejects queries in flight and later ones with ECLOSED after close', async () => {
    const { network, servers, client } = await setup();
    servers[0]!.handler = () => {};
    const pending = assert.rejects(client.query(question), (error) =>
      isOasisError(error, 'ECLOSED'),
    );
    await runFor(network, 100);
    await runUntil(network, client.close());
    await pending;
    await assert.rejects(client.query(question), (error) => isOasisError(error, 'ECLOSED'));
  });

  it('refuses bad options and queries it cannot send', async () => {
    const { network, addHost } = simLan();
    const clientHost = addHost('client', '10.0.0.1');
    const base = {
      udp: clientHost.stack.udp,
      tcp: clientHost.stack.tcp,
      servers: [],
      clock: network.clock,
      sleep: network.clock,
      random: new SeededRandom(1),
    };
    assert.throws(() => new DnsClient({ ...base, timeoutMs: 0 }), RangeError);
    assert.throws(() => new DnsClient({ ...base, attempts: 0 }), RangeError);
    assert.throws(() => new DnsClient({ ...base, udpPayloadSize: 100 }), RangeError);
    assert.throws(
      () => new DnsClient({ ...base, servers: [{ address: '10.0.0.53', port: 0 }] }),
      RangeError,
    );
    await assert.rejects(new DnsClient(base).query(question), TypeError);
  });
});
