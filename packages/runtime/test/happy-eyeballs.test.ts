// Happy Eyeballs (RFC 8305) on virtual time: lookups and connection attempts that answer when
// the script says, and the race's choices checked against the RFC's timings. The stacks' own
// connect is tested elsewhere; here it is a scripted TcpStack that records each attempt.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AbortError, ManualClock, OasisError, TimeoutError } from '@oasis/core';
import fc from 'fast-check';
import {
  connectToHost,
  type HostConnectOptions,
  MIN_ATTEMPT_SPACING_MS,
} from '../src/happy-eyeballs.ts';
import type { NameLookup } from '../src/name-lookup.ts';
import type { Flow, TcpConnectOptions, TcpEndpoint, TcpStack } from '../src/tcp.ts';

/** What a lookup of one family does: answer (or fail) after `afterMs`. */
interface LookupScript {
  readonly afterMs: number;
  readonly addresses?: readonly string[];
  readonly error?: OasisError;
}

/** What an attempt to one address does; `never` answers only to its abort. */
type AttemptScript =
  | { readonly kind: 'connect'; readonly afterMs: number; readonly ignoresAbort?: boolean }
  | { readonly kind: 'refuse'; readonly afterMs: number }
  | { readonly kind: 'time-out'; readonly afterMs: number }
  | { readonly kind: 'never' };

interface Attempt {
  readonly address: string;
  readonly startMs: number;
  readonly options: TcpConnectOptions;
  aborted: boolean;
}

interface Scenario {
  readonly aaaa?: LookupScript;
  readonly a?: LookupScript;
  readonly attempts?: Readonly<Record<string, AttemptScript>>;
}

interface FakeFlow extends Flow {
  readonly aborted: () => boolean;
}

function fakeFlow(address: string, port: number): FakeFlow {
  let aborted = false;
  const fail = (): never => {
    throw new Error('not used here');
  };
  return {
    local: { address: '0.0.0.0', port: 40000 },
    remote: { address, port },
    read: fail,
    write: fail,
    closeWrite: fail,
    close: fail,
    abort: () => {
      aborted = true;
    },
    aborted: () => aborted,
    setNoDelay: () => {},
    counters: () => ({ bytesRead: 0, bytesWritten: 0 }),
  };
}

class Race {
  readonly clock = new ManualClock();
  readonly attempts: Attempt[] = [];
  readonly lookups: { family: 4 | 6; atMs: number }[] = [];
  readonly flows: FakeFlow[] = [];
  outcome: { flow: FakeFlow; atMs: number } | { error: unknown; atMs: number } | undefined;

  constructor(scenario: Scenario, host = 'www.example.test', options: HostConnectOptions = {}) {
    const { clock } = this;
    const lookup: NameLookup = (name, family, signal) => {
      assert.equal(name, host);
      this.lookups.push({ family, atMs: clock.nowMs() });
      const script = family === 6 ? scenario.aaaa : scenario.a;
      return new Promise((resolve, reject) => {
        if (script === undefined) return;
        const timer = clock.setTimer(clock.nowMs() + script.afterMs, () =>
          script.error === undefined ? resolve(script.addresses ?? []) : reject(script.error),
        );
        signal.addEventListener('abort', () => {
          timer.cancel();
          reject(new AbortError());
        });
      });
    };
    const tcp: TcpStack = {
      listen: () => Promise.reject(new Error('not used here')),
      connect: (to: TcpEndpoint, connectOptions: TcpConnectOptions = {}) => {
        const attempt: Attempt = {
          address: to.address,
          startMs: clock.nowMs(),
          options: connectOptions,
          aborted: false,
        };
        this.attempts.push(attempt);
        const script = scenario.attempts?.[to.address] ?? { kind: 'never' };
        return new Promise<Flow>((resolve, reject) => {
          const timer =
            script.kind === 'never'
              ? undefined
              : clock.setTimer(clock.nowMs() + script.afterMs, () => {
                  if (script.kind === 'connect') {
                    const flow = fakeFlow(to.address, to.port);
                    this.flows.push(flow);
                    resolve(flow);
                  } else if (script.kind === 'refuse') {
                    reject(new OasisError('ECONNREFUSED', `${to.address} refused`));
                  } else {
                    reject(new TimeoutError(`${to.address} did not answer`));
                  }
                });
          connectOptions.signal?.addEventListener('abort', () => {
            attempt.aborted = true;
            if (script.kind === 'connect' && script.ignoresAbort === true) return;
            timer?.cancel();
            reject(new AbortError());
          });
        });
      },
    };
    connectToHost({ tcp, lookup, clock, sleep: clock }, { host, port: 443 }, options).then(
      (flow) => {
        this.outcome = { flow: flow as FakeFlow, atMs: clock.nowMs() };
      },
      (error: unknown) => {
        this.outcome = { error, atMs: clock.nowMs() };
      },
    );
  }

