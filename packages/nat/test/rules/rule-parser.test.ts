import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { unwrap } from '@oasis/core';
import { parseIpv4Address } from '@oasis/wire';
import fc from 'fast-check';
import { type FirewallRule, formatRule } from '../../src/rules/firewall-rule.ts';
import { parseRules } from '../../src/rules/rule-parser.ts';

const ip = (text: string): number => unwrap(parseIpv4Address(text));

/** The fields that say what a rule matches and does: all but where it was written. */
function meaning(rule: FirewallRule): Omit<FirewallRule, 'line' | 'text'> {
  const { line: _line, text: _text, ...rest } = rule;
  return rest;
}

const EXAMPLE = `# Firewall rules for the work qubes.
# Each line: client action [key=value ...]; first match wins, no match drops.

10.137.0.5      accept specialtarget=dns        # DNS, to the firewall's resolver only
10.137.0.5      accept proto=TCP dstname=Mirror.Example.ORG. dstports=443
10.137.0.0/24\tdrop   proto=udp dst=192.0.2.0/24 dstports=1-1024   # no low UDP ports there
*               ACCEPT proto=icmp icmptype=8    # anyone may ping
10.137.0.6      accept proto=udp specialtarget=dns
   # an indented comment, then a blank line

\t10.137.0.7 accept dst=198.51.100.7 proto=tcp dstports=22-22
* drop
`;

describe('parseRules: a full file', () => {
  it('reads every field, skipping comments and blank lines', () => {
    const rules = unwrap(parseRules(EXAMPLE, 'rules.txt'));
    const host = (text: string) => ({ address: ip(text), prefixLength: 32 });
    const common = {
      client: undefined,
      protocol: undefined,
      destination: undefined,
      destinationName: undefined,
      ports: undefined,
      icmpType: undefined,
      dns: false,
    };
    assert.deepEqual(rules, [
      {
        ...common,
        line: 4,
        text: '10.137.0.5      accept specialtarget=dns',
        client: host('10.137.0.5'),
        action: 'accept',
        dns: true,
      },
      {
        ...common,
        line: 5,
        text: '10.137.0.5      accept proto=TCP dstname=Mirror.Example.ORG. dstports=443',
        client: host('10.137.0.5'),
        action: 'accept',
        protocol: 6,
        destinationName: 'mirror.example.org',
        ports: { first: 443, last: 443 },
      },
      {
        ...common,
        line: 6,
        text: '10.137.0.0/24\tdrop   proto=udp dst=192.0.2.0/24 dstports=1-1024',
        client: { address: ip('10.137.0.0'), prefixLength: 24 },
        action: 'drop',
        protocol: 17,
        destination: { address: ip('192.0.2.0'), prefixLength: 24 },
        ports: { first: 1, last: 1024 },
      },
      {
        ...common,
        line: 7,
        text: '*               ACCEPT proto=icmp icmptype=8',
        action: 'accept',
        protocol: 1,
        icmpType: 8,
      },
      {
        ...common,
        line: 8,
        text: '10.137.0.6      accept proto=udp specialtarget=dns',
        client: host('10.137.0.6'),
        action: 'accept',
        protocol: 17,
        dns: true,
      },
      {
        ...common,
        line: 11,
        text: '10.137.0.7 accept dst=198.51.100.7 proto=tcp dstports=22-22',
        client: host('10.137.0.7'),
        action: 'accept',
        protocol: 6,
        destination: host('198.51.100.7'),
        ports: { first: 22, last: 22 },
      },
      { ...common, line: 12, text: '* drop', action: 'drop' },
    ]);
  });

  it('formats each rule in a canonical order', () => {
    const rules = unwrap(parseRules(EXAMPLE, 'rules.txt'));
    assert.deepEqual(rules.map(formatRule), [
      '10.137.0.5 accept specialtarget=dns',
      '10.137.0.5 accept proto=tcp dstname=mirror.example.org dstports=443',
      '10.137.0.0/24 drop proto=udp dst=192.0.2.0/24 dstports=1-1024',
      '* accept proto=icmp icmptype=8',
      '10.137.0.6 accept proto=udp specialtarget=dns',
      '10.137.0.7 accept proto=tcp dst=198.51.100.7 dstports=22',
      '* drop',
    ]);
  });

  it('accepts an empty file, CRLF line ends and a byte order mark', () => {
    assert.deepEqual(unwrap(parseRules('', 'empty')), []);
    assert.deepEqual(unwrap(parseRules('# nothing\n\n', 'empty')), []);
    const rules = unwrap(parseRules('\uFEFF* accept\r\n10.0.0.0/8 drop\r\n', 'crlf'));
    assert.deepEqual(
      rules.map((rule) => [rule.line, rule.text]),
      [
        [1, '* accept'],
        [2, '10.0.0.0/8 drop'],
      ],
    );
  });

  it('accepts the extremes of each range', () => {
    const rules = unwrap(
      parseRules(
        [
          '0.0.0.0/0 accept proto=tcp dstports=1-65535',
          '* accept proto=icmp icmptype=0',
          '* accept proto=icmp icmptype=255',
          '* accept dst=0.0.0.0/0',
          `* accept dstname=${'a'.repeat(63)}.example`,
          '* accept dstname=_sip._udp.example.com',
        ].join('\n'),
        'edges',
      ),
    );
    assert.deepEqual(rules[0]?.client, { address: 0, prefixLength: 0 });
    assert.deepEqual(rules[0]?.ports, { first: 1, last: 65535 });
    assert.equal(rules[1]?.icmpType, 0);
    assert.equal(rules[2]?.icmpType, 255);
    assert.deepEqual(rules[3]?.destination, { address: 0, prefixLength: 0 });
    assert.equal(rules[4]?.destinationName, `${'a'.repeat(63)}.example`);
    assert.equal(rules[5]?.destinationName, '_sip._udp.example.com');
  });
});

