// @oasis/wire: pure packet codecs. Each protocol has a zero-copy view class over a Uint8Array
// (`checked` for input: after it, no accessor reads out of bounds; `unchecked` for buffers the
// caller sized) and a plain representation with `parseX`, `emitX` and a length function.
// Parsing never throws: malformed input is an Err carrying a WireError whose `key` names the drop
// reason. Parse-then-emit is byte-exact. Platform-neutral; no allocation on the error path.

export * from './arp.ts';
export * from './ethernet.ts';
export * from './icmpv4.ts';
export * from './icmpv6.ts';
export * from './ipv4.ts';
export * from './ipv4-address.ts';
export * from './ipv6.ts';
export * from './ipv6-address.ts';
export * from './ipv6-extension.ts';
export * from './mac-address.ts';
export * from './mld.ts';
export * from './ndp.ts';
export * from './pseudo-header.ts';
export * from './tcp.ts';
export * from './tcp-options.ts';
export * from './udp.ts';
export * from './wire-error.ts';
