// Hand-built Ethernet II frames carrying ARP (RFC 826) and IPv4/UDP (RFC 791, RFC 768), for the
// tests that drive NICs, switches and TAP devices without a stack: built with the wire codecs,
// one buffer per frame, each header emitted in place.

import {
  ARP_LENGTH,
  BROADCAST_MAC,
  ETHERNET_HEADER_LENGTH,
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  emitArp,
  emitEthernet,
  emitIpv4,
  emitUdp,
  IP_PROTOCOL_UDP,
  IPV4_HEADER_LENGTH,
  ipv4PseudoHeaderSum,
  UDP_HEADER_LENGTH,
} from '@oasis/wire';

/** 10.0.0.`lastOctet`, as a number. */
export function ipv4(lastOctet: number): number {
  return ((10 << 24) | lastOctet) >>> 0;
}

function ethernetFrame(
  destination: Uint8Array,
  source: Uint8Array,
  etherType: number,
  payloadLength: number,
) {
  const frame = new Uint8Array(ETHERNET_HEADER_LENGTH + payloadLength);
  emitEthernet({ destination, source, etherType, tags: [] }, frame);
  return { frame, payload: frame.subarray(ETHERNET_HEADER_LENGTH) };
}

export function arpRequest(srcMac: Uint8Array, srcIp: number, targetIp: number): Uint8Array {
  const { frame, payload } = ethernetFrame(BROADCAST_MAC, srcMac, ETHERTYPE_ARP, ARP_LENGTH);
  emitArp(
    {
      operation: 'request',
      senderMac: srcMac,
      senderIp: srcIp,
      targetMac: new Uint8Array(6),
      targetIp,
    },
    payload,
  );
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
  const udpLength = UDP_HEADER_LENGTH + f.payload.length;
  const { frame, payload: ip } = ethernetFrame(
    f.dstMac,
    f.srcMac,
    ETHERTYPE_IPV4,
    IPV4_HEADER_LENGTH + udpLength,
  );
  emitIpv4(
    {
      dscp: 0,
      ecn: 0,
      identification: f.id ?? 0,
      reservedFlag: false,
      dontFragment: true,
      moreFragments: false,
      fragmentOffset: 0,
      ttl: 64,
      protocol: IP_PROTOCOL_UDP,
      source: f.srcIp,
      destination: f.dstIp,
      options: new Uint8Array(0),
      payloadLength: udpLength,
      checksum: 'compute',
    },
    ip,
  );
  const pseudoSum = ipv4PseudoHeaderSum(f.srcIp, f.dstIp, IP_PROTOCOL_UDP, udpLength);
  emitUdp(
    { sourcePort: f.srcPort, destinationPort: f.dstPort, checksum: 'compute', payload: f.payload },
    ip.subarray(IPV4_HEADER_LENGTH),
    pseudoSum,
  );
  return frame;
}
