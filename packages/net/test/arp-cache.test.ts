import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import { readU32BE, writeU32BE } from '@oasis/core';
import { formatIpv4Address, formatMac } from '@oasis/wire';
import fc from 'fast-check';
import {
  ArpCache,
  type ArpCacheOptions,
  type ArpDropReason,
  type ArpEntrySnapshot,
} from '../src/arp-cache.ts';

const IP_A = 0x0a00_0002; // 10.0.0.2
const IP_B = 0x0a00_0003;
const IP_C = 0x0a00_0004;
const MAC_A = Uint8Array.of(0x02, 0, 0, 0, 0, 0x0a);
const MAC_A2 = Uint8Array.of(0x02, 0, 0, 0, 0, 0xa2);
const MAC_B = Uint8Array.of(0x02, 0, 0, 0, 0, 0x0b);
const CONFIRMED = { create: true, confirmed: true };
const UNCONFIRMED = { create: true, confirmed: false };

/** A 60-byte frame to `ip` with a zero destination MAC; `id` and `ip` are in its payload. */
function frame(id: number, ip = IP_A): Uint8Array {
  const bytes = new Uint8Array(60);
  writeU32BE(bytes, 14, ip);
  writeU32BE(bytes, 18, id);
  return bytes;
}

/** An ArpCache whose sink records what it is told as text, read and cleared by `take`. */
function recording(options: Partial<ArpCacheOptions> = {}) {
  const events: string[] = [];
  const cache = new ArpCache(
    {
      request(targetIp, targetMac) {
        const to = targetMac === undefined ? '' : ` to ${formatMac(targetMac)}`;
        events.push(`request ${formatIpv4Address(targetIp)}${to}`);
      },
      transmit(sent) {
        events.push(`transmit ${readU32BE(sent, 18)} to ${formatMac(sent.subarray(0, 6))}`);
      },
      drop(reason, frames) {
        events.push(`drop ${reason} ${frames}`);
      },
    },
    options,
  );
  return { cache, take: () => events.splice(0) };
}

function entryOf(cache: ArpCache, ip: number): ArpEntrySnapshot | undefined {
  return cache.entries().find((entry) => entry.ip === ip);
}

