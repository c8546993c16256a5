// The client's parameters: what iperf3 3.12 sends for its common options, the defaults when a
// field is absent, and the refusals, each with the iperf3 error code the client prints.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseTestParams, serverSendsOn, streamCount, type TestParams } from '../test-params.ts';

/** Parameters as iperf3 3.12 sends them (captured from `iperf3 -c`). */
const CAPTURED = {
  plain: {
    tcp: true,
    omit: 0,
    time: 10,
    num: 0,
    blockcount: 0,
    parallel: 1,
    len: 131072,
    pacing_timer: 1000,
    client_version: '3.12',
  },
  reverseParallel: {
    tcp: true,
    omit: 0,
    time: 3,
    num: 0,
    blockcount: 0,
    parallel: 2,
    reverse: true,
    len: 131072,
    pacing_timer: 1000,
    client_version: '3.12',
  },
  udp: {
    udp: true,
    omit: 0,
    time: 10,
    num: 0,
    blockcount: 0,
    parallel: 1,
    len: 32768,
    bandwidth: 10000000,
    pacing_timer: 1000,
    client_version: '3.12',
  },
  bytes: {
    tcp: true,
    omit: 0,
    time: 0,
    num: 52428800,
    blockcount: 0,
    parallel: 1,
    len: 65536,
    pacing_timer: 1000,
    client_version: '3.12',
  },
};

function parsed(json: Record<string, unknown>): TestParams {
  const result = parseTestParams(json);
  assert.ok(result.ok, JSON.stringify(result));
  return result.value;
}

describe('parseTestParams', () => {
  it('reads a plain TCP test', () => {
    const params = parsed(CAPTURED.plain);
    assert.deepEqual(
      [params.protocol, params.mode, params.parallel, params.durationS, params.blockSize],
      ['tcp', 'normal', 1, 10, 131072],
    );
    assert.deepEqual([params.bytes, params.blocks, params.bitsPerSecond], [0, 0, 0]);
    assert.equal(params.clientVersion, '3.12');
    assert.deepEqual(params.ignored, []);
  });

  it('reads -R -P 2, -n 50M -l 64K and UDP -b 10M', () => {
    const reverse = parsed(CAPTURED.reverseParallel);
    assert.deepEqual([reverse.mode, reverse.parallel, streamCount(reverse)], ['reverse', 2, 2]);
    const bytes = parsed(CAPTURED.bytes);
    assert.deepEqual([bytes.bytes, bytes.blockSize, bytes.durationS], [52428800, 65536, 0]);
    const udp = parsed(CAPTURED.udp);
    assert.deepEqual([udp.protocol, udp.bitsPerSecond, udp.blockSize], ['udp', 10000000, 32768]);
  });

  it('fills in defaults for absent fields; no rate means no limit (-b 0)', () => {
    const tcp = parsed({ tcp: true });
    assert.deepEqual(
      [tcp.parallel, tcp.durationS, tcp.blockSize, tcp.omitS, tcp.pacingTimerUs],
      [1, 10, 131072, 0, 1000],
    );
    const udp = parsed({ udp: true });
    assert.deepEqual([udp.blockSize, udp.bitsPerSecond], [1460, 0]);
  });

  it('reads the flags and lists the socket options it does not apply', () => {
    const params = parsed({
      tcp: true,
      bidirectional: true,
      parallel: 3,
      udp_counters_64bit: 1,
      get_server_output: 1,
      MSS: 1400,
      window: 65536,
      nodelay: true,
      congestion: 'bbr',
      title: 'run 1',
    });
    assert.equal(params.mode, 'bidirectional');
    assert.equal(streamCount(params), 6);
    assert.deepEqual([params.udpCounters64, params.getServerOutput], [true, true]);
    assert.deepEqual(params.ignored, ['MSS', 'window', 'nodelay', 'congestion']);
    assert.equal(params.title, 'run 1');
  });

  it('says who sends on each stream', () => {
    const on = (json: Record<string, unknown>) => {
      const params = parsed(json);
      return Array.from({ length: streamCount(params) }, (_, i) => serverSendsOn(params, i));
    };
    assert.deepEqual(on({ tcp: true, parallel: 2 }), [false, false]);
    assert.deepEqual(on({ tcp: true, parallel: 2, reverse: true }), [true, true]);
    assert.deepEqual(on({ tcp: true, parallel: 2, bidirectional: true }), [
      false,
      false,
      true,
      true,
    ]);
  });

  for (const [json, code] of [
    [{ sctp: true }, 18],
    [{ tcp: true, parallel: 0 }, 6],
    [{ tcp: true, parallel: 129 }, 6],
    [{ tcp: true, len: 0 }, 7],
    [{ tcp: true, len: 1048577 }, 7],
    [{ udp: true, len: 11 }, 20],
    [{ udp: true, len: 12, udp_counters_64bit: 1 }, 20],
    [{ udp: true, len: 65508 }, 20],
    [{ tcp: true, reverse: true, bidirectional: true }, 25],
    [{ tcp: true, time: -1 }, 114],
    [{ tcp: true, num: 1.5 }, 114],
    [{ tcp: true, len: '64K' }, 114],
  ] as const) {
    it(`refuses ${JSON.stringify(json)} with iperf3 error ${code}`, () => {
      const result = parseTestParams(json);
      assert.equal(result.ok, false);
      if (!result.ok) assert.equal(result.error.code, code);
    });
  }
});
