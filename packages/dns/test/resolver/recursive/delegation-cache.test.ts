// DelegationCache: the closest known cut for a name, TTLs, and its bounds.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock, SeededRandom } from '@oasis/core';
import { DelegationCache } from '../../../src/resolver/recursive/delegation-cache.ts';
import { orderServers } from '../../../src/resolver/recursive/server-order.ts';
import { DnsName } from '../../../src/wire/name.ts';

const name = (text: string) => DnsName.of(text);
const hints = [{ name: name('a.root.test.'), addresses: ['10.0.0.10'] }];

function describeCut(cache: DelegationCache, text: string): string {
  const cut = cache.closest(name(text));
  const servers = cut.servers.map((server) => `${server.name}=${server.addresses.join(',')}`);
  return `${cut.zone} ${servers.join(' ')}`;
}

describe('DelegationCache', () => {
  it('starts at the root hints and finds the deepest zone above a name', () => {
    const clock = new ManualClock();
    const cache = new DelegationCache(clock, hints, 10);
    assert.equal(describeCut(cache, 'www.example.com.'), '. a.root.test.=10.0.0.10');
    cache.storeZone(name('com.'), [name('ns.com.')], 3600);
    cache.storeAddresses(name('ns.com.'), ['10.0.0.11'], 3600);
    cache.storeZone(name('example.com.'), [name('ns.example.net.')], 60);
    assert.equal(describeCut(cache, 'www.example.com.'), 'example.com. ns.example.net.=');
    assert.equal(describeCut(cache, 'example.com.'), 'example.com. ns.example.net.=');
    assert.equal(describeCut(cache, 'other.com.'), 'com. ns.com.=10.0.0.11');
    assert.equal(describeCut(cache, 'example.net.'), '. a.root.test.=10.0.0.10');
  });

  it('forgets a zone and an address once their TTL has passed', () => {
    const clock = new ManualClock();
    const cache = new DelegationCache(clock, hints, 10);
    cache.storeZone(name('com.'), [name('ns.com.')], 60);
    cache.storeAddresses(name('ns.com.'), ['10.0.0.11'], 30);
    clock.advance(29_999);
    assert.equal(describeCut(cache, 'example.com.'), 'com. ns.com.=10.0.0.11');
    clock.advance(1);
    assert.equal(describeCut(cache, 'example.com.'), 'com. ns.com.=');
    clock.advance(30_000);
    assert.equal(describeCut(cache, 'example.com.'), '. a.root.test.=10.0.0.10');
  });

  it('keeps nothing with a TTL of zero, reads a TTL with the top bit set as zero, caps at a day', () => {
    const clock = new ManualClock();
    const cache = new DelegationCache(clock, hints, 10);
    cache.storeZone(name('zero.'), [name('ns.zero.')], 0);
    cache.storeZone(name('high.'), [name('ns.high.')], 0x8000_0000);
    cache.storeZone(name('long.'), [name('ns.long.')], 0x7fff_ffff);
    assert.equal(cache.closest(name('zero.')).zone.isRoot, true);
    assert.equal(cache.closest(name('high.')).zone.isRoot, true);
    clock.advance(86_400_000 - 1);
    assert.equal(cache.closest(name('long.')).zone.toString(), 'long.');
    clock.advance(1);
    assert.equal(cache.closest(name('long.')).zone.isRoot, true);
  });

  it('evicts the least recently used zone beyond its bound', () => {
    const clock = new ManualClock();
    const cache = new DelegationCache(clock, hints, 2);
    cache.storeZone(name('a.'), [name('ns.a.')], 60);
    cache.storeZone(name('b.'), [name('ns.b.')], 60);
    cache.closest(name('x.a.'));
    cache.storeZone(name('c.'), [name('ns.c.')], 60);
    assert.equal(cache.closest(name('a.')).zone.toString(), 'a.');
    assert.equal(cache.closest(name('b.')).zone.isRoot, true);
    assert.equal(cache.closest(name('c.')).zone.toString(), 'c.');
    assert.deepEqual(cache.counters(), {
      'delegations.zones': 2,
      'delegations.hosts': 0,
      'delegations.evictions': 1,
    });
  });
});

describe('orderServers', () => {
  it('puts servers with addresses first, in an order drawn from the random source', () => {
    const servers = ['a', 'b', 'c', 'd', 'e'].map((label, i) => ({
      name: name(`ns-${label}.test.`),
      addresses: i % 2 === 0 ? [`10.0.0.${i}`] : [],
    }));
    const orders = new Set<string>();
    const random = new SeededRandom(3);
    for (let round = 0; round < 50; round++) {
      const ordered = orderServers(servers, random);
      assert.deepEqual(
        ordered.map((server) => server.addresses.length > 0),
        [true, true, true, false, false],
      );
      assert.deepEqual(new Set(ordered), new Set(servers));
      orders.add(ordered.map((server) => server.name.toString()).join(' '));
    }
    assert.ok(orders.size > 1);
  });
});