describe('ArpCache resolution', () => {
  it('sends one broadcast request on the first resolve and queues frames until the reply', () => {
    const { cache, take } = recording();
    assert.equal(cache.resolve(IP_A, frame(1), 0), undefined);
    assert.deepEqual(take(), ['request 10.0.0.2']);
    assert.equal(cache.resolve(IP_A, frame(2), 500), undefined);
    assert.deepEqual(take(), []);
    assert.deepEqual(cache.entries(), [
      { ip: IP_A, mac: undefined, state: 'incomplete', queuedFrames: 2, isRouter: false },
    ]);
    assert.equal(cache.lookup(IP_A, 500), undefined);
    assert.equal(cache.pollAt(), 1000);
  });

  it('transmits the queued frames in order with the MAC written once a reply arrives', () => {
    const { cache, take } = recording();
    for (const id of [1, 2, 3]) cache.resolve(IP_A, frame(id), 0);
    take();
    const mac = MAC_A.slice();
    cache.learn(IP_A, mac, 200, CONFIRMED);
    assert.deepEqual(take(), [
      'transmit 1 to 02:00:00:00:00:0a',
      'transmit 2 to 02:00:00:00:00:0a',
      'transmit 3 to 02:00:00:00:00:0a',
    ]);
    mac.fill(0); // the cache keeps its own copy
    assert.deepEqual(cache.entries(), [
      { ip: IP_A, mac: MAC_A, state: 'reachable', queuedFrames: 0, isRouter: false },
    ]);
    assert.deepEqual(cache.lookup(IP_A, 300), MAC_A);
    assert.deepEqual(cache.resolve(IP_A, frame(4), 300), MAC_A);
    assert.deepEqual(take(), []);
    assert.equal(cache.pollAt(), 200 + 30_000);
  });

  it('retransmits once per retransmitMs, never faster, then fails and drops the queue', () => {
    const { cache, take } = recording();
    cache.resolve(IP_A, frame(1), 0);
    cache.resolve(IP_A, frame(2), 10);
    const log: string[] = [];
    for (let nowMs = 0; nowMs <= 5000; nowMs += 50) {
      cache.poll(nowMs);
      for (const event of take()) log.push(`${nowMs} ${event}`);
    }
    assert.deepEqual(log, [
      '0 request 10.0.0.2',
      '1000 request 10.0.0.2',
      '2000 request 10.0.0.2',
      '3000 drop arp.unresolved 2',
    ]);
    assert.equal(cache.size, 0);
    assert.equal(cache.pollAt(), undefined);
  });

  it('keeps the latest frames when an entry queue is full (RFC 1122 §2.3.2.2)', () => {
    const { cache, take } = recording({ maxQueuedPerEntry: 2 });
    for (const id of [1, 2, 3]) cache.resolve(IP_A, frame(id), 0);
    assert.deepEqual(take(), ['request 10.0.0.2', 'drop arp.queue-full 1']);
    cache.learn(IP_A, MAC_A, 100, CONFIRMED);
    assert.deepEqual(take(), [
      'transmit 2 to 02:00:00:00:00:0a',
      'transmit 3 to 02:00:00:00:00:0a',
    ]);
  });

  it('bounds frames across the table: the entry drops its oldest, or the new frame if it has none', () => {
    const { cache, take } = recording({ maxQueuedFrames: 3 });
    cache.resolve(IP_A, frame(1), 0);
    cache.resolve(IP_A, frame(2), 0);
    cache.resolve(IP_B, frame(3, IP_B), 0);
    take();
    cache.resolve(IP_A, frame(4), 10);
    assert.deepEqual(take(), ['drop arp.queue-full 1']);
    cache.resolve(IP_C, frame(5, IP_C), 20);
    assert.deepEqual(take(), ['drop arp.queue-full 1', 'request 10.0.0.4']);
    assert.deepEqual(
      cache.entries().map((entry) => entry.queuedFrames),
      [2, 1, 0],
    );
    cache.learn(IP_A, MAC_A, 100, CONFIRMED);
    cache.learn(IP_C, MAC_B, 100, CONFIRMED);
    assert.deepEqual(take(), [
      'transmit 2 to 02:00:00:00:00:0a',
      'transmit 4 to 02:00:00:00:00:0a',
    ]);
  });
});

describe('ArpCache table bound', () => {
  it('evicts the least recently used resolved entry when the table is full', () => {
    const { cache, take } = recording({ maxEntries: 2 });
    cache.learn(IP_A, MAC_A, 0, CONFIRMED);
    cache.learn(IP_B, MAC_B, 0, CONFIRMED);
    assert.deepEqual(cache.lookup(IP_A, 10), MAC_A); // B is now the least recently used
    cache.resolve(IP_C, frame(1, IP_C), 20);
    assert.deepEqual(take(), ['request 10.0.0.4']);
    assert.deepEqual(
      cache.entries().map((entry) => entry.ip),
      [IP_A, IP_C],
    );
  });

  it('never evicts a static entry, even one that replaced a learned entry', () => {
    const { cache } = recording({ maxEntries: 2 });
    cache.learn(IP_A, MAC_A, 0, CONFIRMED);
    cache.addStatic(IP_A, MAC_A2);
    cache.learn(IP_B, MAC_B, 10, CONFIRMED);
    cache.resolve(IP_C, frame(1, IP_C), 20);
    assert.deepEqual(
      cache.entries().map((entry) => [entry.ip, entry.state]),
      [
        [IP_A, 'static'],
        [IP_C, 'incomplete'],
      ],
    );
  });

  it('drops the frame as arp.table-full when every entry is incomplete or static', () => {
    const { cache, take } = recording({ maxEntries: 2 });
    cache.addStatic(IP_A, MAC_A);
    cache.resolve(IP_B, frame(1, IP_B), 0);
    take();
    assert.equal(cache.resolve(IP_C, frame(2, IP_C), 10), undefined);
    assert.deepEqual(take(), ['drop arp.table-full 1']);
    cache.learn(IP_C, MAC_B, 10, CONFIRMED);
    assert.equal(cache.size, 2);
    assert.equal(entryOf(cache, IP_C), undefined);
    assert.throws(() => cache.addStatic(IP_C, MAC_B), RangeError);
  });
});

