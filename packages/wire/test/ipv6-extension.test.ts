import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bytesEqual, concatBytes, fromHex, internetChecksum } from '@oasis/core';
import fc from 'fast-check';
import { IP_PROTOCOL_TCP, IP_PROTOCOL_UDP } from '../src/ipv4.ts';
import {
  IP_PROTOCOL_HOP_BY_HOP,
  IP_PROTOCOL_ICMPV6,
  IP_PROTOCOL_IPV6_DESTINATION_OPTIONS,
  IP_PROTOCOL_IPV6_FRAGMENT,
  IP_PROTOCOL_IPV6_NO_NEXT,
  IP_PROTOCOL_IPV6_ROUTING,
  IPV6_HEADER_LENGTH,
  Ipv6Packet,
  writeIpv6Header,
} from '../src/ipv6.ts';
import { parseIpv6Address } from '../src/ipv6-address.ts';
import {
  IPV6_CHAIN_ERRORS,
  IPV6_FRAGMENT_HEADER_LENGTH,
  IPV6_MAX_EXTENSION_HEADERS,
  type Ipv6ChainReason,
  type Ipv6ChainVerdict,
  Ipv6HeaderChain,
  walkIpv6Headers,
  writeIpv6FragmentHeader,
} from '../src/ipv6-extension.ts';
import { ipv6PseudoHeaderSum } from '../src/pseudo-header.ts';
import { emitUdp } from '../src/udp.ts';

function address(text: string): Uint8Array {
  const parsed = parseIpv6Address(text);
  assert.ok(parsed.ok);
  return parsed.value;
}

const SOURCE = address('2001:db8::1');
const UNICAST = address('2001:db8::2');
const MULTICAST = address('ff02::1');

/** A packet from SOURCE: the fixed header, then `parts` as the payload. */
function packet(
  nextHeader: number,
  parts: Uint8Array[],
  destination: Uint8Array = UNICAST,
): Ipv6Packet {
  const payload = concatBytes(parts);
  const bytes = new Uint8Array(IPV6_HEADER_LENGTH + payload.length);
  writeIpv6Header(bytes, SOURCE, destination, nextHeader, 64, payload.length);
  bytes.set(payload, IPV6_HEADER_LENGTH);
  const checked = Ipv6Packet.checked(bytes);
  assert.ok(checked.ok, checked.ok ? '' : checked.error.key);
  return checked.value;
}

/** A UDP datagram from port 5353 to 53 carrying `text`, its checksum computed for SOURCE → UNICAST. */
function udp(text: string): Uint8Array {
  const payload = new TextEncoder().encode(text);
  const out = new Uint8Array(8 + payload.length);
  emitUdp(
    { sourcePort: 5353, destinationPort: 53, checksum: 'compute', payload },
    out,
    ipv6PseudoHeaderSum(SOURCE, UNICAST, IP_PROTOCOL_UDP, out.length),
  );
  return out;
}

/** A destination options (or hop-by-hop) header of 8 bytes holding one 6-byte option area. */
function options(nextHeader: number, area: string): Uint8Array {
  const bytes = concatBytes([Uint8Array.of(nextHeader, 0), fromHex(area)]);
  assert.equal(bytes.length, 8);
  return bytes;
}

function fragmentHeader(
  nextHeader: number,
  offsetBytes: number,
  more: boolean,
  identification = 0x12345678,
): Uint8Array {
  const bytes = new Uint8Array(IPV6_FRAGMENT_HEADER_LENGTH);
  writeIpv6FragmentHeader(bytes, 0, nextHeader, offsetBytes, more, identification);
  return bytes;
}

function walk(p: Ipv6Packet, chain = new Ipv6HeaderChain()): [Ipv6ChainVerdict, Ipv6HeaderChain] {
  return [walkIpv6Headers(p, chain), chain];
}

function assertDropped(verdict: Ipv6ChainVerdict, reason: Ipv6ChainReason): void {
  assert.ok(verdict !== undefined, `expected a drop for ${reason}`);
  assert.equal(verdict.reason, reason);
  assert.equal(verdict.key, `ipv6.${reason}`);
  assert.equal(verdict.key, IPV6_CHAIN_ERRORS[reason].key);
  assert.equal(verdict.icmp, undefined, 'a silent drop');
}

