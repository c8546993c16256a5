// The virtio-net header codec: headers Linux's tun wrote for the interop test's traffic, every
// reason a header is refused, what transmit headers look like, and properties over random bytes.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex, toHex } from '@oasis/core';
import type { FrameOffload } from '@oasis/runtime';
import fc from 'fast-check';
import {
  emitVirtioNetHeader,
  parseVirtioNetHeader,
  VIRTIO_NET_HDR_LEGACY_LENGTH,
  VIRTIO_NET_HDR_LENGTH,
  type VirtioNetHeaderError,
} from '../src/virtio-net-header.ts';

/** A UDP datagram from the kernel's socket, checksum left partial (test/interop/tap-device.test.ts). */
const UDP_PARTIAL_CHECKSUM = fromHex(`
  01      # flags: NEEDS_CSUM
  00      # gso_type: NONE
  0000    # hdr_len
  0000    # gso_size
  2200    # csum_start 34: Ethernet 14 + IPv4 20
  0600    # csum_offset 6: the UDP checksum field
  0000    # num_buffers
`);

/** A TCP super-frame from the kernel: five 1460-byte segments behind 54 bytes of headers. */
const TCP_SUPER_FRAME = fromHex(`
  01      # flags: NEEDS_CSUM
  01      # gso_type: TCPV4
  3600    # hdr_len 54: Ethernet + IPv4 + TCP
  b405    # gso_size 1460
  2200    # csum_start 34
  1000    # csum_offset 16: the TCP checksum field
  0000    # num_buffers
`);

function parse(hex: string): ReturnType<typeof parseVirtioNetHeader> {
  return parseVirtioNetHeader(fromHex(hex));
}

function emit(offload: FrameOffload | undefined): {
  result: ReturnType<typeof emitVirtioNetHeader>;
  hex: string;
} {
  const out = new Uint8Array(VIRTIO_NET_HDR_LENGTH).fill(0xee);
  const result = emitVirtioNetHeader(offload, out);
  return { result, hex: toHex(out) };
}

function assertRejected(hex: string, reason: VirtioNetHeaderError): void {
  assert.deepEqual(parse(hex), { ok: false, error: reason }, hex);
}

