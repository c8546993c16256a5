import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SeededRandom, unwrap } from '@oasis/core';
import { IP_PROTOCOL_ICMP, IP_PROTOCOL_TCP, IP_PROTOCOL_UDP, parseIpv4Address } from '@oasis/wire';
import fc from 'fast-check';
import { ConnectionTable, type ConnectionTableOptions } from '../src/connection-table.ts';
import { FLOW_REPLY } from '../src/flow-state.ts';
import { emptyTuple } from '../src/flow-tuple.ts';
import { PortMappings } from '../src/port-mapping.ts';
import { tuple } from './test-packets.ts';

const ip = (text: string): number => unwrap(parseIpv4Address(text));
const NAT = ip('192.0.2.1');
const HOST_A = ip('10.137.0.5');
const HOST_B = ip('10.137.0.6');
const HOST_C = ip('10.137.0.7');
const SERVER_1 = ip('198.51.100.1');
const SERVER_2 = ip('198.51.100.2');
const UDP = IP_PROTOCOL_UDP;
const TCP = IP_PROTOCOL_TCP;
const ICMP = IP_PROTOCOL_ICMP;

function natTable(options: Partial<ConnectionTableOptions> = {}): ConnectionTable {
  return new ConnectionTable({ random: new SeededRandom(7), ...options });
}

/** Source-NATs a new flow and returns its index and the external port replies come to. */
function snat(
  table: ConnectionTable,
  [protocol, source, sourcePort, destination, destinationPort]: readonly number[],
  nowMs = 0,
): { flow: number; port: number } {
  const original = tuple(protocol!, source!, sourcePort!, destination!, destinationPort!);
  const flow = table.addWithSourceNat(original, destination!, destinationPort!, NAT, nowMs, 0);
  assert.ok(flow >= 0, `addWithSourceNat refused ${JSON.stringify(original)}`);
  return { flow, port: table.tupleOf(flow, FLOW_REPLY, emptyTuple()).destinationPort };
}

