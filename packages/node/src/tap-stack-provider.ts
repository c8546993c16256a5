// The `tap` target's network: Oasis' direct stack on a Linux TAP device, one set of options per
// declared network (`--tap`, `--ipv4`, ...; prefixed by the network's name when a service
// declares several: `--uplink-tap`). The kernel's end of the interface is configured with the
// usual tools (`ip addr add`, `ip link set up`), as for a virtual machine's tap.

import { type Result, unwrap } from '@oasis/core';
import { createNetStack } from '@oasis/net';
import { arg, type DeviceProvider, prefixedKey } from '@oasis/runtime';
import { parseIpv4Address, parseIpv4Cidr, parseMac } from '@oasis/wire';
import { PcapFileCapture } from './pcap-file.ts';
import { TapDevice } from './tap-device.ts';
import { checkTapDeviceOptions, TAP_MAX_MTU, TAP_MIN_MTU } from './tap-options.ts';

/** An argument check from a wire parser: `expected` when the text does not parse. */
const problem =
  (parse: (text: string) => Result<unknown, string>, expected: string) =>
  (text: string): string | undefined =>
    parse(text).ok ? undefined : expected;

const TAP_ARGS = {
  tap: arg.string({
    doc: 'the TAP interface (created when missing; needs CAP_NET_ADMIN)',
    placeholder: 'NAME',
    required: true,
    check: (name) => {
      try {
        checkTapDeviceOptions({ name });
        return undefined;
      } catch (error) {
        return (error as Error).message;
      }
    },
  }),
  ipv4: arg.string({
    doc: "the stack's IPv4 address and prefix length",
    placeholder: 'CIDR',
    required: true,
    check: problem(parseIpv4Cidr, 'expected an address and prefix length such as 10.0.0.2/24'),
  }),
  ipv4Gateway: arg.string({
    doc: 'the default gateway',
    placeholder: 'IP',
    check: problem(parseIpv4Address, 'expected an IPv4 address such as 10.0.0.1'),
  }),
  ipv4Probe: arg.flag({
    doc: 'probe for address conflicts before using the address (RFC 5227; delays start by seconds)',
  }),
  mac: arg.string({
    doc: "the stack's Ethernet address (default: a random locally administered one)",
    placeholder: 'MAC',
    check: problem(parseMac, 'expected six hex pairs such as 02:00:00:00:00:01'),
  }),
  mtu: arg.integer({
    doc: "the interface's MTU (default: the interface's own, 1500 for a new one)",
    min: TAP_MIN_MTU,
    max: TAP_MAX_MTU,
  }),
  pcap: arg.string({
    doc: 'record every frame sent and received to this pcap file',
    placeholder: 'FILE',
  }),
};

type TapArgKey = keyof typeof TAP_ARGS;

export const tapStackProvider: DeviceProvider<'stack'> = {
  args: ({ prefix }) =>
    Object.fromEntries(
      Object.entries(TAP_ARGS).map(([key, spec]) => [prefixedKey(prefix, key), spec]),
    ),
  async open({ name, prefix }, values, environment) {
    const value = (key: TapArgKey): unknown => values[prefixedKey(prefix, key)];
    const text = (key: TapArgKey): string | undefined => {
      const given = value(key);
      return typeof given === 'string' ? given : undefined;
    };
    const mac = text('mac');
    const mtu = value('mtu');
    const tap = await TapDevice.open({
      name: String(value('tap')),
      ...(mac === undefined ? {} : { mac: unwrap(parseMac(mac)) }),
      ...(typeof mtu === 'number' ? { mtu } : {}),
    });
    const pcap = text('pcap');
    let device: TapDevice | PcapFileCapture = tap;
    try {
      if (pcap !== undefined) {
        device = PcapFileCapture.open(tap, environment.clock, pcap, { resolution: 'ns' });
      }
      const gateway = text('ipv4Gateway');
      const stack = await createNetStack({
        interfaces: [{ device, ipv4: [String(value('ipv4'))] }],
        ...(gateway === undefined ? {} : { ipv4Gateway: gateway }),
        clock: environment.clock,
        sleep: environment.sleep,
        random: environment.random,
        logger: environment.logger.child(name),
        probeAddresses: value('ipv4Probe') === true,
      });
      environment.logger.info('network up', { device: name, stack: stack.describe() });
      return { value: stack, close: () => stack.close() };
    } catch (error) {
      await device.close();
      throw error;
    }
  },
};
