// The `sim` target's network: Oasis' direct stack on a NIC of the simulated network that the
// topology puts behind each declared stack device. Its only option is the capture, prefixed by
// the device's name when a service declares several networks (`--pcap`, `--uplink-pcap`), as on
// the `tap` target; frames are stamped with virtual time.

import { arg, type DeviceProvider, prefixedKey } from '@oasis/runtime';
import type { SimWorld } from './sim-world.ts';

export function simStackProvider(world: SimWorld): DeviceProvider<'stack'> {
  return {
    args: ({ prefix }) => ({
      [prefixedKey(prefix, 'pcap')]: arg.string({
        doc: 'record every frame sent and received to this pcap file',
        placeholder: 'FILE',
      }),
    }),
    async open({ name, prefix }, values, environment) {
      const pcap = values[prefixedKey(prefix, 'pcap')];
      const stack = await world.serviceStack(name, typeof pcap === 'string' ? pcap : undefined);
      environment.logger.info('network up', { device: name, stack: stack.describe() });
      return { value: stack, close: () => stack.close() };
    },
  };
}
