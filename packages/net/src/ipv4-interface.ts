// One Ethernet interface of the stack: a NetDevice with its IPv4 addresses. It owns the link
// layer: Ethernet demultiplexing, ARP (answering for its addresses, resolving next hops), and
// address conflict detection for each address. IPv4 packets go up to the stack; packets to send
// come down with their next hop, and leave once ARP knows its MAC.

import { bytesEqual, type Counters, type Random } from '@oasis/core';
import type { FrameOffload, NetDevice } from '@oasis/runtime';
import {
  ARP_LENGTH,
  type ArpRepr,
  BROADCAST_MAC,
  ETHERNET_HEADER_LENGTH,
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  ETHERTYPE_IPV6,
  EthernetFrame,
  emitArp,
  IPV4_BROADCAST,
  type Ipv4Cidr,
  ipv4InSubnet,
  ipv4Netmask,
  isBroadcastMac,
  isGroupMac,
  MAC_LENGTH,
  parseArp,
  writeEthernetHeader,
} from '@oasis/wire';
import { AddressConflictDetector } from './address-conflict.ts';
import { ArpCache, type ArpCacheOptions } from './arp-cache.ts';
import { FrameOutput } from './frame-output.ts';

const ZERO_MAC = new Uint8Array(MAC_LENGTH);

export interface InterfaceAddress {
  readonly address: number;
  readonly prefixLength: number;
  /** The subnet's directed broadcast address (RFC 919, RFC 922); none for /31 and /32. */
  readonly broadcast: number | undefined;
  readonly detector: AddressConflictDetector;
}

/** What the interface hands up to the stack. */
export interface InterfaceUpcalls {
  /**
   * An IPv4 packet (from its header on, link padding included) and the whole frame it came in,
   * borrowed for the call.
   */
  ipv4(
    iface: Ipv4Interface,
    packet: Uint8Array,
    offload: FrameOffload | undefined,
    frame: Uint8Array,
  ): void;
  /** Probing found another host holding `address` (RFC 5227 §2.1.1). */
  addressConflict(iface: Ipv4Interface, address: number): void;
  /** An IPv6 packet (from its header on), borrowed for the call; absent without IPv6. */
  ipv6?(packet: Uint8Array, offload: FrameOffload | undefined): void;
  /** Whether a multicast frame to `mac` carries a group this host listens to (IPv6). */
  acceptsMulticast?(mac: Uint8Array): boolean;
}

export interface Ipv4InterfaceOptions {
  readonly index: number;
  readonly device: NetDevice;
  readonly addresses: readonly Ipv4Cidr[];
  /** RFC 5227 probing before using each address; false announces at once. */
  readonly probe: boolean;
  readonly arp: Partial<ArpCacheOptions>;
  readonly random: Random;
  readonly nowMs: number;
  readonly drops: Counters;
  readonly traffic: Counters;
  readonly upcalls: InterfaceUpcalls;
}

export class Ipv4Interface {
  readonly index: number;
  readonly device: NetDevice;
  readonly mac: Uint8Array;
  /** The largest IP packet a frame carries. */
  readonly mtu: number;
  readonly output: FrameOutput;
  readonly arp: ArpCache;
  readonly addresses: readonly InterfaceAddress[];
  readonly #drops: Counters;
  readonly #traffic: Counters;
  readonly #upcalls: InterfaceUpcalls;

  constructor(options: Ipv4InterfaceOptions) {
    this.index = options.index;
    this.device = options.device;
    this.mac = options.device.mac.slice();
    this.mtu = options.device.mtu;
    this.output = new FrameOutput(options.device);
    this.#drops = options.drops;
    this.#traffic = options.traffic;
    this.#upcalls = options.upcalls;
    this.addresses = options.addresses.map(({ address, prefixLength }) => ({
      address,
      prefixLength,
      broadcast: prefixLength <= 30 ? (address | ~ipv4Netmask(prefixLength)) >>> 0 : undefined,
      detector: new AddressConflictDetector(address, this.mac, options.random, options.nowMs, {
        probe: options.probe,
      }),
    }));
    this.arp = new ArpCache(
      {
        request: (targetIp, targetMac) => this.#sendArpRequest(targetIp, targetMac),
        transmit: (frame) => this.output.send(frame),
        drop: (reason, frames) => this.#drops.add(reason, frames),
      },
      options.arp,
    );
  }

