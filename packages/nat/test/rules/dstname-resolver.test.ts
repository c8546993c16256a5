import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger, ManualClock, MemorySink, unwrap } from '@oasis/core';
import { parseIpv4Address } from '@oasis/wire';
import {
  DstnameResolver,
  type DstnameResolverOptions,
  type NameAnswer,
} from '../../src/rules/dstname-resolver.ts';
import { parseRules } from '../../src/rules/rule-parser.ts';
import { RuleSet } from '../../src/rules/rule-set.ts';

const ip = (text: string): number => unwrap(parseIpv4Address(text));

/** Lets pending promise callbacks run; virtual time does not move. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

type Outcome = NameAnswer | Error | 'hold';

/**
 * A scripted DNS: each lookup of a name takes the next outcome scripted for it, the last one
 * repeating, and is logged as `seconds:name`; 'hold' answers when the test calls release().
 */
class ScriptedDns {
  readonly asked: string[] = [];
  readonly #script = new Map<string, Outcome[]>();
  readonly #held: ((answer: NameAnswer) => void)[] = [];
  readonly #clock: ManualClock;

  constructor(clock: ManualClock) {
    this.#clock = clock;
  }

  script(name: string, ...outcomes: Outcome[]): void {
    this.#script.set(name, outcomes);
  }

  /** The times, in seconds, at which `name` was looked up. */
  times(name: string): number[] {
    return this.asked
      .filter((entry) => entry.endsWith(`:${name}`))
      .map((entry) => Number(entry.slice(0, entry.indexOf(':'))));
  }

