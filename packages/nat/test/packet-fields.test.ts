import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { concatBytes, fromHex, sumWords } from '@oasis/core';
import { IP_PROTOCOL_ICMP, IP_PROTOCOL_TCP, IP_PROTOCOL_UDP, TCP_SYN } from '@oasis/wire';
import fc from 'fast-check';
import { emptyTuple, type FlowTuple } from '../src/flow-tuple.ts';
import {
  icmpCode,
  icmpType,
  readFlowTuple,
  readQuotedTuple,
  type TupleVerdict,
  tcpFlags,
} from '../src/packet-fields.ts';
import {
  buildIcmpError,
  buildPacket,
  CLIENT,
  DNS_QUERY,
  DNS_QUERY_TRANSLATED,
  type ErrorKind,
  guarded,
  ipv4ChecksumOk,
  type PacketSpec,
  PING,
  PORT_UNREACHABLE_INSIDE,
  PORT_UNREACHABLE_OUTSIDE,
  PROPERTY_RUNS,
  PUBLIC,
  protocolOf,
  RESOLVER,
  SERVER,
  SYN,
  SYN_TRANSLATED,
  specArbitrary,
  tuple,
} from './test-packets.ts';

function read(packet: Uint8Array): [TupleVerdict, FlowTuple] {
  const into = emptyTuple();
  return [readFlowTuple(packet, into), into];
}

function readQuoted(packet: Uint8Array): [TupleVerdict, FlowTuple] {
  const into = emptyTuple();
  return [readQuotedTuple(packet, into), into];
}

/** A copy of `packet` with `bytes` written at `offset`. */
function patched(packet: Uint8Array, offset: number, bytes: number[]): Uint8Array {
  const copy = packet.slice();
  copy.set(bytes, offset);
  return copy;
}

/** A copy with the ICMP checksum (outer header of `headerLength` bytes) computed again. */
function withIcmpChecksum(packet: Uint8Array, headerLength = 20): Uint8Array {
  const copy = patched(packet, headerLength + 2, [0, 0]);
  const checksum = ~sumWords(copy.subarray(headerLength)) & 0xffff;
  return patched(copy, headerLength + 2, [checksum >>> 8, checksum & 0xff]);
}

const tcpSpec: PacketSpec = {
  kind: 'tcp',
  source: CLIENT,
  destination: SERVER,
  sourcePort: 51234,
  destinationPort: 443,
  sequence: 1,
  ttl: 64,
  options: new Uint8Array(0),
  payload: new Uint8Array(40).fill(0x61),
  noUdpChecksum: false,
};

describe('fixtures', () => {
  it('carry checksums that a full computation verifies', () => {
    for (const packet of [SYN, SYN_TRANSLATED, DNS_QUERY, DNS_QUERY_TRANSLATED, PING]) {
      assert.ok(ipv4ChecksumOk(packet));
    }
    // Transport checksums over pseudo-header (TCP, UDP) or message (ICMP): the sum is all ones.
    const pseudo = (p: Uint8Array) => sumWords(p.subarray(12, 20), p[9]! + (p.length - 20));
    assert.equal(sumWords(SYN.subarray(20), pseudo(SYN)), 0xffff);
    assert.equal(sumWords(SYN_TRANSLATED.subarray(20), pseudo(SYN_TRANSLATED)), 0xffff);
    assert.equal(sumWords(DNS_QUERY.subarray(20), pseudo(DNS_QUERY)), 0xffff);
    assert.equal(sumWords(DNS_QUERY_TRANSLATED.subarray(20), pseudo(DNS_QUERY_TRANSLATED)), 0xffff);
    assert.equal(sumWords(PING.subarray(20)), 0xffff);
    for (const error of [PORT_UNREACHABLE_OUTSIDE, PORT_UNREACHABLE_INSIDE]) {
      assert.ok(ipv4ChecksumOk(error));
      assert.equal(sumWords(error.subarray(20)), 0xffff);
      assert.ok(ipv4ChecksumOk(error, 28));
    }
  });
});

