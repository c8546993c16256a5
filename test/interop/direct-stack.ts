// The direct stack on a TAP device, with the Linux kernel on the other side in a network
// namespace this process creates: the kernel holds `KERNEL_ADDRESS` on the TAP interface, the
// stack `STACK_ADDRESS`. Every frame the stack sends or receives is also written to a pcap
// file, for tshark. All traffic stays between this process and the namespace.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, lineSink, SystemClock, SystemRandom, SystemSleep } from '@oasis/core';
import {
  createNetStack,
  type InterfaceConfig,
  type NetStack,
  type NetStackOptions,
} from '@oasis/net';
import { PcapFileCapture, TapDevice, type TapDeviceOptions } from '@oasis/node';
import type { NetDevice } from '@oasis/runtime';
import { NetNamespace } from './netns.ts';
import { run } from './tools.ts';

export const KERNEL_ADDRESS = '10.78.0.1';
export const STACK_ADDRESS = '10.78.0.2';

export interface DirectStackFixture {
  readonly namespace: NetNamespace;
  readonly tapName: string;
  readonly stack: NetStack;
  readonly pcapPath: string;
  /** Closes the stack (and so the device and capture), deletes the namespace and the files. */
  close(): Promise<void>;
}

export interface DirectStackDeviceOptions {
  /** false: no virtio-net header, so no offloads, and every checksum in the capture complete. */
  readonly vnetHeader?: TapDeviceOptions['vnetHeader'];
  /**
   * A NetDevice wrapper (fault injection, say) around the TAP device, under the capture: the
   * capture shows what the stack sent and what reached it.
   */
  readonly wrap?: (device: NetDevice) => NetDevice;
  /** IPv6: the stack's configuration, and the kernel's addresses (CIDR) on its end. */
  readonly ipv6?: { readonly stack: InterfaceConfig['ipv6']; readonly kernel: readonly string[] };
}

/**
 * Opens the fixture; `tag` keeps the namespace and interface names of test files apart. On a
 * failure half-way, what was created is removed before the error propagates.
 */
export async function openDirectStack(
  tag: string,
  options: Partial<NetStackOptions> = {},
  deviceOptions: DirectStackDeviceOptions = {},
): Promise<DirectStackFixture> {
  // Interface names have at most 15 bytes; a pid has at most 7 digits.
  const tapName = `o${tag}${process.pid}`.slice(0, 15);
  const dir = mkdtempSync(join(tmpdir(), 'oasis-net-'));
  const pcapPath = join(dir, 'stack.pcap');
  const clock = new SystemClock();
  let namespace: NetNamespace | undefined;
  let device: TapDevice | undefined;
  let stack: NetStack | undefined;
  try {
    device = await TapDevice.open({
      name: tapName,
      mtu: 1500,
      ...(deviceOptions.vnetHeader === undefined ? {} : { vnetHeader: deviceOptions.vnetHeader }),
    });
    const capture = PcapFileCapture.open(deviceOptions.wrap?.(device) ?? device, clock, pcapPath, {
      resolution: 'ns',
    });
    namespace = new NetNamespace(`oasis-${tag}-${process.pid}`);
    run('ip', ['link', 'set', tapName, 'netns', namespace.name]);
    namespace.ip(['addr', 'add', `${KERNEL_ADDRESS}/24`, 'dev', tapName]);
    // No duplicate address detection on the kernel's side: its addresses are usable at once.
    for (const cidr of deviceOptions.ipv6?.kernel ?? []) {
      namespace.ip(['addr', 'add', cidr, 'dev', tapName, 'nodad']);
    }
    namespace.ip(['link', 'set', tapName, 'up']);
    const ipv6 = deviceOptions.ipv6?.stack;
    stack = await createNetStack({
      interfaces: [
        {
          device: capture,
          ipv4: [`${STACK_ADDRESS}/24`],
          ...(ipv6 === undefined ? {} : { ipv6 }),
        },
      ],
      clock,
      sleep: new SystemSleep(clock),
      random: new SystemRandom(),
      logger: createLogger({
        source: 'stack',
        sink: lineSink((line) => process.stderr.write(`${line}\n`)),
        clock,
        level: 'warn',
      }),
      probeAddresses: false,
      ...options,
    });
  } catch (error) {
    if (stack !== undefined) await stack.close();
    else await device?.close();
    namespace?.delete();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const opened = { namespace, stack };
  return {
    namespace,
    tapName,
    stack,
    pcapPath,
    async close() {
      try {
        await opened.stack.close();
      } finally {
        opened.namespace.delete();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
