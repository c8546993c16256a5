// What each target wires in: for every device kind a service may declare, the provider that
// implements it, as an expression over @oasis/node's exports. The generated entry point imports
// only the providers the service's declared devices need, so the bundler drops the rest (a
// service without a network carries no network stack).

import type { ProvidedKind } from '@oasis/runtime';

export interface TargetPlan {
  readonly doc: string;
  /** The function of @oasis/node that runs the service (the process around it). */
  readonly main: 'runMain' | 'runSimMain';
  /** The main function's second argument; `PROVIDERS` is replaced by the provider object. */
  readonly target: string;
  /** Per device kind: the @oasis/node export and the expression that makes the provider. */
  readonly providers: Readonly<
    Record<ProvidedKind, { readonly name: string; readonly expression: string }>
  >;
  /** The bundle loads the TAP addon, which the build copies beside it. */
  readonly tapAddon: boolean;
}

const STORAGE = {
  kvRo: { name: 'hostKvRoProvider', expression: 'hostKvRoProvider(EMBEDDED)' },
  kvRw: { name: 'hostKvRwProvider', expression: 'hostKvRwProvider' },
  block: { name: 'fileBlockProvider', expression: 'fileBlockProvider' },
} as const;

export const TARGETS = {
  node: {
    doc: "the host's sockets (node:net, node:dgram); needs no privileges",
    main: 'runMain',
    target: "systemTarget('node', PROVIDERS)",
    providers: {
      stack: { name: 'hostStackProvider', expression: 'hostStackProvider' },
      ...STORAGE,
    },
    tapAddon: false,
  },
  tap: {
    doc: "Oasis' own TCP/IP stack on a Linux TAP device; needs CAP_NET_ADMIN",
    main: 'runMain',
    target: "systemTarget('tap', PROVIDERS)",
    providers: { stack: { name: 'tapStackProvider', expression: 'tapStackProvider' }, ...STORAGE },
    tapAddon: true,
  },
  sim: {
    doc: "Oasis' own stack on a simulated network with simulated clients, in virtual time",
    main: 'runSimMain',
    target: '(world) => (PROVIDERS)',
    providers: {
      stack: { name: 'simStackProvider', expression: 'simStackProvider(world)' },
      ...STORAGE,
    },
    tapAddon: false,
  },
} as const satisfies Record<string, TargetPlan>;

export type TargetName = keyof typeof TARGETS;

export function isTargetName(name: string): name is TargetName {
  return Object.hasOwn(TARGETS, name);
}
