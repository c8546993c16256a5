// SvcParams of SVCB and HTTPS records (RFC 9460 §2.1, §7, §14.3.2): the keys, the wire format of
// each known key's value, and its presentation form. The wire bytes are the data; decoding
// refuses values that do not fit their key, so that every value decoded has a presentation form
// that reads back to the same bytes. Unknown keys are `keyNNNNN` with the value as a
// character-string.

import { formatIpv6Address, parseIpv4Address, parseIpv6Address } from '@oasis/wire';
import { decodeBase64, encodeBase64 } from './binary-text.ts';
import type { SvcParam } from './record-data.ts';
import { decodeText, escapeText, fail, parseDecimal, quoteText } from './text-fields.ts';

export const SvcParamKey = {
  MANDATORY: 0,
  ALPN: 1,
  NO_DEFAULT_ALPN: 2,
  PORT: 3,
  IPV4HINT: 4,
  ECH: 5,
  IPV6HINT: 6,
} as const;

/** RFC 9460 §14.3.2: key 65535 is reserved as "invalid". */
const INVALID_KEY = 65535;

interface ValueSyntax {
  readonly name: string;
  /** Whether `value` is a well-formed value of the key (RFC 9460 §7, §8). */
  valid(value: Uint8Array): boolean;
  /** The presentation value, without `=`; undefined for a key written alone. */
  format(value: Uint8Array): string | undefined;
  /** The wire value from the presentation value with zone escapes decoded (undefined: none given). */
  parse(text: Uint8Array | undefined): Uint8Array;
}

const COMMA = 0x2c;
const BACKSLASH = 0x5c;

/** A key with a value: fails naming the key when there is none. */
function required(name: string, text: Uint8Array | undefined): Uint8Array {
  if (text === undefined || text.length === 0) fail(`the SvcParam ${name} needs a value`);
  return text;
}

/** A value as the Latin-1 text of its bytes (the values read as text are ASCII). */
function latin1(bytes: Uint8Array): string {
  return String.fromCharCode(...bytes);
}

/** RFC 9460 §7.2: one 16-bit port. */
const port: ValueSyntax = {
  name: 'port',
  valid: (value) => value.length === 2,
  format: (value) => ((value[0]! << 8) | value[1]!).toString(),
  parse(text) {
    const number = parseDecimal(latin1(required('port', text)), 0xffff, 'port');
    return Uint8Array.of(number >> 8, number & 0xff);
  },
};

/** RFC 9460 §7.1: alpn-ids, each a length byte and 1-255 bytes; at least one. */
const alpn: ValueSyntax = {
  name: 'alpn',
  valid(value) {
    if (value.length === 0) return false;
    for (let offset = 0; offset < value.length; offset += 1 + value[offset]!) {
      if (value[offset] === 0 || offset + 1 + value[offset]! > value.length) return false;
    }
    return true;
  },
  format(value) {
    // RFC 9460 Appendix A.1: a comma-separated list in which `,` and `\` inside an item are
    // escaped with `\`, then written as a character-string (escaping those backslashes again).
    const list: number[] = [];
    for (let offset = 0; offset < value.length; offset += 1 + value[offset]!) {
      if (offset > 0) list.push(COMMA);
      for (const byte of value.subarray(offset + 1, offset + 1 + value[offset]!)) {
        if (byte === COMMA || byte === BACKSLASH) list.push(BACKSLASH);
        list.push(byte);
      }
    }
    // dig writes spaces in alpn-ids as \032; quoteText writes no other spaces than literal ones.
    return quoteText(Uint8Array.from(list)).replaceAll(' ', '\\032');
  },
  parse(text) {
    const bytes: number[] = [];
    for (const id of splitValueList(required('alpn', text), 'alpn')) {
      if (id.length > 255) fail(`the alpn-id '${escapeText(id)}' is longer than 255 bytes`);
      bytes.push(id.length, ...id);
    }
    return Uint8Array.from(bytes);
  },
};

/** RFC 9460 §7.1.1: no value. */
const noDefaultAlpn: ValueSyntax = {
  name: 'no-default-alpn',
  valid: (value) => value.length === 0,
  format: () => undefined,
  parse(text) {
    if (text !== undefined && text.length > 0) fail('the SvcParam no-default-alpn takes no value');
    return new Uint8Array(0);
  },
};