describe('parseRules: errors', () => {
  // Each case: the file's lines, the line of the error, and its reason.
  const cases: readonly [string, string, number, string][] = [
    ['missing action', '10.0.0.1', 1, 'missing action: expected accept or drop after the client'],
    [
      'an option where the action belongs',
      '* proto=tcp',
      1,
      "missing action before 'proto=tcp': expected accept or drop after the client",
    ],
    ['unknown action', '* allow', 1, "unknown action 'allow': expected accept or drop"],
    [
      'missing client',
      'accept proto=tcp',
      1,
      "missing client address before 'accept': use an address, a CIDR or * for any client",
    ],
    [
      'bad client address',
      '10.0.0.256 accept',
      1,
      "bad client address: '10.0.0.256' is not an IPv4 address: 256 is not an octet",
    ],
    [
      'bad client prefix length',
      '10.0.0.0/33 accept',
      1,
      "bad client address: '10.0.0.0/33' is not an IPv4 prefix: '33' is not a prefix length (0-32)",
    ],
    [
      'client CIDR with host bits',
      '10.137.0.5/24 accept',
      1,
      "bad client address: '10.137.0.5/24' has host bits set: write 10.137.0.0/24 for the network or 10.137.0.5 for the host",
    ],
    ['option without =', '* accept tcp', 1, "expected key=value, got 'tcp'"],
    ['option without key', '* accept =tcp', 1, "expected key=value, got '=tcp'"],
    [
      'unknown key',
      '* accept port=80',
      1,
      "unknown key 'port': expected proto, dst, dstname, dstports, icmptype, specialtarget",
    ],
    ['duplicate key, any case', '* accept proto=tcp PROTO=udp', 1, "duplicate key 'proto'"],
    ['empty value', '* accept proto=', 1, "empty value for 'proto'"],
    [
      'unknown protocol',
      '* accept proto=sctp',
      1,
      "unknown protocol 'sctp': expected tcp, udp, icmp",
    ],
    [
      'bad dst',
      '* accept dst=192.0.2',
      1,
      "bad dst: '192.0.2' is not an IPv4 address: expected four decimal octets such as 10.0.0.1",
    ],
    [
      'dst CIDR with host bits',
      '* accept dst=192.0.2.1/24',
      1,
      "bad dst: '192.0.2.1/24' has host bits set: write 192.0.2.0/24 for the network or 192.0.2.1 for the host",
    ],
    [
      'dstname with a bad character',
      '* accept dstname=exa*mple.com',
      1,
      "bad dstname 'exa*mple.com': label 'exa*mple' has a character other than a letter, digit, '-' or '_'",
    ],
    [
      'dstname that is an address',
      '* accept dstname=192.0.2.1',
      1,
      "bad dstname '192.0.2.1': that is an address, write dst=192.0.2.1",
    ],
    [
      'dstname with a numeric top-level label',
      '* accept dstname=host.123',
      1,
      "bad dstname 'host.123': the last label is all digits, which no DNS name has",
    ],
    [
      'dstname with a long label',
      `* accept dstname=${'a'.repeat(64)}.com`,
      1,
      `bad dstname '${'a'.repeat(64)}.com': label '${'a'.repeat(64)}' is longer than 63 characters`,
    ],
    [
      'dstname with an empty label',
      '* accept dstname=a..com',
      1,
      "bad dstname 'a..com': empty label",
    ],
    [
      'dstname label ending in a hyphen',
      '* accept dstname=a-.com',
      1,
      "bad dstname 'a-.com': label 'a-' starts or ends with '-'",
    ],
    [
      'dstname too long',
      `* accept dstname=${'abcdefg.'.repeat(32)}com`,
      1,
      `bad dstname '${'abcdefg.'.repeat(32)}com': a DNS name has 1-253 characters`,
    ],
    [
      'both dst and dstname',
      '* accept dst=192.0.2.1 dstname=example.com',
      1,
      'both dst and dstname: a rule has at most one destination',
    ],
    [
      'bad port text',
      '* accept proto=tcp dstports=http',
      1,
      "bad dstports 'http': expected a port N or a range N-M",
    ],
    [
      'port range with three parts',
      '* accept proto=tcp dstports=1-2-3',
      1,
      "bad dstports '1-2-3': expected a port N or a range N-M",
    ],
    ['port 0', '* accept proto=tcp dstports=0', 1, 'port 0 out of range (1-65535)'],
    ['port 65536', '* accept proto=udp dstports=80-65536', 1, 'port 65536 out of range (1-65535)'],
    [
      'reversed range',
      '* accept proto=tcp dstports=443-80',
      1,
      'reversed port range 443-80: the first port must not exceed the last',
    ],
    ['dstports without proto', '* accept dstports=80', 1, 'dstports needs proto=tcp or proto=udp'],
    [
      'dstports with icmp',
      '* accept proto=icmp dstports=80',
      1,
      'dstports needs proto=tcp or proto=udp',
    ],
    [
      'bad icmptype',
      '* accept proto=icmp icmptype=echo',
      1,
      "bad icmptype 'echo': expected a number 0-255",
    ],
    ['icmptype 256', '* accept proto=icmp icmptype=256', 1, 'icmptype 256 out of range (0-255)'],
    ['icmptype with tcp', '* accept proto=tcp icmptype=8', 1, 'icmptype needs proto=icmp'],
    [
      'unknown specialtarget',
      '* accept specialtarget=ntp',
      1,
      "unknown specialtarget 'ntp': only specialtarget=dns is defined",
    ],
    [
      'specialtarget=dns with icmp',
      '* accept proto=icmp specialtarget=dns',
      1,
      'specialtarget=dns needs proto=tcp, proto=udp or no proto',
    ],
    [
      'specialtarget=dns with dst',
      '* accept dst=192.0.2.1 specialtarget=dns',
      1,
      "specialtarget=dns cannot be combined with dst: it already means the firewall's DNS service on port 53",
    ],
    [
      'specialtarget=dns with dstname',
      '* accept specialtarget=dns dstname=example.com',
      1,
      "specialtarget=dns cannot be combined with dstname: it already means the firewall's DNS service on port 53",
    ],
    [
      'specialtarget=dns with dstports',
      '* accept proto=udp dstports=53 specialtarget=dns',
      1,
      "specialtarget=dns cannot be combined with dstports: it already means the firewall's DNS service on port 53",
    ],
    [
      'the first error of a line, in the order written',
      '* accept dstports=0 proto=sctp',
      1,
      'port 0 out of range (1-65535)',
    ],
    [
      'the first error of the file, on its line',
      '# header\n* accept\n\n10.0.0.1 accept proto=tcp dstports=99999 # oops\n* allow',
      4,
      'port 99999 out of range (1-65535)',
    ],
  ];

  for (const [title, text, line, reason] of cases) {
    it(title, () => {
      assert.deepEqual(parseRules(text, 'rules.txt'), {
        ok: false,
        error: `rules.txt:${line}: ${reason}`,
      });
    });
  }
});

