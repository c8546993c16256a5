// The binary-to-text encodings of RFC 4648 that RDATA presentation forms use: base16 (hex) for
// DS digests, TLSA and SSHFP data and NSEC3 salts; base64 for DNSKEY keys, RRSIG signatures and
// SVCB's ech; base32hex without padding for NSEC3 hashed owner names (RFC 5155 §3.3).
// Decoders are strict: they refuse non-alphabet characters, wrong padding and non-zero pad bits
// (RFC 4648 §3.5 allows refusing them), so text and bytes correspond one to one. Written here
// rather than with atob/btoa, whose Latin-1 strings and lenient whitespace would need the same
// checks around them.

/** Upper-case hex, as dig prints it. */
export function encodeHex(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += byte.toString(16).padStart(2, '0');
  return out.toUpperCase();
}

/** Hex of either case, two digits a byte; undefined for anything else. */
export function decodeHex(text: string): Uint8Array | undefined {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) return undefined;
  const bytes = new Uint8Array(text.length / 2);
  for (let i = 0; i < bytes.length; i++) {
    bytes[i] = Number.parseInt(text.slice(2 * i, 2 * i + 2), 16);
  }
  return bytes;
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const BASE32HEX = '0123456789ABCDEFGHIJKLMNOPQRSTUV';

/**
 * Long base64 and hex split into groups of 56 characters separated by spaces, as dig prints
 * keys, signatures and digests; zone files may split them anywhere (RFC 4034 §2.2, §3.2, §5.3).
 */
export function chunked(text: string): string {
  return text.replace(/.{56}(?=.)/g, '$& ');
}

/** RFC 4648 §4, padded. */
export function encodeBase64(bytes: Uint8Array): string {
  return encodeBits(bytes, BASE64, 6, 4);
}

/** RFC 4648 §4, padding required; undefined for text that is not canonical base64. */
export function decodeBase64(text: string): Uint8Array | undefined {
  if (text.length % 4 !== 0) return undefined;
  const unpadded = text.replace(/={1,2}$/, '');
  if (text.length - unpadded.length !== (4 - (unpadded.length % 4)) % 4) return undefined;
  return decodeBits(unpadded, BASE64, 6);
}

/** RFC 4648 §7 without padding (RFC 5155 §3.3), upper case as dig prints it. */
export function encodeBase32Hex(bytes: Uint8Array): string {
  return encodeBits(bytes, BASE32HEX, 5, 1);
}

/** RFC 4648 §7 of either case without padding; undefined for anything else. */
export function decodeBase32Hex(text: string): Uint8Array | undefined {
  // Lengths that leave 5 or more unused bits encode no whole number of bytes.
  if ([1, 3, 6].includes(text.length % 8)) return undefined;
  return decodeBits(text.toUpperCase(), BASE32HEX, 5);
}

/** Groups of `width` bits as alphabet characters, padded with `=` to a multiple of `block`. */
function encodeBits(bytes: Uint8Array, alphabet: string, width: number, block: number): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  const mask = (1 << width) - 1;
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= width) {
      bits -= width;
      out += alphabet[(buffer >> bits) & mask];
    }
  }
  if (bits > 0) out += alphabet[(buffer << (width - bits)) & mask];
  while (out.length % block !== 0) out += '=';
  return out;
}

/** The bytes of unpadded text; undefined for a foreign character or non-zero leftover bits. */
function decodeBits(text: string, alphabet: string, width: number): Uint8Array | undefined {
  const bytes = new Uint8Array(Math.floor((text.length * width) / 8));
  let buffer = 0;
  let bits = 0;
  let offset = 0;
  for (const char of text) {
    const value = alphabet.indexOf(char);
    if (value < 0) return undefined;
    buffer = ((buffer << width) | value) & 0xffff;
    bits += width;
    if (bits >= 8) {
      bits -= 8;
      bytes[offset++] = buffer >> bits;
    }
  }
  if ((buffer & ((1 << bits) - 1)) !== 0) return undefined;
  return bytes;
}
