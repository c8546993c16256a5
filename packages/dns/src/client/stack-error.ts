// What a stack rejected with, as an OasisError. The Stack contract promises OasisError values;
// anything else is a fault of the stack, reported as EIO with the original as the cause.

import { OasisError } from '@oasis/core';

export function asOasisError(error: unknown): OasisError {
  if (error instanceof OasisError) return error;
  return new OasisError('EIO', 'the network stack failed', { cause: error });
}
