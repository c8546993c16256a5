// The HTTP/1.1 request handler of the static site, over any read-only tree: GET and HEAD,
// index.html for directories, 301 to add a directory's trailing slash, 404, content types,
// ETag and Last-Modified with conditional GET, one byte range per request (RFC 9110).

import type { IncomingMessage, ServerResponse } from 'node:http';
import { isOasisError } from '@oasis/core';
import type { KvRo, Logger } from '@oasis/runtime';
import { parseByteRange } from './byte-range.ts';
import { notModified, rangeStillValid, type Validators } from './conditional.ts';
import { contentTypeOf } from './content-type.ts';

export interface SiteOptions {
  /** The file served for a directory (default index.html). */
  readonly index: string;
  readonly log: Logger;
}

/** Bytes read from the tree per write, so a large file streams with backpressure. */
const CHUNK_BYTES = 64 * 1024;

type Resolved =
  | { readonly kind: 'file'; readonly key: string }
  | { readonly kind: 'redirect'; readonly location: string }
  | { readonly kind: 'status'; readonly status: number };

export function createSiteHandler(kv: KvRo, options: SiteOptions) {
  const etags = new Map<string, { readonly stamp: string; readonly etag: string }>();

  /** The entity tag of `key`, recomputed only when its size or modification time changed. */
  async function validators(key: string, size: number): Promise<Validators> {
    const lastModifiedMs = await kv.lastModifiedMs(key);
    const stamp = `${size}:${lastModifiedMs}`;
    let cached = etags.get(key);
    if (cached?.stamp !== stamp) {
      cached = { stamp, etag: `"${(await kv.digest(key)).slice(0, 32)}"` };
      etags.set(key, cached);
    }
    return { etag: cached.etag, lastModifiedMs };
  }

  async function resolve(url: string): Promise<Resolved> {
    const path = new URL(url, 'http://site').pathname;
    let segments: string[];
    try {
      segments = path
        .split('/')
        .filter((segment) => segment !== '')
        .map(decodeURIComponent);
    } catch {
      return { kind: 'status', status: 400 };
    }
    // A decoded slash or a dot segment would name another key than the path shows.
    if (segments.some((s) => s.includes('/') || s === '.' || s === '..')) {
      return { kind: 'status', status: 404 };
    }
    const key = segments.join('/');
    const kind = await kv.exists(key);
    if (kind === 'value' && !path.endsWith('/')) return { kind: 'file', key };
    if (kind === 'dictionary') {
      if (!path.endsWith('/')) return { kind: 'redirect', location: `${path}/` };
      const index = key === '' ? options.index : `${key}/${options.index}`;
      if ((await kv.exists(index)) === 'value') return { kind: 'file', key: index };
    }
    return { kind: 'status', status: 404 };
  }

  async function respond(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-length': 0 }).end();
      return;
    }
    const resolved = await resolve(request.url ?? '/');
    if (resolved.kind === 'redirect') {
      response.writeHead(301, { location: resolved.location, 'content-length': 0 }).end();
      return;
    }
    if (resolved.kind === 'status') {
      const body = `${resolved.status === 404 ? 'Not Found' : 'Bad Request'}\n`;
      response.writeHead(resolved.status, {
        'content-type': 'text/plain; charset=utf-8',
        'content-length': Buffer.byteLength(body),
      });
      response.end(request.method === 'HEAD' ? undefined : body);
      return;
    }
    const { key } = resolved;
    const size = await kv.size(key);
    const current = await validators(key, size);
    const headers = {
      'content-type': contentTypeOf(key),
      etag: current.etag,
      'last-modified': new Date(current.lastModifiedMs).toUTCString(),
      'accept-ranges': 'bytes',
    };
    const header = (name: string): string | undefined => {
      const value = request.headers[name];
      return Array.isArray(value) ? value.join(', ') : value;
    };
    if (notModified(current, header('if-none-match'), header('if-modified-since'))) {
      const { etag, 'last-modified': lastModified } = headers;
      response.writeHead(304, { etag, 'last-modified': lastModified });
      response.end();
      return;
    }
    const range = rangeStillValid(current, header('if-range'))
      ? parseByteRange(header('range'), size)
      : parseByteRange(undefined, size);
    if (range.kind === 'unsatisfiable') {
      response.writeHead(416, { 'content-range': `bytes */${size}`, 'content-length': 0 }).end();
      return;
    }
    const first = range.kind === 'partial' ? range.first : 0;
    const last = range.kind === 'partial' ? range.last : size - 1;
    response.writeHead(range.kind === 'partial' ? 206 : 200, {
      ...headers,
      'content-length': last - first + 1,
      ...(range.kind === 'partial' ? { 'content-range': `bytes ${first}-${last}/${size}` } : {}),
    });
    if (request.method === 'HEAD') {
      response.end();
      return;
    }
    for (let offset = first; offset <= last; offset += CHUNK_BYTES) {
      const chunk = await kv.getPartial(key, offset, Math.min(CHUNK_BYTES, last + 1 - offset));
      if (!response.write(chunk)) await drainedOrClosed(response);
      if (response.destroyed) return;
    }
    response.end();
  }

  return (request: IncomingMessage, response: ServerResponse): void => {
    respond(request, response).then(
      () =>
        options.log.info('request', {
          method: request.method,
          path: request.url,
          status: response.statusCode,
        }),
      (error: unknown) => {
        options.log.warn('request failed', { path: request.url, error });
        if (!response.headersSent) {
          const status = isOasisError(error, 'ENOENT') ? 404 : 500;
          response.writeHead(status, { 'content-length': 0 }).end();
        } else response.destroy();
      },
    );
  };
}

/** Resolves when the response can take more data, or will never need to (the peer went away). */
function drainedOrClosed(response: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      response.off('drain', done);
      response.off('close', done);
      resolve();
    };
    response.on('drain', done);
    response.on('close', done);
  });
}