describe('ArpCache validation (RFC 1122 §2.3.2.1)', () => {
  it('ages reachable to stale, probes a stale entry in use by unicast, and confirms it again', () => {
    const { cache, take } = recording();
    cache.resolve(IP_A, frame(1), 0);
    cache.learn(IP_A, MAC_A, 100, CONFIRMED);
    take();
    assert.equal(cache.pollAt(), 30_100);
    cache.poll(30_099);
    assert.equal(entryOf(cache, IP_A)?.state, 'reachable');
    cache.poll(30_100);
    assert.equal(entryOf(cache, IP_A)?.state, 'stale');
    // lookup does not answer for a stale entry, so that its use goes through resolve.
    assert.equal(cache.lookup(IP_A, 30_200), undefined);
    assert.deepEqual(take(), []);
    assert.deepEqual(cache.resolve(IP_A, frame(2), 30_200), MAC_A);
    assert.deepEqual(take(), ['request 10.0.0.2 to 02:00:00:00:00:0a']);
    assert.equal(entryOf(cache, IP_A)?.state, 'probe');
    assert.deepEqual(cache.lookup(IP_A, 30_300), MAC_A);
    cache.poll(31_200);
    assert.deepEqual(take(), ['request 10.0.0.2 to 02:00:00:00:00:0a']);
    cache.learn(IP_A, MAC_A, 31_500, CONFIRMED);
    assert.equal(entryOf(cache, IP_A)?.state, 'reachable');
    assert.equal(cache.pollAt(), 61_500);
  });

  it('treats a reachable entry past reachableMs as stale even before poll runs', () => {
    const { cache, take } = recording();
    cache.learn(IP_A, MAC_A, 0, CONFIRMED);
    assert.equal(cache.lookup(IP_A, 30_000), undefined);
    assert.deepEqual(cache.resolve(IP_A, frame(1), 30_000), MAC_A);
    assert.deepEqual(take(), ['request 10.0.0.2 to 02:00:00:00:00:0a']);
    assert.equal(entryOf(cache, IP_A)?.state, 'probe');
  });

  it('removes a probed entry after maxProbes unanswered unicast requests', () => {
    const { cache, take } = recording();
    cache.learn(IP_A, MAC_A, 0, UNCONFIRMED);
    cache.resolve(IP_A, frame(1), 10);
    for (const nowMs of [1009, 1010, 2010, 3009, 3010]) cache.poll(nowMs);
    assert.deepEqual(take(), [
      'request 10.0.0.2 to 02:00:00:00:00:0a',
      'request 10.0.0.2 to 02:00:00:00:00:0a',
      'request 10.0.0.2 to 02:00:00:00:00:0a',
    ]);
    assert.equal(cache.size, 0);
    assert.equal(cache.resolve(IP_A, frame(2), 3020), undefined);
    assert.deepEqual(take(), ['request 10.0.0.2']);
  });

  it('delays the first probe to one retransmitMs after the last request', () => {
    const { cache, take } = recording();
    cache.resolve(IP_A, frame(1), 0);
    cache.learn(IP_A, MAC_A, 200, { create: false, confirmed: false });
    assert.deepEqual(take(), ['request 10.0.0.2', 'transmit 1 to 02:00:00:00:00:0a']);
    assert.equal(entryOf(cache, IP_A)?.state, 'stale');
    assert.deepEqual(cache.resolve(IP_A, frame(2), 300), MAC_A);
    assert.deepEqual(take(), []);
    assert.equal(cache.pollAt(), 1000);
    cache.poll(1000);
    assert.deepEqual(take(), ['request 10.0.0.2 to 02:00:00:00:00:0a']);
  });

  it('removes a stale entry nobody uses for staleMs', () => {
    const { cache, take } = recording();
    cache.learn(IP_A, MAC_A, 0, UNCONFIRMED);
    assert.equal(cache.pollAt(), 60_000);
    cache.poll(59_999);
    assert.equal(cache.size, 1);
    cache.poll(60_000);
    assert.equal(cache.size, 0);
    // A late poll takes a reachable entry through stale to removal at once.
    cache.learn(IP_B, MAC_B, 0, CONFIRMED);
    cache.poll(90_000);
    assert.equal(cache.size, 0);
    assert.deepEqual(take(), []);
    assert.equal(cache.pollAt(), undefined);
  });
});

