// IEEE 802 MAC addresses: 6 bytes, written `02:00:5e:10:00:01`.

import { err, ok, type Result } from '@oasis/core';

export const MAC_LENGTH = 6;
export const BROADCAST_MAC: Uint8Array = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);

/** The I/G bit, the least significant bit of the first octet, marks group addresses (IEEE 802 §8.2). */
export function isGroupMac(mac: Uint8Array): boolean {
  return (mac[0]! & 1) === 1;
}

export function isBroadcastMac(mac: Uint8Array): boolean {
  return mac.length === MAC_LENGTH && mac.every((byte) => byte === 0xff);
}

export function formatMac(mac: Uint8Array): string {
  return Array.from(mac, (byte) => byte.toString(16).padStart(2, '0')).join(':');
}

/** Parses `aa:bb:cc:dd:ee:ff` (or with `-`); an Err with a message for anything else. */
export function parseMac(text: string): Result<Uint8Array, string> {
  const parts = text.split(/[:-]/);
  if (parts.length !== MAC_LENGTH || !parts.every((part) => /^[0-9a-fA-F]{2}$/.test(part))) {
    return err(`'${text}' is not a MAC address (six hex pairs such as 02:00:00:00:00:01)`);
  }
  return ok(Uint8Array.from(parts, (part) => Number.parseInt(part, 16)));
}
