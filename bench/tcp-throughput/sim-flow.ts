// One bulk TCP flow between two direct stacks on a simulated network, in this process: stacks A
// (10.86.2.1) and B (10.86.2.2), each on a SimNic cabled to one learning switch, links without
// latency, loss or a bandwidth limit. A writes `bytes` in chunks and half-closes; B reads until
// the end. Virtual time runs as fast as the CPU allows, so the wall-clock rate is what both
// stacks (and the simulator) cost together on one core: every byte is sent by one and received
// by the other in this process. Without latency every frame arrives at the instant it was sent,
// so the whole flow takes no virtual time at all. Two drivers (SimDriver): settleInVirtualTime
// as the tests use it (a macrotask after every timer, that is after every frame on every link),
// and one that fires every timer due at an instant before that macrotask.

import { createLogger, type Logger, SeededRandom } from '@oasis/core';
import { NetStack } from '@oasis/net';
import type { Flow } from '@oasis/runtime';
import { SimNetwork, settleInVirtualTime } from '@oasis/sim';

const SENDER_ADDRESS = '10.86.2.1';
const RECEIVER_ADDRESS = '10.86.2.2';
const PREFIX_LENGTH = 24;
const PORT = 5001;
/** Virtual time the whole flow may take before it counts as stuck. */
const VIRTUAL_LIMIT_MS = 3_600_000;

export interface SimFlowResult {
  readonly bytes: number;
  readonly wallSeconds: number;
  readonly bitsPerSecond: number;
  /** Virtual time the flow took on the network's clock. */
  readonly virtualSeconds: number;
  /** Frames the sender's and the receiver's NICs sent. */
  readonly senderFrames: number;
  readonly receiverFrames: number;
  readonly mtu: number;
}

/** A logger that keeps only warnings and errors, and only their count and the first lines. */
function quietLogger(clock: SimNetwork['clock'], name: string, lines: string[]): Logger {
  return createLogger({
    source: name,
    clock,
    level: 'warn',
    sink: {
      write: (record) => {
        if (lines.length < 10) lines.push(`${name}: ${JSON.stringify(record)}`);
      },
    },
  });
}

function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * How virtual time is driven: 'timer' fires one timer, then lets promise callbacks run
 * (settleInVirtualTime, as the tests do); 'instant' fires every timer due at the next deadline
 * (and those they set for the same instant), then lets the callbacks run.
 */
export type SimDriver = 'timer' | 'instant';

async function runInstants(
  network: SimNetwork,
  promise: Promise<unknown>,
  untilMs: number,
): Promise<boolean> {
  const clock = network.clock;
  let settled = false;
  const mark = (): void => {
    settled = true;
  };
  promise.then(mark, mark);
  await settle();
  while (!settled) {
    const next = clock.nextDeadlineMs();
    if (next === undefined || next > untilMs) return false;
    clock.advanceTo(next);
    await settle();
  }
  return true;
}

async function runUntil<T>(
  network: SimNetwork,
  driver: SimDriver,
  promise: Promise<T>,
  what: string,
): Promise<T> {
  const untilMs = network.clock.nowMs() + VIRTUAL_LIMIT_MS;
  const settled =
    driver === 'timer'
      ? await settleInVirtualTime(network.clock, promise, { untilMs, settle })
      : await runInstants(network, promise, untilMs);
  if (!settled)
    throw new Error(`sim: ${what} still pending after ${VIRTUAL_LIMIT_MS} ms of virtual time`);
  return promise;
}

async function drain(flow: Flow): Promise<number> {
  let total = 0;
  for (let piece = await flow.read(); piece !== undefined; piece = await flow.read()) {
    total += piece.length;
  }
  return total;
}

/** Sends `bytes` from A to B in `chunkBytes` writes; resolves with the wall-clock rate. */
export async function measureSimFlow(
  bytes: number,
  options: {
    readonly chunkBytes?: number;
    readonly mtu?: number;
    readonly seed?: number;
    readonly driver?: SimDriver;
  } = {},
): Promise<SimFlowResult> {
  const chunkBytes = options.chunkBytes ?? 128 * 1024;
  const mtu = options.mtu ?? 1500;
  const driver = options.driver ?? 'timer';
  const network = new SimNetwork({ seed: options.seed ?? 1 });
  const lanSwitch = network.addSwitch('switch');
  const warnings: string[] = [];
  const host = (
    name: string,
    address: string,
  ): { stack: NetStack; nic: ReturnType<SimNetwork['addNic']> } => {
    const nic = network.addNic(name, { mtu });
    network.connect(nic, lanSwitch);
    const stack = new NetStack({
      interfaces: [{ device: nic, ipv4: [`${address}/${PREFIX_LENGTH}`] }],
      clock: network.clock,
      sleep: network.clock,
      random: new SeededRandom(network.seed).derive(name),
      logger: quietLogger(network.clock, name, warnings),
      probeAddresses: false,
    });
    return { stack, nic };
  };
  const sender = host('a', SENDER_ADDRESS);
  const receiver = host('b', RECEIVER_ADDRESS);
  try {
    await runUntil(
      network,
      driver,
      Promise.all([sender.stack.ready, receiver.stack.ready]),
      'start-up',
    );
    const listener = await receiver.stack.tcp.listen({ port: PORT });
    const received = new Promise<number>((resolve, reject) => {
      listener.onConnection((flow) => {
        drain(flow)
          .then(async (total) => {
            await flow.close();
            resolve(total);
          })
          .catch(reject);
      });
    });
    const flow = await runUntil(
      network,
      driver,
      sender.stack.tcp.connect({ address: RECEIVER_ADDRESS, port: PORT }),
      'connect',
    );
    const chunk = new Uint8Array(chunkBytes).map((_, i) => i & 0xff);
    const startVirtualMs = network.clock.nowMs();
    const start = process.hrtime.bigint();
    const sent = (async () => {
      for (let left = bytes; left > 0; left -= chunkBytes) {
        await flow.write(left >= chunkBytes ? chunk : chunk.subarray(0, left));
      }
      await flow.closeWrite();
    })();
    const total = await runUntil(
      network,
      driver,
      Promise.all([sent, received]).then(([, count]) => count),
      'the flow',
    );
    const wallSeconds = Number(process.hrtime.bigint() - start) / 1e9;
    const virtualSeconds = (network.clock.nowMs() - startVirtualMs) / 1000;
    await runUntil(network, driver, flow.close(), 'close');
    await listener.close();
    if (total !== bytes) throw new Error(`sim: B received ${total} bytes of ${bytes}`);
    return {
      bytes,
      wallSeconds,
      bitsPerSecond: (bytes * 8) / wallSeconds,
      virtualSeconds,
      senderFrames: sender.nic.counters().txFrames,
      receiverFrames: receiver.nic.counters().txFrames,
      mtu,
    };
  } catch (error) {
    if (warnings.length > 0) {
      throw new Error(
        `${error instanceof Error ? error.message : String(error)}; log: ${warnings.join('; ')}`,
      );
    }
    throw error;
  } finally {
    await Promise.allSettled([sender.stack.close(), receiver.stack.close()]);
  }
}
