// The results messages: the server's side as iperf3's client reads it (every field it requires),
// the client's side as the server reads it, and the rates in the server's log.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bitsPerSecond, formatBitRate, parsePeerResults, resultsJson } from '../results.ts';

describe('results', () => {
  it('writes the fields the iperf3 client requires, per stream', () => {
    const json = resultsJson({
      senderHasRetransmits: -1,
      streams: [
        {
          id: 1,
          bytes: 1000,
          retransmits: -1,
          jitterS: 0.001,
          errors: 2,
          packets: 10,
          startS: 0,
          endS: 1.5,
        },
      ],
      serverOutputText: 'hello\n',
    });
    assert.deepEqual(json, {
      cpu_util_total: 0,
      cpu_util_user: 0,
      cpu_util_system: 0,
      sender_has_retransmits: -1,
      streams: [
        {
          id: 1,
          bytes: 1000,
          retransmits: -1,
          jitter: 0.001,
          errors: 2,
          omitted_errors: 0,
          packets: 10,
          omitted_packets: 0,
          start_time: 0,
          end_time: 1.5,
        },
      ],
      server_output_text: 'hello\n',
    });
  });

  it("reads the client's results (iperf3 writes -1 retransmits as 2^64 - 1)", () => {
    const text =
      '{"cpu_util_total":23.1,"sender_has_retransmits":18446744073709551615,"streams":[' +
      '{"id":1,"bytes":1054343062,"retransmits":18446744073709551615,"packets":0},' +
      '{"id":3,"bytes":5}]}';
    const result = parsePeerResults(JSON.parse(text));
    assert.deepEqual(result, {
      ok: true,
      value: [
        { id: 1, bytes: 1054343062, packets: 0 },
        { id: 3, bytes: 5, packets: 0 },
      ],
    });
  });

  it('refuses results without streams or with malformed ones', () => {
    assert.equal(parsePeerResults({}).ok, false);
    assert.equal(parsePeerResults({ streams: {} }).ok, false);
    assert.equal(parsePeerResults({ streams: [null] }).ok, false);
    assert.equal(parsePeerResults({ streams: [{ id: '1', bytes: 2 }] }).ok, false);
    assert.equal(parsePeerResults({ streams: [{ id: 1 }] }).ok, false);
  });

  it('computes and formats rates', () => {
    assert.equal(bitsPerSecond(1_250_000_000, 1), 10_000_000_000);
    assert.equal(bitsPerSecond(100, 0), 0);
    assert.equal(formatBitRate(9_412_345_678), '9.41 Gbit/s');
    assert.equal(formatBitRate(1_500_000), '1.50 Mbit/s');
    assert.equal(formatBitRate(999), '999 bit/s');
  });
});
