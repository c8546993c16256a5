// @oasis/core: the ground floor. Platform-neutral (no node:* imports, no Buffer), no
// dependencies. It provides big-endian byte helpers, the Internet checksum and its incremental
// update (RFC 1071, RFC 1624), the Result type that parsers return, errors with stable codes,
// the Clock/Sleep/Random contracts with real and virtual-time implementations, and logging.

export * from './bytes.ts';
export * from './checksum.ts';
export * from './counters.ts';
export * from './errors.ts';
export * from './logger.ts';
export * from './manual-clock.ts';
export * from './random.ts';
export * from './result.ts';
export * from './time.ts';
