// A Flow as a pair of Web Streams (WHATWG Streams), for code written against them: fetch-style
// libraries, `pipeTo`/`pipeThrough`, TextDecoderStream. Each side is a thin loop over the flow,
// so the flow's backpressure carries through: the readable pulls one `read` per chunk wanted and
// buffers nothing ahead (high-water mark 0); the writable awaits each `write` before the next.
//
// Cancelling the readable does not reset the connection. It means "I want no more of this
// input", not "tear the connection down": a server that has read enough of a request may still
// be writing its answer on the writable side, and a reset would throw away the answer's unsent
// bytes. So the rest of the input is read and dropped (the peer is never left stalled on a full
// window), and the connection ends when both sides have closed. To reset it, abort the writable.

import type { Flow } from './tcp.ts';

export interface FlowWebStreams {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
}

export function flowToWebStreams(flow: Flow): FlowWebStreams {
  // The latest read, which a cancel must let finish: a flow allows one read at a time.
  let reading: Promise<Uint8Array | undefined> | undefined;
  let cancelled = false;
  const readable = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        reading = flow.read();
        const chunk = await reading;
        // A cancel during the read leaves the chunk to discardRest.
        if (cancelled) return;
        if (chunk === undefined) controller.close();
        else controller.enqueue(chunk);
      },
      cancel() {
        cancelled = true;
        // Not awaited: the input ends when the peer says so, and the canceller need not wait.
        void discardRest(flow, reading);
      },
    },
    { highWaterMark: 0 },
  );
  const writable = new WritableStream<Uint8Array>({
    write: (chunk) => flow.write(chunk),
    close: () => flow.closeWrite(),
    abort: () => flow.abort(),
  });
  return { readable, writable };
}

/** Reads and drops the flow's input until its end, after the read already under way. */
async function discardRest(
  flow: Flow,
  reading: Promise<Uint8Array | undefined> | undefined,
): Promise<void> {
  try {
    let chunk = await (reading ?? flow.read());
    while (chunk !== undefined) chunk = await flow.read();
  } catch {
    // The connection failed: the writable side reports it to whoever still writes.
  }
}
