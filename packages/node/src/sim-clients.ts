// The simulated clients of a `sim` run: a direct stack each, on its network of the topology, doing
// its actions at their instants of virtual time. Every action ends in one outcome: what happened,
// and whether that met the expectation (a ping expects a reply; a UDP exchange expects its
// `expect` text when it has one, else it expects nothing and is only reported).

import { isOasisError, type ManualClock } from '@oasis/core';
import type { NetStack } from '@oasis/net';
import type { UdpEndpoint, UdpSocket } from '@oasis/runtime';
import type { SimClientAction } from './sim-topology.ts';
import type { SimWorld } from './sim-world.ts';

export type OutcomeStatus = 'ok' | 'failed' | 'unchecked';

export interface ActionOutcome {
  /** Virtual time at which the action started. */
  readonly atMs: number;
  readonly client: string;
  /** What happened: `ping 10.0.0.2 → reply in 2.0 ms`. */
  readonly text: string;
  readonly status: OutcomeStatus;
}

export interface SimClients {
  /**
   * The outcome of every action, in the order the actions started; one still waiting for its
   * reply has failed. Closes the clients' stacks.
   */
  finish(): Promise<ActionOutcome[]>;
}

/** What an action found, before it is placed in time and attributed to its client. */
interface Result {
  readonly text: string;
  readonly status: OutcomeStatus;
}

/** As ping(8) waits by default for its last reply. */
const PING_TIMEOUT_MS = 1000;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Opens every client's stack and schedules its actions on the world's clock. */
export async function startClients(world: SimWorld): Promise<SimClients> {
  const { clock } = world;
  const stacks: NetStack[] = [];
  const slots: { atMs: number; client: string; action: SimClientAction; result?: Result }[] = [];
  for (const client of world.topology.clients) {
    const stack = await world.clientStack(client);
    stacks.push(stack);
    for (const action of client.actions) {
      const slot: (typeof slots)[number] = { atMs: action.atMs, client: client.name, action };
      slots.push(slot);
      clock.setTimer(action.atMs, () => {
        // Late when the service took virtual time to start: then the action runs at once.
        slot.atMs = clock.nowMs();
        void perform(stack, action, clock).then((result) => {
          slot.result = result;
        });
      });
    }
  }
  return {
    async finish() {
      const outcomes = slots.map(
        ({ atMs, client, action, result }): ActionOutcome => ({
          atMs,
          client,
          ...(result ?? {
            text: `${label(action)} still waiting at the end of the run`,
            status: 'failed',
          }),
        }),
      );
      await Promise.all(stacks.map((stack) => stack.close()));
      // A stable sort: actions starting together keep the topology's order.
      return outcomes.sort((a, b) => a.atMs - b.atMs);
    },
  };
}

/** The outcomes as aligned lines: `   200.0 ms  alice  ping 10.0.0.2 → reply in 2.0 ms  ok`. */
export function outcomeLines(outcomes: readonly ActionOutcome[]): string[] {
  const width = Math.max(0, ...outcomes.map(({ client }) => client.length));
  return outcomes.map(({ atMs, client, text, status }) => {
    const time = atMs.toFixed(1).padStart(8);
    return `${time} ms  ${client.padEnd(width)}  ${text}  ${STATUS_WORDS[status]}`;
  });
}

const STATUS_WORDS: Readonly<Record<OutcomeStatus, string>> = {
  ok: 'ok',
  failed: 'FAILED',
  unchecked: 'unchecked',
};

async function perform(
  stack: NetStack,
  action: SimClientAction,
  clock: ManualClock,
): Promise<Result> {
  try {
    switch (action.kind) {
      case 'ping': {
        const reply = await stack.ping(action.to, { timeoutMs: PING_TIMEOUT_MS });
        return { text: `${label(action)} → reply in ${ms(reply.rttMs)}`, status: 'ok' };
      }
      case 'udp':
        return await exchange(stack, action, clock);
    }
  } catch (error) {
    const what =
      isOasisError(error, 'ETIMEDOUT') && action.kind === 'ping'
        ? `no reply within ${PING_TIMEOUT_MS} ms`
        : `failed: ${error instanceof Error ? error.message : String(error)}`;
    return { text: `${label(action)} ${what}`, status: 'failed' };
  }
}

/** Sends the datagram from an ephemeral port and waits for the first reply from its destination. */
async function exchange(
  stack: NetStack,
  action: Extract<SimClientAction, { kind: 'udp' }>,
  clock: ManualClock,
): Promise<Result> {
  const socket = await stack.udp.bind();
  try {
    const reply = await firstReply(socket, action, clock);
    if (reply === undefined) {
      return {
        text: `${label(action)} no reply within ${action.timeoutMs} ms`,
        status: action.expect === undefined ? 'unchecked' : 'failed',
      };
    }
    const text = `${label(action)} → ${JSON.stringify(reply.text)} in ${ms(reply.rttMs)}`;
    if (action.expect === undefined || reply.text === action.expect) return { text, status: 'ok' };
    return { text: `${text}, expected ${JSON.stringify(action.expect)}`, status: 'failed' };
  } finally {
    await socket.close();
  }
}

function firstReply(
  socket: UdpSocket,
  action: Extract<SimClientAction, { kind: 'udp' }>,
  clock: ManualClock,
): Promise<{ text: string; rttMs: number } | undefined> {
  return new Promise((resolve, reject) => {
    const sentMs = clock.nowMs();
    const timer = clock.setTimer(sentMs + action.timeoutMs, () => resolve(undefined));
    socket.onMessage((data, from) => {
      if (from.address !== action.to.address || from.port !== action.to.port) return;
      timer.cancel();
      resolve({ text: decoder.decode(data), rttMs: clock.nowMs() - sentMs });
    });
    try {
      socket.send(encoder.encode(action.send), action.to);
    } catch (error) {
      timer.cancel();
      reject(error);
    }
  });
}

function label(action: SimClientAction): string {
  switch (action.kind) {
    case 'ping':
      return `ping ${action.to}`;
    case 'udp':
      return `udp ${endpointText(action.to)} ${JSON.stringify(action.send)}`;
  }
}

/** As the topology writes it: `10.0.0.2:7`, `[fd00::2]:7` (brackets around an IPv6 address). */
function endpointText({ address, port }: UdpEndpoint): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

function ms(value: number): string {
  return `${value.toFixed(1)} ms`;
}
