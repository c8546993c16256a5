// The generated entry point of a bundle: import the service's definition, build the target from
// the providers of the device kinds it declares, hand both to the target's main function. Trees
// embedded at build time are inlined here.

import type { DeviceKind, EmbeddedTree, ProvidedKind } from '@oasis/runtime';
import { TARGETS, type TargetName } from './targets.ts';

export interface EntryOptions {
  /** The import specifier of the service's definition module, from the entry's directory. */
  readonly definition: string;
  readonly target: TargetName;
  /** The kinds of the service's declared devices. */
  readonly kinds: ReadonlySet<DeviceKind>;
  /** Trees to embed, by kvRo device name. */
  readonly embedded: Readonly<Record<string, EmbeddedTree>>;
}

const PROVIDED: readonly ProvidedKind[] = ['stack', 'kvRo', 'kvRw', 'block'];

export function entrySource(options: EntryOptions): string {
  const plan = TARGETS[options.target];
  const used = PROVIDED.filter((kind) => options.kinds.has(kind));
  const imports = new Set<string>([plan.main]);
  if (plan.main === 'runMain') imports.add('systemTarget');
  const fields = used.map((kind) => {
    const provider = plan.providers[kind];
    imports.add(provider.name);
    return `${kind}: ${provider.expression}`;
  });
  const providers = plan.target.replace('PROVIDERS', `{ ${fields.join(', ')} }`);
  return [
    `import definition from ${JSON.stringify(options.definition)};`,
    `import { ${[...imports].sort().join(', ')} } from '@oasis/node';`,
    `const EMBEDDED = ${JSON.stringify(options.embedded)};`,
    `await ${plan.main}(definition, ${providers});`,
    '',
  ].join('\n');
}
