// The virtio-net header (virtio spec v1.2 §5.1.6), which a TAP device opened with IFF_VNET_HDR
// puts in front of every frame: how the checksum is to be finished and how a TCP super-frame is
// to be segmented. Linux's tun driver reads and writes it with virtio_net_hdr_to_skb() and
// virtio_net_hdr_from_skb() (include/linux/virtio_net.h).
//
//   offset  size  field                                        FrameOffload
//        0     1  flags: NEEDS_CSUM 1, DATA_VALID 2, RSC_INFO 4  checksumStart/Offset, checksumValid
//        1     1  gso_type: NONE 0, TCPV4 1, UDP 3, TCPV6 4,     segmentation.kind
//                 UDP_L4 5, | ECN 0x80
//        2     2  hdr_len                                      segmentation.headerLength
//        4     2  gso_size                                     segmentation.segmentSize
//        6     2  csum_start                                   checksumStart
//        8     2  csum_offset                                  checksumOffset
//       10     2  num_buffers                                  (none)
//
// Length: 12 bytes, the virtio 1.x header, which always has num_buffers (§5.1.6.1, legacy
// interface: without VIRTIO_NET_F_MRG_RXBUF the legacy header was 2 bytes shorter). The TAP
// device asks for 12 with TUNSETVNETHDRSZ so that frames have the layout a virtio 1.x device
// uses, which a later microVM target shares. tun fills and reads only the first 10 bytes and
// skips the rest, so on receive num_buffers is whatever the buffer held: it is ignored, as it
// means nothing without VIRTIO_NET_F_MRG_RXBUF; on transmit it is 0 (§5.1.6.2).
//
// Byte order: little-endian, as virtio 1.x defines its le16 fields. The legacy header was in the
// host's byte order; the TAP device sets TUNSETVNETLE so the kernel uses little-endian on every
// host (on x86, little-endian already, this changes nothing), and this codec needs no host check.

import { err, ok, type Result, readU16LE, writeU16LE } from '@oasis/core';
import type { FrameOffload } from '@oasis/runtime';

/** The header's length with num_buffers, as the TAP device uses it. */
export const VIRTIO_NET_HDR_LENGTH = 12;
/** The fields tun reads and writes: the legacy header without num_buffers. */
export const VIRTIO_NET_HDR_LEGACY_LENGTH = 10;

const F_NEEDS_CSUM = 1;
const F_DATA_VALID = 2;
const GSO_NONE = 0;
const GSO_TCPV4 = 1;
const GSO_UDP = 3;
const GSO_TCPV6 = 4;
const GSO_UDP_L4 = 5;
const GSO_ECN = 0x80;

export type VirtioNetHeaderError =
  /** Fewer than the 10 bytes of the legacy header. */
  | 'truncated'
  /** A flag other than NEEDS_CSUM and DATA_VALID (RSC_INFO needs VIRTIO_NET_F_RSC_EXT, which tun never uses). */
  | 'unknown-flags'
  /** A gso_type the spec does not define. */
  | 'unknown-gso-type'
  /** UDP fragmentation or segmentation, or TCP with ECN: defined, but FrameOffload cannot carry them. */
  | 'unsupported-gso-type'
  /** A super-frame with gso_size 0, which no segmentation can honour. */
  | 'zero-segment-size'
  /** Emit: checksumStart without checksumOffset or the other way round. */
  | 'incomplete-checksum'
  /** Emit: a field that is not an integer in 0..65535. */
  | 'field-out-of-range';

const PLAIN: Result<FrameOffload | undefined, never> = ok(undefined);
const EMITTED: Result<undefined, never> = ok(undefined);

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Reads the header a device wrote in front of a received frame, at `offset` in `bytes`.
 * `undefined` is an ordinary frame (no flag, no segmentation): the zero header.
 * Never throws: malformed or unsupported headers are an Err, and the frame should be dropped.
 */
