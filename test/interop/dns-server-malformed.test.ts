// The Oasis DNS server on the host socket stack, on 127.0.0.1, under malformed queries sent by
// a Python script with plain sockets (dns-server-malformed.py): compression loops and bad
// pointers, labels and names too long, stray and broken OPT records, and messages that get no
// answer at all. Each must get FORMERR (or BADVERS, or silence, as the rules say) and raise the
// counter of its reason; then dig must still get an answer.
// The programs run asynchronously: the server answers from this process's event loop.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { createLogger, MemorySink, SystemClock, SystemSleep } from '@oasis/core';
import { createHostStack, type HostStack } from '@oasis/node';
import { type DnsServer, startDnsServer } from '../../packages/dns/src/server/dns-server.ts';
import type { DnsQueryHandler } from '../../packages/dns/src/server/query-handler.ts';
import { Rcode, RecordClass, RecordType } from '../../packages/dns/src/wire/constants.ts';
import { defaultEdns } from '../../packages/dns/src/wire/edns.ts';
import { type DnsMessage, decodeMessage } from '../../packages/dns/src/wire/message.ts';
import { skipUnless } from './tools.ts';

const PYTHON = '/usr/bin/python3';
const skip =
  skipUnless(PYTHON, 'Debian: apt-get install python3') ||
  skipUnless('dig', 'Debian: apt-get install bind9-dnsutils');
const execFileAsync = promisify(execFile);

interface Expected {
  readonly answer: 'FORMERR' | 'BADVERS' | 'silence';
  /** The counters of its reasons; every FORMERR also raises `formerr`, checked as a total. */
  readonly counters: readonly string[];
}

/** What each case of the script must get, and the counter that records it. */
const EXPECTED: Readonly<Record<string, Expected>> = {
  'compression-loop': { answer: 'FORMERR', counters: ['dns.bad-pointer'] },
  'forward-pointer': { answer: 'FORMERR', counters: ['dns.bad-pointer'] },
  'pointer-into-itself': { answer: 'FORMERR', counters: ['dns.bad-pointer'] },
  'length-past-end': { answer: 'FORMERR', counters: ['dns.truncated'] },
  'empty-label-in-middle': { answer: 'FORMERR', counters: ['dns.trailing-data'] },
  'label-of-64-bytes': { answer: 'FORMERR', counters: ['dns.bad-label-type'] },
  'name-over-255-bytes': { answer: 'FORMERR', counters: ['dns.name-too-long'] },
  'two-opt-records': { answer: 'FORMERR', counters: ['dns.bad-opt'] },
  'opt-in-answer-section': { answer: 'FORMERR', counters: ['dns.bad-opt'] },
  'opt-not-at-root': { answer: 'FORMERR', counters: ['dns.bad-opt'] },
  'truncated-opt-option': { answer: 'FORMERR', counters: ['dns.bad-opt'] },
  // RFC 9619: decodable, refused for their QDCOUNT; counted under `formerr` only.
  'no-question': { answer: 'FORMERR', counters: [] },
  'two-questions': { answer: 'FORMERR', counters: [] },
  'edns-version-1': { answer: 'BADVERS', counters: ['badvers'] },
  'shorter-than-header': { answer: 'silence', counters: ['dropped.short'] },
  response: { answer: 'silence', counters: ['dropped.response'] },
  'malformed-response': { answer: 'silence', counters: ['dns.bad-pointer', 'dropped.response'] },
};

/** 192.0.2.1 for every name, as opaque RDATA (RFC 3597), with an OPT when the query had one. */
const trivialHandler: DnsQueryHandler = (query) => {
  const answer: DnsMessage = {
    ...query,
    qr: true,
    aa: true,
    answers: [
      {
        name: query.questions[0]!.name,
        type: RecordType.A,
        class: RecordClass.IN,
        ttl: 300,
        data: { kind: 'opaque', bytes: Uint8Array.of(192, 0, 2, 1) },
      },
    ],
    authorities: [],
    additionals: [],
  };
  const { edns: _, ...withoutEdns } = answer;
  return query.edns === undefined ? withoutEdns : { ...answer, edns: defaultEdns(1232) };
};

describe('the DNS server under malformed queries over UDP', { skip }, () => {
  let stack: HostStack | undefined;
  let server: DnsServer | undefined;
  const log = new MemorySink();

  before(async () => {
    const clock = new SystemClock();
    const logger = createLogger({ source: 'dns', sink: log, clock });
    stack = createHostStack({ logger });
    server = await startDnsServer({
      udp: stack.udp,
      tcp: stack.tcp,
      address: '127.0.0.1',
      port: 0,
      handler: trivialHandler,
      clock,
      sleep: new SystemSleep(clock),
      logger,
    });
  });

  after(async () => {
    await server?.close();
    await stack?.close();
  });

  it('answers each as the rules say, counts its reason, and still answers dig', async () => {
    const port = String(server!.udpPort);
    const before = server!.counters();
    const { stdout } = await execFileAsync(PYTHON, [
      join(import.meta.dirname, 'dns-server-malformed.py'),
      '127.0.0.1',
      port,
    ]);
    const results = JSON.parse(stdout) as { name: string; reply: string | null }[];
    assert.deepEqual(results.map(({ name }) => name).sort(), Object.keys(EXPECTED).sort());

    const expectedCounts = new Map<string, number>();
    for (const { name, reply } of results) {
      const expected = EXPECTED[name]!;
      for (const counter of expected.counters) {
        expectedCounts.set(counter, (expectedCounts.get(counter) ?? 0) + 1);
      }
      if (expected.answer === 'silence') {
        assert.equal(reply, null, `${name}: no answer`);
        continue;
      }
      assert.ok(reply !== null, `${name}: an answer`);
      const decoded = decodeMessage(Buffer.from(reply, 'hex'));
      assert.ok(decoded.ok, `${name}: the answer decodes`);
      const answer = decoded.value;
      assert.equal(answer.qr, true, name);
      assert.equal(answer.rcode, Rcode[expected.answer], `${name}: ${expected.answer}`);
      assert.equal(answer.answers.length, 0, name);
    }
    const after = server!.counters();
    for (const [counter, count] of expectedCounts) {
      assert.equal((after[counter] ?? 0) - (before[counter] ?? 0), count, counter);
    }
    // The 11 undecodable queries and the 2 with a wrong QDCOUNT.
    assert.equal((after['formerr'] ?? 0) - (before['formerr'] ?? 0), 13);
    assert.equal(after['handler.error'], undefined);

    const { stdout: dig } = await execFileAsync('dig', [
      '@127.0.0.1',
      '-p',
      port,
      'example.com',
      'A',
      '+tries=1',
      '+time=2',
    ]);
    assert.match(dig, /status: NOERROR/);
    assert.match(dig, /^example\.com\.\s+300\s+IN\s+A\s+192\.0\.2\.1$/m);
  });
});
