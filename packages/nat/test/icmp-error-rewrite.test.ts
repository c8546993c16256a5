import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  bytesEqual,
  concatBytes,
  fromHex,
  internetChecksum,
  readU16BE,
  sumWords,
  toHex,
  writeU16BE,
} from '@oasis/core';
import fc from 'fast-check';
import { emptyTuple, type FlowTuple } from '../src/flow-tuple.ts';
import { rewriteQuotedDestination, rewriteQuotedSource } from '../src/icmp-error-rewrite.ts';
import { readFlowTuple, readQuotedTuple } from '../src/packet-fields.ts';
import { rewriteDestination, rewriteSource } from '../src/packet-rewrite.ts';
import {
  addressArbitrary,
  buildIcmpError,
  buildPacket,
  CLIENT,
  DNS_QUERY,
  type ErrorKind,
  type ErrorSpec,
  guarded,
  ipv4ChecksumOk,
  ipv4OptionsArbitrary,
  type PacketSpec,
  PORT_UNREACHABLE_INSIDE,
  PORT_UNREACHABLE_OUTSIDE,
  PROPERTY_RUNS,
  PUBLIC,
  portArbitrary,
  RESOLVER,
  SERVER,
  specArbitrary,
  withEndpoint,
} from './test-packets.ts';

const QUOTED_REWRITES = {
  source: rewriteQuotedSource,
  destination: rewriteQuotedDestination,
} as const;
type End = keyof typeof QUOTED_REWRITES;

function assertBytes(actual: Uint8Array, expected: Uint8Array): void {
  assert.ok(bytesEqual(actual, expected), `got ${toHex(actual)}\nnot ${toHex(expected)}`);
}

function quotedTuple(packet: Uint8Array): FlowTuple {
  const tuple = emptyTuple();
  assert.equal(readQuotedTuple(packet, tuple), 'ok');
  return tuple;
}

/** A copy with the outer ICMP checksum computed again, as a reporter would over what it sent. */
function resealed(packet: Uint8Array): Uint8Array {
  const copy = packet.slice();
  const start = (copy[0]! & 0x0f) * 4;
  const end = Math.min(copy.length, readU16BE(copy, 2));
  if (start + 4 > end) return copy;
  writeU16BE(copy, start + 2, 0);
  writeU16BE(copy, start + 2, ~sumWords(copy.subarray(start, end)) & 0xffff);
  return copy;
}

/** Where the quoted datagram starts in an error with a 20-byte outer header. */
const QUOTE = 28;

const udpSpec: PacketSpec = {
  kind: 'udp',
  source: PUBLIC,
  destination: RESOLVER,
  sourcePort: 40002,
  destinationPort: 53,
  sequence: 0,
  ttl: 64,
  options: new Uint8Array(0),
  payload: new Uint8Array([1, 2, 3]),
  noUdpChecksum: false,
};

describe('the port unreachable fixture', () => {
  it('translates back to the client as the checksums computed apart say (RFC 5508 REQ-4)', () => {
    const packet = PORT_UNREACHABLE_OUTSIDE.slice();
    assert.equal(readFlowTuple(packet, emptyTuple()), 'icmp-error');
    const quoted = quotedTuple(packet);
    assert.deepEqual([quoted.source, quoted.sourcePort], [PUBLIC, 40002]);
    // REQ-4 (a): the embedded packet as it was; (c): the outer destination its source. The port
    // given for the outer header is ignored: an error has none.
    rewriteQuotedSource(packet, CLIENT, 51234);
    rewriteDestination(packet, CLIENT, 9999, false);
    assertBytes(packet, PORT_UNREACHABLE_INSIDE);
    // And the other way, as an error from inside about a datagram that came in (REQ-5).
    rewriteQuotedSource(packet, PUBLIC, 40002);
    rewriteDestination(packet, PUBLIC, 0, false);
    assertBytes(packet, PORT_UNREACHABLE_OUTSIDE);
  });

  it('leaves every byte alone when nothing changes', () => {
    const packet = PORT_UNREACHABLE_OUTSIDE.slice();
    rewriteQuotedSource(packet, PUBLIC, 40002);
    rewriteQuotedDestination(packet, RESOLVER, 53);
    assertBytes(packet, PORT_UNREACHABLE_OUTSIDE);
  });

  it('refuses an address or port out of range (RangeError)', () => {
    for (const rewrite of [rewriteQuotedSource, rewriteQuotedDestination]) {
      assert.throws(() => rewrite(PORT_UNREACHABLE_OUTSIDE.slice(), -1, 1), RangeError);
      assert.throws(() => rewrite(PORT_UNREACHABLE_OUTSIDE.slice(), 1, 0x10000), RangeError);
    }
  });
});

