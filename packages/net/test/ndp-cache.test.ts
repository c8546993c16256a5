import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import { bytesEqual, readU32BE, writeU32BE } from '@oasis/core';
import {
  ETHERTYPE_IPV6,
  formatIpv6Address,
  formatMac,
  parseIpv6Address,
  writeEthernetHeader,
} from '@oasis/wire';
import fc from 'fast-check';
import {
  createNdpCache,
  DEFAULT_NDP_CACHE_OPTIONS,
  NDP_LEARN_NEIGHBOR_SOLICITATION,
  NDP_LEARN_REDIRECT_ON_LINK,
  NDP_LEARN_REDIRECT_TO_ROUTER,
  NDP_LEARN_ROUTER_ADVERTISEMENT,
  NDP_LEARN_ROUTER_SOLICITATION,
  type NdpCache,
  type NdpCacheOptions,
  type NdpCacheSink,
  type NdpDropReason,
  type NdpEntrySnapshot,
} from '../src/ndp-cache.ts';
import type { NeighbourLearnOptions, NeighbourState } from '../src/neighbour-cache.ts';

function ip6(text: string): Uint8Array {
  const parsed = parseIpv6Address(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
}

const IP_A = ip6('fe80::2');
const IP_B = ip6('fe80::3');
const IP_C = ip6('2001:db8::4');
const MAC_A = Uint8Array.of(0x02, 0, 0, 0, 0, 0x0a);
const MAC_A2 = Uint8Array.of(0x02, 0, 0, 0, 0, 0xa2);
const MAC_B = Uint8Array.of(0x02, 0, 0, 0, 0, 0x0b);
const OUR_MAC = Uint8Array.of(0x02, 0, 0, 0, 0, 0x01);
const ZERO_MAC = new Uint8Array(6);

/** A Neighbor Advertisement's flags as `learn` takes them (RFC 4861 §7.2.5). */
function advert(solicited: boolean, override: boolean, router = false): NeighbourLearnOptions {
  return { create: false, confirmed: solicited, override, isRouter: router };
}

/** An IPv6 frame with a zero destination MAC; `id` is in its payload. */
function frame(id: number): Uint8Array {
  const bytes = new Uint8Array(14 + 40);
  writeEthernetHeader(bytes, ZERO_MAC, OUR_MAC, ETHERTYPE_IPV6);
  writeU32BE(bytes, 14 + 40 - 4, id);
  return bytes;
}

function frameId(sent: Uint8Array): number {
  return readU32BE(sent, sent.length - 4);
}

/** An NDP cache whose sink records what it is told as text, read and cleared by `take`. */
function recording(options: Partial<NdpCacheOptions> = {}) {
  const events: string[] = [];
  const sink: NdpCacheSink = {
    request(targetIp, targetMac) {
      const to = targetMac === undefined ? ' (multicast)' : ` to ${formatMac(targetMac)}`;
      events.push(`solicit ${formatIpv6Address(targetIp)}${to}`);
    },
    transmit(sent) {
      events.push(`transmit ${frameId(sent)} to ${formatMac(sent.subarray(0, 6))}`);
    },
    drop(reason, frames) {
      events.push(`drop ${reason} ${frames}`);
    },
    unresolved(frames) {
      events.push(`unresolved ${frames.map(frameId).join(',')}`);
    },
    routerLost(ip) {
      events.push(`router-lost ${formatIpv6Address(ip)}`);
    },
  };
  const cache = createNdpCache(sink, options);
  return { cache, take: () => events.splice(0) };
}

function entryOf(cache: NdpCache, ip: Uint8Array): NdpEntrySnapshot | undefined {
  return cache.entries().find((entry) => bytesEqual(entry.ip, ip));
}

/** State and MAC of the entry for `ip`, as text. */
function show(cache: NdpCache, ip: Uint8Array): string {
  const entry = entryOf(cache, ip);
  if (entry === undefined) return 'none';
  const mac = entry.mac === undefined ? '' : ` ${formatMac(entry.mac)}`;
  return `${entry.state}${mac}${entry.isRouter ? ' router' : ''}`;
}

/** Brings IP_A's entry (MAC_A) into `state` at time 10_000 and clears the events. */
function entryIn(state: Exclude<NeighbourState, 'incomplete' | 'static'>) {
  const recorder = recording();
  const { cache, take } = recorder;
  switch (state) {
    case 'reachable':
      cache.resolve(IP_A, frame(1), 9_000);
      cache.learn(IP_A, MAC_A, 10_000, advert(true, true));
      break;
    case 'stale':
      cache.learn(IP_A, MAC_A, 10_000, NDP_LEARN_NEIGHBOR_SOLICITATION);
      break;
    case 'delay':
      cache.learn(IP_A, MAC_A, 0, NDP_LEARN_NEIGHBOR_SOLICITATION);
      cache.resolve(IP_A, frame(1), 10_000);
      break;
    case 'probe':
      cache.learn(IP_A, MAC_A, 0, NDP_LEARN_NEIGHBOR_SOLICITATION);
      cache.resolve(IP_A, frame(1), 5_000);
      cache.poll(10_000);
      break;
  }
  assert.equal(show(cache, IP_A), `${state} 02:00:00:00:00:0a`);
  take();
  return recorder;
}

describe('NdpCache defaults (RFC 4861 §10)', () => {
  it('uses the protocol constants', () => {
    assert.deepEqual(DEFAULT_NDP_CACHE_OPTIONS, {
      maxEntries: 512,
      maxQueuedPerEntry: 16,
      maxQueuedFrames: 256,
      reachableMs: 30_000, // REACHABLE_TIME
      staleMs: 60_000,
      retransmitMs: 1_000, // RETRANS_TIMER
      maxRequests: 3, // MAX_MULTICAST_SOLICIT
      maxProbes: 3, // MAX_UNICAST_SOLICIT
      delayFirstProbeMs: 5_000, // DELAY_FIRST_PROBE_TIME
    });
  });
});

describe('NdpCache INCOMPLETE (RFC 4861 §7.2.2, Appendix C)', () => {
  it('creates an entry on a packet to send, solicits by multicast and queues', () => {
    const { cache, take } = recording();
    assert.equal(cache.resolve(IP_A, frame(1), 0), undefined);
    assert.equal(cache.resolve(IP_A, frame(2), 300), undefined);
    assert.deepEqual(take(), ['solicit fe80::2 (multicast)']);
    assert.equal(show(cache, IP_A), 'incomplete');
    assert.equal(entryOf(cache, IP_A)?.queuedFrames, 2);
    assert.equal(cache.lookup(IP_A, 300), undefined);
    assert.equal(cache.state(IP_A), 'incomplete');
    assert.equal(cache.pollAt(), 1000);
  });

  it('retransmits MAX_MULTICAST_SOLICIT times RetransTimer apart, then reports and drops the queue', () => {
    const { cache, take } = recording();
    cache.resolve(IP_A, frame(1), 0);
    cache.resolve(IP_A, frame(2), 10);
    const log: string[] = [];
    for (let nowMs = 0; nowMs <= 5000; nowMs += 50) {
      cache.poll(nowMs);
      for (const event of take()) log.push(`${nowMs} ${event}`);
    }
    assert.deepEqual(log, [
      '0 solicit fe80::2 (multicast)',
      '1000 solicit fe80::2 (multicast)',
      '2000 solicit fe80::2 (multicast)',
      '3000 unresolved 1,2',
      '3000 drop ndp.unresolved 2',
    ]);
    assert.equal(cache.size, 0);
    assert.equal(cache.pollAt(), undefined);
  });

  it('gives the unresolved frames after forgetting the entry, so the owner may send at once', () => {
    const failed: Uint8Array[] = [];
    let cache: NdpCache | undefined;
    const events: string[] = [];
    cache = createNdpCache({
      request: (ip, mac) => events.push(`solicit ${formatIpv6Address(ip)} ${mac === undefined}`),
      transmit: () => events.push('transmit'),
      drop: (reason, frames) => events.push(`drop ${reason} ${frames}`),
      unresolved(frames) {
        assert.equal(cache?.state(IP_A), undefined);
        failed.push(...frames);
        // An ICMPv6 error back to the sender, itself to be resolved (RFC 4861 §7.2.2).
        cache?.resolve(IP_B, frame(99), 3000);
      },
    });
    const queued = [frame(1), frame(2)];
    for (const f of queued) cache.resolve(IP_A, f, 0);
    cache.poll(1000);
    cache.poll(2000);
    events.splice(0);
    cache.poll(3000);
    assert.deepEqual(failed, queued);
    assert.equal(failed[0], queued[0]); // the very frames, not copies
    assert.deepEqual(events, ['solicit fe80::3 true', 'drop ndp.unresolved 2']);
    assert.equal(cache.state(IP_B), 'incomplete');
  });

  it('does not report frames dropped by delete', () => {
    const { cache, take } = recording();
    cache.resolve(IP_A, frame(1), 0);
    take();
    assert.equal(cache.delete(IP_A), true);
    assert.deepEqual(take(), ['drop ndp.unresolved 1']);
  });

  for (const override of [false, true]) {
    it(`NA Solicited=1 Override=${override}: records the address, sends the queue, REACHABLE`, () => {
      const { cache, take } = recording();
      cache.resolve(IP_A, frame(1), 0);
      cache.resolve(IP_A, frame(2), 0);
      take();
      cache.learn(IP_A, MAC_A, 200, advert(true, override, true));
      assert.deepEqual(take(), [
        'transmit 1 to 02:00:00:00:00:0a',
        'transmit 2 to 02:00:00:00:00:0a',
      ]);
      assert.equal(show(cache, IP_A), 'reachable 02:00:00:00:00:0a router');
      assert.equal(cache.pollAt(), 200 + 30_000);
    });

    it(`NA Solicited=0 Override=${override}: records the address, sends the queue, STALE`, () => {
      const { cache, take } = recording();
      cache.resolve(IP_A, frame(1), 0);
      take();
      cache.learn(IP_A, MAC_A, 200, advert(false, override));
      assert.deepEqual(take(), ['transmit 1 to 02:00:00:00:00:0a']);
      assert.equal(show(cache, IP_A), 'stale 02:00:00:00:00:0a');
    });
  }

  it('ignores an NA without a target link-layer address', () => {
    const { cache, take } = recording();
    cache.resolve(IP_A, frame(1), 0);
    take();
    cache.learn(IP_A, undefined, 200, advert(true, true, true));
    assert.deepEqual(take(), []);
    assert.equal(show(cache, IP_A), 'incomplete');
    assert.equal(entryOf(cache, IP_A)?.queuedFrames, 1);
  });

  const unsolicited = [
    ['NS', NDP_LEARN_NEIGHBOR_SOLICITATION, ''],
    ['RS', NDP_LEARN_ROUTER_SOLICITATION, ''],
    ['RA', NDP_LEARN_ROUTER_ADVERTISEMENT, ' router'],
    ['Redirect to a router', NDP_LEARN_REDIRECT_TO_ROUTER, ' router'],
    ['Redirect on-link', NDP_LEARN_REDIRECT_ON_LINK, ''],
  ] as const;
  for (const [name, how, router] of unsolicited) {
    it(`${name} with a link-layer address: records it, sends the queue, STALE`, () => {
      const { cache, take } = recording();
      cache.resolve(IP_A, frame(1), 0);
      take();
      cache.learn(IP_A, MAC_A, 200, how);
      assert.deepEqual(take(), ['transmit 1 to 02:00:00:00:00:0a']);
      assert.equal(show(cache, IP_A), `stale 02:00:00:00:00:0a${router}`);
    });

    it(`${name} with a link-layer address and no entry: creates one STALE`, () => {
      const { cache, take } = recording();
      cache.learn(IP_A, MAC_A, 0, how);
      assert.equal(show(cache, IP_A), `stale 02:00:00:00:00:0a${router}`);
      assert.deepEqual(take(), []);
    });
  }

  it('creates no entry from an NA, nor from an RA without a link-layer address', () => {
    const { cache } = recording();
    cache.learn(IP_A, MAC_A, 0, advert(true, true, true));
    cache.learn(IP_A, undefined, 0, NDP_LEARN_ROUTER_ADVERTISEMENT);
    assert.equal(cache.size, 0);
  });
});

describe('NdpCache NA on an entry not INCOMPLETE (RFC 4861 §7.2.5, Appendix C)', () => {
  // [Solicited, Override, link-layer address, from REACHABLE, from STALE/DELAY/PROBE]; 'same'
  // keeps the state (and its timer).
  const rows = [
    [true, false, 'same', 'reachable a', 'reachable a'],
    [true, false, 'other', 'stale a', 'same'],
    [true, true, 'same', 'reachable a', 'reachable a'],
    [true, true, 'other', 'reachable a2', 'reachable a2'],
    [false, false, 'same', 'same', 'same'],
    [false, false, 'other', 'stale a', 'same'],
    [false, true, 'same', 'same', 'same'],
    [false, true, 'other', 'stale a2', 'stale a2'],
    [true, false, 'none', 'reachable a', 'reachable a'],
    [true, true, 'none', 'reachable a', 'reachable a'],
    [false, false, 'none', 'same', 'same'],
    [false, true, 'none', 'same', 'same'],
  ] as const;
  const macs = { same: MAC_A, other: MAC_A2, none: undefined };
  const names: Record<string, string> = { a: '02:00:00:00:00:0a', a2: '02:00:00:00:00:a2' };
  for (const [solicited, override, address, fromReachable, fromOther] of rows) {
    for (const state of ['reachable', 'stale', 'delay', 'probe'] as const) {
      const expected = state === 'reachable' ? fromReachable : fromOther;
      it(`${state} + NA S=${+solicited} O=${+override} ${address} address -> ${expected}`, () => {
        const { cache, take } = entryIn(state);
        const before = show(cache, IP_A);
        const pollAtBefore = cache.pollAt();
        cache.learn(IP_A, macs[address], 10_500, advert(solicited, override));
        if (expected === 'same') {
          assert.equal(show(cache, IP_A), before);
          assert.equal(cache.pollAt(), pollAtBefore);
        } else {
          const [newState, mac] = expected.split(' ') as [string, string];
          assert.equal(show(cache, IP_A), `${newState} ${names[mac]}`);
          const dueMs = newState === 'reachable' ? 10_500 + 30_000 : 10_500 + 60_000;
          assert.equal(cache.pollAt(), dueMs);
        }
        assert.deepEqual(take(), []);
      });
    }
  }

  it('updates IsRouter (case II only) and reports a router that turned host', () => {
    const { cache, take } = recording();
    cache.learn(IP_A, MAC_A, 0, NDP_LEARN_ROUTER_ADVERTISEMENT);
    assert.equal(show(cache, IP_A), 'stale 02:00:00:00:00:0a router');
    // Case I: Override clear, another address: ignored, IsRouter included.
    cache.learn(IP_A, MAC_A2, 10, advert(true, false, false));
    assert.equal(show(cache, IP_A), 'stale 02:00:00:00:00:0a router');
    assert.deepEqual(take(), []);
    cache.learn(IP_A, undefined, 20, advert(false, true, false));
    assert.deepEqual(take(), ['router-lost fe80::2']);
    assert.equal(show(cache, IP_A), 'stale 02:00:00:00:00:0a');
    cache.learn(IP_A, MAC_A, 30, advert(false, true, false));
    assert.deepEqual(take(), []);
    cache.learn(IP_A, MAC_A, 40, advert(false, false, true));
    assert.equal(show(cache, IP_A), 'stale 02:00:00:00:00:0a router');
  });
});

describe('NdpCache NS, RS, RA, Redirect on an existing entry (RFC 4861 §6.2.6, §6.3.4, §7.2.3, §8.3)', () => {
  it('takes a different address and goes STALE; the same address changes nothing', () => {
    const { cache, take } = entryIn('reachable');
    cache.learn(IP_A, MAC_A, 10_100, NDP_LEARN_NEIGHBOR_SOLICITATION);
    assert.equal(show(cache, IP_A), 'reachable 02:00:00:00:00:0a');
    assert.equal(cache.pollAt(), 40_000);
    cache.learn(IP_A, MAC_A2, 10_200, NDP_LEARN_NEIGHBOR_SOLICITATION);
    assert.equal(show(cache, IP_A), 'stale 02:00:00:00:00:a2');
    assert.deepEqual(take(), []);
  });

  for (const state of ['delay', 'probe'] as const) {
    it(`moves ${state} to STALE with a different address`, () => {
      const { cache } = entryIn(state);
      cache.learn(IP_A, MAC_B, 10_100, NDP_LEARN_REDIRECT_ON_LINK);
      assert.equal(show(cache, IP_A), 'stale 02:00:00:00:00:0b');
      assert.equal(cache.pollAt(), 10_100 + 60_000);
    });
  }

  it('leaves IsRouter to NS, sets it for RA, clears it for RS', () => {
    const { cache, take } = recording();
    cache.learn(IP_A, MAC_A, 0, NDP_LEARN_ROUTER_ADVERTISEMENT);
    cache.learn(IP_A, MAC_A, 10, NDP_LEARN_NEIGHBOR_SOLICITATION);
    assert.equal(show(cache, IP_A), 'stale 02:00:00:00:00:0a router');
    cache.learn(IP_A, MAC_A, 20, NDP_LEARN_ROUTER_SOLICITATION);
    assert.deepEqual(take(), ['router-lost fe80::2']);
    // An RA without a Source Link-Layer Address option still marks the entry (§6.3.4).
    cache.learn(IP_A, undefined, 30, NDP_LEARN_ROUTER_ADVERTISEMENT);
    assert.equal(show(cache, IP_A), 'stale 02:00:00:00:00:0a router');
    assert.deepEqual(take(), []);
  });
});

describe('NdpCache NUD: REACHABLE, STALE, DELAY, PROBE (RFC 4861 §7.3.3)', () => {
  it('ages REACHABLE to STALE after ReachableTime', () => {
    const { cache } = entryIn('reachable');
    assert.equal(cache.pollAt(), 40_000);
    cache.poll(39_999);
    assert.equal(cache.state(IP_A), 'reachable');
    assert.equal(cache.lookup(IP_A, 39_999)?.[5], 0x0a);
    cache.poll(40_000);
    assert.equal(cache.state(IP_A), 'stale');
  });

  it('moves STALE to DELAY on a packet to send, with no solicitation yet', () => {
    const { cache, take } = entryIn('stale');
    assert.equal(cache.lookup(IP_A, 10_100), undefined); // stale: go through resolve
    const sending = frame(7);
    assert.deepEqual(cache.resolve(IP_A, sending, 10_100), MAC_A);
    assert.equal(show(cache, IP_A), 'delay 02:00:00:00:00:0a');
    assert.deepEqual(take(), []);
    assert.equal(cache.pollAt(), 15_100);
    // DELAY uses the cached address without further ado.
    assert.deepEqual(cache.lookup(IP_A, 10_200), MAC_A);
    assert.deepEqual(cache.resolve(IP_A, frame(8), 10_300), MAC_A);
    assert.equal(cache.pollAt(), 15_100);
  });

  it('treats a REACHABLE entry past ReachableTime as STALE before poll runs', () => {
    const { cache, take } = entryIn('reachable');
    assert.equal(cache.lookup(IP_A, 40_000), undefined);
    assert.deepEqual(cache.resolve(IP_A, frame(2), 40_000), MAC_A);
    assert.equal(cache.state(IP_A), 'delay');
    assert.deepEqual(take(), []);
  });

  it('moves DELAY to REACHABLE on a solicited NA, without probing', () => {
    const { cache, take } = entryIn('delay');
    cache.learn(IP_A, MAC_A, 12_000, advert(true, false));
    assert.equal(cache.state(IP_A), 'reachable');
    cache.poll(15_000);
    assert.deepEqual(take(), []);
    assert.equal(cache.pollAt(), 42_000);
  });

  it('probes after DELAY_FIRST_PROBE_TIME: MAX_UNICAST_SOLICIT unicast NS RetransTimer apart, then deletes', () => {
    const { cache, take } = entryIn('delay');
    const log: string[] = [];
    for (let nowMs = 10_000; nowMs <= 20_000; nowMs += 100) {
      cache.poll(nowMs);
      for (const event of take()) log.push(`${nowMs} ${event}`);
      if (nowMs === 15_000) assert.equal(cache.state(IP_A), 'probe');
    }
    assert.deepEqual(log, [
      '15000 solicit fe80::2 to 02:00:00:00:00:0a',
      '16000 solicit fe80::2 to 02:00:00:00:00:0a',
      '17000 solicit fe80::2 to 02:00:00:00:00:0a',
    ]);
    assert.equal(cache.state(IP_A), undefined);
  });

  it('uses the address while probing and moves PROBE to REACHABLE on a solicited NA', () => {
    const { cache, take } = entryIn('probe');
    assert.deepEqual(cache.lookup(IP_A, 10_100), MAC_A);
    assert.deepEqual(cache.resolve(IP_A, frame(2), 10_100), MAC_A);
    cache.learn(IP_A, MAC_A, 10_500, advert(true, false));
    assert.equal(cache.state(IP_A), 'reachable');
    cache.poll(11_000);
    assert.deepEqual(take(), []);
  });

  it('moves STALE, DELAY and PROBE to REACHABLE on an upper-layer confirmation (§7.3.1)', () => {
    for (const state of ['reachable', 'stale', 'delay', 'probe'] as const) {
      const { cache, take } = entryIn(state);
      cache.confirm(IP_A, 10_700);
      assert.equal(cache.state(IP_A), 'reachable', state);
      assert.equal(cache.pollAt(), 40_700, state);
      assert.deepEqual(take(), []);
    }
    const { cache } = recording();
    cache.resolve(IP_A, frame(1), 0);
    cache.confirm(IP_A, 10);
    cache.confirm(IP_B, 10);
    assert.equal(cache.state(IP_A), 'incomplete');
    assert.equal(cache.state(IP_B), undefined);
  });

  it('removes a STALE entry nobody uses after staleMs', () => {
    const { cache } = entryIn('stale');
    cache.poll(69_999);
    assert.equal(cache.size, 1);
    cache.poll(70_000);
    assert.equal(cache.size, 0);
  });
});

describe('NdpCache timers set at run time (RFC 4861 §6.3.2, §6.3.4)', () => {
  it('uses a new ReachableTime and RetransTimer from the next time it sets a deadline', () => {
    const { cache, take } = recording();
    cache.resolve(IP_A, frame(1), 0);
    cache.setTimes({ retransmitMs: 400, reachableMs: 17_000 });
    assert.equal(cache.pollAt(), 1000); // set before the change
    cache.poll(1000);
    assert.equal(cache.pollAt(), 1400);
    cache.learn(IP_A, MAC_A, 1100, advert(true, true));
    assert.equal(cache.pollAt(), 18_100);
    take();
    cache.setTimes({ reachableMs: 20_000 });
    cache.confirm(IP_A, 2000);
    assert.equal(cache.pollAt(), 22_000);
  });

  it('rejects a duration that is not > 0, changing nothing', () => {
    const { cache } = recording();
    assert.throws(() => cache.setTimes({ reachableMs: 10, retransmitMs: 0 }), RangeError);
    assert.throws(() => cache.setTimes({ reachableMs: Number.NaN }), RangeError);
    cache.learn(IP_A, MAC_A, 0, advert(false, false));
    cache.learn(IP_A, MAC_A, 0, NDP_LEARN_NEIGHBOR_SOLICITATION);
    cache.confirm(IP_A, 0);
    assert.equal(cache.pollAt(), 30_000);
  });
});

describe('NdpCache bounds', () => {
  it('keeps the latest 16 frames per address (RFC 4861 §7.2.2)', () => {
    const { cache, take } = recording();
    for (let id = 1; id <= 18; id++) cache.resolve(IP_A, frame(id), 0);
    assert.deepEqual(take(), [
      'solicit fe80::2 (multicast)',
      'drop ndp.queue-full 1',
      'drop ndp.queue-full 1',
    ]);
    cache.learn(IP_A, MAC_A, 10, advert(true, false));
    const sent = take();
    assert.equal(sent.length, 16);
    assert.equal(sent[0], 'transmit 3 to 02:00:00:00:00:0a');
    assert.equal(sent[15], 'transmit 18 to 02:00:00:00:00:0a');
  });

  it('bounds frames across the table: the entry drops its oldest, or the new frame if it has none', () => {
    const { cache, take } = recording({ maxQueuedFrames: 2 });
    cache.resolve(IP_A, frame(1), 0);
    cache.resolve(IP_B, frame(2), 0);
    take();
    cache.resolve(IP_A, frame(3), 0);
    cache.resolve(IP_C, frame(4), 0);
    assert.deepEqual(take(), [
      'drop ndp.queue-full 1',
      'drop ndp.queue-full 1',
      'solicit 2001:db8::4 (multicast)',
    ]);
    assert.deepEqual(
      cache.entries().map((entry) => entry.queuedFrames),
      [1, 1, 0],
    );
    cache.learn(IP_A, MAC_A, 10, advert(true, false));
    assert.deepEqual(take(), ['transmit 3 to 02:00:00:00:00:0a']);
  });

  it('evicts the least recently used resolved entry, and drops as ndp.table-full when it cannot', () => {
    const { cache, take } = recording({ maxEntries: 2 });
    cache.learn(IP_A, MAC_A, 0, NDP_LEARN_NEIGHBOR_SOLICITATION);
    cache.learn(IP_B, MAC_B, 0, NDP_LEARN_NEIGHBOR_SOLICITATION);
    cache.resolve(IP_A, frame(1), 10); // A is now the most recently used
    cache.resolve(IP_C, frame(2), 20);
    assert.deepEqual(
      cache.entries().map((entry) => formatIpv6Address(entry.ip)),
      ['fe80::2', '2001:db8::4'],
    );
    cache.addStatic(IP_A, MAC_A2);
    take();
    assert.equal(cache.resolve(IP_B, frame(3), 30), undefined);
    assert.deepEqual(take(), ['drop ndp.table-full 1']);
    assert.throws(() => cache.addStatic(IP_B, MAC_B), /no room for a static NDP entry for fe80::3/);
  });
});

describe('NdpCache addresses', () => {
  it('finds entries by value and keeps its own copy of each address', () => {
    const { cache } = recording();
    const address = IP_A.slice();
    cache.resolve(address, frame(1), 0);
    address.fill(0xff); // the caller reuses its buffer
    assert.equal(cache.state(IP_A), 'incomplete');
    assert.equal(cache.state(address), undefined);
    const [snapshot] = cache.entries();
    snapshot!.ip.fill(0);
    assert.equal(cache.state(IP_A), 'incomplete');
  });

  it('keeps addresses whose hashes collide apart', () => {
    // The two differ only in the order of their first two 32-bit words.
    const first = ip6('fe80:0:0:1::5');
    const second = ip6('0:1:fe80:0::5');
    const { cache } = recording();
    cache.learn(first, MAC_A, 0, NDP_LEARN_NEIGHBOR_SOLICITATION);
    cache.learn(second, MAC_B, 0, NDP_LEARN_NEIGHBOR_SOLICITATION);
    const third = ip6('0:0:fe80:1::5');
    cache.learn(third, MAC_A2, 0, NDP_LEARN_NEIGHBOR_SOLICITATION);
    assert.deepEqual(cache.resolve(first, frame(1), 10), MAC_A);
    assert.deepEqual(cache.resolve(second, frame(2), 10), MAC_B);
    assert.equal(cache.delete(second), true);
    assert.deepEqual(cache.lookup(first, 20), MAC_A);
    assert.equal(cache.state(second), undefined);
    assert.equal(cache.state(third), 'stale');
    assert.equal(cache.delete(first), true);
    assert.equal(cache.state(third), 'stale');
    assert.equal(cache.size, 1);
  });

  it('rejects bad options, addresses, MACs and frames with RangeError', () => {
    assert.throws(() => recording({ delayFirstProbeMs: -1 }), /delayFirstProbeMs/);
    assert.throws(() => recording({ delayFirstProbeMs: Number.POSITIVE_INFINITY }), RangeError);
    assert.throws(() => recording({ maxProbes: 0 }), /NDP cache maxProbes/);
    const { cache } = recording();
    assert.throws(() => cache.resolve(new Uint8Array(4), frame(1), 0), /16 bytes, got 4/);
    assert.throws(() => cache.addStatic(new Uint8Array(17), MAC_A), RangeError);
    assert.throws(() => cache.learn(new Uint8Array(4), MAC_A, 0, NDP_LEARN_ROUTER_ADVERTISEMENT));
    assert.throws(() => cache.learn(IP_A, new Uint8Array(8), 0, advert(true, true)), RangeError);
    assert.throws(() => cache.resolve(IP_A, new Uint8Array(13), 0), RangeError);
    assert.equal(cache.size, 0);
  });

  it('never changes a static entry', () => {
    const { cache, take } = recording();
    cache.addStatic(IP_A, MAC_A);
    cache.learn(IP_A, MAC_B, 0, advert(true, true, true));
    cache.learn(IP_A, MAC_B, 0, NDP_LEARN_ROUTER_ADVERTISEMENT);
    cache.confirm(IP_A, 0);
    cache.poll(1e9);
    assert.deepEqual(cache.resolve(IP_A, frame(1), 1e9), MAC_A);
    assert.equal(show(cache, IP_A), 'static 02:00:00:00:00:0a');
    assert.equal(cache.pollAt(), undefined);
    assert.deepEqual(take(), []);
  });
});

const MODEL_OPTIONS: NdpCacheOptions = {
  maxEntries: 3,
  maxQueuedPerEntry: 2,
  maxQueuedFrames: 3,
  reachableMs: 3000,
  staleMs: 4000,
  retransmitMs: 1000,
  maxRequests: 3,
  maxProbes: 2,
  delayFirstProbeMs: 2000,
};
// fe80::2 and its word-swapped twin collide in the hash, as do the last two.
const MODEL_IPS = ['fe80::2', '0:0:fe80::2', 'fe80::3', '2001:db8::4', '0:0:2001:db8::4'].map(ip6);
const MODEL_MACS = [MAC_A, MAC_A2, MAC_B];

type Op =
  | { readonly kind: 'resolve'; readonly ip: number }
  | { readonly kind: 'lookup'; readonly ip: number }
  | {
      readonly kind: 'learn';
      readonly ip: number;
      /** An index into MODEL_MACS, or none (an NA or RA without the option). */
      readonly mac: number | undefined;
      readonly create: boolean;
      readonly confirmed: boolean;
      readonly override: boolean | undefined;
      readonly isRouter: boolean | undefined;
    }
  | { readonly kind: 'confirm'; readonly ip: number }
  | { readonly kind: 'delete'; readonly ip: number }
  | { readonly kind: 'addStatic'; readonly ip: number; readonly mac: number }
  | { readonly kind: 'setTimes'; readonly reachableMs: number; readonly retransmitMs: number }
  | { readonly kind: 'advance'; readonly ms: number }
  | { readonly kind: 'pollEarly'; readonly fraction: number }
  | { readonly kind: 'pollDue' };

const ipArb = fc.integer({ min: 0, max: MODEL_IPS.length - 1 });
const macArb = fc.integer({ min: 0, max: MODEL_MACS.length - 1 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('resolve' as const), ip: ipArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('lookup' as const), ip: ipArb }) },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('learn' as const),
      ip: ipArb,
      mac: fc.option(macArb, { nil: undefined }),
      create: fc.boolean(),
      confirmed: fc.boolean(),
      override: fc.option(fc.boolean(), { nil: undefined }),
      isRouter: fc.option(fc.boolean(), { nil: undefined }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('confirm' as const), ip: ipArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), ip: ipArb }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('addStatic' as const), ip: ipArb, mac: macArb }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('setTimes' as const),
      reachableMs: fc.integer({ min: 1, max: 6000 }),
      retransmitMs: fc.integer({ min: 500, max: 1500 }),
    }),
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
  | { readonly kind: 'request'; readonly ip: Uint8Array; readonly mac: Uint8Array | undefined }
  | { readonly kind: 'transmit'; readonly id: number; readonly mac: Uint8Array }
  | { readonly kind: 'drop'; readonly reason: NdpDropReason; readonly frames: number }
  | { readonly kind: 'unresolved'; readonly ids: readonly number[] }
  | { readonly kind: 'routerLost'; readonly ip: Uint8Array };

