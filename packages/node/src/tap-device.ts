// A Linux TAP interface as a NetDevice (the kernel's Documentation/networking/tuntap.rst). The
// addon (tap-addon.ts) owns the descriptor: it reads frames in batches when the descriptor is
// readable, into one buffer allocated here, and writes a batch with one native call. With the
// virtio-net header (the default) every frame carries its offload metadata: received frames may
// be TCP super-frames or have their checksum left to finish, and sent frames may ask the kernel
// to do both (virtio-net-header.ts).
//
// The interface is the kernel's end of a point-to-point Ethernet link, and this device is ours.
// So `mac` is our own address (the stack's, as a MirageOS unikernel has its own on its TAP),
// distinct from the interface's `interfaceMac`, which the kernel uses; sharing one address
// would break on a bridged TAP, where the bridge delivers frames for the interface's address to
// the host. `mtu` is the interface's, as the kernel reports it after `open` applied the options.

import { ClosedError, OasisError, SystemRandom } from '@oasis/core';
import {
  emptyCounters,
  type Frame,
  type FrameHandler,
  type NetDevice,
  type NetDeviceCounters,
  NO_OFFLOAD,
  type OffloadCapabilities,
} from '@oasis/runtime';
import { ETHERNET_HEADER_LENGTH, ethernetFrameFits } from '@oasis/wire';
import { loadTapAddon, type OpenedTap, type TapAddon, type TapHandle } from './tap-addon.ts';
import { tapOpenError } from './tap-open-error.ts';
import { checkTapDeviceOptions, type TapDeviceOptions } from './tap-options.ts';
import {
  emitVirtioNetHeader,
  parseVirtioNetHeader,
  VIRTIO_NET_HDR_LENGTH,
} from './virtio-net-header.ts';

/**
 * The largest IP packet in a super-frame: 65535 bytes of IPv4 total length (RFC 791 §3.1), or
 * of IPv6 payload behind the 40-byte fixed header (RFC 8200 §3).
 */
const MAX_SUPER_PACKET = 65_535 + 40;
/** Frames read per batch, at most. */
const RX_BATCH = 64;
/** Room for a full batch of ordinary frames, or 15 super-frames of 64 KiB. */
const RX_BUFFER_BYTES = 1 << 20;

/**
 * With the header: we may send partial checksums and TCP super-frames, which tun accepts from
 * any writer (virtio_net_hdr_to_skb); the kernel marks frames whose checksum it verified
 * (DATA_VALID); and open() enabled TUN_F_CSUM|TUN_F_TSO4|TUN_F_TSO6, so the kernel may hand us
 * partial checksums and super-frames too.
 */
const VNET_OFFLOAD: OffloadCapabilities = {
  txChecksum: true,
  rxChecksum: true,
  tso4: true,
  tso6: true,
};

/** A random unicast, locally administered address (IEEE 802 §8.2: I/G bit 0, U/L bit 1). */
function randomLocalMac(): Uint8Array {
  const mac = new SystemRandom().fill(new Uint8Array(6));
  mac[0] = (mac[0]! & 0xfc) | 0x02;
  return mac;
}

export class TapDevice implements NetDevice {
  readonly name: string;
  readonly mac: Uint8Array;
  /** The interface's own address: the kernel's end of the link. */
  readonly interfaceMac: Uint8Array;
  readonly mtu: number;
  readonly offload: OffloadCapabilities;
  readonly #addon: TapAddon;
  readonly #tap: TapHandle;
  /** Bytes of virtio-net header before each frame the addon reads or writes; 0 without. */
  readonly #headerLength: number;
  readonly #counters = emptyCounters();
  readonly #rxBuffer = new ArrayBuffer(RX_BUFFER_BYTES);
  readonly #rxBytes = new Uint8Array(this.#rxBuffer);
  /** [offset, length] in #rxBytes of each frame of the batch the addon read, header included. */
  readonly #rxMeta = new Int32Array(2 * RX_BATCH);
  /** Scratch for send: the headers of a batch, and the errno of each write. */
  #txHeaders = new Uint8Array(0);
  #txStatus = new Int32Array(0);
  #handler: FrameHandler | undefined;
  #failure: OasisError | undefined;
  #closed = false;

  /**
   * Opens the TAP interface `name`, creating it if it does not exist. The interface starts
   * down: configure it (addresses, `ip link set NAME up`) with the usual tools. Rejects with
   * OasisError ENOENT without a TUN/TAP driver, EPERM without CAP_NET_ADMIN, EADDRINUSE when
   * another descriptor holds the interface, ENOTSUP when the addon was not built; with
   * TypeError/RangeError on bad options.
   */
  static async open(options: TapDeviceOptions): Promise<TapDevice> {
    checkTapDeviceOptions(options);
    const addon = loadTapAddon();
    const headerLength = options.vnetHeader === false ? 0 : VIRTIO_NET_HDR_LENGTH;
    let opened: OpenedTap;
    try {
      opened = addon.open(options.name, headerLength, options.mtu ?? 0);
    } catch (error) {
      throw tapOpenError(options.name, error);
    }
    try {
      return new TapDevice(addon, opened, headerLength, options.mac?.slice() ?? randomLocalMac());
    } catch (error) {
      addon.close(opened.tap);
      throw tapOpenError(options.name, error);
    }
  }

