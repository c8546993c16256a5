import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bytesEqual, fromHex } from '@oasis/core';
import fc from 'fast-check';
import {
  ARP_ERRORS,
  ARP_HARDWARE_ETHERNET,
  ARP_LENGTH,
  ARP_OPERATION_REQUEST,
  ArpPacket,
  type ArpRepr,
  arpLength,
  emitArp,
  isArpAnnouncement,
  isArpProbe,
  parseArp,
} from '../src/arp.ts';
import { ETHERTYPE_ARP, ETHERTYPE_IPV4, EthernetFrame } from '../src/ethernet.ts';
import { formatIpv4Address } from '../src/ipv4-address.ts';
import { formatMac } from '../src/mac-address.ts';

// `arping`/a Linux host resolving 192.168.1.1, as received from a NIC: the frame is padded to
// the 60-byte Ethernet minimum, so 18 bytes of padding follow the 28-byte ARP packet.
const REQUEST_FRAME = fromHex(`
  ff ff ff ff ff ff        # destination: broadcast
  52 54 00 12 34 56        # source
  08 06                    # EtherType: ARP
  00 01                    # hardware type: Ethernet (1)
  08 00                    # protocol type: IPv4
  06                       # hardware address length
  04                       # protocol address length
  00 01                    # operation: request
  52 54 00 12 34 56        # sender MAC
  c0 a8 01 17              # sender IP 192.168.1.23
  00 00 00 00 00 00        # target MAC: unknown, zero as Linux sends it
  c0 a8 01 01              # target IP 192.168.1.1
  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00   # Ethernet padding
`);

// The router's answer as a TAP device delivers it: unicast, not padded (42 bytes).
const REPLY_FRAME = fromHex(`
  52 54 00 12 34 56  c8 3a 35 0a 8b 01  08 06
  00 01 08 00 06 04
  00 02                    # operation: reply
  c8 3a 35 0a 8b 01        # sender MAC: the router
  c0 a8 01 01              # sender IP 192.168.1.1
  52 54 00 12 34 56        # target MAC: the requester
  c0 a8 01 17              # target IP 192.168.1.23
`);

// RFC 5227 §2.1.1 probe for 169.254.7.9 and §2.3 announcement of it.
const PROBE = fromHex(`
  00 01 08 00 06 04 00 01
  02 00 00 00 00 07  00 00 00 00     # sender IP 0.0.0.0
  00 00 00 00 00 00  a9 fe 07 09     # target IP: the address probed
`);
const ANNOUNCEMENT = fromHex(`
  00 01 08 00 06 04 00 01
  02 00 00 00 00 07  a9 fe 07 09     # sender IP: the address claimed
  00 00 00 00 00 00  a9 fe 07 09     # target IP: the same
`);

// ARP over InfiniBand (RFC 4391 §4): 20-byte hardware addresses. Not Oasis' business, but it
// must be read or refused cleanly.
const INFINIBAND = fromHex(`
  00 20 08 00 14 04 00 01
  00 00 00 48 fe 80 00 00 00 00 00 00 00 02 c9 03 00 0a 4b 31   # sender hardware (20)
  0a 00 00 01
  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00   # target hardware (20)
  0a 00 00 02
`);

function arpPayload(frame: Uint8Array): Uint8Array {
  const checked = EthernetFrame.checked(frame);
  assert.ok(checked.ok);
  assert.equal(checked.value.etherType, ETHERTYPE_ARP);
  return checked.value.payload;
}

