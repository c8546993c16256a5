// One TCP connection (RFC 9293): the transmission control block and its state machine. It does
// no I/O and reads no clock: segments come in through `input`, the application through the
// flow (tcp-flow.ts), timers through `poll(nowMs)`; what it sends goes to its environment, which
// the TCP layer provides (addresses, routes and IP are the layer's, so this file is the same over
// IPv4 and IPv6). Output is deferred: input and writes mark the connection dirty and the layer
// calls `flush` once per batch, so a batch of received segments is answered by one ACK and a
// burst of small writes leaves as one segment.
//
// Sending (RFC 5681, RFC 6582, RFC 6675, RFC 7323) lives here too, in the `#output` family; the
// algorithms it uses are in their own files: RTT and RTO (rtt-estimator.ts), the congestion
// window (cubic.ts, new-reno.ts), the SACK scoreboard, the out-of-order queue and the buffers.

import { type Counters, OasisError } from '@oasis/core';
import {
  type ParsedTcpOptions,
  TCP_ACK,
  TCP_FIN,
  TCP_HEADER_LENGTH,
  TCP_PSH,
  TCP_RST,
  TCP_SYN,
  type TcpPacket,
  writeSackOption,
  writeTcpOptions,
  writeTimestampOption,
} from '@oasis/wire';
import type { TransportError } from '../ip-network.ts';
import type { CongestionControl } from './congestion-control.ts';
import { createCongestionControl } from './create-congestion-control.ts';
import { ReceiveBuffer } from './receive-buffer.ts';
import { ReceiveReassembly } from './receive-reassembly.ts';
import { RttEstimator } from './rtt-estimator.ts';
import { SackScoreboard } from './sack-scoreboard.ts';
import { SendBuffer } from './send-buffer.ts';
import { seqAdd, seqDiff, seqGe, seqGt, seqLe, seqLt, seqMax } from './sequence.ts';
import { receiveWindowShift, type TcpConfig } from './tcp-config.ts';

/** RFC 9293 §3.3.2, without LISTEN (a listener is not a connection here). */
export type TcpState =
  | 'SYN-SENT'
  | 'SYN-RECEIVED'
  | 'ESTABLISHED'
  | 'FIN-WAIT-1'
  | 'FIN-WAIT-2'
  | 'CLOSE-WAIT'
  | 'CLOSING'
  | 'LAST-ACK'
  | 'TIME-WAIT'
  | 'CLOSED';

/** A segment to send, filled by the connection and emitted by the layer (reused: copy nothing). */
export interface SegmentOut {
  seq: number;
  ack: number;
  flags: number;
  window: number;
  /** Option bytes, a multiple of 4. */
  options: Uint8Array;
  /** Where the payload starts in the send buffer, counted from its first byte. */
  dataOffset: number;
  dataLength: number;
  /** For a super-frame: the payload of each segment the device cuts; 0 for one segment. */
  segmentSize: number;
}

/** What the layer provides to a connection. */
export interface TcpConnectionEnvironment {
  transmit(connection: TcpConnection, segment: SegmentOut, nowMs: number): void;
  /** The largest TCP segment (header included) the path takes in one packet now: MTU − IP header, or ~64 KiB with segmentation offload. */
  maxSegmentLength(connection: TcpConnection, nowMs: number): number;
  /** The path MTU less the IP header: the largest TCP segment on the wire. */
  pathSegmentLength(connection: TcpConnection): number;
  /** RFC 1191: a router said the path takes at most `mtu` bytes; true if that lowered it. */
  lowerPathMtu(mtu: number): boolean;
  /** Asks for `flush` at the end of the current batch. */
  markDirty(connection: TcpConnection): void;
  /** SYN-RECEIVED → ESTABLISHED on a passive open: hand the connection to its listener. */
  accepted(connection: TcpConnection): void;
  /** The connection reached CLOSED: forget it. */
  closed(connection: TcpConnection): void;
  /** The stack-wide budget of RFC 5961 challenge ACKs. */
  mayChallenge(nowMs: number): boolean;
  /**
   * The MSS assumed when the peer sends none: 536 over IPv4 (RFC 9293 §3.7.1, RFC 6691), 1220
   * over IPv6 (RFC 8200 §8.3).
   */
  readonly defaultSendMss: number;
  readonly traffic: Counters;
  readonly drops: Counters;
}

/** What the flow learns from its connection. */
export interface TcpConnectionEvents {
  established(): void;
  readable(): void;
  writable(): void;
  /** The connection ended with an error (reset, timeout, refused) or reached CLOSED. */
  finished(error: OasisError | undefined): void;
}

const NO_EVENTS: TcpConnectionEvents = {
  established() {},
  readable() {},
  writable() {},
  finished() {},
};

const TIMESTAMP_OPTION_LENGTH = 12;
/** RFC 7323 §2.3: the largest window shift. */
const MAX_WINDOW_SHIFT = 14;
/** RFC 5681 §3.2: DupThresh. */
const DUP_THRESHOLD = 3;
const NEVER = Number.POSITIVE_INFINITY;
const EMPTY = new Uint8Array(0);

export interface TcpConnectionInit {
  readonly env: TcpConnectionEnvironment;
  readonly config: TcpConfig;
  readonly iss: number;
  /** Added to the clock to make timestamp values (RFC 7323 §5.4: a random offset per connection). */
  readonly timestampOffset: number;
  readonly nowMs: number;
}

export class TcpConnection {
  state: TcpState = 'CLOSED';
  /** Set by the layer: what identifies the connection there. */
  key: number | string = 0;
  /** The layer's timer queue: the deadline this connection is queued under. */
  queuedAt = Number.POSITIVE_INFINITY;
  events: TcpConnectionEvents = NO_EVENTS;
  readonly sendBuffer: SendBuffer;
  readonly receiveBuffer = new ReceiveBuffer();
  /** Bytes and segments of this connection, for its flow's counters. */
  segmentsSent = 0;
  segmentsReceived = 0;
  retransmittedSegments = 0;
  error: OasisError | undefined;

