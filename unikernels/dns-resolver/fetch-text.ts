// Fetches a text resource over HTTP/1.1 or HTTPS through the service's own stack: Node's HTTP
// client (and TLS) on a flow that stack opened, the host name looked up by the resolver
// itself. Redirects are followed (at most five, RFC 9110 §15.4); any other status than 200 is
// an error; bodies are capped so a hostile list cannot exhaust memory.

import { request } from 'node:http';
import { connect as tlsConnect } from 'node:tls';
import { OasisError } from '@oasis/core';
import { flowToDuplex } from '@oasis/node';
import type { TcpStack } from '@oasis/runtime';

export interface FetchContext {
  readonly tcp: TcpStack;
  /** An address for a host name (the resolver's own answer). */
  readonly lookup: (host: string) => Promise<string>;
  readonly maxBytes?: number;
  readonly signal?: AbortSignal;
}

const MAX_REDIRECTS = 5;
const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

export async function fetchText(url: string, context: FetchContext): Promise<string> {
  let current = new URL(url);
  for (let redirects = 0; ; redirects++) {
    const response = await get(current, context);
    if (response.location === undefined) return response.body;
    if (redirects === MAX_REDIRECTS) throw new OasisError('EIO', `${url}: too many redirects`);
    current = new URL(response.location, current);
  }
}

interface Response {
  readonly body: string;
  readonly location?: string;
}

async function get(url: URL, context: FetchContext): Promise<Response> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new OasisError('EINVAL', `${url.href}: only http and https lists can be fetched`);
  }
  const secure = url.protocol === 'https:';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const address = /^[\d.]+$|:/.test(host) ? host : await context.lookup(host);
  const port = url.port === '' ? (secure ? 443 : 80) : Number(url.port);
  const flow = await context.tcp.connect(
    { address, port },
    context.signal === undefined ? {} : { signal: context.signal },
  );
  const plain = flowToDuplex(flow);
  const socket = secure ? tlsConnect({ socket: plain, servername: host }) : plain;
  const maxBytes = context.maxBytes ?? DEFAULT_MAX_BYTES;
  return new Promise<Response>((resolve, reject) => {
    const outgoing = request(
      {
        host: url.host,
        path: `${url.pathname}${url.search}`,
        method: 'GET',
        headers: { 'user-agent': 'oasis-dns-resolver', accept: 'text/plain, */*' },
        createConnection: () => socket,
        ...(context.signal === undefined ? {} : { signal: context.signal }),
      },
      (incoming) => {
        const status = incoming.statusCode ?? 0;
        const location = incoming.headers.location;
        if (status >= 300 && status < 400 && location !== undefined) {
          incoming.resume();
          resolve({ body: '', location });
          return;
        }
        if (status !== 200) {
          incoming.resume();
          reject(new OasisError('EIO', `${url.href}: HTTP status ${status}`));
          return;
        }
        const chunks: Buffer[] = [];
        let length = 0;
        incoming.on('data', (chunk: Buffer) => {
          length += chunk.length;
          if (length > maxBytes) {
            incoming.destroy(new OasisError('EIO', `${url.href}: longer than ${maxBytes} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        incoming.on('end', () => resolve({ body: Buffer.concat(chunks).toString('utf8') }));
        incoming.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end();
  }).finally(() => socket.destroy());
}
