// Recursive mode: cache misses are resolved by iterating from the root down the hierarchy of
// zone cuts (RFC 1034 §5.3.3, RFC 1035 §7), asking each zone's servers without recursion,
// telling each only the next label of the name (QNAME minimisation, RFC 9156), believing each
// only about its own zone (classify-reply.ts, relevantAnswer), and bounding the work one
// question may cause. Queries go out through the stub client, which gives each a fresh random
// ID and source port (RFC 5452 §9.2) and checks that answers match them (§9.1).

import {
  type Clock,
  ClosedError,
  Counters,
  isOasisError,
  type Logger,
  OasisError,
  type Random,
  TimeoutError,
} from '@oasis/core';
import type { DnsClient } from '../../client/index.ts';
import { Rcode, RecordClass, RecordType } from '../../wire/constants.ts';
import type { DnsMessage, DnsQuestion, DnsRecord } from '../../wire/message.ts';
import type { DnsName } from '../../wire/name.ts';
import { relevantAnswer } from '../answer-chain.ts';
import type { ResolvedAnswer } from '../dns-cache.ts';
import type { Upstream } from '../upstream.ts';
import { unansweredTarget } from './chain-target.ts';
import {
  classifyReply,
  type FailureReason,
  type Referral,
  type ServerReply,
} from './classify-reply.ts';
import { DelegationCache, type NameServer, type ZoneCut } from './delegation-cache.ts';
import { nextMinimisedName } from './minimisation.ts';
import { ResolutionWork } from './resolution-work.ts';
import type { RootHint } from './root-hints.ts';
import { orderServers } from './server-order.ts';

export interface RecursiveOptions {
  /** Sends the queries (with RD clear); closed with the resolver. */
  readonly client: DnsClient;
  readonly rootHints: readonly RootHint[];
  readonly clock: Clock;
  /** Chooses among a zone's servers. */
  readonly random: Random;
  /** The port authorities listen on; default 53 (RFC 1035 §4.2). */
  readonly port?: number;
  /** QNAME minimisation (RFC 9156); default true. */
  readonly qnameMinimisation?: boolean;
  /** Zones (and as many server names) kept in the delegation cache, LRU; default 10,000. */
  readonly maxDelegationEntries?: number;
  /** Queries one client question may cause, lookups of server names included; default 64. */
  readonly maxQueriesPerResolution?: number;
  /** Ask servers over IPv6 too; default false. */
  readonly useIpv6?: boolean;
  readonly logger: Logger;
}

/** Why a query to one server was no use: the reply's fault, or the transport's. */
type AttemptFailure = FailureReason | 'timeout' | 'unreachable';

type UsefulReply = { readonly kind: 'answer'; readonly message: DnsMessage } | Referral;

const DEFAULT_PORT = 53;
const DEFAULT_MAX_DELEGATION_ENTRIES = 10_000;
const DEFAULT_MAX_QUERIES = 64;
/** Alias targets resolved anew per question, as Unbound's MAX_RESTART_COUNT. */
const MAX_RESTARTS = 11;
/**
 * Server-name lookups nested in one another (a server whose name is in a zone whose servers'
 * names must be looked up, and so on). Deeper chains are refused, like cycles.
 */
const MAX_LOOKUP_DEPTH = 4;

export class RecursiveResolver implements Upstream {
  readonly #client: DnsClient;
  readonly #random: Random;
  readonly #logger: Logger;
  readonly #port: number;
  readonly #minimise: boolean;
  readonly #maxQueries: number;
  readonly #useIpv6: boolean;
  readonly #delegations: DelegationCache;
  readonly #counters = new Counters();
  #closed = false;

