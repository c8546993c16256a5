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
import fc from 'fast-check';
import {
  type Ipv6ConfigAction,
  Ipv6HostConfig,
  type Ipv6HostConfigOptions,
} from '../src/ipv6-host-config.ts';
import type { PrefixInformation, RouterAdvertisementInfo } from '../src/ipv6-router-discovery.ts';

function ip6(text: string): Uint8Array {
  const parsed = parseIpv6Address(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
}

const f = formatIpv6Address;
/** The modified EUI-64 of 02:00:5e:10:00:01 (RFC 4291 Appendix A). */
const IID = Uint8Array.of(0x00, 0x00, 0x5e, 0xff, 0xfe, 0x10, 0x00, 0x01);
const LINK_LOCAL = 'fe80::5eff:fe10:1';
const LINK_LOCAL_GROUP = 'ff02::1:ff10:1';
const STATIC = '2001:db8:1::7';
const STATIC_GROUP = 'ff02::1:ff00:7';
const SLAAC = '2001:db8:5::5eff:fe10:1';
const ROUTER = ip6('fe80::1');
const ROUTER_2 = ip6('fe80::2');
const UNSPECIFIED = ip6('::');
const HOUR_S = 3600;
const INFINITE = 0xffff_ffff;

function config(
  seed: number,
  overrides: Partial<Ipv6HostConfigOptions> = {},
  nowMs = 0,
): Ipv6HostConfig {
  return new Ipv6HostConfig({
    mode: 'auto',
    interfaceIdentifier: IID,
    staticAddresses: [],
    linkMtu: 1500,
    random: new SeededRandom(seed),
    nowMs,
    ...overrides,
  });
}

function staticConfig(seed: number, overrides: Partial<Ipv6HostConfigOptions> = {}) {
  return config(seed, {
    mode: 'static',
    staticAddresses: [{ address: ip6(STATIC), prefixLength: 64 }],
    ...overrides,
  });
}

const RECORD_NAMES: Record<number, string> = {
  [MLD_MODE_IS_EXCLUDE]: 'IS_EX',
  [MLD_CHANGE_TO_INCLUDE_MODE]: 'TO_IN',
  [MLD_CHANGE_TO_EXCLUDE_MODE]: 'TO_EX',
};

/** One line per action, addresses as text, so that timelines compare at a glance. */
function describeAction(action: Ipv6ConfigAction): string {
  switch (action.kind) {
    case 'dad-solicit':
      return `dad-solicit ${f(action.target)}`;
    case 'router-solicit':
      return `router-solicit from ${action.source === undefined ? '::' : f(action.source)}`;
    case 'mld-report':
      return `mld-report ${action.records.map((r) => `${RECORD_NAMES[r.type]} ${f(r.address)}`).join(', ')}`;
    case 'address-ready':
      return `address-ready ${f(action.address)}/${action.prefixLength}`;
    case 'address-duplicate':
      return `address-duplicate ${f(action.address)}${action.linkLocal ? ' link-local' : ''}`;
    case 'address-removed':
      return `address-removed ${f(action.address)}`;
    case 'unsolicited-advertise':
      return `unsolicited-advertise ${f(action.address)}`;
  }
}

interface Sent {
  readonly atMs: number;
  readonly action: Ipv6ConfigAction;
  readonly text: string;
}

/** Polls at every `pollAt()` up to `untilMs`, as the stack's timer would. */
function run(c: Ipv6HostConfig, untilMs: number): Sent[] {
  const sent: Sent[] = [];
  let previous = Number.NEGATIVE_INFINITY;
  for (let atMs = c.pollAt(); atMs !== undefined && atMs <= untilMs; atMs = c.pollAt()) {
    assert.ok(atMs > previous, `pollAt() is ${atMs} again after a poll at ${previous}`);
    previous = atMs;
    for (const action of c.poll(atMs)) sent.push({ atMs, action, text: describeAction(action) });
  }
  return sent;
}

function texts(sent: readonly Sent[]): string[] {
  return sent.map((s) => s.text);
}

function find(sent: readonly Sent[], text: string): Sent {
  const found = sent.find((s) => s.text === text);
  assert.ok(found, `expected '${text}' among ${JSON.stringify(texts(sent))}`);
  return found;
}

function prefixInfo(prefix: string, overrides: Partial<PrefixInformation> = {}): PrefixInformation {
  return {
    prefix: ip6(prefix),
    prefixLength: 64,
    onLink: true,
    autonomous: true,
    validLifetimeS: 2 * HOUR_S * 12,
    preferredLifetimeS: HOUR_S * 4,
    ...overrides,
  };
}

function ra(overrides: Partial<RouterAdvertisementInfo> = {}): RouterAdvertisementInfo {
  return {
    source: ROUTER,
    curHopLimit: 0,
    routerLifetimeS: 1800,
    reachableTimeMs: 0,
    retransTimerMs: 0,
    prefixes: [],
    ...overrides,
  };
}

function state(c: Ipv6HostConfig, address: string): string | undefined {
  return c.addresses().find((a) => f(a.address) === address)?.state;
}

describe('Ipv6HostConfig: duplicate address detection (RFC 4862 §5.4)', () => {
  it('joins the solicited-node group, sends one NS with a nonce within 1 s, and is ready RetransTimer later', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const c = staticConfig(seed);
      assert.equal(c.ready, false);
      assert.equal(c.isTentative(ip6(STATIC)), true);
      assert.equal(c.owns(ip6(STATIC)), false);
      // §5.4: the interface listens to the group from the start, to hear others' DAD.
      assert.equal(c.isJoined(ip6(STATIC_GROUP)), true);
      const sent = run(c, 10_000);
      for (const [address, group] of [
        [STATIC, STATIC_GROUP],
        [LINK_LOCAL, LINK_LOCAL_GROUP],
      ] as const) {
        const solicit = find(sent, `dad-solicit ${address}`);
        assert.ok(solicit.atMs >= 0 && solicit.atMs <= 1000, `first NS at ${solicit.atMs}`);
        assert.ok(solicit.action.kind === 'dad-solicit');
        assert.equal(solicit.action.nonce.length, 6);
        // The report joining the group goes out no later than the NS, and before it.
        const join = sent.findIndex((s) => s.text.includes(`TO_EX ${group}`));
        assert.ok(join >= 0 && join < sent.indexOf(solicit));
        assert.equal(sent[join]!.atMs, solicit.atMs);
        const ready = find(sent, `address-ready ${address}/64`);
        assert.equal(ready.atMs, solicit.atMs + 1000);
        assert.equal(sent.filter((s) => s.text === `dad-solicit ${address}`).length, 1);
      }
      assert.equal(c.ready, true);
      assert.equal(c.owns(ip6(STATIC)), true);
      assert.equal(c.isTentative(ip6(STATIC)), false);
      assert.equal(state(c, STATIC), 'preferred');
      // RFC 9131: routers hear of the new global address; the link-local one is not announced.
      assert.deepEqual(
        texts(sent).filter((t) => t.startsWith('unsolicited-advertise')),
        [`unsolicited-advertise ${STATIC}`],
      );
    }
  });

  it('draws its nonces and delays from the Random it is given', () => {
    const nonces = (seed: number) =>
      run(staticConfig(seed), 5000)
        .filter((s) => s.action.kind === 'dad-solicit')
        .map((s) => (s.action.kind === 'dad-solicit' ? [...s.action.nonce].join() : ''));
    assert.deepEqual(nonces(3), nonces(3));
    assert.notDeepEqual(nonces(3), nonces(4));
    const [first, second] = nonces(3);
    assert.notEqual(first, second, 'each solicitation has its own nonce');
  });

  it('sends DupAddrDetectTransmits solicitations RetransTimer apart', () => {
    const c = staticConfig(5, { dadTransmits: 3 });
    const sent = run(c, 10_000).filter(
      (s) => s.text.endsWith(STATIC) || s.text.includes(`${STATIC}/`),
    );
    const times = sent.map((s) => [s.text, s.atMs - sent[0]!.atMs]);
    assert.deepEqual(times, [
      [`dad-solicit ${STATIC}`, 0],
      [`dad-solicit ${STATIC}`, 1000],
      [`dad-solicit ${STATIC}`, 2000],
      [`address-ready ${STATIC}/64`, 3000],
      [`unsolicited-advertise ${STATIC}`, 3000],
    ]);
  });

  it('with dadTransmits 0, assigns at once and still joins the groups', () => {
    const c = staticConfig(5, { dadTransmits: 0 });
    assert.equal(c.ready, true);
    assert.equal(c.owns(ip6(STATIC)), true);
    assert.equal(c.owns(ip6(LINK_LOCAL)), true);
    assert.equal(c.pollAt(), 0);
    const sent = run(c, 0);
    assert.deepEqual(texts(sent).slice(0, 3), [
      `address-ready ${LINK_LOCAL}/64`,
      `address-ready ${STATIC}/64`,
      `unsolicited-advertise ${STATIC}`,
    ]);
    assert.ok(texts(sent)[3]!.includes(`TO_EX ${LINK_LOCAL_GROUP}`));
    assert.ok(!texts(sent).some((t) => t.startsWith('dad-solicit')));
  });

  it('ignores its own solicitation looped back (RFC 7527 nonce)', () => {
    const c = staticConfig(6);
    const sent: Sent[] = [];
    let solicit: Ipv6ConfigAction | undefined;
    while (solicit === undefined) {
      const atMs = c.pollAt()!;
      for (const action of c.poll(atMs)) {
        sent.push({ atMs, action, text: describeAction(action) });
        if (action.kind === 'dad-solicit' && f(action.target) === STATIC) solicit = action;
      }
    }
    assert.ok(solicit.kind === 'dad-solicit');
    c.onNeighborSolicitation(
      { source: UNSPECIFIED, target: solicit.target, nonce: solicit.nonce },
      10,
    );
    assert.equal(c.counters.get('dad.looped-back'), 1);
    assert.equal(state(c, STATIC), 'tentative');
    run(c, 10_000);
    assert.equal(state(c, STATIC), 'preferred');
  });

  it('gives up an address another node is also testing, or already has', () => {
    const cases: { name: string; feed: (c: Ipv6HostConfig) => void }[] = [
      {
        name: 'NS from :: without a nonce',
        feed: (c) => c.onNeighborSolicitation({ source: UNSPECIFIED, target: ip6(STATIC) }, 100),
      },
      {
        name: 'NS from :: with another nonce',
        feed: (c) =>
          c.onNeighborSolicitation(
            { source: UNSPECIFIED, target: ip6(STATIC), nonce: Uint8Array.of(1, 2, 3, 4, 5, 6) },
            100,
          ),
      },
      {
        name: 'NA for the address',
        feed: (c) => c.onNeighborAdvertisement({ target: ip6(STATIC) }, 100),
      },
    ];
    for (const { name, feed } of cases) {
      const c = staticConfig(7);
      feed(c);
      assert.equal(c.pollAt(), 100, name);
      const sent = run(c, 10_000);
      assert.equal(sent[0]?.text, `address-duplicate ${STATIC}`, name);
      assert.equal(state(c, STATIC), 'duplicate', name);
      assert.equal(c.owns(ip6(STATIC)), false, name);
      assert.equal(c.isTentative(ip6(STATIC)), false, name);
      assert.equal(c.disabled, false, name);
      assert.equal(c.ready, true, `${name}: DAD is over`);
      assert.ok(!texts(sent).includes(`dad-solicit ${STATIC}`), `${name}: no NS for it any more`);
      assert.ok(!texts(sent).some((t) => t.includes(STATIC_GROUP)), `${name}: never reported`);
      assert.equal(c.isJoined(ip6(STATIC_GROUP)), false, name);
      assert.equal(c.sourceFor(ip6('2001:db8:1::99')), undefined, name);
      assert.equal(state(c, LINK_LOCAL), 'preferred', `${name}: the link-local address is fine`);
    }
  });

  it('reports leaving the group when DAD fails after the join was reported', () => {
    const c = staticConfig(8);
    const sent = run(c, 1000);
    const solicit = find(sent, `dad-solicit ${STATIC}`);
    c.onNeighborAdvertisement({ target: ip6(STATIC) }, solicit.atMs + 500);
    const after = run(c, 10_000);
    assert.equal(after[0]!.text, `address-duplicate ${STATIC}`);
    const leaves = after.filter((s) => s.text.includes(`TO_IN ${STATIC_GROUP}`));
    assert.equal(leaves.length, 2, 'Robustness Variable: two reports');
  });

  it('ignores solicitations from a unicast source, and NS/NA for addresses not ours', () => {
    const c = staticConfig(9);
    c.onNeighborSolicitation({ source: ip6('2001:db8:1::2'), target: ip6(STATIC) }, 0);
    c.onNeighborSolicitation({ source: UNSPECIFIED, target: ip6('2001:db8:1::8') }, 0);
    c.onNeighborAdvertisement({ target: ip6('2001:db8:1::8') }, 0);
    assert.equal(state(c, STATIC), 'tentative');
    run(c, 10_000);
    assert.equal(state(c, STATIC), 'preferred');
    // RFC 4862 §5.4.4: an NA for an address in use is only logged.
    c.onNeighborAdvertisement({ target: ip6(STATIC) }, 10_000);
    c.onNeighborSolicitation({ source: UNSPECIFIED, target: ip6(STATIC) }, 10_000);
    assert.equal(c.counters.get('dad.conflict-after-dad'), 1);
    assert.equal(state(c, STATIC), 'preferred');
  });

  it('disables IPv6 on the interface when the link-local address is a duplicate (§5.4.5)', () => {
    const c = staticConfig(10, { staticGateway: ROUTER });
    run(c, 100);
    c.onNeighborSolicitation({ source: UNSPECIFIED, target: ip6(LINK_LOCAL) }, 150);
    assert.equal(c.disabled, true);
    assert.deepEqual(texts(run(c, 200_000)), [
      `address-duplicate ${LINK_LOCAL} link-local`,
      `address-removed ${STATIC}`,
    ]);
    assert.equal(c.pollAt(), undefined, 'nothing is ever sent again');
    assert.deepEqual(c.groups(), []);
    assert.equal(c.isJoined(ip6('ff02::1')), false);
    assert.equal(c.owns(ip6(STATIC)), false);
    assert.equal(c.sourceFor(ip6('fe80::9')), undefined);
    assert.equal(c.defaultRouter(), undefined);
    assert.equal(c.isOnLink(ip6('fe80::9')), false);
    assert.deepEqual(
      c.addresses().map((a) => [f(a.address), a.state]),
      [[LINK_LOCAL, 'duplicate']],
    );
    c.join(ip6('ff02::fb'), 300);
    c.onMldQuery({ multicastAddress: UNSPECIFIED, maxResponseDelayMs: 0 }, 300);
    assert.equal(c.pollAt(), undefined);
  });
});

