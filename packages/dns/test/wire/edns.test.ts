import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex, toHex } from '@oasis/core';
import { EdnsOptionCode } from '../../src/wire/constants.ts';
import {
  cookieOption,
  defaultEdns,
  ExtendedError,
  extendedErrorOption,
  findOption,
  nsidOption,
  paddingOption,
  readCookie,
  readExtendedError,
} from '../../src/wire/edns.ts';
import { decodeMessage, encodeMessage, makeQuery } from '../../src/wire/message.ts';
import { DnsName } from '../../src/wire/name.ts';

describe('EDNS options', () => {
  it('reads client and server cookies and refuses malformed lengths (RFC 7873 §4, §5.2.2)', () => {
    const client = fromHex('0102030405060708');
    assert.deepEqual(readCookie(cookieOption({ client })), { client });
    const server = fromHex('1112131415161718');
    const both = readCookie(cookieOption({ client, server }));
    assert.equal(toHex(both?.server ?? new Uint8Array()), '1112131415161718');
    for (const length of [0, 7, 9, 15, 41]) {
      assert.equal(
        readCookie({ code: EdnsOptionCode.COOKIE, data: new Uint8Array(length) }),
        undefined,
      );
    }
  });

  it('writes and reads extended errors (RFC 8914 §2)', () => {
    const option = extendedErrorOption(ExtendedError.BLOCKED, 'ads');
    assert.equal(toHex(option.data), '000f616473');
    assert.deepEqual(readExtendedError(option), { infoCode: 15, extraText: 'ads' });
    assert.equal(readExtendedError({ code: 15, data: Uint8Array.of(0) }), undefined);
  });

  it('pads a message to a multiple of the block length (RFC 7830, RFC 8467 §4.1)', () => {
    const query = makeQuery(1, { name: DnsName.of('www.example.com.'), type: 1, class: 1 });
    const unpadded = encodeMessage({ ...query, edns: defaultEdns(1232) }).length;
    const padded = encodeMessage({
      ...query,
      edns: defaultEdns(1232, [paddingOption(unpadded, 128)]),
    });
    assert.equal(padded.length, 128);
    const nsid = new TextEncoder().encode('ns1');
    const back = decodeMessage(
      encodeMessage({ ...query, edns: defaultEdns(1232, [nsidOption(nsid)]) }),
    );
    assert.ok(back.ok);
    assert.equal(
      new TextDecoder().decode(findOption(back.value.edns, EdnsOptionCode.NSID)?.data),
      'ns1',
    );
    assert.equal(findOption(undefined, EdnsOptionCode.NSID), undefined);
  });
});
