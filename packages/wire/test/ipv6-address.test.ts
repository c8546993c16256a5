import assert from 'node:assert/strict';
import { isIPv6 } from 'node:net';
import { describe, it } from 'node:test';
import { fromHex } from '@oasis/core';
import fc from 'fast-check';
import {
  eui64InterfaceIdentifier,
  formatIpv6Address,
  IPV6_ALL_MLDV2_ROUTERS,
  IPV6_ALL_NODES,
  IPV6_ALL_ROUTERS,
  IPV6_LOOPBACK,
  IPV6_SCOPE_GLOBAL,
  IPV6_SCOPE_INTERFACE_LOCAL,
  IPV6_SCOPE_LINK_LOCAL,
  IPV6_UNSPECIFIED,
  ipv6Equal,
  ipv6FromPrefixAndIdentifier,
  ipv6InPrefix,
  ipv6Key,
  ipv6MulticastMac,
  ipv6MulticastScope,
  isIpv6LinkLocal,
  isIpv6Loopback,
  isIpv6Multicast,
  isIpv6Unspecified,
  parseIpv6Address,
  parseIpv6Cidr,
  solicitedNodeAddress,
} from '../src/ipv6-address.ts';
import { formatMac } from '../src/mac-address.ts';

function parsed(text: string): Uint8Array {
  const result = parseIpv6Address(text);
  assert.ok(result.ok, `${text}: ${result.ok ? '' : result.error}`);
  return result.value;
}

/** Groups of an address written out in one of the ways RFC 4291 §2.2 allows. */
function spell(
  address: Uint8Array,
  options: { upper: boolean; padded: boolean; compress: number; ipv4: boolean },
): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) {
    const hex = ((address[i]! << 8) | address[i + 1]!).toString(16);
    const padded = options.padded ? hex.padStart(4, '0') : hex;
    groups.push(options.upper ? padded.toUpperCase() : padded);
  }
  if (options.ipv4) groups.splice(6, 2, address.subarray(12).join('.'));
  // Compress the zero groups starting at the chosen one, if there are any there.
  const start = options.compress % 8;
  let end = start;
  while (end < 6 && Number.parseInt(groups[end]!, 16) === 0) end++;
  if (!options.ipv4) while (end < 8 && Number.parseInt(groups[end]!, 16) === 0) end++;
  if (end === start) return groups.join(':');
  return `${groups.slice(0, start).join(':')}::${groups.slice(end).join(':')}`;
}

