// How much a test's senders may still send: -n bytes or -k blocks over all streams of the server's
// direction together (as iperf3 counts them), or no limit for a test that runs for a time.

export class SendBudget {
  #bytes: number;
  #blocks: number;

  /** `bytes` and `blocks` as the client's "num" and "blockcount": 0 means no such limit. */
  constructor(bytes: number, blocks: number) {
    this.#bytes = bytes > 0 ? bytes : Number.POSITIVE_INFINITY;
    this.#blocks = blocks > 0 ? blocks : Number.POSITIVE_INFINITY;
  }

  /**
   * Takes the next write from the budget: `blockSize`, fewer bytes for the last write of a byte
   * limit when `exact` (a TCP byte stream ends exactly there; a UDP datagram stays whole), or 0
   * when the budget is spent.
   */
  claim(blockSize: number, exact: boolean): number {
    if (this.#bytes <= 0 || this.#blocks <= 0) return 0;
    const size = exact ? Math.min(blockSize, this.#bytes) : blockSize;
    this.#bytes -= size;
    this.#blocks -= 1;
    return size;
  }
}
