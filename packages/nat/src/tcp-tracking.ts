// TCP connection tracking as a middlebox does it (RFC 5382 §5): from the flags of each segment
// and its direction, infer whether the connection is opening, established or closing, which is
// all a NAT needs to pick an idle timeout (RFC 5382 REQ-5). Sequence numbers and windows are not
// checked (a NAT does not validate them), and a segment that does not fit the state is still
// passed: it leaves the state as it was. Creating a flow is the caller's decision, not this one's.

import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '@oasis/wire';
import {
  FLOW_ORIGINAL,
  type FlowDirection,
  TCP_CLOSE_WAIT,
  TCP_ESTABLISHED,
  TCP_FIN_WAIT,
  TCP_RESET,
  TCP_SYN_RECEIVED,
  TCP_SYN_SENT,
  TCP_TIME_WAIT,
  type TcpState,
} from './flow-state.ts';

/** The state after a segment with `flags` (the TCP header's flag byte) travels in `direction`. */
export function nextTcpState(state: TcpState, direction: FlowDirection, flags: number): TcpState {
  // RFC 793 §3.4: a RST closes the connection whichever side sends it. Without sequence checks a
  // stray RST can move a live flow here; its short timeout restarts with every packet, so a flow
  // that keeps carrying packets survives it.
  if ((flags & TCP_RST) !== 0) return TCP_RESET;
  const syn = (flags & TCP_SYN) !== 0;
  const ack = (flags & TCP_ACK) !== 0;
  const fin = (flags & TCP_FIN) !== 0;
  const fromOpener = direction === FLOW_ORIGINAL;
  switch (state) {
    case TCP_SYN_SENT:
      // The answer's SYN+ACK, or a bare SYN in a simultaneous open (RFC 793 §3.4 figure 8,
      // which RFC 5382 REQ-2 requires a NAT to support).
      if (syn && !fromOpener) return TCP_SYN_RECEIVED;
      return fin ? closingBy(direction) : state;
    case TCP_SYN_RECEIVED:
      if (fin) return closingBy(direction);
      // The opener's ACK of the answer's SYN completes the three-way handshake (RFC 793 §3.4).
      return ack && !syn && fromOpener ? TCP_ESTABLISHED : state;
    case TCP_ESTABLISHED:
      return fin ? closingBy(direction) : state;
    case TCP_FIN_WAIT:
      return fin && !fromOpener ? TCP_TIME_WAIT : state;
    case TCP_CLOSE_WAIT:
      return fin && fromOpener ? TCP_TIME_WAIT : state;
    case TCP_TIME_WAIT:
    case TCP_RESET:
      // A new SYN from the opener starts a new incarnation on the same ports (RFC 1122
      // §4.2.2.13 allows it from TIME-WAIT; after a RST the ports are free anyway).
      return syn && !ack && fromOpener ? TCP_SYN_SENT : state;
  }
}

function closingBy(direction: FlowDirection): TcpState {
  return direction === FLOW_ORIGINAL ? TCP_FIN_WAIT : TCP_CLOSE_WAIT;
}
