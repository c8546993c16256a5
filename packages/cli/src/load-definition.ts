// Reading a service's definition at build time: `<dir>/unikernel.ts` must export one by default.
// The build looks at its declared devices to choose the providers to bundle.

import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { UnikernelDefinition } from '@oasis/runtime';
import { UsageError } from './usage-error.ts';

export const DEFINITION_FILE = 'unikernel.ts';

export function definitionPath(dir: string): string {
  return resolve(join(dir, DEFINITION_FILE));
}

export async function loadDefinition(dir: string): Promise<UnikernelDefinition> {
  const path = definitionPath(dir);
  if (!existsSync(path))
    throw new UsageError(`${dir}: no ${DEFINITION_FILE} (is it a service directory?)`);
  const module = (await import(pathToFileURL(path).href)) as { default?: unknown };
  const definition = module.default;
  if (!isDefinition(definition)) {
    throw new UsageError(
      `${path}: the default export is not a unikernel definition (use defineUnikernel)`,
    );
  }
  return definition;
}

function isDefinition(value: unknown): value is UnikernelDefinition {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<UnikernelDefinition>;
  return (
    typeof candidate.name === 'string' &&
    typeof candidate.doc === 'string' &&
    typeof candidate.devices === 'object' &&
    typeof candidate.args === 'object' &&
    typeof candidate.start === 'function'
  );
}
