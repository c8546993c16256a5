// What the connection table knows about a flow: its state, one small number per flow, and the
// timeout class that state puts it in. TCP states take RFC 793's names for where the connection
// stands as seen from the side that opened it (the original direction); a middlebox sees both
// sides' segments and infers them, as RFC 5382 §5 expects of a NAT.

import { IP_PROTOCOL_ICMP, IP_PROTOCOL_TCP, IP_PROTOCOL_UDP } from '@oasis/wire';
import {
  CLASS_ICMP,
  CLASS_TCP_ESTABLISHED,
  CLASS_TCP_RESET,
  CLASS_TCP_TRANSITORY,
  CLASS_UDP,
  type TimeoutClass,
} from './nat-timeouts.ts';

/** The direction of a packet in a flow: as first seen (original), or the other way (reply). */
export const FLOW_ORIGINAL = 0;
export const FLOW_REPLY = 1;
export type FlowDirection = typeof FLOW_ORIGINAL | typeof FLOW_REPLY;

/** The opener's SYN was seen (a flow is created by its first packet). */
export const TCP_SYN_SENT = 0;
/** The other side answered with its SYN (SYN+ACK, or a simultaneous open). */
export const TCP_SYN_RECEIVED = 1;
/** The opener acknowledged that SYN: the handshake is complete. */
export const TCP_ESTABLISHED = 2;
/** The opener sent a FIN (it is in FIN-WAIT); the other side may still send. */
export const TCP_FIN_WAIT = 3;
/** The other side sent a FIN (the opener is in CLOSE-WAIT); the opener may still send. */
export const TCP_CLOSE_WAIT = 4;
/** Both sides sent a FIN. */
export const TCP_TIME_WAIT = 5;
/** A RST was seen in either direction. */
export const TCP_RESET = 6;
export const FLOW_UDP = 7;
export const FLOW_ICMP = 8;
/** Any other IP protocol: tracked by addresses and protocol, ports zero. */
export const FLOW_OTHER = 9;
export type TcpState =
  | typeof TCP_SYN_SENT
  | typeof TCP_SYN_RECEIVED
  | typeof TCP_ESTABLISHED
  | typeof TCP_FIN_WAIT
  | typeof TCP_CLOSE_WAIT
  | typeof TCP_TIME_WAIT
  | typeof TCP_RESET;
export type FlowState = TcpState | typeof FLOW_UDP | typeof FLOW_ICMP | typeof FLOW_OTHER;

/** Indexed by FlowState: the names `stateOf` and `stateCounts` report. */
export const FLOW_STATE_NAMES = [
  'syn-sent',
  'syn-received',
  'established',
  'fin-wait',
  'close-wait',
  'time-wait',
  'reset',
  'udp',
  'icmp',
  'other',
] as const;
export type FlowStateName = (typeof FLOW_STATE_NAMES)[number];

export function isTcpState(state: FlowState): state is TcpState {
  return state <= TCP_RESET;
}

/** The state of a flow created by its first packet, a TCP SYN for TCP. */
export function initialState(protocol: number): FlowState {
  switch (protocol) {
    case IP_PROTOCOL_TCP:
      return TCP_SYN_SENT;
    case IP_PROTOCOL_UDP:
      return FLOW_UDP;
    case IP_PROTOCOL_ICMP:
      return FLOW_ICMP;
    default:
      return FLOW_OTHER;
  }
}

export function timeoutClassOf(state: FlowState): TimeoutClass {
  switch (state) {
    case TCP_ESTABLISHED:
      return CLASS_TCP_ESTABLISHED;
    // RFC 5382 REQ-5: "transitory" covers the partially open and the partially closed states.
    case TCP_SYN_SENT:
    case TCP_SYN_RECEIVED:
    case TCP_FIN_WAIT:
    case TCP_CLOSE_WAIT:
    case TCP_TIME_WAIT:
      return CLASS_TCP_TRANSITORY;
    case TCP_RESET:
      return CLASS_TCP_RESET;
    // Protocols without a state machine share UDP's timeout (RFC 4787 REQ-5 is the only
    // guidance for connectionless flows).
    case FLOW_UDP:
    case FLOW_OTHER:
      return CLASS_UDP;
    case FLOW_ICMP:
      return CLASS_ICMP;
  }
}