  /** Answers every held lookup with `answer`. */
  release(answer: NameAnswer): void {
    for (const resume of this.#held.splice(0)) resume(answer);
  }

  resolve = (name: string): Promise<NameAnswer> => {
    this.asked.push(`${this.#clock.nowMs() / 1000}:${name}`);
    const outcomes = this.#script.get(name) ?? [new Error(`nothing scripted for ${name}`)];
    const outcome = outcomes.length > 1 ? outcomes.shift()! : outcomes[0]!;
    if (outcome === 'hold') return new Promise((resolve) => this.#held.push(resolve));
    return outcome instanceof Error ? Promise.reject(outcome) : Promise.resolve(outcome);
  };
}

function ruleSet(...lines: string[]): RuleSet {
  return new RuleSet(unwrap(parseRules(lines.join('\n'), 'test')));
}

const A = (ttlSeconds: number, ...addresses: string[]): NameAnswer => ({
  addresses: addresses.map(ip),
  ttlSeconds,
});

/** The rule index a TCP flow from 10.0.0.1 to `destination` port 443 matches. */
const matchTo = (set: RuleSet, destination: string): number =>
  set.match(ip('10.0.0.1'), 6, ip(destination), 443, 0, false);

function setup(options: Partial<DstnameResolverOptions> = {}) {
  const clock = new ManualClock();
  const dns = new ScriptedDns(clock);
  const sink = new MemorySink();
  let changes = 0;
  const resolver = new DstnameResolver({
    resolve: dns.resolve,
    sleep: clock,
    clock,
    onChange: () => changes++,
    logger: createLogger({ source: 'test', sink, clock, level: 'debug' }),
    ...options,
  });
  return { clock, dns, sink, resolver, changes: () => changes };
}

/**
 * Advances virtual time to `seconds`, one timer at a time, letting each lookup that falls due
 * answer (and set its next timer) before time moves on: a DNS answering at once.
 */
async function advanceTo(clock: ManualClock, seconds: number): Promise<void> {
  const targetMs = seconds * 1000;
  for (let fired = 0; ; fired++) {
    const next = clock.nextDeadlineMs();
    if (next === undefined || next > targetMs) break;
    // A timer re-armed for the same instant would otherwise loop here for ever.
    assert.ok(fired < 10_000, `lookups loop at ${clock.nowMs()} ms`);
    clock.runNext();
    await settle();
  }
  clock.advanceTo(targetMs);
}

describe('DstnameResolver', () => {
  it('gives the names their first answers before follow() resolves, and re-asks at the TTL', async () => {
    const { clock, dns, resolver, changes } = setup();
    const set = ruleSet('* accept proto=tcp dstname=a.example', '* drop dstname=b.example');
    dns.script('a.example', A(300, '192.0.2.1'), A(300, '192.0.2.2'));
    dns.script('b.example', A(120, '198.51.100.1'));
    await resolver.follow(set);
    assert.deepEqual(dns.asked, ['0:a.example', '0:b.example']);
    assert.equal(matchTo(set, '192.0.2.1'), 0);
    assert.equal(matchTo(set, '198.51.100.1'), 1);
    assert.equal(changes(), 2);

    await advanceTo(clock, 299.999);
    assert.deepEqual(dns.times('a.example'), [0]);
    assert.deepEqual(dns.times('b.example'), [0, 120, 240]);
    await advanceTo(clock, 300);
    assert.deepEqual(dns.times('a.example'), [0, 300]);
    assert.equal(matchTo(set, '192.0.2.1'), -1, 'the new answer replaces the old');
    assert.equal(matchTo(set, '192.0.2.2'), 0);
    assert.equal(changes(), 3);
    resolver.close();
  });

  it('calls onChange only when the addresses differ', async () => {
    const { clock, dns, resolver, changes } = setup();
    dns.script(
      'a.example',
      A(60, '192.0.2.1', '192.0.2.2'),
      A(60, '192.0.2.2', '192.0.2.1', '192.0.2.2'),
      A(60, '192.0.2.2'),
    );
    await resolver.follow(ruleSet('* accept dstname=a.example'));
    assert.equal(changes(), 1);
    await advanceTo(clock, 60);
    assert.equal(changes(), 1, 'same addresses, another order');
    await advanceTo(clock, 120);
    assert.equal(changes(), 2);
    resolver.close();
  });

  it('clamps a TTL below minTtlSeconds and above maxTtlSeconds', async () => {
    const { clock, dns, resolver } = setup();
    dns.script('zero.example', A(0, '192.0.2.1'));
    dns.script('long.example', A(10_000_000, '192.0.2.2'), A(60, '192.0.2.2'));
    await resolver.follow(
      ruleSet('* accept dstname=zero.example', '* accept dstname=long.example'),
    );
    await advanceTo(clock, 29);
    assert.deepEqual(dns.times('zero.example'), [0]);
    await advanceTo(clock, 30);
    assert.deepEqual(dns.times('zero.example'), [0, 30], 'a TTL of 0 waits the default 30 s');
    await advanceTo(clock, 86_399);
    assert.deepEqual(dns.times('long.example'), [0]);
    await advanceTo(clock, 86_400);
    assert.deepEqual(dns.times('long.example'), [0, 86_400], 'capped at the default day');
    resolver.close();
  });

  it('honours minTtlSeconds and maxTtlSeconds given as options', async () => {
    const { clock, dns, resolver } = setup({ minTtlSeconds: 10, maxTtlSeconds: 600 });
    dns.script('short.example', A(5, '192.0.2.1'));
    dns.script('long.example', A(3600, '192.0.2.2'));
    await resolver.follow(ruleSet('* accept dstname=short.example', '* drop dstname=long.example'));
    await advanceTo(clock, 600);
    assert.deepEqual(dns.times('short.example').slice(0, 3), [0, 10, 20]);
    assert.deepEqual(dns.times('long.example'), [0, 600]);
    resolver.close();
  });

  it('keeps the last answer while lookups fail, retrying every retrySeconds', async () => {
    const { clock, dns, resolver, sink, changes } = setup({ retrySeconds: 20 });
    const set = ruleSet('* accept dstname=a.example');
    dns.script(
      'a.example',
      A(100, '192.0.2.1'),
      new Error('timed out'),
      new Error('SERVFAIL'),
      A(100, '192.0.2.9'),
    );
    await resolver.follow(set);
    await advanceTo(clock, 100);
    assert.equal(matchTo(set, '192.0.2.1'), 0, 'kept after the first failure');
    await advanceTo(clock, 119);
    assert.equal(dns.asked.length, 2);
    await advanceTo(clock, 120);
    assert.equal(matchTo(set, '192.0.2.1'), 0, 'kept after the second failure');
    await advanceTo(clock, 140);
    assert.deepEqual(dns.asked, ['0:a.example', '100:a.example', '120:a.example', '140:a.example']);
    assert.equal(matchTo(set, '192.0.2.1'), -1);
    assert.equal(matchTo(set, '192.0.2.9'), 0);
    assert.equal(changes(), 2);
    await advanceTo(clock, 239);
    assert.equal(dns.asked.length, 4, 'back on the TTL schedule');
    const warnings = sink.records.filter((record) => record.level === 'warn');
    assert.equal(warnings.length, 2);
    assert.deepEqual(warnings[0]?.fields?.['addresses'], ['192.0.2.1']);
    resolver.close();
  });

  it('finishes follow() after a failed first lookup, the rule matching nothing until an answer', async () => {
    const { clock, dns, resolver } = setup();
    const set = ruleSet('* accept dstname=a.example', '* drop');
    dns.script('a.example', new Error('network unreachable'), A(60, '192.0.2.1'));
    await resolver.follow(set);
    assert.equal(matchTo(set, '192.0.2.1'), 1);
    await advanceTo(clock, 30);
    assert.deepEqual(dns.asked, ['0:a.example', '30:a.example']);
    assert.equal(matchTo(set, '192.0.2.1'), 0);
    resolver.close();
  });

  it('treats NXDOMAIN (no addresses) as an answer, asking again at its negative TTL', async () => {
    const { clock, dns, resolver } = setup();
    const set = ruleSet('* accept dstname=a.example');
    dns.script('a.example', A(60, '192.0.2.1'), A(900), A(60, '192.0.2.3'));
    await resolver.follow(set);
    await advanceTo(clock, 60);
    assert.equal(matchTo(set, '192.0.2.1'), -1);
    await advanceTo(clock, 959);
    assert.equal(dns.asked.length, 2);
    await advanceTo(clock, 960);
    assert.equal(matchTo(set, '192.0.2.3'), 0);
    resolver.close();
  });

  it('treats an answer with a non-address as a failed lookup', async () => {
    const { dns, resolver, sink } = setup();
    const set = ruleSet('* accept dstname=a.example');
    dns.script('a.example', { addresses: [ip('192.0.2.1'), -5], ttlSeconds: 60 });
    await resolver.follow(set);
    assert.equal(matchTo(set, '192.0.2.1'), -1);
    assert.equal(sink.records.filter((record) => record.level === 'warn').length, 1);
    resolver.close();
  });

  it('on follow() of a new set, gives surviving names their addresses at once and keeps their schedule', async () => {
    const { clock, dns, resolver } = setup();
    dns.script('keep.example', A(300, '192.0.2.1'), A(300, '192.0.2.2'));
    dns.script('gone.example', A(100, '198.51.100.1'));
    dns.script('new.example', 'hold', A(600, '203.0.113.7'));
    await resolver.follow(ruleSet('* accept dstname=keep.example', '* drop dstname=gone.example'));
    await advanceTo(clock, 50);

    const reloaded = ruleSet(
      '10.0.0.0/8 drop dstname=new.example',
      '10.0.0.1 accept proto=tcp dstname=KEEP.example dstports=443',
    );
    let followed = false;
    const following = resolver.follow(reloaded).then(() => {
      followed = true;
    });
    // Synchronously, before any lookup: the surviving name already matches.
    assert.equal(matchTo(reloaded, '192.0.2.1'), 1);
    assert.deepEqual(dns.asked, ['0:keep.example', '0:gone.example', '50:new.example']);
    await settle();
    assert.equal(followed, false, 'waits for the first answer of the new name');
    dns.release(A(60, '203.0.113.7'));
    await following;
    assert.equal(matchTo(reloaded, '203.0.113.7'), 0);

    await advanceTo(clock, 300);
    // gone.example is no longer asked at 100; keep.example keeps its 300 s schedule.
    assert.deepEqual(dns.asked.slice(3), ['110:new.example', '300:keep.example']);
    assert.equal(matchTo(reloaded, '192.0.2.2'), 1);
    resolver.close();
  });

  it('ignores the answer of a lookup in flight for a name the new set dropped', async () => {
    const { dns, resolver, changes } = setup();
    dns.script('a.example', 'hold');
    const first = resolver.follow(ruleSet('* accept dstname=a.example'));
    const second = ruleSet('* accept dstname=b.example');
    dns.script('b.example', A(60, '192.0.2.2'));
    await resolver.follow(second);
    await first;
    dns.release(A(60, '192.0.2.1'));
    await settle();
    assert.equal(changes(), 1, 'only b.example changed');
    assert.equal(matchTo(second, '192.0.2.1'), -1);
    assert.equal(matchTo(second, '192.0.2.2'), 0);
    resolver.close();
  });

  it('close() cancels every timer and ignores answers still in flight', async () => {
    const { clock, dns, resolver, changes } = setup();
    const set = ruleSet('* accept dstname=a.example', '* accept dstname=b.example');
    dns.script('a.example', A(60, '192.0.2.1'));
    dns.script('b.example', 'hold');
    const following = resolver.follow(set);
    await settle();
    assert.equal(clock.pendingTimers, 1, 'a.example waits for its TTL');
    resolver.close();
    await following;
    assert.equal(clock.pendingTimers, 0);
    dns.release(A(60, '192.0.2.2'));
    await settle();
    assert.equal(matchTo(set, '192.0.2.2'), -1);
    assert.equal(changes(), 1);
    assert.equal(clock.pendingTimers, 0);
    await advanceTo(clock, 3600);
    assert.deepEqual(dns.asked, ['0:a.example', '0:b.example']);
    await assert.rejects(resolver.follow(set), TypeError);
  });

  it('refuses options that would loop or never refresh', () => {
    const clock = new ManualClock();
    const base = { resolve: () => Promise.resolve(A(1)), sleep: clock, clock };
    assert.throws(() => new DstnameResolver({ ...base, minTtlSeconds: 0 }), RangeError);
    assert.throws(() => new DstnameResolver({ ...base, retrySeconds: 0 }), RangeError);
    assert.throws(
      () => new DstnameResolver({ ...base, minTtlSeconds: 60, maxTtlSeconds: 59 }),
      RangeError,
    );
    assert.throws(() => new DstnameResolver({ ...base, maxTtlSeconds: Number.NaN }), RangeError);
    // Infinite: it would never refresh.
    assert.throws(() => new DstnameResolver({ ...base, retrySeconds: Infinity }), RangeError);
    assert.ok(new DstnameResolver({ ...base, maxTtlSeconds: 2_147_483 }));
  });
});
