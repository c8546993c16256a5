// The recursive resolver against a hierarchy of our own authoritative servers on the simulator:
// answers, negative answers, aliases across zones, QNAME minimisation as the servers see it,
// what a server outside its bailiwick cannot make the resolver believe, failover, the
// delegation cache, and the bounds on work.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isOasisError } from '@oasis/core';
import { DnsClient } from '../../../src/client/index.ts';
import { DnsCache } from '../../../src/resolver/dns-cache.ts';
import { RecursiveResolver } from '../../../src/resolver/recursive/recursive-resolver.ts';
import { Resolver } from '../../../src/resolver/resolver.ts';
import { Rcode, RecordType } from '../../../src/wire/constants.ts';
import { type DnsMessage, makeQuery } from '../../../src/wire/message.ts';
import { DnsName } from '../../../src/wire/name.ts';
import { runFor, runUntil } from '../../sim-net.ts';
import {
  aRecord,
  COM_ZONE,
  DEFAULT_SERVERS,
  describeRecords,
  EXAMPLE_ZONE,
  IN_ORDER,
  NET_ZONE,
  nsRecord,
  OTHER_ZONE,
  ROOT_ZONE,
  startHierarchy,
} from './hierarchy.ts';

describe('RecursiveResolver answers', () => {
  it('resolves A, AAAA and MX from the root down', async () => {
    const h = await startHierarchy();
    const a = await h.resolve('www.example.com.');
    assert.equal(a.rcode, Rcode.NOERROR);
    assert.deepEqual(describeRecords(a.answers), ['www.example.com. A 192.0.2.1']);
    const aaaa = await h.resolve('www.example.com.', RecordType.AAAA);
    assert.deepEqual(describeRecords(aaaa.answers), ['www.example.com. AAAA 2001:db8::1']);
    const mx = await h.resolve('example.com.', RecordType.MX);
    assert.deepEqual(describeRecords(mx.answers), ['example.com. MX 10 mail.example.com.']);
    assert.deepEqual(mx.authorities, []);
  });

  it('returns NXDOMAIN with the zone SOA', async () => {
    const h = await startHierarchy();
    const answer = await h.resolve('nope.example.com.');
    assert.equal(answer.rcode, Rcode.NXDOMAIN);
    assert.deepEqual(answer.answers, []);
    assert.deepEqual(describeRecords(answer.authorities), ['example.com. SOA ns.example.com.']);
  });

  it('returns NODATA with the SOA for a type the name does not have', async () => {
    const h = await startHierarchy();
    const answer = await h.resolve('mail.example.com.', RecordType.AAAA);
    assert.equal(answer.rcode, Rcode.NOERROR);
    assert.deepEqual(answer.answers, []);
    assert.deepEqual(describeRecords(answer.authorities), ['example.com. SOA ns.example.com.']);
  });

  it('follows a CNAME into another zone from the closest known cut', async () => {
    const h = await startHierarchy();
    const answer = await h.resolve('alias.example.com.');
    assert.deepEqual(describeRecords(answer.answers), [
      'alias.example.com. CNAME www.example.net.',
      'www.example.net. A 192.0.2.80',
    ]);
    // The target was asked of net's server; the root was asked for net. only.
    assert.deepEqual(h.servers.net.received, ['example.net. A', 'www.example.net. A']);
    assert.deepEqual(h.servers.root.received, ['com. A', 'net. A']);
    assert.equal(h.resolver.counters()['recursive.alias-restarts'], 1);
  });

  it('looks up an out-of-bailiwick name server through its own zone', async () => {
    const h = await startHierarchy();
    const answer = await h.resolve('www.other.com.');
    assert.deepEqual(describeRecords(answer.answers), ['www.other.com. A 192.0.2.14']);
    assert.deepEqual(h.servers.net.received, ['example.net. A', 'ns.example.net. A']);
    assert.deepEqual(h.servers.other.received, ['www.other.com. A']);
    assert.equal(h.resolver.counters()['recursive.ns-lookups'], 1);
  });

  it('gives every query a fresh ID and source port (RFC 5452 §9.2)', async () => {
    const h = await startHierarchy();
    await h.resolve('www.other.com.');
    await h.resolve('alias.example.com.');
    const sources = Object.values(h.servers).flatMap((server) => server.sources);
    assert.ok(sources.length >= 6, `only ${sources.length} queries`);
    assert.equal(new Set(sources.map((source) => source.port)).size, sources.length);
    assert.equal(new Set(sources.map((source) => source.id)).size, sources.length);
  });
});

