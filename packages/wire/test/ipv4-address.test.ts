import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  formatIpv4Address,
  IPV4_BROADCAST,
  ipv4InSubnet,
  ipv4Netmask,
  isIpv4Address,
  isIpv4Loopback,
  isIpv4Multicast,
  parseIpv4Address,
  parseIpv4Cidr,
} from '../src/ipv4-address.ts';

describe('IPv4 addresses', () => {
  it('formats and parses dotted quads, most significant octet first', () => {
    assert.equal(formatIpv4Address(0x0a000001), '10.0.0.1');
    assert.equal(formatIpv4Address(IPV4_BROADCAST), '255.255.255.255');
    assert.equal(formatIpv4Address(0), '0.0.0.0');
    assert.deepEqual(parseIpv4Address('192.168.1.23'), { ok: true, value: 0xc0a80117 });
    assert.deepEqual(parseIpv4Address('255.255.255.255'), { ok: true, value: IPV4_BROADCAST });
  });

  it('round-trips every address', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff_ffff }), (address) => {
        assert.deepEqual(parseIpv4Address(formatIpv4Address(address)), {
          ok: true,
          value: address,
        });
      }),
    );
  });

  it('refuses anything but a strict dotted quad, saying why', () => {
    const cases: [string, string][] = [
      ['10.0.0.256', "'10.0.0.256' is not an IPv4 address: 256 is not an octet"],
      [
        '01.2.3.4',
        "'01.2.3.4' is not an IPv4 address: '01' has a leading zero, which some parsers read as octal",
      ],
      ['10.0.1', "'10.0.1' is not an IPv4 address: expected four decimal octets such as 10.0.0.1"],
      [
        '10.0.0.1.',
        "'10.0.0.1.' is not an IPv4 address: expected four decimal octets such as 10.0.0.1",
      ],
      ['10..0.1', "'10..0.1' is not an IPv4 address: '' is not a decimal octet"],
      ['0x0a.0.0.1', "'0x0a.0.0.1' is not an IPv4 address: '0x0a' is not a decimal octet"],
      [' 10.0.0.1', "' 10.0.0.1' is not an IPv4 address: ' 10' is not a decimal octet"],
      ['10.0.0.-1', "'10.0.0.-1' is not an IPv4 address: '-1' is not a decimal octet"],
      [
        '167772161',
        "'167772161' is not an IPv4 address: expected four decimal octets such as 10.0.0.1",
      ],
      ['', "'' is not an IPv4 address: expected four decimal octets such as 10.0.0.1"],
    ];
    for (const [text, message] of cases) {
      assert.deepEqual(parseIpv4Address(text), { ok: false, error: message });
    }
  });

  it('parses CIDR prefixes, keeping host bits', () => {
    assert.deepEqual(parseIpv4Cidr('10.0.0.2/24'), {
      ok: true,
      value: { address: 0x0a000002, prefixLength: 24 },
    });
    assert.deepEqual(parseIpv4Cidr('0.0.0.0/0'), {
      ok: true,
      value: { address: 0, prefixLength: 0 },
    });
    assert.deepEqual(parseIpv4Cidr('10.0.0.1/32'), {
      ok: true,
      value: { address: 0x0a000001, prefixLength: 32 },
    });
    const refused: [string, string][] = [
      [
        '10.0.0.1',
        "'10.0.0.1' is not an IPv4 prefix: expected an address and a prefix length such as 10.0.0.2/24",
      ],
      [
        '10.0.0.1/2/3',
        "'10.0.0.1/2/3' is not an IPv4 prefix: expected an address and a prefix length such as 10.0.0.2/24",
      ],
      ['10.0.0.1/33', "'10.0.0.1/33' is not an IPv4 prefix: '33' is not a prefix length (0-32)"],
      ['10.0.0.1/024', "'10.0.0.1/024' is not an IPv4 prefix: '024' is not a prefix length (0-32)"],
      ['10.0.0.1/', "'10.0.0.1/' is not an IPv4 prefix: '' is not a prefix length (0-32)"],
      ['10.0.0.300/8', "'10.0.0.300/8' is not an IPv4 prefix: 300 is not an octet"],
    ];
    for (const [text, message] of refused) {
      assert.deepEqual(parseIpv4Cidr(text), { ok: false, error: message });
    }
  });

  it('computes netmasks and subnet membership', () => {
    assert.equal(ipv4Netmask(0), 0);
    assert.equal(ipv4Netmask(8), 0xff000000);
    assert.equal(ipv4Netmask(24), 0xffffff00);
    assert.equal(ipv4Netmask(31), 0xfffffffe);
    assert.equal(ipv4Netmask(32), 0xffffffff);
    assert.ok(ipv4InSubnet(0x0a0000fe, 0x0a000002, 24));
    assert.ok(!ipv4InSubnet(0x0a0001fe, 0x0a000002, 24));
    assert.ok(ipv4InSubnet(0xc0a80117, 0, 0));
    assert.ok(ipv4InSubnet(0xffffffff, 0xffffffff, 32));
    assert.ok(!ipv4InSubnet(0xfffffffe, 0xffffffff, 32));
    for (const bad of [-1, 33, 1.5, Number.NaN]) assert.throws(() => ipv4Netmask(bad), RangeError);
  });

  it('classifies multicast and loopback addresses', () => {
    assert.ok(isIpv4Multicast(0xe0000001)); // 224.0.0.1
    assert.ok(isIpv4Multicast(0xefffffff)); // 239.255.255.255
    assert.ok(!isIpv4Multicast(0xdfffffff));
    assert.ok(!isIpv4Multicast(0xf0000000));
    assert.ok(!isIpv4Multicast(IPV4_BROADCAST));
    assert.ok(isIpv4Loopback(0x7f000001));
    assert.ok(!isIpv4Loopback(0x80000001));
  });

  it('throws RangeError when formatting a number that is not an address', () => {
    for (const bad of [-1, 2 ** 32, 1.5, Number.NaN]) {
      assert.ok(!isIpv4Address(bad));
      assert.throws(() => formatIpv4Address(bad), RangeError);
    }
  });
});
