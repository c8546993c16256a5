// @oasis/dns: the Domain Name System over the `Stack` contract, so it runs on every target.
// Platform-neutral. Wire codec (RFC 1035, EDNS RFC 6891, unknown types RFC 3597) with name
// compression and decompression limits; decoding never throws and refuses bad input with a
// reason to count.

export * from './address-list.ts';
export * from './authoritative/authoritative-answer.ts';
export * from './authoritative/zone.ts';
export * from './authoritative/zone-lookup.ts';
export * from './authoritative/zone-set.ts';
export * from './client/index.ts';
export * from './resolver/answer-chain.ts';
export * from './resolver/dns-cache.ts';
export * from './resolver/forwarder.ts';
export * from './resolver/local-names/blocklist.ts';
export * from './resolver/local-names/hosts-file.ts';
export type { ListLineError } from './resolver/local-names/list-lines.ts';
export * from './resolver/recursive/index.ts';
export * from './resolver/resolver.ts';
export * from './resolver/upstream.ts';
export * from './response.ts';
export * from './server/dns-server.ts';
export * from './server/query-handler.ts';
export * from './wire/constants.ts';
export * from './wire/dns-reader.ts';
export * from './wire/dns-wire-error.ts';
export * from './wire/dns-writer.ts';
export * from './wire/edns.ts';
export * from './wire/message.ts';
export * from './wire/name.ts';
export * from './wire/rdata/rdata-codec.ts';
export * from './wire/rdata/record-data.ts';
export * from './wire/rdata/registry.ts';
export * from './zone-file/zone-file-error.ts';
export * from './zone-file/zone-file-parser.ts';