describe('ArpCache learning (RFC 826 merge)', () => {
  it('adds an entry only when create is set', () => {
    const { cache } = recording();
    cache.learn(IP_A, MAC_A, 0, { create: false, confirmed: false });
    assert.equal(cache.size, 0);
    cache.learn(IP_A, MAC_A, 0, UNCONFIRMED);
    assert.deepEqual(cache.entries(), [
      { ip: IP_A, mac: MAC_A, state: 'stale', queuedFrames: 0, isRouter: false },
    ]);
  });

  it('takes a changed MAC from a gratuitous packet and leaves the entry stale', () => {
    const { cache, take } = recording();
    cache.learn(IP_A, MAC_A, 0, CONFIRMED);
    cache.learn(IP_A, MAC_A2, 100, { create: false, confirmed: false });
    assert.deepEqual(cache.entries(), [
      { ip: IP_A, mac: MAC_A2, state: 'stale', queuedFrames: 0, isRouter: false },
    ]);
    assert.deepEqual(cache.resolve(IP_A, frame(1), 200), MAC_A2);
    assert.deepEqual(take(), ['request 10.0.0.2 to 02:00:00:00:00:a2']);
  });

  it('keeps the state and deadline when an unconfirmed packet repeats the MAC', () => {
    const { cache } = recording();
    cache.learn(IP_A, MAC_A, 0, CONFIRMED);
    cache.learn(IP_A, MAC_A, 5000, { create: false, confirmed: false });
    assert.equal(entryOf(cache, IP_A)?.state, 'reachable');
    assert.equal(cache.pollAt(), 30_000);
  });

  it('never changes, ages or probes a static entry', () => {
    const { cache, take } = recording();
    cache.addStatic(IP_A, MAC_A);
    cache.learn(IP_A, MAC_B, 0, CONFIRMED);
    cache.poll(1e9);
    assert.equal(cache.pollAt(), undefined);
    assert.deepEqual(cache.lookup(IP_A, 1e9), MAC_A);
    assert.deepEqual(cache.resolve(IP_A, frame(1), 1e9), MAC_A);
    assert.deepEqual(take(), []);
    assert.deepEqual(cache.entries(), [
      { ip: IP_A, mac: MAC_A, state: 'static', queuedFrames: 0, isRouter: false },
    ]);
    assert.equal(cache.delete(IP_A), true);
    assert.equal(cache.size, 0);
  });

  it('resolves an incomplete entry made static, transmitting its queue', () => {
    const { cache, take } = recording();
    cache.resolve(IP_A, frame(1), 0);
    cache.addStatic(IP_A, MAC_A);
    assert.deepEqual(take(), ['request 10.0.0.2', 'transmit 1 to 02:00:00:00:00:0a']);
    assert.equal(cache.pollAt(), undefined);
  });
});

describe('ArpCache misuse', () => {
  it('drops queued frames as arp.unresolved on delete', () => {
    const { cache, take } = recording();
    cache.resolve(IP_A, frame(1), 0);
    cache.resolve(IP_A, frame(2), 0);
    take();
    assert.equal(cache.delete(IP_A), true);
    assert.deepEqual(take(), ['drop arp.unresolved 2']);
    assert.equal(cache.delete(IP_A), false);
    assert.equal(cache.pollAt(), undefined);
  });

  it('rejects bad options, addresses, MACs and frames with RangeError', () => {
    assert.throws(() => recording({ maxEntries: 0 }), RangeError);
    assert.throws(() => recording({ maxProbes: 1.5 }), RangeError);
    assert.throws(() => recording({ retransmitMs: 0 }), RangeError);
    assert.throws(() => recording({ staleMs: Number.NaN }), RangeError);
    const { cache } = recording();
    assert.throws(() => cache.resolve(-1, frame(1), 0), RangeError);
    assert.throws(() => cache.resolve(IP_A, new Uint8Array(6), 0), RangeError);
    assert.throws(() => cache.addStatic(IP_A, new Uint8Array(4)), RangeError);
    assert.throws(() => cache.learn(IP_A, new Uint8Array(8), 0, CONFIRMED), RangeError);
    assert.equal(cache.size, 0);
  });
});