describe('endpoint-independent mapping (RFC 4787 REQ-1, RFC 5382 REQ-1)', () => {
  it('gives one inside endpoint the same external port for every destination, preserved', () => {
    const table = natTable();
    const first = snat(table, [UDP, HOST_A, 40000, SERVER_1, 53]);
    const second = snat(table, [UDP, HOST_A, 40000, SERVER_2, 123]);
    assert.equal(first.port, 40000);
    assert.equal(second.port, 40000);
    assert.equal(table.mappings, 1);
    assert.equal(table.size, 2);
    assert.equal(table.find(UDP, SERVER_1, 53, NAT, 40000), first.flow * 2 + 1);
    assert.equal(table.find(UDP, SERVER_2, 123, NAT, 40000), second.flow * 2 + 1);
  });

  it('gives another inside host with the same port a different port of the same range and parity', () => {
    const table = natTable();
    assert.equal(snat(table, [UDP, HOST_A, 40000, SERVER_1, 53]).port, 40000);
    const other = snat(table, [UDP, HOST_B, 40000, SERVER_1, 53]).port;
    assert.notEqual(other, 40000);
    assert.ok(other >= 1024 && other <= 65535, `${other}`);
    assert.equal(other % 2, 0, 'RFC 4787 REQ-4 parity');
    assert.equal(table.mappings, 2);
  });

  it('keeps a port below 1024 below 1024 (RFC 4787 REQ-3)', () => {
    const table = natTable();
    assert.equal(snat(table, [UDP, HOST_A, 123, SERVER_1, 123]).port, 123);
    const other = snat(table, [UDP, HOST_B, 123, SERVER_1, 123]).port;
    assert.notEqual(other, 123);
    assert.ok(other >= 1 && other <= 1023, `${other}`);
    assert.equal(other % 2, 1);
  });

  it('frees a mapping with its last removed flow, and the port can be taken again', () => {
    const table = natTable();
    const a1 = snat(table, [TCP, HOST_A, 5000, SERVER_1, 80]);
    const a2 = snat(table, [TCP, HOST_A, 5000, SERVER_2, 80]);
    table.remove(a1.flow);
    assert.equal(table.mappings, 1);
    assert.notEqual(snat(table, [TCP, HOST_B, 5000, SERVER_1, 80]).port, 5000);
    table.remove(a2.flow);
    assert.equal(table.mappings, 1, "HOST_B's mapping remains");
    assert.equal(snat(table, [TCP, HOST_C, 5000, SERVER_1, 80]).port, 5000);
  });

  it('frees a mapping when its last flow expires', () => {
    const table = natTable({ timeouts: { udpMs: 1000 } });
    snat(table, [UDP, HOST_A, 6000, SERVER_1, 53], 0);
    snat(table, [UDP, HOST_A, 6000, SERVER_2, 53], 500);
    assert.equal(table.expire(1000), 1);
    assert.equal(table.mappings, 1);
    assert.equal(table.expire(1500), 1);
    assert.equal(table.mappings, 0);
    assert.equal(snat(table, [UDP, HOST_B, 6000, SERVER_1, 53], 1500).port, 6000);
  });

  it('never allocates a reserved port, and cannot reserve a mapped one', () => {
    const table = natTable();
    assert.equal(table.reservePort(UDP, 7000), true);
    assert.equal(table.reservePort(UDP, 7000), true, 'reserving again is harmless');
    assert.notEqual(snat(table, [UDP, HOST_A, 7000, SERVER_1, 53]).port, 7000);
    assert.equal(
      snat(table, [TCP, HOST_A, 7000, SERVER_1, 80]).port,
      7000,
      'TCP has its own ports',
    );
    assert.equal(table.reservePort(TCP, 7000), false);
  });

  it('respects isPortUsedLocally, preserving and searching alike, then counts exhaustion', () => {
    const asked: number[] = [];
    const table = natTable({
      isPortUsedLocally: (protocol, port) => {
        if (protocol === UDP && port === 9000) asked.push(port);
        return protocol === UDP && port >= 1024 && port !== 40000 && port !== 40001;
      },
    });
    assert.equal(snat(table, [UDP, HOST_A, 9000, SERVER_1, 53]).port, 40000);
    assert.deepEqual(asked, [9000]);
    assert.equal(snat(table, [UDP, HOST_B, 9000, SERVER_1, 53]).port, 40001, 'other parity last');
    const refused = table.addWithSourceNat(
      tuple(UDP, HOST_C, 9000, SERVER_1, 53),
      SERVER_1,
      53,
      NAT,
      0,
      0,
    );
    assert.equal(refused, -1);
    assert.equal(table.portExhaustion, 1);
    assert.equal(table.size, 2);
    assert.equal(table.mappings, 2);
    assert.equal(snat(table, [TCP, HOST_C, 9000, SERVER_1, 80]).port, 9000, 'TCP unaffected');
  });

  it('runs out when reservations leave no port of the range', () => {
    const table = natTable();
    for (let port = 1; port < 1024; port++) assert.equal(table.reservePort(UDP, port), true);
    const refused = table.addWithSourceNat(
      tuple(UDP, HOST_A, 53, SERVER_1, 53),
      SERVER_1,
      53,
      NAT,
      0,
      0,
    );
    assert.equal(refused, -1);
    assert.equal(table.portExhaustion, 1);
    assert.equal(table.mappings, 0);
    assert.equal(table.size, 0);
    assert.ok(
      snat(table, [UDP, HOST_A, 1024, SERVER_1, 53]).port >= 1024,
      'the high range is free',
    );
  });

  it('maps ICMP echo identifiers in their own space, the identifier as both ports', () => {
    const table = natTable();
    const a = snat(table, [ICMP, HOST_A, 1, SERVER_1, 1]);
    const b = snat(table, [ICMP, HOST_B, 1, SERVER_2, 1]);
    assert.equal(a.port, 1);
    assert.notEqual(b.port, 1);
    assert.deepEqual(table.tupleOf(b.flow, FLOW_REPLY, emptyTuple()), {
      protocol: ICMP,
      source: SERVER_2,
      sourcePort: b.port,
      destination: NAT,
      destinationPort: b.port,
    });
    assert.equal(table.find(ICMP, SERVER_2, b.port, NAT, b.port), b.flow * 2 + 1);
  });

  it('leaves the mapping count alone when a duplicate flow is refused', () => {
    const table = natTable();
    const { flow } = snat(table, [UDP, HOST_A, 4000, SERVER_1, 53]);
    const original = tuple(UDP, HOST_A, 4000, SERVER_1, 53);
    assert.equal(table.addWithSourceNat(original, SERVER_1, 53, NAT, 0, 0), -1);
    table.remove(flow);
    assert.equal(table.mappings, 0);
  });

  it('evicts before mapping, so a full table hands the evicted flow’s port on', () => {
    const table = natTable({ capacity: 1 });
    snat(table, [UDP, HOST_A, 5000, SERVER_1, 53], 0);
    assert.equal(snat(table, [UDP, HOST_B, 5000, SERVER_1, 53], 1).port, 5000);
    assert.equal(table.evictions, 1);
    assert.equal(table.mappings, 1);
  });

  it('rejects source NAT for protocols without ports before evicting anything', () => {
    const table = natTable({ capacity: 1 });
    snat(table, [UDP, HOST_A, 4000, SERVER_1, 53]);
    assert.throws(
      () => table.addWithSourceNat(tuple(47, HOST_A, 0, SERVER_1, 0), SERVER_1, 0, NAT, 0, 0),
      RangeError,
    );
    assert.equal(table.size, 1);
    assert.equal(table.evictions, 0);
    assert.throws(() => table.reservePort(47, 1), RangeError);
    assert.throws(() => table.reservePort(UDP, 65536), RangeError);
  });
});

