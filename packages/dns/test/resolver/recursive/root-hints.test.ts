// parseRootHints on named.root-style text, and IANA's root servers.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseIpv4Address } from '@oasis/wire';
import { IANA_ROOT_HINTS } from '../../../src/resolver/recursive/iana-root-hints.ts';
import { parseRootHints } from '../../../src/resolver/recursive/root-hints.ts';

// The shape of IANA's named.root: comments, no class, upper-case names, A and AAAA per server.
const NAMED_ROOT = `
;       This file holds the information on root name servers needed to
;       initialize cache of Internet domain name servers
;
; FORMERLY NS.INTERNIC.NET
;
.                        3600000      NS    A.ROOT-SERVERS.NET.
A.ROOT-SERVERS.NET.      3600000      A     198.41.0.4
A.ROOT-SERVERS.NET.      3600000      AAAA  2001:503:ba3e::2:30
;
; FORMERLY NS1.ISI.EDU
;
.                        3600000      NS    B.ROOT-SERVERS.NET.
B.ROOT-SERVERS.NET.      3600000      A     170.247.170.2
B.ROOT-SERVERS.NET.      3600000      AAAA  2801:1b8:10::b
; End of file
`;

describe('parseRootHints', () => {
  it('reads the servers and their addresses', () => {
    const parsed = parseRootHints(NAMED_ROOT, 'named.root');
    assert.ok(parsed.ok);
    assert.deepEqual(
      parsed.value.map((hint) => [hint.name.toString(), hint.addresses]),
      [
        ['A.ROOT-SERVERS.NET.', ['198.41.0.4', '2001:503:ba3e::2:30']],
        ['B.ROOT-SERVERS.NET.', ['170.247.170.2', '2801:1b8:10::b']],
      ],
    );
  });

  it('refuses what is not a root hints file, saying where', () => {
    const cases: [string, RegExp][] = [
      ['A.ROOT-SERVERS.NET. 3600 A 198.41.0.4', /no NS records at the root/],
      ['. 3600 NS A.ROOT-SERVERS.NET.', /A\.ROOT-SERVERS\.NET\. has no A or AAAA record/],
      [`${NAMED_ROOT}\nexample. 3600 A 192.0.2.1`, /example\. A: a root hints file holds only/],
      [`${NAMED_ROOT}\ncom. 3600 NS a.gtld-servers.net.`, /com\. NS: a root hints file holds only/],
      [`${NAMED_ROOT}\nA.ROOT-SERVERS.NET. 3600 TXT "x"`, /TXT: a root hints file holds only/],
      ['. 3600 NS A.ROOT-SERVERS.NET.\nA.ROOT-SERVERS.NET. 3600 A 198.41.0', /^hints:2: /],
    ];
    for (const [text, message] of cases) {
      const parsed = parseRootHints(text, 'hints');
      assert.ok(!parsed.ok, text);
      assert.match(parsed.error, message);
    }
  });
});

describe('IANA_ROOT_HINTS', () => {
  it('has a to m.root-servers.net, each with an IPv4 and an IPv6 address', () => {
    assert.deepEqual(
      IANA_ROOT_HINTS.map((hint) => hint.name.toString()),
      [...'abcdefghijklm'].map((letter) => `${letter}.root-servers.net.`),
    );
    for (const hint of IANA_ROOT_HINTS) {
      assert.equal(hint.addresses.length, 2);
      assert.ok(parseIpv4Address(hint.addresses[0]!).ok, hint.addresses[0]);
      assert.ok(hint.addresses[1]!.includes(':'), hint.addresses[1]);
    }
    assert.equal(new Set(IANA_ROOT_HINTS.flatMap((hint) => hint.addresses)).size, 26);
  });
});
