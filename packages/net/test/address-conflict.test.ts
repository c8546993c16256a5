import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SeededRandom } from '@oasis/core';
import type { ArpRepr } from '@oasis/wire';
import {
  type AddressConflictAction,
  AddressConflictDetector,
  type AddressConflictOptions,
} from '../src/address-conflict.ts';

const ADDRESS = 0xc0a8_0117; // 192.168.1.23
const OTHER_ADDRESS = 0xc0a8_0101; // 192.168.1.1
const OUR_MAC = Uint8Array.of(0x02, 0, 0, 0, 0, 0x01);
const THEIR_MAC = Uint8Array.of(0x02, 0, 0, 0, 0, 0x02);
const ZERO_MAC = new Uint8Array(6);

function reply(senderMac: Uint8Array, senderIp: number): ArpRepr {
  return { operation: 'reply', senderMac, senderIp, targetMac: OUR_MAC, targetIp: ADDRESS };
}

function request(senderMac: Uint8Array, senderIp: number, targetIp: number): ArpRepr {
  return { operation: 'request', senderMac, senderIp, targetMac: ZERO_MAC, targetIp };
}

/** RFC 5227 §2.1.1: sender IP 0.0.0.0. */
function probe(senderMac: Uint8Array, targetIp: number): ArpRepr {
  return request(senderMac, 0, targetIp);
}

/** RFC 5227 §2.3: sender IP and target IP the address. */
function announcement(senderMac: Uint8Array, address: number): ArpRepr {
  return request(senderMac, address, address);
}

interface Sent {
  readonly atMs: number;
  readonly action: AddressConflictAction;
}

/** Polls at every `pollAt()` until there is nothing left to do. */
function runToEnd(detector: AddressConflictDetector): Sent[] {
  const sent: Sent[] = [];
  for (let atMs = detector.pollAt(); atMs !== undefined; atMs = detector.pollAt()) {
    for (const action of detector.poll(atMs)) sent.push({ atMs, action });
  }
  return sent;
}

function detector(
  seed: number,
  startMs: number,
  options: Partial<AddressConflictOptions> = {},
): AddressConflictDetector {
  return new AddressConflictDetector(ADDRESS, OUR_MAC, new SeededRandom(seed), startMs, options);
}

/** Polls until the address becomes usable, returning the time it did. */
function probeUntilUsable(d: AddressConflictDetector): number {
  for (;;) {
    const atMs = d.pollAt();
    assert.ok(atMs !== undefined);
    d.poll(atMs);
    if (d.usable) return atMs;
  }
}

describe('AddressConflictDetector: probing and announcing (RFC 5227 §2.1.1, §2.3)', () => {
  it('follows the RFC timeline, every gap within its bounds', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const startMs = 5000;
      const d = detector(seed, startMs);
      assert.equal(d.state, 'probing');
      assert.equal(d.usable, false);
      const sent = runToEnd(d);
      assert.deepEqual(
        sent.map((s) => s.action),
        ['probe', 'probe', 'probe', 'announce', 'announce'],
      );
      const [p1, p2, p3, a1, a2] = sent.map((s) => s.atMs) as [
        number,
        number,
        number,
        number,
        number,
      ];
      // PROBE_WAIT: first probe after a random delay in [0, 1 s).
      assert.ok(p1 - startMs >= 0 && p1 - startMs < 1000, `first probe delay ${p1 - startMs}`);
      // PROBE_MIN..PROBE_MAX between probes.
      for (const gap of [p2 - p1, p3 - p2]) assert.ok(gap >= 1000 && gap <= 2000, `gap ${gap}`);
      // ANNOUNCE_WAIT after the last probe, then ANNOUNCE_INTERVAL.
      assert.equal(a1 - p3, 2000);
      assert.equal(a2 - a1, 2000);
      assert.equal(d.state, 'bound');
      assert.equal(d.usable, true);
      assert.equal(d.pollAt(), undefined);
    }
  });

  it('draws different delays for different seeds, the same for the same seed', () => {
    const times = (seed: number) => runToEnd(detector(seed, 0)).map((s) => s.atMs);
    assert.deepEqual(times(7), times(7));
    const firstProbes = new Set([1, 2, 3, 4, 5, 6, 7, 8].map((seed) => times(seed)[0]));
    assert.ok(firstProbes.size > 1);
  });

  it('reports usable exactly when the first announcement is due', () => {
    const d = detector(3, 0);
    for (let i = 0; i < 3; i++) {
      const atMs = d.pollAt()!;
      assert.deepEqual(d.poll(atMs - 1), [], 'nothing before it is due');
      assert.deepEqual(d.poll(atMs), ['probe']);
      assert.equal(d.usable, false);
    }
    const announceAtMs = d.pollAt()!;
    assert.deepEqual(d.poll(announceAtMs - 1), []);
    assert.equal(d.state, 'probing', 'still listening for conflicts during ANNOUNCE_WAIT');
    assert.deepEqual(d.poll(announceAtMs), ['announce']);
    assert.equal(d.state, 'announcing');
    assert.equal(d.usable, true);
    assert.equal(d.pollAt(), announceAtMs + 2000);
  });

  it('times each packet from when it was sent, so a late poll sends one packet', () => {
    const d = detector(11, 0);
    const lateMs = 60_000;
    assert.deepEqual(d.poll(lateMs), ['probe']);
    const nextMs = d.pollAt()!;
    assert.ok(nextMs - lateMs >= 1000 && nextMs - lateMs <= 2000);
    assert.deepEqual(d.poll(nextMs + 30_000), ['probe']);
    assert.deepEqual(d.poll(nextMs + 30_000), [], 'the third probe waits its own gap');
  });

  it('honours overridden timing and counts', () => {
    const d = detector(5, 100, {
      probeWaitMs: 0,
      probeCount: 1,
      announceWaitMs: 500,
      announceCount: 3,
      announceIntervalMs: 50,
    });
    assert.deepEqual(runToEnd(d), [
      { atMs: 100, action: 'probe' },
      { atMs: 600, action: 'announce' },
      { atMs: 650, action: 'announce' },
      { atMs: 700, action: 'announce' },
    ]);
  });

  it('with probe: false, is usable at once and only announces', () => {
    const d = detector(1, 1000, { probe: false });
    assert.equal(d.state, 'announcing');
    assert.equal(d.usable, true);
    assert.equal(d.pollAt(), 1000);
    assert.deepEqual(runToEnd(d), [
      { atMs: 1000, action: 'announce' },
      { atMs: 3000, action: 'announce' },
    ]);
    assert.equal(d.state, 'bound');
    assert.equal(d.pollAt(), undefined);
  });
});

