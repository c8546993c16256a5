import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bytesEqual } from '@oasis/core';
import { runThreeHosts } from '../../../examples/three-hosts/scenario.ts';

// Every knob that draws randomness is on, so any nondeterminism in them shows up.
const harsh = {
  latencyMs: 3,
  jitterMs: 2,
  loss: 0.1,
  duplicate: 0.05,
  reorder: 0.1,
  corrupt: 0.02,
};

describe('simulation determinism', () => {
  it('gives byte-identical captures for the same seed', () => {
    const first = runThreeHosts({ seed: 42, conditions: harsh, resolution: 'ns' });
    const second = runThreeHosts({ seed: 42, conditions: harsh, resolution: 'ns' });
    assert.ok(first.pcap.length > 10_000);
    assert.ok(bytesEqual(first.pcap, second.pcap));
  });

  it('gives a different capture for a different seed', () => {
    const first = runThreeHosts({ seed: 42, conditions: harsh });
    const other = runThreeHosts({ seed: 43, conditions: harsh });
    assert.ok(!bytesEqual(first.pcap, other.pcap));
  });

  it('gives identical captures on a perfect network whatever the seed', () => {
    // Nothing is drawn on a perfect link, so the seed must not matter.
    assert.ok(bytesEqual(runThreeHosts({ seed: 1 }).pcap, runThreeHosts({ seed: 2 }).pcap));
  });
});