function assertProblem(
  verdict: Ipv6ChainVerdict,
  reason: Ipv6ChainReason,
  code: number,
  pointer: number,
  evenIfMulticast = false,
): void {
  assert.ok(verdict !== undefined, `expected a Parameter Problem for ${reason}`);
  assert.equal(verdict.key, `ipv6.${reason}`);
  assert.deepEqual(verdict.icmp && { ...verdict.icmp }, { code, pointer, evenIfMulticast }, reason);
}

// The MLDv2 report of ipv6.test.ts: a hop-by-hop header with Router Alert, then ICMPv6.
const MLD_REPORT = fromHex(`
  60 00 00 00 00 24 00 01                   # version 6; payload length 36; hop-by-hop; hop limit 1
  fe80 0000 0000 0000 0200 5eff fe10 0001   # source fe80::200:5eff:fe10:1
  ff02 0000 0000 0000 0000 0000 0000 0016   # destination ff02::16
  3a 00 05 02 00 00 01 00   # hop-by-hop: next ICMPv6, 8 bytes; Router Alert MLD (0); PadN 0
  8f 00 11 f7 00 00 00 01 04 00 00 00       # MLDv2 report, one record: change to exclude
  ff02 0000 0000 0000 0000 0001 ff00 0001   # ff02::1:ff00:1
`);

