// The smallest service: no network, no storage; it logs a line every interval until stopped.
// Its bundle shows what the runtime itself costs.

import { isOasisError } from '@oasis/core';
import { arg, defineUnikernel, device } from '@oasis/runtime';

export default defineUnikernel({
  name: 'hello',
  doc: 'the smallest service: logs a line a second',
  devices: { log: device.logger(), sleep: device.sleep() },
  args: {
    message: arg.string({ doc: 'what to log', default: 'hello' }),
    intervalMs: arg.integer({ doc: 'milliseconds between lines', default: 1000, min: 1 }),
  },
  async start({ log, sleep }, { message, intervalMs }, { signal }) {
    const loop = async (): Promise<void> => {
      for (let count = 1; !signal.aborted; count++) {
        log.info(message, { count });
        await sleep.sleep(intervalMs, signal);
      }
    };
    loop().catch((error: unknown) => {
      if (!isOasisError(error, 'EABORTED')) log.error('stopped', { error });
    });
  },
});
