// Device providers of the `node` target (and the storage devices of the `tap` target): the host
// socket stack, host directories as key-value trees, host files as block devices. A tree
// embedded at build time serves a read-only device unless a directory is given instead.

import { OasisError } from '@oasis/core';
import {
  arg,
  type DeviceProvider,
  type EmbeddedTree,
  MemoryBlockDevice,
  MemoryKv,
  prefixedKey,
} from '@oasis/runtime';
import { FileBlockDevice } from './file-block-device.ts';
import { HostDirectoryKv } from './host-directory-kv.ts';
import { createHostStack } from './host-stack.ts';

export const hostStackProvider: DeviceProvider<'stack'> = {
  args: () => ({}),
  async open(request, _values, environment) {
    const stack = createHostStack({
      logger: environment.logger.child(request.name),
      clock: environment.clock,
      sleep: environment.sleep,
    });
    return { value: stack, close: () => stack.close() };
  },
};

/**
 * `--NAME DIR`; optional when `embedded` holds a tree for the device or the declaration names a
 * default directory.
 */
export function hostKvRoProvider(
  embedded: Readonly<Record<string, EmbeddedTree>> = {},
): DeviceProvider<'kvRo'> {
  return {
    args: ({ name, declaration }) => ({
      [name]:
        embedded[name] !== undefined
          ? arg.string({
              doc: 'a host directory to read instead of the tree embedded at build time',
              placeholder: 'DIR',
            })
          : declaration.defaultDirectory !== undefined
            ? arg.string({
                doc: 'the host directory to read',
                placeholder: 'DIR',
                default: declaration.defaultDirectory,
              })
            : arg.string({ doc: 'the host directory to read', placeholder: 'DIR', required: true }),
    }),
    async open({ name }, values, environment) {
      const directory = values[name];
      if (typeof directory === 'string') {
        const kv = await HostDirectoryKv.open(directory, { readOnly: true });
        return { value: kv, close: async () => {} };
      }
      const tree = embedded[name];
      if (tree === undefined) throw new OasisError('EINVAL', `--${name} DIR is required`);
      return {
        value: MemoryKv.fromTree(tree, { clock: environment.clock }),
        close: async () => {},
      };
    },
  };
}

/** `--NAME DIR`, or an empty tree in memory without it. */
export const hostKvRwProvider: DeviceProvider<'kvRw'> = {
  args: ({ name }) => ({
    [name]: arg.string({
      doc: 'the host directory to read and write (default: an empty tree in memory)',
      placeholder: 'DIR',
    }),
  }),
  async open({ name }, values, environment) {
    const directory = values[name];
    const kv =
      typeof directory === 'string'
        ? await HostDirectoryKv.open(directory)
        : new MemoryKv({ clock: environment.clock });
    return { value: kv, close: async () => {} };
  },
};

/** `--NAME FILE`, or `--NAME-memory-sectors N` for a zero-filled device in memory. */
export const fileBlockProvider: DeviceProvider<'block'> = {
  args: ({ name }) => ({
    [name]: arg.string({ doc: 'the host file holding the device', placeholder: 'FILE' }),
    [prefixedKey(name, 'memorySectors')]: arg.integer({
      doc: 'instead of a file, this many zero-filled sectors in memory (lost at exit)',
      min: 1,
    }),
  }),
  async open({ name, declaration }, values) {
    const file = values[name];
    const memorySectors = values[prefixedKey(name, 'memorySectors')];
    const sectorSize = declaration.sectorSize ?? 512;
    if (typeof file === 'string' && memorySectors === undefined) {
      const device = await FileBlockDevice.open(file, { sectorSize });
      return { value: device, close: () => device.close() };
    }
    if (typeof memorySectors === 'number' && file === undefined) {
      const device = new MemoryBlockDevice({ sectorSize, sectorCount: memorySectors });
      return { value: device, close: () => device.close() };
    }
    throw new OasisError('EINVAL', `give either --${name} FILE or --${name}-memory-sectors N`);
  },
};