describe('readFlowTuple', () => {
  it('reads a TCP SYN: ports, flags', () => {
    assert.deepEqual(read(SYN), ['ok', tuple(IP_PROTOCOL_TCP, CLIENT, 51234, SERVER, 80)]);
    assert.equal(tcpFlags(SYN), TCP_SYN);
  });

  it('reads a UDP DNS query', () => {
    assert.deepEqual(read(DNS_QUERY), ['ok', tuple(IP_PROTOCOL_UDP, CLIENT, 51234, RESOLVER, 53)]);
  });

  it('reads an echo request: the identifier stands for both ports (RFC 5508 §3.1)', () => {
    assert.deepEqual(read(PING), ['ok', tuple(IP_PROTOCOL_ICMP, 0x0a000001, 42, 0x0a000002, 42)]);
    assert.equal(icmpType(PING), 8);
    assert.equal(icmpCode(PING), 0);
    const reply = withIcmpChecksum(patched(PING, 20, [0]));
    assert.deepEqual(read(reply), ['ok', tuple(IP_PROTOCOL_ICMP, 0x0a000001, 42, 0x0a000002, 42)]);
  });

  it('reads the options past: the transport header starts at IHL × 4', () => {
    const packet = buildPacket({ ...tcpSpec, options: new Uint8Array(40).fill(1) });
    assert.equal(packet[0], 0x4f);
    assert.deepEqual(read(packet), ['ok', tuple(IP_PROTOCOL_TCP, CLIENT, 51234, SERVER, 443)]);
  });

  it("says 'icmp-error' for the three translated errors, with the outer addresses", () => {
    assert.deepEqual(read(PORT_UNREACHABLE_OUTSIDE), [
      'icmp-error',
      tuple(IP_PROTOCOL_ICMP, RESOLVER, 0, PUBLIC, 0),
    ]);
    assert.equal(icmpType(PORT_UNREACHABLE_OUTSIDE), 3);
    assert.equal(icmpCode(PORT_UNREACHABLE_OUTSIDE), 3);
    for (const kind of ['time-exceeded', 'parameter-problem'] as const) {
      const error = buildIcmpError(DNS_QUERY, { kind, dataLength: 8 });
      assert.equal(read(error)[0], 'icmp-error');
    }
  });

  it("says 'unsupported-icmp' for other ICMP types, the addresses still filled", () => {
    // Timestamp request (13), redirect (5), source quench (4), router advertisement (9).
    for (const type of [13, 5, 4, 9]) {
      const packet = withIcmpChecksum(patched(PING, 20, [type]));
      assert.deepEqual(read(packet), [
        'unsupported-icmp',
        tuple(IP_PROTOCOL_ICMP, 0x0a000001, 0, 0x0a000002, 0),
      ]);
    }
  });

  it("says 'unsupported-protocol' for anything but TCP, UDP and ICMP", () => {
    // GRE (47), ESP (50), SCTP (132), IPv6-in-IPv4 (41).
    for (const protocol of [47, 50, 132, 41]) {
      const [verdict, into] = read(patched(SYN, 9, [protocol]));
      assert.equal(verdict, 'unsupported-protocol');
      assert.deepEqual(into, tuple(protocol, CLIENT, 0, SERVER, 0));
    }
  });

  it("says 'fragment' for a first fragment (MF) and a later one (offset), ports unread", () => {
    assert.deepEqual(read(patched(SYN, 6, [0x20, 0x00])), [
      'fragment',
      tuple(IP_PROTOCOL_TCP, CLIENT, 0, SERVER, 0),
    ]);
    assert.equal(read(patched(DNS_QUERY, 6, [0x00, 0xb9]))[0], 'fragment');
    assert.equal(read(patched(PING, 6, [0x5f, 0xff]))[0], 'fragment');
    // DF alone is no fragment.
    assert.equal(read(patched(DNS_QUERY, 6, [0x40, 0x00]))[0], 'ok');
  });

  it("says 'truncated' for a malformed IPv4 header", () => {
    for (let length = 0; length < 20; length++) {
      assert.equal(read(SYN.subarray(0, length))[0], 'truncated');
    }
    assert.equal(read(patched(SYN, 0, [0x44]))[0], 'truncated'); // IHL 4
    assert.equal(read(patched(SYN, 0, [0x65]))[0], 'truncated'); // version 6
    assert.equal(read(patched(SYN, 0, [0x4f]).subarray(0, 40))[0], 'truncated'); // IHL past the end
    assert.equal(read(patched(SYN, 2, [0x00, 0x3d]))[0], 'truncated'); // total length past the end
    assert.equal(read(patched(SYN, 2, [0x00, 0x13]))[0], 'truncated'); // below the header
  });

  it("says 'truncated' when the transport header is not all there", () => {
    // Every prefix with a consistent total length, cut inside the TCP header (20 bytes and its
    // 20 bytes of options), the UDP header and the ICMP header.
    const cut = (packet: Uint8Array, length: number) =>
      patched(packet.subarray(0, length), 2, [length >>> 8, length & 0xff]);
    for (let length = 20; length < SYN.length; length++) {
      assert.equal(read(cut(SYN, length))[0], 'truncated', `SYN cut at ${length}`);
    }
    for (let length = 20; length < 28; length++) {
      assert.equal(read(cut(DNS_QUERY, length))[0], 'truncated', `UDP cut at ${length}`);
      assert.equal(read(cut(PING, length))[0], 'truncated', `ICMP cut at ${length}`);
    }
    assert.equal(read(cut(DNS_QUERY, 28))[0], 'ok');
    assert.equal(read(cut(PING, 28))[0], 'ok');
    // A TCP data offset below 5 words is malformed (RFC 9293 §3.1).
    assert.equal(read(patched(SYN, 32, [0x40]))[0], 'truncated');
  });

  it('reads what was built, with and without IPv4 options', () => {
    fc.assert(
      fc.property(specArbitrary(), (spec) => {
        assert.deepEqual(read(buildPacket(spec)), [
          'ok',
          tuple(
            protocolOf(spec),
            spec.source,
            spec.sourcePort,
            spec.destination,
            spec.destinationPort,
          ),
        ]);
      }),
      PROPERTY_RUNS,
    );
  });
});

