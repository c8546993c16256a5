// unansweredTarget: where an alias chain continues when its server did not answer for its end.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ResolvedAnswer } from '../../../src/resolver/dns-cache.ts';
import { unansweredTarget } from '../../../src/resolver/recursive/chain-target.ts';
import { Rcode, RecordClass, RecordType } from '../../../src/wire/constants.ts';
import type { DnsQuestion, DnsRecord } from '../../../src/wire/message.ts';
import { DnsName } from '../../../src/wire/name.ts';
import { aRecord } from './hierarchy.ts';

const question: DnsQuestion = {
  name: DnsName.of('www.example.com.'),
  type: RecordType.A,
  class: RecordClass.IN,
};

function alias(kind: 'CNAME' | 'DNAME', owner: string, target: string): DnsRecord {
  return {
    name: DnsName.of(owner),
    type: kind === 'CNAME' ? RecordType.CNAME : RecordType.DNAME,
    class: RecordClass.IN,
    ttl: 300,
    data: { kind, target: DnsName.of(target) },
  };
}

const soa: DnsRecord = {
  name: DnsName.of('example.com.'),
  type: RecordType.SOA,
  class: RecordClass.IN,
  ttl: 300,
  data: {
    kind: 'SOA',
    mname: DnsName.of('ns.example.com.'),
    rname: DnsName.of('hostmaster.example.com.'),
    serial: 1,
    refresh: 3600,
    retry: 600,
    expire: 86400,
    minimum: 300,
  },
};

const answer = (
  rcode: number,
  answers: DnsRecord[],
  authorities: DnsRecord[] = [],
): ResolvedAnswer => ({
  rcode,
  answers,
  authorities,
});

describe('unansweredTarget', () => {
  it('is the end of a CNAME chain that has no data yet', () => {
    const chain = [
      alias('CNAME', 'www.example.com.', 'web.example.com.'),
      alias('CNAME', 'web.example.com.', 'cdn.example.net.'),
    ];
    assert.equal(
      unansweredTarget(question, answer(Rcode.NOERROR, chain))?.toString(),
      'cdn.example.net.',
    );
  });

  it('is what a DNAME substitutes when the server gave no CNAME with it', () => {
    const dname = alias('DNAME', 'example.com.', 'example.org.');
    assert.equal(
      unansweredTarget(question, answer(Rcode.NOERROR, [dname]))?.toString(),
      'www.example.org.',
    );
  });

  it('is undefined for complete and negative answers', () => {
    const cname = alias('CNAME', 'www.example.com.', 'web.example.com.');
    const done = [
      answer(Rcode.NOERROR, [cname, aRecord('web.example.com.', '192.0.2.1')]),
      answer(Rcode.NOERROR, [aRecord('www.example.com.', '192.0.2.1')]),
      answer(Rcode.NXDOMAIN, [cname], [soa]),
      answer(Rcode.NOERROR, [cname], [soa]),
      answer(Rcode.NOERROR, []),
    ];
    for (const result of done) assert.equal(unansweredTarget(question, result), undefined);
    const forCname = { ...question, type: RecordType.CNAME };
    assert.equal(unansweredTarget(forCname, answer(Rcode.NOERROR, [cname])), undefined);
  });
});
