import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bytesEqual, concatBytes, fromHex, unwrap } from '@oasis/core';
import fc from 'fast-check';
import { ICMPV6_ERRORS, type Icmpv6Repr, parseIcmpv6 } from '../src/icmpv6.ts';
import { IP_PROTOCOL_ICMPV6 } from '../src/ipv6.ts';
import { parseIpv6Address } from '../src/ipv6-address.ts';
import {
  emitNdp,
  NDP_ERRORS,
  NDP_INFINITE_LIFETIME,
  NDP_NEIGHBOR_ADVERTISEMENT,
  NDP_NEIGHBOR_SOLICITATION,
  NDP_REDIRECT,
  NDP_ROUTER_ADVERTISEMENT,
  NDP_ROUTER_SOLICITATION,
  type NdpOptions,
  type NdpRepr,
  ndpLength,
  parseNdp,
} from '../src/ndp.ts';
import { ipv6PseudoHeaderSum } from '../src/pseudo-header.ts';

const address = (text: string): Uint8Array => unwrap(parseIpv6Address(text));
const UNSPECIFIED = address('::');
/** Modified EUI-64 of 02:00:5e:10:00:01 (RFC 4291 App. A). */
const LINK_LOCAL = address('fe80::200:5eff:fe10:1');
const SOLICITED_NODE = address('ff02::1:ff10:1');
const ROUTER = address('fe80::1');
const ALL_NODES = address('ff02::1');
const HOST_MAC = fromHex('02 00 5e 10 00 01');
const ROUTER_MAC = fromHex('02 00 5e 00 00 01');

function pseudo(source: Uint8Array, destination: Uint8Array, length: number): number {
  return ipv6PseudoHeaderSum(source, destination, IP_PROTOCOL_ICMPV6, length);
}

// Duplicate Address Detection for fe80::200:5eff:fe10:1 (RFC 4862 §5.4.2): from ::, to its
// solicited-node group, no source link-layer address, a nonce (RFC 7527) as Linux sends it.
// All fixtures' checksums confirmed by tshark.
const DAD_SOLICITATION = fromHex(`
  87 00                    # type 135: neighbor solicitation, code 0
  c3 7d                    # checksum
  00 00 00 00              # reserved
  fe 80 00 00 00 00 00 00  02 00 5e ff fe 10 00 01   # target fe80::200:5eff:fe10:1
  0e 01 a1 b2 c3 d4 e5 f6  # nonce option: type 14, length 1 (8 bytes), 6-byte nonce
`);

// The answer to a solicitation from fe80::1: solicited, override, with the target's MAC.
const ADVERTISEMENT = fromHex(`
  88 00                    # type 136: neighbor advertisement, code 0
  fb eb                    # checksum
  60 00 00 00              # flags: R 0, S 1, O 1; reserved
  fe 80 00 00 00 00 00 00  02 00 5e ff fe 10 00 01   # target
  02 01 02 00 5e 10 00 01  # target link-layer address option: 02:00:5e:10:00:01
`);

// A router advertisement to all nodes, as radvd would announce 2001:db8:0:1::/64.
const ROUTER_ADVERTISEMENT = fromHex(`
  86 00                    # type 134: router advertisement, code 0
  8f e8                    # checksum
  40                       # current hop limit 64
  00                       # M 0, O 0
  07 08                    # router lifetime 1800 s
  00 00 00 00              # reachable time: unspecified
  00 00 00 00              # retransmission timer: unspecified
  01 01 02 00 5e 00 00 01  # source link-layer address option: 02:00:5e:00:00:01
  05 01 00 00 00 00 05 dc  # MTU option: 1500
  03 04                    # prefix information option, length 4 (32 bytes)
  40                       # prefix length 64
  c0                       # L 1, A 1
  00 27 8d 00              # valid lifetime 2592000 s (30 days)
  00 09 3a 80              # preferred lifetime 604800 s (7 days)
  00 00 00 00              # reserved
  20 01 0d b8 00 00 00 01  00 00 00 00 00 00 00 00   # prefix 2001:db8:0:1::
`);