describe('DS questions', () => {
  it('asks the parent side of the cut (RFC 4035 §3.1.4.1)', async () => {
    const h = await startHierarchy();
    await h.resolve('www.example.com.');
    const answer = await h.resolve('example.com.', RecordType.DS);
    // com. has no DS for example.com.: NODATA from com.'s server, with com.'s SOA.
    assert.equal(answer.rcode, Rcode.NOERROR);
    assert.deepEqual(answer.answers, []);
    assert.deepEqual(describeRecords(answer.authorities), ['com. SOA ns.com.']);
    assert.deepEqual(h.servers.com.received, ['example.com. A', 'example.com. DS']);
    assert.deepEqual(h.servers.example.received, ['www.example.com. A']);
  });
});

describe('QNAME minimisation (RFC 9156)', () => {
  it('tells each server only the next label', async () => {
    const h = await startHierarchy();
    await h.resolve('www.example.com.', RecordType.MX);
    assert.deepEqual(h.servers.root.received, ['com. A']);
    assert.deepEqual(h.servers.com.received, ['example.com. A']);
    assert.deepEqual(h.servers.example.received, ['www.example.com. MX']);
  });

  it('walks through an empty non-terminal one label at a time', async () => {
    const h = await startHierarchy();
    const answer = await h.resolve('a.b.example.com.');
    assert.deepEqual(describeRecords(answer.answers), ['a.b.example.com. A 192.0.2.2']);
    assert.deepEqual(h.servers.example.received, ['b.example.com. A', 'a.b.example.com. A']);
  });

  it('stops at NXDOMAIN for an ancestor (RFC 8020)', async () => {
    const h = await startHierarchy();
    const answer = await h.resolve('x.y.nope.example.com.', RecordType.TXT);
    assert.equal(answer.rcode, Rcode.NXDOMAIN);
    assert.deepEqual(describeRecords(answer.authorities), ['example.com. SOA ns.example.com.']);
    assert.deepEqual(h.servers.example.received, ['nope.example.com. A']);
    assert.equal(h.resolver.counters()['recursive.nxdomain-above'], 1);
  });

  it('sends the whole name everywhere when turned off', async () => {
    const h = await startHierarchy({ resolver: { qnameMinimisation: false } });
    await h.resolve('www.example.com.');
    assert.deepEqual(h.servers.root.received, ['www.example.com. A']);
    assert.deepEqual(h.servers.com.received, ['www.example.com. A']);
    assert.deepEqual(h.servers.example.received, ['www.example.com. A']);
  });
});

describe('what a server cannot make the resolver believe', () => {
  it('ignores out-of-bailiwick glue and an unrelated address, and does not keep them', async () => {
    // The evil host would answer for other.com. if the resolver took com's word that it is
    // ns.example.net: com. is no authority for names in net.
    const h = await startHierarchy({
      servers: {
        ...DEFAULT_SERVERS,
        evil: {
          address: '10.0.0.66',
          zones: { 'other.com.': OTHER_ZONE.replace('192.0.2.14', '6.6.6.6') },
        },
      },
    });
    h.servers.com.tamper = (_query, answer) => ({
      ...answer,
      additionals: [
        ...answer.additionals,
        aRecord('ns.example.net.', '10.0.0.66'),
        aRecord('www.bank.test.', '6.6.6.6'),
      ],
    });
    // The bogus records come with example.com.'s referral: ignored there, and not kept either.
    await h.resolve('www.example.com.');
    assert.equal(h.resolver.counters()['recursive.glue-ignored'], 2);
    const answer = await h.resolve('www.other.com.');
    assert.deepEqual(describeRecords(answer.answers), ['www.other.com. A 192.0.2.14']);
    assert.deepEqual(h.servers.evil.received, []);
    assert.deepEqual(h.servers.net.received, ['example.net. A', 'ns.example.net. A']);
    assert.equal(h.resolver.counters()['recursive.glue-ignored'], 4);
  });

  it('drops records a server gives for a zone it is not authoritative for', async () => {
    const h = await startHierarchy();
    h.servers.example.tamper = (_query, answer) => ({
      ...answer,
      answers: [
        ...answer.answers,
        aRecord('www.example.net.', '6.6.6.6'),
        aRecord('www.other.com.', '6.6.6.6'),
      ],
    });
    const answer = await h.resolve('alias.example.com.');
    assert.deepEqual(describeRecords(answer.answers), [
      'alias.example.com. CNAME www.example.net.',
      'www.example.net. A 192.0.2.80',
    ]);
    assert.deepEqual(h.servers.net.received, ['example.net. A', 'www.example.net. A']);
  });

  it('refuses a referral sideways and asks the next server', async () => {
    const root = ROOT_ZONE.replace(
      'com.                NS  ns.com.',
      'com. NS ns0.com.\ncom. NS ns.com.\nns0.com. A 10.0.0.20',
    );
    const h = await startHierarchy({
      servers: {
        ...DEFAULT_SERVERS,
        root: { address: '10.0.0.10', zones: { '.': root } },
        liar: { address: '10.0.0.20', zones: { 'com.': COM_ZONE } },
      },
      resolver: { random: IN_ORDER },
    });
    // Asked for example.com., the liar refers the resolver to "servers of net.".
    h.servers.liar.tamper = (_query, answer) => ({
      ...answer,
      aa: false,
      answers: [],
      authorities: [nsRecord('net.', 'ns.evil.test.')],
      additionals: [aRecord('ns.evil.test.', '10.0.0.66')],
    });
    const answer = await h.resolve('www.example.com.');
    assert.deepEqual(describeRecords(answer.answers), ['www.example.com. A 192.0.2.1']);
    assert.deepEqual(h.servers.liar.received, ['example.com. A']);
    assert.deepEqual(h.servers.com.received, ['example.com. A']);
    assert.equal(h.resolver.counters()['recursive.bad-referral'], 1);
  });
});

