import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bytesEqual, fromHex } from '@oasis/core';
import fc from 'fast-check';
import {
  ETHERNET_ERRORS,
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  ETHERTYPE_QINQ,
  ETHERTYPE_VLAN,
  EthernetFrame,
  emitEthernet,
  ethernetFrameFits,
  ethernetHeaderLength,
  parseEthernet,
  writeEthernetHeader,
} from '../src/ethernet.ts';
import { formatMac } from '../src/mac-address.ts';

// An ARP request as Linux sends it, padded to the 60-byte minimum.
const ARP_FRAME = fromHex(`
  ff ff ff ff ff ff        # destination: broadcast
  02 00 00 00 00 01        # source
  08 06                    # EtherType: ARP
  00 01 08 00 06 04 00 01  # ARP: Ethernet, IPv4, 6, 4, request
  02 00 00 00 00 01 0a 00 00 01
  00 00 00 00 00 00 0a 00 00 02
  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00   # padding
`);

// The same payload in an 802.1ad S-tag (VLAN 100) and an 802.1Q C-tag (VLAN 5, priority 3).
const DOUBLE_TAGGED = fromHex(`
  02 00 00 00 00 02  02 00 00 00 00 01
  88 a8 00 64              # S-tag: PCP 0, VID 100
  81 00 70 05              # C-tag: PCP 3, DEI 1, VID 5
  08 00                    # EtherType: IPv4
  45 00 00 14 00 00 00 00 40 11 00 00 0a 00 00 01 0a 00 00 02
`);