const FIXTURES = [
  { bytes: DAD_SOLICITATION, source: UNSPECIFIED, destination: SOLICITED_NODE },
  { bytes: ADVERTISEMENT, source: LINK_LOCAL, destination: ROUTER },
  { bytes: ROUTER_ADVERTISEMENT, source: ROUTER, destination: ALL_NODES },
] as const;

const NO_OPTIONS: NdpOptions = { prefixes: [] };

/** The ICMPv6 envelope's 'other' repr, as the stack hands it to parseNdp. */
function envelope(bytes: Uint8Array, source: Uint8Array, destination: Uint8Array): Icmpv6Repr {
  return unwrap(parseIcmpv6(bytes, pseudo(source, destination, bytes.length)));
}

function parsedNdp(bytes: Uint8Array): NdpRepr {
  const result = parseNdp(bytes[0]!, bytes[1]!, bytes.subarray(4));
  assert.ok(result.ok, JSON.stringify(result));
  return result.value;
}

function refused(bytes: Uint8Array): string | undefined {
  const result = parseNdp(bytes[0]!, bytes[1]!, bytes.subarray(4));
  return result.ok ? undefined : result.error.key;
}

function emitted(repr: NdpRepr, source: Uint8Array, destination: Uint8Array): Uint8Array {
  const buffer = new Uint8Array(ndpLength(repr));
  assert.equal(emitNdp(repr, buffer, pseudo(source, destination, buffer.length)), buffer.length);
  return buffer;
}

/** Records with Object's prototype, like the codec's (fast-check's default has none). */
const record = <T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }) =>
  fc.record(model, { noNullPrototype: true });

const u8 = fc.nat({ max: 0xff });
const u16 = fc.nat({ max: 0xffff });
const u32 = fc.nat({ max: 0xffff_ffff });
const ipv6 = fc.uint8Array({ minLength: 16, maxLength: 16 });
const unicast = ipv6.filter((bytes) => bytes[0] !== 0xff);
const mac = fc.uint8Array({ minLength: 6, maxLength: 6 });
const optionsArbitrary: fc.Arbitrary<NdpOptions> = fc.record(
  {
    sourceLinkAddress: mac,
    targetLinkAddress: mac,
    prefixes: fc.array(
      record({
        prefixLength: fc.nat({ max: 128 }),
        onLink: fc.boolean(),
        autonomous: fc.boolean(),
        validLifetimeS: u32,
        preferredLifetimeS: u32,
        prefix: ipv6,
      }),
      { maxLength: 3 },
    ),
    mtu: u32,
    rdnss: record({ lifetimeS: u32, servers: fc.array(ipv6, { minLength: 1, maxLength: 3 }) }),
    nonce: fc
      .integer({ min: 1, max: 3 })
      .chain((units) => fc.uint8Array({ minLength: units * 8 - 2, maxLength: units * 8 - 2 })),
  },
  { requiredKeys: ['prefixes'], noNullPrototype: true },
);
const linkLocal = fc
  .uint8Array({ minLength: 14, maxLength: 14 })
  .map((rest) => concatBytes([fromHex('fe 80'), rest]));
const reprArbitrary: fc.Arbitrary<NdpRepr> = fc.oneof(
  optionsArbitrary.map((options) => ({ kind: 'router-solicitation' as const, options })),
  fc
    .record({
      curHopLimit: u8,
      managed: fc.boolean(),
      other: fc.boolean(),
      routerLifetimeS: u16,
      reachableTimeMs: u32,
      retransTimerMs: u32,
      options: optionsArbitrary,
    })
    .map((fields) => ({ kind: 'router-advertisement' as const, ...fields })),
  fc
    .record({ target: unicast, options: optionsArbitrary })
    .map((fields) => ({ kind: 'neighbor-solicitation' as const, ...fields })),
  fc
    .record({
      router: fc.boolean(),
      solicited: fc.boolean(),
      override: fc.boolean(),
      target: unicast,
      options: optionsArbitrary,
    })
    .map((fields) => ({ kind: 'neighbor-advertisement' as const, ...fields })),
  fc
    .record({ target: linkLocal, destination: unicast, options: optionsArbitrary })
    .map((fields) => ({ kind: 'redirect' as const, ...fields })),
  fc
    .record({ destination: unicast, options: optionsArbitrary })
    .map((fields) => ({ kind: 'redirect' as const, target: fields.destination, ...fields })),
);

