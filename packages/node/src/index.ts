// @oasis/node: Oasis on Node.js, the one package allowed Node's APIs (node:*, Buffer) and native
// code. It provides the Linux TAP device as a NetDevice, through a N-API addon built when the
// package is installed (it needs Linux, CAP_NET_ADMIN and /dev/net/tun at run time), with the
// virtio-net header codec behind its checksum and TCP segmentation offloads. Opening rejects
// with an OasisError whose code says what is missing; a bad frame is counted, never thrown.
// PcapFileCapture records any device's frames to a pcap file (`--pcap FILE`).
// The host socket stack (createHostStack: node:net and node:dgram behind the Stack contract) and
// flowToDuplex, which runs Node's http, https and tls over any Flow, are here, and so are the
// file-backed block device and the host-directory KV.
// runSimMain runs a service on the `sim` target: a simulated network (SimWorld, from a JSON
// topology) with simulated clients, in virtual time.

export { type DirectNameLookup, directNameLookup } from './direct-name-lookup.ts';
export { FileBlockDevice, type FileBlockDeviceOptions } from './file-block-device.ts';
export { type FlowDuplex, flowToDuplex } from './flow-duplex.ts';
export { HostDirectoryKv, type HostDirectoryKvOptions } from './host-directory-kv.ts';
export { hostNameLookup } from './host-name-lookup.ts';
export {
  fileBlockProvider,
  hostKvRoProvider,
  hostKvRwProvider,
  hostStackProvider,
} from './host-providers.ts';
export { createHostStack, type HostStack, type HostStackOptions } from './host-stack.ts';
export { PcapFileCapture } from './pcap-file.ts';
export { EXIT_FAILURE, EXIT_USAGE, runMain } from './run-main.ts';
export { runSimMain, type SimulationReport, simLauncher, simulate } from './sim-main.ts';
export { simStackProvider } from './sim-stack-provider.ts';
export type {
  SimClientAction,
  SimTopology,
  SimTopologyClient,
  SimTopologyNetwork,
} from './sim-topology.ts';
export { SimWorld } from './sim-world.ts';
export { SYSTEM_TARGET_ARGS, systemEnvironment, systemTarget } from './system-environment.ts';
export { builtTapAddonPath } from './tap-addon.ts';
export { TapDevice } from './tap-device.ts';
export { TAP_MAX_MTU, TAP_MIN_MTU, type TapDeviceOptions } from './tap-options.ts';
export { tapStackProvider } from './tap-stack-provider.ts';
export {
  emitVirtioNetHeader,
  parseVirtioNetHeader,
  VIRTIO_NET_HDR_LEGACY_LENGTH,
  VIRTIO_NET_HDR_LENGTH,
  type VirtioNetHeaderError,
} from './virtio-net-header.ts';
