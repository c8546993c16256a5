// The Echo Protocol (RFC 862) over TCP and UDP: every byte received on a connection is sent back
// until the client closes its side; every datagram is returned to its sender.

import { arg, defineUnikernel, device } from '@oasis/runtime';
import { echoFlows } from './tcp-echo.ts';
import { echoDatagrams } from './udp-echo.ts';

export default defineUnikernel({
  name: 'echo',
  doc: 'TCP and UDP echo (RFC 862)',
  devices: { net: device.stack(), log: device.logger() },
  args: {
    port: arg.port({ doc: 'the TCP and UDP port', default: 7 }),
  },
  async start({ net, log }, { port }, { signal }) {
    const udp = await echoDatagrams(net.udp, port, log);
    signal.addEventListener('abort', () => void udp.close());
    const tcp = await echoFlows(net.tcp, port, log);
    signal.addEventListener('abort', () => void tcp.close());
    log.info('echoing', {
      udpPort: udp.local.port,
      tcpPort: tcp.local.port,
      stack: net.describe(),
    });
  },
});