  /** Whether `address` is one of ours and past probing (RFC 5227 §2.3). */
  owns(address: number): boolean {
    for (const entry of this.addresses) {
      if (entry.address === address) return entry.detector.usable;
    }
    return false;
  }

  /** Whether a packet to `address` is a broadcast on this link: limited or directed. */
  isBroadcast(address: number): boolean {
    if (address === IPV4_BROADCAST) return true;
    for (const entry of this.addresses) if (entry.broadcast === address) return true;
    return false;
  }

  /**
   * The source address for a packet to `nextHop` (RFC 1122 §3.3.4.3): a usable address on the
   * next hop's subnet, else the first usable one; undefined while none is usable yet.
   */
  sourceFor(nextHop: number): number | undefined {
    let fallback: number | undefined;
    for (const entry of this.addresses) {
      if (!entry.detector.usable) continue;
      if (ipv4InSubnet(nextHop, entry.address, entry.prefixLength)) return entry.address;
      fallback ??= entry.address;
    }
    return fallback;
  }

  /** Whether every address is past probing. */
  get ready(): boolean {
    return this.addresses.every((entry) => entry.detector.usable);
  }

  receive(data: Uint8Array, offload: FrameOffload | undefined, nowMs: number): void {
    const checked = EthernetFrame.checked(data);
    if (!checked.ok) {
      this.#drops.add(checked.error.key);
      return;
    }
    const frame = checked.value;
    const destination = frame.destination;
    const group = isGroupMac(destination);
    if (group && !isBroadcastMac(destination) && !this.#upcalls.acceptsMulticast?.(destination)) {
      // IPv4 joins no groups (IGMP and multicast sockets are not supported); IPv6 its own.
      this.#drops.add('ethernet.multicast');
      return;
    }
    if (!group && !bytesEqual(destination, this.mac)) {
      // A TAP device or a flooding switch delivers frames for other hosts too.
      this.#drops.add('ethernet.not-for-us');
      return;
    }
    if (frame.tagCount > 0) {
      this.#drops.add('ethernet.vlan-tagged');
      return;
    }
    switch (frame.etherType) {
      case ETHERTYPE_IPV4:
        this.#upcalls.ipv4(this, frame.payload, offload, data);
        return;
      case ETHERTYPE_ARP:
        this.#receiveArp(frame.payload, nowMs);
        return;
      case ETHERTYPE_IPV6:
        if (this.#upcalls.ipv6 === undefined) break;
        this.#upcalls.ipv6(frame.payload, offload);
        return;
    }
    this.#drops.add('ethernet.unknown-ethertype');
  }

  #receiveArp(bytes: Uint8Array, nowMs: number): void {
    const parsed = parseArp(bytes);
    if (!parsed.ok) {
      this.#drops.add(parsed.error.key);
      return;
    }
    const arp = parsed.value;
    this.#traffic.add('arp.received');
    if (bytesEqual(arp.senderMac, this.mac)) return; // our own, looped back by a switch
    if (isGroupMac(arp.senderMac)) {
      // RFC 1812 §3.3.2: a router must not believe an ARP reply claiming a multicast address;
      // no host has one either.
      this.#drops.add('arp.bad-sender');
      return;
    }
    for (const entry of this.addresses) this.#checkConflict(entry, arp, nowMs);
    // A probe's sender IP is 0.0.0.0: it must not update any cache (RFC 5227 §2.1.1).
    if (arp.senderIp === 0) {
      if (arp.operation === 'request' && this.owns(arp.targetIp)) this.#replyArp(arp);
      return;
    }
    if (this.#isOurAddress(arp.senderIp)) return; // a conflict, handled above
    const forUs = this.owns(arp.targetIp);
    // RFC 826 "Packet Reception": update an entry for the sender if there is one; add one only
    // when we are the target.
    this.arp.learn(arp.senderIp, arp.senderMac, nowMs, {
      create: forUs,
      confirmed: forUs && arp.operation === 'reply',
    });
    if (forUs && arp.operation === 'request') this.#replyArp(arp);
  }

  #isOurAddress(address: number): boolean {
    return this.addresses.some((entry) => entry.address === address);
  }

