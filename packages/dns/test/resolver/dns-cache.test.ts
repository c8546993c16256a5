import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '@oasis/core';
import { DnsCache } from '../../src/resolver/dns-cache.ts';
import { Rcode, RecordType } from '../../src/wire/constants.ts';
import type { DnsQuestion, DnsRecord } from '../../src/wire/message.ts';
import { DnsName } from '../../src/wire/name.ts';

const question = (name: string, type: number = RecordType.A): DnsQuestion => ({
  name: DnsName.of(name),
  type,
  class: 1,
});

const a = (name: string, ttl: number): DnsRecord => ({
  name: DnsName.of(name),
  type: RecordType.A,
  class: 1,
  ttl,
  data: { kind: 'A', address: '192.0.2.1' },
});

const soa = (ttl: number, minimum: number): DnsRecord => ({
  name: DnsName.of('example.'),
  type: RecordType.SOA,
  class: 1,
  ttl,
  data: {
    kind: 'SOA',
    mname: DnsName.of('ns.example.'),
    rname: DnsName.of('h.example.'),
    serial: 1,
    refresh: 2,
    retry: 3,
    expire: 4,
    minimum,
  },
});

describe('DnsCache', () => {
  it('keeps an answer for its smallest TTL and counts the TTLs down', () => {
    const clock = new ManualClock();
    const cache = new DnsCache(clock);
    cache.put(question('www.example.'), {
      rcode: Rcode.NOERROR,
      answers: [a('www.example.', 300), a('www.example.', 100)],
      authorities: [],
    });
    clock.advance(40_500);
    const hit = cache.get(question('WWW.example.'));
    assert.deepEqual(
      hit?.answers.map((record) => record.ttl),
      [60, 60],
    );
    clock.advance(59_500);
    assert.equal(cache.get(question('www.example.')), undefined, 'expired after 100 s');
    assert.deepEqual(cache.counters(), {
      'cache.entries': 0,
      'cache.hits': 1,
      'cache.misses': 1,
      'cache.evictions': 0,
    });
  });

  it('bounds TTLs: maxTtl, minTtl, and top-bit TTLs read as 0 (RFC 2181 §8)', () => {
    const clock = new ManualClock();
    const cache = new DnsCache(clock, { maxTtl: 60, minTtl: 5 });
    cache.put(question('long.example.'), {
      rcode: 0,
      answers: [a('long.example.', 86_400)],
      authorities: [],
    });
    cache.put(question('short.example.'), {
      rcode: 0,
      answers: [a('short.example.', 1)],
      authorities: [],
    });
    cache.put(question('huge.example.'), {
      rcode: 0,
      answers: [a('huge.example.', 0x8000_0000)],
      authorities: [],
    });
    clock.advance(4_000);
    assert.ok(cache.get(question('short.example.')) !== undefined, 'kept for minTtl');
    // Kept past its own TTL, the record is handed out with TTL 0: clients do not cache it further.
    assert.equal(cache.get(question('short.example.'))?.answers[0]?.ttl, 0);
    clock.advance(56_500);
    assert.equal(cache.get(question('long.example.')), undefined, 'gone after maxTtl');
    assert.equal(cache.get(question('huge.example.')), undefined);
  });

  it('caches negative answers for the SOA negative TTL, not without an SOA (RFC 2308 §5)', () => {
    const clock = new ManualClock();
    const cache = new DnsCache(clock, { maxNegativeTtl: 900 });
    cache.put(question('nx.example.'), {
      rcode: Rcode.NXDOMAIN,
      answers: [],
      authorities: [soa(3600, 300)],
    });
    cache.put(question('nodata.example.', RecordType.MX), {
      rcode: 0,
      answers: [],
      authorities: [soa(120, 3600)],
    });
    cache.put(question('bare.example.'), { rcode: Rcode.NXDOMAIN, answers: [], authorities: [] });
    cache.put(question('fail.example.'), { rcode: Rcode.SERVFAIL, answers: [], authorities: [] });
    clock.advance(119_000);
    assert.equal(cache.get(question('nx.example.'))?.rcode, Rcode.NXDOMAIN);
    assert.equal(cache.get(question('nodata.example.', RecordType.MX))?.answers.length, 0);
    assert.equal(cache.get(question('bare.example.')), undefined);
    assert.equal(cache.get(question('fail.example.')), undefined);
    clock.advance(2_000);
    assert.equal(
      cache.get(question('nodata.example.', RecordType.MX)),
      undefined,
      'min(SOA TTL, MINIMUM)',
    );
    clock.advance(180_000);
    assert.equal(cache.get(question('nx.example.')), undefined);
  });

  it('evicts the least recently used entry beyond maxEntries', () => {
    const clock = new ManualClock();
    const cache = new DnsCache(clock, { maxEntries: 2 });
    const put = (name: string): void =>
      cache.put(question(name), { rcode: 0, answers: [a(name, 60)], authorities: [] });
    put('one.example.');
    put('two.example.');
    assert.ok(cache.get(question('one.example.')) !== undefined);
    put('three.example.');
    assert.equal(cache.size, 2);
    assert.equal(cache.get(question('two.example.')), undefined, 'two was least recently used');
    assert.ok(cache.get(question('one.example.')) !== undefined);
    assert.equal(cache.counters()['cache.evictions'], 1);
  });
});
