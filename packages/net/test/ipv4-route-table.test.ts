import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ipv4Netmask, parseIpv4Address } from '@oasis/wire';
import fc from 'fast-check';
import { type Ipv4Route, type Ipv4RouteInit, Ipv4RouteTable } from '../src/ipv4-route-table.ts';

function ip(text: string): number {
  const parsed = parseIpv4Address(text);
  assert.ok(parsed.ok, text);
  return parsed.value;
}

const LAN = { network: ip('192.168.1.0'), prefixLength: 24, gateway: undefined, interfaceIndex: 1 };
const DEFAULT = { network: 0, prefixLength: 0, gateway: ip('192.168.1.1'), interfaceIndex: 1 };

describe('Ipv4RouteTable', () => {
  it('gives the destination as next hop on-link, the gateway otherwise', () => {
    const table = new Ipv4RouteTable();
    const lan = table.add(LAN);
    const viaRouter = table.add({
      network: ip('10.0.0.0'),
      prefixLength: 8,
      gateway: ip('192.168.1.254'),
      interfaceIndex: 1,
    });
    assert.deepEqual(table.lookup(ip('192.168.1.77')), { route: lan, nextHop: ip('192.168.1.77') });
    assert.deepEqual(table.lookup(ip('10.20.30.40')), {
      route: viaRouter,
      nextHop: ip('192.168.1.254'),
    });
    assert.equal(table.lookup(ip('8.8.8.8')), undefined, 'no default route');
  });

  it('uses the default route when nothing longer matches, and the longest match otherwise', () => {
    const table = new Ipv4RouteTable();
    const fallback = table.add(DEFAULT);
    const lan = table.add(LAN);
    const host = table.add({
      network: ip('192.168.1.5'),
      prefixLength: 32,
      gateway: ip('192.168.1.2'),
      interfaceIndex: 1,
    });
    assert.equal(table.lookup(ip('8.8.8.8'))?.route, fallback);
    assert.equal(table.lookup(ip('8.8.8.8'))?.nextHop, ip('192.168.1.1'));
    assert.equal(table.lookup(ip('192.168.1.6'))?.route, lan);
    assert.equal(table.lookup(ip('192.168.1.5'))?.route, host);
    assert.equal(table.lookup(0)?.route, fallback);
    assert.equal(table.lookup(0xffff_ffff)?.route, fallback);
  });

  it('fills in metric 0 and returns the stored route', () => {
    const route = new Ipv4RouteTable().add(LAN);
    assert.deepEqual(route, { ...LAN, metric: 0 });
    assert.ok(Object.isFrozen(route));
  });

  it('breaks ties between equal prefixes by lowest metric, then by age', () => {
    const table = new Ipv4RouteTable();
    const slow = table.add({ ...DEFAULT, metric: 100 });
    const fast = table.add({ ...DEFAULT, gateway: ip('192.168.1.2'), metric: 10 });
    assert.equal(table.lookup(ip('1.1.1.1'))?.route, fast);
    const sameMetric = table.add({ ...DEFAULT, gateway: ip('192.168.1.3'), metric: 10 });
    assert.equal(table.lookup(ip('1.1.1.1'))?.route, fast, 'the older of equal metrics');
    assert.deepEqual(table.routes(), [fast, sameMetric, slow]);
    // A longer prefix wins whatever its metric.
    const specific = table.add({ ...LAN, network: ip('1.0.0.0'), prefixLength: 8, metric: 1000 });
    assert.equal(table.lookup(ip('1.1.1.1'))?.route, specific);
  });

  it('removes the routes a predicate selects', () => {
    const table = new Ipv4RouteTable();
    table.add(DEFAULT);
    const lan = table.add(LAN);
    table.add({ ...LAN, network: ip('10.0.0.0'), prefixLength: 8, interfaceIndex: 2 });
    assert.equal(
      table.remove((route) => route.interfaceIndex === 2),
      1,
    );
    assert.equal(table.lookup(ip('10.1.1.1'))?.route.prefixLength, 0);
    assert.equal(
      table.remove((route) => route.gateway !== undefined),
      1,
    );
    assert.deepEqual(table.routes(), [lan]);
    assert.equal(
      table.remove(() => false),
      0,
    );
    assert.equal(table.lookup(ip('10.1.1.1')), undefined);
  });

  it('returns a snapshot from routes()', () => {
    const table = new Ipv4RouteTable();
    const snapshot = table.routes();
    table.add(LAN);
    assert.equal(snapshot.length, 0);
    assert.equal(table.routes().length, 1);
  });

  it('refuses bad routes with a message saying what to do', () => {
    const table = new Ipv4RouteTable();
    table.add(LAN);
    const cases: [Ipv4RouteInit, RegExp][] = [
      [{ ...LAN, network: ip('192.168.1.1') }, /host bits set: use 192\.168\.1\.0\/24/],
      [{ ...DEFAULT, network: ip('10.0.0.0') }, /host bits set: use 0\.0\.0\.0\/0/],
      [{ ...LAN, prefixLength: 33 }, /prefix length must be an integer in 0-32, got 33/],
      [{ ...LAN, prefixLength: -1 }, /prefix length/],
      [{ ...LAN, prefixLength: 24.5 }, /prefix length/],
      [{ ...LAN, network: -1 }, /not an IPv4 address/],
      [{ ...LAN, gateway: 2 ** 32 }, /gateway/],
      [{ ...LAN, interfaceIndex: -1 }, /interface index/],
      [{ ...LAN, metric: -5 }, /metric/],
      [LAN, /192\.168\.1\.0\/24 on-link on interface 1 already exists/],
      [{ ...LAN, metric: 7 }, /already exists \(metric 0\): remove it first/],
    ];
    for (const [init, message] of cases) {
      assert.throws(() => table.add(init), { name: 'RangeError', message });
    }
    assert.equal(table.routes().length, 1, 'nothing was added');
    // The same network through another gateway or interface is a different route.
    table.add({ ...LAN, interfaceIndex: 2 });
    table.add({ ...LAN, gateway: ip('192.168.1.1') });
    assert.equal(table.routes().length, 3);
  });

  it('agrees with a brute-force longest-prefix match (property)', () => {
    const address = fc.nat({ max: 0xffff_ffff });
    // Few distinct values so that prefixes overlap, collide and tie.
    const routeInit = fc.record({
      network: fc.constantFrom(0, ip('10.0.0.0'), ip('10.1.0.0'), ip('10.1.2.0'), ip('10.1.2.3')),
      prefixLength: fc.integer({ min: 0, max: 32 }),
      gateway: fc.option(fc.constantFrom(ip('10.0.0.1'), ip('10.0.0.2')), { nil: undefined }),
      interfaceIndex: fc.integer({ min: 0, max: 2 }),
      metric: fc.integer({ min: 0, max: 3 }),
    });
    const destination = fc.oneof(
      address,
      fc.constantFrom(ip('10.1.2.3'), ip('10.1.2.4'), ip('10.1.3.1'), ip('10.2.0.0'), 0),
    );
    fc.assert(
      fc.property(
        fc.array(routeInit, { maxLength: 30 }),
        fc.array(destination, { minLength: 1, maxLength: 20 }),
        fc.nat({ max: 2 }),
        (inits, destinations, removeInterface) => {
          const table = new Ipv4RouteTable();
          let added: Ipv4Route[] = [];
          for (const init of inits) {
            const network = (init.network & ipv4Netmask(init.prefixLength)) >>> 0;
            const route = { ...init, network };
            const duplicate = added.some(
              (r) =>
                r.network === route.network &&
                r.prefixLength === route.prefixLength &&
                r.gateway === route.gateway &&
                r.interfaceIndex === route.interfaceIndex,
            );
            if (duplicate) {
              assert.throws(() => table.add(route), RangeError);
            } else {
              added.push(table.add(route));
            }
          }
          const check = () => {
            for (const d of destinations) {
              assert.deepEqual(table.lookup(d), bruteForce(added, d));
            }
          };
          check();
          const removed = table.remove((r) => r.interfaceIndex === removeInterface);
          const kept = added.filter((r) => r.interfaceIndex !== removeInterface);
          assert.equal(removed, added.length - kept.length);
          added = kept;
          check();
        },
      ),
      { numRuns: 500 },
    );
  });
});

/** Every matching route, the longest prefix first, then lowest metric, then first added. */
function bruteForce(
  routesInAddOrder: readonly Ipv4Route[],
  destination: number,
): { route: Ipv4Route; nextHop: number } | undefined {
  let best: Ipv4Route | undefined;
  for (const route of routesInAddOrder) {
    const hostBits = 32 - route.prefixLength;
    const matches =
      hostBits === 32 || Math.floor(destination / 2 ** hostBits) === route.network / 2 ** hostBits;
    if (!matches) continue;
    if (
      best === undefined ||
      route.prefixLength > best.prefixLength ||
      (route.prefixLength === best.prefixLength && route.metric < best.metric)
    ) {
      best = route;
    }
  }
  return best === undefined ? undefined : { route: best, nextHop: best.gateway ?? destination };
}
