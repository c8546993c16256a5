// The reference row of bench/dns.ts: the smallest Node program that gives the benchmark's
// answers, so that the table shows what Node's UDP path costs on its own. One node:dgram
// socket on 127.0.0.1:PORT; names and addresses from a hosts file (`ADDRESS NAME` lines) in a
// Map; each standard query with one question (RFC 1035 §4.1.1, §4.1.2) is answered from the
// Map with AA set: its A record (the name compressed to the question's, §4.1.4), NOERROR
// without an answer for another type, NXDOMAIN for a name it does not have. Anything else is
// dropped. No EDNS, no TCP, no DNS library.
// Usage: node bench/dns/node-responder.mjs PORT HOSTS_FILE TTL_SECONDS

import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';

const [port, hostsFile, ttl] = [Number(process.argv[2]), process.argv[3], Number(process.argv[4])];
if (!(Number.isInteger(port) && port > 0 && port <= 0xffff) || hostsFile === undefined) {
  console.error('usage: node node-responder.mjs PORT HOSTS_FILE TTL_SECONDS');
  process.exit(64);
}

/** Lower-case name without the trailing dot → the 4 bytes of its address. */
const table = new Map();
for (const line of readFileSync(hostsFile, 'latin1').split('\n')) {
  const [address, name] = line.trim().split(/\s+/);
  if (address === undefined || name === undefined) continue;
  table.set(name.toLowerCase(), Buffer.from(address.split('.').map(Number)));
}

const HEADER_LENGTH = 12;
const TYPE_A = 1;
const CLASS_IN = 1;
const RCODE_NXDOMAIN = 3;
const ANSWER_LENGTH = 16;

const socket = createSocket('udp4');
socket.on('message', (query, from) => {
  // A query (QR 0, opcode 0) with exactly one question.
  if (query.length < HEADER_LENGTH || (query[2] & 0xf8) !== 0 || query.readUInt16BE(4) !== 1) {
    return;
  }
  const labels = [];
  let at = HEADER_LENGTH;
  while (at < query.length && query[at] !== 0) {
    const length = query[at];
    if (length > 63 || at + 1 + length >= query.length) return;
    labels.push(query.toString('latin1', at + 1, at + 1 + length).toLowerCase());
    at += 1 + length;
  }
  const questionEnd = at + 5;
  if (questionEnd > query.length) return;
  const address = table.get(labels.join('.'));
  const answer = address !== undefined && query.readUInt16BE(at + 1) === TYPE_A;
  const reply = Buffer.allocUnsafe(questionEnd + (answer ? ANSWER_LENGTH : 0));
  query.copy(reply, 0, 0, questionEnd);
  reply[2] = 0x84 | (query[2] & 0x01); // QR, AA, and RD as asked (§4.1.1)
  reply[3] = address === undefined ? RCODE_NXDOMAIN : 0;
  reply.writeUInt16BE(answer ? 1 : 0, 6); // ANCOUNT
  reply.writeUInt32BE(0, 8); // NSCOUNT, ARCOUNT
  if (answer) {
    reply.writeUInt16BE(0xc000 | HEADER_LENGTH, questionEnd); // the question's name
    reply.writeUInt16BE(TYPE_A, questionEnd + 2);
    reply.writeUInt16BE(CLASS_IN, questionEnd + 4);
    reply.writeUInt32BE(ttl, questionEnd + 6);
    reply.writeUInt16BE(4, questionEnd + 10);
    address.copy(reply, questionEnd + 12);
  }
  socket.send(reply, from.port, from.address);
});
let bound = false;
// After the bind, an error is one reply that could not be sent: keep answering.
socket.on('error', (error) => {
  console.error(`node-responder: ${error.message}`);
  if (!bound) process.exit(1);
});
// Exit rather than die on SIGTERM, so that `node --cpu-prof` writes its profile.
process.once('SIGTERM', () => socket.close(() => process.exit(0)));
socket.bind(port, '127.0.0.1', () => {
  bound = true;
  console.log('ready');
});
