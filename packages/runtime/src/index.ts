// @oasis/runtime: the contracts a service is written against, the TypeScript counterparts of
// MirageOS' module signatures. A service receives these interfaces, never concrete classes, so
// the same code runs on host sockets, on the direct stack over TAP, and on the simulator.
// Platform-neutral. (The definition API and targets come with the unikernel runtime.)

export type { Clock, Logger, LogLevel, Random, Sleep, Timer } from '@oasis/core';
export type { BlockDevice, BlockDeviceInfo } from './block-device.ts';
export type { KvEntry, KvEntryKind, KvRo, KvRw } from './kv.ts';
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
export type {
  UdpBindOptions,
  UdpEndpoint,
  UdpMessageHandler,
  UdpSocket,
  UdpStack,
} from './udp.ts';