describe('Ipv6HostConfig: router discovery (RFC 4861 §6.3.7, §6.3.4)', () => {
  it('solicits three times, 4 s apart, after a random delay of at most 1 s', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const c = config(seed);
      const solicits = run(c, 120_000).filter((s) => s.action.kind === 'router-solicit');
      assert.equal(solicits.length, 3);
      const [a, b, d] = solicits.map((s) => s.atMs) as [number, number, number];
      assert.ok(a >= 0 && a <= 1000);
      assert.equal(b - a, 4000);
      assert.equal(d - b, 4000);
      // The link-local address is tentative for the first (DAD ends 1-2 s in), usable after.
      assert.equal(solicits[0]!.text, 'router-solicit from ::');
      assert.equal(solicits[1]!.text, `router-solicit from ${LINK_LOCAL}`);
    }
  });

  it('stops soliciting once an advertisement names a default router', () => {
    const c = config(2);
    const first = run(c, 1000).filter((s) => s.action.kind === 'router-solicit');
    assert.equal(first.length, 1);
    c.onRouterAdvertisement(ra({ routerLifetimeS: 0 }), 2000);
    assert.equal(
      run(c, 6000).filter((s) => s.action.kind === 'router-solicit').length,
      1,
      'an advertisement with router lifetime 0 does not stop them (§6.3.7)',
    );
    c.onRouterAdvertisement(ra(), 6000);
    assert.equal(run(c, 60_000).filter((s) => s.action.kind === 'router-solicit').length, 0);
  });

  it('does not solicit in static mode, and ignores advertisements there', () => {
    const c = staticConfig(3);
    c.onRouterAdvertisement(ra({ prefixes: [prefixInfo('2001:db8:5::')], curHopLimit: 9 }), 0);
    assert.equal(c.counters.get('ndp.ra-ignored-static'), 1);
    assert.equal(c.defaultRouter(), undefined);
    assert.equal(c.hopLimit, 64);
    assert.ok(!run(c, 60_000).some((s) => s.action.kind === 'router-solicit'));
    assert.equal(c.addresses().length, 2);
  });

  it('keeps default routers for their lifetime; lifetime 0 or routerLost removes one', () => {
    const c = config(4);
    c.onRouterAdvertisement(ra({ routerLifetimeS: 600 }), 1000);
    c.onRouterAdvertisement(ra({ source: ROUTER_2, routerLifetimeS: 1200 }), 1000);
    assert.equal(f(c.defaultRouter()!), 'fe80::1');
    assert.deepEqual(
      c.routers().map((r) => [f(r.address), r.expiresMs]),
      [
        ['fe80::1', 601_000],
        ['fe80::2', 1_201_000],
      ],
    );
    // RFC 4861 §6.3.6: one the neighbour cache knows unreachable is passed over.
    assert.equal(f(c.defaultRouter((r) => f(r) !== 'fe80::1')!), 'fe80::2');
    assert.equal(f(c.defaultRouter(() => false)!), 'fe80::1');
    // A refresh moves the expiry.
    c.onRouterAdvertisement(ra({ routerLifetimeS: 1800 }), 2000);
    assert.equal(c.routers()[0]!.expiresMs, 1_802_000);
    c.onRouterAdvertisement(ra({ routerLifetimeS: 0 }), 3000);
    assert.equal(f(c.defaultRouter()!), 'fe80::2');
    run(c, 1_200_999);
    assert.equal(c.routers().length, 1);
    run(c, 1_201_000);
    assert.equal(c.defaultRouter(), undefined, 'expired');
    c.onRouterAdvertisement(ra({ source: ROUTER_2 }), 1_300_000);
    c.routerLost(ROUTER_2);
    assert.equal(c.defaultRouter(), undefined);
  });

  it('puts a static gateway first, and keeps it', () => {
    const c = config(5, { staticGateway: ip6('fe80::99') });
    c.onRouterAdvertisement(ra(), 0);
    assert.equal(f(c.defaultRouter()!), 'fe80::99');
    c.routerLost(ip6('fe80::99'));
    assert.equal(f(c.defaultRouter()!), 'fe80::99');
    assert.equal(c.routers().length, 1, 'the learned router is still listed');
  });

  it('takes CurHopLimit, RetransTimer and BaseReachableTime when non-zero', () => {
    const c = config(6);
    assert.equal(c.hopLimit, 64);
    assert.equal(c.retransTimerMs, 1000);
    assert.ok(c.reachableTimeMs >= 15_000 && c.reachableTimeMs < 45_000);
    c.onRouterAdvertisement(
      ra({ curHopLimit: 200, retransTimerMs: 2500, reachableTimeMs: 10_000 }),
      0,
    );
    assert.equal(c.hopLimit, 200);
    assert.equal(c.retransTimerMs, 2500);
    assert.ok(c.reachableTimeMs >= 5000 && c.reachableTimeMs < 15_000, `${c.reachableTimeMs}`);
    c.onRouterAdvertisement(ra(), 0);
    assert.equal(c.hopLimit, 200, 'zero leaves them as they were');
    assert.equal(c.retransTimerMs, 2500);
    assert.ok(c.reachableTimeMs >= 5000 && c.reachableTimeMs < 15_000);
  });

  it('draws ReachableTime again at least every two hours', () => {
    const c = config(7);
    c.onRouterAdvertisement(ra({ reachableTimeMs: 20_000, routerLifetimeS: 9000 }), 0);
    const seen = new Set<number>([c.reachableTimeMs]);
    for (let hours = 2; hours <= 12; hours += 2) {
      c.onRouterAdvertisement(
        ra({ reachableTimeMs: 20_000, routerLifetimeS: 9000 }),
        hours * 3_600_000 - 1,
      );
      run(c, hours * 3_600_000);
      assert.ok(c.reachableTimeMs >= 10_000 && c.reachableTimeMs < 30_000);
      seen.add(c.reachableTimeMs);
    }
    assert.ok(seen.size >= 5, `drawn ${seen.size} distinct values`);
  });

  it('uses the advertised RetransTimer between DAD solicitations', () => {
    const c = config(8, { dadTransmits: 2 });
    run(c, 10_000);
    c.onRouterAdvertisement(
      ra({ retransTimerMs: 3000, prefixes: [prefixInfo('2001:db8:5::')] }),
      10_000,
    );
    const sent = run(c, 30_000).filter((s) => s.text.includes(SLAAC));
    const start = sent[0]!.atMs;
    assert.deepEqual(
      sent.map((s) => [s.text, s.atMs - start]),
      [
        [`dad-solicit ${SLAAC}`, 0],
        [`dad-solicit ${SLAAC}`, 3000],
        [`address-ready ${SLAAC}/64`, 6000],
        [`unsolicited-advertise ${SLAAC}`, 6000],
      ],
    );
  });

  it('accepts an MTU option between 1280 and the link MTU only (§6.3.4)', () => {
    const c = config(9);
    assert.equal(c.mtu, 1500);
    const cases: [number, number][] = [
      [1400, 1400],
      [1279, 1400],
      [1501, 1400],
      [1280, 1280],
      [1500, 1500],
      [0, 1500],
      [65_535, 1500],
    ];
    for (const [advertised, expected] of cases) {
      c.onRouterAdvertisement(ra({ mtu: advertised }), 0);
      assert.equal(c.mtu, expected, `after MTU option ${advertised}`);
    }
    assert.equal(c.counters.get('ndp.ra-mtu-out-of-range'), 4);
  });

  it('keeps on-link prefixes for their valid lifetime (§6.3.4)', () => {
    const c = config(10);
    const inside = ip6('2001:db8:7::1234');
    assert.equal(c.isOnLink(inside), false, 'RFC 4943: not on link without being told');
    assert.equal(c.isOnLink(ip6('fe80::1234')), true, 'link-local is always on link');
    assert.equal(c.isOnLink(ip6('ff0e::1')), true, 'multicast goes on the link');
    c.onRouterAdvertisement(
      ra({
        prefixes: [
          prefixInfo('2001:db8:7::', { validLifetimeS: 100, autonomous: false }),
          prefixInfo('2001:db8:8::', { onLink: false }),
          prefixInfo('2001:db8:9:8000::', { prefixLength: 49, autonomous: false }),
          prefixInfo('fe80::', { autonomous: false }),
        ],
      }),
      0,
    );
    assert.equal(c.isOnLink(inside), true);
    assert.equal(c.isOnLink(ip6('2001:db8:7:1::1')), false);
    assert.equal(c.isOnLink(ip6('2001:db8:8::1')), false, 'L flag clear: says nothing');
    assert.equal(c.isOnLink(ip6('2001:db8:9:ffff::1')), true, 'any prefix length');
    assert.equal(c.isOnLink(ip6('2001:db8:9:7fff::1')), false);
    assert.deepEqual(
      c.onLinkPrefixes().map((p) => `${f(p.prefix)}/${p.prefixLength} ${p.expiresMs}`),
      ['2001:db8:7::/64 100000', `2001:db8:9:8000::/49 ${24 * HOUR_S * 1000}`],
    );
    // The SLAAC address of 2001:db8:8::/64 does not make its prefix on link (RFC 5942 §4).
    run(c, 5000);
    assert.equal(state(c, '2001:db8:8::5eff:fe10:1'), 'preferred');
    assert.equal(c.isOnLink(ip6('2001:db8:8::1')), false);
    run(c, 100_000);
    assert.equal(c.isOnLink(inside), false, 'expired');
    c.onRouterAdvertisement(
      ra({ prefixes: [prefixInfo('2001:db8:9:8000::', { prefixLength: 49 })] }),
      100_000,
    );
    c.onRouterAdvertisement(
      ra({
        prefixes: [
          prefixInfo('2001:db8:9:8000::', {
            prefixLength: 49,
            validLifetimeS: 0,
            preferredLifetimeS: 0,
          }),
        ],
      }),
      100_000,
    );
    assert.equal(c.isOnLink(ip6('2001:db8:9:ffff::1')), false, 'valid lifetime 0 removes it');
  });

  it('counts the prefixes of a static address as on link', () => {
    const c = staticConfig(11, {
      staticAddresses: [{ address: ip6('2001:db8:1::7'), prefixLength: 60 }],
    });
    assert.equal(c.isOnLink(ip6('2001:db8:1:f::1')), true);
    assert.equal(c.isOnLink(ip6('2001:db8:1:10::1')), false);
  });

  it('keeps RDNSS servers for their lifetime (RFC 8106)', () => {
    const c = config(12);
    const servers = [ip6('2001:db8::53'), ip6('2001:db8::54')];
    c.onRouterAdvertisement(ra({ rdnss: { lifetimeS: 600, servers } }), 0);
    assert.deepEqual(c.dnsServers().map(f), ['2001:db8::53', '2001:db8::54']);
    c.onRouterAdvertisement(
      ra({ rdnss: { lifetimeS: 1200, servers: [ip6('2001:db8::54')] } }),
      100_000,
    );
    run(c, 599_999);
    assert.equal(c.dnsServers().length, 2);
    run(c, 600_000);
    assert.deepEqual(c.dnsServers().map(f), ['2001:db8::54'], 'the other was refreshed');
    c.onRouterAdvertisement(
      ra({ rdnss: { lifetimeS: 0, servers: [ip6('2001:db8::54')] } }),
      700_000,
    );
    assert.deepEqual(c.dnsServers(), [], 'lifetime 0 withdraws it');
    c.onRouterAdvertisement(ra({ rdnss: { lifetimeS: INFINITE, servers } }), 700_000);
    run(c, 10 * 24 * HOUR_S * 1000);
    assert.equal(c.dnsServers().length, 2, 'infinite');
  });

  it('bounds the DNS server list, replacing the one that expires first', () => {
    const c = config(13);
    const server = (n: number) => ip6(`2001:db8::${n}`);
    c.onRouterAdvertisement(ra({ rdnss: { lifetimeS: 300, servers: [server(1)] } }), 0);
    c.onRouterAdvertisement(ra({ rdnss: { lifetimeS: 100, servers: [server(2)] } }), 0);
    c.onRouterAdvertisement(ra({ rdnss: { lifetimeS: 200, servers: [server(3)] } }), 0);
    c.onRouterAdvertisement(ra({ rdnss: { lifetimeS: 400, servers: [server(4)] } }), 0);
    assert.deepEqual(c.dnsServers().map(f), ['2001:db8::1', '2001:db8::4', '2001:db8::3']);
    c.onRouterAdvertisement(ra({ rdnss: { lifetimeS: 50, servers: [server(5)] } }), 0);
    assert.equal(c.counters.get('ndp.dns-servers-full'), 1);
    assert.equal(c.dnsServers().length, 3);
  });
});

