// What TapDevice.open takes, and the checks that turn a mistake into a TypeError or RangeError
// before the kernel sees it. The limits are Linux's: interface names per dev_valid_name()
// (net/core/dev.c) and IFNAMSIZ (netdevice(7)), a TAP interface's MTU range per tun.c, and
// Ethernet address validity per is_valid_ether_addr() (include/linux/etherdevice.h).

export interface TapDeviceOptions {
  /**
   * The interface's name, 1 to 15 bytes. The interface is created if it does not exist, and
   * attached to if it is a TAP interface nobody holds. A `%d` lets the kernel pick the number.
   */
  readonly name: string;
  /**
   * Frames carry a virtio-net header, which enables checksum and TCP segmentation offloads in
   * both directions (default true).
   */
  readonly vnetHeader?: boolean;
  /** Sets the interface's MTU; by default it keeps its own (1500 for a new interface). */
  readonly mtu?: number;
  /**
   * The Ethernet address of our end of the link, the stack's (default: a random locally
   * administered one). The interface, the kernel's end, keeps an address of its own.
   */
  readonly mac?: Uint8Array;
}

/** IFNAMSIZ is 16, including the terminating NUL. */
const MAX_NAME_BYTES = 15;
/** ETH_MIN_MTU, the smallest MTU tun accepts: RFC 791 §3.2's 68 bytes. */
export const TAP_MIN_MTU = 68;
/** tun's largest MTU: 65535 (MAX_MTU) less the 14-byte Ethernet header. */
export const TAP_MAX_MTU = 65_535 - 14;

export function checkTapDeviceOptions(options: TapDeviceOptions): void {
  const { name, vnetHeader, mtu, mac } = options;
  if (typeof name !== 'string') throw new TypeError('name must be a string, such as "tap0"');
  const bytes = new TextEncoder().encode(name).length;
  if (bytes === 0 || bytes > MAX_NAME_BYTES) {
    throw new RangeError(
      `interface name "${name}" has ${bytes} bytes; Linux allows 1 to ${MAX_NAME_BYTES}: choose a shorter name`,
    );
  }
  if (name === '.' || name === '..' || /[/:\s\0]/.test(name)) {
    throw new RangeError(
      `interface name "${name}" is not valid on Linux: use no "/", ":", whitespace or NUL, and not "." or ".."`,
    );
  }
  if (vnetHeader !== undefined && typeof vnetHeader !== 'boolean') {
    throw new TypeError('vnetHeader must be true or false');
  }
  if (mtu !== undefined && !(Number.isInteger(mtu) && mtu >= TAP_MIN_MTU && mtu <= TAP_MAX_MTU)) {
    throw new RangeError(
      `mtu must be an integer in ${TAP_MIN_MTU}..${TAP_MAX_MTU} (a TAP interface's range), got ${mtu}`,
    );
  }
  if (mac !== undefined) checkMac(mac);
}

function checkMac(mac: Uint8Array): void {
  if (!(mac instanceof Uint8Array) || mac.length !== 6) {
    throw new RangeError('mac must be a Uint8Array of 6 bytes');
  }
  // The I/G bit, the least significant bit of the first octet, marks group addresses (IEEE 802 §8.2).
  if ((mac[0]! & 1) === 1 || mac.every((byte) => byte === 0)) {
    throw new RangeError(
      'mac must be a unicast, non-zero address; for a local one set bit 1 of the first byte, e.g. 02:xx:xx:xx:xx:xx',
    );
  }
}
