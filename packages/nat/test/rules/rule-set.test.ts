import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { unwrap } from '@oasis/core';
import { IP_PROTOCOL_ICMP, IP_PROTOCOL_TCP, IP_PROTOCOL_UDP, parseIpv4Address } from '@oasis/wire';
import { parseRules } from '../../src/rules/rule-parser.ts';
import { RuleSet } from '../../src/rules/rule-set.ts';

const ip = (text: string): number => unwrap(parseIpv4Address(text));
const TCP = IP_PROTOCOL_TCP;
const UDP = IP_PROTOCOL_UDP;
const ICMP = IP_PROTOCOL_ICMP;

function ruleSet(...lines: string[]): RuleSet {
  return new RuleSet(unwrap(parseRules(lines.join('\n'), 'test')));
}

/** A TCP or UDP flow that does not go to the DNS service. */
const flow = (set: RuleSet, client: string, protocol: number, destination: string, port: number) =>
  set.match(ip(client), protocol, ip(destination), port, 0, false);

describe('RuleSet.match', () => {
  it('returns the first rule that matches, and -1 when none does', () => {
    const set = ruleSet(
      '10.0.0.1 drop proto=tcp dstports=25',
      '10.0.0.0/24 accept proto=tcp',
      '10.0.0.1 accept', // never reached for TCP: rule 1 matches first
    );
    assert.equal(flow(set, '10.0.0.1', TCP, '192.0.2.1', 25), 0);
    assert.equal(flow(set, '10.0.0.1', TCP, '192.0.2.1', 80), 1);
    assert.equal(flow(set, '10.0.0.1', UDP, '192.0.2.1', 53), 2);
    assert.equal(flow(set, '10.0.0.2', UDP, '192.0.2.1', 53), -1);
    assert.equal(flow(set, '10.0.1.1', TCP, '192.0.2.1', 80), -1);
  });

  it('matches clients by *, by CIDR and by address', () => {
    const set = ruleSet('10.0.0.5 accept', '10.0.0.0/30 drop', '* accept proto=icmp');
    assert.equal(flow(set, '10.0.0.5', UDP, '192.0.2.1', 1), 0);
    assert.equal(flow(set, '10.0.0.0', UDP, '192.0.2.1', 1), 1);
    assert.equal(flow(set, '10.0.0.3', UDP, '192.0.2.1', 1), 1);
    assert.equal(flow(set, '10.0.0.4', UDP, '192.0.2.1', 1), -1);
    assert.equal(set.match(ip('172.16.0.1'), ICMP, ip('192.0.2.1'), 0, 8, false), 2);
    assert.equal(set.match(ip('255.255.255.255'), ICMP, ip('0.0.0.0'), 0, 0, false), 2);
  });

  it('matches destinations by CIDR, /0 and /32', () => {
    const set = ruleSet(
      '* accept dst=192.0.2.0/25',
      '* drop dst=192.0.2.200',
      '* accept proto=udp dst=0.0.0.0/0',
    );
    assert.equal(flow(set, '10.0.0.1', TCP, '192.0.2.0', 80), 0);
    assert.equal(flow(set, '10.0.0.1', TCP, '192.0.2.127', 80), 0);
    assert.equal(flow(set, '10.0.0.1', TCP, '192.0.2.128', 80), -1);
    assert.equal(flow(set, '10.0.0.1', TCP, '192.0.2.200', 80), 1);
    assert.equal(flow(set, '10.0.0.1', TCP, '192.0.2.201', 80), -1);
    assert.equal(flow(set, '10.0.0.1', UDP, '255.255.255.255', 80), 2);
  });

  it('matches the protocol, and dstports at the edges of its range', () => {
    const set = ruleSet('* accept proto=tcp dstports=1000-2000', '* accept proto=udp dstports=53');
    assert.equal(flow(set, '10.0.0.1', TCP, '192.0.2.1', 999), -1);
    assert.equal(flow(set, '10.0.0.1', TCP, '192.0.2.1', 1000), 0);
    assert.equal(flow(set, '10.0.0.1', TCP, '192.0.2.1', 2000), 0);
    assert.equal(flow(set, '10.0.0.1', TCP, '192.0.2.1', 2001), -1);
    assert.equal(flow(set, '10.0.0.1', UDP, '192.0.2.1', 1500), -1, 'tcp rule, udp flow');
    assert.equal(flow(set, '10.0.0.1', UDP, '192.0.2.1', 52), -1);
    assert.equal(flow(set, '10.0.0.1', UDP, '192.0.2.1', 53), 1);
    assert.equal(flow(set, '10.0.0.1', UDP, '192.0.2.1', 54), -1);
    assert.equal(flow(set, '10.0.0.1', TCP, '192.0.2.1', 53), -1, 'udp rule, tcp flow');
  });

  it('matches icmptype only for ICMP of that type', () => {
    const set = ruleSet('* accept proto=icmp icmptype=8', '* drop proto=icmp');
    assert.equal(set.match(ip('10.0.0.1'), ICMP, ip('192.0.2.1'), 0, 8, false), 0);
    assert.equal(set.match(ip('10.0.0.1'), ICMP, ip('192.0.2.1'), 0, 0, false), 1);
    assert.equal(set.match(ip('10.0.0.1'), ICMP, ip('192.0.2.1'), 0, 13, false), 1);
    // A TCP flow whose port happens to equal the type matches neither.
    assert.equal(set.match(ip('10.0.0.1'), TCP, ip('192.0.2.1'), 8, 8, false), -1);
  });

  it('matches specialtarget=dns only for flows to the DNS service, over TCP or UDP', () => {
    const set = ruleSet(
      '10.0.0.1 accept proto=udp specialtarget=dns',
      '10.0.0.0/24 accept specialtarget=dns',
      '* drop',
    );
    const dnsAddress = ip('10.0.0.254');
    assert.equal(set.match(ip('10.0.0.1'), UDP, dnsAddress, 53, 0, true), 0);
    assert.equal(set.match(ip('10.0.0.1'), TCP, dnsAddress, 53, 0, true), 1);
    assert.equal(set.match(ip('10.0.0.2'), UDP, dnsAddress, 53, 0, true), 1);
    // The same address and port, but the caller says it is not the DNS service: not matched.
    assert.equal(set.match(ip('10.0.0.1'), UDP, dnsAddress, 53, 0, false), 2);
    // Any other server's port 53 is not the DNS service either.
    assert.equal(set.match(ip('10.0.0.1'), UDP, ip('192.0.2.53'), 53, 0, false), 2);
    // ICMP cannot be DNS even if the caller flags it.
    assert.equal(set.match(ip('10.0.0.2'), ICMP, dnsAddress, 0, 8, true), 2);
    assert.equal(set.match(ip('10.0.1.1'), UDP, dnsAddress, 53, 0, true), 2);
  });

  it('lets rules without specialtarget match DNS-service flows by their other fields', () => {
    const set = ruleSet('* drop proto=udp dstports=53', '* accept specialtarget=dns');
    assert.equal(set.match(ip('10.0.0.1'), UDP, ip('10.0.0.254'), 53, 0, true), 0);
    assert.equal(set.match(ip('10.0.0.1'), TCP, ip('10.0.0.254'), 53, 0, true), 1);
  });
});

