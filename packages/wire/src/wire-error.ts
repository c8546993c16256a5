// Why a codec refused its input. The stack drops the packet and counts it under
// `${layer}.${reason}`, so reasons are short stable words, and each codec makes its errors once,
// at load time: refusing a bad packet allocates nothing.

export type WireLayer =
  | 'ethernet'
  | 'arp'
  | 'ipv4'
  | 'ipv6'
  | 'icmpv4'
  | 'icmpv6'
  | 'ndp'
  | 'mld'
  | 'udp'
  | 'tcp';

export interface WireError<Reason extends string = string> {
  readonly layer: WireLayer;
  readonly reason: Reason;
  /** `${layer}.${reason}`, the key drop counters use. */
  readonly key: string;
}

export function wireError<Reason extends string>(
  layer: WireLayer,
  reason: Reason,
): WireError<Reason> {
  return Object.freeze({ layer, reason, key: `${layer}.${reason}` });
}

/** The errors of one codec, one per reason, made once. */
export function wireErrors<const Reasons extends readonly string[]>(
  layer: WireLayer,
  reasons: Reasons,
): { readonly [R in Reasons[number]]: WireError<R> } {
  const errors: Record<string, WireError> = {};
  for (const reason of reasons) errors[reason] = wireError(layer, reason);
  return errors as { readonly [R in Reasons[number]]: WireError<R> };
}