describe('IPv6 addresses', () => {
  it('parses the three forms of RFC 4291 §2.2', () => {
    const documentation = fromHex('2001 0db8 0000 0000 0008 0800 200c 417a');
    assert.deepEqual(parsed('2001:DB8:0:0:8:800:200C:417A'), documentation);
    assert.deepEqual(parsed('2001:0db8:0000:0000:0008:0800:200c:417a'), documentation);
    assert.deepEqual(parsed('2001:DB8::8:800:200C:417A'), documentation);
    assert.deepEqual(parsed('::'), new Uint8Array(16));
    assert.deepEqual(parsed('::1'), fromHex('0000 0000 0000 0000 0000 0000 0000 0001'));
    assert.deepEqual(parsed('ff01::'), fromHex('ff01 0000 0000 0000 0000 0000 0000 0000'));
    assert.deepEqual(parsed('1:2:3:4:5:6:7::'), fromHex('0001 0002 0003 0004 0005 0006 0007 0000'));
    assert.deepEqual(parsed('::2:3:4:5:6:7:8'), fromHex('0000 0002 0003 0004 0005 0006 0007 0008'));
    assert.deepEqual(
      parsed('::ffff:192.0.2.1'),
      fromHex('0000 0000 0000 0000 0000 ffff c000 0201'),
    );
    assert.deepEqual(parsed('::13.1.68.3'), fromHex('0000 0000 0000 0000 0000 0000 0d01 4403'));
    assert.deepEqual(
      parsed('0:0:0:0:0:FFFF:129.144.52.38'),
      fromHex('0000 0000 0000 0000 0000 ffff 8190 3426'),
    );
    assert.deepEqual(
      parsed('1:2:3:4:5:6:1.2.3.4'),
      fromHex('0001 0002 0003 0004 0005 0006 0102 0304'),
    );
  });

  it('formats per RFC 5952: lower case, no leading zeros, the first longest zero run as ::', () => {
    const cases: [string, string][] = [
      ['2001 0db8 0000 0000 0000 0000 0002 0001', '2001:db8::2:1'], // §4.2.1
      ['2001 0db8 0000 0001 0001 0001 0001 0001', '2001:db8:0:1:1:1:1:1'], // §4.2.2
      ['2001 0db8 0000 0000 0001 0000 0000 0001', '2001:db8::1:0:0:1'], // §4.2.3 tie
      ['2001 0db8 0000 0001 0000 0000 0000 0001', '2001:db8:0:1::1'], // §4.2.3 longest
      ['2001 0DB8 00AA 0000 0000 0000 0000 0BCD', '2001:db8:aa::bcd'], // §4.3, §4.1
      ['0000 0000 0000 0000 0000 0000 0000 0000', '::'],
      ['0000 0000 0000 0000 0000 0000 0000 0001', '::1'],
      ['0001 0000 0000 0000 0000 0000 0000 0000', '1::'],
      ['0000 0001 0000 0001 0000 0001 0000 0001', '0:1:0:1:0:1:0:1'],
      ['0000 0000 0000 0000 0000 ffff c000 0201', '::ffff:192.0.2.1'], // §5, IPv4-mapped
      ['0000 0000 0000 0000 0000 0000 0d01 4403', '::13.1.68.3'], // §5, IPv4-compatible
      ['0000 0000 0000 0000 0000 0000 0000 ffff', '::ffff'], // too small to be IPv4-compatible
      ['0000 0000 0000 0000 0000 ffff 0000 0000', '::ffff:0.0.0.0'],
      ['0000 0000 0000 0000 ffff 0000 c000 0201', '::ffff:0:c000:201'], // not mapped
    ];
    for (const [hex, text] of cases) assert.equal(formatIpv6Address(fromHex(hex)), text, hex);
  });

  it('refuses bad forms and zone identifiers, saying why', () => {
    const cases: [string, string][] = [
      ['fe80::1%eth0', "a zone identifier ('%eth0') is not part of an address"],
      ['1::2::3', "'::' may appear only once"],
      [':::', "'::' may appear only once"],
      ['1:2:3:4:5:6:7', 'expected 8 groups of hex digits, found 7'],
      ['1:2:3:4:5:6:7:8:9', 'expected 8 groups of hex digits, found 9'],
      ['1:2:3:4::5:6:7:8', "'::' must stand for at least one group, and 8 are written"],
      [
        ':1:2:3:4:5:6:7',
        "a group is empty (a single ':' at the start or end, or two ':' outside '::')",
      ],
      ['1::2:', "a group is empty (a single ':' at the start or end, or two ':' outside '::')"],
      ['12345::', "'12345' is not a group of 1-4 hex digits"],
      ['g::', "'g' is not a group of 1-4 hex digits"],
      [
        '1.2.3.4::',
        "'1.2.3.4' is not a group of 1-4 hex digits (an IPv4 address may only end the address)",
      ],
      [
        '::1.2.3.256',
        "the embedded IPv4 address: '1.2.3.256' is not an IPv4 address: 256 is not an octet",
      ],
      ['1:2:3:4:5:6:7:1.2.3.4', 'expected 8 groups of hex digits, found 9'],
      ['', 'expected 8 groups of hex digits, found 0'],
      [' ::1', "' ' is not a group of 1-4 hex digits"],
      ['[::1]', "'[' is not a group of 1-4 hex digits"],
    ];
    for (const [text, reason] of cases) {
      assert.deepEqual(parseIpv6Address(text), {
        ok: false,
        error: `'${text}' is not an IPv6 address: ${reason}`,
      });
    }
  });

  it('throws RangeError when formatting anything but 16 bytes', () => {
    assert.throws(() => formatIpv6Address(new Uint8Array(4)), RangeError);
    assert.throws(() => formatIpv6Address(new Uint8Array(17)), RangeError);
  });

  // Addresses with long zero runs are what the compression rules are about: bias towards them.
  const addresses = fc
    .array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff })), {
      minLength: 8,
      maxLength: 8,
    })
    .map((groups) => {
      const bytes = new Uint8Array(16);
      groups.forEach((group, i) => {
        bytes[2 * i] = group >>> 8;
        bytes[2 * i + 1] = group & 0xff;
      });
      return bytes;
    });

  it('reads back every address it writes, and writes what the WHATWG URL serializer writes', () => {
    fc.assert(
      fc.property(addresses, (address) => {
        const text = formatIpv6Address(address);
        assert.deepEqual(parsed(text), address);
        // The URL standard compresses the same way and never uses dotted quads.
        if (!text.includes('.')) assert.equal(new URL(`http://[${text}]/`).hostname, `[${text}]`);
      }),
    );
  });

  it('reads every spelling RFC 4291 §2.2 allows of an address', () => {
    fc.assert(
      fc.property(
        addresses,
        fc.record({
          upper: fc.boolean(),
          padded: fc.boolean(),
          compress: fc.nat(),
          ipv4: fc.boolean(),
        }),
        (address, options) => {
          const text = spell(address, options);
          assert.deepEqual(parsed(text), address, text);
        },
      ),
    );
  });

  it("agrees with Node's isIPv6 on random text", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom(...'0123aAfF:.:::19'), maxLength: 42 }),
        (text) => {
          assert.equal(parseIpv6Address(text).ok, isIPv6(text), text);
        },
      ),
      { numRuns: 5000 },
    );
  });
});

