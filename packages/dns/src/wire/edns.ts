// EDNS(0) options (RFC 6891 §6.1.2) that servers and clients here read and write: cookies
// (RFC 7873), padding (RFC 7830, block sizes of RFC 8467), extended errors (RFC 8914) and the
// name server identifier (RFC 5001). Unknown options travel as their bytes.

import { readU16BE } from '@oasis/core';
import { EdnsOptionCode } from './constants.ts';
import type { Edns, EdnsOption } from './message.ts';

/** The EDNS a server or client sends when it has nothing special to say. */
export function defaultEdns(udpPayloadSize: number, options: readonly EdnsOption[] = []): Edns {
  return { udpPayloadSize, version: 0, dnssecOk: false, zFlags: 0, options };
}

export function findOption(edns: Edns | undefined, code: number): EdnsOption | undefined {
  return edns?.options.find((option) => option.code === code);
}

/** A DNS cookie (RFC 7873 §4): the client's 8 bytes and, in answers, the server's 8-32. */
export interface DnsCookie {
  readonly client: Uint8Array;
  readonly server?: Uint8Array;
}

/** The cookie of an option, or undefined when its length is malformed (answer FORMERR, RFC 7873 §5.2.2). */
export function readCookie(option: EdnsOption): DnsCookie | undefined {
  const { data } = option;
  if (data.length === 8) return { client: data };
  if (data.length >= 16 && data.length <= 40) {
    return { client: data.subarray(0, 8), server: data.subarray(8) };
  }
  return undefined;
}

export function cookieOption(cookie: DnsCookie): EdnsOption {
  const data = new Uint8Array(8 + (cookie.server?.length ?? 0));
  data.set(cookie.client);
  if (cookie.server !== undefined) data.set(cookie.server, 8);
  return { code: EdnsOptionCode.COOKIE, data };
}

/** RFC 8914 §4 INFO-CODE values used here. */
export const ExtendedError = {
  OTHER: 0,
  STALE_ANSWER: 3,
  FORGED_ANSWER: 4,
  BLOCKED: 15,
  CENSORED: 16,
  FILTERED: 17,
  PROHIBITED: 18,
  NOT_AUTHORITATIVE: 20,
  NOT_SUPPORTED: 21,
  NO_REACHABLE_AUTHORITY: 22,
  NETWORK_ERROR: 23,
} as const;

export interface ExtendedErrorValue {
  readonly infoCode: number;
  readonly extraText: string;
}

export function extendedErrorOption(infoCode: number, extraText = ''): EdnsOption {
  const text = new TextEncoder().encode(extraText);
  const data = new Uint8Array(2 + text.length);
  data[0] = infoCode >>> 8;
  data[1] = infoCode;
  data.set(text, 2);
  return { code: EdnsOptionCode.EXTENDED_ERROR, data };
}

export function readExtendedError(option: EdnsOption): ExtendedErrorValue | undefined {
  if (option.data.length < 2) return undefined;
  return {
    infoCode: readU16BE(option.data, 0),
    extraText: new TextDecoder().decode(option.data.subarray(2)),
  };
}

export function nsidOption(identifier: Uint8Array): EdnsOption {
  return { code: EdnsOptionCode.NSID, data: identifier };
}

/**
 * The padding option that brings a message of `length` bytes (the option itself not counted) to
 * a multiple of `blockLength` (RFC 8467 §4.1 recommends 468 for responses, 128 for queries).
 */
export function paddingOption(length: number, blockLength: number): EdnsOption {
  const withHeader = length + 4;
  const padded = Math.ceil(withHeader / blockLength) * blockLength;
  return { code: EdnsOptionCode.PADDING, data: new Uint8Array(padded - withHeader) };
}