describe('Ipv6HostConfig: SLAAC (RFC 4862 §5.5.3)', () => {
  it('forms an address from an autonomous /64, runs DAD on it, then prefers it', () => {
    const c = config(1);
    run(c, 5000);
    c.onRouterAdvertisement(
      ra({
        prefixes: [prefixInfo('2001:db8:5::', { validLifetimeS: 7200, preferredLifetimeS: 3600 })],
      }),
      5000,
    );
    const info = c.addresses().find((a) => f(a.address) === SLAAC)!;
    assert.equal(info.state, 'tentative');
    assert.equal(info.origin, 'autoconf');
    assert.equal(info.prefixLength, 64);
    assert.equal(info.validUntilMs, 5000 + 7_200_000);
    assert.equal(info.preferredUntilMs, 5000 + 3_600_000);
    assert.equal(c.sourceFor(ip6('2001:db8:99::1')), undefined, 'tentative: not a source');
    const sent = run(c, 10_000);
    const solicit = find(sent, `dad-solicit ${SLAAC}`);
    assert.ok(solicit.atMs >= 5000 && solicit.atMs <= 6000);
    // The group is the link-local address's too (same identifier): no new join report.
    assert.ok(!sent.some((s) => s.action.kind === 'mld-report'));
    assert.equal(find(sent, `address-ready ${SLAAC}/64`).atMs, solicit.atMs + 1000);
    find(sent, `unsolicited-advertise ${SLAAC}`);
    assert.equal(state(c, SLAAC), 'preferred');
    assert.equal(f(c.sourceFor(ip6('2001:db8:99::1'))!), SLAAC);
  });

  it('deprecates at the end of the preferred lifetime and removes at the end of the valid one', () => {
    const c = config(2);
    c.onRouterAdvertisement(
      ra({
        prefixes: [prefixInfo('2001:db8:5::', { validLifetimeS: 200, preferredLifetimeS: 100 })],
      }),
      0,
    );
    run(c, 99_999);
    assert.equal(state(c, SLAAC), 'preferred');
    assert.deepEqual(texts(run(c, 100_000)), []);
    assert.equal(state(c, SLAAC), 'deprecated');
    assert.equal(c.owns(ip6(SLAAC)), true, '§5.5.4: still ours for existing connections');
    assert.equal(f(c.sourceFor(ip6('2001:db8:99::1'))!), SLAAC, 'the only global address');
    const removal = run(c, 200_000);
    assert.deepEqual(texts(removal), [`address-removed ${SLAAC}`]);
    assert.equal(removal[0]!.atMs, 200_000);
    assert.equal(c.owns(ip6(SLAAC)), false);
    assert.equal(c.isJoined(ip6(LINK_LOCAL_GROUP)), true, 'the group is still the link-local one');
  });

  it('removes an address whose valid lifetime ends during DAD', () => {
    const c = config(3);
    c.onRouterAdvertisement(
      ra({ prefixes: [prefixInfo('2001:db8:5::', { validLifetimeS: 1, preferredLifetimeS: 1 })] }),
      0,
    );
    const sent = run(c, 5000).filter((s) => s.text.includes(SLAAC));
    assert.equal(sent.at(-1)!.text, `address-removed ${SLAAC}`);
    assert.ok(!texts(sent).includes(`address-ready ${SLAAC}/64`));
  });

  it('ignores prefixes that cannot or must not form an address', () => {
    const c = config(4);
    c.onRouterAdvertisement(
      ra({
        prefixes: [
          prefixInfo('2001:db8:1::', { autonomous: false }),
          prefixInfo('2001:db8:2::', { prefixLength: 48 }),
          prefixInfo('2001:db8:3::', { prefixLength: 80 }),
          prefixInfo('2001:db8:4::', { preferredLifetimeS: 200, validLifetimeS: 100 }),
          prefixInfo('2001:db8:6::', { validLifetimeS: 0, preferredLifetimeS: 0 }),
          prefixInfo('fe80::'),
        ],
      }),
      0,
    );
    assert.deepEqual(
      c.addresses().map((a) => f(a.address)),
      [LINK_LOCAL],
    );
    assert.equal(c.counters.get('slaac.prefix-length'), 2);
    assert.equal(c.counters.get('slaac.preferred-above-valid'), 1);
  });

  it('forms at most 16 addresses', () => {
    const c = config(5);
    const prefixes = Array.from({ length: 20 }, (_, i) => prefixInfo(`2001:db8:${i + 1}::`));
    c.onRouterAdvertisement(ra({ prefixes }), 0);
    assert.equal(c.addresses().filter((a) => a.origin === 'autoconf').length, 16);
    assert.equal(c.counters.get('slaac.addresses-full'), 4);
  });

  it('leaves a static address with the same value alone', () => {
    const c = config(6, {
      staticAddresses: [{ address: ip6(SLAAC), prefixLength: 64 }],
    });
    c.onRouterAdvertisement(
      ra({
        prefixes: [prefixInfo('2001:db8:5::', { validLifetimeS: 60, preferredLifetimeS: 30 })],
      }),
      0,
    );
    const mine = c.addresses().filter((a) => f(a.address) === SLAAC);
    assert.equal(mine.length, 1);
    assert.equal(mine[0]!.origin, 'static');
    assert.equal(mine[0]!.validUntilMs, Number.POSITIVE_INFINITY);
  });

  describe('the two-hour rule for the valid lifetime (§5.5.3 (e))', () => {
    const NOW = 1_000_000;
    /** An address formed at 0 with `validS`, then an advertisement at NOW with `newValidS`. */
    function refreshed(validS: number, newValidS: number, newPreferredS = 0): Ipv6HostConfig {
      const c = config(7);
      c.onRouterAdvertisement(
        ra({
          prefixes: [prefixInfo('2001:db8:5::', { validLifetimeS: validS, preferredLifetimeS: 0 })],
        }),
        0,
      );
      run(c, NOW);
      c.onRouterAdvertisement(
        ra({
          prefixes: [
            prefixInfo('2001:db8:5::', {
              validLifetimeS: newValidS,
              preferredLifetimeS: newPreferredS,
            }),
          ],
        }),
        NOW,
      );
      return c;
    }
    const validUntil = (c: Ipv6HostConfig) =>
      c.addresses().find((a) => f(a.address) === SLAAC)!.validUntilMs;

    it('takes a lifetime above two hours', () => {
      assert.equal(validUntil(refreshed(HOUR_S, 3 * HOUR_S)), NOW + 3 * HOUR_S * 1000);
      assert.equal(
        validUntil(refreshed(10 * HOUR_S, 2 * HOUR_S + 1)),
        NOW + (2 * HOUR_S + 1) * 1000,
      );
    });

    it('takes a lifetime above the remaining one', () => {
      // Formed with 1 h: 1 h - 1000 s remain; 5400 s is more.
      assert.equal(validUntil(refreshed(HOUR_S, 5400)), NOW + 5_400_000);
    });

    it('cuts a remaining lifetime above two hours down to two hours, no further', () => {
      assert.equal(validUntil(refreshed(10 * HOUR_S, 600)), NOW + 2 * HOUR_S * 1000);
      assert.equal(validUntil(refreshed(10 * HOUR_S, 0)), NOW + 2 * HOUR_S * 1000);
      assert.equal(validUntil(refreshed(INFINITE, 0)), NOW + 2 * HOUR_S * 1000);
    });

    it('leaves a remaining lifetime of two hours or less alone', () => {
      assert.equal(validUntil(refreshed(HOUR_S, 600)), HOUR_S * 1000);
      assert.equal(validUntil(refreshed(HOUR_S, 0)), HOUR_S * 1000);
    });

    it('takes an infinite lifetime', () => {
      assert.equal(validUntil(refreshed(HOUR_S, INFINITE, INFINITE)), Number.POSITIVE_INFINITY);
    });
  });

  it('always resets the preferred lifetime, within the valid one, and may prefer again', () => {
    const c = config(8);
    const advertise = (atMs: number, preferredS: number, validS = 24 * HOUR_S) =>
      c.onRouterAdvertisement(
        ra({
          prefixes: [
            prefixInfo('2001:db8:5::', { validLifetimeS: validS, preferredLifetimeS: preferredS }),
          ],
        }),
        atMs,
      );
    advertise(0, 0);
    run(c, 5000);
    assert.equal(state(c, SLAAC), 'deprecated', 'preferred lifetime 0: deprecated from the start');
    advertise(5000, 100);
    assert.equal(state(c, SLAAC), 'preferred', 'a later advertisement can prefer it again');
    advertise(6000, 0);
    assert.equal(state(c, SLAAC), 'deprecated');
    // Remaining 2 h or less: the valid lifetime stays, and the preferred one cannot pass it.
    const c2 = config(9);
    c2.onRouterAdvertisement(
      ra({
        prefixes: [prefixInfo('2001:db8:5::', { validLifetimeS: 1000, preferredLifetimeS: 500 })],
      }),
      0,
    );
    c2.onRouterAdvertisement(
      ra({
        prefixes: [prefixInfo('2001:db8:5::', { validLifetimeS: 900, preferredLifetimeS: 900 })],
      }),
      0,
    );
    const info = c2.addresses().find((a) => f(a.address) === SLAAC)!;
    assert.equal(info.validUntilMs, 1_000_000);
    assert.equal(info.preferredUntilMs, 900_000);
  });

  it('re-forms an address after a duplicate one expired, and not before', () => {
    const c = config(10);
    const advertise = (atMs: number) =>
      c.onRouterAdvertisement(
        ra({
          prefixes: [prefixInfo('2001:db8:5::', { validLifetimeS: 600, preferredLifetimeS: 300 })],
        }),
        atMs,
      );
    advertise(0);
    c.onNeighborAdvertisement({ target: ip6(SLAAC) }, 10);
    run(c, 100_000);
    assert.equal(state(c, SLAAC), 'duplicate');
    advertise(100_000);
    assert.equal(state(c, SLAAC), 'duplicate', 'no new DAD while the duplicate is listed');
    const removal = run(c, 800_000);
    assert.ok(texts(removal).includes(`address-removed ${SLAAC}`));
    advertise(800_000);
    assert.equal(state(c, SLAAC), 'tentative');
  });
});

