// Port forwards: connections to a port of the NAT's outside address go to a host inside
// (`tcp:8080=10.137.0.2:80`), the static counterpart of the mappings source NAT creates.

import { err, ok, type Result } from '@oasis/core';
import { formatIpv4Address, IP_PROTOCOL_TCP, IP_PROTOCOL_UDP, parseIpv4Address } from '@oasis/wire';

export interface PortForward {
  /** 6 TCP or 17 UDP. */
  readonly protocol: number;
  /** The port on the outside address. */
  readonly port: number;
  readonly insideAddress: number;
  readonly insidePort: number;
}

const FORM = /^(tcp|udp):(\d{1,5})=([0-9.]+):(\d{1,5})$/i;

/** Parses `tcp|udp:PORT=ADDRESS:PORT`; the error says what is wrong. */
export function parsePortForward(text: string): Result<PortForward, string> {
  const match = FORM.exec(text.trim());
  if (match === null) {
    return err(`'${text}': expected PROTOCOL:PORT=ADDRESS:PORT, such as tcp:8080=10.137.0.2:80`);
  }
  const [, protocolName = '', portText = '', addressText = '', insidePortText = ''] = match;
  const port = Number(portText);
  const insidePort = Number(insidePortText);
  if (port < 1 || port > 0xffff || insidePort < 1 || insidePort > 0xffff) {
    return err(`'${text}': ports are 1-65535`);
  }
  const address = parseIpv4Address(addressText);
  if (!address.ok) return err(`'${text}': '${addressText}' is not an IPv4 address`);
  return ok({
    protocol: protocolName.toLowerCase() === 'tcp' ? IP_PROTOCOL_TCP : IP_PROTOCOL_UDP,
    port,
    insideAddress: address.value,
    insidePort,
  });
}

export function formatPortForward(forward: PortForward): string {
  const protocol = forward.protocol === IP_PROTOCOL_TCP ? 'tcp' : 'udp';
  return `${protocol}:${forward.port}=${formatIpv4Address(forward.insideAddress)}:${forward.insidePort}`;
}
