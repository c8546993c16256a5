// A static website: an HTTP/1.1 server (Node's http module, over the stack's flows) for a
// read-only tree, a host directory or one embedded in the bundle at build time.

import { createServer } from 'node:http';
import { flowToDuplex } from '@oasis/node';
import { arg, defineUnikernel, device } from '@oasis/runtime';
import { createSiteHandler } from './site-handler.ts';

export default defineUnikernel({
  name: 'static-site',
  doc: 'an HTTP/1.1 server for a file tree',
  devices: {
    net: device.stack(),
    root: device.kvRo('the files to serve'),
    log: device.logger(),
  },
  args: {
    port: arg.port({ doc: 'the TCP port', default: 80 }),
    index: arg.string({ doc: 'the file served for a directory', default: 'index.html' }),
  },
  async start({ net, root, log }, { port, index }, { signal }) {
    const server = createServer(createSiteHandler(root, { index, log }));
    const listener = await net.tcp.listen({ port });
    listener.onConnection((flow) => server.emit('connection', flowToDuplex(flow)));
    signal.addEventListener('abort', () => {
      void listener.close();
      server.close();
      server.closeIdleConnections();
    });
    log.info('serving', { port: listener.local.port, stack: net.describe() });
  },
});