describe('Ipv6HostConfig: source address selection (RFC 6724 §5)', () => {
  it('picks by scope, state and longest matching prefix, never a tentative address', () => {
    const c = config(1, {
      staticAddresses: [
        { address: ip6('2001:db8:1::7'), prefixLength: 64 },
        { address: ip6('2001:db8:2::7'), prefixLength: 64 },
      ],
    });
    assert.equal(c.sourceFor(ip6('fe80::1')), undefined, 'nothing usable during DAD');
    run(c, 5000);
    assert.equal(f(c.sourceFor(ip6('fe80::1'))!), LINK_LOCAL);
    assert.equal(f(c.sourceFor(ip6('ff02::16'))!), LINK_LOCAL);
    assert.equal(f(c.sourceFor(ip6('2001:db8:2::99'))!), '2001:db8:2::7');
    assert.equal(f(c.sourceFor(ip6('2001:db8:1::99'))!), '2001:db8:1::7');
    assert.equal(f(c.sourceFor(ip6('2001:db8:1::7'))!), '2001:db8:1::7', 'rule 1');
    // A deprecated address loses to a preferred one, whatever the prefix.
    c.onRouterAdvertisement(
      ra({ prefixes: [prefixInfo('2001:db8:9::', { preferredLifetimeS: 0 })] }),
      5000,
    );
    run(c, 10_000);
    assert.equal(state(c, '2001:db8:9::5eff:fe10:1'), 'deprecated');
    assert.notEqual(f(c.sourceFor(ip6('2001:db8:9::1'))!), '2001:db8:9::5eff:fe10:1');
  });

  it('never sends beyond the link from a link-local address', () => {
    const c = config(2);
    run(c, 5000);
    assert.equal(c.owns(ip6(LINK_LOCAL)), true);
    assert.equal(c.sourceFor(ip6('2001:db8::1')), undefined);
  });
});