  /** Runs timers one at a time, letting the promises they settle run in between. */
  async finish(): Promise<void> {
    for (let fired = 0; fired < 10_000; fired++) {
      await new Promise(setImmediate);
      if (!this.clock.runNext()) return;
    }
    throw new Error('the race never went idle');
  }

  starts(): string[] {
    return this.attempts.map((attempt) => `${attempt.startMs} ${attempt.address}`);
  }

  winner(): { address: string; atMs: number } {
    const outcome = this.outcome;
    assert.ok(outcome !== undefined && 'flow' in outcome, `the race did not connect`);
    return { address: outcome.flow.remote.address, atMs: outcome.atMs };
  }

  error(): { error: OasisError; atMs: number } {
    const outcome = this.outcome;
    assert.ok(outcome !== undefined && 'error' in outcome, 'the race did not fail');
    assert.ok(outcome.error instanceof OasisError, String(outcome.error));
    return { error: outcome.error, atMs: outcome.atMs };
  }
}

const V6 = ['2001:db8::1', '2001:db8::2'];
const V4 = ['192.0.2.1', '192.0.2.2'];
const both = (afterMs = 0): Pick<Scenario, 'aaaa' | 'a'> => ({
  aaaa: { afterMs, addresses: V6 },
  a: { afterMs, addresses: V4 },
});

