// Why a zone file was refused: the file, the line where the offending entry starts, and the
// reason, printed the way compilers print errors so that editors can jump to the line.

export interface ZoneFileError {
  readonly file: string;
  /** 1-based: the line where the entry starts (a parenthesised entry may span several). */
  readonly line: number;
  readonly reason: string;
}

/** `FILE:LINE: REASON` */
export function formatZoneFileError(error: ZoneFileError): string {
  return `${error.file}:${error.line}: ${error.reason}`;
}
