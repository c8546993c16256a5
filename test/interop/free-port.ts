// A port free for both TCP and UDP on 127.0.0.1 right now (services bind both to one number).

import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port: 0 }, () => {
        const address = server.address();
        server.close(() =>
          typeof address === 'object' && address !== null
            ? resolve(address.port)
            : reject(new Error('no port')),
        );
      });
    });
    const udpFree = await new Promise<boolean>((resolve) => {
      const socket = createSocket('udp4');
      socket.once('error', () => resolve(false));
      socket.bind({ address: '127.0.0.1', port }, () => socket.close(() => resolve(true)));
    });
    if (udpFree) return port;
  }
}
