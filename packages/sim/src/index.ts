// @oasis/sim: a network in one process, for deterministic tests and demos. NICs (NetDevices),
// learning switches and links with netem-like conditions (latency, jitter, bandwidth, loss,
// duplication, reordering, corruption) and partitions, all driven by a manual clock and a seed:
// the same seed gives the same run, frame for frame. Also the pcap writer, reader and capture
// wrapper, and the drivers of a ManualClock from async code (runVirtualTime). Platform-neutral.

export { Channel, type ChannelCounters, type FrameSink } from './channel.ts';
export {
  LearningSwitch,
  type LearningSwitchOptions,
  type SwitchCounters,
} from './learning-switch.ts';
export { Link, type LinkEnd, type LinkOptions } from './link.ts';
export {
  type LinkConditions,
  type ResolvedConditions,
  resolveConditions,
} from './link-conditions.ts';
export { PcapCapture } from './pcap/pcap-capture.ts';
export {
  LINKTYPE_ETHERNET,
  PCAP_DEFAULT_SNAP_LENGTH,
  type PcapResolution,
} from './pcap/pcap-format.ts';
export {
  type PcapByteOrder,
  type PcapError,
  type PcapErrorReason,
  type PcapFile,
  type PcapRecord,
  readPcap,
} from './pcap/pcap-reader.ts';
export { PcapWriter, type PcapWriterOptions } from './pcap/pcap-writer.ts';
export { type NicOptions, SimNetwork, type SimNetworkOptions } from './sim-network.ts';
export { SimNic } from './sim-nic.ts';
export { runVirtualTime, settleInVirtualTime, type VirtualTimeOptions } from './virtual-time.ts';
