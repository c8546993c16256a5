// An iperf3 server: the real iperf3 client measures the stack this service runs on. TCP and UDP
// tests, -R (the server sends), --bidir, -P streams, -t / -n / -k, -l, -b, -O, --json and
// --get-server-output; one test at a time, as iperf3's own server. It uses only the Stack
// contract, so the same code measures the host's sockets (`node`) and Oasis' own TCP/IP.

import { arg, defineUnikernel, device } from '@oasis/runtime';
import { IperfServer } from './iperf-server.ts';

export default defineUnikernel({
  name: 'iperf',
  doc: 'an iperf3 server (TCP and UDP) to measure the stack',
  devices: {
    net: device.stack(),
    log: device.logger(),
    clock: device.clock('test durations and UDP timestamps'),
    sleep: device.sleep('timeouts and UDP pacing'),
  },
  args: {
    port: arg.port({ doc: 'the TCP port, and the UDP port of UDP tests', default: 5201 }),
    address: arg.string({
      doc: "the local address to listen on; '::' takes IPv6 and IPv4 clients",
      default: '0.0.0.0',
      placeholder: 'ADDRESS',
    }),
  },
  async start({ net, log, clock, sleep }, { port, address }, { signal }) {
    const server = await IperfServer.listen({ net, log, clock, sleep, port, address });
    signal.addEventListener('abort', () => void server.close());
    log.info('listening', { address, port: server.port, stack: net.describe() });
  },
});
