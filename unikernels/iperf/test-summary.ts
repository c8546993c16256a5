// What the server says about a test when it ends: how it ended, the bytes it received and sent
// (as reported to the client), the seconds, and for UDP the datagrams and losses; and the short
// report a client asks for with --get-server-output.

import { bitsPerSecond, formatBitRate, type StreamReport } from './results.ts';
import type { TcpDataStream } from './tcp-stream.ts';
import type { TestParams } from './test-params.ts';
import { UdpDataStream } from './udp-stream.ts';

/** How a test ended. Only `done` exchanged results. */
export type TestOutcome =
  | 'done'
  | 'refused'
  | 'client-terminated'
  | 'client-gone'
  | 'timed-out'
  | 'server-terminated'
  | 'protocol-error';

export interface UdpSummary {
  readonly packets: number;
  readonly lost: number;
  readonly outOfOrder: number;
  readonly jitterMs: number;
}

export interface TestSummary {
  /** The client's control connection, `address:port`. */
  readonly client: string;
  readonly outcome: TestOutcome;
  /** Why a test did not end with `done`. */
  readonly reason?: string;
  readonly params?: TestParams;
  /** Bytes the server received and sent, after the omitted start. */
  readonly received: number;
  readonly sent: number;
  /** From the start of the test (after -O) to its end. */
  readonly seconds: number;
  /** For a UDP test in which the server received. */
  readonly udp?: UdpSummary;
  readonly streams: readonly StreamReport[];
}

export interface SummaryInput {
  readonly client: string;
  readonly outcome: TestOutcome;
  readonly reason: string | undefined;
  readonly params: TestParams | undefined;
  /** The test's streams in creation order, and their reports (none before the test started). */
  readonly streams: readonly (TcpDataStream | UdpDataStream)[];
  readonly reports: readonly StreamReport[];
}

export function summarizeTest(input: SummaryInput): TestSummary {
  const { streams, reports } = input;
  let received = 0;
  let sent = 0;
  let seconds = 0;
  const udpReceivers: UdpDataStream[] = [];
  const udpReports: StreamReport[] = [];
  reports.forEach((report, i) => {
    const stream = streams[i];
    if (stream?.sending) sent += report.bytes;
    else received += report.bytes;
    seconds = Math.max(seconds, report.endS - report.startS);
    if (stream instanceof UdpDataStream && !stream.sending) {
      udpReceivers.push(stream);
      udpReports.push(report);
    }
  });
  const sum = (values: readonly number[]) => values.reduce((total, value) => total + value, 0);
  const udp: UdpSummary | undefined =
    udpReports.length === 0
      ? undefined
      : {
          packets: sum(udpReports.map((report) => report.packets)),
          lost: sum(udpReports.map((report) => report.errors)),
          outOfOrder: sum(udpReceivers.map((stream) => stream.stats.outOfOrder)),
          jitterMs: (1000 * sum(udpReports.map((report) => report.jitterS))) / udpReports.length,
        };
  return {
    client: input.client,
    outcome: input.outcome,
    ...(input.reason !== undefined ? { reason: input.reason } : {}),
    ...(input.params !== undefined ? { params: input.params } : {}),
    received,
    sent,
    seconds,
    ...(udp !== undefined ? { udp } : {}),
    streams: reports,
  };
}

/** The report the client prints with --get-server-output. */
export function serverOutputText(
  client: string,
  params: TestParams,
  streams: readonly (TcpDataStream | UdpDataStream)[],
  reports: readonly StreamReport[],
): string {
  const lines = [
    `Oasis iperf server: ${params.protocol.toUpperCase()} test from ${client}, ` +
      `${params.parallel} stream(s), ${params.mode}`,
  ];
  reports.forEach((report, i) => {
    const verb = streams[i]?.sending ? 'sent' : 'received';
    const seconds = report.endS - report.startS;
    lines.push(
      `stream ${report.id}: ${verb} ${report.bytes} bytes in ${seconds.toFixed(2)} s, ` +
        formatBitRate(bitsPerSecond(report.bytes, seconds)),
    );
  });
  return `${lines.join('\n')}\n`;
}