describe('rewriteQuotedSource and rewriteQuotedDestination', () => {
  const errorSpecArbitrary: fc.Arbitrary<ErrorSpec> = fc.record({
    kind: fc.constantFrom<ErrorKind>(
      'destination-unreachable',
      'time-exceeded',
      'parameter-problem',
    ),
    dataLength: fc.constantFrom<number | 'whole'>(8, 12, 16, 18, 20, 'whole'),
    extensions: fc.option(fc.constant(fromHex('20 00 d0 f4 00 08 01 01 00 01 01 01')), {
      nil: undefined,
    }),
    options: ipv4OptionsArbitrary,
  });

  it('give the error built from scratch around the rewritten datagram', () => {
    // TCP, UDP (with and without checksum) and echo; options inside and out; quotes of 8, 12,
    // 16, 18 and 20 bytes of data and whole; with and without RFC 4884 extensions.
    fc.assert(
      fc.property(
        specArbitrary(),
        errorSpecArbitrary,
        fc.constantFrom<End>('source', 'destination'),
        addressArbitrary,
        portArbitrary,
        (spec, errorSpec, end, address, port) => {
          // Not the all-zero echo reply: see the test of it below.
          fc.pre(!(spec.kind === 'echo-reply' && isZeroEcho(spec) && port === 0));
          // The outer destination stays what it was: the outer header is the caller's.
          const outer = { ...errorSpec, destination: spec.source };
          const packet = buildIcmpError(buildPacket(spec), outer);
          QUOTED_REWRITES[end](packet, address, port);
          const after = withEndpoint(spec, end, address, port);
          assertBytes(packet, buildIcmpError(buildPacket(after), outer));
          // As the brief of RFC 5508 §4.2 has it: every checksum a receiver checks verifies...
          const outerLength = 20 + (errorSpec.options?.length ?? 0);
          assert.equal(sumWords(packet.subarray(outerLength)), 0xffff);
          assert.ok(ipv4ChecksumOk(packet, outerLength + 8));
          // ...and the quote now names the translated flow.
          const tuple = quotedTuple(packet);
          assert.deepEqual(
            [tuple.source, tuple.sourcePort, tuple.destination, tuple.destinationPort],
            [after.source, after.sourcePort, after.destination, after.destinationPort],
          );
        },
      ),
      PROPERTY_RUNS,
    );
  });

  it('update a quoted TCP checksum only when the quote holds it (18 bytes of the segment)', () => {
    const spec: PacketSpec = { ...udpSpec, kind: 'tcp', payload: new Uint8Array(30).fill(7) };
    const translated = { ...spec, source: CLIENT, sourcePort: 51234 };
    for (const dataLength of [8, 16, 18, 20]) {
      const error = buildIcmpError(buildPacket(spec), { dataLength });
      const held = dataLength >= 18;
      const before = held ? readU16BE(error, QUOTE + 20 + 16) : undefined;
      rewriteQuotedSource(error, CLIENT, 51234);
      const expected = buildIcmpError(buildPacket(translated), { dataLength, destination: PUBLIC });
      assertBytes(error, expected);
      if (held) assert.notEqual(readU16BE(error, QUOTE + 20 + 16), before);
    }
  });

  it('stop at the RFC 4884 length: what follows the quoted datagram is extensions', () => {
    // A quote of 36 bytes (9 words) ends right before the quoted TCP checksum; the 4 bytes of
    // extension structure after it must stay as they are.
    const spec: PacketSpec = { ...udpSpec, kind: 'tcp' };
    const plain = buildIcmpError(buildPacket(spec), { dataLength: 16 });
    const error = concatBytes([plain, fromHex('20 00 df ff')]);
    writeU16BE(error, 2, error.length);
    writeU16BE(error, 10, 0);
    writeU16BE(error, 10, internetChecksum(error.subarray(0, 20)));
    error[20 + 5] = 9;
    const sealed = resealed(error);
    rewriteQuotedSource(sealed, CLIENT, 51234);
    assertBytes(sealed.subarray(QUOTE + 36), fromHex('20 00 df ff'));
    assert.equal(sumWords(sealed.subarray(20)), 0xffff);
    assert.equal(quotedTuple(sealed).source, CLIENT);
  });

  it('keep a quoted UDP checksum of 0 at 0 (RFC 768)', () => {
    const spec = { ...udpSpec, noUdpChecksum: true };
    const error = buildIcmpError(buildPacket(spec), { kind: 'time-exceeded' });
    rewriteQuotedSource(error, CLIENT, 51234);
    assert.equal(readU16BE(error, QUOTE + 20 + 6), 0);
    assertBytes(
      error,
      buildIcmpError(buildPacket({ ...spec, source: CLIENT, sourcePort: 51234 }), {
        kind: 'time-exceeded',
        destination: PUBLIC,
      }),
    );
  });

  it('rewrite an echo identifier for either end, and its checksum, not the pseudo-header', () => {
    const spec: PacketSpec = {
      ...udpSpec,
      kind: 'echo-request',
      sourcePort: 0x9c41,
      destinationPort: 0x9c41,
    };
    for (const end of ['source', 'destination'] as const) {
      const error = buildIcmpError(buildPacket(spec), { dataLength: 8, destination: PUBLIC });
      QUOTED_REWRITES[end](error, SERVER, 42);
      const expected = withEndpoint(spec, end, SERVER, 42);
      assertBytes(
        error,
        buildIcmpError(buildPacket(expected), { dataLength: 8, destination: PUBLIC }),
      );
      assert.equal(quotedTuple(error).sourcePort, 42);
    }
  });

  it('keep eq. 3 for a quoted all-zero echo reply: 0x0000, the outer checksum still right', () => {
    const spec: PacketSpec = { ...udpSpec, kind: 'echo-reply', sourcePort: 7, destinationPort: 7 };
    const zero = { ...spec, payload: new Uint8Array(0) };
    assert.ok(isZeroEcho(zero));
    const error = buildIcmpError(buildPacket(zero));
    rewriteQuotedSource(error, PUBLIC, 0);
    assert.equal(readU16BE(error, QUOTE + 20 + 2), 0x0000);
    assert.equal(sumWords(error.subarray(20)), 0xffff);
    assert.equal(quotedTuple(error).sourcePort, 0);
  });

  it('leave the ICMP type, code and other header bytes alone (RFC 5508 REQ-4 (b))', () => {
    const error = buildIcmpError(DNS_QUERY, { kind: 'parameter-problem' });
    const before = error.slice(20, 28);
    rewriteQuotedSource(error, PUBLIC, 40002);
    assertBytes(error.subarray(20, 22), before.subarray(0, 2));
    assertBytes(error.subarray(24, 28), before.subarray(4, 8));
  });
});

