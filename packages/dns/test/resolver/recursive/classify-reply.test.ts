// classifyReply: what a server's reply does for iteration, and what of a referral is believed
// from a server of a given zone.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { classifyReply } from '../../../src/resolver/recursive/classify-reply.ts';
import { Rcode, RecordClass, RecordType } from '../../../src/wire/constants.ts';
import type { DnsMessage, DnsRecord } from '../../../src/wire/message.ts';
import { DnsName } from '../../../src/wire/name.ts';
import { aRecord, nsRecord } from './hierarchy.ts';

const name = (text: string) => DnsName.of(text);

function reply(content: Partial<DnsMessage>): DnsMessage {
  return {
    id: 1,
    qr: true,
    opcode: 0,
    aa: false,
    tc: false,
    rd: false,
    ra: false,
    z: false,
    ad: false,
    cd: false,
    rcode: Rcode.NOERROR,
    questions: [{ name: name('www.example.com.'), type: RecordType.A, class: RecordClass.IN }],
    answers: [],
    authorities: [],
    additionals: [],
    ...content,
  };
}

const com = name('com.');
const www = name('www.example.com.');

describe('classifyReply', () => {
  it('takes an authoritative answer, positive or negative', () => {
    for (const rcode of [Rcode.NOERROR, Rcode.NXDOMAIN]) {
      const message = reply({ aa: true, rcode });
      assert.deepEqual(classifyReply(message, com, www), { kind: 'answer', message });
    }
  });

  it('names the failure of an error RCODE', () => {
    const cases: [number, string][] = [
      [Rcode.SERVFAIL, 'servfail'],
      [Rcode.REFUSED, 'refused'],
      [Rcode.FORMERR, 'rcode'],
      [Rcode.NOTIMP, 'rcode'],
    ];
    for (const [rcode, reason] of cases) {
      assert.deepEqual(classifyReply(reply({ rcode, aa: true }), com, www), {
        kind: 'failure',
        reason,
      });
    }
  });

  it('calls lame a reply that neither is authoritative nor refers', () => {
    const lame = [
      reply({ answers: [aRecord('www.example.com.', '192.0.2.1')] }),
      reply({ rcode: Rcode.NXDOMAIN }),
      reply({}),
      reply({
        answers: [aRecord('www.example.com.', '192.0.2.1')],
        authorities: [nsRecord('example.com.', 'ns.example.com.')],
      }),
    ];
    for (const message of lame) {
      assert.deepEqual(classifyReply(message, com, www), { kind: 'failure', reason: 'lame' });
    }
  });

  it('follows a referral down, with glue for its servers inside the zone asked only', () => {
    const message = reply({
      authorities: [
        nsRecord('example.com.', 'ns1.example.com.'),
        nsRecord('example.com.', 'ns.example.net.'),
        { ...nsRecord('example.com.', 'ns2.other.com.'), ttl: 600 },
      ],
      additionals: [
        aRecord('ns1.example.com.', '192.0.2.53'),
        { ...aRecord('ns1.example.com.', '192.0.2.54'), ttl: 60 },
        aRecord('ns2.other.com.', '192.0.2.55'),
        aRecord('ns.example.net.', '192.0.2.66'),
        aRecord('www.bank.test.', '192.0.2.66'),
      ],
    });
    const referral = classifyReply(message, com, www);
    assert.equal(referral.kind, 'referral');
    if (referral.kind !== 'referral') return;
    assert.equal(referral.zone.toString(), 'example.com.');
    assert.deepEqual(referral.servers.map(String), [
      'ns1.example.com.',
      'ns.example.net.',
      'ns2.other.com.',
    ]);
    assert.equal(referral.ttl, 600);
    assert.deepEqual(
      referral.glue.map((glue) => [glue.host.toString(), glue.addresses, glue.ttl]),
      [
        ['ns1.example.com.', ['192.0.2.53', '192.0.2.54'], 60],
        // Sibling glue (RFC 9471 §2.2): inside com., so com.'s servers may vouch for it.
        ['ns2.other.com.', ['192.0.2.55'], 300],
      ],
    );
    assert.equal(referral.ignoredGlue, 2);
  });

  it('refuses referrals that do not lead down towards the name', () => {
    const zone = name('example.com.');
    const referrals = [
      nsRecord('com.', 'ns.com.'), // upwards
      nsRecord('example.com.', 'ns.example.com.'), // to the zone itself
      nsRecord('example.net.', 'ns.example.net.'), // sideways
      nsRecord('other.example.com.', 'ns.other.example.com.'), // not on the way to the name
      nsRecord('x.www.example.com.', 'ns.example.com.'), // below the name
    ];
    for (const ns of referrals) {
      assert.deepEqual(classifyReply(reply({ authorities: [ns] }), zone, www), {
        kind: 'failure',
        reason: 'bad-referral',
      });
    }
  });

  it('takes a referral to the name itself, except as the deepest for DS', () => {
    const message = reply({ authorities: [nsRecord('www.example.com.', 'ns.www.example.com.')] });
    assert.equal(classifyReply(message, name('example.com.'), www).kind, 'referral');
    assert.deepEqual(classifyReply(message, name('example.com.'), name('example.com.')), {
      kind: 'failure',
      reason: 'bad-referral',
    });
  });

  it('never throws, and believes only glue of the referral inside the zone asked', () => {
    const label = fc.constantFrom('com', 'net', 'example', 'www', 'ns', 'a');
    const dnsName = fc
      .array(label, { maxLength: 4 })
      .map((labels) => DnsName.of(labels.length === 0 ? '.' : `${labels.join('.')}.`));
    const record: fc.Arbitrary<DnsRecord> = fc.oneof(
      fc
        .tuple(dnsName, dnsName)
        .map(([owner, host]) => nsRecord(owner.toString(), host.toString())),
      dnsName.map((owner) => aRecord(owner.toString(), '192.0.2.1')),
    );
    fc.assert(
      fc.property(
        fc.record({
          aa: fc.boolean(),
          rcode: fc.constantFrom(0, 2, 3, 5),
          answers: fc.array(record, { maxLength: 2 }),
          authorities: fc.array(record, { maxLength: 4 }),
          additionals: fc.array(record, { maxLength: 4 }),
        }),
        dnsName,
        dnsName,
        (content, zone, deepest) => {
          const result = classifyReply(reply(content), zone, deepest);
          if (result.kind !== 'referral') return;
          assert.ok(result.zone.isSubdomainOf(zone) && !result.zone.equals(zone));
          assert.ok(deepest.isSubdomainOf(result.zone));
          for (const glue of result.glue) {
            assert.ok(glue.host.isSubdomainOf(zone));
            assert.ok(result.servers.some((server) => server.equals(glue.host)));
          }
        },
      ),
    );
  });
});