/** RFC 9460 §7.3: addresses of a fixed length, comma separated; at least one. */
function addressList(
  name: string,
  length: number,
  format: (address: Uint8Array) => string,
  parse: (text: string) => Uint8Array | string,
): ValueSyntax {
  return {
    name,
    valid: (value) => value.length > 0 && value.length % length === 0,
    format(value) {
      const addresses: string[] = [];
      for (let i = 0; i < value.length; i += length) {
        addresses.push(format(value.subarray(i, i + length)));
      }
      return addresses.join(',');
    },
    parse(text) {
      const parts = latin1(required(name, text)).split(',');
      const bytes = new Uint8Array(parts.length * length);
      parts.forEach((part, i) => {
        const address = parse(part);
        if (typeof address === 'string') fail(`the SvcParam ${name}: ${address}`);
        bytes.set(address, i * length);
      });
      return bytes;
    },
  };
}

const ipv4hint = addressList(
  'ipv4hint',
  4,
  (address) => address.join('.'),
  (text) => {
    const address = parseIpv4Address(text);
    if (!address.ok) return address.error;
    const value = address.value;
    return Uint8Array.of(value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff);
  },
);

const ipv6hint = addressList('ipv6hint', 16, formatIpv6Address, (text) => {
  const address = parseIpv6Address(text);
  return address.ok ? address.value : address.error;
});

/** RFC 9460 §7.3: an ECHConfigList, written in base64. */
const ech: ValueSyntax = {
  name: 'ech',
  valid: () => true,
  format: (value) => (value.length === 0 ? undefined : encodeBase64(value)),
  parse(text) {
    if (text === undefined) return new Uint8Array(0);
    const value = decodeBase64(latin1(text));
    if (value === undefined) fail('the SvcParam ech is not canonical padded base64');
    return value;
  },
};

/** RFC 9460 §8: keys in strictly increasing order, at least one, not `mandatory` itself. */
const mandatory: ValueSyntax = {
  name: 'mandatory',
  valid(value) {
    if (value.length === 0 || value.length % 2 !== 0) return false;
    let previous: number = SvcParamKey.MANDATORY;
    for (let i = 0; i < value.length; i += 2) {
      const key = (value[i]! << 8) | value[i + 1]!;
      if (key <= previous) return false;
      previous = key;
    }
    return true;
  },
  format(value) {
    const names: string[] = [];
    for (let i = 0; i < value.length; i += 2)
      names.push(svcParamKeyName((value[i]! << 8) | value[i + 1]!));
    return names.join(',');
  },
  parse(text) {
    const keys = splitValueList(required('mandatory', text), 'mandatory').map((item) =>
      parseSvcParamKey(latin1(item)),
    );
    // Presentation lists keys in any order, each once (RFC 9460 §8); the wire sorts them.
    keys.sort((a, b) => a - b);
    const bytes = new Uint8Array(keys.length * 2);
    keys.forEach((key, i) => {
      if (key === SvcParamKey.MANDATORY) fail('mandatory may not list itself (RFC 9460 §8)');
      if (key === keys[i - 1]) fail(`mandatory lists ${svcParamKeyName(key)} twice`);
      bytes[2 * i] = key >> 8;
      bytes[2 * i + 1] = key & 0xff;
    });
    return bytes;
  },
};

/** Keys without a syntax of their own: any bytes, as a character-string. */
function opaque(key: number): ValueSyntax {
  return {
    name: `key${key}`,
    valid: () => true,
    format: (value) => (value.length === 0 ? undefined : quoteText(value)),
    parse: (text) => text ?? new Uint8Array(0),
  };
}

const SYNTAXES: ReadonlyMap<number, ValueSyntax> = new Map([
  [SvcParamKey.MANDATORY, mandatory],
  [SvcParamKey.ALPN, alpn],
  [SvcParamKey.NO_DEFAULT_ALPN, noDefaultAlpn],
  [SvcParamKey.PORT, port],
  [SvcParamKey.IPV4HINT, ipv4hint],
  [SvcParamKey.ECH, ech],
  [SvcParamKey.IPV6HINT, ipv6hint],
]);

