// tshark, the Wireshark dissector, reads captures of simulated traffic between Oasis network
// stacks: every frame we wrote is there, decoded as ARP, ICMP or UDP to and from the echo port,
// fragments reassembled, with good IPv4, ICMP and UDP checksums, the timestamps of the virtual
// clock, and no malformed-packet or warning-level expert finding.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readPcap } from '@oasis/sim';
import {
  datagramLength,
  ECHO_PORT,
  PINGS,
  runThreeHosts,
} from '../../examples/three-hosts/scenario.ts';
import { run, skipUnless } from './tools.ts';

const skip = skipUnless('tshark', 'Debian: apt-get install tshark');
const dir = mkdtempSync(join(tmpdir(), 'oasis-tshark-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Frames tshark finds malformed, or with an expert finding of warning severity or worse. */
const FLAGGED = '_ws.malformed || _ws.expert.severity >= "warning"';

/** tshark fields, one line per frame, tab-separated; checksum validation on (off by default). */
function fields(file: string, names: readonly string[], filter?: string): string[][] {
  const args = [
    '-r',
    file,
    '-o',
    'ip.check_checksum:TRUE',
    '-o',
    'udp.check_checksum:TRUE',
    '-T',
    'fields',
  ];
  for (const name of names) args.push('-e', name);
  if (filter !== undefined) args.push('-Y', filter);
  const out = run('tshark', args).trimEnd();
  return out === '' ? [] : out.split('\n').map((line) => line.split('\t'));
}

/**
 * A frame as tshark decodes it. IPv4 fields are the outer header's, where an ICMP error quotes
 * another; ports are the UDP header's, or the quoted one's. Empty where tshark shows none.
 */
interface DecodedFrame {
  readonly number: number;
  readonly length: number;
  readonly etherType: string;
  readonly arpOpcode: string;
  readonly hosts: readonly string[];
  readonly protocol: string;
  /** Part of a fragmented datagram (more fragments, or a nonzero offset). */
  readonly fragment: boolean;
  /** Sorted; empty when no UDP header is decoded in this frame. */
  readonly ports: readonly number[];
  readonly srcPort: string;
  readonly dstPort: string;
  readonly icmpType: string;
}

function decode(file: string): DecodedFrame[] {
  const names = [
    'frame.number',
    'frame.len',
    'eth.type',
    'arp.opcode',
    'ip.src',
    'ip.dst',
    'ip.proto',
    'ip.flags.mf',
    'ip.frag_offset',
    'udp.srcport',
    'udp.dstport',
    'icmp.type',
  ];
  return fields(file, names).map((row) => {
    const [number, length, etherType, arpOpcode, src, dst, protocol, mf, offset] = row;
    const [srcPort = '', dstPort = '', icmpType = ''] = row.slice(9);
    return {
      number: Number(number),
      length: Number(length),
      etherType: etherType ?? '',
      arpOpcode: arpOpcode ?? '',
      hosts: [outer(src), outer(dst)].sort(),
      protocol: outer(protocol),
      fragment: outer(mf) === '1' || Number(outer(offset)) > 0,
      ports: srcPort === '' ? [] : [srcPort, dstPort].map(Number).sort((x, y) => x - y),
      srcPort,
      dstPort,
      icmpType: outer(icmpType),
    };
  });
}

/** The first of a field's values: the outer header's, where an ICMP error quotes another. */
function outer(value: string | undefined): string {
  return value?.split(',')[0] ?? '';
}

/** Frames an IPv4 datagram with `length` bytes after its header takes at MTU 1500. */
function ipv4Frames(length: number): number {
  return Math.ceil(length / 1480);
}

for (const resolution of ['us', 'ns'] as const) {
  describe(`tshark reads a simulated capture (${resolution} timestamps)`, { skip }, async () => {
    const { pcap, echoes, datagramsSent, clientPort, pings } = await runThreeHosts({
      seed: 11,
      conditions: { latencyMs: 2, jitterMs: 1, loss: 0.05, duplicate: 0.05, reorder: 0.1 },
      resolution,
    });
    const file = join(dir, `three-hosts-${resolution}.pcap`);
    writeFileSync(file, pcap);
    const parsed = readPcap(pcap);
    assert.ok(parsed.ok, 'our reader accepts our capture');
    const records = parsed.value.records;
    const ourPorts = [clientPort, ECHO_PORT].sort((x, y) => x - y);

    it('decodes every frame as ARP, ICMP or UDP between h1 and an echo port, in order', () => {
      const frames = decode(file);
      assert.equal(frames.length, records.length);
      assert.ok(records.length > 40, `only ${records.length} frames captured`);
      let requests = 0;
      let echoesSeen = 0;
      const icmpTypes: string[] = [];
      frames.forEach((frame, i) => {
        const at = `frame ${frame.number}`;
        assert.equal(frame.number, i + 1);
        assert.equal(frame.length, records[i]!.data.length);
        if (frame.etherType === '0x0806') {
          assert.match(frame.arpOpcode, /^[12]$/, at);
          return;
        }
        assert.equal(frame.etherType, '0x0800', at);
        assert.match(frame.hosts.join(' '), /^10\.0\.0\.1 10\.0\.0\.[23]$/, at);
        if (frame.protocol === '17') {
          // A fragment that does not complete its datagram: tshark holds it for reassembly.
          if (frame.ports.length === 0) assert.ok(frame.fragment, at);
          else {
            assert.deepEqual(frame.ports, ourPorts, at);
            if (Number(frame.dstPort) === ECHO_PORT) requests++;
            else echoesSeen++;
          }
          return;
        }
        assert.equal(frame.protocol, '1', at);
        if (frame.icmpType === '') assert.ok(frame.fragment, at);
        else icmpTypes.push(frame.icmpType);
        // Time exceeded (11) quotes a datagram whose reassembly ran out of time: one of ours.
        if (frame.icmpType === '11') assert.deepEqual(frame.ports, ourPorts, at);
      });
      // h1's own datagrams are all recorded as it sends them, fragments included.
      assert.equal(requests, datagramsSent);
      assert.equal(echoesSeen, echoes);
      assert.ok(echoes > 0 && echoes < datagramsSent, `${echoes} echoes`);
      assert.ok(frames.some((frame) => frame.fragment));
      assert.equal(icmpTypes.filter((type) => type === '8').length, PINGS.length);
      assert.equal(icmpTypes.filter((type) => type === '0').length, pings.answered);
      assert.ok(icmpTypes.includes('11'), 'a reassembly timed out on the lossy links');
      assert.ok(
        icmpTypes.every((type) => ['0', '8', '11'].includes(type)),
        `${icmpTypes}`,
      );
    });

    it('finds every IPv4, ICMP and UDP checksum good', () => {
      const rows = fields(
        file,
        ['ip.checksum.status', 'icmp.checksum.status', 'udp.checksum.status', 'icmp.type'],
        'ip',
      );
      assert.ok(rows.length > 0);
      let udpChecked = 0;
      for (const [ip, icmp, udp, icmpType] of rows) {
        // tshark: 1 is Good. An ICMP error quotes an IPv4 header, checked too, and the first 8
        // bytes of its payload: a UDP header whose checksum cannot be verified (2) without the rest.
        for (const status of ip!.split(',')) assert.equal(status, '1');
        if (icmp !== '') assert.equal(icmp, '1');
        if (udp === '') continue;
        if (outer(icmpType) === '11') assert.equal(udp, '2');
        else {
          assert.equal(udp, '1');
          udpChecked++;
        }
      }
      assert.equal(udpChecked, datagramsSent + echoes);
    });

    it('reads the virtual clock timestamps to the resolution written', () => {
      const rows = fields(file, ['frame.time_epoch']);
      // tshark prints nanoseconds whatever the file's resolution.
      const nsPerUnit = resolution === 'us' ? 1000 : 1;
      rows.forEach(([epoch], i) => {
        const record = records[i]!;
        assert.equal(
          epoch,
          `${record.seconds}.${String(record.fraction * nsPerUnit).padStart(9, '0')}`,
        );
      });
      // The simulation starts its wall clock at 2026-01-01T00:00:00Z.
      assert.equal(records[0]!.seconds, Date.UTC(2026, 0, 1) / 1000);
    });

    it('reports no malformed packet and no expert warning', () => {
      assert.deepEqual(fields(file, ['frame.number', '_ws.expert.message'], FLAGGED), []);
    });

    it('does flag a damaged copy of the capture (the checks above can fail)', () => {
      const damaged = pcap.slice();
      const copy = readPcap(damaged);
      assert.ok(copy.ok);
      const damagedRecords = copy.value.records;
      const isIpv4 = (data: Uint8Array) => data[12] === 0x08 && data[13] === 0x00;
      // The first UDP datagram sent whole (no fragment offset, MF clear), and the next IPv4 frame.
      const udpIndex = damagedRecords.findIndex(
        ({ data }) => isIpv4(data) && data[23] === 17 && (data[20]! & 0x3f) === 0 && data[21] === 0,
      );
      const nextIndex = damagedRecords.findIndex((r, i) => i > udpIndex && isIpv4(r.data));
      assert.ok(udpIndex >= 0 && nextIndex > udpIndex);
      damagedRecords[udpIndex]!.data[41]! ^= 0xff; // the UDP checksum
      damagedRecords[nextIndex]!.data[16]! += 1; // IPv4 total length 256 bytes past the frame
      const damagedFile = join(dir, `damaged-${resolution}.pcap`);
      writeFileSync(damagedFile, damaged);
      const flagged = fields(damagedFile, ['frame.number'], FLAGGED).map(([number]) =>
        Number(number),
      );
      assert.deepEqual(flagged, [udpIndex + 1, nextIndex + 1]);
    });
  });
}

describe('tshark reads a capture of a perfect network, frame for frame', { skip }, async () => {
  const datagramsPerHost = 20;
  const result = await runThreeHosts({ seed: 3, datagramsPerHost });
  const file = join(dir, 'three-hosts-perfect.pcap');
  writeFileSync(file, result.pcap);
  let frames: DecodedFrame[] = [];
  before(() => {
    frames = decode(file);
  });

  // Every datagram crosses h1's link once each way: the two pings, and per index one UDP
  // datagram to each of h2 and h3. Those over the MTU go in fragments.
  const framesPerDatagram = [
    ...PINGS.map((ping) => 8 + ping.dataLength),
    ...Array.from({ length: datagramsPerHost }, (_, i) => 8 + datagramLength(i)).flatMap(
      (length) => [length, length],
    ),
  ].flatMap((length) => [ipv4Frames(length), ipv4Frames(length)]);
  const ipv4Total = framesPerDatagram.reduce((sum, n) => sum + n, 0);
  const fragmentTotal = framesPerDatagram.filter((n) => n > 1).reduce((sum, n) => sum + n, 0);

  it('has every ping answered and every datagram echoed, and nothing dropped', () => {
    assert.deepEqual(result.pings, { answered: PINGS.length, timedOut: 0 });
    assert.equal(result.datagramsSent, 2 * datagramsPerHost);
    assert.equal(result.echoes, result.datagramsSent);
    for (const stack of Object.values(result.stacks)) assert.deepEqual(stack.drops(), {});
  });

  it('counts the ARP exchange exactly', () => {
    // Requests: each host announces its address twice (gratuitous ARP, RFC 5227 §2.3): 6; h1
    // asks for h2 and h3: 2; each of them then confirms h1, learnt from its request, with a
    // unicast request of its own (RFC 1122 §2.3.2.1): 2. Replies: to h1's 2 and to those 2.
    const arp = frames.filter((frame) => frame.etherType === '0x0806');
    assert.deepEqual(
      {
        requests: arp.filter((frame) => frame.arpOpcode === '1').length,
        replies: arp.filter((frame) => frame.arpOpcode === '2').length,
      },
      { requests: 10, replies: 4 },
    );
    assert.equal(arp.length, 14);
  });

  it('counts the IPv4 frames, fragments and reassembled datagrams exactly', () => {
    const ipv4 = frames.filter((frame) => frame.etherType === '0x0800');
    assert.equal(frames.length, 14 + ipv4.length);
    assert.deepEqual(
      { frames: ipv4.length, fragments: ipv4.filter((frame) => frame.fragment).length },
      { frames: ipv4Total, fragments: fragmentTotal },
    );
    assert.ok(fragmentTotal > 0);
    // Each datagram is decoded once, on the frame that completes it.
    const icmpTypes = ipv4.flatMap((frame) => (frame.icmpType === '' ? [] : [frame.icmpType]));
    assert.deepEqual(icmpTypes.sort(), ['0', '0', '8', '8']);
    const udp = ipv4.filter((frame) => frame.protocol === '17' && frame.ports.length > 0);
    assert.deepEqual(
      {
        requests: udp.filter((frame) => Number(frame.dstPort) === ECHO_PORT).length,
        echoes: udp.filter((frame) => Number(frame.srcPort) === ECHO_PORT).length,
      },
      { requests: 2 * datagramsPerHost, echoes: 2 * datagramsPerHost },
    );
    assert.equal(udp.length, 4 * datagramsPerHost);
  });
});
