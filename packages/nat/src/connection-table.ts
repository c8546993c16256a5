// The connection table (conntrack) of a firewall/NAT: every flow it forwards, findable from both
// directions, with its TCP state, its idle timeout and, for source NAT, its endpoint-independent
// port mapping. All storage is typed arrays sized from `capacity` at construction, so the heap
// does not grow with the number of flows and memory accounting is a constant (`memoryBytes`), and
// no operation allocates.
//
// Flow f has two entries in the tuple index: f * 2 (the original direction, as first seen) and
// f * 2 + 1 (the reply direction, the tuple replies carry after translation); `find` returns one.
// Times are the caller's milliseconds and must not go backwards (an earlier time counts as the
// latest seen), which keeps each timeout class's list ordered by last activity.
//
// When the table is full, a new flow evicts the flow nearest to expiring (lastActivity + timeout
// at the tails of the class lists), except that an established TCP flow is only evicted if it
// would expire before the new flow anyway; when there is no such victim the new flow is refused
// (`rejections`). A flood of new flows (half-open TCP, UDP, ICMP) therefore only displaces other
// short-lived flows and established connections keep working, as Linux refuses new connections
// rather than drop "assured" ones when its table is full (nf_conntrack early_drop).

import type { Random } from '@oasis/core';
import { IP_PROTOCOL_ICMP } from '@oasis/wire';
import { FlowHash } from './flow-hash.ts';
import { FlowLru } from './flow-lru.ts';
import {
  FLOW_OTHER,
  FLOW_STATE_NAMES,
  type FlowDirection,
  type FlowState,
  type FlowStateName,
  initialState,
  isTcpState,
  timeoutClassOf,
} from './flow-state.ts';
import { emptyTuple, type FlowTuple } from './flow-tuple.ts';
import {
  CLASS_TCP_ESTABLISHED,
  type NatTimeouts,
  TIMEOUT_CLASS_COUNT,
  timeoutsByClass,
} from './nat-timeouts.ts';
import { PortMappings } from './port-mapping.ts';
import { nextTcpState } from './tcp-tracking.ts';

export interface ConnectionTableOptions {
  /** The most flows at once; 65,536 by default. */
  readonly capacity?: number;
  /** Keys the tuple hash and picks external ports. */
  readonly random: Random;
  readonly timeouts?: Partial<NatTimeouts>;
  /** Ports the router's own sockets use, which source NAT must not hand out. */
  readonly isPortUsedLocally?: (protocol: number, port: number) => boolean;
}

/** The state byte of a slot that holds no flow. */
const FREE = 255;
const MAX_CAPACITY = 1 << 24;

export class ConnectionTable {
  readonly capacity: number;
  readonly memoryBytes: number;
  readonly #timeouts: Float64Array;
  readonly #tuples: FlowHash;
  readonly #lru: FlowLru;
  readonly #mappings: PortMappings;
  readonly #state: Uint8Array;
  readonly #lastActivity: Float64Array;
  readonly #tag: Float64Array;
  readonly #mapping: Int32Array;
  readonly #free: Int32Array;
  #freeCount: number;
  readonly #stateCounts: Uint32Array;
  readonly #reply = emptyTuple();
  #latestMs = Number.NEGATIVE_INFINITY;
  #evictions = 0;
  #rejections = 0;
  #expirations = 0;
  #portExhaustion = 0;

