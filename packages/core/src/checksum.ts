// The Internet checksum (RFC 1071): the 16-bit one's complement of the one's complement sum of
// the data taken as big-endian 16-bit words. It runs over every packet, so large buffers are read
// as native 32-bit words into a double accumulator, and the carries are folded once at the end.
// That rests on three properties of one's complement addition (RFC 1071 §2): carries may be
// deferred (C), and the sum is independent of byte order (B) and of word size (A), so the sum of
// little-endian 32-bit words, folded to 16 bits, is the byte-swapped sum of the big-endian words.

/** Words summed between two folds: 2^20 words, each below 2^32, plus a carry-in stay below 2^53. */
const WORDS_PER_FOLD = 1 << 20;

/** Below this many bytes, creating a word view costs more than it saves. */
const SMALL_BUFFER = 128;

const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Adds `bytes` to a running one's complement sum, as if they started at an even offset of the
 * checksummed data; an odd last byte is padded with a zero byte (RFC 1071 §4.1). `sum` is a
 * value returned by this function or `foldSum`, or 0; the result is folded to 16 bits.
 */
export function sumWords(bytes: Uint8Array, sum = 0): number {
  const length = bytes.length;
  if (length < SMALL_BUFFER || (bytes.byteOffset & 1) !== 0)
    return foldSum(sumBytePairs(bytes, 0, length, sum));
  // Sum one 16-bit word first if needed so the rest starts on a 4-byte boundary of the buffer.
  const lead = bytes.byteOffset & 2;
  const wordCount = (length - lead) >>> 2;
  const words = new Uint32Array(bytes.buffer, bytes.byteOffset + lead, wordCount);
  let wordSum = 0;
  for (let i = 0; i < wordCount; ) {
    const end = Math.min(wordCount, i + WORDS_PER_FOLD);
    let acc = wordSum;
    for (; i + 4 <= end; i += 4) acc += words[i]! + words[i + 1]! + words[i + 2]! + words[i + 3]!;
    for (; i < end; i++) acc += words[i]!;
    wordSum = foldSum(acc);
  }
  if (HOST_IS_LITTLE_ENDIAN) wordSum = ((wordSum & 0xff) << 8) | (wordSum >>> 8);
  const tail = lead + wordCount * 4;
  return foldSum(sumBytePairs(bytes, tail, length, sumBytePairs(bytes, 0, lead, sum + wordSum)));
}

/** The plain loop: big-endian 16-bit words of bytes[start, end), start even; unfolded. */
function sumBytePairs(bytes: Uint8Array, start: number, end: number, sum: number): number {
  let acc = sum;
  let i = start;
  for (; i + 2 <= end; i += 2) acc += (bytes[i]! << 8) | bytes[i + 1]!;
  if (i < end) acc += bytes[i]! << 8;
  return acc;
}

/** Folds an unfolded sum (any non-negative integer below 2^53) to 16 bits with end-around carry. */
export function foldSum(sum: number): number {
  // Sums of headers and small packets stay below 2^32: skip the float split for them.
  let acc = sum <= 0xffff_ffff ? sum : foldToU32(sum);
  acc = (acc >>> 16) + (acc & 0xffff);
  acc = (acc >>> 16) + (acc & 0xffff);
  return (acc >>> 16) + (acc & 0xffff);
}

function foldToU32(sum: number): number {
  // Split at bit 32 with float arithmetic (bit operators would truncate the high part), add the
  // halves; at most one more carry out of bit 32 remains, folded the same way.
  const high = Math.floor(sum / 0x1_0000_0000);
  const folded = (sum >>> 0) + high;
  return folded > 0xffff_ffff ? (folded >>> 0) + 1 : folded;
}

/** The checksum field's value: the complement of the folded sum of `bytes` plus `initialSum`. */
export function internetChecksum(bytes: Uint8Array, initialSum = 0): number {
  return ~sumWords(bytes, initialSum) & 0xffff;
}

/** Complements a folded sum into the value written in a checksum field. */
export function finishChecksum(sum: number): number {
  return ~foldSum(sum) & 0xffff;
}

/**
 * The checksum after one 16-bit word of the covered data changed from `oldWord` to `newWord`,
 * without summing the data again: HC' = ~(~HC + ~m + m'), RFC 1624 §3 equation 3. Unlike
 * equation 2 of RFC 1141 it never produces 0xffff where a full computation gives 0x0000 (§4).
 */
export function updateChecksum16(checksum: number, oldWord: number, newWord: number): number {
  const sum = (~checksum & 0xffff) + (~oldWord & 0xffff) + (newWord & 0xffff);
  return ~foldSum(sum) & 0xffff;
}

/** As `updateChecksum16`, for a 32-bit field (an IPv4 address, a TCP sequence number). */
export function updateChecksum32(checksum: number, oldValue: number, newValue: number): number {
  const sum =
    (~checksum & 0xffff) +
    (~(oldValue >>> 16) & 0xffff) +
    (~oldValue & 0xffff) +
    ((newValue >>> 16) & 0xffff) +
    (newValue & 0xffff);
  return ~foldSum(sum) & 0xffff;
}

/**
 * As `updateChecksum16`, for a run of bytes at an even offset of the covered data that changed
 * from `oldBytes` to `newBytes` (same length; an IPv6 address, a port pair).
 */
export function updateChecksumBytes(
  checksum: number,
  oldBytes: Uint8Array,
  newBytes: Uint8Array,
): number {
  if (oldBytes.length !== newBytes.length) {
    throw new RangeError(
      `checksum update needs runs of one length, got ${oldBytes.length} and ${newBytes.length}`,
    );
  }
  if (oldBytes.length === 0) return checksum;
  // The sum of the complemented old words is the complement of their sum (one's complement).
  const sum = (~checksum & 0xffff) + (~sumWords(oldBytes) & 0xffff) + sumWords(newBytes);
  return ~foldSum(sum) & 0xffff;
}
