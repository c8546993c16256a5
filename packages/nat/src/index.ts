// @oasis/nat: what a firewall/NAT router decides about each packet it forwards. Connection
// tracking over a fixed-size table, source NAT with endpoint-independent mapping (RFC 4787,
// RFC 5382, RFC 5508), port forwards, and Qubes-style rules. Platform-neutral; packets are
// rewritten in place with incremental checksum updates, and nothing is allocated per packet.

export { ConnectionTable, type ConnectionTableOptions } from './connection-table.ts';
export * from './firewall-policy.ts';
export {
  FLOW_ORIGINAL,
  FLOW_REPLY,
  FLOW_STATE_NAMES,
  type FlowDirection,
  type FlowStateName,
  TCP_CLOSE_WAIT,
  TCP_ESTABLISHED,
  TCP_FIN_WAIT,
  TCP_RESET,
  TCP_SYN_RECEIVED,
  TCP_SYN_SENT,
  TCP_TIME_WAIT,
  type TcpState,
} from './flow-state.ts';
export * from './flow-tuple.ts';
export { rewriteQuotedDestination, rewriteQuotedSource } from './icmp-error-rewrite.ts';
export { NAT_TIMEOUTS, type NatTimeouts } from './nat-timeouts.ts';
export {
  icmpCode,
  icmpType,
  readFlowTuple,
  readQuotedTuple,
  type TupleVerdict,
  tcpFlags,
} from './packet-fields.ts';
export { rewriteDestination, rewriteSource } from './packet-rewrite.ts';
export * from './port-forward.ts';
export * from './rules/dstname-resolver.ts';
export * from './rules/firewall-rule.ts';
export * from './rules/rule-parser.ts';
export * from './rules/rule-set.ts';
export { nextTcpState } from './tcp-tracking.ts';
