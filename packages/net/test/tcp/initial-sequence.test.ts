import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Random, SeededRandom } from '@oasis/core';
import { halfSipHash24Words } from '../../src/tcp/half-siphash.ts';
import { InitialSequenceGenerator } from '../../src/tcp/initial-sequence.ts';

/** IPv4 identity words: local address, remote address, local port << 16 | remote port. */
function ipv4Identity(local: number, remote: number, localPort: number, remotePort: number) {
  return [local >>> 0, remote >>> 0, ((localPort << 16) | remotePort) >>> 0];
}

const LOCAL = 0xc000_0201; // 192.0.2.1 (RFC 5737 documentation range)
const REMOTE = 0xc633_6407; // 198.51.100.7
const TUPLE = ipv4Identity(LOCAL, REMOTE, 80, 40_000);

/** 2^32 ticks of 4 µs, in milliseconds: the period of M. */
const WRAP_MS = 2 ** 32 / 250;

describe('InitialSequenceGenerator', () => {
  it('is deterministic for a seed', () => {
    const a = new InitialSequenceGenerator(new SeededRandom(7));
    const b = new InitialSequenceGenerator(new SeededRandom(7));
    const isn = a.next(TUPLE, 3, 1234.5);
    assert.equal(isn, 0xfa4ad0a2);
    assert.equal(b.next(TUPLE, 3, 1234.5), isn);
    assert.equal(a.next(TUPLE, 3, 1234.5), isn, 'the same inputs again');
  });

  it('is M + HalfSipHash(key, secret prefix ‖ identity), 4 secret words drawn in order', () => {
    const random = new SeededRandom(7);
    const [k0, k1, p0, p1] = [random.uint32(), random.uint32(), random.uint32(), random.uint32()];
    const f = halfSipHash24Words(k0, k1, [p0, p1, ...TUPLE], 5);
    const m = Math.floor(1234.5 * 250);
    assert.equal((m + f) >>> 0, 0xfa4ad0a2);
  });

  it('draws its secret once, four words, at construction', () => {
    let draws = 0;
    const seeded = new SeededRandom(1);
    const counting: Random = {
      fill: (bytes) => seeded.fill(bytes),
      uint32: () => {
        draws++;
        return seeded.uint32();
      },
      below: (bound) => seeded.below(bound),
      float: () => seeded.float(),
    };
    const generator = new InitialSequenceGenerator(counting);
    assert.equal(draws, 4);
    generator.next(TUPLE, 3, 0);
    generator.next(TUPLE, 3, 1);
    assert.equal(draws, 4);
  });

  it('gives different connection identities different ISNs', () => {
    const generator = new InitialSequenceGenerator(new SeededRandom(7));
    const identities = [
      TUPLE,
      ipv4Identity(LOCAL, REMOTE, 80, 40_001),
      ipv4Identity(LOCAL, REMOTE, 81, 40_000),
      ipv4Identity(LOCAL, REMOTE + 1, 80, 40_000),
      ipv4Identity(LOCAL + 1, REMOTE, 80, 40_000),
      ipv4Identity(REMOTE, LOCAL, 40_000, 80),
      ipv4Identity(0, 0, 0, 0),
      // IPv6 2001:db8::1 to 2001:db8::7, same ports.
      [0x2001_0db8, 0, 0, 1, 0x2001_0db8, 0, 0, 7, (80 << 16) | 40_000],
    ];
    const isns = identities.map((words) => generator.next(words, words.length, 5000));
    assert.equal(new Set(isns).size, identities.length, isns.map((x) => x.toString(16)).join());
  });

  it('has no collisions among 2000 tuples at one instant', () => {
    const generator = new InitialSequenceGenerator(new SeededRandom(3));
    const seen = new Set<number>();
    for (let port = 1; port <= 2000; port++)
      seen.add(generator.next(ipv4Identity(LOCAL, REMOTE, 443, port), 3, 0));
    assert.equal(seen.size, 2000);
  });

  it('hashes only words[0..count)', () => {
    const generator = new InitialSequenceGenerator(new SeededRandom(7));
    assert.equal(generator.next([...TUPLE, 0xdead_beef], 3, 1234.5), 0xfa4ad0a2);
    assert.equal(generator.next(Uint32Array.from(TUPLE), 3, 1234.5), 0xfa4ad0a2);
  });

  it('advances with the clock by one per 4 µs, mod 2^32 (RFC 6528 §3)', () => {
    const generator = new InitialSequenceGenerator(new SeededRandom(11));
    const at = (nowMs: number): number => generator.next(TUPLE, 3, nowMs);
    const base = at(10_000);
    assert.equal((at(11_000) - base) >>> 0, 250_000, '1 s is 250000 ticks');
    assert.equal((at(10_000.004) - base) >>> 0, 1, '4 µs is one tick');
    assert.equal((at(10_000.003) - base) >>> 0, 0, '3 µs is less than a tick');
    assert.equal((at(10_000 + 60_000) - base) >>> 0, 15_000_000, 'a minute later');
    assert.equal(at(10_000 + WRAP_MS), base, 'M wraps after 2^32 ticks (about 4.77 hours)');
    assert.equal((at(10_000 + WRAP_MS + 1) - base) >>> 0, 250);
    const f = at(0);
    assert.equal(at(-1), (f - 250) >>> 0, 'a clock before 0 counts down the same way');
  });

  it('gives unsigned 32-bit values at any time', () => {
    const generator = new InitialSequenceGenerator(new SeededRandom(11));
    for (const nowMs of [0, 0.5, 1e6, 1e12, 2 ** 40 + 0.25, -5e9]) {
      const isn = generator.next(TUPLE, 3, nowMs);
      assert.ok(Number.isInteger(isn) && isn >= 0 && isn < 2 ** 32, `${nowMs}: ${isn}`);
    }
    assert.equal(generator.next(TUPLE, 3, 1e12), (generator.next(TUPLE, 3, 0) + 2.5e14) % 2 ** 32);
  });

  it('differs between secrets', () => {
    const isns = [1, 2, 3, 4].map((seed) =>
      new InitialSequenceGenerator(new SeededRandom(seed)).next(TUPLE, 3, 0),
    );
    assert.equal(new Set(isns).size, 4);
  });

  it('refuses an identity count that is out of range', () => {
    const generator = new InitialSequenceGenerator(new SeededRandom(1));
    assert.throws(() => generator.next(TUPLE, 0, 0), RangeError);
    assert.throws(() => generator.next(TUPLE, 4, 0), RangeError, 'more than given');
    assert.throws(() => generator.next(new Array<number>(10).fill(0), 10, 0), RangeError);
    assert.throws(() => generator.next(TUPLE, 2.5, 0), RangeError);
  });
});
