import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SeededRandom } from '@oasis/core';
import fc from 'fast-check';
import { SYN_COOKIE_MSS_TABLE, SynCookies } from '../../src/tcp/syn-cookies.ts';

/** IPv4 identity words: local address, remote address, local port << 16 | remote port. */
function ipv4Identity(local: number, remote: number, localPort: number, remotePort: number) {
  return [local >>> 0, remote >>> 0, ((localPort << 16) | remotePort) >>> 0];
}

const LOCAL = 0xc000_0201; // 192.0.2.1 (RFC 5737 documentation range)
const REMOTE = 0xcb00_7109; // 203.0.113.9
const TUPLE = ipv4Identity(LOCAL, REMOTE, 443, 51_000);
const CLIENT_ISN = 0x9abc_def0;
const PERIOD_MS = 64_000;

describe('SYN_COOKIE_MSS_TABLE', () => {
  it('has 8 ascending values from 536', () => {
    assert.deepEqual(SYN_COOKIE_MSS_TABLE, [536, 1220, 1360, 1400, 1440, 1452, 1460, 8960]);
    assert.ok(Object.isFrozen(SYN_COOKIE_MSS_TABLE));
  });
});

describe('SynCookies', () => {
  it('is deterministic for a seed', () => {
    const a = new SynCookies(new SeededRandom(5)).make(TUPLE, 3, CLIENT_ISN, 1460, 1000);
    const b = new SynCookies(new SeededRandom(5)).make(TUPLE, 3, CLIENT_ISN, 1460, 1000);
    assert.deepEqual(a, { isn: 0xa0d1_2336, mss: 1460 });
    assert.deepEqual(b, a);
  });

  it('lays out t, m and the client ISN as RFC 4987 §3.6 describes', () => {
    const cookies = new SynCookies(new SeededRandom(5));
    const nowMs = 37 * PERIOD_MS + 500; // t = 37 mod 32 = 5
    for (let index = 0; index < 8; index++) {
      const { isn } = cookies.make(TUPLE, 3, CLIENT_ISN, SYN_COOKIE_MSS_TABLE[index]!, nowMs);
      const body = (isn - CLIENT_ISN) >>> 0;
      assert.equal(body >>> 27, 5, 't');
      assert.equal((body >>> 24) & 7, index, 'm');
    }
    const zero = cookies.make(TUPLE, 3, 0, 536, nowMs).isn;
    assert.equal(cookies.make(TUPLE, 3, 0xffff_ffff, 536, nowMs).isn, (zero - 1) >>> 0);
  });

  it('round-trips every table MSS', () => {
    const cookies = new SynCookies(new SeededRandom(5));
    for (const mss of SYN_COOKIE_MSS_TABLE) {
      const made = cookies.make(TUPLE, 3, CLIENT_ISN, mss, 200_000);
      assert.equal(made.mss, mss);
      assert.equal(cookies.check(TUPLE, 3, CLIENT_ISN, made.isn, 200_000), mss);
      assert.equal(cookies.check(TUPLE, 3, CLIENT_ISN, made.isn, 250_000), mss);
    }
  });

  it('rounds a peer MSS down to the table, with 536 as the floor', () => {
    const cookies = new SynCookies(new SeededRandom(5));
    const cases: [number, number][] = [
      [0, 536],
      [88, 536],
      [535, 536],
      [536, 536],
      [1000, 536],
      [1219, 536],
      [1220, 1220],
      [1300, 1220],
      [1380, 1360],
      [1439, 1400],
      [1451, 1440],
      [1459, 1452],
      [1461, 1460],
      [8959, 1460],
      [8960, 8960],
      [9000, 8960],
      [65_535, 8960],
    ];
    for (const [peerMss, expected] of cases) {
      const made = cookies.make(TUPLE, 3, CLIENT_ISN, peerMss, 0);
      assert.equal(made.mss, expected, `peer MSS ${peerMss}`);
      assert.equal(
        cookies.check(TUPLE, 3, CLIENT_ISN, made.isn, 1),
        expected,
        `peer MSS ${peerMss}`,
      );
    }
  });

  it('round-trips an IPv6 identity', () => {
    const cookies = new SynCookies(new SeededRandom(8));
    const words = [0x2001_0db8, 0, 0, 1, 0x2001_0db8, 0, 0, 0x99, (443 << 16) | 50_000];
    const made = cookies.make(words, 9, 1, 1440, 0);
    assert.equal(cookies.check(words, 9, 1, made.isn, 0), 1440);
    const other = [...words];
    other[7] = 0x98;
    assert.equal(cookies.check(other, 9, 1, made.isn, 0), undefined);
    assert.equal(cookies.check(words.slice(0, 3), 3, 1, made.isn, 0), undefined);
  });

  it('rejects another connection identity', () => {
    const cookies = new SynCookies(new SeededRandom(5));
    const { isn } = cookies.make(TUPLE, 3, CLIENT_ISN, 1460, 0);
    for (const words of [
      ipv4Identity(LOCAL, REMOTE, 443, 51_001),
      ipv4Identity(LOCAL, REMOTE, 444, 51_000),
      ipv4Identity(LOCAL, REMOTE + 1, 443, 51_000),
      ipv4Identity(LOCAL + 1, REMOTE, 443, 51_000),
      ipv4Identity(REMOTE, LOCAL, 51_000, 443),
    ]) {
      assert.equal(cookies.check(words, 3, CLIENT_ISN, isn, 0), undefined, words.join());
    }
  });

  it('rejects another client ISN', () => {
    const cookies = new SynCookies(new SeededRandom(5));
    const { isn } = cookies.make(TUPLE, 3, CLIENT_ISN, 1460, 0);
    for (const clientIsn of [CLIENT_ISN + 1, CLIENT_ISN - 1, CLIENT_ISN ^ 0x8000_0000, 0]) {
      assert.equal(cookies.check(TUPLE, 3, clientIsn >>> 0, isn, 0), undefined);
    }
  });

  it('rejects a cookie with any one bit changed, the MSS index included', () => {
    const cookies = new SynCookies(new SeededRandom(5));
    const { isn } = cookies.make(TUPLE, 3, CLIENT_ISN, 1400, 70_000);
    for (let bit = 0; bit < 32; bit++) {
      const tampered = (isn ^ (1 << bit)) >>> 0;
      assert.equal(cookies.check(TUPLE, 3, CLIENT_ISN, tampered, 70_000), undefined, `bit ${bit}`);
    }
    assert.equal(cookies.check(TUPLE, 3, CLIENT_ISN, (isn + 1) >>> 0, 70_000), undefined);
  });

  it('accepts the current and the previous period, and nothing older (64–128 s)', () => {
    const cookies = new SynCookies(new SeededRandom(5));
    const check = (isn: number, nowMs: number) => cookies.check(TUPLE, 3, CLIENT_ISN, isn, nowMs);
    // Made at the very end of a period: valid into the next period, to 64 s and 1 ms of age.
    const late = cookies.make(TUPLE, 3, CLIENT_ISN, 1460, 2 * PERIOD_MS - 1).isn;
    assert.equal(check(late, 2 * PERIOD_MS - 1), 1460);
    assert.equal(check(late, 2 * PERIOD_MS), 1460, 'across the period boundary');
    assert.equal(check(late, 3 * PERIOD_MS - 1), 1460, 'the last millisecond of the next period');
    assert.equal(check(late, 3 * PERIOD_MS), undefined, 'two periods on');
    // Made at the very start of a period: valid for 128 s less 1 ms.
    const early = cookies.make(TUPLE, 3, CLIENT_ISN, 1460, 2 * PERIOD_MS).isn;
    assert.equal(check(early, 4 * PERIOD_MS - 1), 1460);
    assert.equal(check(early, 4 * PERIOD_MS), undefined);
    assert.equal(check(early, 100 * PERIOD_MS), undefined);
  });

  it('rejects a cookie from a later period than now', () => {
    const cookies = new SynCookies(new SeededRandom(5));
    const { isn } = cookies.make(TUPLE, 3, CLIENT_ISN, 1460, 5 * PERIOD_MS);
    assert.equal(cookies.check(TUPLE, 3, CLIENT_ISN, isn, 5 * PERIOD_MS - 1), undefined);
  });

  it('rejects a cookie replayed when the 5-bit counter comes round again', () => {
    const cookies = new SynCookies(new SeededRandom(5));
    const { isn } = cookies.make(TUPLE, 3, CLIENT_ISN, 1460, 1000);
    assert.equal(cookies.check(TUPLE, 3, CLIENT_ISN, isn, 1000), 1460);
    assert.equal(cookies.check(TUPLE, 3, CLIENT_ISN, isn, 32 * PERIOD_MS + 1000), undefined);
    assert.equal(cookies.check(TUPLE, 3, CLIENT_ISN, isn, 33 * PERIOD_MS + 1000), undefined);
  });

  it('works with fractional, negative and very large clocks', () => {
    const cookies = new SynCookies(new SeededRandom(5));
    for (const nowMs of [0.25, -1, -PERIOD_MS * 40.5, 2 ** 45 + 0.5]) {
      const { isn } = cookies.make(TUPLE, 3, CLIENT_ISN, 1452, nowMs);
      assert.ok(Number.isInteger(isn) && isn >= 0 && isn < 2 ** 32);
      assert.equal(cookies.check(TUPLE, 3, CLIENT_ISN, isn, nowMs + PERIOD_MS), 1452, `${nowMs}`);
      assert.equal(cookies.check(TUPLE, 3, CLIENT_ISN, isn, nowMs + 2 * PERIOD_MS), undefined);
    }
  });

  it('uses a secret of its own: another instance rejects its cookies', () => {
    const one = new SynCookies(new SeededRandom(5));
    const other = new SynCookies(new SeededRandom(6));
    const { isn } = one.make(TUPLE, 3, CLIENT_ISN, 1460, 0);
    assert.equal(other.check(TUPLE, 3, CLIENT_ISN, isn, 0), undefined);
    assert.notEqual(other.make(TUPLE, 3, CLIENT_ISN, 1460, 0).isn, isn);
  });

  it('refuses a bad identity count or peer MSS', () => {
    const cookies = new SynCookies(new SeededRandom(5));
    assert.throws(() => cookies.make(TUPLE, 4, CLIENT_ISN, 1460, 0), RangeError);
    assert.throws(() => cookies.make(TUPLE, 0, CLIENT_ISN, 1460, 0), RangeError);
    assert.throws(() => cookies.make(TUPLE, 3, CLIENT_ISN, Number.NaN, 0), RangeError);
    assert.throws(() => cookies.make(TUPLE, 3, CLIENT_ISN, 1460.5, 0), RangeError);
    assert.throws(() => cookies.check(TUPLE, 4, CLIENT_ISN, 0, 0), RangeError);
  });

  it('accepts random ACK numbers with probability near 2^-24 (none of 100000)', () => {
    const cookies = new SynCookies(new SeededRandom(5));
    const nowMs = 10 * PERIOD_MS + 123;
    let accepted = 0;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff_ffff }), (ack) => {
        if (cookies.check(TUPLE, 3, CLIENT_ISN, (ack - 1) >>> 0, nowMs) !== undefined) accepted++;
      }),
      { numRuns: 100_000, seed: 42 },
    );
    assert.equal(accepted, 0);
  });

  it('accepts random tuples, ISNs and times only with their own cookie (property)', () => {
    const cookies = new SynCookies(new SeededRandom(9));
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 0xffff_ffff }), { minLength: 3, maxLength: 3 }),
        fc.integer({ min: 0, max: 0xffff_ffff }),
        fc.integer({ min: 0, max: 70_000 }),
        fc.integer({ min: 0, max: 2 ** 40 }),
        fc.integer({ min: 0, max: 0xffff_ffff }),
        (words, clientIsn, peerMss, nowMs, guess) => {
          const made = cookies.make(words, 3, clientIsn, peerMss, nowMs);
          assert.equal(cookies.check(words, 3, clientIsn, made.isn, nowMs + PERIOD_MS), made.mss);
          if (guess !== made.isn) {
            assert.equal(cookies.check(words, 3, clientIsn, guess, nowMs), undefined);
          }
        },
      ),
      { seed: 7 },
    );
  });
});

