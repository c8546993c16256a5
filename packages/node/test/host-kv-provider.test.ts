// The host's read-only tree provider: a directory named on the command line, the tree embedded
// at build time, or the default directory a declaration names.

import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createLogger, ManualClock, MemorySink, SeededRandom } from '@oasis/core';
import { device, type TargetEnvironment } from '@oasis/runtime';
import { hostKvRoProvider } from '../src/host-providers.ts';

const clock = new ManualClock();
const environment: TargetEnvironment = {
  clock,
  sleep: clock,
  random: new SeededRandom(1),
  logger: createLogger({ source: 'test', sink: new MemorySink(), clock }),
};

describe('hostKvRoProvider', () => {
  it('requires --NAME DIR unless there is an embedded tree or a default directory', () => {
    const provider = hostKvRoProvider();
    const plain = provider.args({ name: 'zones', prefix: '', declaration: device.kvRo('zones') });
    assert.equal((plain['zones'] as { required?: boolean }).required, true);
    const withDefault = provider.args({
      name: 'zones',
      prefix: '',
      declaration: device.kvRo('zones', { defaultDirectory: '.' }),
    });
    assert.equal((withDefault['zones'] as { default?: string }).default, '.');
    assert.equal((withDefault['zones'] as { required?: boolean }).required, undefined);
  });

  it('reads the directory it is given', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'oasis-kv-'));
    writeFileSync(join(directory, 'example.com.zone'), '@ SOA ...');
    const opened = await hostKvRoProvider().open(
      { name: 'zones', prefix: '', declaration: device.kvRo('zones', { defaultDirectory: '.' }) },
      { zones: directory },
      environment,
    );
    assert.equal(new TextDecoder().decode(await opened.value.get('example.com.zone')), '@ SOA ...');
    await opened.close();
  });
});
