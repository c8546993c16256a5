import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  bytesEqual,
  internetChecksum,
  readU16BE,
  sumWords,
  toHex,
  writeU16BE,
  writeU32BE,
} from '@oasis/core';
import fc from 'fast-check';
import { emptyTuple } from '../src/flow-tuple.ts';
import { readFlowTuple } from '../src/packet-fields.ts';
import { rewriteDestination, rewriteSource } from '../src/packet-rewrite.ts';
import {
  addressArbitrary,
  buildIcmpError,
  buildPacket,
  CLIENT,
  DNS_QUERY,
  DNS_QUERY_TRANSLATED,
  finishOnDevice,
  type PacketSpec,
  PING,
  PING_TRANSLATED,
  PROPERTY_RUNS,
  PUBLIC,
  portArbitrary,
  RESOLVER,
  SYN,
  SYN_TRANSLATED,
  specArbitrary,
  withEndpoint,
} from './test-packets.ts';

const REWRITES = { source: rewriteSource, destination: rewriteDestination } as const;
type End = keyof typeof REWRITES;
const endArbitrary = fc.constantFrom<End>('source', 'destination');

function rewritten(
  packet: Uint8Array,
  end: End,
  address: number,
  port: number,
  partial = false,
): Uint8Array {
  const copy = packet.slice();
  REWRITES[end](copy, address, port, partial);
  return copy;
}

function assertBytes(actual: Uint8Array, expected: Uint8Array): void {
  assert.ok(bytesEqual(actual, expected), `got ${toHex(actual)}\nnot ${toHex(expected)}`);
}

const udpSpec: PacketSpec = {
  kind: 'udp',
  source: CLIENT,
  destination: RESOLVER,
  sourcePort: 51234,
  destinationPort: 53,
  sequence: 1,
  ttl: 64,
  options: new Uint8Array(0),
  payload: new Uint8Array([1, 2, 3, 4, 5]),
  noUdpChecksum: false,
};

describe('rewriteSource and rewriteDestination on fixtures', () => {
  it('translate a TCP SYN to the checksums computed apart', () => {
    assertBytes(rewritten(SYN, 'source', PUBLIC, 40001), SYN_TRANSLATED);
    // And back, as a reply's destination would be.
    assertBytes(rewritten(SYN_TRANSLATED, 'source', CLIENT, 51234), SYN);
  });

  it('translate a UDP DNS query', () => {
    assertBytes(rewritten(DNS_QUERY, 'source', PUBLIC, 40002), DNS_QUERY_TRANSLATED);
  });

  it('translate an echo request: the identifier is the port', () => {
    assertBytes(rewritten(PING, 'source', PUBLIC, 40001), PING_TRANSLATED);
    const tuple = emptyTuple();
    assert.equal(readFlowTuple(PING_TRANSLATED, tuple), 'ok');
    assert.equal(tuple.sourcePort, 40001);
    assert.equal(tuple.destinationPort, 40001);
  });

  it('leave every byte alone when nothing changes', () => {
    for (const packet of [SYN, DNS_QUERY, PING]) {
      const tuple = emptyTuple();
      assert.equal(readFlowTuple(packet, tuple), 'ok');
      assertBytes(rewritten(packet, 'source', tuple.source, tuple.sourcePort), packet);
      assertBytes(
        rewritten(packet, 'destination', tuple.destination, tuple.destinationPort),
        packet,
      );
    }
  });

  it('refuse an address or port out of range (RangeError)', () => {
    for (const [address, port] of [
      [-1, 1],
      [2 ** 32, 1],
      [1.5, 1],
      [1, 65536],
      [1, -1],
      [Number.NaN, 1],
    ] as const) {
      assert.throws(() => rewriteSource(SYN.slice(), address, port, false), RangeError);
      assert.throws(() => rewriteDestination(SYN.slice(), address, port, false), RangeError);
    }
  });
});

