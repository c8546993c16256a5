// Errors that async APIs reject with. Each carries a stable `code`, named after the POSIX errno a
// socket programmer already knows, so the host-socket stack and the direct stack report a failure
// the same way and callers can branch on `error.code` without parsing messages.

export const ERROR_CODES = [
  'EABORTED', // the caller cancelled the operation (AbortSignal)
  'EACCES', // not permitted by the object's settings (a broadcast send without the broadcast flag)
  'EADDRINUSE', // the address and port are already bound
  'EADDRNOTAVAIL', // the address is not one of the stack's
  'ECLOSED', // the object was closed before or during the operation
  'ECONNREFUSED', // the peer answered a connection attempt with a reset
  'ECONNRESET', // the peer reset an established connection
  'EHOSTUNREACH', // no route or no link-layer answer for the destination host
  'EINVAL', // an argument is out of range for this object's state
  'EIO', // the device failed
  'EMSGSIZE', // the message does not fit the path or the protocol
  'ENETUNREACH', // no route to the destination network
  'ENOENT', // no such key, file or entry
  'ENOSPC', // a store, queue or table is full
  'ENOTFOUND', // a host name has no address
  'ENOTSUP', // the operation is not supported by this implementation
  'EPERM', // the operating system refused (missing privilege)
  'EPIPE', // writing after the local side shut down sending
  'ETIMEDOUT', // the operation ran out of time
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export class OasisError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  override get name(): string {
    return 'OasisError';
  }
}

/** The operation did not finish in time. */
export class TimeoutError extends OasisError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ETIMEDOUT', message, options);
  }

  override get name(): string {
    return 'TimeoutError';
  }
}

/** The caller aborted the operation through its AbortSignal. */
export class AbortError extends OasisError {
  constructor(message = 'the operation was aborted', options?: { cause?: unknown }) {
    super('EABORTED', message, options);
  }

  override get name(): string {
    return 'AbortError';
  }
}

/** The object was closed, before or while the operation ran. */
export class ClosedError extends OasisError {
  constructor(what: string) {
    super('ECLOSED', `${what} is closed`);
  }

  override get name(): string {
    return 'ClosedError';
  }
}

export function isOasisError(error: unknown, code?: ErrorCode): error is OasisError {
  return error instanceof OasisError && (code === undefined || error.code === code);
}
