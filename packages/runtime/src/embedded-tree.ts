// A directory tree embedded in a bundle at build time (MirageOS' crunch): the static site's files
// travel inside the unikernel instead of on a disk. The build step emits a module whose default
// export is an EmbeddedTree; MemoryKv.fromTree serves it. Contents are base64 so that the tree is
// plain JSON-compatible data that any bundler inlines without a binary loader.

export interface EmbeddedFile {
  /** The file's key in the store (`css/site.css`). */
  readonly key: string;
  /** The file's bytes, base64 (RFC 4648 section 4, with padding). */
  readonly base64: string;
  /** The file's modification time at build time, ms since the Unix epoch. */
  readonly modifiedMs: number;
}

export interface EmbeddedTree {
  readonly files: readonly EmbeddedFile[];
}

/** Decodes base64 text with the platform's `atob`, which browsers and Node both provide. */
export function decodeBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let index = 0; index < binary.length; index++) bytes[index] = binary.charCodeAt(index);
  return bytes;
}
