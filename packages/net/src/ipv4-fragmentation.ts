// IPv4 fragmentation of datagrams this host sends (RFC 791 §2.3 and §3.2 "Fragmentation";
// RFC 1122 §3.3.3: a host MAY fragment its own datagrams). Each packet is written once into a
// buffer the caller allocates, header in place, then its slice of the payload.

import {
  emitIpv4,
  IPV4_HEADER_LENGTH,
  type Ipv4Repr,
  ipv4HeaderLength,
  ipv4Options,
  isIpv4OptionCopied,
} from '@oasis/wire';
import { fragmentCount, fragmentDataLength } from './fragment-chunks.ts';

/** RFC 791 §3.1 "Total Length": every module must forward a 68-byte datagram without fragmenting it. */
export const IPV4_MIN_MTU = 68;

/** The total length is a 16-bit field (RFC 791 §3.1). */
const MAX_TOTAL_LENGTH = 0xffff;

const NO_OPTIONS = new Uint8Array(0);

interface FragmentPlan {
  /** Packets to write. */
  readonly count: number;
  /** Payload bytes in the first packet: all of it when `count` is 1, else a multiple of 8. */
  readonly firstPayloadLength: number;
  /** The options of the packets after the first: the copied ones, padded. */
  readonly laterOptions: Uint8Array;
  /** Payload bytes in each later packet but the last, a multiple of 8. */
  readonly laterPayloadLength: number;
}

/**
 * Splits a datagram whose header is `repr` (with `repr.payloadLength === payload.length`, offset 0
 * and MF clear) into packets of at most `mtu` bytes. For each, calls `allocate(length)` for a
 * buffer of exactly `length` bytes and writes the header (emitIpv4, checksum computed) and its
 * slice of the payload into it. A datagram that fits is written as one packet, unfragmented.
 * The first packet carries all options; later ones only those whose copied flag is set (RFC 791
 * §3.1), padded with End of Option List to a multiple of 4. Every packet but the last carries a
 * multiple of 8 payload bytes. Returns the number of packets written.
 *
 * Throws RangeError when `repr.dontFragment` is set and the datagram does not fit (the caller's
 * EMSGSIZE), when `mtu` is below 68, and for a repr or buffer that breaks the rules above.
 */
export function fragmentIpv4(
  repr: Ipv4Repr,
  payload: Uint8Array,
  mtu: number,
  allocate: (length: number) => Uint8Array,
): number {
  if (repr.payloadLength !== payload.length) {
    throw new RangeError(
      `repr.payloadLength (${repr.payloadLength}) must equal the payload's length (${payload.length})`,
    );
  }
  const plan = planFragments(repr, mtu);
  let offset = 0;
  for (let index = 0; index < plan.count; index++) {
    const first = index === 0;
    const remaining = payload.length - offset;
    const chunk = Math.min(remaining, first ? plan.firstPayloadLength : plan.laterPayloadLength);
    const header: Ipv4Repr = {
      ...repr,
      options: first ? repr.options : plan.laterOptions,
      moreFragments: chunk < remaining,
      fragmentOffset: offset,
      payloadLength: chunk,
      checksum: 'compute',
    };
    const length = ipv4HeaderLength(header) + chunk;
    const buffer = allocate(length);
    if (buffer.length !== length) {
      throw new RangeError(
        `allocate(${length}) must return exactly ${length} bytes, got ${buffer.length}`,
      );
    }
    const headerLength = emitIpv4(header, buffer);
    buffer.set(payload.subarray(offset, offset + chunk), headerLength);
    offset += chunk;
  }
  return plan.count;
}

/** How many packets `fragmentIpv4` would write (1 when the datagram fits); throws as it does. */
export function ipv4FragmentCount(repr: Ipv4Repr, mtu: number): number {
  return planFragments(repr, mtu).count;
}

function planFragments(repr: Ipv4Repr, mtu: number): FragmentPlan {
  if (!(Number.isInteger(mtu) && mtu >= IPV4_MIN_MTU)) {
    throw new RangeError(`the MTU must be an integer of at least ${IPV4_MIN_MTU}, got ${mtu}`);
  }
  if (repr.fragmentOffset !== 0 || repr.moreFragments) {
    throw new RangeError(
      'fragment a whole datagram: repr.fragmentOffset 0 and moreFragments false',
    );
  }
  const headerLength = ipv4HeaderLength(repr);
  const { payloadLength } = repr;
  if (headerLength + payloadLength > MAX_TOTAL_LENGTH) {
    throw new RangeError(
      `a datagram is at most ${MAX_TOTAL_LENGTH} bytes, this one is ${headerLength + payloadLength}`,
    );
  }
  if (headerLength + payloadLength <= mtu) {
    return {
      count: 1,
      firstPayloadLength: payloadLength,
      laterOptions: NO_OPTIONS,
      laterPayloadLength: 0,
    };
  }
  if (repr.dontFragment) {
    throw new RangeError(
      `the datagram (${headerLength + payloadLength} bytes) exceeds the MTU (${mtu}) and has Don't Fragment set`,
    );
  }
  // RFC 791 §3.2: the data is cut on 8-byte boundaries. With at most 60 header bytes, an MTU of
  // 68 leaves room for 8.
  const firstPayloadLength = fragmentDataLength(mtu - headerLength);
  const laterOptions = copiedOptions(repr.options);
  const laterPayloadLength = fragmentDataLength(mtu - IPV4_HEADER_LENGTH - laterOptions.length);
  const count = fragmentCount(payloadLength, firstPayloadLength, laterPayloadLength);
  return { count, firstPayloadLength, laterOptions, laterPayloadLength };
}

/**
 * The options with the copied flag set, which go into every fragment (RFC 791 §3.1, "copied
 * flag"), padded with End of Option List (zeros) to a 32-bit boundary.
 */
function copiedOptions(options: Uint8Array): Uint8Array {
  const copied: Uint8Array[] = [];
  let length = 0;
  for (const option of ipv4Options(options)) {
    if (!isIpv4OptionCopied(option.type)) continue;
    copied.push(option.bytes);
    length += option.bytes.length;
  }
  const padded = new Uint8Array(Math.ceil(length / 4) * 4);
  let offset = 0;
  for (const bytes of copied) {
    padded.set(bytes, offset);
    offset += bytes.length;
  }
  return padded;
}
