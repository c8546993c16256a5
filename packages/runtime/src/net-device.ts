// A network device moves Ethernet frames, in batches. It is what the direct stack sits on and
// what the TAP device, the simulator's ports and wrappers (pcap capture, fault injection)
// implement. A wrapper is a NetDevice around a NetDevice, so they stack freely.

/**
 * Offload metadata of one frame, the fields of the virtio-net header (virtio spec v1.2 §5.1.6):
 * how the device or the stack finishes the checksum, and how a super-frame is segmented.
 */
export interface FrameOffload {
  /**
   * Transmit: the frame's L4 checksum is left for the device to complete, summing from
   * `checksumStart` and storing at `checksumStart + checksumOffset` (VIRTIO_NET_HDR_F_NEEDS_CSUM).
   * Receive: the same, for a frame the host did not finish.
   */
  readonly checksumStart?: number;
  readonly checksumOffset?: number;
  /** Receive: the device already verified the checksums (VIRTIO_NET_HDR_F_DATA_VALID). */
  readonly checksumValid?: boolean;
  /**
   * A TCP super-frame larger than the MTU, to be cut into `segmentSize`-byte segments
   * (GSO_TCPV4 / GSO_TCPV6); absent for an ordinary frame.
   */
  readonly segmentation?: {
    readonly kind: 'tcp4' | 'tcp6';
    readonly segmentSize: number;
    readonly headerLength: number;
  };
}

export interface Frame {
  /** The Ethernet frame from the destination MAC on, without preamble or FCS. */
  readonly data: Uint8Array;
  readonly offload?: FrameOffload;
}

/** What the device can do for the stack; the stack does the rest in software. */
export interface OffloadCapabilities {
  /** Frames may be sent with `checksumStart`/`checksumOffset` for the device to finish. */
  readonly txChecksum: boolean;
  /** Received frames may carry `checksumValid`. */
  readonly rxChecksum: boolean;
  /** TCP super-frames up to 64 KiB may be sent with `segmentation` (TSO over IPv4 / IPv6). */
  readonly tso4: boolean;
  readonly tso6: boolean;
}

export const NO_OFFLOAD: OffloadCapabilities = {
  txChecksum: false,
  rxChecksum: false,
  tso4: false,
  tso6: false,
};

export interface NetDeviceCounters {
  rxFrames: number;
  rxBytes: number;
  txFrames: number;
  txBytes: number;
  /** Frames received and not delivered (no listener, ring full, too short). */
  rxDropped: number;
  /** Frames given to `send` and not transmitted (queue full, device down, too long). */
  txDropped: number;
}

/**
 * Called with each batch of received frames. The frames and their bytes are lent for the call
 * only: the device may reuse the memory once the handler returns, so copy what must be kept.
 */
export type FrameHandler = (frames: readonly Frame[]) => void;

export interface NetDevice {
  /** A short name for logs and captures (`tap0`, `sim:a`). */
  readonly name: string;
  /** The device's Ethernet address, 6 bytes. */
  readonly mac: Uint8Array;
  /** The largest IP packet a frame may carry (the Ethernet payload), 1500 on most links. */
  readonly mtu: number;
  readonly offload: OffloadCapabilities;
  /**
   * Transmits a batch. The device copies or consumes the bytes before it returns, so the caller
   * may reuse its buffers at once. Never throws on a bad frame: it is counted in `txDropped`.
   * Throws ClosedError after `close()`.
   */
  send(frames: readonly Frame[]): void;
  /** Installs the receive handler, replacing any earlier one; frames arriving with none are dropped. */
  listen(handler: FrameHandler): void;
  /** A snapshot of the counters since the device was opened. */
  counters(): NetDeviceCounters;
  /** Stops receiving and releases the device; later `send` calls throw ClosedError. */
  close(): Promise<void>;
}

export function emptyCounters(): NetDeviceCounters {
  return { rxFrames: 0, rxBytes: 0, txFrames: 0, txBytes: 0, rxDropped: 0, txDropped: 0 };
}
