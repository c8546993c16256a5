// From received bytes to the bytes to send back, the same for UDP and TCP: decode, refuse what
// RFC 1035, RFC 6891 and RFC 9619 forbid with an error answer, ask the handler, and encode its
// answer within the transport's size limit. Synchronous answers stay synchronous: only a handler
// that returns a promise costs one.

import type { Counters, Logger } from '@oasis/core';
import { Opcode, Rcode } from '../wire/constants.ts';
import type { DnsWireError } from '../wire/dns-wire-error.ts';
import type { DnsWriter } from '../wire/dns-writer.ts';
import {
  type DnsMessage,
  decodeMessage,
  type Edns,
  encodeMessage,
  peekHeader,
} from '../wire/message.ts';
import { TCP_ANSWER_LIMIT, udpAnswerLimit } from './answer-limit.ts';
import { errorAnswer, formatErrorForHeader } from './error-answers.ts';
import type { DnsAnswer, DnsQueryHandler, QueryContext } from './query-handler.ts';

export type DnsClient = QueryContext['client'];

/**
 * One encoded answer; over TCP possibly several, encoded one by one as they are iterated (so a
 * zone transfer is encoded no faster than it is written); undefined for no answer.
 */
export type EncodedReply = Uint8Array | Iterable<Uint8Array> | undefined;

/** Where a transport takes the replies. */
export interface ReplySink {
  /**
   * Called exactly once for each message given to `receive`, at once or (for a handler that
   * returns a promise) later. Must not throw.
   */
  deliver(reply: EncodedReply, client: DnsClient): void;
}

export interface DnsResponderOptions {
  readonly transport: 'udp' | 'tcp';
  readonly handler: DnsQueryHandler;
  readonly counters: Counters;
  readonly logger: Logger;
  /** Shared by every answer: encoding is synchronous, and `encodeMessage` copies the result out. */
  readonly writer: DnsWriter;
  readonly maxUdpPayload: number;
}

export class DnsResponder {
  readonly #transport: 'udp' | 'tcp';
  readonly #handler: DnsQueryHandler;
  readonly #counters: Counters;
  readonly #logger: Logger;
  readonly #writer: DnsWriter;
  readonly #maxUdpPayload: number;
  readonly #receivedKey: string;

  constructor(options: DnsResponderOptions) {
    this.#transport = options.transport;
    this.#handler = options.handler;
    this.#counters = options.counters;
    this.#logger = options.logger;
    this.#writer = options.writer;
    this.#maxUdpPayload = options.maxUdpPayload;
    this.#receivedKey = `queries.${options.transport}`;
  }