describe('Happy Eyeballs (RFC 8305)', () => {
  it('asks AAAA, then A, at once, and connects over IPv6 when it answers', async () => {
    const race = new Race({ ...both(5), attempts: { [V6[0]!]: { kind: 'connect', afterMs: 20 } } });
    await race.finish();
    assert.deepEqual(race.lookups, [
      { family: 6, atMs: 0 },
      { family: 4, atMs: 0 },
    ]);
    assert.deepEqual(race.starts(), [`5 ${V6[0]}`]);
    assert.deepEqual(race.winner(), { address: V6[0], atMs: 25 });
  });

  it('starts IPv4 250 ms after an IPv6 attempt that does not answer, and aborts the loser', async () => {
    const race = new Race({ ...both(), attempts: { [V4[0]!]: { kind: 'connect', afterMs: 1 } } });
    await race.finish();
    assert.deepEqual(race.starts(), [`0 ${V6[0]}`, `250 ${V4[0]}`]);
    assert.deepEqual(race.winner(), { address: V4[0], atMs: 251 });
    assert.equal(race.attempts[0]?.aborted, true);
    assert.equal(race.attempts[1]?.aborted, false);
  });

  it('tries the next address as soon as an attempt is refused, 10 ms after the last start at the soonest', async () => {
    const race = new Race({
      ...both(),
      attempts: {
        [V6[0]!]: { kind: 'refuse', afterMs: 2 },
        [V4[0]!]: { kind: 'refuse', afterMs: 30 },
        [V6[1]!]: { kind: 'connect', afterMs: 5 },
      },
    });
    await race.finish();
    assert.deepEqual(race.starts(), [
      `0 ${V6[0]}`,
      `${MIN_ATTEMPT_SPACING_MS} ${V4[0]}`,
      `40 ${V6[1]}`,
    ]);
    assert.deepEqual(race.winner(), { address: V6[1], atMs: 45 });
  });

  it('waits the 50 ms Resolution Delay for AAAA when A answers first', async () => {
    const race = new Race({
      aaaa: { afterMs: 30, addresses: V6 },
      a: { afterMs: 0, addresses: V4 },
      attempts: { [V6[0]!]: { kind: 'connect', afterMs: 1 } },
    });
    await race.finish();
    assert.deepEqual(race.starts(), [`30 ${V6[0]}`]);
  });

  it('starts with IPv4 after the Resolution Delay, and adds late IPv6 addresses to the race', async () => {
    const race = new Race({
      aaaa: { afterMs: 100, addresses: V6 },
      a: { afterMs: 0, addresses: V4 },
      attempts: { [V6[0]!]: { kind: 'connect', afterMs: 1 } },
    });
    await race.finish();
    assert.deepEqual(race.starts(), [`50 ${V4[0]}`, `300 ${V6[0]}`]);
    assert.deepEqual(race.winner(), { address: V6[0], atMs: 301 });
  });

  it('does not wait for AAAA once it answered with nothing', async () => {
    const race = new Race({
      aaaa: { afterMs: 10, addresses: [] },
      a: { afterMs: 0, addresses: V4 },
      attempts: { [V4[0]!]: { kind: 'connect', afterMs: 1 } },
    });
    await race.finish();
    assert.deepEqual(race.starts(), [`10 ${V4[0]}`]);
  });

  it('alternates the families, and names every failure when all fail', async () => {
    const race = new Race({
      ...both(),
      attempts: Object.fromEntries(
        [...V6, ...V4].map((address) => [address, { kind: 'time-out', afterMs: 3000 }]),
      ),
    });
    await race.finish();
    assert.deepEqual(race.starts(), [`0 ${V6[0]}`, `250 ${V4[0]}`, `500 ${V6[1]}`, `750 ${V4[1]}`]);
    const { error, atMs } = race.error();
    assert.equal(error.code, 'ETIMEDOUT');
    assert.equal(atMs, 3750);
    assert.equal(
      error.message,
      'cannot connect to www.example.test port 443: [2001:db8::1]:443 ETIMEDOUT; 192.0.2.1:443 ETIMEDOUT; [2001:db8::2]:443 ETIMEDOUT; 192.0.2.2:443 ETIMEDOUT',
    );
  });

  it('rejects ENOTFOUND for a name without addresses', async () => {
    const race = new Race({ aaaa: { afterMs: 1 }, a: { afterMs: 2 } });
    await race.finish();
    assert.equal(race.error().error.code, 'ENOTFOUND');
    assert.equal(race.error().error.message, 'www.example.test has no address');
    assert.equal(race.attempts.length, 0);
  });

  it("rejects with the lookup's own error when lookups failed and found nothing", async () => {
    const race = new Race({
      aaaa: { afterMs: 1, error: new TimeoutError('no answer from the DNS server') },
      a: { afterMs: 2, addresses: [] },
    });
    await race.finish();
    assert.equal(race.error().error.code, 'ETIMEDOUT');
  });

  it('connects over the family whose lookup worked when the other failed', async () => {
    const race = new Race({
      aaaa: { afterMs: 1, error: new TimeoutError('no answer') },
      a: { afterMs: 0, addresses: V4 },
      attempts: { [V4[0]!]: { kind: 'connect', afterMs: 1 } },
    });
    await race.finish();
    assert.deepEqual(race.starts(), [`1 ${V4[0]}`]);
  });

  it('connects to an address literal directly, without a lookup', async () => {
    for (const host of ['192.0.2.9', '2001:db8::9']) {
      const race = new Race({ attempts: { [host]: { kind: 'connect', afterMs: 1 } } }, host);
      await race.finish();
      assert.deepEqual(race.lookups, []);
      assert.deepEqual(race.winner(), { address: host, atMs: 1 });
    }
  });

  it('asks only for the family of a given local address, and passes the options on', async () => {
    const race = new Race(
      { ...both(), attempts: { [V4[0]!]: { kind: 'connect', afterMs: 1 } } },
      'www.example.test',
      { localAddress: '192.0.2.100', localPort: 4000 },
    );
    await race.finish();
    assert.deepEqual(race.lookups, [{ family: 4, atMs: 0 }]);
    assert.equal(race.attempts[0]?.options.localAddress, '192.0.2.100');
    assert.equal(race.attempts[0]?.options.localPort, 4000);
    const ipv6Only = new Race({ ...both(), aaaa: { afterMs: 0 } }, 'v4.example.test', {
      localAddress: '2001:db8::100',
    });
    await ipv6Only.finish();
    assert.equal(ipv6Only.error().error.message, 'v4.example.test has no IPv6 address');
  });

  it('aborts the lookups and attempts when the caller aborts', async () => {
    const controller = new AbortController();
    const race = new Race({ ...both() }, 'www.example.test', { signal: controller.signal });
    race.clock.setTimer(300, () => controller.abort());
    await race.finish();
    assert.equal(race.error().error.code, 'EABORTED');
    assert.equal(race.error().atMs, 300);
    assert.deepEqual(
      race.attempts.map((attempt) => attempt.aborted),
      [true, true],
    );
  });

  it('aborts a connection that completes after another won', async () => {
    const race = new Race({
      ...both(),
      attempts: {
        [V6[0]!]: { kind: 'connect', afterMs: 260, ignoresAbort: true },
        [V4[0]!]: { kind: 'connect', afterMs: 5 },
      },
    });
    await race.finish();
    assert.deepEqual(race.winner(), { address: V4[0], atMs: 255 });
    const late = race.flows.find((flow) => flow.remote.address === V6[0]);
    assert.equal(late?.aborted(), true);
  });

  it('refuses an attempt delay outside RFC 8305 §5 and a bad port', async () => {
    const clock = new ManualClock();
    const connector = {
      tcp: {} as TcpStack,
      lookup: () => Promise.resolve([]),
      clock,
      sleep: clock,
    };
    assert.throws(
      () => connectToHost(connector, { host: 'a.test', port: 1 }, { attemptDelayMs: 5 }),
      RangeError,
    );
    await assert.rejects(connectToHost(connector, { host: 'a.test', port: 0 }), { code: 'EINVAL' });
  });

  it('keeps the RFC timings under any schedule of answers (property)', async () => {
    const addresses = [...V6, ...V4];
    const outcomeAfter = fc.integer({ min: 0, max: 900 });
    const attempt = fc.oneof(
      fc.record({ kind: fc.constant('connect' as const), afterMs: outcomeAfter }),
      fc.record({ kind: fc.constant('refuse' as const), afterMs: outcomeAfter }),
      fc.constant({ kind: 'time-out' as const, afterMs: 3000 }),
    );
    const lookup = fc.record({ afterMs: fc.integer({ min: 0, max: 400 }), count: fc.nat(2) });
    await fc.assert(
      fc.asyncProperty(
        lookup,
        lookup,
        fc.tuple(attempt, attempt, attempt, attempt),
        async (six, four, scripts) => {
          const aaaa = { afterMs: six.afterMs, addresses: V6.slice(0, six.count) };
          const a = { afterMs: four.afterMs, addresses: V4.slice(0, four.count) };
          const script = (address: string): AttemptScript => scripts[addresses.indexOf(address)]!;
          const race = new Race({
            aaaa,
            a,
            attempts: Object.fromEntries(addresses.map((address) => [address, script(address)])),
          });
          await race.finish();
          const outcome = race.outcome;
          assert.ok(outcome !== undefined, 'the race settled');
          const starts = race.attempts.map((entry) => entry.startMs);
          for (let i = 1; i < starts.length; i++) {
            assert.ok(
              starts[i]! - starts[i - 1]! >= MIN_ATTEMPT_SPACING_MS,
              'attempts 10 ms apart',
            );
          }
          assert.ok(
            starts.every((startMs) => startMs <= outcome.atMs),
            'no attempt after the end',
          );
          assert.equal(starts[0], expectedFirstStartMs(aaaa, a), 'the first start (§3)');
          if (six.count > 0 && (four.count === 0 || aaaa.afterMs <= a.afterMs + 50)) {
            assert.ok(race.attempts[0]!.address.includes(':'), 'IPv6 first when AAAA came in time');
          }
          if ('flow' in outcome) {
            const winner = outcome.flow.remote.address;
            assert.equal(script(winner).kind, 'connect');
            for (const entry of race.attempts) {
              if (entry.address !== winner && script(entry.address).kind !== 'refuse') {
                assert.ok(entry.aborted, `${entry.address} aborted after the win`);
              }
            }
          } else {
            // A race fails only after every address was tried and none could connect.
            assert.equal(race.attempts.length, six.count + four.count);
            assert.ok(race.attempts.every((entry) => script(entry.address).kind !== 'connect'));
          }
        },
      ),
      { numRuns: 200, seed: 8305 },
    );
  });
});

/** §3: AAAA starts the race when it answers first with addresses; A waits 50 ms for it. */
function expectedFirstStartMs(
  aaaa: { afterMs: number; addresses: readonly string[] },
  a: { afterMs: number; addresses: readonly string[] },
): number | undefined {
  const ipv6 = aaaa.addresses.length > 0;
  if (!ipv6 && a.addresses.length === 0) return undefined;
  if (ipv6 && (aaaa.afterMs <= a.afterMs || a.addresses.length === 0)) return aaaa.afterMs;
  if (a.afterMs >= aaaa.afterMs) return a.afterMs;
  return Math.min(aaaa.afterMs, a.afterMs + 50);
}
