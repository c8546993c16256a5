// The layering check must catch each kind of violation it exists for, on a throwaway tree.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';

const script = join(import.meta.dirname, '..', '..', 'scripts', 'check-layering.mjs');
const scratch = mkdtempSync(join(tmpdir(), 'oasis-layering-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

let trees = 0;

/** Writes a tree of packages ({ 'core/src/a.ts': '...' }, with a package.json per package) and checks it. */
function check(files: Record<string, string>): { status: number | null; output: string } {
  const root = join(scratch, `tree-${trees++}`);
  for (const [path, text] of Object.entries(files)) {
    const full = join(root, 'packages', path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, text);
    const packageDir = path.split('/')[0]!;
    const manifest = join(root, 'packages', packageDir, 'package.json');
    writeFileSync(
      manifest,
      JSON.stringify({
        name: packageDir.startsWith('x-') ? `@other/${packageDir}` : `@oasis/${packageDir}`,
      }),
    );
  }
  const result = spawnSync(process.execPath, [script, root], { encoding: 'utf8' });
  return { status: result.status, output: result.stdout + result.stderr };
}

describe('check-layering', () => {
  it('passes a tree that imports downwards only', () => {
    const result = check({
      'core/src/a.ts': 'export const a = 1;\n',
      'wire/src/b.ts':
        "import { a } from '@oasis/core';\nimport { c } from './c.ts';\nexport const b = a + c;\n",
      'wire/src/c.ts': 'export const c = new ArrayBuffer(8).byteLength;\n',
      'node/src/d.ts':
        "import { readFileSync } from 'node:fs';\nexport const d = Buffer.from(readFileSync('x'));\n",
    });
    assert.equal(result.status, 0, result.output);
  });

  it('fails on an import of the same or a higher layer', () => {
    const result = check({
      'runtime/src/a.ts': "export { x } from '@oasis/sim';\n",
      'net/src/b.ts': "const m = await import('@oasis/sim');\n",
    });
    assert.equal(result.status, 1);
    assert.match(result.output, /@oasis\/runtime \(layer 1\) imports @oasis\/sim \(layer 3\)/);
    assert.match(result.output, /@oasis\/net \(layer 3\) imports @oasis\/sim \(layer 3\)/);
  });

  it('fails on Node built-ins and Buffer in a platform-neutral package', () => {
    const result = check({
      'core/src/a.ts':
        "import { readFileSync } from 'node:fs';\nimport path from 'path';\nexport const b = Buffer.alloc(1);\n// Buffer in a comment is fine\n",
    });
    assert.equal(result.status, 1);
    assert.match(result.output, /imports the Node built-in 'node:fs'/);
    assert.match(result.output, /imports the Node built-in 'path'/);
    assert.match(result.output, /uses Buffer/);
    assert.equal(result.output.match(/uses Buffer/g)?.length, 1);
  });

  it('fails on a package with no place in the layer table', () => {
    const result = check({ 'x-stray/src/a.ts': 'export const a = 1;\n' });
    assert.equal(result.status, 1);
    assert.match(result.output, /@other\/x-stray: not in the layer table/);
  });
});
