// A stub (forwarding) DNS client over the Stack contract, so it runs on host sockets, the direct
// stack and the simulator alike. A query goes over UDP from a fresh ephemeral port under a random
// ID (RFC 5452 §9.2), falls back to TCP when the answer is truncated (RFC 7766 §5), retries a
// server without EDNS when it does not understand it (RFC 6891 §7), and tries the servers in
// order, `attempts` rounds over the list, each attempt bounded by `timeoutMs`. TCP connections
// are kept per server, shared and pipelined (RFC 7766 §6.2.1).

import {
  AbortError,
  type Clock,
  ClosedError,
  Counters,
  type Logger,
  OasisError,
  type Random,
  type Sleep,
  TimeoutError,
} from '@oasis/core';
import type { TcpStack, UdpStack } from '@oasis/runtime';
import { Rcode } from '../wire/constants.ts';
import { defaultEdns } from '../wire/edns.ts';
import {
  type DnsMessage,
  type DnsQuestion,
  decodeMessage,
  encodeMessage,
  makeQuery,
} from '../wire/message.ts';
import { isAnswerTo } from './answer-match.ts';
import { type AttemptLimits, type AttemptOutcome, runAttempt } from './attempt.ts';
import { randomQueryId, withQueryId } from './query-id.ts';
import {
  bindOptionsFor,
  checkServer,
  type DnsServerAddress,
  isFromServer,
  serverKey,
} from './server-address.ts';
import { asOasisError } from './stack-error.ts';
import { DnsTcpConnection } from './tcp-connection.ts';

export interface DnsClientOptions {
  readonly udp: UdpStack;
  readonly tcp: TcpStack;
  /**
   * Tried in this order, every query starting from the first (as a stub resolver does without
   * `options rotate`): the first is the preferred server, the others are there for when it fails.
   * May be empty when every query names its own servers.
   */
  readonly servers: readonly DnsServerAddress[];
  readonly clock: Clock;
  readonly sleep: Sleep;
  readonly random: Random;
  /** How long one attempt (one server, one transport) waits for its answer; default 1500. */
  readonly timeoutMs?: number;
  /** Rounds over the server list; default 2. */
  readonly attempts?: number;
  /**
   * The UDP payload size offered with EDNS (RFC 6891 §6.2.5); default 1232, the size DNS flag
   * day 2020 settled on to avoid IP fragmentation. 0 sends queries without EDNS.
   */
  readonly udpPayloadSize?: number;
  /** How long an idle TCP connection to a server stays open for reuse; default 10_000. */
  readonly tcpIdleMs?: number;
  readonly logger?: Logger;
}

export interface QueryOptions {
  /** Recursion desired (RFC 1035 §4.1.1); default true, as a stub asks its resolver to recurse. */
  readonly rd?: boolean;
  /** Checking disabled (RFC 4035 §3.2.2). */
  readonly cd?: boolean;
  /** DNSSEC OK (RFC 3225): needs EDNS, so a client with udpPayloadSize 0 refuses it. */
  readonly dnssecOk?: boolean;
  /** These servers instead of the client's (a recursive resolver asks one authority). */
  readonly servers?: readonly DnsServerAddress[];
  /** Straight to TCP (known-large answers); only the first message of an answer is returned. */
  readonly tcp?: boolean;
  /** Aborting rejects the query with AbortError (EABORTED) and releases its sockets. */
  readonly signal?: AbortSignal;
}

const DEFAULT_TIMEOUT_MS = 1500;
const DEFAULT_ATTEMPTS = 2;
const DEFAULT_UDP_PAYLOAD_SIZE = 1232;
const DEFAULT_TCP_IDLE_MS = 10_000;
/** RFC 6891 §6.2.5: a size under 512 means 512, so asking for one is taken as a mistake. */
const MIN_UDP_PAYLOAD_SIZE = 512;