  #checkConflict(entry: InterfaceAddress, arp: ArpRepr, nowMs: number): void {
    const verdict = entry.detector.onArp(arp, nowMs);
    switch (verdict) {
      case 'none':
        return;
      case 'defend':
        this.#traffic.add('arp.address-defended');
        this.#sendArp('request', entry.address, BROADCAST_MAC, ZERO_MAC, entry.address);
        return;
      case 'conflict-ignored':
        this.#drops.add('arp.address-conflict');
        return;
      case 'conflict':
        this.#drops.add('arp.address-conflict');
        this.#upcalls.addressConflict(this, entry.address);
        return;
    }
  }

  #replyArp(request: ArpRepr): void {
    this.#traffic.add('arp.replies-sent');
    this.#sendArp(
      'reply',
      request.targetIp,
      request.senderMac,
      request.senderMac,
      request.senderIp,
    );
  }

  #sendArpRequest(targetIp: number, targetMac: Uint8Array | undefined): void {
    const source = this.sourceFor(targetIp);
    // With no usable address yet, a request would be a probe; RFC 5227 probes come only from
    // the detector, so wait: the cache retries and gives up on its own schedule.
    if (source === undefined) return;
    this.#traffic.add('arp.requests-sent');
    this.#sendArp('request', source, targetMac ?? BROADCAST_MAC, ZERO_MAC, targetIp);
  }

  #sendArp(
    operation: ArpRepr['operation'],
    senderIp: number,
    destinationMac: Uint8Array,
    targetMac: Uint8Array,
    targetIp: number,
  ): void {
    const frame = this.output.allocate(ETHERNET_HEADER_LENGTH + ARP_LENGTH);
    writeEthernetHeader(frame, destinationMac, this.mac, ETHERTYPE_ARP);
    emitArp(
      { operation, senderMac: this.mac, senderIp, targetMac, targetIp },
      frame.subarray(ETHERNET_HEADER_LENGTH),
    );
    this.output.send(frame);
  }

  /** Whether a frame to `nextHop` leaves at once: its link address is known (or broadcast). */
  sendsAtOnce(nextHop: number, nowMs: number): boolean {
    return this.isBroadcast(nextHop) || this.arp.lookup(nextHop, nowMs) !== undefined;
  }

  /**
   * Sends an IPv4 packet of `ipLength` bytes to `nextHop` on this link. `write` fills the packet
   * into the buffer it is given; `mayOffload` tells it whether the device will finish the L4
   * checksum (only for a frame sent at once: frames waiting for ARP are sent without metadata),
   * and it returns the frame's offload metadata, if any.
   */
  sendIpv4(
    nextHop: number,
    ipLength: number,
    nowMs: number,
    write: (packet: Uint8Array, mayOffload: boolean) => FrameOffload | undefined,
  ): void {
    const frameLength = ETHERNET_HEADER_LENGTH + ipLength;
    const destinationMac = this.isBroadcast(nextHop)
      ? BROADCAST_MAC
      : this.arp.lookup(nextHop, nowMs);
    if (destinationMac !== undefined) {
      const frame = this.output.allocate(frameLength);
      writeEthernetHeader(frame, destinationMac, this.mac, ETHERTYPE_IPV4);
      const offload = write(frame.subarray(ETHERNET_HEADER_LENGTH), this.device.offload.txChecksum);
      this.output.send(frame, offload);
      return;
    }
    // Unresolved: the frame waits in the ARP queue, so it gets its own buffer and full checksums.
    const frame = new Uint8Array(frameLength);
    writeEthernetHeader(frame, ZERO_MAC, this.mac, ETHERTYPE_IPV4);
    write(frame.subarray(ETHERNET_HEADER_LENGTH), false);
    const mac = this.arp.resolve(nextHop, frame, nowMs);
    if (mac !== undefined) {
      frame.set(mac, 0);
      this.output.send(frame);
    }
  }

  /** Runs the timers of ARP and of address conflict detection. */
  poll(nowMs: number): void {
    this.arp.poll(nowMs);
    for (const entry of this.addresses) {
      for (const action of entry.detector.poll(nowMs)) {
        switch (action) {
          case 'probe':
            this.#traffic.add('arp.probes-sent');
            this.#sendArp('request', 0, BROADCAST_MAC, ZERO_MAC, entry.address);
            break;
          case 'announce':
            this.#traffic.add('arp.announcements-sent');
            this.#sendArp('request', entry.address, BROADCAST_MAC, ZERO_MAC, entry.address);
            break;
        }
      }
    }
  }

  pollAt(): number | undefined {
    let earliest = this.arp.pollAt();
    for (const entry of this.addresses) {
      const at = entry.detector.pollAt();
      if (at !== undefined && (earliest === undefined || at < earliest)) earliest = at;
    }
    return earliest;
  }
}
