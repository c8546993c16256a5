// Shared by the host-file devices (directory KV, file block device): Node's file-system errors as
// OasisErrors, and the directory fsync that makes a created, renamed or removed name durable.

import { open } from 'node:fs/promises';
import { type ErrorCode, OasisError } from '@oasis/core';

const FS_ERROR_CODES: Readonly<Record<string, ErrorCode>> = {
  ENOENT: 'ENOENT',
  EISDIR: 'EINVAL',
  ENOTDIR: 'EINVAL',
  EEXIST: 'EINVAL',
  ELOOP: 'EINVAL',
  ENAMETOOLONG: 'EINVAL',
  EACCES: 'EPERM',
  EPERM: 'EPERM',
  EROFS: 'EPERM',
  ENOSPC: 'ENOSPC',
  EDQUOT: 'ENOSPC',
};

/** A Node file-system error as an OasisError (EIO when its code has no closer match). */
export function fsError(error: unknown, what: string): OasisError {
  if (error instanceof OasisError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return new OasisError(FS_ERROR_CODES[code ?? ''] ?? 'EIO', `${what}: ${message}`, {
    cause: error,
  });
}

/** fsync on a directory: makes the names created, renamed or removed in it durable. */
export async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
