// The direct stack's TCP until it has one: every listen and connect rejects with ENOTSUP, so a
// service that needs TCP fails at start with a clear error and a UDP-only service runs.

import { OasisError } from '@oasis/core';
import type { TcpStack } from '@oasis/runtime';

const refuse = (): Promise<never> =>
  Promise.reject(new OasisError('ENOTSUP', 'the direct stack does not implement TCP yet'));

export const TCP_UNSUPPORTED: TcpStack = { listen: refuse, connect: refuse };
