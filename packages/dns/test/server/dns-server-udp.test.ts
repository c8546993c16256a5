import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex, OasisError } from '@oasis/core';
import type { UdpStack } from '@oasis/runtime';
import fc from 'fast-check';
import { Rcode } from '../../src/wire/constants.ts';
import { defaultEdns } from '../../src/wire/edns.ts';
import { encodeMessage } from '../../src/wire/message.ts';
import {
  answerEverything,
  answerWith,
  aQuery,
  aQueryBytes,
  aRecord,
  decoded,
  manyRrsets,
  simServer,
  udpExchange,
} from './server-harness.ts';

// dig's query for example.com A without EDNS, with a compression pointer to itself in place of
// the name: decoding stops at the pointer (RFC 1035 §4.1.4 pointers go backwards).
const SELF_POINTER = fromHex(`
  4d2e 0100 0001 0000 0000 0000   # id 0x4d2e, RD, 1 question
  c00c                            # a pointer to offset 12, itself
  0001 0001                       # A IN
`);

describe('DNS server over UDP', () => {
  it('answers a query', async () => {
    const setup = await simServer(answerEverything);
    const [reply, ...more] = await udpExchange(setup, [aQueryBytes(0x1234, 'example.com.')]);
    assert.equal(more.length, 0);
    const answer = decoded(reply!);
    assert.equal(answer.id, 0x1234);
    assert.equal(answer.qr, true);
    assert.equal(answer.answers[0]?.name.toString(), 'example.com.');
    assert.equal(setup.server.udpPort, 53);
    assert.equal(setup.server.tcpPort, 53);
    assert.deepEqual(setup.server.counters(), { answers: 1, 'queries.udp': 1 });
    await setup.server.close();
  });

  it('answers FORMERR to garbage with a header, and nothing to shorter garbage or responses', async () => {
    const setup = await simServer(answerEverything);
    const response = encodeMessage({ ...aQuery(5, 'example.com.'), qr: true });
    const replies = await udpExchange(setup, [SELF_POINTER, fromHex('4d2e 0100 0001'), response]);
    assert.equal(replies.length, 1);
    const answer = decoded(replies[0]!);
    assert.equal(answer.id, 0x4d2e);
    assert.equal(answer.rcode, Rcode.FORMERR);
    assert.equal(answer.questions.length, 0);
    const counters = setup.server.counters();
    assert.equal(counters['dns.bad-pointer'], 1);
    assert.equal(counters['formerr'], 1);
    assert.equal(counters['dropped.short'], 1);
    assert.equal(counters['dropped.response'], 1);
    assert.equal(counters['queries.udp'], 3);
  });

  it('answers FORMERR to no question or two, and BADVERS to EDNS version 1', async () => {
    const setup = await simServer(answerEverything);
    const query = aQuery(8, 'example.com.');
    const badVersion = aQuery(9, 'example.com.', { edns: { ...defaultEdns(1232), version: 1 } });
    const replies = await udpExchange(setup, [
      encodeMessage({ ...query, questions: [] }),
      encodeMessage({ ...query, id: 10, questions: [query.questions[0]!, query.questions[0]!] }),
      encodeMessage(badVersion),
    ]);
    const answers = replies.map(decoded).sort((a, b) => a.id - b.id);
    assert.deepEqual(
      answers.map((answer) => [answer.id, answer.rcode]),
      [
        [8, Rcode.FORMERR],
        [9, Rcode.BADVERS],
        [10, Rcode.FORMERR],
      ],
    );
    assert.equal(answers[1]?.edns?.version, 0);
  });

  it('truncates at 512 without EDNS, at the offered size with it, and at its own limit', async () => {
    const setup = await simServer((query) => answerWith(query, manyRrsets('example.com.', 200)), {
      maxUdpPayload: 1400,
    });
    const replies = await udpExchange(setup, [
      aQueryBytes(1, 'example.com.'),
      aQueryBytes(2, 'example.com.', { edns: defaultEdns(1000) }),
      aQueryBytes(3, 'example.com.', { edns: defaultEdns(4096) }),
    ]);
    const byId = new Map(replies.map((bytes) => [decoded(bytes).id, bytes]));
    for (const [id, limit] of [
      [1, 512],
      [2, 1000],
      [3, 1400],
    ] as const) {
      const bytes = byId.get(id)!;
      const answer = decoded(bytes);
      assert.ok(
        bytes.length <= limit && bytes.length > limit - 40,
        `${bytes.length} bytes for a limit of ${limit}`,
      );
      assert.equal(answer.tc, true);
      assert.ok(answer.answers.length > 0 && answer.answers.length < 200);
    }
    assert.equal(setup.server.counters()['truncated'], 3);
  });

  it('answers SERVFAIL while the handler throws and keeps answering', async () => {
    let failing = true;
    const setup = await simServer((query) => {
      if (failing) throw new Error('the zone is not loaded');
      return answerWith(query, [aRecord('example.com.', '192.0.2.1')]);
    });
    const [failed] = await udpExchange(setup, [aQueryBytes(1, 'example.com.')]);
    assert.equal(decoded(failed!).rcode, Rcode.SERVFAIL);
    failing = false;
    const [answered] = await udpExchange(setup, [aQueryBytes(2, 'example.com.')]);
    assert.equal(decoded(answered!).rcode, Rcode.NOERROR);
    assert.equal(decoded(answered!).answers.length, 1);
    assert.equal(setup.server.counters()['handler.error'], 1);
    const warnings = setup.log.records.filter((record) => record.level === 'warn');
    assert.equal(warnings.length, 1);
  });

  it('counts answers the stack refuses to send and goes on', async () => {
    let refuse = true;
    const refusing = (udp: UdpStack): UdpStack => ({
      bind: async (options) => {
        const socket = await udp.bind(options);
        return {
          local: socket.local,
          send: (data, to) => {
            if (refuse) throw new OasisError('ENETUNREACH', 'no route');
            socket.send(data, to);
          },
          onMessage: (handler) => socket.onMessage(handler),
          close: () => socket.close(),
        };
      },
    });
    const setup = await simServer(answerEverything, { wrapUdp: refusing });
    assert.deepEqual(await udpExchange(setup, [aQueryBytes(1, 'example.com.')]), []);
    assert.equal(setup.server.counters()['udp.send-error'], 1);
    refuse = false;
    const [answered] = await udpExchange(setup, [aQueryBytes(2, 'example.com.')]);
    assert.equal(decoded(answered!).id, 2);
  });

  it('survives random datagrams and still answers a good query after them', async () => {
    const setup = await simServer(answerEverything);
    let round = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.uint8Array({ maxLength: 700 }),
            // A query header (QR clear, one question) before the noise, to reach the decoder's depths.
            fc
              .uint8Array({ maxLength: 300 })
              .map((noise) => Uint8Array.of(0, 7, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1, ...noise)),
          ),
          { minLength: 1, maxLength: 8 },
        ),
        async (datagrams) => {
          round += 1;
          const id = 0x8000 + (round & 0x7fff);
          const replies = await udpExchange(
            setup,
            [...datagrams, aQueryBytes(id, 'still.example.')],
            50,
          );
          const answers = replies.map(decoded);
          assert.ok(answers.every((answer) => answer.qr));
          const good = answers.find((answer) => answer.id === id && answer.rcode === Rcode.NOERROR);
          assert.equal(good?.answers[0]?.name.toString(), 'still.example.');
        },
      ),
      { numRuns: 100 },
    );
    const counters = setup.server.counters();
    assert.ok((counters['queries.udp'] ?? 0) > 200);
    assert.equal(counters['handler.error'] ?? 0, 0);
  });
});
