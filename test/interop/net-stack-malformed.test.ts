// scapy sends the direct stack malformed frames over the TAP device (malformed-frames.py):
// truncated headers, lengths past the end, bad checksums, overlapping and never-completed
// fragments, ARP with odd sizes, IP options that run off the header. The stack must count
// each as a drop under its reason, crash on none, and keep answering pings.
// Needs root: skipped elsewhere, failed under CI when it cannot run.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  type DirectStackFixture,
  KERNEL_ADDRESS,
  openDirectStack,
  STACK_ADDRESS,
} from './direct-stack.ts';
import { skipUnlessTapAllowed } from './netns.ts';
import { PYTHON, skipUnless, skipUnlessScapy } from './tools.ts';

const skip =
  skipUnlessTapAllowed() ||
  skipUnless('ping', 'Debian: apt-get install iputils-ping') ||
  skipUnless(PYTHON, 'Debian: apt-get install python3') ||
  skipUnlessScapy();

/** Reassembly gives up after this, so the never-completed fragment is counted quickly. */
const REASSEMBLY_TIMEOUT_MS = 500;

describe('the direct stack under malformed frames from scapy', { skip }, () => {
  let fixture: DirectStackFixture | undefined;

  before(async () => {
    fixture = await openDirectStack('bad', { reassembly: { timeoutMs: REASSEMBLY_TIMEOUT_MS } });
  });

  after(async () => {
    await fixture?.close();
  });

  it('counts every malformed frame under its reason and keeps answering pings', async () => {
    const { namespace, stack, tapName } = fixture!;
    // Warm up: the kernel learns our MAC, and the stack the kernel's.
    await namespace.spawn('ping', ['-c', '1', '-W', '3', STACK_ADDRESS]).done;
    const stackMac = stack.interfaces()[0]!.mac;
    const kernelMac = namespace.exec('cat', [`/sys/class/net/${tapName}/address`]).trim();
    const drops = (): Record<string, number> => stack.drops();
    const before = drops();
    const out = await namespace.spawn(PYTHON, [
      join(import.meta.dirname, 'malformed-frames.py'),
      tapName,
      stackMac,
      STACK_ADDRESS,
      kernelMac,
      KERNEL_ADDRESS,
    ]).done;
    const cases = JSON.parse(out) as { reason: string; frames: number }[];
    const expected = new Map<string, number>();
    for (const { reason } of cases) expected.set(reason, (expected.get(reason) ?? 0) + 1);

    // The last frames may still be on their way, and the lone fragment must time out: wait
    // until the stack has counted them, or fail after a bound.
    const deadline = Date.now() + 5000;
    const missing = (): string[] => {
      const now = drops();
      return [...expected].flatMap(([reason, count]) => {
        const seen = (now[reason] ?? 0) - (before[reason] ?? 0);
        return seen === count ? [] : [`${reason}: ${seen} of ${count}`];
      });
    };
    while (missing().length > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.deepEqual(missing(), []);
    assert.equal(stack.drops()['internal.exception'], undefined);

    // Still alive, and still answering.
    const ping = await namespace.spawn('ping', ['-c', '3', '-i', '0.2', '-W', '3', STACK_ADDRESS])
      .done;
    assert.match(ping, /3 received/);
    // The first fragment that never completed earned its sender an ICMP time exceeded, the only
    // error message: the other frames were dropped before any port was looked up.
    assert.equal(stack.counters()['icmpv4.errors-sent'], 1);
  });
});