describe('Ipv6HostConfig: multicast listening (RFC 3810 §6)', () => {
  it('reports a join twice, at most 1 s apart, and a leave twice', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const c = config(seed, { mode: 'static' });
      run(c, 5000);
      const group = ip6('ff02::fb');
      c.join(group, 5000);
      assert.equal(c.isJoined(group), true);
      assert.ok(c.groups().some((g) => f(g) === 'ff02::fb'));
      const joins = run(c, 10_000);
      assert.deepEqual(texts(joins), ['mld-report TO_EX ff02::fb', 'mld-report TO_EX ff02::fb']);
      assert.equal(joins[0]!.atMs, 5000, 'the first at once');
      const gap = joins[1]!.atMs - joins[0]!.atMs;
      assert.ok(gap > 0 && gap <= 1000, `gap ${gap}`);
      c.leave(group, 20_000);
      assert.equal(c.isJoined(group), false);
      const leaves = run(c, 30_000);
      assert.deepEqual(texts(leaves), ['mld-report TO_IN ff02::fb', 'mld-report TO_IN ff02::fb']);
      assert.equal(leaves[0]!.atMs, 20_000);
    }
  });

  it('never reports ff02::1 or interface-local groups, and refuses a unicast group', () => {
    const c = config(3, { mode: 'static' });
    run(c, 5000);
    c.join(ip6('ff02::1'), 5000);
    c.join(ip6('ff01::5'), 5000);
    assert.equal(c.isJoined(ip6('ff01::5')), true);
    assert.deepEqual(run(c, 10_000), []);
    assert.throws(() => c.join(ip6('2001:db8::1'), 10_000), RangeError);
  });

  it('lists ff02::1 and the solicited-node groups among its groups', () => {
    const c = staticConfig(4);
    assert.deepEqual(c.groups().map(f), ['ff02::1', LINK_LOCAL_GROUP, STATIC_GROUP]);
    assert.equal(c.isJoined(ip6('ff02::1')), true);
    assert.equal(c.isJoined(ip6('ff02::1:ff00:8')), false);
  });

  it('answers a General Query with every group, within the maximum response delay', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const c = staticConfig(seed);
      run(c, 5000);
      c.join(ip6('ff05::1:3'), 5000);
      run(c, 10_000);
      c.onMldQuery({ multicastAddress: UNSPECIFIED, maxResponseDelayMs: 2000 }, 10_000);
      const answer = run(c, 20_000);
      assert.equal(answer.length, 1);
      assert.ok(answer[0]!.atMs >= 10_000 && answer[0]!.atMs <= 12_000);
      assert.equal(
        answer[0]!.text,
        `mld-report IS_EX ${LINK_LOCAL_GROUP}, IS_EX ${STATIC_GROUP}, IS_EX ff05::1:3`,
      );
    }
  });

  it('answers a Multicast Address Specific Query for a group it is in, only', () => {
    const c = staticConfig(5);
    run(c, 5000);
    c.onMldQuery({ multicastAddress: ip6(STATIC_GROUP), maxResponseDelayMs: 500 }, 5000);
    c.onMldQuery({ multicastAddress: ip6('ff02::1:ff00:99'), maxResponseDelayMs: 500 }, 5000);
    const answer = run(c, 6000);
    assert.deepEqual(texts(answer), [`mld-report IS_EX ${STATIC_GROUP}`]);
    assert.ok(answer[0]!.atMs <= 5500);
  });
});

