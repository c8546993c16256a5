// The launcher between a definition and a target: options assembled from the service, its
// devices and the target; devices opened in declaration order and closed in reverse; failures
// unwinding what was opened. The target here records what happens to its devices.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger, ManualClock, MemorySink, OasisError, SeededRandom } from '@oasis/core';
import { arg } from '../src/args.ts';
import { defineUnikernel, device } from '../src/definition.ts';
import { MemoryKv } from '../src/memory-kv.ts';
import type { Stack } from '../src/stack.ts';
import {
  DeviceArgumentError,
  type DeviceProvider,
  prefixedKey,
  type Target,
  UnikernelLauncher,
} from '../src/target.ts';

function recordingTarget(events: string[], failOpen?: { name: string; error: Error }): Target {
  const clock = new ManualClock();
  const stackProvider: DeviceProvider<'stack'> = {
    args: ({ prefix }) => ({
      [prefixedKey(prefix, 'address')]: arg.string({ doc: 'an address', required: true }),
    }),
    async open({ name, prefix }, values) {
      if (failOpen?.name === name) throw failOpen.error;
      events.push(`open ${name} at ${values[prefixedKey(prefix, 'address')]}`);
      const stack = { describe: () => `stack ${name}` } as Stack;
      return { value: stack, close: async () => void events.push(`close ${name}`) };
    },
  };
  const kvProvider: DeviceProvider<'kvRw'> = {
    args: ({ name }) => ({ [name]: arg.string({ doc: 'a directory' }) }),
    async open({ name }) {
      events.push(`open ${name}`);
      return {
        value: new MemoryKv({ clock }),
        close: async () => void events.push(`close ${name}`),
      };
    },
  };
  return {
    name: 'test',
    args: { seed: arg.integer({ doc: 'a seed', default: 1 }) },
    async environment(serviceName) {
      events.push(`environment for ${serviceName}`);
      const value = {
        clock,
        sleep: clock,
        random: new SeededRandom(1),
        logger: createLogger({ source: serviceName, sink: new MemorySink(), clock }),
      };
      return { value, close: async () => void events.push('close environment') };
    },
    providers: { stack: stackProvider, kvRw: kvProvider },
  };
}

const router = defineUnikernel({
  name: 'router',
  doc: 'two networks and a store',
  devices: {
    uplink: device.stack('the outside'),
    inside: device.stack('the inside'),
    state: device.kvRw('saved state'),
    log: device.logger(),
  },
  args: { port: arg.port({ doc: 'a port', default: 53 }) },
  async start(devices, args, context) {
    const order = [devices.uplink.describe(), devices.inside.describe()];
    (context.signal as AbortSignal).addEventListener('abort', () => order.push('aborted'));
    startedWith.push({ order, port: args.port, target: context.target, signal: context.signal });
  },
});
const startedWith: { order: string[]; port: number; target: string; signal: AbortSignal }[] = [];

