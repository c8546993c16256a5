// TCP echo (RFC 862 "TCP Based Echo Service"): what a connection brings is written back, in
// order, until the client closes its sending side; then ours closes too.

import type { Flow, Logger, TcpListener, TcpStack } from '@oasis/runtime';

export async function echoFlows(tcp: TcpStack, port: number, log: Logger): Promise<TcpListener> {
  const listener = await tcp.listen({ port });
  listener.onConnection((flow) => {
    echo(flow).catch((error: unknown) => {
      log.debug('connection ended', { peer: `${flow.remote.address}:${flow.remote.port}`, error });
      flow.abort();
    });
  });
  return listener;
}

async function echo(flow: Flow): Promise<void> {
  for (let data = await flow.read(); data !== undefined; data = await flow.read()) {
    await flow.write(data);
  }
  await flow.close();
}