  /** Handles one received message (`bytes` is kept only until the handler is called). */
  receive(bytes: Uint8Array, client: DnsClient, sink: ReplySink): void {
    this.#counters.add(this.#receivedKey);
    const decoded = decodeMessage(bytes);
    if (!decoded.ok) {
      sink.deliver(this.#undecodable(bytes, decoded.error), client);
      return;
    }
    const query = decoded.value;
    // Never answer an answer: two servers would echo each other forever (RFC 1035 §4.1.1, QR).
    if (query.qr) {
      this.#counters.add('dropped.response');
      sink.deliver(undefined, client);
      return;
    }
    const limit = this.#limit(query.edns);
    // RFC 9619 §3: a QUERY with a QDCOUNT other than 1 is answered FORMERR.
    if (query.opcode === Opcode.QUERY && query.questions.length !== 1) {
      this.#counters.add('formerr');
      sink.deliver(
        this.#encode(errorAnswer(query, Rcode.FORMERR, this.#maxUdpPayload), limit),
        client,
      );
      return;
    }
    // RFC 6891 §6.1.3: an EDNS version we do not implement gets BADVERS and our version, 0.
    if (query.edns !== undefined && query.edns.version > 0) {
      this.#counters.add('badvers');
      sink.deliver(
        this.#encode(errorAnswer(query, Rcode.BADVERS, this.#maxUdpPayload), limit),
        client,
      );
      return;
    }
    const context: QueryContext = { transport: this.#transport, client, maxAnswerLength: limit };
    let answer: DnsAnswer | Promise<DnsAnswer>;
    try {
      answer = this.#handler(query, context);
    } catch (error) {
      sink.deliver(this.#failed(query, context, error), client);
      return;
    }
    if (isPromise(answer)) {
      answer.then(
        (settled) => sink.deliver(this.#reply(settled, query, context), client),
        (error: unknown) => sink.deliver(this.#failed(query, context, error), client),
      );
      return;
    }
    sink.deliver(this.#reply(answer, query, context), client);
  }

  #limit(edns: Edns | undefined): number {
    return this.#transport === 'tcp' ? TCP_ANSWER_LIMIT : udpAnswerLimit(edns, this.#maxUdpPayload);
  }

  #undecodable(bytes: Uint8Array, error: DnsWireError): Uint8Array | undefined {
    const header = peekHeader(bytes);
    // Without a whole header there is no ID to answer to.
    if (header === undefined) {
      this.#counters.add('dropped.short');
      return undefined;
    }
    this.#counters.add(error.key);
    if (header.qr) {
      this.#counters.add('dropped.response');
      return undefined;
    }
    this.#counters.add('formerr');
    return this.#encode(formatErrorForHeader(header), this.#limit(undefined));
  }

  #reply(answer: DnsAnswer, query: DnsMessage, context: QueryContext): EncodedReply {
    if (answer === undefined || (isMessageList(answer) && answer.length === 0)) {
      this.#counters.add('dropped.no-answer');
      return undefined;
    }
    if (!isMessageList(answer)) return this.#encodeAnswer(answer, query, context);
    if (answer.length === 1) return this.#encodeAnswer(answer[0]!, query, context);
    if (this.#transport === 'udp') {
      const misuse = new TypeError(
        `a handler answers a UDP query with one message, not ${answer.length}`,
      );
      return this.#failed(query, context, misuse);
    }
    return this.#encodeEach(answer, query, context);
  }

  *#encodeEach(
    answers: readonly DnsMessage[],
    query: DnsMessage,
    context: QueryContext,
  ): Generator<Uint8Array, void, undefined> {
    for (const answer of answers) {
      const bytes = this.#tryEncode(answer, query, context);
      if (bytes === undefined) {
        yield this.#servfail(query, context);
        return;
      }
      yield bytes;
    }
  }

  #encodeAnswer(answer: DnsMessage, query: DnsMessage, context: QueryContext): Uint8Array {
    return this.#tryEncode(answer, query, context) ?? this.#servfail(query, context);
  }

  /** The handler's answer in wire form; undefined (counted and logged) when it cannot be encoded. */
  #tryEncode(answer: DnsMessage, query: DnsMessage, context: QueryContext): Uint8Array | undefined {
    // RFC 6891 §7: no OPT record in an answer to a query without one.
    const outgoing =
      query.edns === undefined && answer.edns !== undefined ? withoutEdns(answer) : answer;
    try {
      return this.#encode(outgoing, context.maxAnswerLength);
    } catch (error) {
      this.#handlerError(query, context, error);
      return undefined;
    }
  }

  #failed(query: DnsMessage, context: QueryContext, error: unknown): Uint8Array {
    this.#handlerError(query, context, error);
    return this.#servfail(query, context);
  }

  #handlerError(query: DnsMessage, context: QueryContext, error: unknown): void {
    this.#counters.add('handler.error');
    const question = query.questions[0];
    this.#logger.warn('the DNS query handler failed; answering SERVFAIL', {
      error,
      name: question?.name.toString(),
      type: question?.type,
      transport: context.transport,
      client: `${context.client.address}:${context.client.port}`,
    });
  }

  #servfail(query: DnsMessage, context: QueryContext): Uint8Array {
    this.#counters.add('servfail');
    return this.#encode(
      errorAnswer(query, Rcode.SERVFAIL, this.#maxUdpPayload),
      context.maxAnswerLength,
    );
  }

  #encode(answer: DnsMessage, maxLength: number): Uint8Array {
    const bytes = encodeMessage(answer, { maxLength, writer: this.#writer });
    this.#counters.add('answers');
    // encodeMessage left RRsets out and set TC (RFC 2181 §9) where the answer did not have it.
    if ((bytes[2]! & 0x02) !== 0 && !answer.tc) this.#counters.add('truncated');
    return bytes;
  }
}

function isPromise(value: DnsAnswer | Promise<DnsAnswer>): value is Promise<DnsAnswer> {
  return typeof (value as { then?: unknown } | undefined)?.then === 'function';
}

function isMessageList(answer: DnsAnswer): answer is readonly DnsMessage[] {
  return Array.isArray(answer);
}

function withoutEdns(message: DnsMessage): DnsMessage {
  const { edns: _, ...rest } = message;
  return rest;
}
