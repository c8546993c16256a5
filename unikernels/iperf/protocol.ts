// The iperf3 protocol's numbers, as the iperf3 client (esnet/iperf, 3.x) puts them on the wire.
//
// A test runs over one TCP control connection. The client opens it and sends its cookie; the
// server answers with one-byte states and moves the test along: PARAM_EXCHANGE (the client then
// sends its parameters as a JSON frame), CREATE_STREAMS (the client opens the data streams, each
// introduced by the same cookie), TEST_START and TEST_RUNNING (data flows). The client ends the
// test with TEST_END; the server answers EXCHANGE_RESULTS, both sides swap their results as JSON
// frames (the client's first), the server sends DISPLAY_RESULTS and the client says IPERF_DONE.

/** The cookie: 36 printable characters and a NUL, first on the control and every data stream. */
export const COOKIE_SIZE = 37;

/** The states, one signed byte each on the control connection. */
export const TEST_START = 1;
export const TEST_RUNNING = 2;
export const TEST_END = 4;
export const PARAM_EXCHANGE = 9;
export const CREATE_STREAMS = 10;
export const SERVER_TERMINATE = 11;
export const CLIENT_TERMINATE = 12;
export const EXCHANGE_RESULTS = 13;
export const DISPLAY_RESULTS = 14;
export const IPERF_DONE = 16;
/** Sent to a client while another test runs; the connection is then closed. */
export const ACCESS_DENIED = -1;
/** Followed by two 32-bit big-endian numbers: the iperf3 error code and an errno (0 here). */
export const SERVER_ERROR = -2;

/**
 * The iperf3 error codes a server may report after SERVER_ERROR. The client prints its own text
 * for each, so the numbers must be iperf3's.
 */
export const IPERF_ERRORS = {
  /** "Number of parallel streams too large" */
  numStreams: 6,
  /** "Block size too large" */
  blockSize: 7,
  /** "No SCTP support available" */
  noSctp: 18,
  /** "Block size invalid" (UDP) */
  udpBlockSize: 20,
  /** "Cannot be both reverse and bidirectional" */
  reverseBidir: 25,
  /** "unable to receive parameters from client" */
  receiveParams: 114,
  /** "unable to start stream listener" */
  streamListen: 202,
} as const;

/** The largest TCP block iperf3 accepts (its MAX_BLOCKSIZE), and its default. */
export const MAX_TCP_BLOCK_SIZE = 1024 * 1024;
export const DEFAULT_TCP_BLOCK_SIZE = 128 * 1024;
/** iperf3's default UDP datagram payload when the client names none. */
export const DEFAULT_UDP_BLOCK_SIZE = 1460;
/** The largest UDP payload over IPv4 (65535 - 20 - 8). */
export const MAX_UDP_BLOCK_SIZE = 65507;
/** At most this many parallel streams (iperf3's MAX_STREAMS). */
export const MAX_STREAMS = 128;

/**
 * The 4-byte datagram a UDP stream's server sends back to the client's first datagram. iperf3
 * writes a host-order integer; these are the bytes a little-endian iperf3 server sends ("6789"),
 * which every client accepts (older ones read any reply, newer ones check for this value).
 */
export const UDP_CONNECT_REPLY = Uint8Array.of(0x36, 0x37, 0x38, 0x39);

/**
 * iperf3 numbers streams in the order they are created: 1 for the first, then 3, 4, 5, ... (its
 * list walk starts counting at 2 before it has looked at the first stream). Client and server
 * create streams in the same order, and results are matched by this number.
 */
export function streamId(index: number): number {
  return index === 0 ? 1 : index + 2;
}
