import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Counters, createLogger, fromHex, ManualClock, MemorySink } from '@oasis/core';
import fc from 'fast-check';
import type { DnsQueryHandler } from '../../src/server/query-handler.ts';
import { DnsResponder, type EncodedReply } from '../../src/server/query-responder.ts';
import { Rcode } from '../../src/wire/constants.ts';
import { DnsWriter } from '../../src/wire/dns-writer.ts';
import { defaultEdns } from '../../src/wire/edns.ts';
import { type DnsMessage, encodeMessage } from '../../src/wire/message.ts';
import {
  answerEverything,
  answerWith,
  aQuery,
  aQueryBytes,
  aRecord,
  decoded,
  manyRrsets,
} from './server-harness.ts';

const CLIENT = { address: '192.0.2.9', port: 4242 };

function setUp(handler: DnsQueryHandler, transport: 'udp' | 'tcp' = 'udp', maxUdpPayload = 1232) {
  const counters = new Counters();
  const log = new MemorySink();
  const responder = new DnsResponder({
    transport,
    handler,
    counters,
    logger: createLogger({ source: 'dns', sink: log, clock: new ManualClock() }),
    writer: new DnsWriter(),
    maxUdpPayload,
  });
  const replies: EncodedReply[] = [];
  const sink = { deliver: (reply: EncodedReply) => replies.push(reply) };
  /** Receives `bytes` and returns what was delivered synchronously. */
  const receive = (bytes: Uint8Array): EncodedReply[] => {
    const before = replies.length;
    responder.receive(bytes, CLIENT, sink);
    return replies.slice(before);
  };
  return { counters, log, receive, replies };
}

function single(replies: readonly EncodedReply[]): DnsMessage {
  assert.equal(replies.length, 1, 'one delivery');
  const reply = replies[0];
  assert.ok(reply instanceof Uint8Array, 'one encoded message');
  return decoded(reply);
}

// A query whose question name is cut short.
const CUT_QUERY = fromHex(`
  beef 0100 0001 0000 0000 0000   # id 0xbeef, RD, 1 question
  07 6578616d706c65               # "example"
  03 636f                         # a label of 3 bytes with only 2 present
`);