describe('AddressConflictDetector: conflicts while probing (RFC 5227 §2.1.1)', () => {
  it('gives the address up on a reply from the host that holds it', () => {
    const d = detector(2, 0);
    d.poll(d.pollAt()!);
    assert.equal(d.onArp(reply(THEIR_MAC, ADDRESS), 1200), 'conflict');
    assert.equal(d.state, 'conflict');
    assert.equal(d.usable, false);
    assert.equal(d.pollAt(), undefined);
    assert.deepEqual(d.poll(100_000), []);
    assert.equal(d.onArp(reply(THEIR_MAC, ADDRESS), 1300), 'none', 'reported once');
    assert.equal(d.state, 'conflict', 'and final');
  });

  it('treats any packet with the address as sender IP as a conflict, even before probing', () => {
    const d = detector(2, 0);
    assert.equal(d.onArp(request(THEIR_MAC, ADDRESS, OTHER_ADDRESS), 0), 'conflict');
  });

  it('treats another host probing for the same address as a conflict', () => {
    const d = detector(4, 0);
    d.poll(d.pollAt()!);
    assert.equal(d.onArp(probe(THEIR_MAC, ADDRESS), 500), 'conflict');
    assert.equal(d.state, 'conflict');
  });

  it('still detects a conflict during ANNOUNCE_WAIT after the last probe', () => {
    const d = detector(6, 0);
    for (let i = 0; i < 3; i++) d.poll(d.pollAt()!);
    assert.equal(d.state, 'probing');
    const announceAtMs = d.pollAt()!;
    assert.equal(d.onArp(announcement(THEIR_MAC, ADDRESS), announceAtMs - 1), 'conflict');
    assert.deepEqual(d.poll(announceAtMs), []);
  });

  it('ignores unrelated ARP traffic', () => {
    const d = detector(8, 0);
    d.poll(d.pollAt()!);
    assert.equal(d.onArp(probe(THEIR_MAC, OTHER_ADDRESS), 10), 'none');
    assert.equal(d.onArp(reply(THEIR_MAC, OTHER_ADDRESS), 10), 'none');
    // A host asking who has the address does not hold it.
    assert.equal(d.onArp(request(THEIR_MAC, OTHER_ADDRESS, ADDRESS), 10), 'none');
    assert.equal(d.onArp(announcement(THEIR_MAC, OTHER_ADDRESS), 10), 'none');
    assert.equal(d.state, 'probing');
  });

  it('ignores our own packets', () => {
    const d = detector(9, 0);
    d.poll(d.pollAt()!);
    assert.equal(d.onArp(probe(OUR_MAC, ADDRESS), 10), 'none');
    assert.equal(d.onArp(announcement(OUR_MAC, ADDRESS), 10), 'none');
    assert.equal(d.onArp(reply(OUR_MAC, ADDRESS), 10), 'none');
    assert.equal(d.state, 'probing');
    assert.equal(runToEnd(d).length, 4, 'probing continues to the end');
    assert.equal(d.state, 'bound');
  });
});

