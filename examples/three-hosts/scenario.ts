// A small scripted scenario for the determinism test, the tshark interop test and the demo:
// three hosts on a learning switch. h1 resolves h2 and h3 with ARP and sends them UDP datagrams
// of varied sizes; h2 and h3 answer ARP requests for their address and echo every datagram back.
// h1's NIC is wrapped in a PcapCapture, so the capture holds both directions.

import { readU16BE, readU32BE, writeU16BE } from '@oasis/core';
import type { NetDevice } from '@oasis/runtime';
import { type LinkConditions, PcapCapture, PcapWriter, SimNetwork } from '@oasis/sim';
import { arpRequest, ipv4, udpFrame } from './frames.ts';

export interface ThreeHostsOptions {
  readonly seed: number;
  readonly conditions?: LinkConditions;
  readonly datagramsPerHost?: number;
  readonly resolution?: 'us' | 'ns';
}

export interface ThreeHostsResult {
  readonly network: SimNetwork;
  /** The pcap file of h1's traffic, both directions. */
  readonly pcap: Uint8Array;
  /** Echoed datagrams h1 received. */
  readonly echoes: number;
}

export const DATAGRAM_PORTS = { client: 50000, echo: 50007 } as const;

export function runThreeHosts(options: ThreeHostsOptions): ThreeHostsResult {
  const network = new SimNetwork({ seed: options.seed });
  const sw = network.addSwitch('sw');
  const host = (name: string): NetDevice => {
    const nic = network.addNic(name);
    network.connect(
      nic,
      sw,
      options.conditions === undefined ? {} : { conditions: options.conditions },
    );
    return nic;
  };
  const [h1, h2, h3] = [host('h1'), host('h2'), host('h3')];
  const chunks: Uint8Array[] = [];
  const writer = new PcapWriter((chunk) => chunks.push(chunk), {
    resolution: options.resolution ?? 'us',
  });
  const client = new PcapCapture(h1, network.clock, writer);
  respond(h2, ipv4(2));
  respond(h3, ipv4(3));

  let echoes = 0;
  client.listen((frames) => {
    for (const { data } of frames) if (readU16BE(data, 12) === 0x0800) echoes++;
  });
  const peers = [
    { mac: h2.mac, ip: ipv4(2) },
    { mac: h3.mac, ip: ipv4(3) },
  ];
  for (const peer of peers) client.send([{ data: arpRequest(client.mac, ipv4(1), peer.ip) }]);
  network.run(50);
  const count = options.datagramsPerHost ?? 20;
  for (let i = 0; i < count; i++) {
    for (const peer of peers) {
      const payload = new Uint8Array(1 + ((i * 397) % 1472)).fill(i);
      client.send([
        {
          data: udpFrame({
            dstMac: peer.mac,
            srcMac: client.mac,
            srcIp: ipv4(1),
            dstIp: peer.ip,
            srcPort: DATAGRAM_PORTS.client,
            dstPort: DATAGRAM_PORTS.echo,
            payload,
            id: i,
          }),
        },
      ]);
    }
    network.run(1);
  }
  network.runUntilIdle();
  const pcap = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    pcap.set(chunk, offset);
    offset += chunk.length;
  }
  return { network, pcap, echoes };
}

/** Answers ARP requests for `ip` (RFC 826) and echoes UDP datagrams back to their sender. */
function respond(nic: NetDevice, ip: number): void {
  nic.listen((frames) => {
    for (const { data } of frames) {
      const etherType = readU16BE(data, 12);
      if (etherType === 0x0806 && readU16BE(data, 20) === 1 && readU32BE(data, 38) === ip) {
        const reply = data.slice();
        reply.set(data.subarray(6, 12), 0); // to the requester
        reply.set(nic.mac, 6);
        writeU16BE(reply, 20, 2); // opcode: reply
        reply.set(nic.mac, 22); // sender: us
        reply.set(data.subarray(38, 42), 28);
        reply.set(data.subarray(22, 32), 32); // target: the requester's MAC and IP
        nic.send([{ data: reply }]);
      } else if (etherType === 0x0800 && data[23] === 17) {
        const udpLength = readU16BE(data, 38);
        nic.send([
          {
            data: udpFrame({
              dstMac: data.subarray(6, 12),
              srcMac: nic.mac,
              srcIp: ip,
              dstIp: readU32BE(data, 26),
              srcPort: readU16BE(data, 36),
              dstPort: readU16BE(data, 34),
              payload: data.subarray(42, 34 + udpLength),
              id: readU16BE(data, 18),
            }),
          },
        ]);
      }
    }
  });
}
