// Test traffic: well-formed Ethernet II frames carrying ARP (RFC 826) and IPv4/UDP (RFC 791,
// RFC 768) with correct checksums, built by hand so the simulator can be tested before the wire
// codecs exist. Addresses are 10.0.0.N, inside the simulation only.

import { internetChecksum, sumWords, writeU16BE, writeU32BE } from '@oasis/core';

export const BROADCAST = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);

export function ipv4(lastOctet: number): number {
  return ((10 << 24) | lastOctet) >>> 0;
}

function ethernet(
  dst: Uint8Array,
  src: Uint8Array,
  etherType: number,
  payloadLength: number,
): Uint8Array {
  const frame = new Uint8Array(14 + payloadLength);
  frame.set(dst, 0);
  frame.set(src, 6);
  writeU16BE(frame, 12, etherType);
  return frame;
}

export function arpRequest(srcMac: Uint8Array, srcIp: number, targetIp: number): Uint8Array {
  const frame = ethernet(BROADCAST, srcMac, 0x0806, 28);
  const arp = frame.subarray(14);
  writeU16BE(arp, 0, 1); // hardware type: Ethernet
  writeU16BE(arp, 2, 0x0800); // protocol type: IPv4
  arp[4] = 6;
  arp[5] = 4;
  writeU16BE(arp, 6, 1); // request
  arp.set(srcMac, 8);
  writeU32BE(arp, 14, srcIp);
  writeU32BE(arp, 24, targetIp);
  return frame;
}

export interface UdpFrame {
  readonly dstMac: Uint8Array;
  readonly srcMac: Uint8Array;
  readonly srcIp: number;
  readonly dstIp: number;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly payload: Uint8Array;
  readonly id?: number;
}

export function udpFrame(f: UdpFrame): Uint8Array {
  const udpLength = 8 + f.payload.length;
  const frame = ethernet(f.dstMac, f.srcMac, 0x0800, 20 + udpLength);
  const ip = frame.subarray(14);
  ip[0] = 0x45; // version 4, 20-byte header
  writeU16BE(ip, 2, 20 + udpLength);
  writeU16BE(ip, 4, f.id ?? 0);
  writeU16BE(ip, 6, 0x4000); // don't fragment
  ip[8] = 64; // TTL
  ip[9] = 17; // UDP
  writeU32BE(ip, 12, f.srcIp);
  writeU32BE(ip, 16, f.dstIp);
  writeU16BE(ip, 10, internetChecksum(ip.subarray(0, 20)));
  const udp = ip.subarray(20);
  writeU16BE(udp, 0, f.srcPort);
  writeU16BE(udp, 2, f.dstPort);
  writeU16BE(udp, 4, udpLength);
  udp.set(f.payload, 8);
  // The pseudo-header: source, destination, zero, protocol, UDP length (RFC 768).
  const pseudo = new Uint8Array(12);
  pseudo.set(ip.subarray(12, 20), 0);
  pseudo[9] = 17;
  writeU16BE(pseudo, 10, udpLength);
  const checksum = internetChecksum(udp, sumWords(pseudo));
  writeU16BE(udp, 6, checksum === 0 ? 0xffff : checksum); // RFC 768: a computed 0 is sent as all ones
  return frame;
}
