// Conditional requests (RFC 9110 §13): whether a GET or HEAD may be answered 304 Not Modified,
// and whether an If-Range still allows a partial answer.

export interface Validators {
  /** A strong entity tag, quotes included: "abc". */
  readonly etag: string;
  readonly lastModifiedMs: number;
}

/** The entity tags of an If-None-Match or If-Range value, W/ prefixes kept, or '*'. */
function entityTags(header: string): string[] | '*' {
  if (header.trim() === '*') return '*';
  return header.match(/(?:W\/)?"[^"]*"/g) ?? [];
}

/** HTTP dates have whole seconds (§5.6.7), so a time is compared at that precision. */
const seconds = (ms: number): number => Math.floor(ms / 1000);

/**
 * §13.2.2 steps 3 and 4 for GET/HEAD: If-None-Match (weak comparison, §8.8.3.2) when present,
 * otherwise If-Modified-Since. True means 304.
 */
export function notModified(
  validators: Validators,
  ifNoneMatch: string | undefined,
  ifModifiedSince: string | undefined,
): boolean {
  if (ifNoneMatch !== undefined) {
    const tags = entityTags(ifNoneMatch);
    if (tags === '*') return true;
    const opaque = validators.etag;
    return tags.some((tag) => tag.replace(/^W\//, '') === opaque);
  }
  if (ifModifiedSince === undefined) return false;
  const since = Date.parse(ifModifiedSince);
  return !Number.isNaN(since) && seconds(validators.lastModifiedMs) <= seconds(since);
}

/**
 * §13.1.5: a Range applies only if If-Range, when present, still names this representation: an
 * entity tag compared strongly (a weak tag never matches), or exactly its Last-Modified date.
 */
export function rangeStillValid(validators: Validators, ifRange: string | undefined): boolean {
  if (ifRange === undefined) return true;
  const value = ifRange.trim();
  if (value.startsWith('"') || value.startsWith('W/')) return value === validators.etag;
  const date = Date.parse(value);
  return !Number.isNaN(date) && seconds(date) === seconds(validators.lastModifiedMs);
}