function find(entries: readonly NdpEntrySnapshot[], ip: Uint8Array): NdpEntrySnapshot | undefined {
  return entries.find((entry) => bytesEqual(entry.ip, ip));
}

/** Drives a cache with `ops`, checking after each step everything the cache promises. */
function runModel(ops: readonly Op[]): void {
  const options = MODEL_OPTIONS;
  const events: ModelEvent[] = [];
  const cache = createNdpCache(
    {
      request: (ip, mac) => events.push({ kind: 'request', ip: ip.slice(), mac: mac?.slice() }),
      transmit: (sent) =>
        events.push({ kind: 'transmit', id: frameId(sent), mac: sent.slice(0, 6) }),
      drop: (reason, frames) => events.push({ kind: 'drop', reason, frames }),
      unresolved: (frames) => events.push({ kind: 'unresolved', ids: frames.map(frameId) }),
      routerLost: (ip) => events.push({ kind: 'routerLost', ip: ip.slice() }),
    },
    options,
  );
  let nowMs = 0;
  let nextId = 1;
  let framesTaken = 0;
  let framesDropped = 0;
  let minRetransmitMs = options.retransmitMs;
  const transmitted = new Set<number>();
  const destinations = new Map<number, number>();
  const lastRequestMs = new Map<string, number>();
  const statics = new Map<number, Uint8Array>();

  for (const op of ops) {
    const before = cache.entries();
    const dueMs = cache.pollAt();
    let polled = false;
    switch (op.kind) {
      case 'resolve': {
        const id = nextId++;
        destinations.set(id, op.ip);
        const mac = cache.resolve(MODEL_IPS[op.ip]!, frame(id), nowMs);
        if (mac === undefined) framesTaken++;
        else assert.deepEqual(mac, find(cache.entries(), MODEL_IPS[op.ip]!)?.mac);
        break;
      }
      case 'lookup': {
        const mac = cache.lookup(MODEL_IPS[op.ip]!, nowMs);
        const entry = find(before, MODEL_IPS[op.ip]!);
        if (mac !== undefined) {
          assert.deepEqual(mac, entry?.mac);
          assert.ok(['reachable', 'delay', 'probe', 'static'].includes(entry!.state));
        }
        break;
      }
      case 'learn': {
        const mac = op.mac === undefined ? undefined : MODEL_MACS[op.mac]!;
        cache.learn(MODEL_IPS[op.ip]!, mac, nowMs, op);
        break;
      }
      case 'confirm':
        cache.confirm(MODEL_IPS[op.ip]!, nowMs);
        break;
      case 'delete':
        assert.equal(
          cache.delete(MODEL_IPS[op.ip]!),
          find(before, MODEL_IPS[op.ip]!) !== undefined,
        );
        statics.delete(op.ip);
        break;
      case 'addStatic':
        try {
          cache.addStatic(MODEL_IPS[op.ip]!, MODEL_MACS[op.mac]!);
          statics.set(op.ip, MODEL_MACS[op.mac]!);
        } catch (error) {
          assert.ok(error instanceof RangeError);
          assert.equal(before.length, options.maxEntries);
          assert.ok(before.every((e) => e.state === 'static' || e.state === 'incomplete'));
        }
        break;
      case 'setTimes':
        cache.setTimes(op);
        minRetransmitMs = Math.min(minRetransmitMs, op.retransmitMs);
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
    let pendingUnresolved = 0;
    for (const event of events.splice(0)) {
      switch (event.kind) {
        case 'request': {
          const entry = find(after, event.ip);
          if (event.mac === undefined) assert.equal(entry?.state, 'incomplete');
          else assert.deepEqual([entry?.state, entry?.mac], ['probe', event.mac]);
          const key = formatIpv6Address(event.ip);
          const previousMs = lastRequestMs.get(key);
          assert.ok(previousMs === undefined || nowMs - previousMs >= minRetransmitMs);
          lastRequestMs.set(key, nowMs);
          break;
        }
        case 'transmit': {
          assert.ok(event.id < nextId && !transmitted.has(event.id), 'frame transmitted twice');
          transmitted.add(event.id);
          const ip = MODEL_IPS[destinations.get(event.id)!]!;
          assert.deepEqual(event.mac, find(after, ip)?.mac);
          break;
        }
        case 'unresolved':
          assert.equal(pendingUnresolved, 0);
          assert.ok(event.ids.length >= 1);
          pendingUnresolved = event.ids.length;
          for (const id of event.ids) {
            // Frames of an address whose resolution failed: it has no entry any more.
            assert.equal(find(after, MODEL_IPS[destinations.get(id)!]!), undefined);
          }
          break;
        case 'drop':
          assert.ok(event.frames >= 1);
          if (pendingUnresolved > 0) {
            assert.deepEqual([event.reason, event.frames], ['ndp.unresolved', pendingUnresolved]);
            pendingUnresolved = 0;
          }
          framesDropped += event.frames;
          break;
        case 'routerLost':
          assert.equal(find(before, event.ip)?.isRouter, true);
          assert.equal(find(after, event.ip)?.isRouter, false);
          assert.equal(op.kind, 'learn');
          break;
      }
    }
    assert.equal(pendingUnresolved, 0, 'unresolved frames not counted as dropped');
    for (const key of lastRequestMs.keys()) {
      if (!after.some((e) => formatIpv6Address(e.ip) === key)) lastRequestMs.delete(key);
    }

    assert.ok(after.length <= options.maxEntries);
    assert.equal(cache.size, after.length);
    let queued = 0;
    for (const entry of after) {
      assert.equal(cache.state(entry.ip), entry.state);
      assert.ok(entry.queuedFrames <= options.maxQueuedPerEntry);
      assert.ok(entry.queuedFrames === 0 || entry.state === 'incomplete');
      assert.equal(entry.mac === undefined, entry.state === 'incomplete');
      queued += entry.queuedFrames;
      const previous = find(before, entry.ip);
      // DELAY is entered only by sending through a stale (or expired reachable) entry.
      if (entry.state === 'delay' && previous?.state !== 'delay') {
        assert.equal(op.kind, 'resolve');
        assert.ok(previous?.state === 'stale' || previous?.state === 'reachable');
      }
      // Only learn sets IsRouter, and only when told to.
      if (entry.isRouter && !previous?.isRouter) {
        assert.ok(op.kind === 'learn' && op.isRouter === true);
      }
    }
    assert.ok(queued <= options.maxQueuedFrames);
    for (const [index, mac] of statics) {
      const entry = find(after, MODEL_IPS[index]!);
      assert.deepEqual([entry?.state, entry?.mac], ['static', mac]);
    }
    // Every frame the cache took is queued, transmitted or dropped, exactly once.
    assert.equal(framesTaken, queued + transmitted.size + framesDropped);
  }
}

describe('NdpCache model', () => {
  it('keeps its bounds, accounts for every frame and reports exactly when poll has work', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 80 }), (ops) => runModel(ops)),
      { numRuns: 500 },
    );
  });
});