describe('readQuotedTuple', () => {
  it('reads the quoted datagram as it stands: its source is who sent it', () => {
    assert.deepEqual(readQuoted(PORT_UNREACHABLE_OUTSIDE), [
      'ok',
      tuple(IP_PROTOCOL_UDP, PUBLIC, 40002, RESOLVER, 53),
    ]);
    assert.deepEqual(readQuoted(PORT_UNREACHABLE_INSIDE), [
      'ok',
      tuple(IP_PROTOCOL_UDP, CLIENT, 51234, RESOLVER, 53),
    ]);
  });

  it('reads ports from the 8 bytes RFC 792 guarantees: no whole TCP header needed', () => {
    const error = buildIcmpError(SYN, { kind: 'time-exceeded', dataLength: 8 });
    assert.equal(error.length, 20 + 8 + 20 + 8);
    assert.deepEqual(readQuoted(error), ['ok', tuple(IP_PROTOCOL_TCP, CLIENT, 51234, SERVER, 80)]);
    const echo = buildIcmpError(PING, { dataLength: 8 });
    assert.deepEqual(readQuoted(echo), [
      'ok',
      tuple(IP_PROTOCOL_ICMP, 0x0a000001, 42, 0x0a000002, 42),
    ]);
  });

  it('reads past options of the quoted header and of the outer one (RFC 5508 REQ-3 (b))', () => {
    const offending = buildPacket({ ...tcpSpec, options: new Uint8Array(12).fill(1) });
    const error = buildIcmpError(offending, {
      kind: 'parameter-problem',
      dataLength: 20,
      options: new Uint8Array(8).fill(1),
    });
    assert.deepEqual(readQuoted(error), ['ok', tuple(IP_PROTOCOL_TCP, CLIENT, 51234, SERVER, 443)]);
  });

  it('reads a quote followed by an RFC 4884 extension structure, and honours its length', () => {
    const extensions = fromHex('20 00 dd f4 00 08 01 01 00 01 01 01');
    const error = buildIcmpError(DNS_QUERY, { kind: 'time-exceeded', extensions });
    assert.equal(error[20 + 5], 32); // 128 bytes of original datagram
    assert.deepEqual(readQuoted(error), [
      'ok',
      tuple(IP_PROTOCOL_UDP, CLIENT, 51234, RESOLVER, 53),
    ]);
    // A length attribute of 6 words leaves 4 bytes of UDP header in the quote proper.
    const short = withIcmpChecksum(patched(error, 20 + 5, [6]));
    assert.equal(readQuoted(short)[0], 'truncated');
    // One past the end describes no layout: the bytes present count.
    const past = withIcmpChecksum(patched(error, 20 + 5, [0xff]));
    assert.equal(readQuoted(past)[0], 'ok');
  });

  it("says 'truncated' for fewer than 8 bytes of quoted data or a malformed quoted header", () => {
    for (const offending of [SYN, DNS_QUERY, PING]) {
      for (let data = 0; data < 8; data++) {
        const error = buildIcmpError(offending, { dataLength: data });
        assert.equal(readQuoted(error)[0], 'truncated', `${data} bytes of data`);
      }
      for (let quote = 0; quote < 20; quote++) {
        const error = buildIcmpError(offending, { dataLength: 8 });
        const cut = error.subarray(0, 28 + quote);
        const fixed = withIcmpChecksum(patched(cut, 2, [0, cut.length]));
        assert.equal(readQuoted(fixed)[0], 'truncated', `${quote} bytes of quoted header`);
      }
    }
    const error = buildIcmpError(SYN, { dataLength: 8 });
    assert.equal(readQuoted(withIcmpChecksum(patched(error, 28, [0x44])))[0], 'truncated'); // IHL 4
    assert.equal(readQuoted(withIcmpChecksum(patched(error, 28, [0x46])))[0], 'truncated'); // options missing
    assert.equal(readQuoted(withIcmpChecksum(patched(error, 28, [0x65])))[0], 'truncated'); // version 6
  });

  it("says 'fragment' for a quoted non-first fragment, and reads a quoted first fragment", () => {
    const error = buildIcmpError(DNS_QUERY, { kind: 'time-exceeded' });
    assert.equal(readQuoted(withIcmpChecksum(patched(error, 28 + 6, [0x00, 0x10])))[0], 'fragment');
    assert.deepEqual(readQuoted(withIcmpChecksum(patched(error, 28 + 6, [0x20, 0x00]))), [
      'ok',
      tuple(IP_PROTOCOL_UDP, CLIENT, 51234, RESOLVER, 53),
    ]);
  });

  it("says 'unsupported-icmp' for a quoted ICMP error or other non-echo message", () => {
    // An error about an error: no one sends it (RFC 1122 §3.2.2), so no session matches it.
    const inner = buildIcmpError(DNS_QUERY, { dataLength: 8 });
    const errorAboutError = buildIcmpError(inner, { kind: 'time-exceeded', reporter: SERVER });
    assert.deepEqual(readQuoted(errorAboutError), [
      'unsupported-icmp',
      tuple(IP_PROTOCOL_ICMP, RESOLVER, 0, CLIENT, 0),
    ]);
    const timestamp = withIcmpChecksum(patched(PING, 20, [13]));
    const aboutTimestamp = buildIcmpError(timestamp, {
      kind: 'time-exceeded',
      reporter: SERVER,
      dataLength: 8,
    });
    assert.equal(readQuoted(aboutTimestamp)[0], 'unsupported-icmp');
  });

  it("says 'unsupported-protocol' for a quoted datagram of another protocol", () => {
    const gre = patched(DNS_QUERY, 9, [47]);
    const error = buildIcmpError(gre, { dataLength: 8 });
    assert.equal(readQuoted(error)[0], 'unsupported-protocol');
  });

  it('gives the outer verdict for a packet that is no ICMP error', () => {
    assert.equal(readQuoted(SYN)[0], 'unsupported-protocol');
    assert.equal(readQuoted(DNS_QUERY)[0], 'unsupported-protocol');
    assert.equal(readQuoted(PING)[0], 'unsupported-icmp');
    assert.equal(readQuoted(SYN.subarray(0, 10))[0], 'truncated');
    assert.equal(readQuoted(patched(PORT_UNREACHABLE_OUTSIDE, 6, [0x20, 0]))[0], 'fragment');
    assert.equal(readQuoted(patched(SYN, 9, [47]))[0], 'unsupported-protocol');
  });

  it('reads what was quoted, for every error kind and quote length', () => {
    fc.assert(
      fc.property(
        specArbitrary(),
        fc.constantFrom<ErrorKind>('destination-unreachable', 'time-exceeded', 'parameter-problem'),
        fc.constantFrom<number | 'whole'>(8, 20, 'whole'),
        fc.boolean(),
        (spec, kind, dataLength, extended) => {
          const extensions = extended ? fromHex('20 00 00 00') : undefined;
          const error = buildIcmpError(buildPacket(spec), { kind, dataLength, extensions });
          assert.equal(read(error)[0], 'icmp-error');
          assert.deepEqual(readQuoted(error), [
            'ok',
            tuple(
              protocolOf(spec),
              spec.source,
              spec.sourcePort,
              spec.destination,
              spec.destinationPort,
            ),
          ]);
        },
      ),
      PROPERTY_RUNS,
    );
  });
});

