// The generated entry points: valid TypeScript for every target and set of device kinds, and
// importing only the providers of the kinds declared (what makes tree-shaking work).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DeviceKind } from '@oasis/runtime';
import { transform } from 'esbuild';
import { entrySource } from '../src/entry.ts';
import { TARGETS, type TargetName } from '../src/targets.ts';

const KIND_SETS: readonly (readonly DeviceKind[])[] = [
  ['logger'],
  ['stack'],
  ['stack', 'kvRo', 'logger'],
  ['stack', 'stack', 'kvRw', 'block', 'clock', 'sleep', 'random'],
];

describe('entrySource', () => {
  for (const target of Object.keys(TARGETS) as TargetName[]) {
    for (const kinds of KIND_SETS) {
      it(`${target} with ${kinds.join(', ')}`, async () => {
        const source = entrySource({
          definition: './unikernel.ts',
          target,
          kinds: new Set(kinds),
          embedded: { root: { files: [{ key: 'a.txt', base64: 'YQ==', modifiedMs: 0 }] } },
        });
        await transform(source, { loader: 'ts', format: 'esm' });
        const imported =
          /import \{ ([^}]+) \} from '@oasis\/node'/.exec(source)?.[1]?.split(', ') ?? [];
        const plan = TARGETS[target];
        for (const [kind, provider] of Object.entries(plan.providers)) {
          assert.equal(
            imported.includes(provider.name),
            kinds.includes(kind as DeviceKind),
            `${kind}: ${source}`,
          );
        }
        assert.ok(imported.includes(plan.main));
      });
    }
  }

  it('passes every declared provider to the sim target, as an object', () => {
    const source = entrySource({
      definition: './unikernel.ts',
      target: 'sim',
      kinds: new Set(['stack', 'kvRo']),
      embedded: {},
    });
    assert.match(
      source,
      /runSimMain\(definition, \(world\) => \(\{ stack: simStackProvider\(world\), kvRo: hostKvRoProvider\(EMBEDDED\) \}\)\)/,
    );
  });
});