const KEYS_BY_NAME: ReadonlyMap<string, number> = new Map(
  [...SYNTAXES].map(([key, syntax]) => [syntax.name, key]),
);

function syntaxOf(key: number): ValueSyntax {
  return SYNTAXES.get(key) ?? opaque(key);
}

/** The presentation name of a key: its mnemonic or `keyNNNNN` (RFC 9460 §2.1). */
export function svcParamKeyName(key: number): string {
  return syntaxOf(key).name;
}

/** A key from its mnemonic or `keyNNNNN` (decimal without leading zeros); fails otherwise. */
function parseSvcParamKey(text: string): number {
  const known = KEYS_BY_NAME.get(text);
  if (known !== undefined) return known;
  const generic = /^key(0|[1-9]\d{0,4})$/.exec(text);
  const key = generic === null ? Number.NaN : Number(generic[1]);
  if (!(key < INVALID_KEY)) fail(`'${text}' is not a SvcParamKey (a name or key0-key65534)`);
  return key;
}

/**
 * Whether the params are what RFC 9460 allows: keys strictly increasing (§2.2), never 65535
 * (§14.3.2), each value well-formed for its key, every key that mandatory lists present (§8),
 * and alpn present when no-default-alpn is (§7.1.1).
 */
export function svcParamsValid(params: readonly SvcParam[]): boolean {
  let previous = -1;
  for (const { key, value } of params) {
    if (key <= previous || key >= INVALID_KEY || !syntaxOf(key).valid(value)) return false;
    previous = key;
  }
  return svcParamsConsistencyError(params) === undefined;
}

/** Why keys listed by mandatory or no-default-alpn's need for alpn are not met; undefined when they are. */
export function svcParamsConsistencyError(params: readonly SvcParam[]): string | undefined {
  const keys = new Set(params.map((param) => param.key));
  const listed = params.find((param) => param.key === SvcParamKey.MANDATORY)?.value;
  for (let i = 0; listed !== undefined && i + 1 < listed.length; i += 2) {
    const key = (listed[i]! << 8) | listed[i + 1]!;
    if (!keys.has(key)) return `mandatory lists ${svcParamKeyName(key)}, which is not given`;
  }
  if (keys.has(SvcParamKey.NO_DEFAULT_ALPN) && !keys.has(SvcParamKey.ALPN)) {
    return 'no-default-alpn needs alpn (RFC 9460 §7.1.1)';
  }
  return undefined;
}

/** `key` or `key=value` in presentation form. */
export function formatSvcParam(param: SvcParam): string {
  const syntax = syntaxOf(param.key);
  const value = syntax.format(param.value);
  return value === undefined ? syntax.name : `${syntax.name}=${value}`;
}

/**
 * A param from its key and its value as written (zone escapes still in, quotes removed;
 * undefined when there is no `=`).
 */
export function parseSvcParam(keyText: string, valueText: string | undefined): SvcParam {
  const key = parseSvcParamKey(keyText);
  const text = valueText === undefined ? undefined : decodeText(valueText, keyText);
  return { key, value: syntaxOf(key).parse(text) };
}

/**
 * A comma-separated value list (RFC 9460 Appendix A.1): items split at commas, `\,` and `\\` (or
 * a backslash before any byte) standing for the byte itself; empty items are refused.
 */
function splitValueList(bytes: Uint8Array, name: string): Uint8Array[] {
  const items: Uint8Array[] = [];
  let item: number[] = [];
  for (let i = 0; i <= bytes.length; i++) {
    const byte = bytes[i];
    if (byte === undefined || byte === COMMA) {
      if (item.length === 0) fail(`the SvcParam ${name} has an empty item in its list`);
      items.push(Uint8Array.from(item));
      item = [];
    } else if (byte === BACKSLASH) {
      const escaped = bytes[++i];
      if (escaped === undefined) fail(`the SvcParam ${name} ends in a lone backslash`);
      item.push(escaped);
    } else {
      item.push(byte);
    }
  }
  return items;
}