  readonly #env: TcpConnectionEnvironment;
  readonly #config: TcpConfig;
  readonly #rtt: RttEstimator;
  #cc: CongestionControl;
  readonly #scoreboard: SackScoreboard;
  readonly #reassembly: ReceiveReassembly;
  readonly #segment: SegmentOut = {
    seq: 0,
    ack: 0,
    flags: 0,
    window: 0,
    options: EMPTY,
    dataOffset: 0,
    dataLength: 0,
    segmentSize: 0,
  };
  readonly #optionBytes = new Uint8Array(40);
  readonly #sackEdges = new Uint32Array(8);
  readonly #timestampOffset: number;

  // Send sequence space (RFC 9293 §3.3.1).
  readonly #iss: number;
  #sndUna: number;
  #sndNxt: number;
  /** The highest sequence number sent so far (SND.NXT rewinds after a timeout). */
  #sndMax: number;
  #sndWnd = 0;
  #sndWl1 = 0;
  #sndWl2 = 0;
  #maxSndWnd = 0;
  /** The sequence number of the first byte in the send buffer. */
  #bufferSeq: number;
  #finQueued = false;
  /** Our FIN's sequence number, once queued. */
  #finSeq = 0;

  // Receive sequence space.
  #rcvNxt = 0;
  /** The right edge of the window we advertised (never moved left, RFC 9293 §3.8.6.2.2). */
  #rcvAdv = 0;
  /** The peer's FIN, once it arrived out of order (its sequence number). */
  #peerFinSeq: number | undefined;
  #peerFinished = false;
  /** The reader closed: data still arriving is acknowledged and dropped. */
  #discardInput = false;

  // Negotiated options.
  #sendMss: number;
  #sndShift = 0;
  #rcvShift = 0;
  /** Both SYNs carried the window scale option (RFC 7323 §2.2). */
  #windowScaling = false;
  #timestamps = false;
  #sack = false;
  #tsRecent = 0;
  #lastAckSent = 0;
  #noDelay = false;
  /** The code of the latest ICMP destination unreachable soft error, if any. */
  #softError: string | undefined;

  // Retransmission and recovery.
  #rtoAt = NEVER;
  #retransmits = 0;
  /** Karn's rule without timestamps: the segment being timed. */
  #rttSeq: number | undefined;
  #rttStartMs = 0;
  #inRecovery = false;
  /** RFC 6582 "recover": SND.MAX when recovery (or the last timeout) began. */
  #recover: number;
  /** RFC 6675 HighRxt: the last octet retransmitted in this recovery (inclusive). */
  #highRxt = 0;
  #dupAcks = 0;
  /** Without SACK, RFC 6582's window inflation by one MSS per duplicate ACK. */
  #inflation = 0;
  #retransmitFirst = false;
  #lastSendMs: number;
  /** When the latest acceptable ACK arrived. */
  #lastAckMs: number;

  // Other timers.
  #ackAt = NEVER;
  #persistAt = NEVER;
  #persistBackoff = 0;
  #keepAliveAt = NEVER;
  #keepAliveProbes = 0;
  #timeWaitAt = NEVER;

  // Deferred output.
  #ackNow = false;
  /** Bytes received since our last ACK. */
  #unackedBytes = 0;
  #synToSend = false;

  constructor(init: TcpConnectionInit) {
    this.#env = init.env;
    this.#config = init.config;
    this.#iss = init.iss;
    this.#sndUna = init.iss;
    this.#sndNxt = init.iss;
    this.#sndMax = init.iss;
    this.#recover = init.iss;
    this.#bufferSeq = seqAdd(init.iss, 1);
    this.#timestampOffset = init.timestampOffset;
    this.#sendMss = init.env.defaultSendMss;
    this.#lastSendMs = init.nowMs;
    this.#lastAckMs = init.nowMs;
    this.sendBuffer = new SendBuffer(init.config.sendBufferBytes);
    this.#reassembly = new ReceiveReassembly(init.config.receiveBufferBytes);
    this.#rtt = new RttEstimator({
      initialRtoMs: init.config.initialRtoMs,
      minRtoMs: init.config.minRtoMs,
      maxRtoMs: init.config.maxRtoMs,
    });
    this.#scoreboard = new SackScoreboard(init.env.defaultSendMss);
    this.#cc = createCongestionControl(init.config.congestion, init.env.defaultSendMss, init.nowMs);
    this.#rcvShift = receiveWindowShift(init.config.receiveBufferBytes);
  }

  // --- Opening -------------------------------------------------------------------------------

  /** Active open (RFC 9293 §3.10.1): SYN-SENT, the SYN goes out with the next flush. */
  open(nowMs: number): void {
    this.state = 'SYN-SENT';
    this.#synToSend = true;
    this.#armRetransmit(nowMs);
    this.#env.markDirty(this);
  }

  /** Passive open from a listener's SYN (RFC 9293 §3.10.7.2): SYN-RECEIVED, SYN-ACK on flush. */
  acceptSyn(packet: TcpPacket, options: ParsedTcpOptions, nowMs: number): void {
    this.#rcvNxt = seqAdd(packet.sequence, 1);
    this.#negotiate(options);
    this.#updateWindow(packet, true);
    this.state = 'SYN-RECEIVED';
    this.#synToSend = true;
    this.#armRetransmit(nowMs);
    this.#env.markDirty(this);
  }

  /**
   * Opens straight into ESTABLISHED from a valid SYN cookie (RFC 4987 §3.6): the third segment
   * of the handshake arrived for a SYN-ACK we sent without keeping state.
   */
  acceptCookie(
    packet: TcpPacket,
    mss: number,
    windowScale: number | undefined,
    sackPermitted: boolean,
    timestamps: boolean,
    tsValue: number,
    nowMs: number,
  ): void {
    this.#rcvNxt = packet.sequence;
    this.#sndUna = this.#sndNxt = this.#sndMax = seqAdd(this.#iss, 1);
    this.#sendMss = mss;
    if (windowScale === undefined) this.#rcvShift = 0;
    else this.#sndShift = Math.min(windowScale, MAX_WINDOW_SHIFT);
    this.#sack = sackPermitted;
    this.#timestamps = timestamps;
    this.#tsRecent = tsValue;
    this.#applyMss(nowMs);
    this.#rcvAdv = seqAdd(this.#rcvNxt, this.#windowToAdvertise() << this.#rcvShift);
    this.state = 'ESTABLISHED';
    this.#sndWl1 = seqAdd(packet.sequence, -1);
    this.#sndWl2 = this.#sndUna;
    this.#updateWindow(packet, false);
    this.#lastSendMs = nowMs;
  }

  #negotiate(options: ParsedTcpOptions): void {
    // RFC 9293 §3.7.1: the MSS option appears only in SYNs.
    this.#sendMss = options.mss > 0 ? options.mss : this.#env.defaultSendMss;
    // RFC 7323 §2.2: scaling only when both sides sent the option; our SYN always does on an
    // active open, and a SYN-ACK only answers one that did.
    this.#windowScaling = options.windowScale >= 0;
    if (this.#windowScaling) this.#sndShift = Math.min(options.windowScale, MAX_WINDOW_SHIFT);
    else this.#rcvShift = 0;
    // RFC 7323 §3.2: timestamps only when the SYN (and, actively, the SYN-ACK) carried them.
    this.#timestamps = options.hasTimestamp;
    if (this.#timestamps) this.#tsRecent = options.tsValue;
    // RFC 2018 §2: SACK only when both SYNs carried SACK-Permitted (ours only if configured).
    this.#sack = options.sackPermitted && this.#config.sack;
  }

  #applyMss(nowMs: number): void {
    const mss = this.#effectiveMss();
    this.#scoreboard.setMss(mss);
    this.#cc = createCongestionControl(this.#config.congestion, mss, nowMs);
  }

  /** Payload bytes of a full-sized segment: the peer's MSS within the path, less our options. */
  #effectiveMss(): number {
    const path = this.#env.pathSegmentLength(this) - TCP_HEADER_LENGTH;
    const mss = Math.min(this.#sendMss, path);
    return Math.max(mss - (this.#timestamps ? TIMESTAMP_OPTION_LENGTH : 0), 64);
  }

  // --- Application side ----------------------------------------------------------------------

  get localMss(): number {
    return this.#env.pathSegmentLength(this) - TCP_HEADER_LENGTH;
  }

  /** Whether `write` may queue data (the connection is open for sending). */
  get canSend(): boolean {
    if (this.#finQueued || this.error !== undefined) return false;
    return (
      this.state === 'ESTABLISHED' ||
      this.state === 'CLOSE-WAIT' ||
      this.state === 'SYN-SENT' ||
      this.state === 'SYN-RECEIVED'
    );
  }

  /** The peer's FIN arrived. */
  get peerFinished(): boolean {
    return this.#peerFinished;
  }

  /** The peer closed its side and every byte before its FIN was read. */
  get readEnded(): boolean {
    return this.#peerFinished && this.receiveBuffer.length === 0;
  }

  /** Queues what fits of `data` and returns how many bytes that was. */
  write(data: Uint8Array): number {
    const taken = this.sendBuffer.append(data);
    if (taken > 0) this.#env.markDirty(this);
    return taken;
  }

  /** The reader took bytes: the window may have opened enough to tell the peer. */
  consumed(): void {
    if (this.#windowUpdateDue()) {
      this.#ackNow = true;
      this.#env.markDirty(this);
    }
  }

  setNoDelay(noDelay: boolean): void {
    this.#noDelay = noDelay;
    if (noDelay) this.#env.markDirty(this);
  }

  /** Queues our FIN after the data (RFC 9293 §3.10.4 CLOSE, for the sending side). */
  closeWrite(): void {
    if (this.#finQueued) return;
    switch (this.state) {
      case 'SYN-SENT':
      case 'SYN-RECEIVED':
      case 'ESTABLISHED':
      case 'CLOSE-WAIT':
        break;
      default:
        return;
    }
    this.#finQueued = true;
    this.#finSeq = seqAdd(this.#bufferSeq, this.sendBuffer.length);
    this.#env.markDirty(this);
  }

  /** Stops delivering input: the application closed both directions. */
  discardInput(): void {
    this.#discardInput = true;
    this.receiveBuffer.clear();
  }

  /** ABORT (RFC 9293 §3.10.5): RST unless nothing was ever synchronized, then CLOSED. */
  abort(error: OasisError, nowMs: number): void {
    switch (this.state) {
      case 'SYN-RECEIVED':
      case 'ESTABLISHED':
      case 'FIN-WAIT-1':
      case 'FIN-WAIT-2':
      case 'CLOSE-WAIT':
        this.#sendControl(this.#sndMax, 0, TCP_RST, nowMs);
        break;
      case 'SYN-SENT':
      case 'CLOSING':
      case 'LAST-ACK':
      case 'TIME-WAIT':
      case 'CLOSED':
        break;
    }
    this.#finish(error);
  }

  // --- ICMP ----------------------------------------------------------------------------------

  /** An ICMP error about our segment numbered `seq` (RFC 1122 §4.2.3.9, RFC 1191, RFC 5927). */
  icmpError(error: TransportError, seq: number): void {
    // RFC 5927 §4.1: only errors quoting a sequence number in flight are believed.
    if (seqLt(seq, this.#sndUna) || seqGe(seq, seqMax(this.#sndMax, seqAdd(this.#sndUna, 1)))) {
      this.#env.drops.add('tcp.icmp-out-of-window');
      return;
    }
    switch (error.kind) {
      case 'too-big': {
        if (!this.#env.lowerPathMtu(error.nextHopMtu)) return;
        this.#env.traffic.add('tcp.path-mtu-lowered');
        this.#scoreboard.setMss(this.#effectiveMss());
        this.#cc.setMss(this.#effectiveMss());
        // RFC 1191 §6.5, RFC 8201 §5.2: what was sent too big is sent again now, without a
        // congestion response.
        if (this.#sndMax !== this.#sndUna && this.state !== 'SYN-SENT') {
          this.#sndNxt = this.#sndUna;
          this.#retransmitFirst = true;
          this.#env.markDirty(this);
        }
        return;
      }
      case 'refused':
        // RFC 1122 §4.2.3.9: port and protocol unreachable are hard errors; acted on while
        // opening, as Linux does.
        if (this.state === 'SYN-SENT') {
          this.#finish(new OasisError('ECONNREFUSED', 'the peer has no TCP port there (ICMP)'));
        }
        return;
      case 'soft':
        // Soft errors (RFC 1122 §4.2.3.9): remembered, reported if the connection times out.
        this.#softError = error.description;
        return;
    }
  }

  // --- Timers --------------------------------------------------------------------------------

  /** The earliest time `poll` has work, or Infinity. */
  pollAt(): number {
    return Math.min(this.#rtoAt, this.#ackAt, this.#persistAt, this.#keepAliveAt, this.#timeWaitAt);
  }

  poll(nowMs: number): void {
    if (nowMs >= this.#timeWaitAt) {
      this.#timeWaitAt = NEVER;
      this.#finish(undefined);
      return;
    }
    if (nowMs >= this.#rtoAt) this.#retransmitTimeout(nowMs);
    if (this.state === 'CLOSED') return;
    if (nowMs >= this.#ackAt) {
      this.#ackAt = NEVER;
      this.#ackNow = true;
      this.#env.markDirty(this);
    }
    if (nowMs >= this.#persistAt) this.#persistProbe(nowMs);
    if (nowMs >= this.#keepAliveAt) this.#keepAliveProbe(nowMs);
  }

  // --- Input (RFC 9293 §3.10.7) --------------------------------------------------------------

  /** A segment for this connection; `packet` and its payload are borrowed for the call. */
  input(packet: TcpPacket, options: ParsedTcpOptions, nowMs: number): void {
    this.segmentsReceived++;
    if (this.#config.keepAlive !== undefined && this.state !== 'TIME-WAIT') {
      this.#keepAliveAt = nowMs + this.#config.keepAlive.idleMs;
      this.#keepAliveProbes = 0;
    }
    switch (this.state) {
      case 'SYN-SENT':
        this.#inputSynSent(packet, options, nowMs);
        return;
      case 'CLOSED':
        return;
      case 'SYN-RECEIVED':
      case 'ESTABLISHED':
      case 'FIN-WAIT-1':
      case 'FIN-WAIT-2':
      case 'CLOSE-WAIT':
      case 'CLOSING':
      case 'LAST-ACK':
      case 'TIME-WAIT':
        this.#inputSynchronized(packet, options, nowMs);
        return;
    }
  }

  /** RFC 9293 §3.10.7.3, with RFC 5961 §3.2's check of a RST. */
  #inputSynSent(packet: TcpPacket, options: ParsedTcpOptions, nowMs: number): void {
    const flags = packet.flags;
    const ackFlag = (flags & TCP_ACK) !== 0;
    if (ackFlag) {
      const ack = packet.acknowledgment;
      if (seqLe(ack, this.#iss) || seqGt(ack, this.#sndMax)) {
        if ((flags & TCP_RST) === 0) this.#sendControl(ack, 0, TCP_RST, nowMs);
        this.#env.drops.add('tcp.bad-ack');
        return;
      }
    }
    if ((flags & TCP_RST) !== 0) {
      if (ackFlag) {
        this.#finish(new OasisError('ECONNREFUSED', 'the peer refused the connection (RST)'));
      } else this.#env.drops.add('tcp.rst-without-ack');
      return;
    }
    if ((flags & TCP_SYN) === 0) {
      this.#env.drops.add('tcp.no-syn');
      return;
    }
    this.#rcvNxt = seqAdd(packet.sequence, 1);
    this.#negotiate(options);
    if (ackFlag) {
      // Our SYN is acknowledged: ESTABLISHED.
      this.#sndUna = packet.acknowledgment;
      this.#sndNxt = seqMax(this.#sndNxt, this.#sndUna);
      this.#synToSend = false;
      this.#applyMss(nowMs);
      if (this.#timestamps && options.tsEcho !== 0) {
        this.#rtt.sample(this.#timestampNow(nowMs) - options.tsEcho);
      } else if (this.#retransmits === 0) this.#rtt.sample(nowMs - this.#lastSendMs);
      this.#retransmits = 0;
      this.#rtoAt = NEVER;
      this.#rcvAdv = seqAdd(this.#rcvNxt, this.#windowToAdvertise() << this.#rcvShift);
      this.#updateWindow(packet, true);
      this.state = 'ESTABLISHED';
      this.#ackNow = true;
      this.#env.markDirty(this);
      this.events.established();
      // Data or FIN in the SYN-ACK is rare; handle it as in ESTABLISHED.
      if (packet.payload.length > 0 || (flags & TCP_FIN) !== 0) {
        this.#acceptText(packet, seqAdd(packet.sequence, 1), nowMs);
      }
      return;
    }
    // Simultaneous open (RFC 9293 §3.5 figure 7): SYN-RECEIVED, our SYN again with an ACK.
    this.#updateWindow(packet, true);
    this.state = 'SYN-RECEIVED';
    this.#synToSend = true;
    this.#sndNxt = this.#iss;
    this.#env.markDirty(this);
  }

  #inputSynchronized(packet: TcpPacket, options: ParsedTcpOptions, nowMs: number): void {
    let flags = packet.flags;
    let seq = packet.sequence;
    const payloadLength = packet.payload.length;
    // RFC 7323 §5.3 R1: PAWS, before the sequence check.
    if (this.#timestamps && options.hasTimestamp && (flags & TCP_RST) === 0) {
      if (seqLt(options.tsValue, this.#tsRecent)) {
        this.#env.drops.add('tcp.paws');
        this.#ackNow = true;
        this.#env.markDirty(this);
        return;
      }
    }
    // SYN-RECEIVED may see the peer's SYN again, which RCV.NXT already counts (so the sequence
    // check below would refuse it): alone, our SYN-ACK was lost and goes again; with an ACK, it
    // is the SYN-ACK of a simultaneous open (RFC 9293 §3.5 figure 8), whose ACK completes the
    // handshake (Linux lets it past RFC 5961 §4.2's challenge the same way).
    if (
      this.state === 'SYN-RECEIVED' &&
      (flags & (TCP_SYN | TCP_RST)) === TCP_SYN &&
      seqAdd(seq, 1) === this.#rcvNxt
    ) {
      if ((flags & TCP_ACK) === 0) {
        this.#synToSend = true;
        this.#env.markDirty(this);
        return;
      }
      flags &= ~TCP_SYN;
      seq = this.#rcvNxt;
    }
    // First: the sequence number (RFC 9293 §3.10.7.4, the four acceptability cases).
    const segLength =
      payloadLength + ((flags & TCP_SYN) !== 0 ? 1 : 0) + ((flags & TCP_FIN) !== 0 ? 1 : 0);
    const window = seqDiff(this.#rcvAdv, this.#rcvNxt);
    if (!this.#acceptable(seq, segLength, window)) {
      if ((flags & TCP_RST) === 0) {
        this.#env.drops.add('tcp.out-of-window');
        this.#ackNow = true;
        if (this.state === 'TIME-WAIT') this.#timeWaitAt = nowMs + this.#config.timeWaitMs;
        this.#env.markDirty(this);
      } else this.#env.drops.add('tcp.rst-out-of-window');
      return;
    }
    // Second: RST (RFC 5961 §3.2: only an exact match resets; in window, a challenge ACK).
    if ((flags & TCP_RST) !== 0) {
      if (seq === this.#rcvNxt) {
        this.#env.traffic.add('tcp.resets-received');
        if (this.state === 'SYN-RECEIVED' || this.state === 'TIME-WAIT') this.#finish(undefined);
        else this.#finish(new OasisError('ECONNRESET', 'the peer reset the connection'));
      } else this.#challenge(nowMs);
      return;
    }
    // Fourth: SYN in a synchronized state (RFC 5961 §4.2): a challenge ACK, never a reset.
    if ((flags & TCP_SYN) !== 0) {
      this.#challenge(nowMs);
      return;
    }
    // Fifth: the ACK field.
    if ((flags & TCP_ACK) === 0) {
      this.#env.drops.add('tcp.no-ack');
      return;
    }
    const ack = packet.acknowledgment;
    if (this.state === 'SYN-RECEIVED') {
      if (seqLe(ack, this.#sndUna) || seqGt(ack, this.#sndMax)) {
        this.#sendControl(ack, 0, TCP_RST, nowMs);
        return;
      }
      this.#synToSend = false;
      this.#applyMss(nowMs);
      this.#rcvAdv = seqMax(
        this.#rcvAdv,
        seqAdd(this.#rcvNxt, this.#windowToAdvertise() << this.#rcvShift),
      );
      this.state = 'ESTABLISHED';
      this.#updateWindow(packet, false);
      this.#env.accepted(this);
      this.events.established();
    }
    // RFC 5961 §5.2: an ACK outside [SND.UNA − MAX.SND.WND, SND.MAX] is answered, then dropped.
    if (seqGt(ack, this.#sndMax) || seqLt(ack, seqAdd(this.#sndUna, -this.#maxSndWnd - 1))) {
      this.#env.drops.add('tcp.bad-ack');
      this.#challenge(nowMs);
      return;
    }
    // RFC 7323 §4.3: TS.Recent follows the segment that covers the last ACK we sent.
    if (
      this.#timestamps &&
      options.hasTimestamp &&
      seqLe(seq, this.#lastAckSent) &&
      seqGe(seqAdd(seq, segLength), this.#lastAckSent)
    ) {
      this.#tsRecent = options.tsValue;
    }
    this.#lastAckMs = nowMs;
    this.#processAck(packet, options, ack, payloadLength, nowMs);
    if (this.state === 'CLOSED') return;
    switch (this.state) {
      case 'FIN-WAIT-1':
        if (this.#finAcked()) this.state = 'FIN-WAIT-2';
        break;
      case 'CLOSING':
        if (this.#finAcked()) this.#enterTimeWait(nowMs);
        break;
      case 'LAST-ACK':
        if (this.#finAcked()) {
          this.#finish(undefined);
          return;
        }
        break;
      case 'TIME-WAIT':
        // A retransmitted FIN: acknowledge it and restart the 2·MSL wait (§3.10.7.4).
        if ((flags & TCP_FIN) !== 0) {
          this.#ackNow = true;
          this.#timeWaitAt = nowMs + this.#config.timeWaitMs;
          this.#env.markDirty(this);
        }
        return;
      default:
        break;
    }
    // Seventh and eighth: the text and FIN. Trim what lies before RCV.NXT.
    if ((flags & TCP_SYN) !== 0) seq = seqAdd(seq, 1);
    this.#acceptText(packet, seq, nowMs);
  }

  /** RFC 9293 §3.10.7.4: the four cases of segment acceptability. */
  #acceptable(seq: number, segLength: number, window: number): boolean {
    const rcvNxt = this.#rcvNxt;
    if (segLength === 0) {
      // The right edge itself is allowed too (as Linux does): a sender that filled the window
      // numbers its ACKs there, and RFC 9293 asks for "special allowance" for valid ACKs when
      // the window is closed.
      return seqGe(seq, rcvNxt) && seqLe(seq, seqAdd(rcvNxt, window));
    }
    if (window === 0) return false;
    const end = seqAdd(rcvNxt, window);
    const last = seqAdd(seq, segLength - 1);
    return (seqGe(seq, rcvNxt) && seqLt(seq, end)) || (seqGe(last, rcvNxt) && seqLt(last, end));
  }

  #challenge(nowMs: number): void {
    if (!this.#env.mayChallenge(nowMs)) {
      this.#env.drops.add('tcp.challenge-ack-limited');
      return;
    }
    this.#env.traffic.add('tcp.challenge-acks');
    this.#ackNow = true;
    this.#env.markDirty(this);
  }

  #processAck(
    packet: TcpPacket,
    options: ParsedTcpOptions,
    ack: number,
    payloadLength: number,
    nowMs: number,
  ): void {
    let newlySacked = 0;
    if (this.#sack && options.sackCount > 0) {
      newlySacked = this.#scoreboard.update(
        options.sackEdges,
        options.sackCount,
        this.#sndUna,
        this.#sndMax,
      );
    }
    if (seqGt(ack, this.#sndUna)) {
      this.#newAck(packet, options, ack, nowMs);
      return;
    }
    // RFC 5681 §2 duplicate ACK: no data, no window change, data outstanding; with SACK, an ACK
    // that SACKs new data counts too (RFC 6675 §5).
    const outstanding = this.#sndMax !== this.#sndUna;
    const windowChanged = packet.window << this.#sndShift !== this.#sndWnd;
    const duplicate =
      outstanding &&
      ack === this.#sndUna &&
      ((payloadLength === 0 && (packet.flags & TCP_FIN) === 0 && !windowChanged) ||
        newlySacked > 0);
    this.#updateWindow(packet, false);
    if (!duplicate) return;
    this.#dupAcks++;
    this.#env.traffic.add('tcp.dup-acks-received');
    if (this.#inRecovery) {
      if (!this.#sack) this.#inflation += this.#effectiveMss();
      this.#env.markDirty(this);
      return;
    }
    const lossDetected = this.#sack
      ? this.#dupAcks >= DUP_THRESHOLD || this.#scoreboard.isLost(this.#sndUna)
      : this.#dupAcks >= DUP_THRESHOLD;
    // RFC 6582 §3.2 step 2: not again for losses of the window already recovered.
    // With SACK the scoreboard tells new losses from old ones (RFC 6675 §5), so only NewReno
    // needs the check.
    if (lossDetected && (this.#sack || seqGt(ack, this.#recover))) this.#enterRecovery(nowMs);
  }

  #enterRecovery(nowMs: number): void {
    this.#inRecovery = true;
    this.#recover = this.#sndMax;
    this.#env.traffic.add('tcp.fast-retransmits');
    this.#cc.onCongestionEvent(this.#flightSize(), nowMs);
    this.#highRxt = seqAdd(this.#sndUna, -1);
    this.#inflation = this.#sack ? 0 : DUP_THRESHOLD * this.#effectiveMss();
    this.#retransmitFirst = true;
    this.#rttSeq = undefined;
    this.#env.markDirty(this);
  }

  #newAck(packet: TcpPacket, options: ParsedTcpOptions, ack: number, nowMs: number): void {
    let acked = seqDiff(ack, this.#sndUna);
    // The SYN and the FIN take sequence numbers but no buffer bytes.
    let dataAcked = acked;
    if (this.#sndUna === this.#iss) dataAcked--;
    if (this.#finQueued && seqGt(ack, this.#finSeq)) dataAcked--;
    if (dataAcked > 0) {
      this.sendBuffer.release(Math.min(dataAcked, this.sendBuffer.length));
      this.#bufferSeq = seqAdd(this.#bufferSeq, dataAcked);
    }
    this.#sndUna = ack;
    if (seqLt(this.#sndNxt, ack)) this.#sndNxt = ack;
    this.#scoreboard.advance(ack);
    this.#dupAcks = 0;
    // RTT: RFC 7323 §4.1 from the echoed timestamp, else the timed segment (Karn's rule).
    if (this.#timestamps && options.hasTimestamp && options.tsEcho !== 0) {
      const sample = this.#timestampNow(nowMs) - options.tsEcho;
      if (sample >= 0 && sample < 0x7fffffff) this.#rtt.sample(sample);
    } else if (this.#rttSeq !== undefined && seqGe(ack, this.#rttSeq)) {
      this.#rtt.sample(nowMs - this.#rttStartMs);
      this.#rttSeq = undefined;
    }
    this.#retransmits = 0;
    if (this.#inRecovery) {
      if (seqGe(ack, this.#recover)) {
        this.#inRecovery = false;
        this.#inflation = 0;
        this.#cc.onRecoveryEnd(this.#flightSize(), nowMs);
      } else if (!this.#sack) {
        // RFC 6582 §3.2 step 4, partial ACK: retransmit the next hole, deflate by what was acked.
        this.#inflation = Math.max(0, this.#inflation - acked + this.#effectiveMss());
        this.#retransmitFirst = true;
      }
    } else {
      acked = Math.max(0, acked);
      this.#cc.onAck(acked, nowMs, this.#rtt.srttMs);
    }
    // RFC 6298 §5.2/5.3: stop the timer when all is acknowledged, else restart it.
    if (this.#sndUna === this.#sndMax) this.#rtoAt = NEVER;
    else this.#rtoAt = nowMs + this.#rtt.rtoMs;
    this.#updateWindow(packet, false);
    if (this.sendBuffer.free > 0) this.events.writable();
    this.#env.markDirty(this);
  }

  /** RFC 9293 §3.10.7.4 fifth, window update (SND.WL1/SND.WL2 guard old segments). */
  #updateWindow(packet: TcpPacket, syn: boolean): void {
    const seq = packet.sequence;
    const ack = packet.acknowledgment;
    if (!syn && !(seqLt(this.#sndWl1, seq) || (this.#sndWl1 === seq && seqLe(this.#sndWl2, ack)))) {
      return;
    }
    // RFC 7323 §2.2: the window of a SYN is never scaled.
    const window = syn ? packet.window : packet.window << this.#sndShift;
    const opened = window > this.#sndWnd;
    this.#sndWnd = window;
    this.#sndWl1 = seq;
    this.#sndWl2 = ack;
    if (window > this.#maxSndWnd) this.#maxSndWnd = window;
    if (opened) {
      this.#persistAt = NEVER;
      this.#persistBackoff = 0;
      this.#env.markDirty(this);
    }
  }

  #finAcked(): boolean {
    return this.#finQueued && seqGt(this.#sndUna, this.#finSeq);
  }

  /** The segment text and FIN (RFC 9293 §3.10.7.4 seventh and eighth). */
  #acceptText(packet: TcpPacket, seq: number, nowMs: number): void {
    const flags = packet.flags;
    const payload = packet.payload;
    switch (this.state) {
      case 'ESTABLISHED':
      case 'FIN-WAIT-1':
      case 'FIN-WAIT-2':
        break;
      default:
        // CLOSE-WAIT, CLOSING, LAST-ACK: the peer already sent its FIN; ignore the text.
        return;
    }
    if (payload.length > 0) {
      this.#receiveData(seq, payload);
      this.#unackedBytes += payload.length;
      // RFC 9293 §3.8.6.3 / RFC 5681 §4.2: at least every second full-sized segment, and
      // out-of-order data at once.
      // A coalesced super-frame counts as the segments it stands for.
      if (this.#unackedBytes >= 2 * this.localMss || !this.#reassembly.isEmpty) this.#ackNow = true;
      else if (this.#ackAt === NEVER) this.#ackAt = nowMs + this.#config.ackDelayMs;
      this.#env.markDirty(this);
    }
    if ((flags & TCP_FIN) !== 0) {
      const finSeq = seqAdd(seq, payload.length);
      if (seqGe(finSeq, this.#rcvNxt)) this.#peerFinSeq = finSeq;
      this.#ackNow = true;
      this.#env.markDirty(this);
    }
    if (
      this.#peerFinSeq !== undefined &&
      this.#peerFinSeq === this.#rcvNxt &&
      !this.#peerFinished
    ) {
      this.#peerFinished = true;
      this.#rcvNxt = seqAdd(this.#rcvNxt, 1);
      this.#ackNow = true;
      switch (this.state) {
        case 'ESTABLISHED':
          this.state = 'CLOSE-WAIT';
          break;
        case 'FIN-WAIT-1':
          if (this.#finAcked()) this.#enterTimeWait(nowMs);
          else this.state = 'CLOSING';
          break;
        case 'FIN-WAIT-2':
          this.#enterTimeWait(nowMs);
          break;
        default:
          break;
      }
      this.events.readable();
    }
  }

  #receiveData(seq: number, payload: Uint8Array): void {
    const rcvNxt = this.#rcvNxt;
    const offset = seqDiff(rcvNxt, seq);
    const limit = seqDiff(this.#rcvAdv, seq);
    if (offset < 0) {
      // After a hole: keep it for later (what fits the window).
      const kept = Math.min(payload.length, limit);
      if (kept > 0 && this.#reassembly.insert(seq, payload.subarray(0, kept), rcvNxt)) {
        this.#env.traffic.add('tcp.out-of-order-segments');
      }
      this.#ackNow = true;
      return;
    }
    const end = Math.min(payload.length, limit);
    if (end <= offset) {
      this.#ackNow = true; // a duplicate: tell the peer where we are
      return;
    }
    this.#deliver(payload.slice(offset, end));
    let next = seqAdd(rcvNxt, end - offset);
    if (!this.#reassembly.isEmpty) {
      next = this.#reassembly.drain(next, (piece) => this.#deliver(piece));
      this.#ackNow = true; // a hole filled: the peer's recovery waits for this
    }
    this.#rcvNxt = next;
  }

  #deliver(piece: Uint8Array): void {
    if (this.#discardInput) return;
    this.receiveBuffer.push(piece);
    this.events.readable();
  }

  #enterTimeWait(nowMs: number): void {
    this.state = 'TIME-WAIT';
    this.#rtoAt = NEVER;
    this.#persistAt = NEVER;
    this.#keepAliveAt = NEVER;
    this.#timeWaitAt = nowMs + this.#config.timeWaitMs;
    this.events.finished(undefined);
  }

  /** RFC 9293 §3.6.1 / RFC 6191: a new SYN may reuse this TIME-WAIT connection's identity. */
  timeWaitAcceptsSyn(packet: TcpPacket, options: ParsedTcpOptions): boolean {
    if (this.state !== 'TIME-WAIT') return false;
    if (this.#timestamps && options.hasTimestamp) return seqGt(options.tsValue, this.#tsRecent);
    return seqGt(packet.sequence, this.#rcvNxt);
  }

  /** The next ISN for a connection reusing this one's identity: beyond anything it sent. */
  get successorIsnFloor(): number {
    return seqAdd(this.#sndMax, 0x10000);
  }

  #finish(error: OasisError | undefined): void {
    if (this.state === 'CLOSED') return;
    this.state = 'CLOSED';
    this.error ??= error;
    this.#rtoAt = this.#ackAt = this.#persistAt = this.#keepAliveAt = this.#timeWaitAt = NEVER;
    this.#reassembly.clear();
    this.#env.closed(this);
    this.events.finished(error);
  }

  // --- Output --------------------------------------------------------------------------------

  /** Sends what is due: called by the layer once per batch for each dirty connection. */
  flush(nowMs: number): void {
    switch (this.state) {
      case 'CLOSED':
        return;
      case 'SYN-SENT':
      case 'SYN-RECEIVED':
        if (this.#synToSend) this.#sendSyn(nowMs);
        return;
      default:
        break;
    }
    const before = this.segmentsSent;
    if (this.state !== 'TIME-WAIT') this.#sendData(nowMs);
    if (this.#ackNow && this.segmentsSent === before) {
      // SND.MAX, not SND.NXT: after a timeout SND.NXT goes back to resend, and a pure ACK
      // numbered below what the peer already received would be unacceptable there (RFC 9293
      // §3.10.7.4), its acknowledgment lost, and the peer's answer to it too.
      this.#sendControl(this.#sndMax, 0, TCP_ACK, nowMs);
    }
  }

  #sendSyn(nowMs: number): void {
    this.#synToSend = false;
    const passive = this.state === 'SYN-RECEIVED';
    const out = {
      mss: this.localMss,
      ...(!passive || this.#windowScaling ? { windowScale: this.#rcvShift } : {}),
      sackPermitted: passive ? this.#sack : this.#config.sack,
      ...(!passive || this.#timestamps
        ? { timestamp: { value: this.#timestampNow(nowMs), echo: passive ? this.#tsRecent : 0 } }
        : {}),
    };
    const length = writeTcpOptions(this.#optionBytes, 0, out);
    const segment = this.#segment;
    segment.seq = this.#iss;
    segment.ack = passive ? this.#rcvNxt : 0;
    segment.flags = passive ? TCP_SYN | TCP_ACK : TCP_SYN;
    // RFC 7323 §2.2: the window in a SYN is not scaled.
    segment.window = Math.min(this.#config.receiveBufferBytes, 0xffff);
    segment.options = this.#optionBytes.subarray(0, length);
    segment.dataOffset = 0;
    segment.dataLength = 0;
    segment.segmentSize = 0;
    this.#sndNxt = seqAdd(this.#iss, 1);
    this.#sndMax = seqMax(this.#sndMax, this.#sndNxt);
    if (passive) this.#rcvAdv = seqAdd(this.#rcvNxt, segment.window);
    this.#transmit(nowMs);
    if (this.#rtoAt === NEVER) this.#armRetransmit(nowMs);
  }

  #sendData(nowMs: number): void {
    const mss = this.#effectiveMss();
    // RFC 5681 §4.1: after an idle period longer than the RTO, restart from the initial window.
    if (this.#sndMax === this.#sndUna && nowMs - this.#lastSendMs > this.#rtt.rtoMs) {
      this.#cc.onIdleRestart(nowMs);
    }
    if (this.#retransmitFirst) {
      this.#retransmitFirst = false;
      const sent = this.#retransmit(this.#sndUna, mss, nowMs);
      // RFC 6675 §5 (4.3): the first retransmission of a recovery moves HighRxt too.
      if (sent > 0) this.#highRxt = seqMax(this.#highRxt, seqAdd(this.#sndUna, sent - 1));
    }
    if (this.#inRecovery && this.#sack) this.#sendSackRecovery(mss, nowMs);
    this.#sendNew(mss, nowMs);
  }

  /** RFC 6675 §5 step (C): send while pipe leaves room for a segment in cwnd. */
  #sendSackRecovery(mss: number, nowMs: number): void {
    for (;;) {
      const pipe = this.#scoreboard.pipe(this.#sndUna, this.#sndMax, this.#highRxt);
      if (this.#cc.cwnd - pipe < mss) return;
      const lost = this.#scoreboard.nextSegment(this.#sndUna, this.#highRxt, false);
      if (lost !== undefined) {
        this.#retransmit(lost.seq, lost.length, nowMs);
        this.#highRxt = seqAdd(lost.seq, lost.length - 1);
        continue;
      }
      // Rule 2: new data, if any is waiting and the peer's window has room.
      const available = this.#newDataAvailable();
      const room = this.#windowRoom();
      if (available > 0 && (room >= mss || (room >= available && room > 0))) {
        if (!this.#sendNewSegment(Math.min(mss, room), mss, nowMs)) return;
        continue;
      }
      const rule3 = this.#scoreboard.nextSegment(this.#sndUna, this.#highRxt, true);
      if (rule3 === undefined) return;
      this.#retransmit(rule3.seq, rule3.length, nowMs);
      this.#highRxt = seqAdd(rule3.seq, rule3.length - 1);
    }
  }

  #newDataAvailable(): number {
    return this.sendBuffer.length - seqDiff(this.#sndNxt, this.#bufferSeq);
  }

  /** Room left in the peer's window, whose right edge is SND.WL2 + SND.WND (RFC 9293 §3.8.6). */
  #windowRoom(): number {
    return seqDiff(seqAdd(this.#sndWl2, this.#sndWnd), this.#sndNxt);
  }

  #flightSize(): number {
    return seqDiff(this.#sndMax, this.#sndUna);
  }

  /** New data from SND.NXT, in super-frames where the path offloads segmentation. */
  #sendNew(mss: number, nowMs: number): void {
    if (this.#inRecovery && this.#sack) {
      // The recovery loop above decides; only a FIN may still be due.
      this.#maybeSendFin(nowMs);
      return;
    }
    const maxSegment = this.#env.maxSegmentLength(this, nowMs);
    const headerLength = TCP_HEADER_LENGTH + (this.#timestamps ? TIMESTAMP_OPTION_LENGTH : 0);
    // A super-frame carries at most a quarter of the congestion window, so a window is several
    // frames and draws several ACKs: one lost frame or ACK then shows as duplicate ACKs and SACK
    // blocks rather than as silence until the retransmission timeout.
    const quarter = Math.floor(this.#cc.cwnd / 4 / mss) * mss;
    const burst = Math.max(
      mss,
      Math.min(Math.floor((maxSegment - headerLength) / mss) * mss, quarter),
    );
    for (;;) {
      const available = this.#newDataAvailable();
      const inFlight = seqDiff(this.#sndNxt, this.#sndUna);
      const cwndRoom = this.#cc.cwnd + this.#inflation - inFlight;
      const room = Math.min(this.#windowRoom(), cwndRoom);
      let length = Math.min(available, room, burst);
      if (length <= 0) {
        if (available > 0 && this.#sndWnd === 0 && inFlight === 0) this.#armPersist(nowMs);
        this.#maybeSendFin(nowMs);
        return;
      }
      if (length < mss && length < available) {
        // RFC 9293 §3.8.6.2.1 sender SWS avoidance: a partial segment only if it is at least
        // half the largest window the peer offered. With nothing in flight no ACK will come to
        // change that: the persist timer is the override timeout (RFC 1122 §4.2.3.4).
        if (length < this.#maxSndWnd / 2) {
          if (inFlight === 0) this.#armPersist(nowMs);
          return;
        }
      } else if (length < mss && inFlight > 0 && !this.#noDelay && !this.#finQueued) {
        // Nagle (RFC 9293 §3.7.4): one small segment outstanding at a time.
        return;
      }
      if (length > mss) length -= length % mss;
      if (!this.#sendNewSegment(length, mss, nowMs)) return;
    }
  }

  /** Sends `length` new bytes at SND.NXT (with FIN when they are the last); false if nothing went. */
  #sendNewSegment(length: number, mss: number, nowMs: number): boolean {
    const offset = seqDiff(this.#sndNxt, this.#bufferSeq);
    const options = this.#dataOptions(nowMs);
    length = this.#fitSegment(
      Math.min(length, this.sendBuffer.length - offset),
      mss,
      options,
      nowMs,
    );
    if (length <= 0) return false;
    const last = length === this.sendBuffer.length - offset;
    const fin = last && this.#finQueued;
    const flags = TCP_ACK | (last ? TCP_PSH : 0) | (fin ? TCP_FIN : 0);
    const seq = this.#sndNxt;
    const segmentSize = mss - (options.length - this.#baseOptionsLength());
    this.#fillData(
      seq,
      offset,
      length,
      length > segmentSize ? segmentSize : 0,
      flags,
      options,
      nowMs,
    );
    this.#sndNxt = seqAdd(seq, length + (fin ? 1 : 0));
    if (seqGe(seq, this.#sndMax) && this.#rttSeq === undefined && !this.#timestamps) {
      this.#rttSeq = this.#sndNxt;
      this.#rttStartMs = nowMs;
    }
    this.#sndMax = seqMax(this.#sndMax, this.#sndNxt);
    if (fin) this.#afterFinSent();
    if (this.#rtoAt === NEVER) this.#armRetransmit(nowMs);
    return true;
  }

  /** The options every data segment carries (timestamps), which `mss` already leaves room for. */
  #baseOptionsLength(): number {
    return this.#timestamps ? TIMESTAMP_OPTION_LENGTH : 0;
  }

  /**
   * Cuts `length` so the segment, with `options` (which may add SACK blocks to the timestamps
   * `mss` allows for), fits the path: one segment of at most the reduced MSS, or a whole number
   * of them in a super-frame within what the path takes now.
   */
  #fitSegment(length: number, mss: number, options: Uint8Array, nowMs: number): number {
    const segmentSize = mss - (options.length - this.#baseOptionsLength());
    if (length <= segmentSize) return length;
    const room = this.#env.maxSegmentLength(this, nowMs) - TCP_HEADER_LENGTH - options.length;
    const limit = Math.min(length, room);
    return limit <= segmentSize ? segmentSize : limit - (limit % segmentSize);
  }

  /** A FIN on its own, once all data went out (RFC 9293 §3.10.4). */
  #maybeSendFin(nowMs: number): void {
    if (!this.#finQueued || this.#sndNxt !== this.#finSeq) return;
    if (this.#newDataAvailable() !== 0) return;
    this.#sendControl(this.#finSeq, 0, TCP_FIN | TCP_ACK, nowMs);
    this.#sndNxt = seqAdd(this.#finSeq, 1);
    this.#sndMax = seqMax(this.#sndMax, this.#sndNxt);
    this.#afterFinSent();
    if (this.#rtoAt === NEVER) this.#armRetransmit(nowMs);
  }

  #afterFinSent(): void {
    if (this.state === 'ESTABLISHED') this.state = 'FIN-WAIT-1';
    else if (this.state === 'CLOSE-WAIT') this.state = 'LAST-ACK';
  }

  /**
   * Resends up to `length` bytes from `seq` (data, or the FIN if that is what sits there) and
   * returns the sequence numbers it covered.
   */
  #retransmit(seq: number, length: number, nowMs: number): number {
    this.retransmittedSegments++;
    this.#env.traffic.add('tcp.retransmitted-segments');
    const offset = seqDiff(seq, this.#bufferSeq);
    const available = this.sendBuffer.length - offset;
    if (available <= 0) {
      if (!this.#finQueued || seq !== this.#finSeq) return 0;
      this.#sendControl(seq, 0, TCP_FIN | TCP_ACK, nowMs);
      if (seqGt(seqAdd(seq, 1), this.#sndNxt)) this.#sndNxt = seqAdd(seq, 1);
      return 1;
    }
    const options = this.#dataOptions(nowMs);
    const segmentSize = this.#effectiveMss() - (options.length - this.#baseOptionsLength());
    // Only what was sent before: bytes past SND.MAX are new data, for the window to allow.
    const sent = Math.min(available, seqDiff(this.#sndMax, seq));
    if (sent <= 0) return 0;
    length = Math.min(length, sent, segmentSize);
    const fin = this.#finQueued && length === available && seqGt(this.#sndMax, this.#finSeq);
    this.#fillData(seq, offset, length, 0, TCP_ACK | (fin ? TCP_FIN : 0), options, nowMs);
    if (seqGt(seqAdd(seq, length), this.#sndNxt))
      this.#sndNxt = seqAdd(seq, length + (fin ? 1 : 0));
    return length;
  }

  #fillData(
    seq: number,
    offset: number,
    length: number,
    segmentSize: number,
    flags: number,
    options: Uint8Array,
    nowMs: number,
  ): void {
    const segment = this.#segment;
    segment.seq = seq;
    segment.ack = this.#rcvNxt;
    segment.flags = flags;
    segment.window = this.#advertise();
    segment.options = options;
    segment.dataOffset = offset;
    segment.dataLength = length;
    segment.segmentSize = segmentSize;
    this.#transmit(nowMs);
  }

  /** A segment without data: ACK, RST, FIN or a probe. */
  #sendControl(seq: number, length: number, flags: number, nowMs: number): void {
    const segment = this.#segment;
    segment.seq = seq;
    const rst = (flags & TCP_RST) !== 0;
    segment.ack = rst ? 0 : this.#rcvNxt;
    segment.flags = rst ? TCP_RST : flags | TCP_ACK;
    segment.window = rst ? 0 : this.#advertise();
    segment.options = rst ? EMPTY : this.#dataOptions(nowMs);
    segment.dataOffset = 0;
    segment.dataLength = length;
    segment.segmentSize = 0;
    this.#transmit(nowMs);
  }

  #transmit(nowMs: number): void {
    const segment = this.#segment;
    if ((segment.flags & TCP_ACK) !== 0) {
      this.#lastAckSent = segment.ack;
      this.#ackNow = false;
      this.#ackAt = NEVER;
      this.#unackedBytes = 0;
    }
    this.segmentsSent++;
    this.#lastSendMs = nowMs;
    this.#env.transmit(this, segment, nowMs);
  }

  /** Timestamps on every segment, SACK blocks while data waits out of order. */
  #dataOptions(nowMs: number): Uint8Array {
    let length = 0;
    if (this.#timestamps) {
      writeTimestampOption(this.#optionBytes, 0, this.#timestampNow(nowMs), this.#tsRecent);
      length = TIMESTAMP_OPTION_LENGTH;
    }
    if (this.#sack && !this.#reassembly.isEmpty) {
      const max = this.#timestamps ? 3 : 4;
      const count = this.#reassembly.sackBlocks(this.#sackEdges, max, this.#rcvNxt);
      if (count > 0) length += writeSackOption(this.#optionBytes, length, this.#sackEdges, count);
    }
    return length === 0 ? EMPTY : this.#optionBytes.subarray(0, length);
  }

  #timestampNow(nowMs: number): number {
    return (Math.floor(nowMs) + this.#timestampOffset) >>> 0;
  }

  /** The free receive space, without ever moving the right edge left. */
  #windowToAdvertise(): number {
    const free = this.#config.receiveBufferBytes - this.receiveBuffer.length;
    return Math.min(free >> this.#rcvShift, 0xffff);
  }

  /** The window field for an outgoing segment; records the right edge it promises. */
  #advertise(): number {
    const offered = seqDiff(this.#rcvAdv, this.#rcvNxt);
    const free = this.#config.receiveBufferBytes - this.receiveBuffer.length;
    // RFC 9293 §3.8.6.2.2 receiver SWS avoidance: move the right edge only by a useful amount.
    const threshold = Math.min(this.#config.receiveBufferBytes / 2, this.#effectiveMss());
    const shift = this.#rcvShift;
    let field: number;
    if (free - offered >= threshold) field = Math.min(free >> shift, 0xffff);
    else {
      // Keep the edge already promised: rounded up, since rounding down would shrink it
      // (RFC 7323 §2.4), and the peer may already have sent up to it.
      field = Math.min(Math.ceil(Math.max(offered, 0) / 2 ** shift), 0xffff);
    }
    const edge = seqAdd(this.#rcvNxt, field << shift);
    if (seqGt(edge, this.#rcvAdv)) this.#rcvAdv = edge;
    return field;
  }

  /**
   * Whether reading opened the window enough to say so in a segment of its own: only while the
   * peer may still send (not after its FIN: a closed peer answers with a reset), and only when
   * the window would at least double and grow by two segments, as Linux does; ACKs of data
   * carry smaller changes anyway.
   */
  #windowUpdateDue(): boolean {
    if (this.#peerFinished) return false;
    switch (this.state) {
      case 'ESTABLISHED':
      case 'FIN-WAIT-1':
      case 'FIN-WAIT-2':
        break;
      default:
        return false;
    }
    const offered = Math.max(seqDiff(this.#rcvAdv, this.#rcvNxt), 0);
    const free = this.#config.receiveBufferBytes - this.receiveBuffer.length;
    const threshold = Math.min(this.#config.receiveBufferBytes / 2, 2 * this.#effectiveMss());
    return free - offered >= threshold && free >= 2 * offered;
  }

  // --- Timers ---------------------------------------------------------------------------------

  #armRetransmit(nowMs: number): void {
    this.#rtoAt = nowMs + this.#rtt.rtoMs;
  }

  #armPersist(nowMs: number): void {
    if (this.#persistAt !== NEVER) return;
    const delay = Math.min(this.#rtt.rtoMs * 2 ** this.#persistBackoff, this.#config.maxRtoMs);
    this.#persistAt = nowMs + delay;
  }

  /** RFC 9293 §3.8.6.1: probe a zero window; the answer carries the window. */
  #persistProbe(nowMs: number): void {
    this.#persistAt = NEVER;
    const available = this.#newDataAvailable();
    if (available === 0 || this.#sndMax !== this.#sndUna) return;
    const room = this.#windowRoom();
    if (room > 0) {
      // A window too small for SWS avoidance: send what fits rather than wait for an update
      // that may have been lost (RFC 1122 §4.2.3.4; Linux's probe timer does the same).
      this.#sendNewSegment(Math.min(room, available), this.#effectiveMss(), nowMs);
      return;
    }
    this.#persistBackoff++;
    this.#env.traffic.add('tcp.window-probes');
    // An old sequence number with no data: the receiver must answer with an ACK (RFC 9293
    // §3.10.7.4, unacceptable segment), as Linux probes.
    this.#sendControl(seqAdd(this.#sndUna, -1), 0, TCP_ACK, nowMs);
    this.#armPersist(nowMs);
  }

  #keepAliveProbe(nowMs: number): void {
    const keepAlive = this.#config.keepAlive;
    this.#keepAliveAt = NEVER;
    if (keepAlive === undefined) return;
    if (this.#keepAliveProbes >= keepAlive.probes) {
      this.abort(
        new OasisError('ETIMEDOUT', 'the peer stopped answering keep-alive probes'),
        nowMs,
      );
      return;
    }
    this.#keepAliveProbes++;
    this.#env.traffic.add('tcp.keepalive-probes');
    // RFC 1122 §4.2.3.6: an old sequence number (SND.UNA − 1), so the peer answers with an ACK.
    this.#sendControl(seqAdd(this.#sndUna, -1), 0, TCP_ACK, nowMs);
    this.#keepAliveAt = nowMs + keepAlive.intervalMs;
  }

  /** RFC 6298 §5.4–5.7: back off, resend the earliest unacknowledged segment, slow start. */
  #retransmitTimeout(nowMs: number): void {
    this.#rtoAt = NEVER;
    this.#env.traffic.add('tcp.retransmit-timeouts');
    if (this.state === 'SYN-SENT' || this.state === 'SYN-RECEIVED') {
      if (this.#retransmits >= this.#config.synRetries) {
        if (this.state === 'SYN-RECEIVED') this.#sendControl(this.#sndMax, 0, TCP_RST, nowMs);
        this.#finish(
          this.#softError === undefined
            ? new OasisError('ETIMEDOUT', 'the peer did not answer the connection request')
            : new OasisError('EHOSTUNREACH', `the peer is unreachable (ICMP ${this.#softError})`),
        );
        return;
      }
      this.#retransmits++;
      this.#rtt.backoff();
      this.#synToSend = true;
      this.#armRetransmit(nowMs);
      this.#env.markDirty(this);
      return;
    }
    if (this.#sndUna === this.#sndMax) return;
    // A closed window turns retransmissions into window probes: they do not count towards
    // giving up while the peer keeps answering (as Linux does).
    const probing = this.#sndWnd === 0 && nowMs - this.#lastAckMs < this.#config.maxRtoMs * 2;
    if (this.#retransmits >= this.#config.maxRetransmits && !probing) {
      this.abort(new OasisError('ETIMEDOUT', 'the peer stopped acknowledging data'), nowMs);
      return;
    }
    if (!probing) this.#retransmits++;
    this.#cc.onRetransmitTimeout(this.#flightSize(), nowMs);
    this.#rtt.backoff();
    // RFC 6582 §3.2 step 1 after a timeout; RFC 6675 §5.1: go back to SND.UNA.
    this.#recover = this.#sndMax;
    this.#inRecovery = false;
    this.#inflation = 0;
    this.#dupAcks = 0;
    this.#scoreboard.clear();
    this.#highRxt = seqAdd(this.#sndUna, -1);
    this.#rttSeq = undefined;
    this.#sndNxt = this.#sndUna;
    this.#retransmitFirst = true;
    this.#armRetransmit(nowMs);
    this.#env.markDirty(this);
  }

  // --- Introspection --------------------------------------------------------------------------

  /** A snapshot for logs and tests. */
  describe(): Record<string, number | string | boolean> {
    return {
      state: this.state,
      cwnd: this.#cc.cwnd,
      ssthresh: this.#cc.ssthresh,
      rtoMs: this.#rtt.rtoMs,
      srttMs: this.#rtt.srttMs ?? -1,
      sendMss: this.#effectiveMss(),
      sndWnd: this.#sndWnd,
      inFlight: this.#flightSize(),
      sack: this.#sack,
      timestamps: this.#timestamps,
      sndShift: this.#sndShift,
      rcvShift: this.#rcvShift,
    };
  }
}