describe('ARP', () => {
  it('reads a request padded to the Ethernet minimum', () => {
    const payload = arpPayload(REQUEST_FRAME);
    assert.equal(payload.length, 46);
    const checked = ArpPacket.checked(payload);
    assert.ok(checked.ok);
    const packet = checked.value;
    assert.equal(packet.hardwareType, ARP_HARDWARE_ETHERNET);
    assert.equal(packet.protocolType, ETHERTYPE_IPV4);
    assert.equal(packet.hardwareLength, 6);
    assert.equal(packet.protocolLength, 4);
    assert.equal(packet.operation, ARP_OPERATION_REQUEST);
    assert.equal(packet.length, ARP_LENGTH);
    assert.equal(formatMac(packet.senderHardwareAddress), '52:54:00:12:34:56');
    assert.deepEqual([...packet.senderProtocolAddress], [192, 168, 1, 23]);
    assert.equal(formatMac(packet.targetHardwareAddress), '00:00:00:00:00:00');
    assert.deepEqual([...packet.targetProtocolAddress], [192, 168, 1, 1]);

    const parsed = parseArp(payload);
    assert.ok(parsed.ok);
    assert.equal(parsed.value.operation, 'request');
    assert.equal(formatIpv4Address(parsed.value.senderIp), '192.168.1.23');
    assert.equal(formatIpv4Address(parsed.value.targetIp), '192.168.1.1');
    assert.ok(!isArpProbe(parsed.value));
    assert.ok(!isArpAnnouncement(parsed.value));
  });

  it('reads an unpadded reply', () => {
    const parsed = parseArp(arpPayload(REPLY_FRAME));
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.value, {
      operation: 'reply',
      senderMac: fromHex('c8 3a 35 0a 8b 01'),
      senderIp: 0xc0a80101,
      targetMac: fromHex('52 54 00 12 34 56'),
      targetIp: 0xc0a80117,
    });
  });

  it('recognises RFC 5227 probes and announcements', () => {
    const probe = parseArp(PROBE);
    const announcement = parseArp(ANNOUNCEMENT);
    assert.ok(probe.ok && announcement.ok);
    assert.ok(isArpProbe(probe.value));
    assert.ok(!isArpAnnouncement(probe.value));
    assert.ok(isArpAnnouncement(announcement.value));
    assert.ok(!isArpProbe(announcement.value));
    // The gratuitous-reply form of an announcement (RFC 5227 §3).
    assert.ok(isArpAnnouncement({ ...announcement.value, operation: 'reply' }));
  });

  it('round-trips byte-exact, padding left out', () => {
    for (const bytes of [arpPayload(REQUEST_FRAME), arpPayload(REPLY_FRAME), PROBE, ANNOUNCEMENT]) {
      const parsed = parseArp(bytes);
      assert.ok(parsed.ok);
      assert.equal(arpLength(parsed.value), ARP_LENGTH);
      const out = new Uint8Array(ARP_LENGTH);
      assert.equal(emitArp(parsed.value, out), ARP_LENGTH);
      assert.ok(bytesEqual(out, bytes.subarray(0, ARP_LENGTH)));
    }
  });

  it('refuses every truncated packet', () => {
    for (let length = 0; length < ARP_LENGTH; length++) {
      const prefix = arpPayload(REPLY_FRAME).subarray(0, length);
      const refused = { ok: false, error: ARP_ERRORS.truncated };
      assert.deepEqual(ArpPacket.checked(prefix), refused, `length ${length}`);
      assert.deepEqual(parseArp(prefix), refused, `length ${length}`);
    }
    for (let length = 0; length < INFINIBAND.length; length++) {
      assert.deepEqual(parseArp(INFINIBAND.subarray(0, length)), {
        ok: false,
        error: ARP_ERRORS.truncated,
      });
    }
  });

  it('reads other hardware and protocol sizes in the view, refuses them in parseArp', () => {
    const checked = ArpPacket.checked(INFINIBAND);
    assert.ok(checked.ok);
    const packet = checked.value;
    assert.equal(packet.hardwareType, 32);
    assert.equal(packet.length, 56);
    assert.equal(packet.senderHardwareAddress.length, 20);
    assert.deepEqual([...packet.senderProtocolAddress], [10, 0, 0, 1]);
    assert.equal(packet.targetHardwareAddress.length, 20);
    assert.deepEqual([...packet.targetProtocolAddress], [10, 0, 0, 2]);
    assert.deepEqual(parseArp(INFINIBAND), {
      ok: false,
      error: ARP_ERRORS['unsupported-hardware'],
    });

    // Zero-length addresses: an 8-byte packet, readable, refused for its lengths.
    const empty = fromHex('00 01 08 00 00 00 00 01');
    const emptyView = ArpPacket.checked(empty);
    assert.ok(emptyView.ok);
    assert.equal(emptyView.value.senderHardwareAddress.length, 0);
    assert.equal(emptyView.value.targetProtocolAddress.length, 0);
    assert.deepEqual(parseArp(empty), { ok: false, error: ARP_ERRORS['bad-address-length'] });

    // The largest sizes the octets can announce need 8 + 2 × 510 bytes.
    const huge = fromHex('00 01 08 00 ff ff 00 01');
    assert.deepEqual(ArpPacket.checked(huge), { ok: false, error: ARP_ERRORS.truncated });
    const hugeFull = new Uint8Array(8 + 2 * 510);
    hugeFull.set(huge);
    assert.ok(ArpPacket.checked(hugeFull).ok);
    assert.deepEqual(parseArp(hugeFull), { ok: false, error: ARP_ERRORS['bad-address-length'] });
  });

  it('refuses each unsupported field with its own reason', () => {
    const base = arpPayload(REPLY_FRAME);
    const mutate = (offset: number, ...values: number[]) => {
      const bytes = base.slice();
      bytes.set(values, offset);
      return parseArp(bytes);
    };
    const refused = (reason: keyof typeof ARP_ERRORS) => ({ ok: false, error: ARP_ERRORS[reason] });
    assert.deepEqual(mutate(0, 0x00, 0x06), refused('unsupported-hardware')); // IEEE 802
    assert.deepEqual(mutate(2, 0x86, 0xdd), refused('unsupported-protocol')); // IPv6
    assert.deepEqual(mutate(4, 0x06, 0x03), refused('bad-address-length'));
    assert.deepEqual(mutate(4, 0x05, 0x04), refused('bad-address-length'));
    assert.deepEqual(mutate(6, 0x00, 0x03), refused('unsupported-operation')); // RARP request
    assert.deepEqual(mutate(6, 0x00, 0x00), refused('unsupported-operation'));
    assert.equal(ARP_ERRORS['unsupported-operation'].key, 'arp.unsupported-operation');
  });

  it('never throws on random bytes, and what it accepts round-trips', () => {
    fc.assert(
      fc.property(
        // size 'max': fast-check's default size keeps arrays to about ten elements.
        fc.uint8Array({ maxLength: 64, size: 'max' }),
        fc.constantFrom('raw', 'ethernet-ipv4', 'request', 'reply'),
        (random, shape) => {
          const bytes = random.slice();
          // Mostly, make the fixed part plausible so parsing gets past it.
          if (shape !== 'raw' && bytes.length >= 8) {
            bytes.set([0x00, 0x01, 0x08, 0x00, 6, 4]);
            if (shape === 'request') bytes.set([0, 1], 6);
            if (shape === 'reply') bytes.set([0, 2], 6);
          }
          const checked = ArpPacket.checked(bytes);
          if (checked.ok) {
            const packet = checked.value;
            assert.ok(packet.length <= bytes.length);
            assert.equal(packet.senderHardwareAddress.length, packet.hardwareLength);
            assert.equal(packet.targetProtocolAddress.length, packet.protocolLength);
          }
          const parsed = parseArp(bytes);
          if (!parsed.ok) return;
          const out = new Uint8Array(ARP_LENGTH);
          emitArp(parsed.value, out);
          assert.ok(bytesEqual(out, bytes.subarray(0, ARP_LENGTH)));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('never throws on mutated packets, and what it accepts round-trips', () => {
    const valid = [arpPayload(REQUEST_FRAME), arpPayload(REPLY_FRAME), INFINIBAND];
    fc.assert(
      fc.property(
        fc.constantFrom(...valid),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        fc.nat(),
        (original, edits, cut) => {
          const bytes = original.slice(0, cut % (original.length + 1));
          for (const [at, value] of edits) if (bytes.length > 0) bytes[at % bytes.length] = value;
          const parsed = parseArp(bytes);
          if (!parsed.ok) return;
          const out = new Uint8Array(ARP_LENGTH);
          emitArp(parsed.value, out);
          assert.ok(bytesEqual(out, bytes.subarray(0, ARP_LENGTH)));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('emits from a representation and reads it back', () => {
    const mac = fc.uint8Array({ minLength: 6, maxLength: 6 });
    const ip = fc.integer({ min: 0, max: 0xffff_ffff });
    fc.assert(
      fc.property(
        fc.record({
          operation: fc.constantFrom<ArpRepr['operation']>('request', 'reply'),
          senderMac: mac,
          senderIp: ip,
          targetMac: mac,
          targetIp: ip,
        }),
        (repr) => {
          const buffer = new Uint8Array(arpLength(repr));
          emitArp(repr, buffer);
          const parsed = parseArp(buffer);
          assert.ok(parsed.ok);
          assert.deepEqual(parsed.value, { ...repr });
        },
      ),
    );
  });

  it('throws RangeError on programmer errors when emitting', () => {
    const repr: ArpRepr = {
      operation: 'request',
      senderMac: new Uint8Array(6),
      senderIp: 0x0a000001,
      targetMac: new Uint8Array(6),
      targetIp: 0x0a000002,
    };
    assert.throws(() => emitArp(repr, new Uint8Array(27)), RangeError);
    assert.throws(
      () => emitArp({ ...repr, targetMac: new Uint8Array(5) }, new Uint8Array(28)),
      RangeError,
    );
    assert.throws(() => emitArp({ ...repr, senderIp: -1 }, new Uint8Array(28)), RangeError);
    assert.throws(() => emitArp({ ...repr, targetIp: 2 ** 32 }, new Uint8Array(28)), RangeError);
    const bogus = { ...repr, operation: 'rarp' } as unknown as ArpRepr;
    assert.throws(() => emitArp(bogus, new Uint8Array(28)), RangeError);
  });
});