const MODEL_OPTIONS: ArpCacheOptions = {
  maxEntries: 3,
  maxQueuedPerEntry: 2,
  maxQueuedFrames: 3,
  reachableMs: 3000,
  staleMs: 4000,
  retransmitMs: 1000,
  maxRequests: 3,
  maxProbes: 2,
  delayFirstProbeMs: 0,
};
const MODEL_IPS = [IP_A, IP_B, IP_C, 0x0a00_0005, 0x0a00_0006];
const MODEL_MACS = [MAC_A, MAC_A2, MAC_B];

type Op =
  | { readonly kind: 'resolve'; readonly ip: number }
  | { readonly kind: 'lookup'; readonly ip: number }
  | {
      readonly kind: 'learn';
      readonly ip: number;
      readonly mac: number;
      readonly create: boolean;
      readonly confirmed: boolean;
    }
  | { readonly kind: 'delete'; readonly ip: number }
  | { readonly kind: 'addStatic'; readonly ip: number; readonly mac: number }
  /** Time passes without a poll, as when the owner is late. */
  | { readonly kind: 'advance'; readonly ms: number }
  /** A poll somewhere before pollAt(): it must do nothing. */
  | { readonly kind: 'pollEarly'; readonly fraction: number }
  /** A poll at pollAt() (or now, if that is later): it must do something. */
  | { readonly kind: 'pollDue' };

const ipArb = fc.constantFrom(...MODEL_IPS);
const macArb = fc.integer({ min: 0, max: MODEL_MACS.length - 1 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('resolve' as const), ip: ipArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('lookup' as const), ip: ipArb }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('learn' as const),
      ip: ipArb,
      mac: macArb,
      create: fc.boolean(),
      confirmed: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), ip: ipArb }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('addStatic' as const), ip: ipArb, mac: macArb }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('advance' as const),
      ms: fc.integer({ min: 0, max: 5000 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('pollEarly' as const),
      fraction: fc.double({ min: 0, max: 1, noNaN: true }),
    }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('pollDue' as const) }) },
);

type ModelEvent =
  | { readonly kind: 'request'; readonly ip: number; readonly mac: Uint8Array | undefined }
  | {
      readonly kind: 'transmit';
      readonly id: number;
      readonly ip: number;
      readonly mac: Uint8Array;
    }
  | { readonly kind: 'drop'; readonly reason: ArpDropReason; readonly frames: number };