describe('parseRules: properties', () => {
  const KEYS = ['proto', 'dst', 'dstname', 'dstports', 'icmptype', 'specialtarget'];
  const octet = fc.integer({ min: 0, max: 255 });
  const prefix = fc
    .tuple(fc.integer({ min: 0, max: 0xffff_ffff }), fc.integer({ min: 0, max: 32 }))
    .map(([address, prefixLength]) => ({
      // Only the network address is a valid prefix: clear the host bits.
      address:
        prefixLength === 0 ? 0 : ((address >>> (32 - prefixLength)) << (32 - prefixLength)) >>> 0,
      prefixLength,
    }));
  const label = fc.stringMatching(/^[a-z0-9_]([a-z0-9_-]{0,10}[a-z0-9_])?$/);
  const name = fc
    .tuple(fc.array(label, { minLength: 0, maxLength: 3 }), fc.stringMatching(/^[a-z]{1,6}$/))
    .map(([labels, top]) => [...labels, top].join('.'));
  const port = fc.integer({ min: 1, max: 65535 });
  const ports = fc
    .tuple(port, port)
    .map(([a, b]) => ({ first: Math.min(a, b), last: Math.max(a, b) }));

  /** Rules as the parser can produce them: every combination its checks allow. */
  const rule: fc.Arbitrary<FirewallRule> = fc
    .record({
      client: fc.option(prefix, { nil: undefined }),
      action: fc.constantFrom('accept' as const, 'drop' as const),
      kind: fc.constantFrom('tcp-udp', 'icmp', 'any', 'dns'),
      protocol: fc.constantFrom(6, 17),
      destination: fc.option(fc.oneof(prefix, name), { nil: undefined }),
      ports: fc.option(ports, { nil: undefined }),
      icmpType: fc.option(octet, { nil: undefined }),
      dnsProtocol: fc.option(fc.constantFrom(6, 17), { nil: undefined }),
    })
    .map(({ client, action, kind, protocol, destination, ports, icmpType, dnsProtocol }) => {
      const dns = kind === 'dns';
      const where = dns ? undefined : destination;
      return {
        line: 1,
        text: '',
        client,
        action,
        protocol:
          kind === 'tcp-udp' ? protocol : kind === 'icmp' ? 1 : dns ? dnsProtocol : undefined,
        destination: typeof where === 'object' ? where : undefined,
        destinationName: typeof where === 'string' ? where : undefined,
        ports: kind === 'tcp-udp' ? ports : undefined,
        icmpType: kind === 'icmp' ? icmpType : undefined,
        dns,
      };
    });

  it('formatting a rule and parsing it back gives the same rule', () => {
    fc.assert(
      fc.property(rule, (original) => {
        const text = formatRule(original);
        const parsed = parseRules(text, 'round-trip');
        assert.ok(parsed.ok, `${text}: ${parsed.ok ? '' : parsed.error}`);
        assert.equal(parsed.value.length, 1);
        assert.deepEqual(meaning(parsed.value[0]!), meaning(original));
        assert.equal(parsed.value[0]!.text, text);
      }),
    );
  });

  const noise = fc.oneof(fc.string({ maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 8 }));
  const client = fc.oneof(
    { arbitrary: fc.constantFrom('*', '10.0.0.1', '10.0.0.0/8', 'accept'), weight: 5 },
    { arbitrary: noise, weight: 1 },
  );
  const action = fc.oneof(
    { arbitrary: fc.constantFrom('accept', 'DROP', 'proto=tcp'), weight: 5 },
    { arbitrary: noise, weight: 1 },
  );
  const option = fc.oneof(
    {
      weight: 12,
      arbitrary: fc.constantFrom(
        'proto=tcp',
        'proto=UDP',
        'proto=icmp',
        'dst=192.0.2.0/24',
        'dstname=Example.com.',
        'dstports=80',
        'dstports=1-1024',
        'icmptype=8',
        'specialtarget=dns',
        '#',
        '=',
      ),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(fc.constantFrom(...KEYS), noise).map(([key, value]) => `${key}=${value}`),
    },
    { weight: 1, arbitrary: noise },
  );
  // Mostly lines shaped like rules, so that many parse, with noise anywhere.
  const line = fc
    .tuple(
      client,
      action,
      fc.array(option, { maxLength: 4 }),
      fc.constantFrom(' ', '\t', ' \t '),
      fc.constantFrom('', '  # comment', '\r'),
    )
    .map(([first, second, options, separator, end]) =>
      [first, second, ...options].join(separator).concat(end),
    );

  it('never throws on random lines, and what parses formats back to the same rules', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof({ arbitrary: line, weight: 9 }, { arbitrary: noise, weight: 1 }), {
          maxLength: 3,
        }),
        (lines) => {
          const parsed = parseRules(lines.join('\n'), 'random');
          if (!parsed.ok) {
            assert.match(parsed.error, /^random:[1-9][0-9]*: ./);
            return;
          }
          const again = unwrap(parseRules(parsed.value.map(formatRule).join('\n'), 'again'));
          assert.deepEqual(again.map(meaning), parsed.value.map(meaning));
        },
      ),
      { numRuns: 2000 },
    );
  });
});