describe('NDP', () => {
  it('reads the fixtures out of verified ICMPv6 envelopes', () => {
    const types = [NDP_NEIGHBOR_SOLICITATION, NDP_NEIGHBOR_ADVERTISEMENT, NDP_ROUTER_ADVERTISEMENT];
    for (const [index, { bytes, source, destination }] of FIXTURES.entries()) {
      const repr = envelope(bytes, source, destination);
      assert.equal(repr.kind, 'other');
      if (repr.kind !== 'other') continue;
      assert.equal(repr.type, types[index]);
      const ndp = parseNdp(repr.type, repr.code, repr.body);
      assert.ok(ndp.ok);
      assert.deepEqual(ndp.value, parsedNdp(bytes));
    }
  });

  it('reads a DAD solicitation and writes it back', () => {
    const repr = parsedNdp(DAD_SOLICITATION);
    assert.deepEqual(repr, {
      kind: 'neighbor-solicitation',
      target: LINK_LOCAL,
      options: { prefixes: [], nonce: fromHex('a1 b2 c3 d4 e5 f6') },
    });
    assert.ok(bytesEqual(emitted(repr, UNSPECIFIED, SOLICITED_NODE), DAD_SOLICITATION));
  });

  it('reads a neighbor advertisement and writes it back', () => {
    const repr = parsedNdp(ADVERTISEMENT);
    assert.deepEqual(repr, {
      kind: 'neighbor-advertisement',
      router: false,
      solicited: true,
      override: true,
      target: LINK_LOCAL,
      options: { prefixes: [], targetLinkAddress: HOST_MAC },
    });
    assert.ok(bytesEqual(emitted(repr, LINK_LOCAL, ROUTER), ADVERTISEMENT));
  });

  it('reads a router advertisement and writes it back', () => {
    const repr = parsedNdp(ROUTER_ADVERTISEMENT);
    assert.deepEqual(repr, {
      kind: 'router-advertisement',
      curHopLimit: 64,
      managed: false,
      other: false,
      routerLifetimeS: 1800,
      reachableTimeMs: 0,
      retransTimerMs: 0,
      options: {
        sourceLinkAddress: ROUTER_MAC,
        mtu: 1500,
        prefixes: [
          {
            prefixLength: 64,
            onLink: true,
            autonomous: true,
            validLifetimeS: 2592000,
            preferredLifetimeS: 604800,
            prefix: address('2001:db8:0:1::'),
          },
        ],
      },
    });
    assert.ok(bytesEqual(emitted(repr, ROUTER, ALL_NODES), ROUTER_ADVERTISEMENT));
  });

  it('reads RDNSS, skips unknown options and keeps the first of a repeated option', () => {
    const bytes = concatBytes([
      fromHex(`
        86 00 00 00  40 c0 00 00  00 00 75 30  00 00 03 e8   # M 1, O 1, lifetime 0, 30 s, 1 s
        18 02 30 00 00 00 0e 10  20 01 0d b8 00 00 00 00     # route information (RFC 4191): skipped
        01 01 02 00 5e 00 00 01  # source link-layer address
        01 01 02 00 5e 00 00 02  # a second one: ignored
        19 05 00 00 ff ff ff ff  # RDNSS: length 5 (two servers), lifetime infinite
        20 01 0d b8 00 00 00 00  00 00 00 00 00 00 00 53
        20 01 0d b8 00 00 00 00  00 00 00 00 00 00 05 53
        19 03 00 00 00 00 00 3c  # a second RDNSS option: ignored
        20 01 0d b8 00 00 00 00  00 00 00 00 00 00 00 99
        05 01 00 00 00 00 05 00  # MTU 1280
        05 01 00 00 00 00 05 dc  # a second MTU: ignored
        03 04 30 80 00 00 0e 10  00 00 07 08 00 00 00 00     # prefix /48, L only
        20 01 0d b8 00 02 00 00  00 00 00 00 00 00 00 00
        03 04 40 40 00 00 0e 10  00 00 0e 10 00 00 00 00     # prefix /64, A only
        20 01 0d b8 00 03 00 00  00 00 00 00 00 00 00 00
        1f 01 00 00 00 00 00 00  # DNSSL (RFC 8106), unknown here: skipped
      `),
    ]);
    const repr = parsedNdp(bytes);
    assert.equal(repr.kind, 'router-advertisement');
    if (repr.kind !== 'router-advertisement') return;
    assert.ok(repr.managed && repr.other);
    assert.equal(repr.routerLifetimeS, 0);
    assert.equal(repr.reachableTimeMs, 30000);
    assert.equal(repr.retransTimerMs, 1000);
    assert.deepEqual(repr.options.sourceLinkAddress, ROUTER_MAC);
    assert.equal(repr.options.mtu, 1280);
    assert.deepEqual(repr.options.rdnss, {
      lifetimeS: NDP_INFINITE_LIFETIME,
      servers: [address('2001:db8::53'), address('2001:db8::553')],
    });
    assert.deepEqual(
      repr.options.prefixes.map((p) => [p.prefixLength, p.onLink, p.autonomous]),
      [
        [48, true, false],
        [64, false, true],
      ],
    );
    // Written back canonically: known options once, in a fixed order, unknown ones dropped.
    const canonical = emitted(repr, ROUTER, ALL_NODES);
    assert.equal(canonical.length, 16 + 8 + 8 + 2 * 32 + 40);
    assert.deepEqual(parsedNdp(canonical), repr);
  });

  it('reads router solicitations, with and without a source link-layer address', () => {
    const bare = fromHex('85 00 00 00 00 00 00 00');
    assert.deepEqual(parsedNdp(bare), { kind: 'router-solicitation', options: NO_OPTIONS });
    const withSource = fromHex('85 00 00 00 00 00 00 00 01 01 02 00 5e 10 00 01');
    const repr = parsedNdp(withSource);
    assert.deepEqual(repr, {
      kind: 'router-solicitation',
      options: { prefixes: [], sourceLinkAddress: HOST_MAC },
    });
    const bytes = emitted(repr, LINK_LOCAL, address('ff02::2'));
    assert.ok(bytesEqual(bytes.subarray(4), withSource.subarray(4)));
    assert.equal(envelope(bytes, LINK_LOCAL, address('ff02::2')).kind, 'other');
  });

  it('reads redirects and refuses those §8.1 rules out', () => {
    const redirect = (target: string, destination: string): Uint8Array =>
      concatBytes([
        fromHex('89 00 00 00 00 00 00 00'),
        address(target),
        address(destination),
        fromHex('02 01 02 00 5e 00 00 02'), // target link-layer address
        fromHex('04 01 00 00 00 00 00 00'), // redirected header, empty: skipped
      ]);
    const toRouter = parsedNdp(redirect('fe80::2', '2001:db8::99'));
    assert.deepEqual(toRouter, {
      kind: 'redirect',
      target: address('fe80::2'),
      destination: address('2001:db8::99'),
      options: { prefixes: [], targetLinkAddress: fromHex('02 00 5e 00 00 02') },
    });
    const onLink = parsedNdp(redirect('2001:db8::99', '2001:db8::99'));
    assert.equal(onLink.kind, 'redirect');
    assert.equal(refused(redirect('fe80::2', 'ff02::1')), 'ndp.multicast-target');
    assert.equal(refused(redirect('2001:db8::2', '2001:db8::99')), 'ndp.bad-redirect');
    const bytes = emitted(toRouter, ROUTER, address('2001:db8::10'));
    assert.equal(bytes[0], NDP_REDIRECT);
    assert.deepEqual(parsedNdp(bytes), toRouter);
  });

  it('applies the codec-level validity checks (RFC 4861 §6.1, §7.1)', () => {
    // Code 0.
    const coded = ADVERTISEMENT.slice();
    coded[1] = 1;
    assert.equal(refused(coded), 'ndp.bad-code');
    // Target not multicast.
    for (const fixture of [DAD_SOLICITATION, ADVERTISEMENT]) {
      const multicast = fixture.slice();
      multicast.set(ALL_NODES, 8);
      assert.equal(refused(multicast), 'ndp.multicast-target');
    }
    // The minimum ICMP lengths: 8, 16, 24, 24, 40.
    for (const [type, minimum] of [
      [NDP_ROUTER_SOLICITATION, 8],
      [NDP_ROUTER_ADVERTISEMENT, 16],
      [NDP_NEIGHBOR_SOLICITATION, 24],
      [NDP_NEIGHBOR_ADVERTISEMENT, 24],
      [NDP_REDIRECT, 40],
    ] as const) {
      const body = new Uint8Array(minimum - 4);
      // A redirect needs a link-local target (or one equal to its destination, :: here).
      if (type === NDP_REDIRECT) body.set(ROUTER, 4);
      for (let length = 0; length < body.length; length++) {
        assert.deepEqual(parseNdp(type, 0, body.subarray(0, length)), {
          ok: false,
          error: NDP_ERRORS.truncated,
        });
      }
      assert.ok(parseNdp(type, 0, body).ok, `type ${type}`);
    }
    assert.deepEqual(parseNdp(128, 0, new Uint8Array(20)), {
      ok: false,
      error: NDP_ERRORS['not-ndp'],
    });
  });

  it('refuses an option of length zero (RFC 4861 §4.6), and options cut short', () => {
    const zero = concatBytes([
      DAD_SOLICITATION.subarray(0, 24),
      fromHex('0e 00 a1 b2 c3 d4 e5 f6'),
    ]);
    assert.equal(refused(zero), 'ndp.option-length-zero');
    // An unknown option of length zero is refused too: its length cannot be skipped.
    const unknownZero = concatBytes([DAD_SOLICITATION, fromHex('c8 00 00 00 00 00 00 00')]);
    assert.equal(refused(unknownZero), 'ndp.option-length-zero');
    // Every prefix of a message: the fixed part cut is 'truncated', an option cut is
    // 'option-truncated', and a cut between options leaves a valid shorter message.
    for (const { bytes } of FIXTURES) {
      const fixedEnd = bytes[0] === NDP_ROUTER_ADVERTISEMENT ? 16 : 24;
      const boundaries = new Set<number>([fixedEnd]);
      for (let at = fixedEnd; at < bytes.length; at += bytes[at + 1]! * 8) boundaries.add(at);
      for (let length = 4; length < bytes.length; length++) {
        const key = refused(bytes.subarray(0, length));
        if (length < fixedEnd) assert.equal(key, 'ndp.truncated', `length ${length}`);
        else if (boundaries.has(length)) assert.equal(key, undefined, `length ${length}`);
        else assert.equal(key, 'ndp.option-truncated', `length ${length}`);
      }
    }
  });

  it('refuses every truncated prefix at the ICMPv6 layer, whose checksum covers the length', () => {
    for (const { bytes, source, destination } of FIXTURES) {
      for (let length = 0; length < bytes.length; length++) {
        const result = parseIcmpv6(bytes.subarray(0, length), pseudo(source, destination, length));
        const error = length < 4 ? ICMPV6_ERRORS.truncated : ICMPV6_ERRORS['bad-checksum'];
        assert.deepEqual(result, { ok: false, error }, `length ${length}`);
      }
    }
  });

  it('refuses known options of the wrong length or contents', () => {
    const base = fromHex('85 00 00 00 00 00 00 00');
    const cases = [
      '01 02 02 00 5e 10 00 01 00 00 00 00 00 00 00 00', // link-layer address of 2 units
      '05 02 00 00 00 00 05 dc 00 00 00 00 00 00 00 00', // MTU of 2 units
      `03 03 40 c0 ${'00'.repeat(20)}`, // prefix information of 3 units
      `03 04 81 c0 ${'00'.repeat(28)}`, // prefix length 129
      `19 02 00 00 00 00 00 3c ${'00'.repeat(8)}`, // RDNSS of 2 units: no whole address
      `19 04 00 00 00 00 00 3c ${'00'.repeat(24)}`, // RDNSS of 4 units: half an address
    ];
    for (const option of cases) {
      assert.equal(refused(concatBytes([base, fromHex(option)])), 'ndp.bad-option', option);
    }
  });

  it('leaves the IP-level checks to the caller', () => {
    // A DAD solicitation carrying a source link-layer address breaks §7.1.1 only given its
    // unspecified IP source, which the codec does not see: it parses.
    const withSource = concatBytes([DAD_SOLICITATION, fromHex('01 01 02 00 5e 10 00 01')]);
    const repr = parsedNdp(withSource);
    assert.equal(
      repr.kind === 'neighbor-solicitation' && repr.options.sourceLinkAddress?.length,
      6,
    );
  });

  it('emits from a representation and reads it back', () => {
    fc.assert(
      fc.property(reprArbitrary, (repr) => {
        const bytes = emitted(repr, LINK_LOCAL, ALL_NODES);
        assert.equal(bytes.length % 8, 0); // options and fixed parts are whole 8-byte units
        const icmp = envelope(bytes, LINK_LOCAL, ALL_NODES);
        assert.equal(icmp.kind, 'other');
        assert.deepEqual(parsedNdp(bytes), repr);
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on random or mutated bytes', () => {
    const types = fc.constantFrom(133, 134, 135, 136, 137, 128);
    fc.assert(
      fc.property(
        types,
        fc.nat({ max: 1 }),
        fc.uint8Array({ maxLength: 80 }),
        (type, code, body) => {
          const result = parseNdp(type, code, body);
          if (result.ok) assert.ok(ndpLength(result.value) >= 8);
        },
      ),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(
        fc.constantFrom(...FIXTURES),
        fc.array(fc.tuple(fc.nat({ max: 63 }), u8), { minLength: 1, maxLength: 4 }),
        fc.nat({ max: 64 }),
        ({ bytes: fixture }, mutations, length) => {
          const bytes = fixture.slice();
          for (const [offset, value] of mutations) if (offset < bytes.length) bytes[offset] = value;
          const result = parseNdp(fixture[0]!, 0, bytes.subarray(4, Math.max(4, length)));
          if (!result.ok) return;
          // What parses emits, and reads back the same.
          assert.deepEqual(parsedNdp(emitted(result.value, LINK_LOCAL, ALL_NODES)), result.value);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('throws RangeError on programmer errors when emitting', () => {
    const buffer = new Uint8Array(200);
    const ns: NdpRepr = { kind: 'neighbor-solicitation', target: LINK_LOCAL, options: NO_OPTIONS };
    assert.throws(() => emitNdp(ns, new Uint8Array(23), 0), RangeError);
    assert.throws(() => emitNdp({ ...ns, target: new Uint8Array(4) }, buffer, 0), RangeError);
    const withOptions = (options: NdpOptions): NdpRepr => ({ ...ns, options });
    for (const options of [
      { prefixes: [], sourceLinkAddress: new Uint8Array(8) },
      { prefixes: [], mtu: 2 ** 32 },
      { prefixes: [], nonce: new Uint8Array(4) },
      { prefixes: [], nonce: new Uint8Array(7) },
      { prefixes: [], rdnss: { lifetimeS: 60, servers: [] } },
      { prefixes: [], rdnss: { lifetimeS: -1, servers: [LINK_LOCAL] } },
      {
        prefixes: [
          {
            prefixLength: 129,
            onLink: true,
            autonomous: true,
            validLifetimeS: 1,
            preferredLifetimeS: 1,
            prefix: LINK_LOCAL,
          },
        ],
      },
    ]) {
      assert.throws(() => emitNdp(withOptions(options), buffer, 0), RangeError);
    }
    const ra: NdpRepr = {
      kind: 'router-advertisement',
      curHopLimit: 64,
      managed: false,
      other: false,
      routerLifetimeS: 0x10000,
      reachableTimeMs: 0,
      retransTimerMs: 0,
      options: NO_OPTIONS,
    };
    assert.throws(() => emitNdp(ra, buffer, 0), RangeError);
    assert.throws(
      () => emitNdp({ ...ra, routerLifetimeS: 0, curHopLimit: 256 }, buffer, 0),
      RangeError,
    );
  });
});