describe('parseVirtioNetHeader', () => {
  it('reads a partial checksum', () => {
    assert.deepEqual(parseVirtioNetHeader(UDP_PARTIAL_CHECKSUM), {
      ok: true,
      value: { checksumStart: 34, checksumOffset: 6 },
    });
  });

  it('reads a TCP super-frame', () => {
    assert.deepEqual(parseVirtioNetHeader(TCP_SUPER_FRAME), {
      ok: true,
      value: {
        checksumStart: 34,
        checksumOffset: 16,
        segmentation: { kind: 'tcp4', segmentSize: 1460, headerLength: 54 },
      },
    });
    assert.deepEqual(parse('01 04 4a00 a005 3600 1000 0000'), {
      ok: true,
      value: {
        checksumStart: 54,
        checksumOffset: 16,
        segmentation: { kind: 'tcp6', segmentSize: 1440, headerLength: 74 },
      },
    });
  });

  it('reads DATA_VALID, ignoring the checksum fields without NEEDS_CSUM', () => {
    assert.deepEqual(parse('02 00 0000 0000 2200 0600 0000'), {
      ok: true,
      value: { checksumValid: true },
    });
  });

  it('gives undefined for the zero header, whatever num_buffers holds (tun leaves it unwritten)', () => {
    assert.deepEqual(parse('00 00 0000 0000 0000 0000 0000'), { ok: true, value: undefined });
    assert.deepEqual(parse('00 00 0000 0000 0000 0000 ffff'), { ok: true, value: undefined });
  });

  it('reads the 10-byte legacy header like the 12-byte one', () => {
    const legacy = TCP_SUPER_FRAME.subarray(0, VIRTIO_NET_HDR_LEGACY_LENGTH);
    assert.deepEqual(parseVirtioNetHeader(legacy), parseVirtioNetHeader(TCP_SUPER_FRAME));
  });

  it('reads at an offset, as in the receive buffer', () => {
    const buffer = new Uint8Array(40);
    buffer.set(UDP_PARTIAL_CHECKSUM, 18);
    assert.deepEqual(parseVirtioNetHeader(buffer, 18), parseVirtioNetHeader(UDP_PARTIAL_CHECKSUM));
  });

  it('rejects every prefix shorter than 10 bytes, and offsets outside the buffer', () => {
    for (let length = 0; length < VIRTIO_NET_HDR_LEGACY_LENGTH; length++) {
      assert.deepEqual(parseVirtioNetHeader(TCP_SUPER_FRAME.subarray(0, length)), {
        ok: false,
        error: 'truncated',
      });
    }
    for (const offset of [-1, 0.5, 3, Number.NaN]) {
      assert.deepEqual(parseVirtioNetHeader(TCP_SUPER_FRAME, offset), {
        ok: false,
        error: 'truncated',
      });
    }
  });

  it('rejects unknown flags, including RSC_INFO', () => {
    assertRejected('04 00 0000 0000 0000 0000 0000', 'unknown-flags');
    assertRejected('80 00 0000 0000 0000 0000 0000', 'unknown-flags');
    assertRejected('09 01 3600 b405 2200 1000 0000', 'unknown-flags');
  });

  it('rejects UDP segmentation and ECN as unsupported, and undefined gso types as unknown', () => {
    assertRejected('01 03 2a00 c805 2200 0600 0000', 'unsupported-gso-type');
    assertRejected('01 05 2a00 c805 2200 0600 0000', 'unsupported-gso-type');
    assertRejected('01 81 3600 b405 2200 1000 0000', 'unsupported-gso-type');
    assertRejected('01 84 4a00 a005 3600 1000 0000', 'unsupported-gso-type');
    assertRejected('01 02 3600 b405 2200 1000 0000', 'unknown-gso-type');
    assertRejected('01 06 3600 b405 2200 1000 0000', 'unknown-gso-type');
    assertRejected('01 83 3600 b405 2200 1000 0000', 'unknown-gso-type');
  });

  it('rejects a super-frame with segment size 0', () => {
    assertRejected('01 01 3600 0000 2200 1000 0000', 'zero-segment-size');
  });
});

describe('emitVirtioNetHeader', () => {
  it('writes the zero header for a plain frame, over whatever the buffer held', () => {
    assert.deepEqual(emit(undefined), {
      result: { ok: true, value: undefined },
      hex: '0'.repeat(24),
    });
    assert.deepEqual(emit({}), { result: { ok: true, value: undefined }, hex: '0'.repeat(24) });
  });

  it('writes the headers the kernel wrote, byte for byte', () => {
    const udp = parseVirtioNetHeader(UDP_PARTIAL_CHECKSUM);
    const tcp = parseVirtioNetHeader(TCP_SUPER_FRAME);
    assert.ok(udp.ok && tcp.ok);
    assert.equal(emit(udp.value).hex, toHex(UDP_PARTIAL_CHECKSUM));
    assert.equal(emit(tcp.value).hex, toHex(TCP_SUPER_FRAME));
  });

  it('does not write DATA_VALID, which a driver must not set (virtio v1.2 §5.1.6.2)', () => {
    assert.equal(emit({ checksumValid: true }).hex, '0'.repeat(24));
  });

  it('writes at an offset, leaving the rest of the buffer alone', () => {
    const out = new Uint8Array(30).fill(0xee);
    assert.ok(emitVirtioNetHeader({ checksumStart: 34, checksumOffset: 6 }, out, 14).ok);
    assert.equal(toHex(out.subarray(0, 14)), 'ee'.repeat(14));
    assert.equal(toHex(out.subarray(14, 26)), toHex(UDP_PARTIAL_CHECKSUM));
    assert.equal(toHex(out.subarray(26)), 'ee'.repeat(4));
  });

  it('refuses offloads the header cannot express', () => {
    const refused: [FrameOffload, VirtioNetHeaderError][] = [
      [{ checksumStart: 34 }, 'incomplete-checksum'],
      [{ checksumOffset: 6 }, 'incomplete-checksum'],
      [{ checksumStart: 65_536, checksumOffset: 6 }, 'field-out-of-range'],
      [{ checksumStart: 34, checksumOffset: -1 }, 'field-out-of-range'],
      [{ checksumStart: 34.5, checksumOffset: 6 }, 'field-out-of-range'],
      [
        { segmentation: { kind: 'tcp4', segmentSize: 70_000, headerLength: 54 } },
        'field-out-of-range',
      ],
      [
        { segmentation: { kind: 'tcp6', segmentSize: 1440, headerLength: Number.NaN } },
        'field-out-of-range',
      ],
      [{ segmentation: { kind: 'tcp4', segmentSize: 0, headerLength: 54 } }, 'zero-segment-size'],
    ];
    for (const [offload, reason] of refused) {
      assert.deepEqual(emit(offload).result, { ok: false, error: reason }, JSON.stringify(offload));
    }
  });

  it('throws RangeError when the buffer has no room for the header', () => {
    assert.throws(() => emitVirtioNetHeader(undefined, new Uint8Array(11)), RangeError);
    assert.throws(() => emitVirtioNetHeader(undefined, new Uint8Array(20), 9), RangeError);
    assert.throws(() => emitVirtioNetHeader(undefined, new Uint8Array(20), -1), RangeError);
  });
});

