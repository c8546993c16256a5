// The peer of bench/udp-echo.ts: a UDP echo server on node:dgram, over the kernel's sockets. It
// binds 0.0.0.0:PORT, prints 'ready' once bound, and sends every datagram back to its sender
// unchanged. Plain JavaScript, so that it runs with `node` alone, inside the benchmark's namespace.
// Usage: node bench/udp-echo/echo-server.mjs PORT

import { createSocket } from 'node:dgram';

const port = Number(process.argv[2]);
if (!(Number.isInteger(port) && port > 0 && port <= 0xffff)) {
  console.error(`usage: node echo-server.mjs PORT, a port in 1-65535 (got ${process.argv[2]})`);
  process.exit(64);
}

const socket = createSocket('udp4');
let bound = false;
socket.on('message', (data, from) => socket.send(data, from.port, from.address));
// After the bind, an error is one datagram that could not be sent: like the Oasis side, which
// counts such drops, keep echoing.
socket.on('error', (error) => {
  console.error(`echo-server: ${error.message}`);
  if (!bound) process.exit(1);
});
socket.bind(port, '0.0.0.0', () => {
  bound = true;
  console.log('ready');
});