describe('PortMappings', () => {
  it('hands out free ports in range, preserving or matching parity when it can (property)', () => {
    // Inside ports below 1024 keep the search within 1..1023, where a model can check every port.
    const operation = fc.oneof(
      fc.record({ kind: fc.constant('reserve' as const), port: fc.integer({ min: 0, max: 1023 }) }),
      fc.record({
        kind: fc.constant('acquire' as const),
        host: fc.integer({ min: 0, max: 3 }),
        port: fc.integer({ min: 0, max: 1023 }),
      }),
      fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.integer(), fc.array(operation, { maxLength: 200 }), (seed, operations) => {
        const random = new SeededRandom(seed);
        const localPorts = new Set([1, 2, 3, 100, 101]);
        const mappings = new PortMappings({
          capacity: 64,
          seed: random.uint32(),
          random,
          isPortUsedLocally: (_protocol, port) => localPorts.has(port),
        });
        const taken = new Map<number, string>(); // external port -> owner ('reserved' or a key)
        const live = new Map<string, { mapping: number; port: number; references: number }>();
        for (const op of operations) {
          if (op.kind === 'reserve') {
            const owner = taken.get(op.port);
            assert.equal(
              mappings.reserve(UDP, op.port),
              owner === undefined || owner === 'reserved',
            );
            if (owner === undefined) taken.set(op.port, 'reserved');
          } else if (op.kind === 'acquire') {
            const key = `${op.host}:${op.port}`;
            const mapping = mappings.acquire(UDP, HOST_A + op.host, op.port);
            const known = live.get(key);
            if (known !== undefined) {
              assert.equal(mapping, known.mapping);
              known.references++;
              continue;
            }
            const free = (port: number) => !taken.has(port) && !localPorts.has(port);
            const candidates = [];
            for (let port = 1; port < 1024; port++) if (free(port)) candidates.push(port);
            if (live.size === 64 || (!free(op.port) && candidates.length === 0)) {
              assert.equal(mapping, -1);
              continue;
            }
            assert.ok(mapping >= 0);
            const port = mappings.externalPort(mapping);
            if (free(op.port)) assert.equal(port, op.port, 'preserved');
            else {
              assert.ok(free(port) && port >= 1 && port < 1024, `${port} was free and in range`);
              if (candidates.some((p) => p % 2 === op.port % 2))
                assert.equal(port % 2, op.port % 2);
            }
            taken.set(port, key);
            live.set(key, { mapping, port, references: 1 });
          } else if (live.size > 0) {
            const [key, entry] = [...live.entries()][op.pick % live.size]!;
            mappings.release(entry.mapping);
            if (--entry.references === 0) {
              live.delete(key);
              taken.delete(entry.port);
            }
          }
          assert.equal(mappings.size, live.size);
        }
      }),
      { numRuns: 60 },
    );
  });
});
