// Addresses as the socket API takes them: text, so that services stay family-agnostic. The direct
// stack speaks IPv4 so far; an IPv6 address is refused with ENOTSUP rather than misread.

import { OasisError } from '@oasis/core';
import { parseIpv4Address } from '@oasis/wire';

/** The IPv4 address `text` names; throws OasisError EINVAL (malformed) or ENOTSUP (IPv6). */
export function parseIpv4Text(text: string): number {
  const parsed = parseIpv4Address(text);
  if (parsed.ok) return parsed.value;
  if (text.includes(':')) {
    throw new OasisError('ENOTSUP', `IPv6 (${text}) is not supported by the direct stack yet`);
  }
  throw new OasisError('EINVAL', `'${text}' is not an IPv4 address: ${parsed.error}`);
}
