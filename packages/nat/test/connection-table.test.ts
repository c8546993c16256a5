import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { SeededRandom, unwrap } from '@oasis/core';
import {
  IP_PROTOCOL_ICMP,
  IP_PROTOCOL_TCP,
  IP_PROTOCOL_UDP,
  parseIpv4Address,
  TCP_ACK,
  TCP_FIN,
  TCP_PSH,
  TCP_RST,
  TCP_SYN,
} from '@oasis/wire';
import fc from 'fast-check';
import { ConnectionTable, type ConnectionTableOptions } from '../src/connection-table.ts';
import {
  FLOW_ORIGINAL,
  FLOW_REPLY,
  FLOW_STATE_NAMES,
  type FlowDirection,
  TCP_SYN_SENT,
  type TcpState,
} from '../src/flow-state.ts';
import { emptyTuple, type FlowTuple, reverseTuple } from '../src/flow-tuple.ts';
import { NAT_TIMEOUTS } from '../src/nat-timeouts.ts';
import { nextTcpState } from '../src/tcp-tracking.ts';
import { tuple } from './test-packets.ts';

const ip = (text: string): number => unwrap(parseIpv4Address(text));
const CLIENT = ip('10.137.0.5');
const SERVER = ip('198.51.100.7');
const NAT = ip('192.0.2.1');
const TCP = IP_PROTOCOL_TCP;
const UDP = IP_PROTOCOL_UDP;
const ICMP = IP_PROTOCOL_ICMP;
const GRE = 47;

function newTable(options: Partial<ConnectionTableOptions> = {}): ConnectionTable {
  return new ConnectionTable({ random: new SeededRandom(1), ...options });
}

/** Adds a flow without translation (replies are the original reversed). */
function addPlain(table: ConnectionTable, original: FlowTuple, nowMs: number, tag = 0): number {
  return table.add(original, reverseTuple(original, emptyTuple()), nowMs, tag);
}

function findTuple(table: ConnectionTable, t: FlowTuple): number {
  return table.find(t.protocol, t.source, t.sourcePort, t.destination, t.destinationPort);
}

/** Takes a TCP flow through the three-way handshake at `nowMs`. */
function establish(table: ConnectionTable, flow: number, nowMs: number): void {
  table.seen(flow * 2 + FLOW_ORIGINAL, TCP_SYN, nowMs);
  table.seen(flow * 2 + FLOW_REPLY, TCP_SYN | TCP_ACK, nowMs);
  table.seen(flow * 2 + FLOW_ORIGINAL, TCP_ACK, nowMs);
}