describe('Ethernet', () => {
  it('reads an untagged frame', () => {
    const result = EthernetFrame.checked(ARP_FRAME);
    assert.ok(result.ok);
    const frame = result.value;
    assert.equal(formatMac(frame.destination), 'ff:ff:ff:ff:ff:ff');
    assert.equal(formatMac(frame.source), '02:00:00:00:00:01');
    assert.equal(frame.etherType, ETHERTYPE_ARP);
    assert.equal(frame.tagCount, 0);
    assert.equal(frame.payload.length, 46);
  });

  it('reads stacked VLAN tags, outermost first', () => {
    const parsed = parseEthernet(DOUBLE_TAGGED);
    assert.ok(parsed.ok);
    assert.equal(parsed.value.etherType, ETHERTYPE_IPV4);
    assert.deepEqual(parsed.value.tags, [
      { tpid: ETHERTYPE_QINQ, priority: 0, dropEligible: false, id: 100 },
      { tpid: ETHERTYPE_VLAN, priority: 3, dropEligible: true, id: 5 },
    ]);
    assert.equal(ethernetHeaderLength(parsed.value), 22);
  });

  it('round-trips byte-exact', () => {
    for (const bytes of [ARP_FRAME, DOUBLE_TAGGED]) {
      const parsed = parseEthernet(bytes);
      assert.ok(parsed.ok);
      const out = new Uint8Array(bytes.length);
      const headerLength = emitEthernet(parsed.value, out);
      out.set(bytes.subarray(headerLength), headerLength);
      assert.ok(bytesEqual(out, bytes));
      assert.equal(EthernetFrame.unchecked(out).headerLength, headerLength);
    }
  });

  it('refuses every truncated header', () => {
    for (let length = 0; length < 22; length++) {
      const result = EthernetFrame.checked(DOUBLE_TAGGED.subarray(0, length));
      assert.deepEqual(result, { ok: false, error: ETHERNET_ERRORS.truncated }, `length ${length}`);
    }
  });

  it('refuses 802.3 length fields and tag stacks deeper than two', () => {
    const llc = ARP_FRAME.slice();
    llc[12] = 0x00;
    llc[13] = 0x2e;
    assert.deepEqual(EthernetFrame.checked(llc), {
      ok: false,
      error: ETHERNET_ERRORS['length-field'],
    });
    const deep = fromHex('020000000002 020000000001 8100 0001 8100 0002 8100 0003 0800 45');
    assert.deepEqual(EthernetFrame.checked(deep), {
      ok: false,
      error: ETHERNET_ERRORS['too-many-tags'],
    });
  });

  it('never throws on random bytes, and what it accepts round-trips', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64, size: 'max' }), (bytes) => {
        const parsed = parseEthernet(bytes);
        if (!parsed.ok) return;
        const out = new Uint8Array(bytes.length);
        const headerLength = emitEthernet(parsed.value, out);
        out.set(bytes.subarray(headerLength), headerLength);
        assert.ok(bytesEqual(out, bytes));
      }),
    );
  });

  it('emits from a representation and reads it back', () => {
    fc.assert(
      fc.property(
        fc.record({
          destination: fc.uint8Array({ minLength: 6, maxLength: 6 }),
          source: fc.uint8Array({ minLength: 6, maxLength: 6 }),
          etherType: fc
            .integer({ min: 0x0600, max: 0xffff })
            .filter((t) => t !== ETHERTYPE_VLAN && t !== ETHERTYPE_QINQ),
          tags: fc.array(
            fc.record({
              tpid: fc.constantFrom(ETHERTYPE_VLAN, ETHERTYPE_QINQ),
              priority: fc.integer({ min: 0, max: 7 }),
              dropEligible: fc.boolean(),
              id: fc.integer({ min: 0, max: 4095 }),
            }),
            { maxLength: 2 },
          ),
        }),
        (repr) => {
          const buffer = new Uint8Array(ethernetHeaderLength(repr));
          emitEthernet(repr, buffer);
          const parsed = parseEthernet(buffer);
          assert.ok(parsed.ok);
          // fast-check's records have no prototype; compare as plain objects.
          assert.deepEqual(parsed.value, { ...repr, tags: repr.tags.map((tag) => ({ ...tag })) });
        },
      ),
    );
  });

  it('tells whether a frame fits a link MTU, allowing four bytes for an 802.1Q tag', () => {
    const frame = (length: number, etherType: number) => {
      const bytes = new Uint8Array(length);
      bytes[12] = etherType >>> 8;
      bytes[13] = etherType & 0xff;
      return bytes;
    };
    assert.ok(ethernetFrameFits(frame(1514, ETHERTYPE_IPV4), 1500));
    assert.ok(!ethernetFrameFits(frame(1515, ETHERTYPE_IPV4), 1500));
    assert.ok(ethernetFrameFits(frame(1518, ETHERTYPE_VLAN), 1500));
    assert.ok(!ethernetFrameFits(frame(1519, ETHERTYPE_VLAN), 1500));
    assert.ok(!ethernetFrameFits(new Uint8Array(13), 1500));
  });

  it('throws RangeError on programmer errors when emitting', () => {
    const repr = {
      destination: new Uint8Array(6),
      source: new Uint8Array(6),
      etherType: ETHERTYPE_IPV4,
      tags: [],
    };
    assert.throws(() => emitEthernet(repr, new Uint8Array(13)), RangeError);
    assert.throws(
      () => emitEthernet({ ...repr, source: new Uint8Array(5) }, new Uint8Array(14)),
      RangeError,
    );
    assert.throws(() => EthernetFrame.unchecked(ARP_FRAME).tag(0), RangeError);
  });
});

describe('writeEthernetHeader', () => {
  it('writes the same bytes as emitEthernet for an untagged header', () => {
    const destination = Uint8Array.of(1, 2, 3, 4, 5, 6);
    const source = Uint8Array.of(2, 0, 0, 0, 0, 1);
    const viaRepr = new Uint8Array(14);
    emitEthernet({ destination, source, etherType: 0x0800, tags: [] }, viaRepr);
    const direct = new Uint8Array(14);
    assert.equal(writeEthernetHeader(direct, destination, source, 0x0800), 14);
    assert.deepEqual(direct, viaRepr);
    assert.throws(
      () => writeEthernetHeader(new Uint8Array(13), destination, source, 0x0800),
      RangeError,
    );
  });
});