const u16 = fc.integer({ min: 0, max: 0xffff });

/** Offloads a transmitted header can carry: everything but checksumValid. */
const transmitOffload = fc
  .record({
    checksum: fc.option(fc.tuple(u16, u16), { nil: undefined }),
    segmentation: fc.option(
      fc.record({
        kind: fc.constantFrom('tcp4' as const, 'tcp6' as const),
        segmentSize: fc.integer({ min: 1, max: 0xffff }),
        headerLength: u16,
      }),
      { nil: undefined },
    ),
  })
  .map(({ checksum, segmentation }) => {
    const offload: { -readonly [K in keyof FrameOffload]: FrameOffload[K] } = {};
    if (checksum !== undefined) [offload.checksumStart, offload.checksumOffset] = checksum;
    // fast-check's records have no prototype; the parser's objects do.
    if (segmentation !== undefined) offload.segmentation = { ...segmentation };
    return offload;
  });

describe('virtio-net header properties', () => {
  it('parsing any bytes never throws', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 16 }), fc.nat(16), (bytes, offset) => {
        parseVirtioNetHeader(bytes, offset);
      }),
      { numRuns: 5000 },
    );
  });

  it('parsing random 10- and 12-byte headers never throws, and what parses re-emits to itself', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 10, maxLength: 12 }), (bytes) => {
        const parsed = parseVirtioNetHeader(bytes);
        if (!parsed.ok) return;
        const out = new Uint8Array(VIRTIO_NET_HDR_LENGTH);
        assert.ok(emitVirtioNetHeader(parsed.value, out).ok);
        const { checksumValid, ...transmitted } = parsed.value ?? {};
        const again = parseVirtioNetHeader(out);
        assert.deepEqual(again, {
          ok: true,
          value: Object.keys(transmitted).length === 0 ? undefined : transmitted,
        });
      }),
      { numRuns: 5000 },
    );
  });

  it('emit then parse gives back the offload', () => {
    fc.assert(
      fc.property(transmitOffload, (offload) => {
        const out = new Uint8Array(VIRTIO_NET_HDR_LENGTH);
        assert.ok(emitVirtioNetHeader(offload, out).ok);
        const expected = Object.keys(offload).length === 0 ? undefined : offload;
        assert.deepEqual(parseVirtioNetHeader(out), { ok: true, value: expected });
      }),
    );
  });
});
