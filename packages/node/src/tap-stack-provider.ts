// The `tap` target's network: Oasis' direct stack on a Linux TAP device, one set of options per
// declared network (`--tap`, `--ipv4`, ...; prefixed by the network's name when a service
// declares several: `--uplink-tap`). The kernel's end of the interface is configured with the
// usual tools (`ip addr add`, `ip link set up`), as for a virtual machine's tap.

import { type Result, unwrap } from '@oasis/core';
import { createNetStack, type InterfaceConfig, type StaticRouteConfig } from '@oasis/net';
import { arg, DeviceArgumentError, type DeviceProvider, prefixedKey } from '@oasis/runtime';
import {
  parseIpv4Address,
  parseIpv4Cidr,
  parseIpv6Address,
  parseIpv6Cidr,
  parseMac,
} from '@oasis/wire';
import { directNameLookup } from './direct-name-lookup.ts';
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
  ipv6: arg.string({
    doc: "IPv6: 'auto' (SLAAC from router advertisements) or the address and prefix length; a link-local address comes with either (default: no IPv6)",
    placeholder: 'auto|CIDR',
    check: (text) =>
      text === 'auto' || parseIpv6Cidr(text).ok
        ? undefined
        : "expected 'auto' or an address and prefix length such as 2001:db8::2/64",
  }),
  ipv6Gateway: arg.string({
    doc: 'the default IPv6 router (with a static --ipv6; auto takes it from advertisements)',
    placeholder: 'IP',
    check: problem(parseIpv6Address, 'expected an IPv6 address such as fe80::1 or 2001:db8::1'),
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

/** The stack's own options, beside its interfaces'. */
const STACK_ARGS = {
  dns: arg.list({
    doc: 'a DNS server for connecting by name (default: those the IPv6 routers advertise)',
    placeholder: 'IP',
    check: (text) =>
      parseIpv4Address(text).ok || parseIpv6Address(text).ok
        ? undefined
        : 'expected an IPv4 or IPv6 address such as 10.0.0.1 or 2001:db8::53',
  }),
};

/** The option prefix of each interface: the device's own, or one per declared interface. */
function interfacePrefixes(prefix: string, interfaces: readonly string[] | undefined): string[] {
  return interfaces === undefined ? [prefix] : interfaces.map((name) => prefixedKey(prefix, name));
}

export const tapStackProvider: DeviceProvider<'stack'> = {
  args: ({ prefix, declaration }) =>
    Object.fromEntries([
      ...interfacePrefixes(prefix, declaration.interfaces).flatMap((interfacePrefix) =>
        Object.entries(TAP_ARGS).map(([key, spec]) => [prefixedKey(interfacePrefix, key), spec]),
      ),
      ...Object.entries(STACK_ARGS).map(([key, spec]) => [prefixedKey(prefix, key), spec]),
    ]),
  async open({ name, prefix, declaration }, values, environment) {
    const devices: (TapDevice | PcapFileCapture)[] = [];
    try {
      const interfaces: InterfaceConfig[] = [];
      const routes: StaticRouteConfig[] = [];
      for (const interfacePrefix of interfacePrefixes(prefix, declaration.interfaces)) {
        const value = (key: TapArgKey): unknown => values[prefixedKey(interfacePrefix, key)];
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
        devices.push(tap);
        if (pcap !== undefined) {
          device = PcapFileCapture.open(tap, environment.clock, pcap, { resolution: 'ns' });
          devices[devices.length - 1] = device;
        }
        const gateway = text('ipv4Gateway');
        if (gateway !== undefined) {
          routes.push({ destination: '0.0.0.0/0', gateway, interface: interfaces.length });
        }
        const ipv6 = text('ipv6');
        const ipv6Gateway = text('ipv6Gateway');
        if (ipv6Gateway !== undefined && (ipv6 === undefined || ipv6 === 'auto')) {
          throw new DeviceArgumentError(
            'an IPv6 gateway goes with a static IPv6 address (--ipv6 ADDR/LEN); --ipv6 auto learns routers from their advertisements',
          );
        }
        interfaces.push({
          device,
          ipv4: [String(value('ipv4'))],
          ...(ipv6 === undefined
            ? {}
            : {
                ipv6:
                  ipv6 === 'auto'
                    ? 'auto'
                    : {
                        addresses: [ipv6],
                        ...(ipv6Gateway === undefined ? {} : { gateway: ipv6Gateway }),
                      },
              }),
        });
      }
      const names = directNameLookup(
        (values[prefixedKey(prefix, 'dns')] as readonly string[] | undefined) ?? [],
        environment,
      );
      const stack = await createNetStack({
        interfaces,
        nameLookup: names.nameLookup,
        routes,
        ...(declaration.interfaces === undefined ? {} : { interfaceNames: declaration.interfaces }),
        clock: environment.clock,
        sleep: environment.sleep,
        random: environment.random,
        logger: environment.logger.child(name),
        probeAddresses: interfacePrefixes(prefix, declaration.interfaces).some(
          (interfacePrefix) => values[prefixedKey(interfacePrefix, 'ipv4Probe')] === true,
        ),
      });
      environment.logger.info('network up', { device: name, stack: stack.describe() });
      return {
        value: stack,
        close: async () => {
          await names.close();
          await stack.close();
        },
      };
    } catch (error) {
      await Promise.all(devices.map((device) => device.close()));
      throw error;
    }
  },
};