describe('IPv6 address helpers', () => {
  const sixteen = fc.uint8Array({ minLength: 16, maxLength: 16 });
  // Bytes of 0 and 1 only: equal pairs come up often enough to test equality both ways.
  const binary = fc.uint8Array({ minLength: 16, maxLength: 16, max: 1 });

  it('has the well-known addresses of RFC 4291 and RFC 3810', () => {
    assert.equal(formatIpv6Address(IPV6_UNSPECIFIED), '::');
    assert.equal(formatIpv6Address(IPV6_LOOPBACK), '::1');
    assert.equal(formatIpv6Address(IPV6_ALL_NODES), 'ff02::1');
    assert.equal(formatIpv6Address(IPV6_ALL_ROUTERS), 'ff02::2');
    assert.equal(formatIpv6Address(IPV6_ALL_MLDV2_ROUTERS), 'ff02::16');
  });

  it('classifies addresses', () => {
    const cases: [string, boolean, boolean, boolean, boolean, number][] = [
      // text, unspecified, loopback, multicast, link-local, multicast scope
      ['::', true, false, false, false, -1],
      ['::1', false, true, false, false, -1],
      ['::2', false, false, false, false, -1],
      ['1::', false, false, false, false, -1],
      ['ff02::1', false, false, true, false, IPV6_SCOPE_LINK_LOCAL],
      ['ff01::1', false, false, true, false, IPV6_SCOPE_INTERFACE_LOCAL],
      ['ff0e::101', false, false, true, false, IPV6_SCOPE_GLOBAL],
      ['ff35::1', false, false, true, false, 5],
      ['fe80::1', false, false, false, true, -1],
      ['febf:ffff::1', false, false, false, true, -1],
      ['fec0::1', false, false, false, false, -1], // deprecated site-local, not link-local
      ['fe7f::1', false, false, false, false, -1],
      ['2001:db8::1', false, false, false, false, -1],
    ];
    for (const [text, unspecified, loopback, multicast, linkLocal, scope] of cases) {
      const address = parsed(text);
      assert.equal(isIpv6Unspecified(address), unspecified, text);
      assert.equal(isIpv6Loopback(address), loopback, text);
      assert.equal(isIpv6Multicast(address), multicast, text);
      assert.equal(isIpv6LinkLocal(address), linkLocal, text);
      assert.equal(ipv6MulticastScope(address), scope, text);
    }
  });

  it('compares addresses', () => {
    assert.ok(ipv6Equal(parsed('2001:db8::1'), parsed('2001:DB8:0::1')));
    assert.ok(!ipv6Equal(parsed('2001:db8::1'), parsed('2001:db8::2')));
    assert.ok(!ipv6Equal(parsed('::'), new Uint8Array(15)));
    fc.assert(
      fc.property(binary, binary, (a, b) => {
        assert.equal(ipv6Equal(a, b), formatIpv6Address(a) === formatIpv6Address(b));
        assert.ok(ipv6Equal(a, a.slice()));
      }),
    );
  });

  it('tests prefixes bit by bit', () => {
    const address = parsed('2001:db8:abcd:12::1');
    assert.ok(ipv6InPrefix(address, parsed('2001:db8::'), 32));
    assert.ok(ipv6InPrefix(address, parsed('2001:db8:abcd:12::'), 64));
    assert.ok(!ipv6InPrefix(address, parsed('2001:db8:abcd:13::'), 64));
    assert.ok(ipv6InPrefix(address, parsed('2001:db8:abcd:13::'), 63));
    assert.ok(ipv6InPrefix(address, parsed('::'), 0));
    assert.ok(ipv6InPrefix(address, address, 128));
    assert.ok(!ipv6InPrefix(address, parsed('2001:db8:abcd:12::2'), 128));
    assert.ok(ipv6InPrefix(parsed('febf::1'), parsed('fe80::'), 10));
    assert.ok(!ipv6InPrefix(parsed('fec0::1'), parsed('fe80::'), 10));
    for (const length of [-1, 129, 1.5]) {
      assert.throws(() => ipv6InPrefix(address, address, length), RangeError);
    }
    assert.throws(() => ipv6InPrefix(new Uint8Array(4), address, 8), RangeError);
    const bits = (a: Uint8Array) =>
      Array.from(a, (byte) => byte.toString(2).padStart(8, '0')).join('');
    fc.assert(
      fc.property(sixteen, sixteen, fc.integer({ min: 0, max: 128 }), (a, b, length) => {
        assert.equal(
          ipv6InPrefix(a, b, length),
          bits(a).slice(0, length) === bits(b).slice(0, length),
        );
        assert.ok(ipv6InPrefix(a, a, length));
      }),
    );
  });

  it('derives solicited-node groups and their Ethernet addresses (RFC 4291 §2.7.1, RFC 2464 §7)', () => {
    assert.equal(
      formatIpv6Address(solicitedNodeAddress(parsed('4037::01:800:200e:8c6c'))),
      'ff02::1:ff0e:8c6c',
    );
    assert.equal(
      formatIpv6Address(solicitedNodeAddress(parsed('fe80::200:5eff:fe10:1'))),
      'ff02::1:ff10:1',
    );
    assert.equal(formatMac(ipv6MulticastMac(IPV6_ALL_NODES)), '33:33:00:00:00:01');
    assert.equal(formatMac(ipv6MulticastMac(parsed('ff02::1:ff0e:8c6c'))), '33:33:ff:0e:8c:6c');
    assert.throws(() => solicitedNodeAddress(new Uint8Array(4)), RangeError);
    assert.throws(() => ipv6MulticastMac(new Uint8Array(4)), RangeError);
  });

  it('forms modified EUI-64 identifiers and SLAAC addresses (RFC 4291 App. A, RFC 4862 §5.5.3)', () => {
    // RFC 4291 Appendix A's example, and a locally administered MAC whose U/L bit clears.
    assert.deepEqual(
      eui64InterfaceIdentifier(fromHex('34 56 78 9a bc de')),
      fromHex('36 56 78 ff fe 9a bc de'),
    );
    const identifier = eui64InterfaceIdentifier(fromHex('02 00 5e 10 00 01'));
    assert.deepEqual(identifier, fromHex('00 00 5e ff fe 10 00 01'));
    assert.equal(
      formatIpv6Address(ipv6FromPrefixAndIdentifier(parsed('fe80::'), 64, identifier)),
      'fe80::5eff:fe10:1',
    );
    assert.equal(
      formatIpv6Address(ipv6FromPrefixAndIdentifier(parsed('2001:db8:1:2:ffff::'), 64, identifier)),
      '2001:db8:1:2:0:5eff:fe10:1',
    );
    assert.throws(() => eui64InterfaceIdentifier(new Uint8Array(8)), RangeError);
    assert.throws(() => ipv6FromPrefixAndIdentifier(parsed('fe80::'), 48, identifier), RangeError);
    assert.throws(
      () => ipv6FromPrefixAndIdentifier(parsed('fe80::'), 64, new Uint8Array(6)),
      RangeError,
    );
  });

  it('parses prefixes', () => {
    assert.deepEqual(parseIpv6Cidr('2001:db8::1/64'), {
      ok: true,
      value: { address: parsed('2001:db8::1'), prefixLength: 64 },
    });
    assert.deepEqual(parseIpv6Cidr('::/0'), {
      ok: true,
      value: { address: parsed('::'), prefixLength: 0 },
    });
    assert.deepEqual(parseIpv6Cidr('fe80::1/128'), {
      ok: true,
      value: { address: parsed('fe80::1'), prefixLength: 128 },
    });
    const cases: [string, string][] = [
      ['2001:db8::1', 'expected an address and a prefix length such as 2001:db8::1/64'],
      ['2001:db8::1/64/1', 'expected an address and a prefix length such as 2001:db8::1/64'],
      ['2001:db8::1/129', "'129' is not a prefix length (0-128)"],
      ['2001:db8::1/064', "'064' is not a prefix length (0-128)"],
      ['2001:db8::1/', "'' is not a prefix length (0-128)"],
      ['2001:db8::1/1000', "'1000' is not a prefix length (0-128)"],
      ['2001:db8::g/64', "'g' is not a group of 1-4 hex digits"],
    ];
    for (const [text, reason] of cases) {
      assert.deepEqual(parseIpv6Cidr(text), {
        ok: false,
        error: `'${text}' is not an IPv6 prefix: ${reason}`,
      });
    }
  });

  it('makes Map keys that are equal exactly for equal addresses', () => {
    assert.equal(ipv6Key(parsed('2001:db8::1')), ipv6Key(parsed('2001:0db8:0:0::1')));
    assert.equal(ipv6Key(IPV6_ALL_NODES).length, 8);
    assert.throws(() => ipv6Key(new Uint8Array(15)), RangeError);
    fc.assert(
      fc.property(fc.oneof(sixteen, binary), binary, (a, b) => {
        assert.equal(ipv6Key(a) === ipv6Key(b), ipv6Equal(a, b));
        const map = new Map([[ipv6Key(a), 1]]);
        assert.equal(map.get(ipv6Key(a.slice())), 1);
      }),
    );
  });
});