export function parseVirtioNetHeader(
  bytes: Uint8Array,
  offset = 0,
): Result<FrameOffload | undefined, VirtioNetHeaderError> {
  const available = bytes.length - offset;
  if (!Number.isInteger(offset) || offset < 0 || available < VIRTIO_NET_HDR_LEGACY_LENGTH) {
    return err('truncated');
  }
  const flags = bytes[offset]!;
  const gsoType = bytes[offset + 1]!;
  if ((flags & ~(F_NEEDS_CSUM | F_DATA_VALID)) !== 0) return err('unknown-flags');
  if (flags === 0 && gsoType === GSO_NONE) return PLAIN;
  const offload: Mutable<FrameOffload> = {};
  // §5.1.6.4: csum_start and csum_offset mean something only with NEEDS_CSUM.
  if ((flags & F_NEEDS_CSUM) !== 0) {
    offload.checksumStart = readU16LE(bytes, offset + 6);
    offload.checksumOffset = readU16LE(bytes, offset + 8);
  }
  if ((flags & F_DATA_VALID) !== 0) offload.checksumValid = true;
  if (gsoType !== GSO_NONE) {
    const kind = segmentationKind(gsoType);
    if (kind === undefined) return err('unknown-gso-type');
    if (kind === 'unsupported') return err('unsupported-gso-type');
    const segmentSize = readU16LE(bytes, offset + 4);
    if (segmentSize === 0) return err('zero-segment-size');
    offload.segmentation = { kind, segmentSize, headerLength: readU16LE(bytes, offset + 2) };
  }
  return ok(offload);
}

function segmentationKind(gsoType: number): 'tcp4' | 'tcp6' | 'unsupported' | undefined {
  switch (gsoType) {
    case GSO_TCPV4:
      return 'tcp4';
    case GSO_TCPV6:
      return 'tcp6';
    case GSO_UDP:
    case GSO_UDP_L4:
    case GSO_TCPV4 | GSO_ECN:
    case GSO_TCPV6 | GSO_ECN:
      return 'unsupported';
    default:
      return undefined;
  }
}

/**
 * Writes the header for a frame to transmit, VIRTIO_NET_HDR_LENGTH bytes at `offset` in `out`:
 * all zero for `undefined` or an offload without checksum or segmentation. `checksumValid` is
 * not written: DATA_VALID is for received frames, and a driver must not set it (§5.1.6.2).
 * An offload the header cannot express is an Err, and `out` may then be partly written.
 * Throws RangeError if `out` has no room: the caller sizes that buffer.
 */
export function emitVirtioNetHeader(
  offload: FrameOffload | undefined,
  out: Uint8Array,
  offset = 0,
): Result<undefined, VirtioNetHeaderError> {
  if (!(Number.isInteger(offset) && offset >= 0 && out.length - offset >= VIRTIO_NET_HDR_LENGTH)) {
    throw new RangeError(
      `a virtio-net header needs ${VIRTIO_NET_HDR_LENGTH} bytes at offset ${offset} of a ${out.length}-byte buffer; pass a larger buffer`,
    );
  }
  out.fill(0, offset, offset + VIRTIO_NET_HDR_LENGTH);
  if (offload === undefined) return EMITTED;
  const { checksumStart, checksumOffset, segmentation } = offload;
  if ((checksumStart === undefined) !== (checksumOffset === undefined)) {
    return err('incomplete-checksum');
  }
  if (checksumStart !== undefined && checksumOffset !== undefined) {
    if (!isU16(checksumStart) || !isU16(checksumOffset)) return err('field-out-of-range');
    out[offset] = F_NEEDS_CSUM;
    writeU16LE(out, offset + 6, checksumStart);
    writeU16LE(out, offset + 8, checksumOffset);
  }
  if (segmentation !== undefined) {
    const { kind, segmentSize, headerLength } = segmentation;
    if (!isU16(segmentSize) || !isU16(headerLength)) return err('field-out-of-range');
    if (segmentSize === 0) return err('zero-segment-size');
    out[offset + 1] = kind === 'tcp4' ? GSO_TCPV4 : GSO_TCPV6;
    writeU16LE(out, offset + 2, headerLength);
    writeU16LE(out, offset + 4, segmentSize);
  }
  return EMITTED;
}

function isU16(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= 0xffff;
}
