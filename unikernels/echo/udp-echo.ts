// UDP echo (RFC 862 "UDP Based Echo Service"): each datagram goes back to where it came from.

import type { Logger, UdpSocket, UdpStack } from '@oasis/runtime';

export async function echoDatagrams(udp: UdpStack, port: number, log: Logger): Promise<UdpSocket> {
  const socket = await udp.bind({ port });
  socket.onMessage((data, from) => {
    try {
      socket.send(data, from);
    } catch (error) {
      log.debug('echo not sent', { to: `${from.address}:${from.port}`, error });
    }
  });
  return socket;
}
