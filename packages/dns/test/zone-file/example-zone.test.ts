// corpus/example.com.zone, the zone the authoritative server tests load: it must parse, and give
// exactly these records, which those tests rely on.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex } from '@oasis/core';
import { DnsName } from '../../src/wire/name.ts';
import { parseZoneFile } from '../../src/zone-file/zone-file-parser.ts';
import { latin1, plainRecords, readCorpus, rr } from './zone-records.ts';

const a = (address: string) => ({ kind: 'A', address });
const aaaa = (address: string) => ({ kind: 'AAAA', address });
const ns = (host: string) => ({ kind: 'NS', host });

describe('example.com.zone', () => {
  it('gives the records of a realistic zone', () => {
    const parsed = parseZoneFile(readCorpus('example.com.zone'), {
      fileName: 'example.com.zone',
      origin: DnsName.of('example.com.'),
    });
    assert.ok(parsed.ok, parsed.ok ? '' : JSON.stringify(parsed.error));
    assert.deepEqual(plainRecords(parsed.value), [
      rr('example.com.', 3600, 'SOA', {
        kind: 'SOA',
        mname: 'ns1.example.com.',
        rname: 'hostmaster.example.com.',
        serial: 2024010101,
        refresh: 7200,
        retry: 3600,
        expire: 1209600,
        minimum: 300,
      }),
      rr('example.com.', 3600, 'NS', ns('ns1.example.com.')),
      rr('example.com.', 3600, 'NS', ns('ns.example.net.')),
      rr('example.com.', 3600, 'A', a('192.0.2.1')),
      rr('example.com.', 3600, 'AAAA', aaaa('2001:db8::1')),
      rr('example.com.', 3600, 'MX', { kind: 'MX', preference: 10, exchange: 'mail.example.com.' }),
      rr('example.com.', 3600, 'TXT', { kind: 'TXT', strings: [latin1('v=spf1 mx -all')] }),
      rr('example.com.', 3600, 'CAA', {
        kind: 'CAA',
        flags: 0,
        tag: 'issue',
        value: latin1('letsencrypt.org'),
      }),
      rr('ns1.example.com.', 3600, 'A', a('192.0.2.53')),
      rr('ns1.example.com.', 3600, 'AAAA', aaaa('2001:db8::53')),
      rr('ns1.example.com.', 3600, 'SSHFP', {
        kind: 'SSHFP',
        algorithm: 4,
        fingerprintType: 2,
        fingerprint: fromHex('cef2c8d0a0a0c2a8b137af7ed4a8df67820431a4ac2d4962ef0d989fb4d0cf9e'),
      }),
      rr('mail.example.com.', 3600, 'A', a('192.0.2.25')),
      rr('www.example.com.', 3600, 'A', a('192.0.2.80')),
      rr('www.example.com.', 3600, 'AAAA', aaaa('2001:db8::80')),
      // RFC 9460 §7.1.1: alpn (key 1) is a list of length-prefixed protocol ids.
      rr('www.example.com.', 3600, 'HTTPS', {
        kind: 'HTTPS',
        priority: 1,
        target: '.',
        params: [{ key: 1, value: fromHex('02 6832') }],
      }),
      rr('_443._tcp.www.example.com.', 3600, 'TLSA', {
        kind: 'TLSA',
        usage: 3,
        selector: 1,
        matchingType: 1,
        data: fromHex('16058d40ff834e025ad15ec37ee5c0ed9df770c37ba2491cc5d8fc0db93696eb'),
      }),
      rr('_sip._udp.example.com.', 3600, 'SRV', {
        kind: 'SRV',
        priority: 10,
        weight: 60,
        port: 5060,
        target: 'sip.example.com.',
      }),
      rr('sip.example.com.', 3600, 'A', a('192.0.2.60')),
      rr('alias.example.com.', 3600, 'CNAME', { kind: 'CNAME', target: 'alias2.example.com.' }),
      rr('alias2.example.com.', 3600, 'CNAME', { kind: 'CNAME', target: 'www.example.com.' }),
      rr('*.wild.example.com.', 3600, 'A', a('192.0.2.99')),
      rr('*.wild.example.com.', 3600, 'TXT', { kind: 'TXT', strings: [latin1('wildcard')] }),
      rr('sub.example.com.', 3600, 'NS', ns('ns1.sub.example.com.')),
      rr('sub.example.com.', 3600, 'NS', ns('ns2.sub.example.com.')),
      rr('sub.example.com.', 3600, 'DS', {
        kind: 'DS',
        keyTag: 12345,
        algorithm: 13,
        digestType: 2,
        digest: fromHex('f9c7af7ebcbf098b9f5f37361d1b168bb2e5b98d930ceef0f055377a8c94db61'),
      }),
      rr('ns1.sub.example.com.', 3600, 'A', a('192.0.2.130')),
      rr('ns2.sub.example.com.', 3600, 'AAAA', aaaa('2001:db8:1::2')),
      rr('old.example.com.', 3600, 'DNAME', { kind: 'DNAME', target: 'new.example.com.' }),
      rr('host.new.example.com.', 3600, 'A', a('192.0.2.77')),
      rr('opaque.example.com.', 3600, 'TYPE65534', {
        kind: 'opaque',
        bytes: fromHex('0a0b0c0d'),
      }),
    ]);
  });
});
