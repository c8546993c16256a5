// The native half of the TAP device: a N-API addon in C (native/*.c), built by node-gyp when the
// package is installed, into build/Release/oasis_tap.node. It is loaded on first use, so that
// importing @oasis/node works where it was not built (another OS, no compiler).

import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { OasisError } from '@oasis/core';

/** An open /dev/net/tun descriptor inside the addon; opaque to JavaScript. */
export interface TapHandle {
  readonly __brand: 'TapHandle';
}

export interface OpenedTap {
  readonly tap: TapHandle;
  /** The interface's name as the kernel reports it (a `%d` in the requested name is filled in). */
  readonly name: string;
  readonly mtu: number;
  readonly mac: Uint8Array;
}

/**
 * Called once per batch of received frames: `count` [offset, length] pairs are in the receive
 * table. `failure` says why the device stopped receiving, after which it is not called again.
 */
export type TapFramesCallback = (count: number, failure: string | undefined) => void;

export interface TapAddon {
  /**
   * Attaches to the TAP interface `name`, creating it if missing. `vnetHeaderLength` 0 gives
   * plain frames; `mtu` 0 keeps the interface's MTU. Returns the interface's own MAC. Throws an
   * Error whose `code` is the errno name of the failed step.
   */
  open(name: string, vnetHeaderLength: number, mtu: number): OpenedTap;
  /** Starts receiving into `rxBuffer`, with `rxMeta` as the [offset, length] table. */
  start(
    tap: TapHandle,
    rxBuffer: ArrayBuffer,
    rxMeta: Int32Array,
    onFrames: TapFramesCallback,
  ): void;
  /**
   * Writes frames[0..count), frame i behind the header at headers[i * vnetHeaderLength]; sets
   * status[i] to 0 or the errno of its failed write.
   */
  send(
    tap: TapHandle,
    frames: readonly Uint8Array[],
    count: number,
    headers: Uint8Array | null,
    status: Int32Array,
  ): void;
  /** Stops receiving and closes the descriptor; idempotent. */
  close(tap: TapHandle): void;
}

let addon: TapAddon | undefined;

/**
 * A bundle built by `oasis build` carries the addon beside itself (`./oasis_tap.node`); the
 * sources find it where node-gyp put it.
 */
const BUNDLED_ADDON = './oasis_tap.node';
const BUILT_ADDON = '../build/Release/oasis_tap.node';
const ADDON_PATHS = [BUNDLED_ADDON, BUILT_ADDON];

function requireAddon(): TapAddon {
  const require = createRequire(import.meta.url);
  const failures: unknown[] = [];
  for (const path of ADDON_PATHS) {
    try {
      return require(path) as TapAddon;
    } catch (error) {
      failures.push(error);
    }
  }
  throw new AggregateError(failures, `no loadable addon at ${ADDON_PATHS.join(' or ')}`);
}

/** The addon; throws OasisError ENOTSUP when it was not built or does not load. */
export function loadTapAddon(): TapAddon {
  if (addon === undefined) {
    try {
      addon = requireAddon();
    } catch (error) {
      throw new OasisError(
        'ENOTSUP',
        'the TAP device addon (packages/node/build/Release/oasis_tap.node) is not built or does not load: TAP devices need Linux; run `npm install` in the repository root with python3, make and a C compiler installed',
        { cause: error },
      );
    }
  }
  return addon;
}

/** Where node-gyp puts the addon; `oasis build` copies it beside a tap bundle. */
export function builtTapAddonPath(): string {
  return fileURLToPath(new URL(BUILT_ADDON, import.meta.url));
}