describe('Ipv6HostConfig: misuse', () => {
  it('refuses options out of range', () => {
    const bad: [string, Partial<Ipv6HostConfigOptions>][] = [
      ['short identifier', { interfaceIdentifier: new Uint8Array(6) }],
      ['small MTU', { linkMtu: 1279 }],
      ['negative dadTransmits', { dadTransmits: -1 }],
      ['fractional dadTransmits', { dadTransmits: 1.5 }],
      ['multicast static', { staticAddresses: [{ address: ip6('ff02::1'), prefixLength: 64 }] }],
      ['unspecified static', { staticAddresses: [{ address: UNSPECIFIED, prefixLength: 64 }] }],
      ['prefix length 129', { staticAddresses: [{ address: ip6(STATIC), prefixLength: 129 }] }],
      [
        'twice the same',
        {
          staticAddresses: [
            { address: ip6(STATIC), prefixLength: 64 },
            { address: ip6(STATIC), prefixLength: 48 },
          ],
        },
      ],
      [
        'the link-local address',
        { staticAddresses: [{ address: ip6(LINK_LOCAL), prefixLength: 64 }] },
      ],
      ['multicast gateway', { staticGateway: ip6('ff02::2') }],
      ['mode', { mode: 'dhcp' as 'auto' }],
    ];
    for (const [name, options] of bad) assert.throws(() => config(1, options), RangeError, name);
  });
});