describe('AddressConflictDetector: defence (RFC 5227 §2.4)', () => {
  it('defends at most once per DEFEND_INTERVAL and keeps the address', () => {
    const d = detector(10, 0);
    runToEnd(d);
    assert.equal(d.state, 'bound');
    const t = 100_000;
    const conflicting = reply(THEIR_MAC, ADDRESS);
    assert.equal(d.onArp(conflicting, t), 'defend');
    assert.equal(d.onArp(conflicting, t + 1), 'conflict-ignored');
    assert.equal(d.onArp(announcement(THEIR_MAC, ADDRESS), t + 5000), 'conflict-ignored');
    assert.equal(d.onArp(conflicting, t + 9999), 'conflict-ignored');
    assert.equal(d.ignoredConflicts, 3);
    assert.equal(d.onArp(conflicting, t + 10_000), 'defend', 'the interval runs from the defence');
    assert.equal(d.onArp(conflicting, t + 15_000), 'conflict-ignored');
    assert.equal(d.onArp(conflicting, t + 20_000), 'defend');
    assert.equal(d.ignoredConflicts, 4);
    assert.equal(d.state, 'bound');
    assert.equal(d.usable, true);
    assert.equal(d.pollAt(), undefined, 'defence needs no timer');
  });

  it('honours an overridden DEFEND_INTERVAL', () => {
    const d = detector(10, 0, { probe: false, defendIntervalMs: 100 });
    runToEnd(d);
    assert.equal(d.onArp(reply(THEIR_MAC, ADDRESS), 5000), 'defend');
    assert.equal(d.onArp(reply(THEIR_MAC, ADDRESS), 5099), 'conflict-ignored');
    assert.equal(d.onArp(reply(THEIR_MAC, ADDRESS), 5100), 'defend');
  });

  it('defends while still announcing, and the announcements continue', () => {
    const d = detector(12, 0);
    const usableAtMs = probeUntilUsable(d);
    assert.equal(d.state, 'announcing');
    assert.equal(d.onArp(announcement(THEIR_MAC, ADDRESS), usableAtMs + 10), 'defend');
    assert.equal(d.state, 'announcing');
    assert.deepEqual(runToEnd(d), [{ atMs: usableAtMs + 2000, action: 'announce' }]);
    assert.equal(d.state, 'bound');
  });

  it('does not treat probes for the address, or our own packets, as conflicts once bound', () => {
    const d = detector(13, 0, { probe: false });
    runToEnd(d);
    assert.equal(d.onArp(probe(THEIR_MAC, ADDRESS), 10_000), 'none');
    assert.equal(d.onArp(request(THEIR_MAC, OTHER_ADDRESS, ADDRESS), 10_000), 'none');
    assert.equal(d.onArp(announcement(OUR_MAC, ADDRESS), 10_000), 'none');
    assert.equal(d.onArp(reply(OUR_MAC, ADDRESS), 10_000), 'none');
    assert.equal(d.onArp(reply(THEIR_MAC, OTHER_ADDRESS), 10_000), 'none');
    assert.equal(d.ignoredConflicts, 0);
    assert.equal(d.onArp(reply(THEIR_MAC, ADDRESS), 10_000), 'defend', 'no defence spent so far');
  });
});

describe('AddressConflictDetector: misuse', () => {
  const random = new SeededRandom(1);
  it('refuses an address that cannot be claimed', () => {
    assert.throws(() => new AddressConflictDetector(0, OUR_MAC, random, 0), RangeError);
    assert.throws(() => new AddressConflictDetector(2 ** 32, OUR_MAC, random, 0), RangeError);
    assert.throws(() => new AddressConflictDetector(-1, OUR_MAC, random, 0), RangeError);
  });

  it('refuses a MAC that is not 6 bytes', () => {
    assert.throws(() => new AddressConflictDetector(ADDRESS, new Uint8Array(5), random, 0), {
      name: 'RangeError',
      message: /6 bytes/,
    });
  });

  it('refuses options out of range', () => {
    const bad: Partial<AddressConflictOptions>[] = [
      { probeMinMs: 3000 },
      { probeCount: 0 },
      { announceCount: 0 },
      { probeWaitMs: -1 },
      { announceIntervalMs: 1.5 },
      { defendIntervalMs: Number.NaN },
    ];
    for (const options of bad) {
      assert.throws(() => detector(1, 0, options), RangeError, JSON.stringify(options));
    }
  });
});