describe('reading untrusted bytes', () => {
  /** What readQuotedTuple said over the mutated packets: the fuzz must reach its every branch. */
  const quotedVerdicts = new Set<TupleVerdict>();

  /** Runs both readers bounds-checked; an 'ok' tuple must hold integers in range. */
  function readersHold(bytes: Uint8Array): void {
    const view = guarded(bytes);
    for (const reader of [readFlowTuple, readQuotedTuple]) {
      const into = emptyTuple();
      const verdict = reader(view, into);
      if (reader === readQuotedTuple) quotedVerdicts.add(verdict);
      if (verdict === 'ok') {
        for (const address of [into.source, into.destination]) {
          assert.ok(Number.isInteger(address) && address >= 0 && address <= 0xffff_ffff);
        }
        for (const port of [into.sourcePort, into.destinationPort]) {
          assert.ok(Number.isInteger(port) && port >= 0 && port <= 0xffff);
        }
        assert.ok([IP_PROTOCOL_TCP, IP_PROTOCOL_UDP, IP_PROTOCOL_ICMP].includes(into.protocol));
        if (reader === readFlowTuple && into.protocol === IP_PROTOCOL_TCP) {
          assert.ok(Number.isInteger(tcpFlags(view)));
        }
      }
      if (verdict === 'icmp-error') {
        assert.ok(Number.isInteger(icmpType(view)) && Number.isInteger(icmpCode(view)));
      }
    }
  }

  /** Valid packets and errors to mutate: every kind, every quote length, options, extensions. */
  const seedArbitrary = fc.oneof(
    specArbitrary().map((spec) => buildPacket(spec)),
    fc
      .tuple(
        specArbitrary(),
        fc.constantFrom<number | 'whole'>(0, 4, 8, 20, 'whole'),
        fc.boolean(),
        fc.constantFrom(new Uint8Array(0), new Uint8Array(4).fill(1)),
      )
      .map(([spec, dataLength, extended, options]) =>
        buildIcmpError(buildPacket(spec), {
          dataLength,
          extensions: extended ? fromHex('20 00 00 00') : undefined,
          options,
        }),
      ),
  );

  /** Overwrites, cuts, and header lies: IHL and total length, outer and quoted. */
  const mutatedArbitrary = fc
    .tuple(
      seedArbitrary,
      fc.array(fc.tuple(fc.nat(), fc.nat({ max: 0xff })), { maxLength: 4 }),
      fc.nat(),
      fc.constantFrom('none', 'cut', 'outer-ihl', 'quoted-ihl', 'quoted-length', 'length-field'),
      fc.nat({ max: 0xff }),
    )
    .map(([seed, writes, cutAt, lie, value]) => {
      let bytes = seed.slice();
      for (const [at, byte] of writes) bytes[at % bytes.length] = byte;
      const quoted = 20 + 8;
      if (lie === 'cut') bytes = bytes.subarray(0, cutAt % (bytes.length + 1));
      if (lie === 'outer-ihl') bytes[0] = 0x40 | (value & 0x0f);
      if (lie === 'quoted-ihl' && bytes.length > quoted) bytes[quoted] = 0x40 | (value & 0x0f);
      if (lie === 'quoted-length' && bytes.length > quoted + 3) bytes[quoted + 3] = value;
      if (lie === 'length-field') bytes[3] = value;
      return bytes;
    });

  it('never throws and never reads out of bounds on random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 120 }), readersHold), PROPERTY_RUNS);
  });

  it('never throws and never reads out of bounds on random bytes behind a valid header', () => {
    // A consistent outer header, so the random bytes reach the transport and quote readers.
    fc.assert(
      fc.property(
        fc.constantFrom(IP_PROTOCOL_TCP, IP_PROTOCOL_UDP, IP_PROTOCOL_ICMP),
        fc.uint8Array({ maxLength: 120 }),
        (protocol, payload) => {
          const length = 20 + payload.length;
          const header = fromHex('45 00 0000 0000 0000 40 00 0000 0a000001 0a000002');
          header.set([length >>> 8, length & 0xff], 2);
          header[9] = protocol;
          readersHold(concatBytes([header, payload]));
        },
      ),
      PROPERTY_RUNS,
    );
  });

  it('never throws and never reads out of bounds on mutated packets and errors', () => {
    quotedVerdicts.clear();
    fc.assert(fc.property(mutatedArbitrary, readersHold), PROPERTY_RUNS);
    assert.deepEqual([...quotedVerdicts].sort(), [
      'fragment',
      'ok',
      'truncated',
      'unsupported-icmp',
      'unsupported-protocol',
    ]);
  });
});