describe('IPv6 extension header chain', () => {
  it('finds the upper layer right after the fixed header', () => {
    const [verdict, chain] = walk(packet(IP_PROTOCOL_UDP, [udp('hi')]));
    assert.equal(verdict, undefined);
    assert.equal(chain.protocol, IP_PROTOCOL_UDP);
    assert.equal(chain.upperOffset, 40);
    assert.equal(chain.protocolPointer, 6);
    assert.equal(chain.fragment, false);
    assert.equal(chain.routerAlert, -1);
  });

  it('reads the Router Alert of an MLD report and finds its ICMPv6 message', () => {
    const p = Ipv6Packet.checked(MLD_REPORT);
    assert.ok(p.ok);
    const [verdict, chain] = walk(p.value);
    assert.equal(verdict, undefined);
    assert.equal(chain.routerAlert, 0);
    assert.equal(chain.protocol, IP_PROTOCOL_ICMPV6);
    assert.equal(chain.upperOffset, 48);
    assert.equal(chain.protocolPointer, 40);
    const message = MLD_REPORT.subarray(chain.upperOffset);
    const sum = ipv6PseudoHeaderSum(p.value.source, p.value.destination, 58, message.length);
    assert.equal(internetChecksum(message, sum), 0);
  });

  it('walks hop-by-hop, destination options and an atomic fragment to UDP', () => {
    const datagram = udp('atomic');
    const p = packet(IP_PROTOCOL_HOP_BY_HOP, [
      fromHex('3c 00 01 04 00 00 00 00   # hop-by-hop: next destination options; PadN 4'),
      fromHex(
        '2c 00 00 00 1e 02 aa bb   # destination options: next fragment; Pad1 ×2; type 0x1e (skip)',
      ),
      fragmentHeader(IP_PROTOCOL_UDP, 0, false, 0xfeedf00d),
      datagram,
    ]);
    const [verdict, chain] = walk(p);
    assert.equal(verdict, undefined);
    assert.equal(chain.protocol, IP_PROTOCOL_UDP);
    assert.equal(chain.upperOffset, 64);
    assert.equal(chain.protocolPointer, 56);
    assert.equal(chain.fragment, true);
    assert.equal(chain.atomicFragment, true);
    assert.equal(chain.fragmentOffset, 0);
    assert.equal(chain.moreFragments, false);
    assert.equal(chain.fragmentIdentification, 0xfeedf00d);
    assert.equal(chain.fragmentHeaderOffset, 56);
    assert.equal(chain.fragmentDataOffset, 64);
    assert.equal(chain.fragmentNextHeader, IP_PROTOCOL_UDP);
    // The UDP checksum verifies where the walk says the datagram is.
    const found = p.bytes.subarray(chain.upperOffset, p.totalLength);
    assert.ok(bytesEqual(found, datagram));
    const sum = ipv6PseudoHeaderSum(p.source, p.destination, chain.protocol, found.length);
    assert.equal(internetChecksum(found, sum), 0);
  });

  it('stops at a first fragment once its whole chain is there (RFC 7112 §5)', () => {
    const p = packet(IP_PROTOCOL_HOP_BY_HOP, [
      fromHex('2c 00 01 04 00 00 00 00   # hop-by-hop: next fragment; PadN 4'),
      fragmentHeader(IP_PROTOCOL_IPV6_DESTINATION_OPTIONS, 0, true, 7),
      // After the fragment header: processed after reassembly, so an option of action 01 does
      // not discard the fragment here.
      fromHex('11 00 5e 04 00 00 00 00   # destination options: next UDP; type 0x5e (discard)'),
      udp('first fragmen'),
      fromHex('00 00 00'),
    ]);
    const [verdict, chain] = walk(p);
    assert.equal(verdict, undefined);
    assert.equal(chain.protocol, IP_PROTOCOL_IPV6_FRAGMENT);
    assert.equal(chain.upperOffset, 48);
    assert.equal(chain.protocolPointer, 40);
    assert.equal(chain.fragment, true);
    assert.equal(chain.atomicFragment, false);
    assert.equal(chain.moreFragments, true);
    assert.equal(chain.fragmentOffset, 0);
    assert.equal(chain.fragmentIdentification, 7);
    assert.equal(chain.fragmentHeaderOffset, 48);
    assert.equal(chain.fragmentDataOffset, 56);
    assert.equal(chain.fragmentNextHeader, IP_PROTOCOL_IPV6_DESTINATION_OPTIONS);
  });

  it('stops after the fragment header of a later fragment, whatever its data', () => {
    const p = packet(IP_PROTOCOL_IPV6_FRAGMENT, [
      fragmentHeader(IP_PROTOCOL_UDP, 1232, true, 0xffffffff),
      fromHex('00 ff ff ff ff ff ff ff 00 ff ff ff ff ff ff ff'),
    ]);
    const [verdict, chain] = walk(p);
    assert.equal(verdict, undefined);
    assert.equal(chain.protocol, IP_PROTOCOL_IPV6_FRAGMENT);
    assert.equal(chain.upperOffset, 40);
    assert.equal(chain.protocolPointer, 6);
    assert.equal(chain.fragmentOffset, 1232);
    assert.equal(chain.moreFragments, true);
    assert.equal(chain.fragmentIdentification, 0xffffffff);
    assert.equal(chain.fragmentDataOffset, 48);
    // The last fragment may end anywhere.
    const last = packet(IP_PROTOCOL_IPV6_FRAGMENT, [
      fragmentHeader(IP_PROTOCOL_UDP, 2464, false),
      fromHex('01 02 03'),
    ]);
    const [lastVerdict, lastChain] = walk(last);
    assert.equal(lastVerdict, undefined);
    assert.equal(lastChain.atomicFragment, false);
    assert.equal(lastChain.moreFragments, false);
  });

  it('refuses hop-by-hop options anywhere but first (RFC 8200 §4.1)', () => {
    const afterOptions = packet(IP_PROTOCOL_IPV6_DESTINATION_OPTIONS, [
      fromHex('00 00 01 04 00 00 00 00   # destination options: next hop-by-hop'),
      fromHex('11 00 01 04 00 00 00 00   # hop-by-hop: next UDP'),
      udp('x'),
    ]);
    assertProblem(walk(afterOptions)[0], 'hop-by-hop-not-first', 1, 40);
    const afterAtomicFragment = packet(IP_PROTOCOL_IPV6_FRAGMENT, [
      fragmentHeader(IP_PROTOCOL_HOP_BY_HOP, 0, false),
      fromHex('11 00 01 04 00 00 00 00'),
      udp('x'),
    ]);
    assertProblem(walk(afterAtomicFragment)[0], 'hop-by-hop-not-first', 1, 40);
  });

  it('acts on an unrecognised option as its two high bits say (RFC 8200 §4.2)', () => {
    for (const first of [IP_PROTOCOL_HOP_BY_HOP, IP_PROTOCOL_IPV6_DESTINATION_OPTIONS]) {
      for (const destination of [UNICAST, MULTICAST]) {
        const multicast = destination === MULTICAST;
        const withOption = (type: string) =>
          packet(
            first,
            [options(IP_PROTOCOL_UDP, `00 ${type} 02 00 00 00`), udp('x')],
            destination,
          );
        // 00: skip, 01: discard silently.
        assert.equal(walk(withOption('3f'))[0], undefined);
        assertDropped(walk(withOption('5e'))[0], 'option-discard');
        // 10: discard and report, to a multicast destination too; the pointer is the type octet.
        assertProblem(walk(withOption('9e'))[0], 'unknown-option', 2, 43, true);
        // 11: discard, and report only to a unicast destination.
        const eleven = walk(withOption('de'))[0];
        if (multicast) assertDropped(eleven, 'unknown-option');
        else assertProblem(eleven, 'unknown-option', 2, 43);
      }
    }
  });

  it('takes Router Alert only in hop-by-hop options, with a 2-byte value (RFC 2711)', () => {
    const inDestination = packet(IP_PROTOCOL_IPV6_DESTINATION_OPTIONS, [
      options(IP_PROTOCOL_UDP, '05 02 00 00 01 00'),
      udp('x'),
    ]);
    const [verdict, chain] = walk(inDestination);
    assert.equal(verdict, undefined);
    assert.equal(chain.routerAlert, -1);
    const rsvp = packet(IP_PROTOCOL_HOP_BY_HOP, [
      options(IP_PROTOCOL_UDP, '05 02 00 01 01 00'),
      udp('x'),
    ]);
    assert.equal(walk(rsvp)[1].routerAlert, 1);
    const tooLong = packet(IP_PROTOCOL_HOP_BY_HOP, [
      options(IP_PROTOCOL_UDP, '05 03 00 00 00 01'),
      udp('x'),
    ]);
    assertProblem(walk(tooLong)[0], 'bad-option', 0, 43);
  });

  it('refuses an option running past its header, pointing at its length', () => {
    const overflow = packet(IP_PROTOCOL_IPV6_DESTINATION_OPTIONS, [
      options(IP_PROTOCOL_UDP, '01 00 01 03 00 00   # PadN 0, then PadN 3 one byte too long'),
      udp('x'),
    ]);
    assertProblem(walk(overflow)[0], 'bad-option', 0, 45);
    const noLength = packet(IP_PROTOCOL_IPV6_DESTINATION_OPTIONS, [
      options(IP_PROTOCOL_UDP, '00 00 00 00 00 01   # Pad1 ×5, then a PadN without its length'),
      udp('x'),
    ]);
    assertProblem(walk(noLength)[0], 'bad-option', 0, 47);
  });

  it('drops a header running past the payload', () => {
    const long = packet(IP_PROTOCOL_IPV6_DESTINATION_OPTIONS, [
      fromHex('11 01 01 04 00 00 00 00   # destination options claiming 16 bytes'),
    ]);
    assertDropped(walk(long)[0], 'truncated-extension');
    const short = packet(IP_PROTOCOL_IPV6_ROUTING, [fromHex('11 00 00 00 00 00 00')]);
    assertDropped(walk(short)[0], 'truncated-extension');
    const empty = packet(IP_PROTOCOL_IPV6_FRAGMENT, []);
    assertDropped(walk(empty)[0], 'truncated-extension');
  });

  it('ignores a routing header with no segments left, refuses one with some (RFC 8200 §4.4)', () => {
    const done = packet(IP_PROTOCOL_IPV6_ROUTING, [
      fromHex('11 00 04 00 00 00 00 00   # routing: next UDP, type 4 (SRH), segments left 0'),
      udp('x'),
    ]);
    const [verdict, chain] = walk(done);
    assert.equal(verdict, undefined);
    assert.equal(chain.protocol, IP_PROTOCOL_UDP);
    assert.equal(chain.upperOffset, 48);
    const pending = packet(IP_PROTOCOL_HOP_BY_HOP, [
      options(IP_PROTOCOL_IPV6_ROUTING, '01 04 00 00 00 00'),
      fromHex(`
        11 02 00 01        # routing: next UDP, 24 bytes, type 0 (RFC 5095), segments left 1
        00 00 00 00        # reserved
        2001 0db8 0000 0000 0000 0000 0000 0003
      `),
      udp('x'),
    ]);
    assertProblem(walk(pending)[0], 'routing-header', 0, 50);
  });

  it('refuses a fragment with M set and a length not a multiple of 8, pointing at Payload Length', () => {
    const p = packet(IP_PROTOCOL_IPV6_FRAGMENT, [
      fragmentHeader(IP_PROTOCOL_UDP, 8, true),
      new Uint8Array(12),
    ]);
    assertProblem(walk(p)[0], 'fragment-bad-length', 0, 4);
  });

  it('refuses a fragment ending past a 65,535-byte payload, pointing at its offset', () => {
    const fits = packet(IP_PROTOCOL_IPV6_FRAGMENT, [
      fragmentHeader(IP_PROTOCOL_UDP, 65520, false),
      new Uint8Array(15),
    ]);
    assert.equal(walk(fits)[0], undefined);
    const over = packet(IP_PROTOCOL_IPV6_FRAGMENT, [
      fragmentHeader(IP_PROTOCOL_UDP, 65520, false),
      new Uint8Array(16),
    ]);
    assertProblem(walk(over)[0], 'fragment-too-large', 0, 42);
    // The unfragmentable headers count too: they are in the reassembled payload.
    const behindOptions = packet(IP_PROTOCOL_HOP_BY_HOP, [
      options(IP_PROTOCOL_IPV6_FRAGMENT, '01 04 00 00 00 00'),
      fragmentHeader(IP_PROTOCOL_UDP, 65512, false),
      new Uint8Array(16),
    ]);
    assertProblem(walk(behindOptions)[0], 'fragment-too-large', 0, 50);
  });

  it('refuses a first fragment whose chain is cut off, with code 3 and pointer 0', () => {
    const cutHeader = packet(IP_PROTOCOL_IPV6_FRAGMENT, [
      fragmentHeader(IP_PROTOCOL_IPV6_DESTINATION_OPTIONS, 0, true),
      fromHex('11 01 01 04 00 00 00 00   # destination options of 16 bytes, 8 in this fragment'),
    ]);
    assertProblem(walk(cutHeader)[0], 'incomplete-chain', 3, 0);
    const cutTcp = packet(IP_PROTOCOL_IPV6_FRAGMENT, [
      fragmentHeader(IP_PROTOCOL_TCP, 0, true),
      fromHex('c0 01 00 50 00 00 00 01   # the first 8 of 20 TCP header bytes'),
    ]);
    assertProblem(walk(cutTcp)[0], 'incomplete-chain', 3, 0);
    const noUdp = packet(IP_PROTOCOL_IPV6_FRAGMENT, [
      fragmentHeader(IP_PROTOCOL_IPV6_DESTINATION_OPTIONS, 0, true),
      options(IP_PROTOCOL_UDP, '01 04 00 00 00 00'),
    ]);
    assertProblem(walk(noUdp)[0], 'incomplete-chain', 3, 0);
    // No Next Header ends a chain: nothing more is needed.
    const noNext = packet(IP_PROTOCOL_IPV6_FRAGMENT, [
      fragmentHeader(IP_PROTOCOL_IPV6_DESTINATION_OPTIONS, 0, true),
      options(IP_PROTOCOL_IPV6_NO_NEXT, '01 04 00 00 00 00'),
    ]);
    assert.equal(walk(noNext)[0], undefined);
  });

  it('drops a second fragment header', () => {
    const afterAtomic = packet(IP_PROTOCOL_IPV6_FRAGMENT, [
      fragmentHeader(IP_PROTOCOL_IPV6_FRAGMENT, 0, false),
      fragmentHeader(IP_PROTOCOL_UDP, 0, false),
      udp('x'),
    ]);
    assertDropped(walk(afterAtomic)[0], 'nested-fragment');
    const inFirstFragment = packet(IP_PROTOCOL_IPV6_FRAGMENT, [
      fragmentHeader(IP_PROTOCOL_IPV6_FRAGMENT, 0, true),
      fragmentHeader(IP_PROTOCOL_UDP, 0, false),
      udp('x').subarray(0, 8),
    ]);
    assertDropped(walk(inFirstFragment)[0], 'nested-fragment');
  });

  it(`allows ${IPV6_MAX_EXTENSION_HEADERS} extension headers and no more`, () => {
    const chainOf = (count: number) =>
      packet(IP_PROTOCOL_IPV6_DESTINATION_OPTIONS, [
        ...Array.from({ length: count - 1 }, () =>
          options(IP_PROTOCOL_IPV6_DESTINATION_OPTIONS, '01 04 00 00 00 00'),
        ),
        options(IP_PROTOCOL_UDP, '01 04 00 00 00 00'),
        udp('x'),
      ]);
    const [verdict, chain] = walk(chainOf(IPV6_MAX_EXTENSION_HEADERS));
    assert.equal(verdict, undefined);
    assert.equal(chain.upperOffset, 40 + 8 * IPV6_MAX_EXTENSION_HEADERS);
    assertDropped(walk(chainOf(IPV6_MAX_EXTENSION_HEADERS + 1))[0], 'chain-too-long');
  });

  it('drops a chain longer than the minimum MTU', () => {
    // Destination options full of Pad1: 40 + 1240 bytes fit in 1280, 8 more do not.
    const padded = (length: number) => {
      const header = new Uint8Array(length);
      header[0] = IP_PROTOCOL_UDP;
      header[1] = length / 8 - 1;
      return packet(IP_PROTOCOL_IPV6_DESTINATION_OPTIONS, [header, udp('x')]);
    };
    const [verdict, chain] = walk(padded(1240));
    assert.equal(verdict, undefined);
    assert.equal(chain.upperOffset, 1280);
    assertDropped(walk(padded(1248))[0], 'chain-too-long');
  });

  it('ends at No Next Header, ignoring what follows (RFC 8200 §4.7), and at unknown protocols', () => {
    const [verdict, chain] = walk(
      packet(IP_PROTOCOL_IPV6_DESTINATION_OPTIONS, [
        options(IP_PROTOCOL_IPV6_NO_NEXT, '01 04 00 00 00 00'),
        fromHex('ff ff ff'),
      ]),
    );
    assert.equal(verdict, undefined);
    assert.equal(chain.protocol, IP_PROTOCOL_IPV6_NO_NEXT);
    assert.equal(chain.upperOffset, 48);
    assert.equal(chain.protocolPointer, 40);
    // An Authentication Header (51) is not walked: the caller answers code 1 at protocolPointer.
    const [ahVerdict, ah] = walk(
      packet(IP_PROTOCOL_HOP_BY_HOP, [options(51, '01 04 00 00 00 00'), new Uint8Array(24)]),
    );
    assert.equal(ahVerdict, undefined);
    assert.equal(ah.protocol, 51);
    assert.equal(ah.protocolPointer, 40);
  });

  it('reuses the chain and its error without leaving stale fields', () => {
    const chain = new Ipv6HeaderChain();
    const fragmented = packet(IP_PROTOCOL_HOP_BY_HOP, [
      options(IP_PROTOCOL_IPV6_FRAGMENT, '05 02 00 00 01 00'),
      fragmentHeader(IP_PROTOCOL_UDP, 8, true),
      new Uint8Array(8),
    ]);
    assert.equal(walkIpv6Headers(fragmented, chain), undefined);
    assert.equal(chain.routerAlert, 0);
    assert.equal(chain.fragment, true);
    assert.equal(walkIpv6Headers(packet(IP_PROTOCOL_UDP, [udp('x')]), chain), undefined);
    assert.equal(chain.routerAlert, -1);
    assert.equal(chain.fragment, false);
    assert.equal(chain.protocol, IP_PROTOCOL_UDP);
    const bad = packet(IP_PROTOCOL_IPV6_DESTINATION_OPTIONS, [
      options(IP_PROTOCOL_UDP, '9e 00 00 00 00 00'),
      udp('x'),
    ]);
    const first = walkIpv6Headers(bad, chain);
    assert.equal(first, chain.error);
    const icmp = first?.icmp;
    const silent = packet(IP_PROTOCOL_IPV6_DESTINATION_OPTIONS, [
      options(IP_PROTOCOL_UDP, '5e 00 00 00 00 00'),
      udp('x'),
    ]);
    assertDropped(walkIpv6Headers(silent, chain), 'option-discard');
    assertProblem(walkIpv6Headers(bad, chain), 'unknown-option', 2, 42, true);
    assert.equal(chain.error.icmp, icmp, 'the same Parameter Problem object, refilled');
  });

  it('writes fragment headers byte for byte and refuses bad offsets', () => {
    const buffer = new Uint8Array(12).fill(0xee);
    assert.equal(writeIpv6FragmentHeader(buffer, 2, IP_PROTOCOL_ICMPV6, 1232, true, 0xdeadbeef), 8);
    assert.ok(
      bytesEqual(
        buffer,
        fromHex(`
          ee ee
          3a 00              # next ICMPv6; reserved
          04 d1              # offset 154 × 8 = 1232; M
          de ad be ef        # identification
          ee ee
        `),
      ),
    );
    assert.throws(() => writeIpv6FragmentHeader(buffer, 5, 58, 0, false, 0), RangeError);
    assert.throws(() => writeIpv6FragmentHeader(buffer, -1, 58, 0, false, 0), RangeError);
    for (const offset of [4, -8, 65536, 8.5]) {
      assert.throws(() => writeIpv6FragmentHeader(buffer, 0, 58, offset, false, 0), RangeError);
    }
  });

  it('reads back any fragment header it writes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 1, max: 8190 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 0xffffffff }),
        (nextHeader, units, more, identification) => {
          const p = packet(IP_PROTOCOL_IPV6_FRAGMENT, [
            fragmentHeader(nextHeader, units * 8, more, identification),
            new Uint8Array(8),
          ]);
          const [verdict, chain] = walk(p);
          assert.equal(verdict, undefined);
          assert.equal(chain.fragmentNextHeader, nextHeader);
          assert.equal(chain.fragmentOffset, units * 8);
          assert.equal(chain.moreFragments, more);
          assert.equal(chain.fragmentIdentification, identification);
        },
      ),
    );
  });

  it('never throws on random or mutated packets, and offsets stay inside the packet', () => {
    const chain = new Ipv6HeaderChain();
    const check = (bytes: Uint8Array) => {
      const checked = Ipv6Packet.checked(bytes);
      if (!checked.ok) return;
      const verdict = walkIpv6Headers(checked.value, chain);
      if (verdict === undefined) {
        assert.ok(chain.upperOffset <= checked.value.totalLength);
        assert.ok(chain.protocolPointer < chain.upperOffset);
      } else if (verdict.icmp !== undefined) {
        assert.ok(verdict.icmp.pointer < checked.value.totalLength);
      }
    };
    const valid = [
      MLD_REPORT,
      packet(IP_PROTOCOL_HOP_BY_HOP, [
        fromHex('3c 00 01 04 00 00 00 00'),
        fromHex('2b 00 00 00 1e 02 aa bb'),
        fromHex('2c 00 04 00 00 00 00 00'),
        fragmentHeader(IP_PROTOCOL_UDP, 0, true),
        udp('abcdefgh'),
      ]).bytes,
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...valid),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        (fixture, mutations) => {
          const bytes = fixture.slice();
          for (const [at, value] of mutations) {
            // Mutate the payload, keeping the fixed header valid so the walk runs.
            bytes[IPV6_HEADER_LENGTH + (at % (bytes.length - IPV6_HEADER_LENGTH))] = value;
          }
          check(bytes);
        },
      ),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 200 }),
        fc.constantFrom(0, 43, 44, 60, 59, 17),
        (payload, nextHeader) => {
          const bytes = new Uint8Array(IPV6_HEADER_LENGTH + payload.length);
          writeIpv6Header(bytes, SOURCE, UNICAST, nextHeader, 64, payload.length);
          bytes.set(payload, IPV6_HEADER_LENGTH);
          check(bytes);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
