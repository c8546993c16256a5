// Connecting to a host by name, the same on every stack: Happy Eyeballs version 2 (RFC 8305).
// A name with addresses of both families is tried on both, IPv6 first, so that a broken IPv6
// path costs a quarter of a second instead of a TCP connect timeout:
//
// - §3: AAAA and A are asked at once, AAAA first. An AAAA answer starts the first attempt at
//   once; an A answer that comes first waits the Resolution Delay (50 ms) for AAAA. Addresses
//   that arrive while attempts are running join the candidates.
// - §4: the candidates alternate between the families, starting with IPv6 (the RFC 6724 default
//   policy ranks native IPv6 above IPv4), one address of a family at a time (a First Address
//   Family Count of 1); within a family they keep the answer's order.
// - §5: one attempt is started, then the next after the Connection Attempt Delay (250 ms) while
//   none has succeeded; earlier attempts keep running. An attempt that fails frees its turn: the
//   next starts at once, but never within 10 ms of the one before. The first connection
//   established wins; the other attempts are aborted and the lookups abandoned.
//
// An address literal is connected to directly, as it is.

import { AbortError, type Clock, OasisError, type Sleep, type Timer } from '@oasis/core';
import type { NameLookup } from './name-lookup.ts';
import type { Flow, TcpConnectOptions, TcpEndpoint, TcpStack } from './tcp.ts';

/** Where `Stack.connect` goes: a host name or an address literal, and a port. */
export interface HostEndpoint {
  readonly host: string;
  readonly port: number;
}

export interface HostConnectOptions extends TcpConnectOptions {
  /**
   * How long an attempt runs alone before the next address is tried beside it (RFC 8305 §5
   * Connection Attempt Delay): 10 to 2000, default 250.
   */
  readonly attemptDelayMs?: number;
}

/** What a stack lends the race: its TCP, its name lookup and its time. */
export interface HostConnector {
  readonly tcp: TcpStack;
  readonly lookup: NameLookup;
  readonly clock: Clock;
  readonly sleep: Sleep;
}

/** RFC 8305 §3: how long an A answer waits for the AAAA answer. */
export const RESOLUTION_DELAY_MS = 50;
/** RFC 8305 §5: the recommended Connection Attempt Delay. */
export const DEFAULT_ATTEMPT_DELAY_MS = 250;
/** RFC 8305 §5: attempts MUST NOT start within 10 ms of each other. */
export const MIN_ATTEMPT_SPACING_MS = 10;
/** RFC 8305 §5: the recommended Maximum Connection Attempt Delay. */
export const MAX_ATTEMPT_DELAY_MS = 2000;

type Family = 4 | 6;

/**
 * Opens a TCP connection to `to.host`, a name or an address literal. Rejects with ENOTFOUND
 * when the name has no address (of the local address's family, when one is given), with the
 * lookup's error when the lookups failed and found nothing, with the last attempt's code when
 * every address failed (the message lists each), and with EABORTED when `options.signal` aborts.
 */
export function connectToHost(
  connector: HostConnector,
  to: HostEndpoint,
  options: HostConnectOptions = {},
): Promise<Flow> {
  const attemptDelayMs = options.attemptDelayMs ?? DEFAULT_ATTEMPT_DELAY_MS;
  if (!(attemptDelayMs >= MIN_ATTEMPT_SPACING_MS && attemptDelayMs <= MAX_ATTEMPT_DELAY_MS)) {
    throw new RangeError(
      `attemptDelayMs must be from ${MIN_ATTEMPT_SPACING_MS} to ${MAX_ATTEMPT_DELAY_MS} (RFC 8305 §5), got ${attemptDelayMs}`,
    );
  }
  const { attemptDelayMs: _delay, ...connectOptions } = options;
  if (!(Number.isInteger(to.port) && to.port >= 1 && to.port <= 65535)) {
    return Promise.reject(new OasisError('EINVAL', `port ${to.port} is not from 1 to 65535`));
  }
  if (isAddressLiteral(to.host)) {
    return connector.tcp.connect({ address: to.host, port: to.port }, connectOptions);
  }
  return new HostRace(connector, to, connectOptions, attemptDelayMs).settled;
}

/**
 * IPv6 text has colons, which a host name never has; an IPv4 dotted quad is all digits and
 * dots, which a host name is not (its top label is not all-numeric, RFC 1123 §2.1).
 */
function isAddressLiteral(host: string): boolean {
  return host.includes(':') || /^[0-9.]+$/.test(host);
}

class HostRace {
  readonly settled: Promise<Flow>;
  readonly #connector: HostConnector;
  readonly #to: HostEndpoint;
  readonly #options: TcpConnectOptions;
  readonly #attemptDelayMs: number;
  /** Addresses not yet tried, by family. */
  readonly #candidates: Record<Family, string[]> = { 4: [], 6: [] };
  readonly #lookupPending: Record<Family, boolean> = { 4: false, 6: false };
  /** The family of the next attempt, while both have candidates (§4 interleaving). */
  #nextFamily: Family = 6;
  readonly #lookups = new AbortController();
  readonly #attempts = new Set<AbortController>();
  #attemptsStarted = 0;
  #lastStartMs = Number.NEGATIVE_INFINITY;
  /** The next attempt's start (Connection Attempt or Resolution Delay), when one is waited for. */
  #timer: Timer | undefined;
  readonly #failures: string[] = [];
  #lastFailure: unknown;
  #lookupError: unknown;
  #done = false;
  #resolve!: (flow: Flow) => void;
  #reject!: (error: unknown) => void;
  readonly #onAbort = (): void => this.#finish(new AbortError());

