import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger, ManualClock, MemorySink, OasisError } from '@oasis/core';
import { relevantAnswer } from '../../src/resolver/answer-chain.ts';
import { DnsCache, type ResolvedAnswer } from '../../src/resolver/dns-cache.ts';
import { BlockedNames } from '../../src/resolver/local-names/blocklist.ts';
import { LocalHosts } from '../../src/resolver/local-names/hosts-file.ts';
import { Resolver } from '../../src/resolver/resolver.ts';
import type { Upstream } from '../../src/resolver/upstream.ts';
import { EdnsOptionCode, Rcode, RecordType } from '../../src/wire/constants.ts';
import { defaultEdns, readExtendedError } from '../../src/wire/edns.ts';
import {
  type DnsMessage,
  type DnsQuestion,
  type DnsRecord,
  makeQuery,
} from '../../src/wire/message.ts';
import { DnsName } from '../../src/wire/name.ts';

function record(name: string, type: number, data: DnsRecord['data'], ttl = 300): DnsRecord {
  return { name: DnsName.of(name), type, class: 1, ttl, data };
}

/** An upstream that answers from a table, counting what it is asked, and fails names it lacks. */
class TableUpstream implements Upstream {
  readonly asked: string[] = [];
  readonly #answers: ReadonlyMap<string, ResolvedAnswer>;
  release: () => void = () => {};
  #gate: Promise<void> = Promise.resolve();

  constructor(answers: Record<string, ResolvedAnswer>) {
    this.#answers = new Map(Object.entries(answers));
  }

  hold(): void {
    this.#gate = new Promise((resolve) => {
      this.release = resolve;
    });
  }

  async resolve(question: DnsQuestion): Promise<ResolvedAnswer> {
    this.asked.push(question.name.key);
    await this.#gate;
    const answer = this.#answers.get(question.name.key);
    if (answer === undefined) throw new OasisError('ETIMEDOUT', 'no upstream answered');
    return answer;
  }

  counters() {
    return {};
  }

  async close() {}
}

function setup(upstream: Upstream, mode: 'null' | 'nxdomain' = 'null') {
  const clock = new ManualClock();
  const hosts = new LocalHosts([
    { name: DnsName.of('printer.lan.'), address: '192.168.1.5', family: 4 },
  ]);
  const blocked = new BlockedNames([[DnsName.of('ads.example.')]]);
  return new Resolver({
    upstream,
    cache: new DnsCache(clock),
    hosts: () => hosts,
    blocked: () => blocked,
    blockMode: mode,
    logger: createLogger({ source: 'test', sink: new MemorySink(), clock }),
  });
}

const query = (name: string, type: number = RecordType.A, edns = false): DnsMessage =>
  makeQuery(7, { name: DnsName.of(name), type, class: 1 }, edns ? { edns: defaultEdns(1232) } : {});

const WWW: ResolvedAnswer = {
  rcode: Rcode.NOERROR,
  answers: [record('www.example.', RecordType.A, { kind: 'A', address: '192.0.2.80' })],
  authorities: [],
};