describe('RuleSet dstname rules', () => {
  it('lists the distinct names in the order of their first rule', () => {
    const set = ruleSet(
      '* accept dstname=b.example',
      '* accept dstname=A.example.',
      '10.0.0.1 drop dstname=b.example',
      '* accept',
    );
    assert.deepEqual(set.names(), ['b.example', 'a.example']);
    assert.deepEqual(ruleSet('* accept').names(), []);
  });

  it('matches nothing until the name has addresses, then exactly those', () => {
    const set = ruleSet(
      '* accept proto=tcp dstname=mirror.example dstports=443',
      '10.0.0.9 drop dstname=mirror.example',
    );
    assert.equal(flow(set, '10.0.0.1', TCP, '192.0.2.10', 443), -1);
    assert.equal(flow(set, '10.0.0.9', TCP, '192.0.2.10', 22), -1);
    assert.deepEqual(set.addressesOf('mirror.example'), []);
    set.setAddresses('Mirror.Example.', [ip('192.0.2.11'), ip('192.0.2.10'), ip('192.0.2.10')]);
    assert.deepEqual(set.addressesOf('MIRROR.example'), [ip('192.0.2.10'), ip('192.0.2.11')]);
    assert.deepEqual(set.addressesOf('other.example'), []);
    assert.equal(flow(set, '10.0.0.1', TCP, '192.0.2.10', 443), 0);
    assert.equal(flow(set, '10.0.0.1', TCP, '192.0.2.11', 443), 0);
    assert.equal(flow(set, '10.0.0.1', TCP, '192.0.2.12', 443), -1);
    assert.equal(flow(set, '10.0.0.9', TCP, '192.0.2.11', 22), 1, 'both rules got the addresses');
    set.setAddresses('mirror.example', [ip('192.0.2.12')]);
    assert.equal(flow(set, '10.0.0.1', TCP, '192.0.2.10', 443), -1, 'replaced, not added');
    assert.equal(flow(set, '10.0.0.1', TCP, '192.0.2.12', 443), 0);
    set.setAddresses('mirror.example', []);
    assert.equal(flow(set, '10.0.0.1', TCP, '192.0.2.12', 443), -1);
  });

  it('ignores unknown names and keeps no reference to the caller array', () => {
    const set = ruleSet('* accept dstname=a.example');
    set.setAddresses('b.example', [ip('192.0.2.1')]);
    assert.equal(flow(set, '10.0.0.1', TCP, '192.0.2.1', 1), -1);
    const addresses = [ip('192.0.2.2')];
    set.setAddresses('a.example', addresses);
    addresses[0] = ip('192.0.2.3');
    assert.equal(flow(set, '10.0.0.1', TCP, '192.0.2.2', 1), 0);
    assert.equal(flow(set, '10.0.0.1', TCP, '192.0.2.3', 1), -1);
  });

  it('refuses a value that is not an address, changing nothing', () => {
    const set = ruleSet('* accept dstname=a.example');
    set.setAddresses('a.example', [ip('192.0.2.2')]);
    assert.throws(() => set.setAddresses('a.example', [ip('192.0.2.3'), -1]), RangeError);
    assert.throws(() => set.setAddresses('a.example', [2 ** 32]), RangeError);
    assert.equal(flow(set, '10.0.0.1', TCP, '192.0.2.2', 1), 0);
    assert.equal(flow(set, '10.0.0.1', TCP, '192.0.2.3', 1), -1);
  });
});

