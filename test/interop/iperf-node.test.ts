// The iperf service on the `node` target, measured by the real iperf3 client (Debian's 3.12) on
// loopback: TCP forward (-t, -n, -k -l), reverse (-R), parallel streams (-P), bidirectional,
// UDP both ways, --get-server-output, and a second client turned away while a test runs. Each
// run's --json output is checked against the server's log line for that test.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { freePort } from './free-port.ts';
import { type BuiltService, buildService, ServiceProcess } from './service-process.ts';
import { run, skipUnless } from './tools.ts';

interface Sum {
  readonly bytes: number;
  readonly seconds: number;
  readonly bits_per_second: number;
}

interface Iperf3Json {
  readonly error?: string;
  readonly end: {
    readonly streams: readonly unknown[];
    readonly sum_sent: Sum;
    readonly sum_received: Sum;
    readonly sum_sent_bidir_reverse?: Sum;
    readonly sum_received_bidir_reverse?: Sum;
    readonly sum?: Sum & { readonly packets: number; readonly lost_packets: number };
  };
  readonly server_output_text?: string;
}

/** The fields of one `test done` log line. */
interface ServerResult {
  readonly mode: string;
  readonly streams: number;
  readonly bytes: number;
  readonly received: number;
  readonly sent: number;
  readonly seconds: number;
  readonly bitsPerSecond: number;
}