describe('server failures', () => {
  const twoServers = () => {
    const com = COM_ZONE.replace(
      'example             NS  ns1.example',
      'example NS ns0.example\nexample NS ns1.example\nns0.example A 10.0.0.20',
    );
    return {
      ...DEFAULT_SERVERS,
      com: { address: '10.0.0.11', zones: { 'com.': com } },
      broken: { address: '10.0.0.20', zones: { 'example.com.': EXAMPLE_ZONE } },
    } as const;
  };
  const failures: [
    string,
    (query: DnsMessage, answer: DnsMessage) => DnsMessage | undefined,
    string,
  ][] = [
    ['a silent server', () => undefined, 'timeout'],
    ['a lame server', (_q, answer) => ({ ...answer, aa: false, answers: [] }), 'lame'],
    [
      'SERVFAIL',
      (_q, answer) => ({ ...answer, rcode: Rcode.SERVFAIL, aa: false, answers: [] }),
      'servfail',
    ],
    [
      'REFUSED',
      (_q, answer) => ({ ...answer, rcode: Rcode.REFUSED, aa: false, answers: [] }),
      'refused',
    ],
  ];
  for (const [what, tamper, reason] of failures) {
    it(`falls over from ${what} to the zone's next server`, async () => {
      const h = await startHierarchy({ servers: twoServers(), resolver: { random: IN_ORDER } });
      h.servers.broken.tamper = tamper;
      const answer = await h.resolve('www.example.com.');
      assert.deepEqual(describeRecords(answer.answers), ['www.example.com. A 192.0.2.1']);
      assert.deepEqual(h.servers.broken.received.slice(0, 1), ['www.example.com. A']);
      assert.deepEqual(h.servers.example.received, ['www.example.com. A']);
      assert.equal(h.resolver.counters()[`recursive.${reason}`], 1);
    });
  }

  it('rejects ETIMEDOUT when every server of a zone is silent', async () => {
    const h = await startHierarchy();
    h.servers.example.tamper = () => undefined;
    const error = await h.attempt('www.example.com.');
    assert.ok(isOasisError(error, 'ETIMEDOUT'), String(error));
    assert.equal(h.resolver.counters()['recursive.failures'], 1);
  });

  it('rejects EIO when every server of a zone fails otherwise', async () => {
    const h = await startHierarchy();
    h.servers.example.tamper = (_q, answer) => ({ ...answer, rcode: Rcode.SERVFAIL, answers: [] });
    const error = await h.attempt('www.example.com.');
    assert.ok(isOasisError(error, 'EIO'), String(error));
  });
});

describe('the delegation cache', () => {
  it('sends a second question for a known zone straight to its server', async () => {
    const h = await startHierarchy();
    await h.resolve('www.example.com.');
    const before = h.totalQueries();
    const answer = await h.resolve('mail.example.com.');
    assert.deepEqual(describeRecords(answer.answers), ['mail.example.com. A 192.0.2.25']);
    assert.equal(h.totalQueries(), before + 1);
    assert.deepEqual(h.servers.example.received.at(-1), 'mail.example.com. A');
    assert.deepEqual(h.servers.root.received, ['com. A']);
    assert.equal(h.resolver.counters()['recursive.delegations.zones'], 2);
  });

  it('keeps a delegation for its NS TTL only', async () => {
    const h = await startHierarchy();
    await h.resolve('www.example.com.');
    // example.com.'s NS in com. has a TTL of 3600 s; com.'s in the root 86400 s.
    await runFor(h.lan.network, 3_601_000);
    await h.resolve('mail.example.com.');
    assert.deepEqual(h.servers.root.received, ['com. A']);
    assert.deepEqual(h.servers.com.received, ['example.com. A', 'example.com. A']);
  });

  it('keeps the address it looked up for a name server', async () => {
    const h = await startHierarchy();
    await h.resolve('www.other.com.');
    await h.resolve('nothing.other.com.');
    assert.deepEqual(h.servers.net.received, ['example.net. A', 'ns.example.net. A']);
    assert.equal(h.servers.other.received.length, 2);
  });
});