  constructor(options: ConnectionTableOptions) {
    const capacity = options.capacity ?? 65_536;
    if (!(Number.isInteger(capacity) && capacity >= 1 && capacity <= MAX_CAPACITY)) {
      throw new RangeError(`capacity must be an integer in 1..${MAX_CAPACITY}, got ${capacity}`);
    }
    this.capacity = capacity;
    this.#timeouts = timeoutsByClass(options.timeouts);
    const seed = options.random.uint32();
    this.#tuples = new FlowHash(capacity * 2, seed);
    this.#lru = new FlowLru(capacity, TIMEOUT_CLASS_COUNT);
    this.#mappings = new PortMappings({
      capacity,
      seed,
      random: options.random,
      ...(options.isPortUsedLocally === undefined
        ? {}
        : { isPortUsedLocally: options.isPortUsedLocally }),
    });
    this.#state = new Uint8Array(capacity).fill(FREE);
    this.#lastActivity = new Float64Array(capacity);
    this.#tag = new Float64Array(capacity);
    this.#mapping = new Int32Array(capacity).fill(-1);
    this.#free = new Int32Array(capacity);
    for (let i = 0; i < capacity; i++) this.#free[i] = capacity - 1 - i;
    this.#freeCount = capacity;
    this.#stateCounts = new Uint32Array(FLOW_STATE_NAMES.length);
    this.memoryBytes =
      this.#timeouts.byteLength +
      this.#tuples.byteLength +
      this.#lru.byteLength +
      this.#mappings.byteLength +
      this.#state.byteLength +
      this.#lastActivity.byteLength +
      this.#tag.byteLength +
      this.#mapping.byteLength +
      this.#free.byteLength +
      this.#stateCounts.byteLength;
  }

  /** Flows in use. */
  get size(): number {
    return this.capacity - this.#freeCount;
  }

  /** Port mappings in use. */
  get mappings(): number {
    return this.#mappings.size;
  }

  /** Flows evicted to make room for new ones, since construction. */
  get evictions(): number {
    return this.#evictions;
  }

  /** New flows refused because the table was full of established flows that outlive them. */
  get rejections(): number {
    return this.#rejections;
  }

  /** Flows removed by `expire`, since construction. */
  get expirations(): number {
    return this.#expirations;
  }

  /** Source NAT flows refused because no external port was free. */
  get portExhaustion(): number {
    return this.#portExhaustion;
  }

  /** The entry (flow * 2 + direction) whose tuple this is, or -1. */
  find(
    protocol: number,
    source: number,
    sourcePort: number,
    destination: number,
    destinationPort: number,
  ): number {
    return this.#tuples.find(protocol, source, sourcePort, destination, destinationPort);
  }

  /**
   * Adds a flow whose packets carry `original` one way and `reply` the other, evicting when the
   * table is full. Returns the flow index; -1 if either tuple is already in the table (a caller
   * bug guard) or the tuples are the same, or when the table is full and nothing may be evicted.
   */
  add(original: FlowTuple, reply: FlowTuple, nowMs: number, tag: number): number {
    if (this.#contains(original) || this.#contains(reply) || sameTuple(original, reply)) return -1;
    const state = initialState(original.protocol);
    const now = this.#advance(nowMs);
    if (!this.#makeRoom(state, now)) return -1;
    return this.#insert(original, reply, state, now, tag, -1);
  }

  /**
   * As `add`, for source NAT: the reply tuple is (translatedDestination:translatedDestinationPort
   * → natAddress:mappedPort), the mapped port from the endpoint-independent mapping of
   * (original.protocol, original.source, original.sourcePort), created if needed. For ICMP queries
   * the mapped identifier stands for both ports (RFC 5508 §3.1), so translatedDestinationPort is
   * not used. Returns -1 as `add` does, and when no external port is free (`portExhaustion`).
   * Throws RangeError for protocols other than TCP, UDP and ICMP.
   */
  addWithSourceNat(
    original: FlowTuple,
    translatedDestination: number,
    translatedDestinationPort: number,
    natAddress: number,
    nowMs: number,
    tag: number,
  ): number {
    const state = initialState(original.protocol);
    if (state === FLOW_OTHER) {
      throw new RangeError(
        `protocol ${original.protocol} has no ports: source NAT maps TCP, UDP, ICMP`,
      );
    }
    if (this.#contains(original)) return -1;
    const now = this.#advance(nowMs);
    // Room first: the evicted flow may free the very port this mapping needs.
    if (!this.#makeRoom(state, now)) return -1;
    const { protocol, source, sourcePort } = original;
    const mapping = this.#mappings.acquire(protocol, source, sourcePort);
    if (mapping < 0) {
      this.#portExhaustion++;
      return -1;
    }
    const port = this.#mappings.externalPort(mapping);
    const reply = this.#reply;
    reply.protocol = protocol;
    reply.source = translatedDestination >>> 0;
    reply.sourcePort = protocol === IP_PROTOCOL_ICMP ? port : translatedDestinationPort;
    reply.destination = natAddress >>> 0;
    reply.destinationPort = port;
    if (this.#contains(reply)) {
      this.#mappings.release(mapping);
      return -1;
    }
    return this.#insert(original, reply, state, now, tag, mapping);
  }

  /**
   * Reserves an external port for a port forward: no mapping is ever given it. False when a
   * mapping holds it already.
   */
  reservePort(protocol: number, port: number): boolean {
    return this.#mappings.reserve(protocol, port);
  }

  /**
   * A packet of the flow went in `handle`'s direction: the flow moves to the front of its class
   * list and, for TCP, its state follows `tcpFlags`. Packets in either direction refresh the
   * flow (RFC 4787 REQ-6: outbound refresh MUST, inbound MAY). Call it for every packet, the one
   * that created the flow included.
   */
  seen(handle: number, tcpFlags: number, nowMs: number): void {
    const flow = handle >> 1;
    const state = this.#stateAt(flow);
    const next = isTcpState(state)
      ? nextTcpState(state, (handle & 1) as FlowDirection, tcpFlags)
      : state;
    if (next !== state) {
      this.#stateCounts[state]!--;
      this.#stateCounts[next]!++;
      this.#state[flow] = next;
    }
    this.#lastActivity[flow] = this.#advance(nowMs);
    this.#lru.unlink(flow);
    this.#lru.pushFront(timeoutClassOf(next), flow);
  }

  /** Fills `into` with the tuple of `direction` of `flow` as stored. */
  tupleOf(flow: number, direction: FlowDirection, into: FlowTuple): FlowTuple {
    this.#stateAt(flow);
    return this.#tuples.read(flow * 2 + direction, into);
  }

  tagOf(flow: number): number {
    this.#stateAt(flow);
    return this.#tag[flow]!;
  }

  /** One of FLOW_STATE_NAMES: the TCP states, or 'udp', 'icmp', 'other' by protocol. */
  stateOf(flow: number): FlowStateName {
    return FLOW_STATE_NAMES[this.#stateAt(flow)];
  }

  remove(flow: number): void {
    this.#stateAt(flow);
    this.#release(flow);
  }

  /** Removes the flows whose timeout has passed at `nowMs` and returns how many: O(expired). */
  expire(nowMs: number): number {
    const now = this.#advance(nowMs);
    let expired = 0;
    for (let list = 0; list < TIMEOUT_CLASS_COUNT; list++) {
      const timeout = this.#timeouts[list]!;
      for (let flow = this.#lru.tail(list); flow >= 0; flow = this.#lru.tail(list)) {
        if (this.#lastActivity[flow]! + timeout > now) break;
        this.#release(flow);
        expired++;
      }
    }
    this.#expirations += expired;
    return expired;
  }

  /** The earliest time a flow expires, or undefined when the table is empty. */
  pollAt(): number | undefined {
    let earliest = Number.POSITIVE_INFINITY;
    for (let list = 0; list < TIMEOUT_CLASS_COUNT; list++) {
      const flow = this.#lru.tail(list);
      if (flow >= 0)
        earliest = Math.min(earliest, this.#lastActivity[flow]! + this.#timeouts[list]!);
    }
    return earliest === Number.POSITIVE_INFINITY ? undefined : earliest;
  }

  /** Flows by state name, every name present. */
  stateCounts(): Record<FlowStateName, number> {
    const counts = {} as Record<FlowStateName, number>;
    for (const [state, name] of FLOW_STATE_NAMES.entries())
      counts[name] = this.#stateCounts[state]!;
    return counts;
  }

  #contains(tuple: FlowTuple): boolean {
    const { protocol, source, sourcePort, destination, destinationPort } = tuple;
    return this.#tuples.find(protocol, source, sourcePort, destination, destinationPort) >= 0;
  }

  /** The latest time seen, so that lists stay ordered even if a caller's clock steps back. */
  #advance(nowMs: number): number {
    if (nowMs > this.#latestMs) this.#latestMs = nowMs;
    return this.#latestMs;
  }

  /** Ensures a free slot for a flow starting in `state`; false when the flow must be refused. */
  #makeRoom(state: FlowState, now: number): boolean {
    if (this.#freeCount > 0) return true;
    const newcomerExpiresAt = now + this.#timeouts[timeoutClassOf(state)]!;
    let victim = -1;
    let earliest = Number.POSITIVE_INFINITY;
    for (let list = 0; list < TIMEOUT_CLASS_COUNT; list++) {
      const flow = this.#lru.tail(list);
      if (flow < 0) continue;
      const expiresAt = this.#lastActivity[flow]! + this.#timeouts[list]!;
      if (list === CLASS_TCP_ESTABLISHED && expiresAt > newcomerExpiresAt) continue;
      if (expiresAt < earliest) {
        earliest = expiresAt;
        victim = flow;
      }
    }
    if (victim < 0) {
      this.#rejections++;
      return false;
    }
    this.#release(victim);
    this.#evictions++;
    return true;
  }

  #insert(
    original: FlowTuple,
    reply: FlowTuple,
    state: FlowState,
    now: number,
    tag: number,
    mapping: number,
  ): number {
    const flow = this.#free[--this.#freeCount]!;
    this.#tuples.insert(flow * 2, original);
    this.#tuples.insert(flow * 2 + 1, reply);
    this.#state[flow] = state;
    this.#stateCounts[state]!++;
    this.#lastActivity[flow] = now;
    this.#tag[flow] = tag;
    this.#mapping[flow] = mapping;
    this.#lru.pushFront(timeoutClassOf(state), flow);
    return flow;
  }

  #release(flow: number): void {
    this.#tuples.remove(flow * 2);
    this.#tuples.remove(flow * 2 + 1);
    this.#lru.unlink(flow);
    const mapping = this.#mapping[flow]!;
    if (mapping >= 0) this.#mappings.release(mapping);
    this.#stateCounts[this.#state[flow]!]!--;
    this.#state[flow] = FREE;
    this.#free[this.#freeCount++] = flow;
  }

  /** The state of `flow`; throws RangeError when it is not a flow in use (a stale index). */
  #stateAt(flow: number): FlowState {
    const state = this.#state[flow];
    if (state === undefined || state === FREE) {
      throw new RangeError(`flow ${flow} is not in the connection table`);
    }
    return state as FlowState;
  }
}

function sameTuple(a: FlowTuple, b: FlowTuple): boolean {
  return (
    a.protocol === b.protocol &&
    a.source >>> 0 === b.source >>> 0 &&
    a.sourcePort === b.sourcePort &&
    a.destination >>> 0 === b.destination >>> 0 &&
    a.destinationPort === b.destinationPort
  );
}
