// @oasis/runtime: what a service is written against, the TypeScript counterparts of MirageOS'
// module signatures, and the unikernel model around them. A service is a definition (name, doc,
// devices, typed arguments, `start`); it receives device interfaces, never concrete classes, so
// the same code runs on host sockets, on the direct stack over TAP, and on the simulator. A
// target supplies one provider per device kind; the launcher assembles the arguments, opens the
// devices, starts the service and closes everything when it stops. Platform-neutral.

export type { Clock, Logger, LogLevel, Random, Sleep, Timer } from '@oasis/core';
export {
  type ArgSpec,
  type ArgSpecs,
  type ArgValue,
  type ArgValues,
  arg,
  describeArgs,
  type FlagArg,
  type IntegerArg,
  type ListArg,
  optionName,
  type ParsedArgs,
  parseArgs,
  type StringArg,
} from './args.ts';
export type { BlockDevice, BlockDeviceInfo } from './block-device.ts';
export {
  DEVICE_KINDS,
  type DeviceDeclaration,
  type DeviceDeclarations,
  type DeviceKind,
  type Devices,
  type DeviceTypes,
  defineUnikernel,
  device,
  type StartContext,
  type UnikernelDefinition,
} from './definition.ts';
export { decodeBase64, type EmbeddedFile, type EmbeddedTree } from './embedded-tree.ts';
export { type FlowWebStreams, flowToWebStreams } from './flow-streams.ts';
export type {
  ForwardingInterface,
  ForwardingPolicy,
  ForwardVerdict,
  Ipv4Forwarding,
  ReceivedPacket,
} from './forwarding.ts';
export { HandlerQueue } from './handler-queue.ts';
export {
  connectToHost,
  DEFAULT_ATTEMPT_DELAY_MS,
  type HostConnectOptions,
  type HostConnector,
  type HostEndpoint,
  MAX_ATTEMPT_DELAY_MS,
  MIN_ATTEMPT_SPACING_MS,
  RESOLUTION_DELAY_MS,
} from './happy-eyeballs.ts';
export type { KvEntry, KvEntryKind, KvRo, KvRw } from './kv.ts';
export { checkKvRange, compareKvNames, splitKvEntryKey, splitKvKey } from './kv-key.ts';
export {
  checkBlockAccess,
  checkBlockGeometry,
  MemoryBlockDevice,
  type MemoryBlockDeviceOptions,
} from './memory-block-device.ts';
export { MemoryKv, type MemoryKvOptions } from './memory-kv.ts';
export type { NameLookup } from './name-lookup.ts';
export {
  emptyCounters,
  type Frame,
  type FrameHandler,
  type FrameOffload,
  type NetDevice,
  type NetDeviceCounters,
  NO_OFFLOAD,
  type OffloadCapabilities,
} from './net-device.ts';
export type { Stack } from './stack.ts';
export {
  type ArgumentValues,
  DeviceArgumentError,
  type DeviceProvider,
  type DeviceProviders,
  type DeviceRequest,
  type Opened,
  type ProvidedKind,
  prefixedKey,
  type RunningUnikernel,
  type Target,
  type TargetEnvironment,
  UnikernelLauncher,
} from './target.ts';
export type {
  Flow,
  FlowCounters,
  FlowHandler,
  TcpConnectOptions,
  TcpEndpoint,
  TcpListener,
  TcpListenOptions,
  TcpStack,
} from './tcp.ts';
export type {
  UdpBindOptions,
  UdpEndpoint,
  UdpMessageHandler,
  UdpSocket,
  UdpStack,
} from './udp.ts';
