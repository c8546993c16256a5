// The line structure shared by hosts files and blocklists: text split into lines, each with its
// 1-based number for error reports. Both formats come from many editors and downloads, so a
// leading byte-order mark and CRLF line ends are accepted and removed here, once.

/** A line of a hosts file or blocklist that was skipped, and why. */
export interface ListLineError {
  /** 1-based. */
  readonly line: number;
  readonly reason: string;
}

const BYTE_ORDER_MARK = '\uFEFF';

/** Calls `visit` with each line of `text`, without its line end, and the line's 1-based number. */
export function forEachLine(text: string, visit: (line: string, lineNumber: number) => void): void {
  let start = text.startsWith(BYTE_ORDER_MARK) ? 1 : 0;
  for (let lineNumber = 1; start <= text.length; lineNumber++) {
    const newline = text.indexOf('\n', start);
    const end = newline < 0 ? text.length : newline;
    const carriageReturn = end > start && text.charCodeAt(end - 1) === 0x0d;
    const line = text.slice(start, carriageReturn ? end - 1 : end);
    visit(line, lineNumber);
    start = end + 1;
  }
}

/**
 * The fields of a line whose comment is already removed. hosts(5) separates fields with blanks
 * and tabs; any ASCII control character or space separates them here, since none can be part
 * of an address or a host name.
 */
export function splitFields(line: string): string[] {
  const fields: string[] = [];
  let start = -1;
  for (let i = 0; i < line.length; i++) {
    if (line.charCodeAt(i) <= 0x20) {
      if (start >= 0) fields.push(line.slice(start, i));
      start = -1;
    } else if (start < 0) {
      start = i;
    }
  }
  if (start >= 0) fields.push(start === 0 ? line : line.slice(start));
  return fields;
}
