// The Range request header for bytes (RFC 9110 §14.1.2): one range is served as 206 Partial
// Content; several are answered with the whole representation, which §14.2 allows ("a server
// MAY ignore the Range header field"), as it does for a header it cannot parse.

export type RangeRequest =
  | { readonly kind: 'whole' }
  | { readonly kind: 'partial'; readonly first: number; readonly last: number }
  | { readonly kind: 'unsatisfiable' };

const WHOLE: RangeRequest = { kind: 'whole' };

/** What to send of a representation of `size` bytes for the header value `header`. */
export function parseByteRange(header: string | undefined, size: number): RangeRequest {
  if (header === undefined) return WHOLE;
  const match = /^bytes=\s*(\d*)-(\d*)\s*$/i.exec(header);
  if (match === null) return WHOLE;
  const [, firstText = '', lastText = ''] = match;
  if (firstText === '') {
    // A suffix range: the last N bytes (§14.1.2 "suffix-length"); N = 0 selects nothing.
    if (lastText === '') return WHOLE;
    const length = Number(lastText);
    if (length === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', first: Math.max(0, size - length), last: size - 1 };
  }
  const first = Number(firstText);
  const last = lastText === '' ? size - 1 : Number(lastText);
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(last)) return WHOLE;
  // §14.1.2: a range whose first position is past the end cannot be satisfied (checked before
  // the order of an open range's positions, whose last one is the end); a last position past
  // the end is cut to the end; a range written backwards is invalid, so ignored.
  if (first >= size) return { kind: 'unsatisfiable' };
  if (last < first) return WHOLE;
  return { kind: 'partial', first, last: Math.min(last, size - 1) };
}