describe('Ipv6HostConfig: random event sequences (property)', () => {
  const addressPool = [
    LINK_LOCAL,
    STATIC,
    SLAAC,
    '2001:db8:6::5eff:fe10:1',
    '2001:db8:5::1',
    'fe80::1',
  ].map(ip6);
  const event = fc.oneof(
    fc.record({
      kind: fc.constant('advance' as const),
      ms: fc.integer({ min: 0, max: 3_000_000 }),
    }),
    fc.record({
      kind: fc.constant('ns' as const),
      target: fc.constantFrom(...addressPool),
      fromUnspecified: fc.boolean(),
      nonce: fc.option(fc.uint8Array({ minLength: 6, maxLength: 6 }), { nil: undefined }),
    }),
    fc.record({ kind: fc.constant('na' as const), target: fc.constantFrom(...addressPool) }),
    fc.record({
      kind: fc.constant('ra' as const),
      source: fc.constantFrom(ROUTER, ROUTER_2),
      routerLifetimeS: fc.constantFrom(0, 30, 1800, 0xffff),
      curHopLimit: fc.integer({ min: 0, max: 255 }),
      reachableTimeMs: fc.constantFrom(0, 1000, 30_000),
      retransTimerMs: fc.constantFrom(0, 1, 1000, 5000),
      mtu: fc.option(fc.constantFrom(1000, 1280, 1400, 1500, 9000), { nil: undefined }),
      prefixes: fc.array(
        fc.record({
          prefix: fc.constantFrom(
            ...['2001:db8:5::', '2001:db8:6::', 'fe80::', '2001:db8::'].map(ip6),
          ),
          prefixLength: fc.constantFrom(48, 64, 64, 64, 128),
          onLink: fc.boolean(),
          autonomous: fc.boolean(),
          validLifetimeS: fc.constantFrom(0, 1, 60, 7200, 7201, INFINITE),
          preferredLifetimeS: fc.constantFrom(0, 1, 30, 7200, INFINITE),
        }),
        { maxLength: 3 },
      ),
      rdnssLifetimeS: fc.constantFrom(0, 10, INFINITE),
    }),
    fc.record({
      kind: fc.constant('query' as const),
      group: fc.constantFrom(UNSPECIFIED, ip6(LINK_LOCAL_GROUP), ip6('ff05::2')),
      maxResponseDelayMs: fc.constantFrom(0, 1, 1000, 10_000),
    }),
    fc.record({
      kind: fc.constantFrom('join' as const, 'leave' as const),
      group: fc.constantFrom(...['ff02::1', 'ff05::2', 'ff02::1:ff10:1', 'ff01::3'].map(ip6)),
    }),
    fc.record({
      kind: fc.constant('router-lost' as const),
      router: fc.constantFrom(ROUTER, ROUTER_2),
    }),
  );

  it('never throws, and every address state stays consistent', () => {
    fc.assert(
      fc.property(
        fc.integer(),
        fc.constantFrom('auto' as const, 'static' as const),
        fc.integer({ min: 0, max: 3 }),
        fc.array(event, { maxLength: 60 }),
        (seed, mode, dadTransmits, events) => {
          const c = config(seed, {
            mode,
            dadTransmits,
            staticAddresses: [{ address: ip6(STATIC), prefixLength: 64 }],
          });
          let nowMs = 0;
          for (const e of events) {
            switch (e.kind) {
              case 'advance': {
                const until = nowMs + e.ms;
                run(c, until);
                nowMs = until;
                break;
              }
              case 'ns':
                c.onNeighborSolicitation(
                  {
                    source: e.fromUnspecified ? UNSPECIFIED : ROUTER,
                    target: e.target,
                    ...(e.nonce === undefined ? {} : { nonce: e.nonce }),
                  },
                  nowMs,
                );
                break;
              case 'na':
                c.onNeighborAdvertisement({ target: e.target }, nowMs);
                break;
              case 'ra':
                c.onRouterAdvertisement(
                  {
                    source: e.source,
                    curHopLimit: e.curHopLimit,
                    routerLifetimeS: e.routerLifetimeS,
                    reachableTimeMs: e.reachableTimeMs,
                    retransTimerMs: e.retransTimerMs,
                    prefixes: e.prefixes,
                    ...(e.mtu === undefined ? {} : { mtu: e.mtu }),
                    rdnss: { lifetimeS: e.rdnssLifetimeS, servers: [ip6('2001:db8::53')] },
                  },
                  nowMs,
                );
                break;
              case 'query':
                c.onMldQuery(
                  { multicastAddress: e.group, maxResponseDelayMs: e.maxResponseDelayMs },
                  nowMs,
                );
                break;
              case 'join':
                c.join(e.group, nowMs);
                break;
              case 'leave':
                c.leave(e.group, nowMs);
                break;
              case 'router-lost':
                c.routerLost(e.router);
                break;
            }
            checkConsistent(c, nowMs);
          }
          run(c, nowMs);
          checkConsistent(c, nowMs);
          const next = c.pollAt();
          assert.ok(next === undefined || next > nowMs, 'nothing left due after a poll');
        },
      ),
      // A fixed seed: the run is the same every time (a failure prints its counterexample).
      { seed: 0x1b6c, numRuns: 300 },
    );
  });
});