/** One query's settings, fixed when it starts. */
interface QueryPlan {
  readonly question: DnsQuestion;
  readonly options: QueryOptions;
  /** Servers that answered FORMERR or NOTIMP to EDNS in this query (RFC 6891 §7). */
  readonly withoutEdns: Set<string>;
}

export class DnsClient {
  readonly #udp: UdpStack;
  readonly #tcp: TcpStack;
  readonly #servers: readonly DnsServerAddress[];
  readonly #clock: Clock;
  readonly #sleep: Sleep;
  readonly #random: Random;
  readonly #timeoutMs: number;
  readonly #attempts: number;
  readonly #udpPayloadSize: number;
  readonly #tcpIdleMs: number;
  readonly #logger: Logger | undefined;
  readonly #counters = new Counters();
  readonly #connections = new Map<string, DnsTcpConnection>();
  readonly #closed = new AbortController();
  #closing: Promise<void> | undefined;

  /** Throws RangeError for option values out of range. */
  constructor(options: DnsClientOptions) {
    this.#udp = options.udp;
    this.#tcp = options.tcp;
    this.#clock = options.clock;
    this.#sleep = options.sleep;
    this.#random = options.random;
    this.#logger = options.logger;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#attempts = options.attempts ?? DEFAULT_ATTEMPTS;
    this.#udpPayloadSize = options.udpPayloadSize ?? DEFAULT_UDP_PAYLOAD_SIZE;
    this.#tcpIdleMs = options.tcpIdleMs ?? DEFAULT_TCP_IDLE_MS;
    if (!(this.#timeoutMs > 0)) {
      throw new RangeError(`timeoutMs must be positive, got ${this.#timeoutMs}`);
    }
    if (!(Number.isInteger(this.#attempts) && this.#attempts >= 1)) {
      throw new RangeError(`attempts must be an integer of at least 1, got ${this.#attempts}`);
    }
    const size = this.#udpPayloadSize;
    if (
      !(size === 0 || (Number.isInteger(size) && size >= MIN_UDP_PAYLOAD_SIZE && size <= 0xffff))
    ) {
      throw new RangeError(`udpPayloadSize must be 0 (no EDNS) or 512-65535, got ${size}`);
    }
    if (!(this.#tcpIdleMs >= 0)) {
      throw new RangeError(`tcpIdleMs must not be negative, got ${this.#tcpIdleMs}`);
    }
    options.servers.forEach(checkServer);
    this.#servers = options.servers;
  }

  /**
   * The answer message, whatever its RCODE: the caller decides what NXDOMAIN or SERVFAIL means.
   * Rejects with OasisError: ETIMEDOUT when no attempt got an answer (and they did not all fail
   * the same way), ECONNREFUSED when every attempt was refused (only TCP can tell: the UdpSocket
   * contract does not report ICMP port unreachable, so a refusing UDP server times out), another
   * code when every attempt failed with it (ENETUNREACH), EABORTED when `signal` aborts,
   * ECLOSED after `close`. Throws TypeError (as a rejection) for a query it cannot send: no
   * servers, or dnssecOk without EDNS.
   */
  async query(question: DnsQuestion, options: QueryOptions = {}): Promise<DnsMessage> {
    if (this.#closed.signal.aborted) throw new ClosedError('the DNS client');
    const servers = options.servers ?? this.#servers;
    if (servers.length === 0) {
      throw new TypeError('no DNS servers: give `servers` to the client or to the query');
    }
    options.servers?.forEach(checkServer);
    if (options.dnssecOk === true && this.#udpPayloadSize === 0) {
      throw new TypeError('dnssecOk needs EDNS (RFC 3225 §3): set udpPayloadSize above 0');
    }
    if (options.signal?.aborted) throw new AbortError('the DNS query was aborted');
    this.#counters.add('queries');
    const plan: QueryPlan = { question, options, withoutEdns: new Set() };
    const failures: OasisError[] = [];
    for (let round = 0; round < this.#attempts; round++) {
      for (const server of servers) {
        if (failures.length > 0) this.#counters.add('retries');
        const outcome = await this.#ask(plan, server);
        if (outcome.kind === 'answer') return outcome.message;
        failures.push(outcome.error);
      }
    }
    throw queryFailure(failures);
  }

  /**
   * Every nonzero counter, keys sorted: queries, udp and tcp (exchanges over each), retries
   * (attempts after a query's first), timeouts, refused, errors (other failed attempts),
   * truncated (UDP answers with TC), edns-fallback, mismatched (answers dropped as not ours),
   * undecodable, tcp-connections (opened), tcp-reconnects, tcp-idle-closes.
   */
  counters(): Readonly<Record<string, number>> {
    return this.#counters.snapshot();
  }

  /** Ends every query (ECLOSED) and closes the TCP connections. Later queries reject ECLOSED. */
  close(): Promise<void> {
    this.#closed.abort();
    this.#closing ??= Promise.all(
      [...this.#connections.values()].map((connection) => connection.close()),
    ).then(() => undefined);
    return this.#closing;
  }

  /** One attempt at one server: UDP (or TCP), TCP again on TC, then once more without EDNS. */
  async #ask(plan: QueryPlan, server: DnsServerAddress): Promise<AttemptOutcome> {
    const key = serverKey(server);
    const edns = this.#udpPayloadSize > 0 && !plan.withoutEdns.has(key);
    let outcome = await this.#exchange(plan, server, edns);
    // RFC 6891 §7: a server that answers FORMERR or NOTIMP without an OPT record does not
    // implement EDNS; ask it again without. A server that does includes OPT in its answer, and
    // then the error is about something else.
    if (edns && outcome.kind === 'answer' && refusesEdns(outcome.message)) {
      this.#counters.add('edns-fallback');
      plan.withoutEdns.add(key);
      outcome = await this.#exchange(plan, server, false);
    }
    if (outcome.kind === 'failed') {
      const { code } = outcome.error;
      this.#counters.add(
        code === 'ETIMEDOUT' ? 'timeouts' : code === 'ECONNREFUSED' ? 'refused' : 'errors',
      );
      this.#logger?.debug('DNS attempt failed', { server: key, error: outcome.error });
    }
    return outcome;
  }

  async #exchange(
    plan: QueryPlan,
    server: DnsServerAddress,
    edns: boolean,
  ): Promise<AttemptOutcome> {
    const { question, options } = plan;
    const query = encodeMessage(
      makeQuery(0, question, {
        rd: options.rd ?? true,
        cd: options.cd ?? false,
        ...(edns
          ? { edns: { ...defaultEdns(this.#udpPayloadSize), dnssecOk: options.dnssecOk ?? false } }
          : {}),
      }),
    );
    if (options.tcp !== true) {
      const outcome = await this.#overUdp(plan, server, query);
      // RFC 1035 §4.2.2 and RFC 7766 §5: a truncated answer is asked again over TCP.
      if (outcome.kind !== 'answer' || !outcome.message.tc) return outcome;
      this.#counters.add('truncated');
    }
    return this.#overTcp(plan, server, query);
  }

  #limits(plan: QueryPlan): AttemptLimits {
    return {
      sleep: this.#sleep,
      deadlineMs: this.#clock.nowMs() + this.#timeoutMs,
      signal: plan.options.signal,
      closed: this.#closed.signal,
    };
  }

  async #overUdp(
    plan: QueryPlan,
    server: DnsServerAddress,
    query: Uint8Array,
  ): Promise<AttemptOutcome> {
    this.#counters.add('udp');
    const limits = this.#limits(plan);
    let socket: Awaited<ReturnType<UdpStack['bind']>>;
    try {
      // RFC 5452 §9.2 and RFC 6056: a fresh socket on a random ephemeral port for each query.
      socket = await this.#udp.bind(bindOptionsFor(server));
    } catch (error) {
      return { kind: 'failed', error: asOasisError(error) };
    }
    const id = randomQueryId(this.#random);
    try {
      return await runAttempt(limits, (settle) => {
        socket.onMessage((data, from) => {
          // RFC 5452 §9.1: only the server's address and port, the query's ID and question.
          if (!isFromServer(from, server)) {
            this.#counters.add('mismatched');
            return;
          }
          const decoded = decodeMessage(data);
          if (!decoded.ok) {
            this.#counters.add('undecodable');
            return;
          }
          if (!isAnswerTo(decoded.value, id, plan.question)) {
            this.#counters.add('mismatched');
            return;
          }
          settle({ kind: 'answer', message: decoded.value });
        });
        try {
          socket.send(withQueryId(query, id), server);
        } catch (error) {
          settle({ kind: 'failed', error: asOasisError(error) });
        }
      });
    } finally {
      socket.close().catch(() => {});
    }
  }

  async #overTcp(
    plan: QueryPlan,
    server: DnsServerAddress,
    query: Uint8Array,
  ): Promise<AttemptOutcome> {
    this.#counters.add('tcp');
    const limits = this.#limits(plan);
    const first = await this.#onConnection(limits, plan, server, query);
    if (first.outcome.kind === 'answer' || !first.reused) return first.outcome;
    // RFC 7766 §6.2.4: a server may close a connection it holds idle just as a query goes out
    // on it; retry unanswered queries, here once, on a new connection, within the same deadline.
    if (first.outcome.error.code !== 'ECONNRESET') return first.outcome;
    this.#counters.add('tcp-reconnects');
    return (await this.#onConnection(limits, plan, server, query)).outcome;
  }

  async #onConnection(
    limits: AttemptLimits,
    plan: QueryPlan,
    server: DnsServerAddress,
    query: Uint8Array,
  ): Promise<{ readonly outcome: AttemptOutcome; readonly reused: boolean }> {
    if (this.#closed.signal.aborted) throw new ClosedError('the DNS client');
    const connection = this.#connectionTo(server);
    const reused = connection.queriesSent > 0;
    let withdraw: (() => void) | undefined;
    try {
      const outcome = await runAttempt(limits, (settle) => {
        withdraw = connection.send(query, plan.question, settle);
      });
      return { outcome, reused };
    } finally {
      withdraw?.();
    }
  }

  /** The open connection to `server`, or a new one (RFC 7766 §6.2.2: one per server). */
  #connectionTo(server: DnsServerAddress): DnsTcpConnection {
    const key = serverKey(server);
    const open = this.#connections.get(key);
    if (open !== undefined && !open.ended) return open;
    const connection = new DnsTcpConnection({
      tcp: this.#tcp,
      server,
      clock: this.#clock,
      sleep: this.#sleep,
      random: this.#random,
      idleMs: this.#tcpIdleMs,
      connectTimeoutMs: this.#timeoutMs,
      counters: this.#counters,
      logger: this.#logger,
      onEnd: (ended) => {
        if (this.#connections.get(key) === ended) this.#connections.delete(key);
      },
    });
    this.#connections.set(key, connection);
    return connection;
  }
}

function refusesEdns(answer: DnsMessage): boolean {
  return (
    (answer.rcode === Rcode.FORMERR || answer.rcode === Rcode.NOTIMP) && answer.edns === undefined
  );
}

/** Every attempt failed: their common code if they share one, ETIMEDOUT otherwise. */
function queryFailure(failures: readonly OasisError[]): OasisError {
  const last = failures[failures.length - 1]!;
  const shared = failures.every((failure) => failure.code === last.code);
  const summary = `no answer after ${failures.length} attempts`;
  if (shared && last.code !== 'ETIMEDOUT') {
    return new OasisError(last.code, `${summary}: ${last.message}`, { cause: last });
  }
  return new TimeoutError(summary, { cause: last });
}
