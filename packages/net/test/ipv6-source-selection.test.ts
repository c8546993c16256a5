import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatIpv6Address, parseIpv6Address } from '@oasis/wire';
import { type SourceCandidate, selectSourceAddress } from '../src/ipv6-source-selection.ts';

function ip6(text: string): Uint8Array {
  const parsed = parseIpv6Address(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
}

function candidate(
  text: string,
  state: SourceCandidate['state'] = 'preferred',
  prefixLength = 64,
): SourceCandidate {
  return { address: ip6(text), prefixLength, state };
}

function select(candidates: SourceCandidate[], destination: string): string | undefined {
  const source = selectSourceAddress(candidates, ip6(destination));
  return source === undefined ? undefined : formatIpv6Address(source);
}

describe('selectSourceAddress (RFC 6724 §5, simplified)', () => {
  const linkLocal = candidate('fe80::1');
  const global1 = candidate('2001:db8:1::1');
  const global2 = candidate('2001:db8:2::1');
  const ula = candidate('fd00:1::1');

  it('rule 1: the destination itself, even deprecated', () => {
    assert.equal(select([global1, global2], '2001:db8:2::1'), '2001:db8:2::1');
    const deprecated = candidate('2001:db8:9::1', 'deprecated');
    assert.equal(select([global2, deprecated], '2001:db8:9::1'), '2001:db8:9::1');
    assert.equal(select([deprecated, global2], '2001:db8:9::1'), '2001:db8:9::1');
  });

  it('rule 2: the link-local address for a link-local destination, a wider one beyond', () => {
    for (const order of [
      [global1, linkLocal],
      [linkLocal, global1],
    ]) {
      assert.equal(select(order, 'fe80::99'), 'fe80::1');
      assert.equal(select(order, 'ff02::1'), 'fe80::1');
      assert.equal(select(order, 'ff01::1'), 'fe80::1', 'interface-local multicast');
      assert.equal(select(order, '2001:db8:9::1'), '2001:db8:1::1');
      assert.equal(select(order, 'ff0e::1'), '2001:db8:1::1', 'global multicast');
    }
    assert.equal(
      select([global1], 'fe80::99'),
      '2001:db8:1::1',
      'a wider scope still reaches the link',
    );
    assert.equal(
      select([linkLocal], '2001:db8::1'),
      undefined,
      'a link-local source stays on the link',
    );
    assert.equal(select([linkLocal], 'ff05::1'), undefined);
    // The smaller scope only while it still reaches the destination: site-local fec0::/10.
    const siteLocal = candidate('fec0::1');
    for (const order of [
      [siteLocal, global1],
      [global1, siteLocal],
    ]) {
      assert.equal(select(order, 'fec0::9'), 'fec0::1');
      assert.equal(select(order, 'ff05::1'), 'fec0::1', 'site-local multicast');
      assert.equal(select(order, '2001:db8:9::1'), '2001:db8:1::1');
    }
  });

  it('rule 3: a preferred address before a deprecated one, whatever the prefix', () => {
    const deprecated = candidate('2001:db8:9::1', 'deprecated');
    assert.equal(select([deprecated, global1], '2001:db8:9::2'), '2001:db8:1::1');
    assert.equal(select([deprecated], '2001:db8:9::2'), '2001:db8:9::1', 'better than nothing');
  });

  it('rule 8: the longest matching prefix, counted up to the source prefix length', () => {
    assert.equal(select([global1, global2, ula], '2001:db8:2::77'), '2001:db8:2::1');
    assert.equal(select([global1, global2, ula], 'fd00:1::77'), 'fd00:1::1');
    assert.equal(select([global2, global1], '2001:db8:1:0:ffff::1'), '2001:db8:1::1');
    // Past the /48 prefix the interface identifier does not count: a tie keeps the first.
    const a = candidate('2001:db8:1:1::1', 'preferred', 48);
    const b = candidate('2001:db8:1:1::2', 'preferred', 48);
    assert.equal(select([a, b], '2001:db8:1:1::3'), '2001:db8:1:1::1');
    assert.equal(select([b, a], '2001:db8:1:1::3'), '2001:db8:1:1::2');
    // Bit-level: 2001:db8:1:8000:: shares 48 bits with 2001:db8:1::, 49 with 2001:db8:1:c000::.
    const c = candidate('2001:db8:1:c000::1');
    const d = candidate('2001:db8:1::1');
    assert.equal(select([d, c], '2001:db8:1:8000::1'), '2001:db8:1:c000::1');
  });

  it('never a tentative or duplicate address', () => {
    assert.equal(
      select(
        [candidate('2001:db8:2::1', 'tentative'), candidate('2001:db8:2::2', 'duplicate')],
        '2001:db8:2::9',
      ),
      undefined,
    );
    assert.equal(
      select([candidate('2001:db8:2::1', 'tentative'), global1], '2001:db8:2::1'),
      '2001:db8:1::1',
    );
  });
});