  /** Throws RangeError for options out of range and for hints without a usable address. */
  constructor(options: RecursiveOptions) {
    this.#client = options.client;
    this.#random = options.random;
    this.#logger = options.logger;
    this.#port = options.port ?? DEFAULT_PORT;
    this.#minimise = options.qnameMinimisation ?? true;
    this.#maxQueries = options.maxQueriesPerResolution ?? DEFAULT_MAX_QUERIES;
    this.#useIpv6 = options.useIpv6 ?? false;
    if (!(Number.isInteger(this.#port) && this.#port >= 1 && this.#port <= 0xffff)) {
      throw new RangeError(`port must be an integer in 1-65535, got ${this.#port}`);
    }
    if (!(Number.isInteger(this.#maxQueries) && this.#maxQueries >= 1)) {
      throw new RangeError(
        `maxQueriesPerResolution must be a positive integer, got ${this.#maxQueries}`,
      );
    }
    if (!options.rootHints.some((hint) => this.#usable(hint.addresses).length > 0)) {
      throw new RangeError(
        `recursion needs a root server with an ${this.#useIpv6 ? 'IPv4 or IPv6' : 'IPv4'} address in the root hints`,
      );
    }
    this.#delegations = new DelegationCache(
      options.clock,
      options.rootHints,
      options.maxDelegationEntries ?? DEFAULT_MAX_DELEGATION_ENTRIES,
    );
  }

  /**
   * The answer to `question`, its records checked against the zone that gave them. Rejects with
   * ETIMEDOUT when no server of a zone on the way answered, EIO when they answered uselessly
   * (SERVFAIL, REFUSED, lame) or the question needed more than maxQueriesPerResolution queries
   * or an alias chain loops, ECLOSED once the resolver is closed.
   */
  async resolve(question: DnsQuestion): Promise<ResolvedAnswer> {
    if (this.#closed) throw new ClosedError('the recursive resolver');
    this.#counters.add('resolutions');
    const work = new ResolutionWork(this.#maxQueries);
    try {
      return await this.#resolveChain(question, work, 0);
    } catch (error) {
      this.#counters.add('failures');
      if (work.exhausted) this.#counters.add('query-limit');
      throw error;
    }
  }

  /**
   * Nonzero counters: `recursive.*` (resolutions, failures, queries sent, minimised,
   * referrals, glue-ignored, ns-lookups, lookup-refused, alias-restarts, alias-loop,
   * nxdomain-above, query-limit, and per failed query: timeout, unreachable, servfail, refused,
   * rcode, lame, bad-referral), `recursive.delegations.*` (zones, hosts, evictions), then the
   * client's as `client.*`.
   */
  counters(): Readonly<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const [key, value] of Object.entries(this.#counters.snapshot())) {
      counts[`recursive.${key}`] = value;
    }
    for (const [key, value] of Object.entries(this.#delegations.counters())) {
      if (value !== 0) counts[`recursive.${key}`] = value;
    }
    for (const [key, value] of Object.entries(this.#client.counters())) {
      counts[`client.${key}`] = value;
    }
    return counts;
  }

  /** Ends resolutions in progress (ECLOSED) and closes the client. */
  close(): Promise<void> {
    this.#closed = true;
    return this.#client.close();
  }

  /** Resolves `question`, and the targets of aliases whose servers did not answer for them. */
  async #resolveChain(
    question: DnsQuestion,
    work: ResolutionWork,
    depth: number,
  ): Promise<ResolvedAnswer> {
    const answers: DnsRecord[] = [];
    const seen = new Set([question.name.key]);
    let current = question;
    for (let restarts = 0; ; restarts++) {
      const found = await this.#iterate(current, work, depth);
      answers.push(...found.answers);
      const target = unansweredTarget(current, found);
      if (target === undefined) {
        return { rcode: found.rcode, answers, authorities: found.authorities };
      }
      if (restarts === MAX_RESTARTS || seen.has(target.key)) {
        this.#counters.add('alias-loop');
        throw new OasisError(
          'EIO',
          `the alias chain from ${question.name} loops or is longer than ${MAX_RESTARTS} steps`,
        );
      }
      seen.add(target.key);
      this.#counters.add('alias-restarts');
      // RFC 1034 §5.3.3 step 4c: the alias's target, from the closest cut known for it.
      current = { ...question, name: target };
    }
  }

  /** One name, from the closest known cut down to an answer (RFC 1034 §5.3.3, RFC 9156 §3). */
  async #iterate(
    question: DnsQuestion,
    work: ResolutionWork,
    depth: number,
  ): Promise<ResolvedAnswer> {
    // DS lives on the parent side of a cut (RFC 4035 §3.1.4.1): no referral to the name itself.
    const deepest =
      question.type === RecordType.DS ? (question.name.parent() ?? question.name) : question.name;
    let cut = this.#delegations.closest(deepest);
    // The deepest name known to be no cut, or the cut: RFC 9156 §3's CHILD before a step.
    let known = cut.zone;
    let minimised = 0;
    for (;;) {
      const name = this.#minimise
        ? nextMinimisedName(question.name, known, minimised)
        : question.name;
      const full = name.equals(question.name);
      // RFC 9156 §2.1: a minimised query asks QTYPE A (some servers answer NS queries badly;
      // A is what a stub would ask anyway and hides the real QTYPE until the last query).
      const asked = full ? question : { name, type: RecordType.A, class: question.class };
      if (!full) {
        minimised++;
        this.#counters.add('minimised');
      }
      const reply = await this.#ask(cut, asked, full ? deepest : name, work, depth);
      if (reply.kind === 'referral') {
        cut = this.#follow(reply);
        known = cut.zone;
        continue;
      }
      // RFC 1034 §5.3.3 step 4a: the answer, believed only about the zone asked.
      if (full) return relevantAnswer(question, reply.message, cut.zone);
      const partial = relevantAnswer(asked, reply.message, cut.zone);
      // RFC 8020 §2 and RFC 9156 §3: nothing exists below a name that does not exist.
      if (partial.rcode === Rcode.NXDOMAIN && partial.answers.length === 0) {
        this.#counters.add('nxdomain-above');
        return { rcode: Rcode.NXDOMAIN, answers: [], authorities: partial.authorities };
      }
      // An answer or NODATA: the name is an empty non-terminal or has data, but is no cut
      // (RFC 9156 §3); the next query adds labels to it.
      known = name;
    }
  }

  /**
   * Asks the zone's servers in turn until one gives an answer or a referral: RFC 1034 §5.3.3
   * steps 3 and 4d (a server that fails or says something bizarre is dropped from the list).
   */
  async #ask(
    cut: ZoneCut,
    asked: DnsQuestion,
    deepest: DnsName,
    work: ResolutionWork,
    depth: number,
  ): Promise<UsefulReply> {
    const tried = new Set<string>();
    const failures: AttemptFailure[] = [];
    for (const server of orderServers(cut.servers, this.#random)) {
      for (const address of await this.#addressesOf(server, work, depth)) {
        if (tried.has(address)) continue;
        tried.add(address);
        if (!work.spend()) {
          throw new OasisError(
            'EIO',
            `resolving needed more than ${work.limit} queries (at ${asked.name} in ${cut.zone})`,
          );
        }
        const reply = await this.#query(asked, address, cut.zone, deepest);
        if (reply.kind !== 'failure') return reply;
        failures.push(reply.reason);
      }
    }
    if (failures.length === 0) {
      throw new OasisError('EIO', `no server of ${cut.zone} has an address that can be reached`);
    }
    const summary = `no server of ${cut.zone} answered ${asked.name} (${failures.join(', ')})`;
    if (failures.every((reason) => reason === 'timeout')) throw new TimeoutError(summary);
    throw new OasisError('EIO', summary);
  }

  /** One query to one server, its reply classified; a failure is counted and logged. */
  async #query(
    asked: DnsQuestion,
    address: string,
    zone: DnsName,
    deepest: DnsName,
  ): Promise<UsefulReply | { readonly kind: 'failure'; readonly reason: AttemptFailure }> {
    this.#counters.add('queries');
    let reply: ServerReply | { readonly kind: 'failure'; readonly reason: AttemptFailure };
    try {
      // RD clear (RFC 1034 §4.3.1): the server is asked what it knows, not to recurse.
      const message = await this.#client.query(asked, {
        servers: [{ address, port: this.#port }],
        rd: false,
      });
      reply = classifyReply(message, zone, deepest);
    } catch (error) {
      // The client ends with ECLOSED when closed, which ends the resolution; other codes are
      // about this server.
      if (!isOasisError(error) || error.code === 'ECLOSED' || error.code === 'EABORTED') {
        throw error;
      }
      reply = { kind: 'failure', reason: error.code === 'ETIMEDOUT' ? 'timeout' : 'unreachable' };
    }
    if (reply.kind === 'failure') {
      this.#counters.add(reply.reason);
      this.#logger.debug('name server failed', {
        server: address,
        zone: zone.toString(),
        name: asked.name.toString(),
        reason: reply.reason,
      });
    }
    return reply;
  }

  /** RFC 1034 §5.3.3 step 4b: remembers the delegation and its glue, and goes on with it. */
  #follow(referral: Referral): ZoneCut {
    this.#counters.add('referrals');
    if (referral.ignoredGlue > 0) this.#counters.add('glue-ignored', referral.ignoredGlue);
    this.#delegations.storeZone(referral.zone, referral.servers, referral.ttl);
    for (const glue of referral.glue) {
      this.#delegations.storeAddresses(glue.host, glue.addresses, glue.ttl);
    }
    const servers: NameServer[] = referral.servers.map((name) => ({
      name,
      addresses:
        referral.glue.find((glue) => glue.host.equals(name))?.addresses ??
        this.#delegations.addresses(name) ??
        [],
    }));
    return { zone: referral.zone, servers };
  }

  /**
   * The addresses to ask a server at: known ones, or those a lookup of its name finds (a name
   * server outside the zone that delegates to it, whose glue was not believed or not given).
   * Empty when the lookup fails, would loop (the name is being looked up already for this
   * question: RFC 1034 §5.3.3 asks resolvers to guard against such loops), or nests too deep.
   */
  async #addressesOf(
    server: NameServer,
    work: ResolutionWork,
    depth: number,
  ): Promise<readonly string[]> {
    const known = this.#usable(
      server.addresses.length > 0
        ? server.addresses
        : (this.#delegations.addresses(server.name) ?? []),
    );
    if (known.length > 0) return known;
    const key = server.name.key;
    if (depth >= MAX_LOOKUP_DEPTH || !work.enter(key)) {
      this.#counters.add('lookup-refused');
      return [];
    }
    this.#counters.add('ns-lookups');
    try {
      for (const type of this.#useIpv6 ? [RecordType.A, RecordType.AAAA] : [RecordType.A]) {
        const question = { name: server.name, type, class: RecordClass.IN };
        const found = await this.#resolveChain(question, work, depth + 1);
        const records = found.answers.filter((record) => record.type === type);
        const addresses = records.flatMap((record) =>
          record.data.kind === 'A' || record.data.kind === 'AAAA' ? [record.data.address] : [],
        );
        if (addresses.length === 0) continue;
        const ttl = Math.min(...records.map((record) => record.ttl));
        this.#delegations.storeAddresses(server.name, addresses, ttl);
        return addresses;
      }
      return [];
    } catch (error) {
      if (!isOasisError(error) || error.code === 'ECLOSED' || error.code === 'EABORTED') {
        throw error;
      }
      // A spent budget ends the whole question at once.
      if (work.exhausted) throw error;
      this.#logger.debug('name server lookup failed', { server: server.name.toString(), error });
      return [];
    } finally {
      work.leave(key);
    }
  }

  /** The addresses this resolver can send to: IPv4 only unless useIpv6. */
  #usable(addresses: readonly string[]): readonly string[] {
    return this.#useIpv6 ? addresses : addresses.filter((address) => !address.includes(':'));
  }
}
