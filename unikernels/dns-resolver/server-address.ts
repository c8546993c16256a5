// `--upstream IP[:PORT]`: an upstream server's address, port 53 unless given. IPv6 addresses
// with a port are written in brackets (`[2001:db8::1]:5353`, RFC 3986 §3.2.2).

import { err, ok, type Result } from '@oasis/core';
import { parseIpv4Address, parseIpv6Address } from '@oasis/wire';

export interface ServerAddress {
  readonly address: string;
  readonly port: number;
}

export function parseServerAddress(text: string): Result<ServerAddress, string> {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  const [host, portText] = bracketed
    ? [bracketed[1]!, bracketed[2]]
    : text.split(':').length === 2
      ? (text.split(':') as [string, string])
      : [text, undefined];
  const port = portText === undefined ? 53 : Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    return err(`'${text}': the port must be 1-65535`);
  }
  if (parseIpv4Address(host).ok) return ok({ address: host, port });
  if (parseIpv6Address(host).ok) return ok({ address: host, port });
  return err(`'${text}' is not IP[:PORT]`);
}