describe('DnsResponder', () => {
  it('answers a query synchronously when the handler does', () => {
    const { receive, counters } = setUp(answerEverything);
    const answer = single(receive(aQueryBytes(7, 'example.com.')));
    assert.equal(answer.id, 7);
    assert.equal(answer.qr, true);
    assert.equal(answer.answers[0]?.name.toString(), 'example.com.');
    assert.equal(counters.get('queries.udp'), 1);
    assert.equal(counters.get('answers'), 1);
  });

  it('gives the handler the transport, the client and the answer limit', () => {
    const seen: unknown[] = [];
    const { receive } = setUp(
      (query, context) => {
        seen.push(context);
        return answerWith(query, []);
      },
      'udp',
      1400,
    );
    receive(aQueryBytes(1, 'a.example.'));
    receive(aQueryBytes(2, 'a.example.', { edns: defaultEdns(100) }));
    receive(aQueryBytes(3, 'a.example.', { edns: defaultEdns(1300) }));
    receive(aQueryBytes(4, 'a.example.', { edns: defaultEdns(4096) }));
    assert.deepEqual(
      seen.map((context) => (context as { maxAnswerLength: number }).maxAnswerLength),
      [512, 512, 1300, 1400],
    );
    assert.deepEqual(seen[0], { transport: 'udp', client: CLIENT, maxAnswerLength: 512 });
    const tcp = setUp((query, context) => {
      seen.push(context);
      return answerWith(query, []);
    }, 'tcp');
    tcp.receive(aQueryBytes(5, 'a.example.'));
    assert.deepEqual(seen[4], { transport: 'tcp', client: CLIENT, maxAnswerLength: 65_535 });
  });

  it('answers FORMERR to a query that does not decode, copying ID and opcode', () => {
    const { receive, counters } = setUp(answerEverything);
    const answer = single(receive(CUT_QUERY));
    assert.equal(answer.id, 0xbeef);
    assert.equal(answer.qr, true);
    assert.equal(answer.opcode, 0);
    assert.equal(answer.rcode, Rcode.FORMERR);
    assert.equal(answer.questions.length + answer.answers.length + answer.additionals.length, 0);
    assert.equal(answer.edns, undefined);
    assert.equal(counters.get('dns.truncated'), 1);
    assert.equal(counters.get('formerr'), 1);
  });

  it('drops what is shorter than a header, and responses', () => {
    const { receive, counters } = setUp(() => assert.fail('the handler must not run'));
    assert.deepEqual(receive(fromHex('beef 0100 0001 0000 00')), [undefined]);
    assert.deepEqual(receive(new Uint8Array(0)), [undefined]);
    const response = encodeMessage({ ...aQuery(9, 'example.com.'), qr: true });
    assert.deepEqual(receive(response), [undefined]);
    // A response that does not decode is not answered either.
    const cutResponse = CUT_QUERY.slice();
    cutResponse[2] = 0x81; // QR and RD
    assert.deepEqual(receive(cutResponse), [undefined]);
    assert.equal(counters.get('dropped.short'), 2);
    assert.equal(counters.get('dropped.response'), 2);
    assert.equal(counters.get('dns.truncated'), 1);
    assert.equal(counters.get('answers'), 0);
  });

  it('answers FORMERR to a QUERY with no question or two (RFC 9619)', () => {
    const { receive, counters } = setUp(() => assert.fail('the handler must not run'));
    const query = aQuery(11, 'example.com.');
    for (const questions of [[], [query.questions[0]!, query.questions[0]!]]) {
      const answer = single(receive(encodeMessage({ ...query, questions })));
      assert.equal(answer.id, 11);
      assert.equal(answer.rcode, Rcode.FORMERR);
      assert.equal(answer.rd, true);
      assert.equal(answer.questions.length, 0);
    }
    assert.equal(counters.get('formerr'), 2);
  });

  it('passes other opcodes with any number of questions to the handler', () => {
    const { receive } = setUp((query) => answerWith(query, []));
    const notify = { ...aQuery(12, 'example.com.'), opcode: 4, questions: [] };
    const answer = single(receive(encodeMessage(notify)));
    assert.equal(answer.rcode, Rcode.NOERROR);
    assert.equal(answer.opcode, 4);
  });

  it('answers BADVERS with an OPT of version 0 to EDNS versions above 0 (RFC 6891 §6.1.3)', () => {
    const { receive, counters } = setUp(() => assert.fail('the handler must not run'), 'udp', 1232);
    const query = aQuery(13, 'example.com.', { edns: { ...defaultEdns(4096), version: 1 } });
    const answer = single(receive(encodeMessage(query)));
    assert.equal(answer.rcode, Rcode.BADVERS);
    assert.equal(answer.edns?.version, 0);
    assert.equal(answer.edns?.udpPayloadSize, 1232);
    assert.equal(answer.questions[0]?.name.toString(), 'example.com.');
    assert.equal(counters.get('badvers'), 1);
  });

  it('strips EDNS from answers to queries without it (RFC 6891 §7) and keeps it otherwise', () => {
    const { receive } = setUp((query) => ({ ...answerWith(query, []), edns: defaultEdns(1232) }));
    assert.equal(single(receive(aQueryBytes(14, 'example.com.'))).edns, undefined);
    const withEdns = aQueryBytes(15, 'example.com.', { edns: defaultEdns(1232) });
    assert.equal(single(receive(withEdns)).edns?.udpPayloadSize, 1232);
  });

  it('truncates to the limit and counts it; an answer that already has TC is not counted', () => {
    const { receive, counters } = setUp((query) =>
      query.id === 1
        ? answerWith(query, manyRrsets('example.com.', 100))
        : { ...answerWith(query, []), tc: true },
    );
    const bytes = receive(aQueryBytes(1, 'example.com.'))[0] as Uint8Array;
    assert.ok(bytes.length <= 512);
    assert.equal(decoded(bytes).tc, true);
    assert.equal(decoded(bytes).answers.length > 0, true);
    assert.equal(single(receive(aQueryBytes(2, 'example.com.'))).tc, true);
    assert.equal(counters.get('truncated'), 1);
  });

  it('answers SERVFAIL when the handler throws, rejects or answers what cannot be encoded', async () => {
    let calls = 0;
    const { receive, counters, log, replies } = setUp((query) => {
      calls += 1;
      if (query.id === 1) throw new Error('boom');
      if (query.id === 2) return Promise.reject(new Error('later boom'));
      // RCODE 16 needs EDNS, which the query did not have.
      return { ...answerWith(query, []), rcode: Rcode.BADVERS, edns: defaultEdns(512) };
    });
    const thrown = single(receive(aQueryBytes(1, 'example.com.', { edns: defaultEdns(1232) })));
    assert.equal(thrown.rcode, Rcode.SERVFAIL);
    assert.equal(thrown.edns?.version, 0, 'an OPT answers an OPT');
    assert.equal(thrown.questions[0]?.name.toString(), 'example.com.');
    assert.deepEqual(receive(aQueryBytes(2, 'example.com.')), [], 'delivered later');
    await Promise.resolve();
    await Promise.resolve();
    assert.equal(single(replies.slice(-1)).rcode, Rcode.SERVFAIL);
    assert.equal(single(receive(aQueryBytes(3, 'example.com.'))).rcode, Rcode.SERVFAIL);
    assert.equal(calls, 3);
    assert.equal(counters.get('handler.error'), 3);
    assert.equal(counters.get('servfail'), 3);
    const warnings = log.records.filter((record) => record.level === 'warn');
    assert.equal(warnings.length, 3, 'one warning per failure');
    assert.equal(warnings[0]?.fields?.['name'], 'example.com.');
  });

  it('delivers the answer of an asynchronous handler when it resolves', async () => {
    let resolve: ((answer: DnsMessage) => void) | undefined;
    const { receive, replies } = setUp((query) =>
      new Promise<DnsMessage>((done) => {
        resolve = (answer) => done(answer);
      }).then((answer) => answerWith(query, answer.answers)),
    );
    assert.deepEqual(receive(aQueryBytes(21, 'example.com.')), []);
    resolve!(answerWith(aQuery(0, 'x.'), [aRecord('example.com.', '192.0.2.7')]));
    await new Promise((done) => setImmediate(done));
    const answer = single(replies);
    assert.equal(answer.id, 21);
    assert.equal(answer.answers[0]?.name.toString(), 'example.com.');
  });

  it('drops the query when the handler has no answer', () => {
    const { receive, counters } = setUp(() => undefined);
    assert.deepEqual(receive(aQueryBytes(1, 'example.com.')), [undefined]);
    const empty = setUp(() => []);
    assert.deepEqual(empty.receive(aQueryBytes(1, 'example.com.')), [undefined]);
    assert.equal(counters.get('dropped.no-answer'), 1);
  });

  it('refuses several messages over UDP and encodes them one by one over TCP', () => {
    const several: DnsQueryHandler = (query) => [
      answerWith(query, [aRecord('a.example.', '192.0.2.1')]),
      answerWith(query, [aRecord('b.example.', '192.0.2.2')]),
    ];
    const udp = setUp(several);
    assert.equal(single(udp.receive(aQueryBytes(1, 'example.'))).rcode, Rcode.SERVFAIL);
    assert.equal(udp.counters.get('handler.error'), 1);

    const tcp = setUp(several, 'tcp');
    const [reply] = tcp.receive(aQueryBytes(2, 'example.'));
    assert.ok(reply !== undefined && !(reply instanceof Uint8Array));
    assert.equal(tcp.counters.get('answers'), 0, 'nothing is encoded before it is iterated');
    const names = [...reply].map((bytes) => decoded(bytes).answers[0]?.name.toString());
    assert.deepEqual(names, ['a.example.', 'b.example.']);
    assert.equal(tcp.counters.get('answers'), 2);
  });

  it('ends a transfer with SERVFAIL at the first message that cannot be encoded', () => {
    const tcp = setUp(
      (query) => [
        answerWith(query, [aRecord('a.example.', '192.0.2.1')]),
        { ...answerWith(query, []), rcode: 99 },
        answerWith(query, [aRecord('c.example.', '192.0.2.3')]),
      ],
      'tcp',
    );
    const [reply] = tcp.receive(aQueryBytes(3, 'example.'));
    assert.ok(reply !== undefined && !(reply instanceof Uint8Array));
    const rcodes = [...reply].map((bytes) => decoded(bytes).rcode);
    assert.deepEqual(rcodes, [Rcode.NOERROR, Rcode.SERVFAIL]);
    assert.equal(tcp.counters.get('handler.error'), 1);
  });

  it('never throws on random or mutated input and delivers exactly once per message', () => {
    const { receive } = setUp(answerEverything);
    const good = aQueryBytes(0x1234, 'www.example.com.', { edns: defaultEdns(1232) });
    const mutated = fc
      .array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 6 })
      .map((edits) => {
        const bytes = good.slice();
        for (const [at, value] of edits) bytes[at] = value;
        return bytes;
      });
    const headerThenNoise = fc
      .uint8Array({ maxLength: 300 })
      .map((noise) =>
        Uint8Array.of(0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 1, ...noise),
      );
    fc.assert(
      fc.property(
        fc.oneof(fc.uint8Array({ maxLength: 600 }), mutated, headerThenNoise),
        (bytes) => {
          const replies = receive(bytes);
          assert.equal(replies.length, 1);
          const reply = replies[0];
          if (reply instanceof Uint8Array) assert.equal(decoded(reply).qr, true);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