  private constructor(addon: TapAddon, opened: OpenedTap, headerLength: number, mac: Uint8Array) {
    this.name = opened.name;
    this.mac = mac;
    this.interfaceMac = opened.mac;
    this.mtu = opened.mtu;
    this.offload = headerLength > 0 ? VNET_OFFLOAD : NO_OFFLOAD;
    this.#addon = addon;
    this.#tap = opened.tap;
    this.#headerLength = headerLength;
    // Receiving starts now, so that frames arriving before `listen` are read and counted as
    // dropped rather than left to fill the kernel's queue.
    addon.start(opened.tap, this.#rxBuffer, this.#rxMeta, (count, failure) =>
      this.#receive(count, failure),
    );
  }

  /**
   * Why the device stopped receiving (its interface was deleted, say), or undefined while it
   * receives. A device that failed still needs `close()`.
   */
  get failure(): OasisError | undefined {
    return this.#failure;
  }

  /**
   * Writes each frame with its offload as the virtio-net header (an all-zero header for a plain
   * frame). Counted as dropped: frames shorter than an Ethernet header, longer than the MTU
   * allows (a super-frame: longer than 64 KiB of IP packet), with offloads the header cannot
   * express or the device did not enable, and frames the kernel refused (a full queue, a
   * deleted interface). A super-frame counts as one frame.
   */
  send(frames: readonly Frame[]): void {
    if (this.#closed) throw new ClosedError(`TAP device ${this.name}`);
    const counters = this.#counters;
    const headerLength = this.#headerLength;
    this.#reserve(frames.length);
    const headers = this.#txHeaders;
    const views: Uint8Array[] = [];
    for (const frame of frames) {
      if (
        !this.#fits(frame) ||
        (headerLength > 0 &&
          !emitVirtioNetHeader(frame.offload, headers, views.length * headerLength).ok)
      ) {
        counters.txDropped++;
        continue;
      }
      views.push(frame.data);
    }
    if (views.length === 0) return;
    const status = this.#txStatus;
    this.#addon.send(this.#tap, views, views.length, headerLength > 0 ? headers : null, status);
    for (let i = 0; i < views.length; i++) {
      if (status[i] === 0) {
        counters.txFrames++;
        counters.txBytes += views[i]!.length;
      } else {
        counters.txDropped++;
      }
    }
  }

  listen(handler: FrameHandler): void {
    this.#handler = handler;
  }

  /** rxBytes and txBytes count Ethernet frames, without the virtio-net header. */
  counters(): NetDeviceCounters {
    return { ...this.#counters };
  }

  /** Closing the descriptor destroys the interface unless it was made persistent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#handler = undefined;
    this.#addon.close(this.#tap);
  }

  /** Whether the frame's length, and the offloads it asks for, are within what the device takes. */
  #fits({ data, offload }: Frame): boolean {
    const segmented = offload?.segmentation !== undefined;
    if (this.#headerLength === 0 && (segmented || offload?.checksumStart !== undefined)) {
      return false;
    }
    return ethernetFrameFits(data, segmented ? MAX_SUPER_PACKET : this.mtu);
  }

  /** Grows the send scratch buffers to hold `count` frames. */
  #reserve(count: number): void {
    if (this.#txStatus.length >= count) return;
    const capacity = Math.max(count, 2 * this.#txStatus.length);
    this.#txStatus = new Int32Array(capacity);
    this.#txHeaders = new Uint8Array(capacity * this.#headerLength);
  }

  /** The addon read `count` frames into the receive buffer, or stopped for `failure`. */
  #receive(count: number, failure: string | undefined): void {
    if (failure !== undefined) {
      this.#failure = new OasisError(
        'EIO',
        `TAP device ${this.name} stopped receiving (${failure}): was its interface deleted? Close the device and open it again`,
      );
    }
    const counters = this.#counters;
    const handler = this.#handler;
    const headerLength = this.#headerLength;
    const bytes = this.#rxBytes;
    const meta = this.#rxMeta;
    const frames: Frame[] = [];
    for (let i = 0; i < count; i++) {
      const start = meta[2 * i]!;
      const end = start + meta[2 * i + 1]!;
      const data = bytes.subarray(start + headerLength, end);
      if (handler === undefined || data.length < ETHERNET_HEADER_LENGTH) {
        counters.rxDropped++;
        continue;
      }
      if (headerLength === 0) {
        frames.push({ data });
      } else {
        const header = parseVirtioNetHeader(bytes, start);
        if (!header.ok) {
          counters.rxDropped++;
          continue;
        }
        frames.push(header.value === undefined ? { data } : { data, offload: header.value });
      }
      counters.rxFrames++;
      counters.rxBytes += data.length;
    }
    if (handler !== undefined && frames.length > 0) handler(frames);
  }
}