  constructor(
    connector: HostConnector,
    to: HostEndpoint,
    options: TcpConnectOptions,
    attemptDelayMs: number,
  ) {
    this.#connector = connector;
    this.#to = to;
    this.#options = options;
    this.#attemptDelayMs = attemptDelayMs;
    this.settled = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    const { signal, localAddress } = options;
    if (signal?.aborted) {
      this.#finish(new AbortError());
      return;
    }
    signal?.addEventListener('abort', this.#onAbort, { once: true });
    // A local address fixes the family: only that family's addresses can be reached from it.
    const families: Family[] =
      localAddress === undefined ? [6, 4] : [isIpv6Text(localAddress) ? 6 : 4];
    for (const family of families) this.#lookupPending[family] = true;
    for (const family of families) this.#lookUp(family);
  }

  #lookUp(family: Family): void {
    new Promise<readonly string[]>((resolve) =>
      resolve(this.#connector.lookup(this.#to.host, family, this.#lookups.signal)),
    ).then(
      (addresses) => this.#answered(family, addresses),
      (error: unknown) => {
        this.#lookupError ??= error;
        this.#answered(family, []);
      },
    );
  }

  #answered(family: Family, addresses: readonly string[]): void {
    if (this.#done) return;
    this.#lookupPending[family] = false;
    const known = this.#candidates[family];
    for (const address of addresses) if (!known.includes(address)) known.push(address);
    if (this.#attemptsStarted === 0 && family === 4 && this.#lookupPending[6]) {
      // §3: an A answer that comes first waits a little for the AAAA answer.
      if (known.length > 0)
        this.#timer ??= this.#at(this.#connector.clock.nowMs() + RESOLUTION_DELAY_MS);
      return;
    }
    // §3: late addresses join the race; without a timer running, the race was waiting for them.
    if (this.#attemptsStarted === 0 || this.#timer === undefined) this.#startNext();
  }

  /** Starts an attempt on the next candidate, or ends the race when none is left to wait for. */
  #startNext(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
    if (this.#done) return;
    const address = this.#takeCandidate();
    if (address === undefined) {
      const waiting = this.#attempts.size > 0 || this.#lookupPending[4] || this.#lookupPending[6];
      // Before the first attempt, an A answer may still wait for AAAA: keep waiting for it.
      if (!waiting) this.#finish(this.#failure());
      return;
    }
    const attempt = new AbortController();
    this.#attempts.add(attempt);
    this.#attemptsStarted++;
    this.#lastStartMs = this.#connector.clock.nowMs();
    this.#timer = this.#at(this.#lastStartMs + this.#attemptDelayMs);
    const endpoint: TcpEndpoint = { address, port: this.#to.port };
    new Promise<Flow>((resolve) =>
      resolve(this.#connector.tcp.connect(endpoint, { ...this.#options, signal: attempt.signal })),
    ).then(
      (flow) => {
        this.#attempts.delete(attempt);
        if (this.#done) flow.abort();
        else this.#finish(undefined, flow);
      },
      (error: unknown) => {
        this.#attempts.delete(attempt);
        if (this.#done) return;
        this.#failures.push(`${formatEndpoint(endpoint)} ${describeError(error)}`);
        this.#lastFailure = error;
        // A failed attempt frees its turn (§5), still 10 ms after the last start at the soonest.
        this.#timer?.cancel();
        this.#timer = this.#at(
          Math.max(this.#connector.clock.nowMs(), this.#lastStartMs + MIN_ATTEMPT_SPACING_MS),
        );
      },
    );
  }

  /** §4: alternate the families, IPv6 first; a family without candidates yields its turn. */
  #takeCandidate(): string | undefined {
    const first = this.#nextFamily;
    const second: Family = first === 6 ? 4 : 6;
    const family = this.#candidates[first].length > 0 ? first : second;
    const address = this.#candidates[family].shift();
    if (address !== undefined) this.#nextFamily = family === 6 ? 4 : 6;
    return address;
  }

  #at(deadlineMs: number): Timer {
    return this.#connector.sleep.setTimer(deadlineMs, () => this.#startNext());
  }

  /** Why the race was lost, once nothing is left to try or wait for. */
  #failure(): unknown {
    const { host, port } = this.#to;
    if (this.#failures.length === 0) {
      if (this.#lookupError !== undefined) return this.#lookupError;
      const which =
        this.#options.localAddress === undefined
          ? 'no address'
          : `no ${isIpv6Text(this.#options.localAddress) ? 'IPv6' : 'IPv4'} address`;
      return new OasisError('ENOTFOUND', `${host} has ${which}`);
    }
    const last = this.#lastFailure;
    const code = last instanceof OasisError ? last.code : 'EIO';
    return new OasisError(
      code,
      `cannot connect to ${host} port ${port}: ${this.#failures.join('; ')}`,
      { cause: last },
    );
  }

  #finish(error: unknown, flow?: Flow): void {
    if (this.#done) return;
    this.#done = true;
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#options.signal?.removeEventListener('abort', this.#onAbort);
    // §5: once a connection is established, the other attempts and the lookups are abandoned.
    this.#lookups.abort();
    for (const attempt of this.#attempts) attempt.abort();
    this.#attempts.clear();
    if (flow !== undefined) this.#resolve(flow);
    else this.#reject(error);
  }
}

function isIpv6Text(address: string): boolean {
  return address.includes(':');
}

function formatEndpoint({ address, port }: TcpEndpoint): string {
  return isIpv6Text(address) ? `[${address}]:${port}` : `${address}:${port}`;
}

function describeError(error: unknown): string {
  if (error instanceof OasisError) return error.code;
  return error instanceof Error ? error.message : String(error);
}
