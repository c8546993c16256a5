// Node's socket errors as OasisErrors, so that a service handles a failure of the host socket
// stack exactly as one of the direct stack. Node reports the errno name as `code` ('ECONNREFUSED'),
// or its own name for failures of its streams ('ERR_STREAM_DESTROYED'). Oasis' codes are errno
// names too: a code Oasis knows keeps its name; any other becomes EIO, keeping the original as
// `cause` and its code in the message, so nothing is lost for the log. The argument checks that
// UDP and TCP share are here too: they reject with EINVAL what Node would throw a RangeError for
// (a bad port) or resolve through DNS (a host name, which the contract does not take).

import { isIP } from 'node:net';
import { ERROR_CODES, type ErrorCode, OasisError } from '@oasis/core';

const KNOWN_CODES: ReadonlySet<string> = new Set(ERROR_CODES);

/** `error` as an OasisError; `doing` says what failed ('TCP connect to 10.0.0.2:80'). */
export function hostError(error: unknown, doing: string): OasisError {
  if (error instanceof OasisError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const code = codeOf(error);
  if (code !== undefined && isErrorCode(code)) {
    return new OasisError(code, `${doing} failed: ${message}`, { cause: error });
  }
  return new OasisError('EIO', `${doing} failed (${code ?? 'no error code'}): ${message}`, {
    cause: error,
  });
}

function isErrorCode(code: string): code is ErrorCode {
  return KNOWN_CODES.has(code);
}

function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}

/** The family of an IP address in text form; throws EINVAL for anything else (no host names). */
export function ipFamily(address: string, what: string): 4 | 6 {
  const family = isIP(address);
  if (family === 0) {
    throw new OasisError('EINVAL', `${what} '${address}' is not an IPv4 or IPv6 address`);
  }
  return family === 4 ? 4 : 6;
}

/** Throws EINVAL unless `port` is an integer in `lowest`-65535 (0 asks for an ephemeral port). */
export function checkPort(port: number, lowest: 0 | 1, what: string): void {
  if (!(Number.isInteger(port) && port >= lowest && port <= 0xffff)) {
    throw new OasisError('EINVAL', `${what} is an integer in ${lowest}-65535, got ${port}`);
  }
}

/** An address and port for messages and logs: `10.0.0.2:80`, `[fe80::1]:80` (RFC 3986 §3.2.2). */
export function endpointText(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}