describe('rewriteSource and rewriteDestination', () => {
  it('give every checksum a full recomputation gives: TCP, UDP, echo, with options', () => {
    fc.assert(
      fc.property(
        specArbitrary(),
        endArbitrary,
        addressArbitrary,
        portArbitrary,
        (spec, end, address, port) => {
          const after = rewritten(buildPacket(spec), end, address, port);
          assertBytes(after, buildPacket(withEndpoint(spec, end, address, port)));
        },
      ),
      PROPERTY_RUNS,
    );
  });

  it('change the address alone, or the port alone', () => {
    fc.assert(
      fc.property(specArbitrary(), endArbitrary, addressArbitrary, (spec, end, address) => {
        const port = end === 'source' ? spec.sourcePort : spec.destinationPort;
        const after = rewritten(buildPacket(spec), end, address, port);
        assertBytes(after, buildPacket(withEndpoint(spec, end, address, port)));
        const same = spec[end];
        const portOnly = rewritten(buildPacket(spec), end, same, port ^ 0x5a5a);
        assertBytes(portOnly, buildPacket(withEndpoint(spec, end, same, port ^ 0x5a5a)));
      }),
      PROPERTY_RUNS,
    );
  });

  it('keep a UDP checksum of 0 at 0: none was computed (RFC 768)', () => {
    fc.assert(
      fc.property(
        specArbitrary(fc.constant('udp')),
        endArbitrary,
        addressArbitrary,
        portArbitrary,
        (spec, end, address, port) => {
          const before = buildPacket({ ...spec, noUdpChecksum: true });
          const offset = (before[0]! & 0x0f) * 4 + 6;
          assert.equal(readU16BE(before, offset), 0);
          const after = rewritten(before, end, address, port);
          assert.equal(readU16BE(after, offset), 0);
          assertBytes(
            after,
            buildPacket({ ...withEndpoint(spec, end, address, port), noUdpChecksum: true }),
          );
        },
      ),
      PROPERTY_RUNS,
    );
  });

  it('write a UDP checksum that comes out 0 as 0xffff (RFC 768)', () => {
    const before = buildPacket(udpSpec);
    const checksum = readU16BE(before, 26);
    // Eq. 3 gives ~(~HC + ~m + m'): with m' ≡ HC + m (mod 0xffff) the sum is all ones and the
    // updated checksum 0, so the full computation gives 0 too and RFC 768 sends 0xffff.
    const port = (checksum + udpSpec.sourcePort) % 0xffff;
    const after = rewritten(before, 'source', CLIENT, port);
    assert.equal(readU16BE(after, 26), 0xffff);
    assertBytes(after, buildPacket({ ...udpSpec, sourcePort: port }));
    // And from 0xffff on, the next update reads it as the zero it stands for.
    const back = rewritten(after, 'source', CLIENT, udpSpec.sourcePort);
    assertBytes(back, before);
  });

  it('write 0xffff for an all-zero echo reply, where RFC 1624 eq. 3 would give 0x0000', () => {
    // The one message whose sum is +0, so that its only correct checksum is 0xffff, a value eq. 3
    // never gives: 0x0000 there would fail every receiver's check.
    const spec: PacketSpec = {
      ...udpSpec,
      kind: 'echo-reply',
      sourcePort: 7,
      destinationPort: 7,
      sequence: 0,
      payload: new Uint8Array(0),
    };
    const after = rewritten(buildPacket(spec), 'source', CLIENT, 0);
    assert.equal(readU16BE(after, 22), 0xffff);
    assert.equal(sumWords(after.subarray(20)), 0xffff);
    assertBytes(after, buildPacket({ ...spec, sourcePort: 0, destinationPort: 0 }));
    // A message that merely sums to -0 keeps its checksum 0.
    const data = { ...spec, payload: new Uint8Array([0xff, 0xff]) };
    const minusZero = rewritten(buildPacket(data), 'source', CLIENT, 0);
    assert.equal(readU16BE(minusZero, 22), 0x0000);
    assertBytes(minusZero, buildPacket({ ...data, sourcePort: 0, destinationPort: 0 }));
  });

  it('change only the address of an ICMP error: it has no port, its checksum no pseudo-header', () => {
    fc.assert(
      fc.property(
        specArbitrary(),
        endArbitrary,
        addressArbitrary,
        portArbitrary,
        (spec, end, address, port) => {
          const error = buildIcmpError(buildPacket(spec), { kind: 'time-exceeded', dataLength: 8 });
          const after = rewritten(error, end, address, port);
          // The ICMP message is untouched; the outer header is the new address with a header
          // checksum computed from scratch.
          assertBytes(after.subarray(20), error.subarray(20));
          const expected = error.slice();
          writeU32BE(expected, end === 'source' ? 12 : 16, address);
          writeU16BE(expected, 10, 0);
          writeU16BE(expected, 10, internetChecksum(expected.subarray(0, 20)));
          assertBytes(after, expected);
          const tuple = emptyTuple();
          assert.equal(readFlowTuple(after, tuple), 'icmp-error');
          assert.equal(tuple[end], address);
        },
      ),
      PROPERTY_RUNS,
    );
  });
});

describe('partial checksums (virtio-net NEEDS_CSUM)', () => {
  it('adjust the pseudo-header sum for an address and leave it for a port', () => {
    fc.assert(
      fc.property(
        specArbitrary(fc.constantFrom('tcp', 'udp')),
        endArbitrary,
        addressArbitrary,
        portArbitrary,
        (spec, end, address, port) => {
          const plain = { ...spec, noUdpChecksum: false };
          const after = rewritten(buildPacket(plain, 'offload'), end, address, port, true);
          // Still a partial packet, its field the new pseudo-header sum, as built from scratch.
          const expected = buildPacket(withEndpoint(plain, end, address, port), 'offload');
          assertBytes(after, expected);
          // What the device sends equals the packet computed in software from the start.
          finishOnDevice(after);
          assertBytes(after, buildPacket(withEndpoint(plain, end, address, port)));
        },
      ),
      PROPERTY_RUNS,
    );
  });
});
