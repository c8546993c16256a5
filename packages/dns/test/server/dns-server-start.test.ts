import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger, isOasisError, MemorySink, OasisError } from '@oasis/core';
import type { TcpStack } from '@oasis/runtime';
import { SimNetwork } from '@oasis/sim';
import { addHost, runUntil } from '../../../net/test/sim-hosts.ts';
import { type DnsServerOptions, startDnsServer } from '../../src/server/dns-server.ts';
import { answerEverything } from './server-harness.ts';

function serverHost() {
  const network = new SimNetwork();
  const host = addHost(network, network.addSwitch('sw'), 'server', '10.0.0.1/24');
  const log = new MemorySink();
  const options: DnsServerOptions = {
    udp: host.stack.udp,
    tcp: host.stack.tcp,
    port: 0,
    handler: answerEverything,
    clock: network.clock,
    sleep: network.clock,
    logger: createLogger({ source: 'dns', sink: log, clock: network.clock }),
  };
  return { network, host, options, log };
}

describe('startDnsServer', () => {
  it('serves both transports on one ephemeral port and logs where', async () => {
    const { network, options, log } = serverHost();
    const server = await runUntil(network, startDnsServer(options));
    assert.ok(server.udpPort >= 49152, `ephemeral port ${server.udpPort}`);
    assert.equal(server.tcpPort, server.udpPort);
    assert.equal(log.records[0]?.fields?.['udpPort'], server.udpPort);
    await runUntil(network, server.close());
  });

  it('takes another TCP port when the UDP one is taken for TCP', async () => {
    const { network, host, options } = serverHost();
    const busyExceptEphemeral: TcpStack = {
      listen: (listen) =>
        listen.port === 0
          ? host.stack.tcp.listen(listen)
          : Promise.reject(new OasisError('EADDRINUSE', 'taken')),
      connect: (to, connect) => host.stack.tcp.connect(to, connect),
    };
    const server = await runUntil(
      network,
      startDnsServer({ ...options, tcp: busyExceptEphemeral }),
    );
    assert.notEqual(server.tcpPort, server.udpPort);
    assert.ok(server.tcpPort > 0);
  });

  it('releases the UDP port when TCP cannot listen, and reports why', async () => {
    const { network, host, options } = serverHost();
    const listener = await runUntil(network, host.stack.tcp.listen({ port: 53 }));
    await assert.rejects(
      runUntil(network, startDnsServer({ ...options, port: 53 })),
      (error: unknown) => isOasisError(error, 'EADDRINUSE'),
    );
    await runUntil(network, listener.close());
    const server = await runUntil(network, startDnsServer({ ...options, port: 53 }));
    assert.equal(server.udpPort, 53);
  });

  it('frees its ports on close', async () => {
    const { network, options } = serverHost();
    const first = await runUntil(network, startDnsServer({ ...options, port: 53 }));
    await runUntil(network, first.close());
    await runUntil(network, first.close());
    const second = await runUntil(network, startDnsServer({ ...options, port: 53 }));
    assert.equal(second.tcpPort, 53);
  });

  it('refuses options out of range with a RangeError that names them', async () => {
    const { options } = serverHost();
    for (const [name, bad] of [
      ['maxUdpPayload', { maxUdpPayload: 511 }],
      ['maxUdpPayload', { maxUdpPayload: 65_536 }],
      ['tcpIdleMs', { tcpIdleMs: 0 }],
      ['maxTcpPipeline', { maxTcpPipeline: 0 }],
      ['maxTcpConnections', { maxTcpConnections: 1.5 }],
      ['port', { port: 70_000 }],
    ] as const) {
      await assert.rejects(startDnsServer({ ...options, ...bad }), (error: unknown) => {
        assert.ok(error instanceof RangeError);
        assert.match(error.message, new RegExp(`DnsServerOptions\\.${name}`));
        return true;
      });
    }
  });
});
