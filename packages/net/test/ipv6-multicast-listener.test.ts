import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SeededRandom } from '@oasis/core';
import {
  formatIpv6Address,
  MLD_CHANGE_TO_EXCLUDE_MODE,
  MLD_CHANGE_TO_INCLUDE_MODE,
  MLD_MODE_IS_EXCLUDE,
  parseIpv6Address,
} from '@oasis/wire';
import { MulticastListener } from '../src/ipv6-multicast-listener.ts';

function ip6(text: string): Uint8Array {
  const parsed = parseIpv6Address(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
}

const NAMES: Record<number, string> = {
  [MLD_MODE_IS_EXCLUDE]: 'IS_EX',
  [MLD_CHANGE_TO_INCLUDE_MODE]: 'TO_IN',
  [MLD_CHANGE_TO_EXCLUDE_MODE]: 'TO_EX',
};

/** Every report up to `untilMs`, as `atMs: records`. */
function run(listener: MulticastListener, untilMs: number): string[] {
  const reports: string[] = [];
  for (let atMs = listener.pollAt(); atMs !== undefined && atMs <= untilMs; ) {
    const records = listener.poll(atMs);
    reports.push(
      `${atMs}: ${records.map((r) => `${NAMES[r.type]} ${formatIpv6Address(r.address)}`).join(', ')}`,
    );
    const next = listener.pollAt();
    assert.ok(next === undefined || next > atMs);
    atMs = next;
  }
  return reports;
}

const UNSPECIFIED = ip6('::');
const GROUP_A = ip6('ff05::a');
const GROUP_B = ip6('ff05::b');

/** A listener in groups A and B whose join reports are all sent. */
function settled(seed: number): MulticastListener {
  const listener = new MulticastListener(new SeededRandom(seed));
  listener.join(GROUP_A, 0);
  listener.join(GROUP_B, 0);
  run(listener, 10_000);
  assert.equal(listener.pollAt(), undefined);
  return listener;
}

describe('MulticastListener: state changes (RFC 3810 §6.1)', () => {
  it('holds a solicited-node group once for several addresses, and reports at the time asked', () => {
    const listener = new MulticastListener(new SeededRandom(1));
    const group = ip6('ff02::1:ff00:7');
    listener.hold(group, 700);
    listener.hold(group, 100);
    assert.equal(listener.isJoined(group), true, 'listening before the report');
    assert.equal(listener.pollAt(), 700, 'the second hold does not move the report');
    const reports = run(listener, 5000);
    assert.equal(reports.length, 2);
    assert.equal(reports[0], '700: TO_EX ff02::1:ff00:7');
    listener.release(group, 6000);
    assert.equal(listener.isJoined(group), true, 'still held once');
    assert.deepEqual(run(listener, 10_000), []);
    listener.release(group, 10_000);
    assert.equal(listener.isJoined(group), false);
    assert.equal(run(listener, 20_000)[0], '10000: TO_IN ff02::1:ff00:7');
  });

  it('leaves silently a group whose join was never reported', () => {
    const listener = new MulticastListener(new SeededRandom(2));
    const group = ip6('ff02::1:ff00:7');
    listener.hold(group, 900);
    listener.release(group, 100);
    assert.equal(listener.pollAt(), undefined);
    assert.deepEqual(listener.groups().map(formatIpv6Address), ['ff02::1']);
  });

  it('replaces the rest of a join report by the leave report', () => {
    const listener = new MulticastListener(new SeededRandom(3));
    listener.join(GROUP_A, 0);
    assert.deepEqual(
      listener.poll(0).map((r) => r.type),
      [MLD_CHANGE_TO_EXCLUDE_MODE],
    );
    listener.leave(GROUP_A, 1);
    const reports = run(listener, 10_000);
    assert.deepEqual(
      reports.map((r) => r.replace(/^\d+: /, '')),
      ['TO_IN ff05::a', 'TO_IN ff05::a'],
    );
  });

  it('keeps a socket membership apart from an address hold on the same group', () => {
    const listener = new MulticastListener(new SeededRandom(4));
    const group = ip6('ff02::1:ff00:7');
    listener.hold(group, 0);
    listener.join(group, 0);
    listener.leave(group, 0);
    listener.leave(group, 0);
    assert.equal(listener.isJoined(group), true, 'a leave never undoes a hold');
    listener.release(ip6('ff02::1:ff00:8'), 0);
    assert.equal(listener.isJoined(group), true);
  });
});

describe('MulticastListener: queries (RFC 3810 §6.2)', () => {
  it('answers a General Query once, for every group, within the delay', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const listener = settled(seed);
      listener.onQuery(UNSPECIFIED, 1000, 20_000);
      const reports = run(listener, 30_000);
      assert.equal(reports.length, 1);
      const [at, records] = reports[0]!.split(': ') as [string, string];
      assert.ok(Number(at) >= 20_000 && Number(at) <= 21_000);
      assert.equal(records, 'IS_EX ff05::a, IS_EX ff05::b');
    }
  });

  it('answers at once when the maximum response delay is 0', () => {
    const listener = settled(5);
    listener.onQuery(UNSPECIFIED, 0, 20_000);
    assert.equal(listener.pollAt(), 20_000);
  });

  it('lets a pending General Query answer cover a later specific query (rule 1)', () => {
    const listener = settled(6);
    listener.onQuery(UNSPECIFIED, 0, 20_000);
    listener.onQuery(GROUP_A, 5000, 20_000);
    assert.deepEqual(run(listener, 40_000), ['20000: IS_EX ff05::a, IS_EX ff05::b']);
  });

  it('replaces a later General Query answer by the new one (rule 2)', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const listener = settled(seed);
      listener.onQuery(UNSPECIFIED, 100_000, 20_000);
      const first = listener.pollAt()!;
      listener.onQuery(UNSPECIFIED, 10, 20_000);
      const second = listener.pollAt()!;
      assert.ok(second <= Math.min(first, 20_010), `${first} then ${second}`);
      assert.equal(run(listener, 200_000).length, 1, 'one answer');
    }
  });

  it('keeps the earlier answer to repeated specific queries (rules 3 and 4)', () => {
    const listener = settled(7);
    listener.onQuery(GROUP_A, 0, 20_000);
    listener.onQuery(GROUP_A, 60_000, 20_000);
    assert.equal(listener.pollAt(), 20_000);
    assert.deepEqual(run(listener, 100_000), ['20000: IS_EX ff05::a']);
  });

  it('ignores queries for groups it is not in, or that are never reported', () => {
    const listener = settled(8);
    listener.join(ip6('ff02::1'), 0);
    listener.join(ip6('ff01::1:2'), 0);
    listener.onQuery(ip6('ff05::c'), 0, 20_000);
    listener.onQuery(ip6('ff02::1'), 0, 20_000);
    listener.onQuery(ip6('ff01::1:2'), 0, 20_000);
    assert.equal(listener.pollAt(), undefined);
  });

  it('does not answer for a group left before the answer was due', () => {
    const listener = settled(9);
    listener.onQuery(GROUP_A, 10_000, 20_000);
    listener.leave(GROUP_A, 20_000);
    const reports = run(listener, 100_000);
    assert.ok(
      reports.every((r) => r.endsWith('TO_IN ff05::a')),
      JSON.stringify(reports),
    );
  });

  it('tolerates a delay it cannot draw from', () => {
    const listener = settled(10);
    listener.onQuery(UNSPECIFIED, Number.NaN, 20_000);
    assert.equal(listener.pollAt(), 20_000);
    run(listener, 20_000);
    listener.onQuery(UNSPECIFIED, 2 ** 40, 30_000);
    const atMs = listener.pollAt()!;
    assert.ok(atMs >= 30_000 && atMs < 30_000 + 2 ** 32, `${atMs}`);
  });
});