describe('SynCookies timestamp options', () => {
  it('round-trips every window scale 0..14 and none, with and without SACK', () => {
    for (const tsValue of [0, 0x1234_5678, 0xffff_ffff]) {
      for (const windowScale of [undefined, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]) {
        for (const sackPermitted of [false, true]) {
          const encoded = SynCookies.encodeTimestampOptions(tsValue, windowScale, sackPermitted);
          assert.equal(encoded >>> 6, tsValue >>> 6, 'the high 26 bits are kept');
          assert.deepEqual(SynCookies.decodeTimestampOptions(encoded), {
            windowScale,
            sackPermitted,
          });
        }
      }
    }
  });

  it('encodes the fields in the low 6 bits', () => {
    assert.equal(SynCookies.encodeTimestampOptions(0x1234_5678, 7, true), 0x1234_5657);
    assert.equal(SynCookies.encodeTimestampOptions(0x1234_5678, 7, false), 0x1234_5647);
    assert.equal(SynCookies.encodeTimestampOptions(0xffff_ffff, undefined, false), 0xffff_ffcf);
    assert.equal(SynCookies.encodeTimestampOptions(0xffff_ffff, undefined, true), 0xffff_ffdf);
    assert.equal(SynCookies.encodeTimestampOptions(0, 0, false), 0);
    assert.equal(SynCookies.encodeTimestampOptions(0x40, 14, true), 0x5e);
  });

  it('stores a shift count above 14 as 14 (RFC 7323 §2.3)', () => {
    assert.equal(SynCookies.encodeTimestampOptions(0, 15, false), 14);
    assert.equal(SynCookies.encodeTimestampOptions(0, 255, true), 0x1e);
    assert.deepEqual(SynCookies.decodeTimestampOptions(0x1e), {
      windowScale: 14,
      sackPermitted: true,
    });
  });

  it('refuses a window scale that is not a non-negative integer', () => {
    assert.throws(() => SynCookies.encodeTimestampOptions(0, -1, false), RangeError);
    assert.throws(() => SynCookies.encodeTimestampOptions(0, 2.5, false), RangeError);
    assert.throws(() => SynCookies.encodeTimestampOptions(0, Number.NaN, false), RangeError);
  });

  it('decodes field 15 as no window scale, and refuses the reserved bit', () => {
    assert.deepEqual(SynCookies.decodeTimestampOptions(0x0f), {
      windowScale: undefined,
      sackPermitted: false,
    });
    assert.deepEqual(SynCookies.decodeTimestampOptions(0xffff_ffdf), {
      windowScale: undefined,
      sackPermitted: true,
    });
    assert.equal(SynCookies.decodeTimestampOptions(0x20), undefined);
    assert.equal(SynCookies.decodeTimestampOptions(0x3f), undefined);
    assert.equal(SynCookies.decodeTimestampOptions(0xffff_ffff), undefined);
  });
});
