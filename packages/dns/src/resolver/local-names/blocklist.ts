// Blocklists of advertising and tracking domains (the Mirage Hole), and the merged lists asked
// whether a name is blocked.
//
// Three formats, recognised line by line so that lists of different formats can be concatenated:
//   hosts    `0.0.0.0 ads.example` (names after a blackhole address, the StevenBlack style)
//   domains  `ads.example` (one name per line)
//   adblock  `||ads.example^` (the part of AdBlock Plus filter syntax that names a domain and
//            everything below it; the subset Pi-hole's gravity and AdGuard Home read as DNS rules)
// `#` starts a comment at the start of a line or after a blank (a `#` inside a field is AdBlock
// cosmetic syntax, `example.com##.ad`, which must not read as `example.com`); `!` starts an
// AdBlock comment and `[Adblock Plus 2.0]` is a header. Every other AdBlock rule (exceptions
// `@@`, options `$`, wildcards, paths, regular expressions, cosmetic filters) is skipped and
// counted. Like Pi-hole's gravity, the local names hosts-format lists start with (`localhost`,
// `broadcasthost`, `ip6-allnodes`, ...) are skipped, and single-label names are refused: one
// stray `com` would otherwise block a whole top-level domain.
//
// Matching: a listed name blocks itself and every name below it. That is the semantics of
// dnsmasq's `address=/ads.example/` and of AdBlock's `||ads.example^`, which Pi-hole applies to
// its wildcard (regex) lists and AdGuard Home to all of its lists. Pi-hole's plain gravity lists
// block the exact name only; with that semantics a tracker escapes a list by moving to a fresh
// subdomain. Blocking is label by label: `ads.example.com` blocks `x.ads.example.com` but
// neither `bads.example.com` nor `example.com`.

import type { DnsName } from '../../wire/name.ts';
import { parseHostAddress } from './host-address.ts';
import { parseHostName } from './host-name.ts';
import { LabelArena } from './label-arena.ts';
import { forEachLine, type ListLineError, splitFields } from './list-lines.ts';

/** How a line lists names (see the file comment). */
export type BlocklistFormat = 'hosts' | 'domains' | 'adblock';

export interface ParsedBlocklist {
  /** As written (case kept), absolute, in list order; duplicates are kept (BlockedNames merges). */
  readonly names: readonly DnsName[];
  /**
   * Lines understood and skipped on purpose: AdBlock rules outside the `||name^` subset, and
   * lines naming only the local names Pi-hole skips. Blank and comment lines are not counted.
   */
  readonly ignoredLines: number;
  readonly errors: readonly ListLineError[];
  /** How many lines of each format gave at least one name. */
  readonly formats: Readonly<Record<BlocklistFormat, number>>;
}

// The addresses hosts-format blocklists map names to: nowhere (RFC 1122 §3.2.1.3 (a), RFC 4291
// §2.5.2), the loopback (RFC 1122 §3.2.1.3 (g), RFC 4291 §2.5.3), and `0`, which some lists
// write for 0.0.0.0 (inet_aton's one-number form). Canonical text, as parseHostAddress gives it.
const BLACKHOLE_ADDRESSES = new Set(['0.0.0.0', '127.0.0.1', '::', '::1', '0']);

// The names Pi-hole's gravity skips in lists (they are the hosts file's own local names).
const IGNORED_NAMES = new Set([
  'localhost',
  'localhost.localdomain',
  'local',
  'broadcasthost',
  '0.0.0.0',
]);
// And `ip6-*`: Debian's ip6-localhost, ip6-allnodes, ...; only as one label, so that a tracker
// named ip6-ads.example is still blocked.
const IGNORED_PREFIX = 'ip6-';

