// Asks a server on 127.0.0.1 for a name's A records over UDP: to know when it answers, and that
// every server gives the same answers before they are compared.

import { createSocket } from 'node:dgram';
import {
  DnsName,
  decodeMessage,
  encodeMessage,
  makeQuery,
  RecordClass,
  RecordType,
} from '@oasis/dns';
import type { BenchHost } from './bench-zone.ts';

const ATTEMPT_MS = 200;

/** The A addresses in the answer, or undefined if none came within `timeoutMs`. */
export async function queryA(
  port: number,
  name: string,
  timeoutMs: number,
): Promise<readonly string[] | undefined> {
  const parsed = DnsName.parse(name);
  if (!parsed.ok) throw new TypeError(`not a domain name: ${name} (${parsed.error})`);
  const id = Math.floor(Math.random() * 0x10000);
  const query = encodeMessage(
    makeQuery(id, { name: parsed.value, type: RecordType.A, class: RecordClass.IN }),
  );
  const socket = createSocket('udp4');
  try {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => resolve(undefined), timeoutMs);
      socket.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      socket.on('message', (bytes) => {
        const answer = decodeMessage(new Uint8Array(bytes));
        if (!answer.ok || answer.value.id !== id || !answer.value.qr) return;
        clearTimeout(timer);
        resolve(
          answer.value.answers.flatMap((record) =>
            record.data.kind === 'A' ? [record.data.address] : [],
          ),
        );
      });
      socket.send(query, port, '127.0.0.1');
    });
  } finally {
    socket.close();
  }
}

/**
 * Resolves once the server on `port` gives `host` its address; rejects after `timeoutMs`, or as
 * soon as `alive` throws (the server exited).
 */
export async function waitUntilAnswering(
  port: number,
  host: BenchHost,
  timeoutMs: number,
  alive: () => void,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    alive();
    const addresses = await queryA(port, host.name, ATTEMPT_MS);
    if (addresses !== undefined) {
      if (addresses.length === 1 && addresses[0] === host.address) return;
      throw new Error(`${host.name} answered ${addresses.join(', ') || 'nothing'}`);
    }
  }
  throw new Error(`no answer for ${host.name} within ${timeoutMs} ms`);
}

/** Throws unless every host in `sample` is answered with exactly its address. */
export async function checkAnswers(port: number, sample: readonly BenchHost[]): Promise<void> {
  for (const host of sample) {
    const addresses = await queryA(port, host.name, 2000);
    if (addresses?.length !== 1 || addresses[0] !== host.address) {
      throw new Error(
        `${host.name}: expected ${host.address}, got ${addresses === undefined ? 'no answer' : addresses.join(', ') || 'no address'}`,
      );
    }
  }
}
