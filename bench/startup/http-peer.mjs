// The peer of the static-site start-up: the smallest node:http server for one directory's
// index.html, with no framework, so it measures what starting Node and listening costs.
// Usage: node http-peer.mjs DIR PORT
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join } from 'node:path';

const [dir, port] = [process.argv[2], Number(process.argv[3])];
createServer(async (_request, response) => {
  const body = await readFile(join(dir, 'index.html'));
  response.writeHead(200, { 'content-type': 'text/html', 'content-length': body.length });
  response.end(body);
}).listen(port);
