// Recursive (iterative) resolution for the caching resolver: an Upstream that asks the name
// server hierarchy itself, from root hints, with QNAME minimisation and bailiwick checks.

export { IANA_ROOT_HINTS } from './iana-root-hints.ts';
export { type RecursiveOptions, RecursiveResolver } from './recursive-resolver.ts';
export { parseRootHints, type RootHint } from './root-hints.ts';