// Characters of AdBlock filter syntax that no host name has.
const ADBLOCK_SYNTAX = /[|^$*#/@]/;

export function parseBlocklist(text: string): ParsedBlocklist {
  const names: DnsName[] = [];
  const errors: ListLineError[] = [];
  const arena = new LabelArena();
  const formats = { hosts: 0, domains: 0, adblock: 0 };
  let ignoredLines = 0;

  /** Adds a listed name; false (and an error) when it is not one. */
  const addName = (text: string, lineNumber: number): boolean => {
    const name = parseHostName(text, arena);
    if (!name.ok) errors.push({ line: lineNumber, reason: name.error });
    else if (name.value.labels.length < 2) {
      errors.push({ line: lineNumber, reason: `'${text}' is a single label (a top-level domain)` });
    } else {
      names.push(name.value);
      return true;
    }
    return false;
  };

  const hostsLine = (address: string, listed: readonly string[], lineNumber: number): void => {
    const kept = listed.filter((name) => !isIgnoredName(name));
    if (kept.length === 0) {
      ignoredLines++;
    } else if (!BLACKHOLE_ADDRESSES.has(address)) {
      errors.push({
        line: lineNumber,
        reason: `names mapped to ${address}, which is not a blocking address (0.0.0.0, 127.0.0.1, ::, ::1, 0): that is a hosts file`,
      });
    } else {
      let added = false;
      for (const name of kept) added = addName(name, lineNumber) || added;
      if (added) formats.hosts++;
    }
  };

  const singleField = (field: string, lineNumber: number): void => {
    const adblock = field.startsWith('||') && field.endsWith('^');
    const nameText = adblock ? field.slice(2, -1) : field;
    if (ADBLOCK_SYNTAX.test(nameText)) {
      ignoredLines++;
    } else if (isIgnoredName(nameText)) {
      ignoredLines++;
    } else if (addressOf(nameText) !== undefined) {
      errors.push({
        line: lineNumber,
        reason: `the address ${nameText} is not followed by a name`,
      });
    } else if (addName(nameText, lineNumber)) {
      formats[adblock ? 'adblock' : 'domains']++;
    }
  };

  forEachLine(text, (line, lineNumber) => {
    const fields = splitFields(withoutComment(line));
    const first = fields[0];
    if (first === undefined || first.startsWith('!') || first.startsWith('[')) return;
    if (fields.length === 1) {
      singleField(first, lineNumber);
      return;
    }
    const address = addressOf(first);
    if (address === undefined) {
      errors.push({
        line: lineNumber,
        reason: `expected one name, or an address followed by names; '${first}' is not an address`,
      });
    } else {
      hostsLine(address, fields.slice(1), lineNumber);
    }
  });
  return { names, ignoredLines, errors, formats };
}

/** The line up to a `#` that starts it or follows a blank (see splitFields for blanks). */
function withoutComment(line: string): string {
  for (let hash = line.indexOf('#'); hash >= 0; hash = line.indexOf('#', hash + 1)) {
    if (hash === 0 || line.charCodeAt(hash - 1) <= 0x20) return line.slice(0, hash);
  }
  return line;
}

/** The canonical text of the address `field` is (its zone index dropped), or undefined. */
function addressOf(field: string): string | undefined {
  if (field === '0' || BLACKHOLE_ADDRESSES.has(field)) return field;
  // Only digits start a dotted quad, and only IPv6 has a colon: skip the parse for names.
  const code = field.charCodeAt(0);
  if (!(code >= 0x30 && code <= 0x39) && !field.includes(':')) return undefined;
  const percent = field.indexOf('%');
  // A zone index (`fe80::1%lo0`, RFC 4007 §11) appears in the local lines lists start with.
  const parsed = parseHostAddress(percent < 0 ? field : field.slice(0, percent));
  return parsed.ok ? parsed.value.text : undefined;
}

function isIgnoredName(text: string): boolean {
  // Each ignored name starts with '0', 'b', 'i' or 'l': most names are refused by one comparison.
  const first = text.charCodeAt(0) | 0x20;
  if (first !== 0x30 && first !== 0x62 && first !== 0x69 && first !== 0x6c) return false;
  const lower = text.toLowerCase();
  const bare = lower.endsWith('.') ? lower.slice(0, -1) : lower;
  return IGNORED_NAMES.has(bare) || (bare.startsWith(IGNORED_PREFIX) && !bare.includes('.'));
}

const BACKSLASH = 0x5c;
const DOT = 0x2e;

export class BlockedNames {
  /** Distinct names listed (by key: names equal under RFC 4343 count once). */
  readonly size: number;
  /** Listed names by key; the first spelling seen is kept. */
  readonly #byKey = new Map<string, DnsName>();

  /** Merges lists; a name blocks itself and every name below it (dnsmasq's semantics, see the file comment). */
  constructor(lists: readonly (readonly DnsName[])[]) {
    for (const list of lists) {
      for (const name of list) if (!this.#byKey.has(name.key)) this.#byKey.set(name.key, name);
    }
    this.size = this.#byKey.size;
  }

  /**
   * The listed name that blocks `name` (itself or its closest listed ancestor), or undefined.
   * The keys of the ancestors are suffixes of the name's key that start after an unescaped dot
   * (a `\.` inside a label is not a boundary, RFC 1035 §5.1), so the walk allocates only those
   * suffixes: one map lookup per label.
   */
  match(name: DnsName): DnsName | undefined {
    if (this.size === 0) return undefined;
    const key = name.key;
    const itself = this.#byKey.get(key);
    if (itself !== undefined) return itself;
    for (let i = 0; i < key.length; i++) {
      const code = key.charCodeAt(i);
      if (code === BACKSLASH) {
        // `\X` or `\DDD` (RFC 1035 §5.1): the character after a backslash is never a boundary,
        // and the digits of `\DDD` are not dots.
        i++;
      } else if (code === DOT) {
        const ancestor = this.#byKey.get(i === key.length - 1 ? '.' : key.slice(i + 1));
        if (ancestor !== undefined) return ancestor;
      }
    }
    return undefined;
  }
}