describe('iperf on the node target, measured by iperf3', {
  skip: skipUnless('iperf3', 'apt-get install iperf3'),
}, () => {
  let built: BuiltService;
  let service: ServiceProcess;
  let port: number;
  let testsDone = 0;

  before(async () => {
    built = await buildService('unikernels/iperf', 'node');
    port = await freePort();
    service = new ServiceProcess(built.bundle, ['--port', String(port)]);
    await service.waitForLog(/INFO iperf: listening address=\S+ port=\d+/);
  });
  after(async () => {
    const exit = await service.stop();
    built.remove();
    assert.equal(exit.code, 0, exit.stderr);
  });

  /** Runs `iperf3 -c` with `args` and --json; returns its report. */
  function iperf3(args: readonly string[]): Iperf3Json {
    const report = JSON.parse(
      run('iperf3', ['-c', '127.0.0.1', '-p', String(port), '--json', ...args]),
    ) as Iperf3Json;
    assert.equal(report.error, undefined, report.error);
    return report;
  }

  /** The server's log line for the next test that ends. */
  async function nextResult(): Promise<ServerResult> {
    const earlier = `(?:[\\s\\S]*?INFO iperf: test done[^\\n]*\\n){${testsDone}}`;
    const pattern = new RegExp(
      `^${earlier}[\\s\\S]*?INFO iperf: test done [^\\n]*mode=(\\S+) streams=(\\d+) bytes=(\\d+) ` +
        'received=(\\d+) sent=(\\d+) seconds=([\\d.]+) bitsPerSecond=(\\d+)',
    );
    const match = await service.waitForLog(pattern);
    testsDone++;
    const [mode, streams, bytes, received, sent, seconds, bitsPerSecond] = match.slice(1);
    return {
      mode: mode as string,
      streams: Number(streams),
      bytes: Number(bytes),
      received: Number(received),
      sent: Number(sent),
      seconds: Number(seconds),
      bitsPerSecond: Number(bitsPerSecond),
    };
  }

  function gbits(sum: Sum): string {
    return `${(sum.bits_per_second / 1e9).toFixed(2)} Gbit/s`;
  }

  it('receives a 2-second TCP test: both sides count the same bytes', async (t) => {
    const { end } = iperf3(['-t', '2']);
    t.diagnostic(`forward: sender ${gbits(end.sum_sent)}, receiver ${gbits(end.sum_received)}`);
    assert.ok(end.sum_received.bytes > 0);
    assert.equal(end.sum_received.bytes, end.sum_sent.bytes);
    const server = await nextResult();
    assert.deepEqual([server.mode, server.streams], ['normal', 1]);
    assert.equal(server.received, end.sum_received.bytes);
    assert.ok(server.seconds >= 1.9 && server.seconds < 3, `${server.seconds} s`);
    assert.ok(server.bitsPerSecond > 0);
  });

  it('receives -n 50M exactly', async () => {
    const { end } = iperf3(['-n', '50M']);
    assert.equal(end.sum_sent.bytes, 50 * 1024 * 1024);
    assert.equal(end.sum_received.bytes, 50 * 1024 * 1024);
    assert.equal((await nextResult()).received, 50 * 1024 * 1024);
  });

  it('honours -k and -l: 100 blocks of 64 KiB', async () => {
    const { end } = iperf3(['-k', '100', '-l', '64K']);
    assert.equal(end.sum_sent.bytes, 100 * 65536);
    assert.equal(end.sum_received.bytes, 100 * 65536);
    assert.equal((await nextResult()).bytes, 100 * 65536);
  });

  it('sends in reverse mode (-R)', async (t) => {
    const { end } = iperf3(['-R', '-t', '2']);
    t.diagnostic(`reverse: sender ${gbits(end.sum_sent)}, receiver ${gbits(end.sum_received)}`);
    // What was in flight when the client stopped counting is sent but not received.
    assert.ok(end.sum_received.bytes > 0);
    assert.ok(end.sum_sent.bytes >= end.sum_received.bytes);
    const server = await nextResult();
    assert.equal(server.mode, 'reverse');
    assert.equal(server.sent, end.sum_sent.bytes);
    assert.equal(server.received, 0);
  });

  it('sends exactly -n 50M in reverse mode', async () => {
    const { end } = iperf3(['-R', '-n', '50M']);
    assert.equal(end.sum_sent.bytes, 50 * 1024 * 1024);
    assert.equal(end.sum_received.bytes, 50 * 1024 * 1024);
    assert.equal((await nextResult()).sent, 50 * 1024 * 1024);
  });

  it('runs two parallel streams each way (-P 2)', async () => {
    const forward = iperf3(['-P', '2', '-t', '1']);
    assert.equal(forward.end.streams.length, 2);
    assert.ok(forward.end.sum_received.bytes > 0);
    assert.equal(forward.end.sum_received.bytes, forward.end.sum_sent.bytes);
    assert.equal((await nextResult()).streams, 2);
    const reverse = iperf3(['-P', '2', '-R', '-t', '1']);
    assert.equal(reverse.end.streams.length, 2);
    assert.ok(reverse.end.sum_received.bytes > 0);
    assert.equal((await nextResult()).sent, reverse.end.sum_sent.bytes);
  });

  it('runs a bidirectional test (--bidir)', async () => {
    const { end } = iperf3(['--bidir', '-t', '1']);
    assert.ok(end.sum_received.bytes > 0);
    assert.ok((end.sum_received_bidir_reverse?.bytes ?? 0) > 0);
    const server = await nextResult();
    assert.equal(server.mode, 'bidirectional');
    assert.equal(server.received, end.sum_received.bytes);
    assert.equal(server.sent, end.sum_sent_bidir_reverse?.bytes);
  });

  it('receives UDP at -b 10M and counts its datagrams', async () => {
    const { end } = iperf3(['-u', '-b', '10M', '-t', '1']);
    assert.ok(end.sum_received.bytes > 0);
    assert.ok(end.sum_received.bytes <= end.sum_sent.bytes);
    assert.ok((end.sum?.packets ?? 0) > 0);
    assert.equal((await nextResult()).received, end.sum_received.bytes);
  });

  it('sends UDP at -b 10M in reverse mode', async () => {
    const { end } = iperf3(['-u', '-R', '-b', '10M', '-t', '1']);
    assert.ok(end.sum_received.bytes > 0);
    // Paced at the rate: about 10 Mbit/s for the second (the first datagrams go at once).
    const rate = end.sum_sent.bits_per_second;
    assert.ok(rate > 8e6 && rate < 13e6, `${rate} bit/s`);
    assert.equal((await nextResult()).sent, end.sum_sent.bytes);
  });

  it('reports its own view with --get-server-output', async () => {
    const report = iperf3(['-n', '10M', '--get-server-output']);
    assert.match(report.server_output_text ?? '', /^Oasis iperf server: TCP test from /);
    assert.match(report.server_output_text ?? '', /stream 1: received 10485760 bytes/);
    await nextResult();
  });

  it('turns a second client away while a test runs, then serves the next one', async () => {
    const first = spawn('iperf3', ['-c', '127.0.0.1', '-p', String(port), '-t', '2']);
    const firstExit = new Promise<number | null>((resolve) => first.on('close', resolve));
    await service.waitForLog(new RegExp(`(?:[\\s\\S]*?test started){${testsDone + 1}}`));
    const second = spawnSync('iperf3', ['-c', '127.0.0.1', '-p', String(port), '-t', '1'], {
      encoding: 'utf8',
    });
    assert.equal(second.status, 1);
    assert.match(second.stdout + second.stderr, /the server is busy running a test/);
    assert.equal(await firstExit, 0);
    await nextResult();
    assert.match(service.stderr, /client refused: a test is running/);
    const { end } = iperf3(['-n', '1M']);
    assert.equal(end.sum_received.bytes, 1024 * 1024);
    await nextResult();
  });
});
