// iperf3's JSON messages on the control connection: a 32-bit big-endian length, then that many
// bytes of JSON text (UTF-8, no terminator). The client's parameters and both sides' results
// travel this way.

import { err, ok, type Result, readU32BE, writeU32BE } from '@oasis/core';
import type { FlowReader } from './flow-reader.ts';

/** Parameters and results are a few hundred bytes; a bigger frame is not from an iperf3 client. */
export const MAX_JSON_FRAME_BYTES = 1024 * 1024;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** The frame for `value`: length, then its JSON text. */
export function encodeJsonFrame(value: unknown): Uint8Array {
  const text = encoder.encode(JSON.stringify(value));
  const frame = new Uint8Array(4 + text.length);
  writeU32BE(frame, 0, text.length);
  frame.set(text, 4);
  return frame;
}

/** Parses a frame's body: JSON text naming an object. */
export function decodeJsonBody(
  body: Uint8Array,
): Result<Readonly<Record<string, unknown>>, string> {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(body));
  } catch (error) {
    return err(`not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return err('the JSON is not an object');
  }
  return ok(value as Record<string, unknown>);
}

/**
 * Reads one frame: undefined when the stream ends first (before or inside the frame), an error
 * (never a rejection for bad input) when the length is over `maxBytes` or the body is not a JSON
 * object. Rejects as `Flow.read` does.
 */
export async function readJsonFrame(
  reader: FlowReader,
  maxBytes = MAX_JSON_FRAME_BYTES,
): Promise<Result<Readonly<Record<string, unknown>>, string> | undefined> {
  const header = await reader.readExact(4);
  if (header === undefined) return undefined;
  const length = readU32BE(header, 0);
  if (length > maxBytes) return err(`a JSON frame of ${length} bytes (at most ${maxBytes})`);
  const body = await reader.readExact(length);
  if (body === undefined) return undefined;
  return decodeJsonBody(body);
}
