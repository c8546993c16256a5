import assert from 'node:assert/strict';
import { isIPv6 } from 'node:net';
import { describe, it } from 'node:test';
import { fromHex } from '@oasis/core';
import fc from 'fast-check';
import { formatIpv6Address, parseIpv6Address } from '../src/ipv6-address.ts';

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
