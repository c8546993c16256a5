import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN } from '@oasis/wire';
import fc from 'fast-check';
import {
  FLOW_ORIGINAL,
  FLOW_REPLY,
  FLOW_STATE_NAMES,
  type FlowDirection,
  TCP_CLOSE_WAIT,
  TCP_ESTABLISHED,
  TCP_FIN_WAIT,
  TCP_RESET,
  TCP_SYN_RECEIVED,
  TCP_SYN_SENT,
  TCP_TIME_WAIT,
  type TcpState,
} from '../src/flow-state.ts';
import { nextTcpState } from '../src/tcp-tracking.ts';

const ALL_STATES: readonly TcpState[] = [
  TCP_SYN_SENT,
  TCP_SYN_RECEIVED,
  TCP_ESTABLISHED,
  TCP_FIN_WAIT,
  TCP_CLOSE_WAIT,
  TCP_TIME_WAIT,
  TCP_RESET,
];
const OPENER = FLOW_ORIGINAL;
const ANSWER = FLOW_REPLY;

/** Runs segments (direction, flags) from `state` and names every state reached. */
function walk(state: TcpState, segments: readonly [FlowDirection, number][]): string[] {
  const names: string[] = [];
  for (const [direction, flags] of segments) {
    state = nextTcpState(state, direction, flags);
    names.push(FLOW_STATE_NAMES[state]);
  }
  return names;
}

describe('nextTcpState', () => {
  it('follows an opening, a data exchange and a close started by the opener', () => {
    assert.deepEqual(
      walk(TCP_SYN_SENT, [
        [OPENER, TCP_SYN],
        [ANSWER, TCP_SYN | TCP_ACK],
        [OPENER, TCP_ACK],
        [ANSWER, TCP_ACK | TCP_PSH],
        [OPENER, TCP_FIN | TCP_ACK],
        [ANSWER, TCP_ACK],
        [ANSWER, TCP_FIN | TCP_ACK],
        [OPENER, TCP_ACK],
      ]),
      [
        'syn-sent',
        'syn-received',
        'established',
        'established',
        'fin-wait',
        'fin-wait',
        'time-wait',
        'time-wait',
      ],
    );
  });

  it('tracks a close started by the answering side through close-wait', () => {
    assert.deepEqual(
      walk(TCP_ESTABLISHED, [
        [ANSWER, TCP_FIN | TCP_ACK],
        [OPENER, TCP_ACK | TCP_PSH],
        [OPENER, TCP_FIN | TCP_ACK],
      ]),
      ['close-wait', 'close-wait', 'time-wait'],
    );
  });

  it('completes a simultaneous open (RFC 793 figure 8)', () => {
    assert.deepEqual(
      walk(TCP_SYN_SENT, [
        [ANSWER, TCP_SYN],
        [OPENER, TCP_SYN | TCP_ACK],
        [ANSWER, TCP_SYN | TCP_ACK],
        [OPENER, TCP_ACK],
      ]),
      ['syn-received', 'syn-received', 'syn-received', 'established'],
    );
  });

  it('goes to reset on a RST from either side in every state', () => {
    for (const state of ALL_STATES) {
      for (const direction of [OPENER, ANSWER] as const) {
        assert.equal(nextTcpState(state, direction, TCP_RST | TCP_ACK), TCP_RESET);
      }
    }
  });

  it('reopens from time-wait and reset on a new SYN from the opener only', () => {
    for (const state of [TCP_TIME_WAIT, TCP_RESET] as const) {
      assert.equal(nextTcpState(state, OPENER, TCP_SYN), TCP_SYN_SENT);
      assert.equal(nextTcpState(state, ANSWER, TCP_SYN), state);
      assert.equal(nextTcpState(state, OPENER, TCP_ACK), state);
    }
  });

  it('leaves the state alone for segments that do not fit it', () => {
    // The opener's ACK before any answer, the answer's ACK in place of the opener's, a SYN
    // retransmitted after the handshake, data after a reset.
    assert.equal(nextTcpState(TCP_SYN_SENT, OPENER, TCP_ACK), TCP_SYN_SENT);
    assert.equal(nextTcpState(TCP_SYN_RECEIVED, ANSWER, TCP_ACK), TCP_SYN_RECEIVED);
    assert.equal(nextTcpState(TCP_ESTABLISHED, OPENER, TCP_SYN), TCP_ESTABLISHED);
    assert.equal(nextTcpState(TCP_RESET, ANSWER, TCP_ACK | TCP_PSH), TCP_RESET);
    assert.equal(nextTcpState(TCP_FIN_WAIT, OPENER, TCP_FIN | TCP_ACK), TCP_FIN_WAIT);
  });

  it('counts a FIN during the handshake as a partial close by its sender', () => {
    assert.equal(nextTcpState(TCP_SYN_SENT, OPENER, TCP_FIN), TCP_FIN_WAIT);
    assert.equal(nextTcpState(TCP_SYN_RECEIVED, ANSWER, TCP_FIN | TCP_ACK), TCP_CLOSE_WAIT);
  });

  const segment = fc.tuple(
    fc.constantFrom<FlowDirection>(OPENER, ANSWER),
    fc.integer({ min: 0, max: 0xff }),
  );

  it('never reaches established without passing through syn-received (property)', () => {
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 30 }), (segments) => {
        const names = walk(TCP_SYN_SENT, segments);
        const established = names.indexOf('established');
        if (established < 0) return true;
        return names.slice(0, established).includes('syn-received');
      }),
    );
  });

  it('changes nothing for a segment without SYN, ACK, FIN or RST (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ALL_STATES), segment, (state, [direction, flags]) => {
        const plain = flags & ~(TCP_SYN | TCP_FIN | TCP_RST | TCP_ACK);
        assert.equal(nextTcpState(state, direction, plain), state);
      }),
    );
  });
});