function checkConsistent(c: Ipv6HostConfig, nowMs: number): void {
  const addresses = c.addresses();
  const keys = addresses.map((a) => f(a.address));
  assert.equal(new Set(keys).size, keys.length, 'no address twice');
  for (const a of addresses) {
    assert.ok(['tentative', 'preferred', 'deprecated', 'duplicate'].includes(a.state));
    assert.ok(a.preferredUntilMs <= a.validUntilMs || a.origin !== 'autoconf');
    assert.equal(c.owns(a.address), a.state === 'preferred' || a.state === 'deprecated');
    assert.equal(c.isTentative(a.address), a.state === 'tentative');
    if (a.state === 'preferred') assert.ok(a.preferredUntilMs > nowMs || c.pollAt()! <= nowMs);
    if (!c.disabled && a.state !== 'duplicate') {
      assert.ok(c.isJoined(solicitedNode(a.address)), `${f(a.address)}: its group is joined`);
    }
  }
  if (c.disabled) {
    assert.equal(addresses.length, 1);
    assert.equal(addresses[0]!.origin, 'link-local');
    assert.deepEqual(c.groups(), []);
  } else {
    assert.equal(addresses[0]!.origin, 'link-local', 'the link-local address is always there');
  }
  for (const destination of ['fe80::1', '2001:db8:5::1', 'ff02::16'].map(ip6)) {
    const source = c.sourceFor(destination);
    if (source !== undefined) assert.ok(c.owns(source), 'a source is always usable');
  }
  const router = c.defaultRouter();
  if (router !== undefined) assert.ok(!c.disabled);
  assert.ok(c.mtu >= 1280 && c.mtu <= 1500);
  assert.ok(c.hopLimit >= 1 && c.hopLimit <= 255);
  assert.ok(c.dnsServers().length <= 3);
}

function solicitedNode(address: Uint8Array): Uint8Array {
  const group = ip6('ff02::1:ff00:0');
  group.set(address.subarray(13), 13);
  return group;
}