describe('UnikernelLauncher', () => {
  it('prefixes the options of a kind the service declares twice, and groups --help', () => {
    const launcher = new UnikernelLauncher(router, recordingTarget([]));
    assert.deepEqual(Object.keys(launcher.specs).sort(), [
      'insideAddress',
      'port',
      'seed',
      'state',
      'uplinkAddress',
    ]);
    const help = launcher.help();
    assert.match(help, /^router: two networks and a store\n\nusage: router \[OPTIONS\]\n/);
    assert.match(
      help,
      /Device uplink \(the outside\):\n {2}--uplink-address VALUE {2}an address \(required\)/,
    );
    assert.match(
      help,
      /Target test:\n {2}--seed N +a seed \(default: 1\)\n {2}--help +print this help and exit/,
    );
  });

  it('opens devices in declaration order, starts, and closes in reverse on stop', async () => {
    const events: string[] = [];
    const launcher = new UnikernelLauncher(router, recordingTarget(events));
    const parsed = launcher.parse(['--uplink-address', 'a', '--inside-address', 'b']);
    assert.ok(parsed.ok && parsed.value.kind === 'values');
    const running = await launcher.start(parsed.value.values);
    const started = startedWith.at(-1);
    assert.deepEqual(started?.order, ['stack uplink', 'stack inside']);
    assert.equal(started?.port, 53);
    assert.equal(started?.target, 'test');
    await running.stop();
    assert.equal(started?.signal.aborted, true);
    assert.deepEqual(events, [
      'environment for router',
      'open uplink at a',
      'open inside at b',
      'open state',
      'close state',
      'close inside',
      'close uplink',
      'close environment',
    ]);
  });

  it('passes reload and report requests to the listeners the service installed', async () => {
    const heard: string[] = [];
    const service = defineUnikernel({
      name: 'listener',
      doc: 'listens',
      devices: { log: device.logger() },
      args: {},
      async start(_devices, _args, context) {
        context.onReload(() => heard.push('reload'));
        context.onReload(() => {
          throw new Error('a bad configuration');
        });
        context.onReload(() => heard.push('reload after a failing listener'));
        context.onReport(() => heard.push('report'));
      },
    });
    const running = await new UnikernelLauncher(service, recordingTarget([])).start({});
    running.reload();
    running.report();
    running.reload();
    assert.deepEqual(heard, [
      'reload',
      'reload after a failing listener',
      'report',
      'reload',
      'reload after a failing listener',
    ]);
    await running.stop();
  });

  it('turns a device refusing its values into a usage error, closing what was opened', async () => {
    const events: string[] = [];
    const refusal = new OasisError('EINVAL', 'no such address');
    const launcher = new UnikernelLauncher(
      router,
      recordingTarget(events, { name: 'inside', error: refusal }),
    );
    await assert.rejects(
      launcher.start({ uplinkAddress: 'a', insideAddress: 'b' }),
      (error: unknown) =>
        error instanceof DeviceArgumentError && error.message === 'device inside: no such address',
    );
    assert.deepEqual(events, [
      'environment for router',
      'open uplink at a',
      'close uplink',
      'close environment',
    ]);
  });

  it('lets other failures through unchanged, and unwinds after a failing start', async () => {
    const events: string[] = [];
    const failing = defineUnikernel({
      ...router,
      async start() {
        throw new OasisError('EADDRINUSE', 'taken');
      },
    });
    const launcher = new UnikernelLauncher(failing, recordingTarget(events));
    await assert.rejects(launcher.start({ uplinkAddress: 'a', insideAddress: 'b' }), {
      code: 'EADDRINUSE',
    });
    assert.deepEqual(events.slice(-4), [
      'close state',
      'close inside',
      'close uplink',
      'close environment',
    ]);
  });

  /** A definition like router's, with other devices or arguments. */
  const variant = (overrides: {
    name?: string;
    devices?: typeof router.devices | { disk: ReturnType<typeof device.block> };
    args?: Record<string, ReturnType<typeof arg.flag>>;
  }) =>
    defineUnikernel({
      name: overrides.name ?? 'router',
      doc: 'a variant',
      devices: overrides.devices ?? router.devices,
      args: overrides.args ?? {},
      start: async () => {},
    });

  it('refuses an option claimed twice, and a device kind the target lacks', () => {
    const clash = variant({ args: { seed: arg.flag({ doc: 'clashes with the target' }) } });
    assert.throws(
      () => new UnikernelLauncher(clash, recordingTarget([])),
      /--seed is claimed twice in router on target test: by the service and by target test/,
    );
    const withBlock = variant({ devices: { disk: device.block() } });
    assert.throws(
      () => new UnikernelLauncher(withBlock, recordingTarget([])),
      /target test has no block device/,
    );
  });

  it('checks the shape of a definition', () => {
    assert.throws(() => variant({ name: 'Router' }), /use lower-case letters, digits and dashes/);
    assert.throws(
      () => variant({ args: { 'cache-size': arg.flag({ doc: '' }) } }),
      /use a camelCase identifier/,
    );
    assert.throws(
      () => variant({ args: { state: arg.flag({ doc: '' }) } }),
      /both a device and an argument/,
    );
  });
});