describe('bounds on work', () => {
  const loop = () => ({
    ...DEFAULT_SERVERS,
    com: { address: '10.0.0.11', zones: { 'com.': `${COM_ZONE}\nloop NS ns.loop.net.\n` } },
    net: { address: '10.0.0.12', zones: { 'net.': `${NET_ZONE}\nloop NS ns.loop.com.\n` } },
  });

  it('ends a delegation loop through out-of-bailiwick server names', async () => {
    const h = await startHierarchy({ servers: loop() });
    const error = await h.attempt('www.loop.com.');
    assert.ok(isOasisError(error, 'EIO'), String(error));
    assert.ok(h.totalQueries() <= 64);
    assert.ok((h.resolver.counters()['recursive.lookup-refused'] ?? 0) >= 1);
  });

  it('stops at maxQueriesPerResolution', async () => {
    const h = await startHierarchy({ servers: loop(), resolver: { maxQueriesPerResolution: 3 } });
    const error = await h.attempt('www.loop.com.');
    assert.ok(isOasisError(error, 'EIO'), String(error));
    assert.equal(h.totalQueries(), 3);
    assert.equal(h.resolver.counters()['recursive.query-limit'], 1);
  });

  it('ends an alias loop across zones', async () => {
    const servers = {
      ...DEFAULT_SERVERS,
      example: {
        address: '10.0.0.13',
        zones: { 'example.com.': `${EXAMPLE_ZONE}\nping CNAME pong.example.net.\n` },
      },
      net: {
        address: '10.0.0.12',
        zones: { 'net.': `${NET_ZONE}\npong.example CNAME ping.example.com.\n` },
      },
    };
    const h = await startHierarchy({ servers });
    const error = await h.attempt('ping.example.com.');
    assert.ok(isOasisError(error, 'EIO'), String(error));
    assert.equal(h.resolver.counters()['recursive.alias-loop'], 1);
  });
});

describe("as the caching resolver's upstream", () => {
  it('answers clients, and the cache answers the same question again', async () => {
    const h = await startHierarchy();
    const resolver = new Resolver({
      upstream: h.resolver,
      cache: new DnsCache(h.lan.network.clock),
      logger: h.logger,
    });
    const query = makeQuery(7, {
      name: DnsName.of('alias.example.com.'),
      type: RecordType.A,
      class: 1,
    });
    const first = await runUntil(h.lan.network, Promise.resolve(resolver.answer(query)));
    assert.equal(first.rcode, Rcode.NOERROR);
    assert.equal(first.ra, true);
    assert.deepEqual(describeRecords(first.answers), [
      'alias.example.com. CNAME www.example.net.',
      'www.example.net. A 192.0.2.80',
    ]);
    const queries = h.totalQueries();
    const second = resolver.answer({ ...query, id: 8 });
    assert.ok(!(second instanceof Promise));
    assert.deepEqual(describeRecords(second.answers), describeRecords(first.answers));
    assert.equal(h.totalQueries(), queries);
    assert.equal(resolver.counters()['recursive.resolutions'], 1);
  });
});

describe('options', () => {
  it('refuses values out of range and hints it cannot use', async () => {
    const h = await startHierarchy();
    const base = {
      client: new DnsClient({
        udp: h.resolverHost.stack.udp,
        tcp: h.resolverHost.stack.tcp,
        servers: [],
        clock: h.lan.network.clock,
        sleep: h.lan.network.clock,
        random: IN_ORDER,
      }),
      rootHints: [{ name: DnsName.of('a.root.test.'), addresses: ['10.0.0.10'] }],
      clock: h.lan.network.clock,
      random: IN_ORDER,
      logger: h.logger,
    };
    assert.throws(() => new RecursiveResolver({ ...base, port: 0 }), RangeError);
    assert.throws(() => new RecursiveResolver({ ...base, maxQueriesPerResolution: 0 }), RangeError);
    assert.throws(() => new RecursiveResolver({ ...base, maxDelegationEntries: 0 }), RangeError);
    const ipv6Only = [{ name: DnsName.of('a.root.test.'), addresses: ['2001:db8::53'] }];
    assert.throws(() => new RecursiveResolver({ ...base, rootHints: ipv6Only }), RangeError);
    assert.throws(() => new RecursiveResolver({ ...base, rootHints: [] }), RangeError);
    assert.ok(new RecursiveResolver({ ...base, rootHints: ipv6Only, useIpv6: true }));
  });
});

describe('closing', () => {
  it('rejects ECLOSED after close', async () => {
    const h = await startHierarchy();
    await h.resolver.close();
    const error = await h.attempt('www.example.com.');
    assert.ok(isOasisError(error, 'ECLOSED'), String(error));
    assert.equal(h.totalQueries(), 0);
  });
});
