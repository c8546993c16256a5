// The results both sides exchange at the end of a test (JSON frames on the control connection),
// and the server's own summary of a test. A side reports, per stream, what it did: the bytes it
// sent or received, and for UDP the receiver's packet count, losses and jitter. Streams are
// matched by their iperf3 number (see `streamId`). Times are seconds from the stream's start.

import { err, ok, type Result } from '@oasis/core';

export interface StreamReport {
  readonly id: number;
  /** Bytes sent by a sending stream, received by a receiving one. */
  readonly bytes: number;
  /** TCP retransmissions, -1 when not known (the Stack contract does not report them). */
  readonly retransmits: number;
  /** UDP receiver: RFC 3550 §6.4.1 interarrival jitter, in seconds. */
  readonly jitterS: number;
  /** UDP receiver: datagrams lost; sender: 0. */
  readonly errors: number;
  /** UDP: datagrams received (the highest counter seen) or sent. */
  readonly packets: number;
  readonly startS: number;
  readonly endS: number;
}

export interface ResultsMessage {
  /** -1 from a side that only received; 0 from a sender that cannot count retransmissions. */
  readonly senderHasRetransmits: number;
  readonly streams: readonly StreamReport[];
  /** With --get-server-output: the server's report, shown by the client. */
  readonly serverOutputText?: string;
}

/** The JSON object iperf3 expects for a side's results. CPU use is not measured: 0. */
export function resultsJson(message: ResultsMessage): Record<string, unknown> {
  const json: Record<string, unknown> = {
    cpu_util_total: 0,
    cpu_util_user: 0,
    cpu_util_system: 0,
    sender_has_retransmits: message.senderHasRetransmits,
    streams: message.streams.map((stream) => ({
      id: stream.id,
      bytes: stream.bytes,
      retransmits: stream.retransmits,
      jitter: stream.jitterS,
      errors: stream.errors,
      omitted_errors: 0,
      packets: stream.packets,
      omitted_packets: 0,
      start_time: stream.startS,
      end_time: stream.endS,
    })),
  };
  if (message.serverOutputText !== undefined) json['server_output_text'] = message.serverOutputText;
  return json;
}

/** What the server needs from the client's results: bytes (and UDP packets) per stream number. */
export interface PeerStreamResult {
  readonly id: number;
  readonly bytes: number;
  readonly packets: number;
}

export function parsePeerResults(
  json: Readonly<Record<string, unknown>>,
): Result<readonly PeerStreamResult[], string> {
  const streams = json['streams'];
  if (!Array.isArray(streams)) return err('the results have no "streams" array');
  const parsed: PeerStreamResult[] = [];
  for (const stream of streams as unknown[]) {
    if (typeof stream !== 'object' || stream === null) return err('a stream result is no object');
    const { id, bytes, packets } = stream as Record<string, unknown>;
    if (typeof id !== 'number' || typeof bytes !== 'number') {
      return err('a stream result lacks a numeric "id" or "bytes"');
    }
    parsed.push({ id, bytes, packets: typeof packets === 'number' ? packets : 0 });
  }
  return ok(parsed);
}

/** Bits per second for `bytes` in `seconds` (0 for an empty interval). */
export function bitsPerSecond(bytes: number, seconds: number): number {
  return seconds > 0 ? Math.round((bytes * 8) / seconds) : 0;
}

/** `bits` per second with a unit, as people read it: 9.41 Gbit/s. */
export function formatBitRate(bits: number): string {
  const units = ['bit/s', 'kbit/s', 'Mbit/s', 'Gbit/s', 'Tbit/s'];
  let value = bits;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 2)} ${units[unit]}`;
}
