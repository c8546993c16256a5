// A query framed for DNS over TCP (RFC 1035 §4.2.2): the message preceded by its length as two
// bytes. Answers are cut out of the stream by the server's TcpFrameReader.

import { writeU16BE } from '@oasis/core';

/**
 * The length and the message (with `id` in its header) in one buffer, so that they go to TCP in
 * one write (RFC 7766 §8): servers that read the length alone then wait are slow or fail.
 */
export function frameQuery(query: Uint8Array, id: number): Uint8Array {
  const frame = new Uint8Array(2 + query.length);
  writeU16BE(frame, 0, query.length);
  frame.set(query, 2);
  writeU16BE(frame, 2, id);
  return frame;
}
