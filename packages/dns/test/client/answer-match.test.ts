import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isAnswerTo } from '../../src/client/answer-match.ts';
import { Rcode, RecordClass, RecordType } from '../../src/wire/constants.ts';
import { type DnsMessage, type DnsQuestion, makeQuery } from '../../src/wire/message.ts';
import { DnsName } from '../../src/wire/name.ts';

const question: DnsQuestion = {
  name: DnsName.of('www.example.test.'),
  type: RecordType.A,
  class: RecordClass.IN,
};
const answer: DnsMessage = { ...makeQuery(0x1234, question), qr: true };

describe('isAnswerTo (RFC 5452 §9.1)', () => {
  it('accepts the answer with the ID and question, the name in any case (RFC 4343)', () => {
    assert.equal(isAnswerTo(answer, 0x1234, question), true);
    const shouted = { ...question, name: DnsName.of('WWW.Example.TEST.') };
    assert.equal(isAnswerTo({ ...answer, questions: [shouted] }, 0x1234, question), true);
  });

  it('refuses another ID, a query, or another name, type or class', () => {
    assert.equal(isAnswerTo(answer, 0x1235, question), false);
    assert.equal(isAnswerTo({ ...answer, qr: false }, 0x1234, question), false);
    for (const other of [
      { ...question, name: DnsName.of('www.example.test.evil.') },
      { ...question, type: RecordType.AAAA },
      { ...question, class: RecordClass.CH },
    ]) {
      assert.equal(isAnswerTo({ ...answer, questions: [other] }, 0x1234, question), false);
    }
  });

  it('refuses two questions, even if one is ours', () => {
    assert.equal(
      isAnswerTo({ ...answer, questions: [question, question] }, 0x1234, question),
      false,
    );
  });

  it('accepts FORMERR and NOTIMP without the question, nothing else without it', () => {
    const bare = { ...answer, questions: [] };
    assert.equal(isAnswerTo({ ...bare, rcode: Rcode.FORMERR }, 0x1234, question), true);
    assert.equal(isAnswerTo({ ...bare, rcode: Rcode.NOTIMP }, 0x1234, question), true);
    assert.equal(isAnswerTo({ ...bare, rcode: Rcode.NOERROR }, 0x1234, question), false);
    assert.equal(isAnswerTo({ ...bare, rcode: Rcode.SERVFAIL }, 0x1234, question), false);
    assert.equal(isAnswerTo({ ...bare, rcode: Rcode.FORMERR }, 0x4321, question), false);
  });
});