/** Drives a cache with `ops`, checking after each step everything the cache promises. */
function runModel(ops: readonly Op[]): void {
  const options = MODEL_OPTIONS;
  const events: ModelEvent[] = [];
  const cache = new ArpCache(
    {
      request: (ip, mac) => events.push({ kind: 'request', ip, mac: mac?.slice() }),
      transmit: (sent) =>
        events.push({
          kind: 'transmit',
          id: readU32BE(sent, 18),
          ip: readU32BE(sent, 14),
          mac: sent.slice(0, 6),
        }),
      drop: (reason, frames) => events.push({ kind: 'drop', reason, frames }),
    },
    options,
  );
  let nowMs = 0;
  let nextId = 1;
  let framesTaken = 0;
  let framesDropped = 0;
  const transmitted = new Set<number>();
  const lastRequestMs = new Map<number, number>();
  const statics = new Map<number, Uint8Array>();

  for (const op of ops) {
    const before = cache.entries();
    const dueMs = cache.pollAt();
    let polled = false;
    switch (op.kind) {
      case 'resolve': {
        const mac = cache.resolve(op.ip, frame(nextId++, op.ip), nowMs);
        if (mac === undefined) framesTaken++;
        else assert.deepEqual(mac, entryOf(cache, op.ip)?.mac);
        break;
      }
      case 'lookup': {
        const mac = cache.lookup(op.ip, nowMs);
        const entry = entryOf(cache, op.ip);
        if (mac !== undefined) {
          assert.deepEqual(mac, entry?.mac);
          assert.ok(
            entry?.state === 'reachable' || entry?.state === 'probe' || entry?.state === 'static',
          );
        }
        break;
      }
      case 'learn':
        cache.learn(op.ip, MODEL_MACS[op.mac]!, nowMs, op);
        break;
      case 'delete':
        assert.equal(
          cache.delete(op.ip),
          before.some((entry) => entry.ip === op.ip),
        );
        statics.delete(op.ip);
        break;
      case 'addStatic':
        try {
          cache.addStatic(op.ip, MODEL_MACS[op.mac]!);
          statics.set(op.ip, MODEL_MACS[op.mac]!);
        } catch (error) {
          assert.ok(error instanceof RangeError);
          assert.equal(before.length, options.maxEntries);
          assert.ok(
            before.every(
              (e) => e.ip !== op.ip && (e.state === 'static' || e.state === 'incomplete'),
            ),
          );
        }
        break;
      case 'advance':
        nowMs += op.ms;
        break;
      case 'pollEarly': {
        if (dueMs !== undefined && dueMs <= nowMs) break;
        const untilMs = dueMs === undefined ? 100_000 : dueMs - 1 - nowMs;
        nowMs += Math.floor(op.fraction * untilMs);
        cache.poll(nowMs);
        polled = true;
        assert.deepEqual(events, []);
        assert.deepEqual(cache.entries(), before);
        break;
      }
      case 'pollDue':
        if (dueMs === undefined) break;
        nowMs = Math.max(nowMs, dueMs);
        cache.poll(nowMs);
        polled = true;
        assert.ok(
          events.length > 0 || !isDeepStrictEqual(cache.entries(), before),
          'poll at pollAt did nothing',
        );
        break;
    }
    if (polled) {
      const nextMs = cache.pollAt();
      assert.ok(nextMs === undefined || nextMs > nowMs, 'work left after poll');
    }

    const after = cache.entries();
    for (const event of events.splice(0)) {
      switch (event.kind) {
        case 'request': {
          const entry = after.find((e) => e.ip === event.ip);
          if (event.mac === undefined) assert.equal(entry?.state, 'incomplete');
          else assert.deepEqual([entry?.state, entry?.mac], ['probe', event.mac]);
          const previousMs = lastRequestMs.get(event.ip);
          assert.ok(previousMs === undefined || nowMs - previousMs >= options.retransmitMs);
          lastRequestMs.set(event.ip, nowMs);
          break;
        }
        case 'transmit':
          assert.ok(event.id < nextId && !transmitted.has(event.id), 'frame transmitted twice');
          transmitted.add(event.id);
          assert.deepEqual(event.mac, after.find((e) => e.ip === event.ip)?.mac);
          break;
        case 'drop':
          assert.ok(event.frames >= 1);
          framesDropped += event.frames;
          break;
      }
    }
    // The rate limit holds per entry: one removed and made again starts afresh.
    for (const ip of lastRequestMs.keys()) {
      if (!after.some((e) => e.ip === ip)) lastRequestMs.delete(ip);
    }

    assert.ok(after.length <= options.maxEntries);
    assert.equal(cache.size, after.length);
    let queued = 0;
    for (const entry of after) {
      assert.ok(entry.queuedFrames <= options.maxQueuedPerEntry);
      assert.ok(entry.queuedFrames === 0 || entry.state === 'incomplete');
      assert.equal(entry.mac === undefined, entry.state === 'incomplete');
      queued += entry.queuedFrames;
    }
    assert.ok(queued <= options.maxQueuedFrames);
    for (const [ip, mac] of statics) {
      assert.deepEqual(entryOf(cache, ip), {
        ip,
        mac,
        state: 'static',
        queuedFrames: 0,
        isRouter: false,
      });
    }
    // Every frame the cache took is queued, transmitted or dropped, exactly once.
    assert.equal(framesTaken, queued + transmitted.size + framesDropped);
  }
}

describe('ArpCache model', () => {
  it('keeps its bounds, accounts for every frame and reports exactly when poll has work', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 80 }), (ops) => runModel(ops)),
      { numRuns: 500 },
    );
  });
});