describe('RuleSet.counts', () => {
  it('counts matches per rule and unmatched flows, from zero', () => {
    const set = ruleSet('* accept proto=tcp', '* drop proto=udp', '* accept proto=icmp');
    assert.deepEqual(set.counts(), { byRule: [0, 0, 0], unmatched: 0 });
    flow(set, '10.0.0.1', TCP, '192.0.2.1', 80);
    flow(set, '10.0.0.1', TCP, '192.0.2.1', 443);
    flow(set, '10.0.0.1', UDP, '192.0.2.1', 53);
    set.match(ip('10.0.0.1'), 47, ip('192.0.2.1'), 0, 0, false); // GRE: no rule
    set.match(ip('10.0.0.1'), 47, ip('192.0.2.1'), 0, 0, false);
    set.match(ip('10.0.0.1'), 47, ip('192.0.2.1'), 0, 0, false);
    assert.deepEqual(set.counts(), { byRule: [2, 1, 0], unmatched: 3 });
  });

  it('returns a snapshot, and an empty set counts every flow as unmatched', () => {
    const set = ruleSet();
    const before = set.counts();
    assert.equal(flow(set, '10.0.0.1', TCP, '192.0.2.1', 80), -1);
    assert.deepEqual(before, { byRule: [], unmatched: 0 });
    assert.deepEqual(set.counts(), { byRule: [], unmatched: 1 });
  });
});