describe('Resolver', () => {
  it('answers hosts names itself, then blocked names, before asking upstream', async () => {
    const upstream = new TableUpstream({ 'www.example.': WWW });
    const resolver = setup(upstream);
    const local = await resolver.answer(query('printer.lan.'));
    assert.deepEqual(
      local.answers.map((r) => r.data),
      [{ kind: 'A', address: '192.168.1.5' }],
    );
    assert.equal(local.ra, true);
    const blocked = await resolver.answer(query('x.ads.example.', RecordType.A, true));
    assert.deepEqual(
      blocked.answers.map((r) => r.data),
      [{ kind: 'A', address: '0.0.0.0' }],
    );
    const ede = blocked.edns?.options.find((o) => o.code === EdnsOptionCode.EXTENDED_ERROR);
    assert.equal(ede === undefined ? undefined : readExtendedError(ede)?.infoCode, 15);
    const blocked6 = await resolver.answer(query('ads.example.', RecordType.AAAA));
    assert.deepEqual(
      blocked6.answers.map((r) => r.data),
      [{ kind: 'AAAA', address: '::' }],
    );
    assert.deepEqual(upstream.asked, []);
    assert.equal(resolver.counters()['resolver.blocked'], 2);
    assert.equal(resolver.counters()['resolver.local'], 1);
  });

  it('answers NXDOMAIN for blocked names in nxdomain mode', async () => {
    const answer = await setup(new TableUpstream({}), 'nxdomain').answer(query('ads.example.'));
    assert.equal(answer.rcode, Rcode.NXDOMAIN);
  });

  it('caches upstream answers and answers hits synchronously', async () => {
    const upstream = new TableUpstream({ 'www.example.': WWW });
    const resolver = setup(upstream);
    const first = resolver.answer(query('www.example.'));
    assert.ok(first instanceof Promise);
    assert.equal((await first).answers.length, 1);
    const second = resolver.answer(query('WWW.example.'));
    assert.ok(!(second instanceof Promise), 'a cache hit needs no promise');
    assert.equal(second.answers[0]?.data.kind, 'A');
    assert.deepEqual(upstream.asked, ['www.example.']);
  });

  it('shares one upstream query among identical questions in flight', async () => {
    const upstream = new TableUpstream({ 'www.example.': WWW });
    upstream.hold();
    const resolver = setup(upstream);
    const answers = [
      resolver.answer(query('www.example.')),
      resolver.answer(query('www.example.')),
    ];
    upstream.release();
    for (const answer of await Promise.all(answers)) assert.equal(answer.answers.length, 1);
    assert.deepEqual(upstream.asked, ['www.example.']);
    assert.equal(resolver.counters()['resolver.coalesced'], 1);
  });

  it('answers SERVFAIL with an extended error when no upstream answers, and refuses transfers', async () => {
    const resolver = setup(new TableUpstream({}));
    const failed = await resolver.answer(query('gone.example.', RecordType.A, true));
    assert.equal(failed.rcode, Rcode.SERVFAIL);
    const ede = failed.edns?.options.find((o) => o.code === EdnsOptionCode.EXTENDED_ERROR);
    assert.equal(ede === undefined ? undefined : readExtendedError(ede)?.infoCode, 22);
    const axfr = await resolver.answer(query('example.', RecordType.AXFR));
    assert.equal(axfr.rcode, Rcode.REFUSED);
  });
});

describe('relevantAnswer', () => {
  const response = (
    answers: DnsRecord[],
    authorities: DnsRecord[] = [],
    rcode = 0,
  ): DnsMessage => ({
    ...query('www.example.'),
    qr: true,
    rcode,
    answers,
    authorities,
  });

  it('keeps the CNAME chain and the records asked for, and drops unrelated records', () => {
    const kept = relevantAnswer(
      { name: DnsName.of('www.example.'), type: RecordType.A, class: 1 },
      response([
        record('www.example.', RecordType.CNAME, {
          kind: 'CNAME',
          target: DnsName.of('cdn.example.net.'),
        }),
        record('bank.example.', RecordType.A, { kind: 'A', address: '203.0.113.66' }),
        record('cdn.example.net.', RecordType.A, { kind: 'A', address: '192.0.2.9' }),
      ]),
    );
    assert.deepEqual(
      kept.answers.map((r) => r.name.toString()),
      ['www.example.', 'cdn.example.net.'],
    );
  });

  it('keeps the SOA of a negative answer only if it is above the name, and respects the bailiwick', () => {
    const soa = (owner: string): DnsRecord =>
      record(owner, RecordType.SOA, {
        kind: 'SOA',
        mname: DnsName.of('ns.example.'),
        rname: DnsName.of('h.example.'),
        serial: 1,
        refresh: 1,
        retry: 1,
        expire: 1,
        minimum: 60,
      });
    const question = { name: DnsName.of('nx.example.'), type: RecordType.A, class: 1 };
    const negative = relevantAnswer(
      question,
      response([], [soa('example.'), soa('other.')], Rcode.NXDOMAIN),
    );
    assert.deepEqual(
      negative.authorities.map((r) => r.name.toString()),
      ['example.'],
    );
    const outOfBailiwick = relevantAnswer(
      question,
      response([record('nx.example.', RecordType.A, { kind: 'A', address: '192.0.2.1' })]),
      DnsName.of('other.'),
    );
    assert.deepEqual(outOfBailiwick.answers, []);
  });
});
