// tshark, the Wireshark dissector, reads captures of simulated traffic: every frame we wrote
// is there, decoded as the protocol we built, with good IPv4 and UDP checksums, the timestamps
// of the virtual clock, and no malformed-packet or warning-level expert finding.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { readPcap } from '@oasis/sim';
import { DATAGRAM_PORTS, runThreeHosts } from '../../examples/three-hosts/scenario.ts';
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

for (const resolution of ['us', 'ns'] as const) {
  describe(`tshark reads a simulated capture (${resolution} timestamps)`, { skip }, () => {
    const { pcap, echoes } = runThreeHosts({
      seed: 11,
      conditions: { latencyMs: 2, jitterMs: 1, loss: 0.05, duplicate: 0.05, reorder: 0.1 },
      resolution,
    });
    const file = join(dir, `three-hosts-${resolution}.pcap`);
    writeFileSync(file, pcap);
    const parsed = readPcap(pcap);
    assert.ok(parsed.ok, 'our reader accepts our capture');
    const records = parsed.value.records;

    it('decodes every frame as ARP or IPv4/UDP, in order, with our addresses and ports', () => {
      const rows = fields(file, [
        'frame.number',
        'frame.len',
        'eth.type',
        'arp.opcode',
        'udp.srcport',
        'udp.dstport',
      ]);
      assert.equal(rows.length, records.length);
      assert.ok(records.length > 40, `only ${records.length} frames captured`);
      rows.forEach(([number, length, etherType, arpOpcode, srcPort, dstPort], i) => {
        assert.equal(Number(number), i + 1);
        assert.equal(Number(length), records[i]!.data.length);
        if (etherType === '0x0806') assert.match(arpOpcode!, /^[12]$/);
        else {
          assert.equal(etherType, '0x0800');
          assert.deepEqual([srcPort, dstPort].map(Number).sort(), [
            DATAGRAM_PORTS.client,
            DATAGRAM_PORTS.echo,
          ]);
        }
      });
      const udpFrames = rows.filter((row) => row[2] === '0x0800').length;
      const echoesSeen = rows.filter((row) => Number(row[4]) === DATAGRAM_PORTS.echo).length;
      assert.equal(echoesSeen, echoes);
      assert.ok(udpFrames > echoes && echoes > 0);
    });

    it('finds every IPv4 and UDP checksum good', () => {
      const rows = fields(file, ['ip.checksum.status', 'udp.checksum.status'], 'ip');
      assert.ok(rows.length > 0);
      for (const row of rows) assert.deepEqual(row, ['1', '1'], 'tshark: 1 is Good');
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
      const udpIndex = copy.value.records.findIndex((record) => record.data[23] === 17);
      copy.value.records[udpIndex]!.data[41]! ^= 0xff; // the UDP checksum
      copy.value.records[udpIndex + 1]!.data[16]! += 1; // IPv4 total length 256 bytes past the frame
      const damagedFile = join(dir, `damaged-${resolution}.pcap`);
      writeFileSync(damagedFile, damaged);
      const flagged = fields(damagedFile, ['frame.number'], FLAGGED).map(([number]) =>
        Number(number),
      );
      assert.deepEqual(flagged, [udpIndex + 1, udpIndex + 2]);
    });
  });
}