describe('rewriting untrusted errors', () => {
  /** Errors with lies: quoted IHL (options that are not there), total lengths, RFC 4884 lengths. */
  const lyingErrorArbitrary = fc
    .tuple(
      specArbitrary(),
      fc.constantFrom<number | 'whole'>(0, 4, 8, 18, 'whole'),
      fc.boolean(),
      fc.array(fc.tuple(fc.integer({ min: 20, max: 120 }), fc.nat({ max: 0xff })), {
        maxLength: 3,
      }),
      fc.constantFrom('none', 'quoted-ihl', 'quoted-length', 'rfc4884-length'),
      fc.nat({ max: 0xff }),
    )
    .map(([spec, dataLength, extended, writes, lie, value]) => {
      const extensions = extended ? fromHex('20 00 00 00') : undefined;
      const bytes = buildIcmpError(buildPacket(spec), { dataLength, extensions });
      for (const [at, byte] of writes) if (at < bytes.length) bytes[at] = byte;
      if (lie === 'quoted-ihl' && bytes.length > QUOTE) bytes[QUOTE] = 0x40 | (value & 0x0f);
      if (lie === 'quoted-length' && bytes.length > QUOTE + 3) bytes[QUOTE + 3] = value;
      if (lie === 'rfc4884-length') bytes[25] = value;
      return resealed(bytes);
    });

  it('keep the ICMP checksum valid and stay in bounds for any error readQuotedTuple accepts', () => {
    let accepted = 0;
    fc.assert(
      fc.property(
        lyingErrorArbitrary,
        fc.constantFrom<End>('source', 'destination'),
        addressArbitrary,
        portArbitrary,
        (packet, end, address, port) => {
          if (readQuotedTuple(packet, emptyTuple()) !== 'ok') return;
          accepted++;
          const start = (packet[0]! & 0x0f) * 4;
          const valid = sumWords(packet.subarray(start)) === 0xffff;
          const view = guarded(packet);
          QUOTED_REWRITES[end](view, address, port);
          rewriteSource(view, address, port, false);
          assert.equal(sumWords(packet.subarray(start)) === 0xffff, valid);
          assert.ok(ipv4ChecksumOk(packet));
          const tuple = quotedTuple(packet);
          assert.equal(tuple[end], address);
        },
      ),
      PROPERTY_RUNS,
    );
    assert.ok(accepted > PROPERTY_RUNS.numRuns / 4, `only ${accepted} errors were accepted`);
  });
});

/** Whether the echo `spec` describes is all zero once its identifier is. */
function isZeroEcho(spec: PacketSpec): boolean {
  return spec.sequence === 0 && spec.payload.every((byte) => byte === 0);
}