/** The collector, reachable without starting node with --expose-gc. */
function collector(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

describe('ConnectionTable lookups', () => {
  it('finds a flow from both directions and gives its tuples and tag back', () => {
    const table = newTable({ capacity: 16 });
    const original = tuple(UDP, CLIENT, 40000, SERVER, 53);
    const reply = tuple(UDP, SERVER, 53, NAT, 61000);
    const flow = table.add(original, reply, 0, 42.5);
    assert.ok(flow >= 0 && flow < 16);
    assert.equal(findTuple(table, original), flow * 2);
    assert.equal(findTuple(table, reply), flow * 2 + 1);
    assert.equal(findTuple(table, reverseTuple(original, emptyTuple())), -1);
    assert.deepEqual(table.tupleOf(flow, FLOW_ORIGINAL, emptyTuple()), original);
    assert.deepEqual(table.tupleOf(flow, FLOW_REPLY, emptyTuple()), reply);
    assert.equal(table.tagOf(flow), 42.5);
    assert.equal(table.stateOf(flow), 'udp');
    assert.equal(table.size, 1);
    assert.equal(table.mappings, 0, 'add makes no port mapping');
  });

  it('refuses a flow whose original or reply tuple is already present, or whose tuples are equal', () => {
    const table = newTable({ capacity: 16 });
    const original = tuple(TCP, CLIENT, 40000, SERVER, 443);
    const reply = reverseTuple(original, emptyTuple());
    assert.ok(table.add(original, reply, 0, 0) >= 0);
    assert.equal(table.add(original, tuple(TCP, SERVER, 443, NAT, 1), 0, 0), -1);
    assert.equal(table.add(tuple(TCP, CLIENT, 40001, SERVER, 443), reply, 0, 0), -1);
    assert.equal(table.add(reply, original, 0, 0), -1);
    const loop = tuple(UDP, CLIENT, 7, CLIENT, 7);
    assert.equal(table.add(loop, loop, 0, 0), -1);
    assert.equal(table.size, 1);
  });

  it('forgets a removed flow and reuses its slot; stale indexes throw', () => {
    const table = newTable({ capacity: 2 });
    const original = tuple(ICMP, CLIENT, 9, SERVER, 9);
    const flow = addPlain(table, original, 0);
    table.remove(flow);
    assert.equal(table.size, 0);
    assert.equal(findTuple(table, original), -1);
    assert.equal(table.pollAt(), undefined);
    assert.throws(() => table.remove(flow), RangeError);
    assert.throws(() => table.seen(flow * 2, 0, 0), RangeError);
    assert.throws(() => table.stateOf(-1), RangeError);
    assert.throws(() => table.tagOf(2), RangeError);
    assert.equal(addPlain(table, original, 0), flow);
    assert.equal(findTuple(table, original), flow * 2);
  });

  it('accounts a constant amount of memory from its capacity, and checks its options', () => {
    const table = newTable();
    assert.equal(table.capacity, 65_536);
    assert.ok(table.memoryBytes > 65_536 * 40 && table.memoryBytes < 16 * 1024 * 1024);
    const before = table.memoryBytes;
    for (let i = 0; i < 1000; i++) addPlain(table, tuple(UDP, CLIENT, i, SERVER, 53), i);
    assert.equal(table.memoryBytes, before);
    assert.ok(newTable({ capacity: 1000 }).memoryBytes < before);
    assert.throws(() => newTable({ capacity: 0 }), RangeError);
    assert.throws(() => newTable({ capacity: 1.5 }), RangeError);
    assert.throws(() => newTable({ timeouts: { udpMs: 0 } }), RangeError);
    assert.throws(() => newTable({ timeouts: { icmpMs: Number.NaN } }), RangeError);
  });
});

describe('ConnectionTable timeouts', () => {
  it('tracks a TCP connection from SYN to TIME-WAIT with the matching timeouts', () => {
    const table = newTable();
    const flow = addPlain(table, tuple(TCP, CLIENT, 40000, SERVER, 80), 1000);
    const out = flow * 2 + FLOW_ORIGINAL;
    const back = flow * 2 + FLOW_REPLY;
    table.seen(out, TCP_SYN, 1000);
    assert.equal(table.stateOf(flow), 'syn-sent');
    assert.equal(table.pollAt(), 1000 + NAT_TIMEOUTS.tcpTransitoryMs);
    table.seen(back, TCP_SYN | TCP_ACK, 1100);
    assert.equal(table.stateOf(flow), 'syn-received');
    table.seen(out, TCP_ACK, 1200);
    assert.equal(table.stateOf(flow), 'established');
    assert.equal(table.pollAt(), 1200 + 7_440_000);
    assert.equal(table.expire(250_000), 0, 'past the transitory timeout, established stays');
    table.seen(out, TCP_FIN | TCP_ACK, 250_000);
    assert.equal(table.stateOf(flow), 'fin-wait');
    assert.equal(table.pollAt(), 250_000 + 240_000);
    table.seen(back, TCP_ACK | TCP_PSH, 251_000);
    table.seen(back, TCP_FIN | TCP_ACK, 252_000);
    assert.equal(table.stateOf(flow), 'time-wait');
    assert.equal(table.pollAt(), 252_000 + 240_000);
    assert.equal(table.expire(252_000 + 240_000 - 1), 0);
    assert.equal(table.expire(252_000 + 240_000), 1);
    assert.equal(table.expirations, 1);
    assert.equal(table.size, 0);
    assert.equal(table.find(TCP, CLIENT, 40000, SERVER, 80), -1);
  });

  it('drops a reset flow after tcpResetMs of silence, each packet restarting the wait', () => {
    const table = newTable();
    const flow = addPlain(table, tuple(TCP, CLIENT, 40001, SERVER, 80), 0);
    establish(table, flow, 0);
    table.seen(flow * 2 + FLOW_REPLY, TCP_RST, 100);
    assert.equal(table.stateOf(flow), 'reset');
    assert.equal(table.pollAt(), 100 + 10_000);
    table.seen(flow * 2 + FLOW_ORIGINAL, TCP_ACK, 5000);
    assert.equal(table.stateOf(flow), 'reset', 'only a SYN reopens');
    assert.equal(table.expire(14_999), 0);
    assert.equal(table.expire(15_000), 1);
  });

  it('expires UDP, ICMP and other protocols at their own timeouts, with exact counts', () => {
    const table = newTable();
    addPlain(table, tuple(UDP, CLIENT, 5353, SERVER, 53), 0);
    addPlain(table, tuple(ICMP, CLIENT, 77, SERVER, 77), 0);
    const gre = addPlain(table, tuple(GRE, CLIENT, 0, SERVER, 0), 0);
    addPlain(table, tuple(ICMP, CLIENT, 78, SERVER, 78), 10);
    assert.equal(table.stateOf(gre), 'other');
    assert.deepEqual(
      Object.entries(table.stateCounts()).filter(([, count]) => count > 0),
      [
        ['udp', 1],
        ['icmp', 2],
        ['other', 1],
      ],
    );
    assert.equal(table.pollAt(), 60_000);
    assert.equal(table.expire(59_999), 0);
    assert.equal(table.expire(60_010), 2);
    assert.equal(table.pollAt(), 300_000);
    assert.equal(table.expire(299_999), 0);
    assert.equal(table.expire(300_000), 2);
    assert.equal(table.expirations, 4);
    assert.equal(table.pollAt(), undefined);
  });

  it('refreshes a flow on activity in either direction and honours overridden timeouts', () => {
    const table = newTable({ timeouts: { udpMs: 1000 } });
    const flow = addPlain(table, tuple(UDP, CLIENT, 1, SERVER, 2), 0);
    const other = addPlain(table, tuple(UDP, CLIENT, 3, SERVER, 4), 100);
    table.seen(flow * 2 + FLOW_REPLY, 0, 900);
    assert.equal(table.pollAt(), 1100);
    assert.equal(table.expire(1100), 1);
    assert.equal(table.find(UDP, CLIENT, 3, SERVER, 4), -1, `flow ${other} went first`);
    assert.equal(table.find(UDP, CLIENT, 1, SERVER, 2), flow * 2);
    assert.equal(table.expire(1900), 1);
  });

  it('treats a time earlier than one already seen as the latest seen', () => {
    const table = newTable({ timeouts: { udpMs: 1000 } });
    const late = addPlain(table, tuple(UDP, CLIENT, 1, SERVER, 2), 500);
    addPlain(table, tuple(UDP, CLIENT, 3, SERVER, 4), 200);
    assert.equal(table.pollAt(), 1500);
    table.seen(late * 2, 0, 100);
    assert.equal(table.expire(1499), 0);
    assert.equal(table.expire(1500), 2);
  });
});

describe('ConnectionTable when full', () => {
  /** Fills `count` slots with established TCP connections at time 0; returns their tuples. */
  function establishedFlows(table: ConnectionTable, count: number): FlowTuple[] {
    const tuples: FlowTuple[] = [];
    for (let i = 0; i < count; i++) {
      const original = tuple(TCP, CLIENT, 10_000 + i, SERVER, 443);
      const flow = addPlain(table, original, 0);
      establish(table, flow, 0);
      tuples.push(original);
    }
    return tuples;
  }

  /** Adds `count` new flows, UDP and half-open TCP in turn, from time `startMs` on. */
  function flood(table: ConnectionTable, count: number, startMs: number): number {
    const original = emptyTuple();
    let added = 0;
    for (let i = 0; i < count; i++) {
      original.protocol = i % 2 === 0 ? UDP : TCP;
      original.source = (ip('203.0.113.0') + (i >>> 16)) >>> 0;
      original.sourcePort = i & 0xffff;
      original.destination = SERVER;
      original.destinationPort = 80;
      if (addPlain(table, original, startMs + i) >= 0) added++;
    }
    return added;
  }

  it('keeps established flows through a flood of 100,000 new UDP and SYN flows', () => {
    const table = newTable({ capacity: 1000 });
    const memory = table.memoryBytes;
    const established = establishedFlows(table, 900);
    assert.equal(flood(table, 100_000, 1000), 100_000);
    assert.equal(table.evictions, 100_000 - 100);
    assert.equal(table.rejections, 0);
    assert.equal(table.size, 1000);
    for (const original of established) {
      const handle = findTuple(table, original);
      assert.ok(handle >= 0 && handle % 2 === 0);
      assert.equal(findTuple(table, reverseTuple(original, emptyTuple())), handle + 1);
      assert.equal(table.stateOf(handle >> 1), 'established');
    }
    assert.equal(table.stateCounts().established, 900);
    assert.equal(table.memoryBytes, memory);
  });

  it('refuses new flows rather than evict established ones that outlive them', () => {
    const table = newTable({ capacity: 1000 });
    const established = establishedFlows(table, 1000);
    assert.equal(flood(table, 10_000, 1000), 0);
    assert.equal(table.rejections, 10_000);
    assert.equal(table.evictions, 0);
    assert.ok(established.every((original) => findTuple(table, original) >= 0));
    // An established flow idle long enough to expire before a new UDP flow would gives way.
    const udp = tuple(UDP, CLIENT, 1, SERVER, 53);
    const due = NAT_TIMEOUTS.tcpEstablishedMs - NAT_TIMEOUTS.udpMs;
    assert.equal(addPlain(table, udp, due - 1), -1);
    assert.ok(addPlain(table, udp, due) >= 0);
    assert.equal(table.evictions, 1);
    assert.equal(findTuple(table, established[0]!), -1, 'the least recently active went');
  });

  it('evicts the flow nearest to expiring across classes', () => {
    const table = newTable({ capacity: 3 });
    addPlain(table, tuple(UDP, CLIENT, 1, SERVER, 53), 0); // expires at 300,000
    addPlain(table, tuple(ICMP, CLIENT, 2, SERVER, 2), 100); // expires at 60,100
    addPlain(table, tuple(TCP, CLIENT, 3, SERVER, 80), 200); // expires at 240,200
    assert.ok(addPlain(table, tuple(UDP, CLIENT, 4, SERVER, 53), 300) >= 0);
    assert.equal(table.find(ICMP, CLIENT, 2, SERVER, 2), -1);
    assert.ok(addPlain(table, tuple(UDP, CLIENT, 5, SERVER, 53), 400) >= 0);
    assert.equal(table.find(TCP, CLIENT, 3, SERVER, 80), -1);
    assert.equal(table.evictions, 2);
  });

  it('takes 1,000,000 new flows into 65,536 slots without growing the heap', () => {
    const gc = collector();
    const table = newTable();
    const total = 1_000_000;
    const original = emptyTuple();
    const reply = emptyTuple();
    const fill = (i: number): FlowTuple => {
      original.protocol = UDP;
      original.source = (ip('10.0.0.0') + (i >>> 16)) >>> 0;
      original.sourcePort = i & 0xffff;
      original.destination = SERVER;
      original.destinationPort = 53;
      return original;
    };
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    let refused = 0;
    for (let i = 0; i < total; i++) {
      if (table.add(fill(i), reverseTuple(fill(i), reply), i, i) < 0) refused++;
    }
    gc();
    const grown = process.memoryUsage().heapUsed - heapBefore;
    assert.ok(grown < 4 * 1024 * 1024, `heap grew by ${grown} bytes`);
    assert.equal(refused, 0);
    assert.equal(table.size, 65_536);
    assert.equal(table.evictions, total - 65_536);
    for (let i = total - 65_536; i < total; i++) {
      const handle = findTuple(table, fill(i));
      assert.ok(handle >= 0 && handle % 2 === 0, `flow ${i} is found`);
      assert.equal(table.tagOf(handle >> 1), i);
      assert.equal(findTuple(table, reverseTuple(fill(i), reply)), handle + 1);
    }
    assert.equal(findTuple(table, fill(total - 65_537)), -1);
  });
});

describe('ConnectionTable against a model', () => {
  // Short timeouts by class, in the order the table breaks ties in: reset, ICMP, transitory TCP,
  // UDP (and other protocols), established TCP.
  const TIMEOUTS = {
    tcpResetMs: 50,
    icmpMs: 200,
    tcpTransitoryMs: 300,
    udpMs: 400,
    tcpEstablishedMs: 3000,
  };
  const CLASS_TIMEOUTS = [50, 200, 300, 400, 3000];
  const classOf = (name: string): number =>
    name === 'reset'
      ? 0
      : name === 'icmp'
        ? 1
        : name === 'udp' || name === 'other'
          ? 3
          : name === 'established'
            ? 4
            : 2;
  const PROTOCOLS = [TCP, UDP, TCP, ICMP, TCP, GRE];
  const POOL = 12;
  const CAPACITY = 4;
  const originalOf = (i: number): FlowTuple =>
    tuple(PROTOCOLS[i % PROTOCOLS.length]!, CLIENT + (i % 3), 1000 + i, SERVER, 80);
  const replyOf = (i: number, natted: boolean): FlowTuple =>
    natted
      ? tuple(PROTOCOLS[i % PROTOCOLS.length]!, SERVER, 80, NAT, 2000 + i)
      : reverseTuple(originalOf(i), emptyTuple());

  interface ModelFlow {
    index: number;
    natted: boolean;
    state: TcpState | undefined;
    name: string;
    last: number;
    touched: number;
  }

  const operation = fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({
        kind: fc.constant('add' as const),
        index: fc.integer({ min: 0, max: POOL - 1 }),
        natted: fc.boolean(),
        dt: fc.integer({ min: 0, max: 30 }),
      }),
    },
    {
      weight: 4,
      arbitrary: fc.record({
        kind: fc.constant('seen' as const),
        pick: fc.nat(),
        // A handshake, data, closes and resets, each segment in the direction it usually takes.
        segments: fc.oneof(
          {
            weight: 6,
            arbitrary: fc.constant<[FlowDirection, number][]>([
              [FLOW_REPLY, TCP_SYN | TCP_ACK],
              [FLOW_ORIGINAL, TCP_ACK],
            ]),
          },
          fc.constantFrom<[FlowDirection, number][]>(
            [[FLOW_ORIGINAL, 0]],
            [[FLOW_REPLY, TCP_ACK]],
            [[FLOW_ORIGINAL, TCP_SYN]],
            [[FLOW_ORIGINAL, TCP_FIN | TCP_ACK]],
            [[FLOW_REPLY, TCP_FIN | TCP_ACK]],
            [[FLOW_REPLY, TCP_RST]],
          ),
        ),
        dt: fc.integer({ min: 0, max: 30 }),
      }),
    },
    fc.record({ kind: fc.constant('expire' as const), dt: fc.integer({ min: 0, max: 300 }) }),
    fc.record({ kind: fc.constant('remove' as const), pick: fc.nat() }),
  );

  it('agrees with a Map-based model on find, states, size, expiry, eviction and pollAt (property)', () => {
    fc.assert(
      fc.property(
        fc.integer(),
        fc.array(operation, { minLength: 20, maxLength: 150 }),
        (seed, operations) => {
          const table = new ConnectionTable({
            random: new SeededRandom(seed),
            capacity: CAPACITY,
            timeouts: TIMEOUTS,
          });
          const model = new Map<number, ModelFlow>(); // by flow index
          let now = 0;
          let touches = 0;
          let evictions = 0;
          let rejections = 0;
          const expiresAt = (flow: ModelFlow) => flow.last + CLASS_TIMEOUTS[classOf(flow.name)]!;
          const picked = (pick: number) =>
            [...model.keys()].sort((a, b) => a - b)[pick % model.size]!;
          for (const op of operations) {
            if (op.kind === 'add') {
              now += op.dt;
              const live = [...model.values()].some((flow) => flow.index === op.index);
              const protocol = originalOf(op.index).protocol;
              const name =
                protocol === TCP
                  ? 'syn-sent'
                  : protocol === UDP
                    ? 'udp'
                    : protocol === ICMP
                      ? 'icmp'
                      : 'other';
              let admitted = !live;
              if (admitted && model.size === CAPACITY) {
                const newcomer = now + CLASS_TIMEOUTS[classOf(name)]!;
                const candidates = [...model.entries()].filter(
                  ([, flow]) => flow.name !== 'established' || expiresAt(flow) <= newcomer,
                );
                candidates.sort(
                  ([, a], [, b]) =>
                    expiresAt(a) - expiresAt(b) ||
                    classOf(a.name) - classOf(b.name) ||
                    a.touched - b.touched,
                );
                const victim = candidates[0];
                if (victim === undefined) {
                  rejections++;
                  admitted = false;
                } else {
                  model.delete(victim[0]);
                  evictions++;
                }
              }
              const flow = table.add(
                originalOf(op.index),
                replyOf(op.index, op.natted),
                now,
                op.index,
              );
              if (!admitted) assert.equal(flow, -1);
              else {
                assert.ok(flow >= 0 && !model.has(flow));
                model.set(flow, {
                  index: op.index,
                  natted: op.natted,
                  state: protocol === TCP ? TCP_SYN_SENT : undefined,
                  name,
                  last: now,
                  touched: touches++,
                });
              }
            } else if (op.kind === 'seen') {
              now += op.dt;
              if (model.size === 0) continue;
              const flow = picked(op.pick);
              const entry = model.get(flow)!;
              for (const [direction, flags] of op.segments) {
                table.seen(flow * 2 + direction, flags, now);
                if (entry.state !== undefined) {
                  entry.state = nextTcpState(entry.state, direction, flags);
                  entry.name = FLOW_STATE_NAMES[entry.state];
                }
              }
              entry.last = now;
              entry.touched = touches++;
            } else if (op.kind === 'expire') {
              now += op.dt;
              let expired = 0;
              for (const [flow, entry] of model) {
                if (expiresAt(entry) <= now) {
                  model.delete(flow);
                  expired++;
                }
              }
              assert.equal(table.expire(now), expired);
            } else if (model.size > 0) {
              const flow = picked(op.pick);
              model.delete(flow);
              table.remove(flow);
            }
            assert.equal(table.size, model.size);
            assert.equal(table.evictions, evictions);
            assert.equal(table.rejections, rejections);
            const times = [...model.values()].map(expiresAt);
            assert.equal(table.pollAt(), times.length === 0 ? undefined : Math.min(...times));
            for (let index = 0; index < POOL; index++) {
              const owner = [...model.entries()].find(([, flow]) => flow.index === index);
              const expected = (direction: number) =>
                owner === undefined ? -1 : owner[0] * 2 + direction;
              assert.equal(findTuple(table, originalOf(index)), expected(FLOW_ORIGINAL));
              for (const natted of [false, true]) {
                const present = owner !== undefined && owner[1].natted === natted;
                assert.equal(
                  findTuple(table, replyOf(index, natted)),
                  present ? expected(FLOW_REPLY) : -1,
                );
              }
            }
            for (const [flow, entry] of model) {
              assert.equal(table.stateOf(flow), entry.name);
              assert.equal(table.tagOf(flow), entry.index);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
