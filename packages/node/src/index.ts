// @oasis/node: Oasis on Node.js, the one package allowed Node's APIs (node:*, Buffer) and native
// code. It provides the Linux TAP device as a NetDevice, through a N-API addon built when the
// package is installed (it needs Linux, CAP_NET_ADMIN and /dev/net/tun at run time), with the
// virtio-net header codec behind its checksum and TCP segmentation offloads. Opening rejects
// with an OasisError whose code says what is missing; a bad frame is counted, never thrown.
// PcapFileCapture records any device's frames to a pcap file (`--pcap FILE`).
// (The host socket stack, file-backed block device, host-directory KV and real clock come later.)

export { PcapFileCapture } from './pcap-file.ts';
export { TapDevice } from './tap-device.ts';
export { TAP_MAX_MTU, TAP_MIN_MTU, type TapDeviceOptions } from './tap-options.ts';
export {
  emitVirtioNetHeader,
  parseVirtioNetHeader,
  VIRTIO_NET_HDR_LEGACY_LENGTH,
  VIRTIO_NET_HDR_LENGTH,
  type VirtioNetHeaderError,
} from './virtio-net-header.ts';
