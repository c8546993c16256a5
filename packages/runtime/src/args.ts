// Runtime arguments: typed, documented, with defaults. A service declares its own; each target
// adds its device arguments (`--tap`, `--ipv4`, `--root DIR`). Keys are camelCase and appear on
// the command line in kebab-case (`cacheSize` → `--cache-size`). Parsing a user's command line
// never throws: a mistake is one message for the user, and the caller exits with code 64.

import { err, ok, type Result } from '@oasis/core';

interface ArgCommon {
  /** One line for `--help`. */
  readonly doc: string;
  /** The value's name in `--help` (`--port N`). */
  readonly placeholder?: string;
}

export interface StringArg extends ArgCommon {
  readonly kind: 'string';
  readonly default?: string;
  readonly required?: boolean;
  /** When given, the only values accepted. */
  readonly choices?: readonly string[];
  /** Checks a value: the reason it is wrong (`expected IP/LEN`), or undefined when it is fine. */
  readonly check?: (text: string) => string | undefined;
}

export interface IntegerArg extends ArgCommon {
  readonly kind: 'integer';
  readonly default?: number;
  readonly required?: boolean;
  readonly min?: number;
  readonly max?: number;
}

/** A switch without a value: false unless given. */
export interface FlagArg extends ArgCommon {
  readonly kind: 'flag';
}

/** A repeatable option; its values in command-line order. */
export interface ListArg extends ArgCommon {
  readonly kind: 'list';
  /** Checks each value, as for a string. */
  readonly check?: (text: string) => string | undefined;
}

export type ArgSpec = StringArg | IntegerArg | FlagArg | ListArg;
export type ArgSpecs = Readonly<Record<string, ArgSpec>>;

type Known<S, T> = S extends { readonly default: T } | { readonly required: true }
  ? T
  : T | undefined;

export type ArgValue<S extends ArgSpec> = S extends FlagArg
  ? boolean
  : S extends ListArg
    ? readonly string[]
    : S extends IntegerArg
      ? Known<S, number>
      : Known<S, string>;

export type ArgValues<A extends ArgSpecs> = { readonly [K in keyof A]: ArgValue<A[K]> };

/** Constructors that keep the literal options, so a default makes the value's type definite. */
export const arg = {
  string: <const O extends Omit<StringArg, 'kind'>>(
    options: O,
  ): O & { readonly kind: 'string' } => ({
    ...options,
    kind: 'string',
  }),
  integer: <const O extends Omit<IntegerArg, 'kind'>>(
    options: O,
  ): O & { readonly kind: 'integer' } => ({ ...options, kind: 'integer' }),
  /** An integer in 0-65535 (0 lets the stack choose, where that makes sense). */
  port: <const O extends Omit<IntegerArg, 'kind' | 'min' | 'max'>>(
    options: O,
  ): O & { readonly kind: 'integer'; readonly min: 0; readonly max: 65535 } => ({
    placeholder: 'PORT',
    ...options,
    kind: 'integer',
    min: 0,
    max: 65535,
  }),
  flag: (options: Omit<FlagArg, 'kind'>): FlagArg => ({ ...options, kind: 'flag' }),
  list: (options: Omit<ListArg, 'kind'>): ListArg => ({ ...options, kind: 'list' }),
};

/** `cacheSize` → `--cache-size`. */
export function optionName(key: string): string {
  return `--${key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
}

export type ParsedArgs<A extends ArgSpecs> =
  | { readonly kind: 'help' }
  | { readonly kind: 'values'; readonly values: ArgValues<A> };

/**
 * Parses `--name value`, `--name=value` and flags (`--name`, `--name=true|false`). `--help` or
 * `-h` anywhere asks for help. The error is one line naming the option.
 */
export function parseArgs<A extends ArgSpecs>(
  specs: A,
  argv: readonly string[],
): Result<ParsedArgs<A>, string> {
  if (argv.includes('--help') || argv.includes('-h')) return ok({ kind: 'help' });
  const byOption = new Map(Object.keys(specs).map((key) => [optionName(key), key]));
  const given = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i] as string;
    if (!word.startsWith('--')) return err(`unexpected argument '${word}' (options start with --)`);
    const equals = word.indexOf('=');
    const option = equals < 0 ? word : word.slice(0, equals);
    const key = byOption.get(option);
    if (key === undefined) return err(`unknown option ${option} (see --help)`);
    const spec = specs[key] as ArgSpec;
    let text: string;
    if (equals >= 0) text = word.slice(equals + 1);
    else if (spec.kind === 'flag') text = 'true';
    else {
      const next = argv[i + 1];
      if (next === undefined) return err(`${option} needs a value`);
      text = next;
      i++;
    }
    const values = given.get(key) ?? [];
    if (values.length > 0 && spec.kind !== 'list') return err(`${option} given more than once`);
    values.push(text);
    given.set(key, values);
  }
  const values: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(specs)) {
    const value = convert(optionName(key), spec, given.get(key));
    if (!value.ok) return value;
    values[key] = value.value;
  }
  return ok({ kind: 'values', values: values as ArgValues<A> });
}

function convert(
  option: string,
  spec: ArgSpec,
  texts: readonly string[] | undefined,
): Result<unknown, string> {
  switch (spec.kind) {
    case 'list': {
      for (const text of texts ?? []) {
        const problem = spec.check?.(text);
        if (problem !== undefined) return err(`${option}: ${problem}, got '${text}'`);
      }
      return ok(texts ?? []);
    }
    case 'flag': {
      const text = texts?.[0] ?? 'false';
      if (text !== 'true' && text !== 'false') return err(`${option} is a switch: true or false`);
      return ok(text === 'true');
    }
    case 'string': {
      const text = texts?.[0];
      if (text === undefined) return missing(option, spec.required, spec.default);
      if (spec.choices !== undefined && !spec.choices.includes(text)) {
        return err(`${option}: expected one of ${spec.choices.join(', ')}, got '${text}'`);
      }
      const problem = spec.check?.(text);
      if (problem !== undefined) return err(`${option}: ${problem}, got '${text}'`);
      return ok(text);
    }
    case 'integer': {
      const text = texts?.[0];
      if (text === undefined) return missing(option, spec.required, spec.default);
      const value = /^-?\d+$/.test(text) ? Number(text) : Number.NaN;
      const min = spec.min ?? Number.MIN_SAFE_INTEGER;
      const max = spec.max ?? Number.MAX_SAFE_INTEGER;
      if (!Number.isSafeInteger(value) || value < min || value > max) {
        const range = spec.min === undefined && spec.max === undefined ? '' : ` in ${min}-${max}`;
        return err(`${option}: expected an integer${range}, got '${text}'`);
      }
      return ok(value);
    }
  }
}

function missing(option: string, required: boolean | undefined, fallback: unknown) {
  return required === true ? err(`${option} is required`) : ok(fallback);
}

/** The lines of `--help` for one group of options, aligned. */
export function describeArgs(specs: ArgSpecs): string[] {
  const rows = Object.entries(specs).map(([key, spec]) => {
    const value = spec.kind === 'flag' ? '' : ` ${spec.placeholder ?? placeholderOf(spec)}`;
    const notes: string[] = [];
    if (spec.kind === 'list') notes.push('repeatable');
    if ((spec.kind === 'string' || spec.kind === 'integer') && spec.required === true) {
      notes.push('required');
    }
    if ((spec.kind === 'string' || spec.kind === 'integer') && spec.default !== undefined) {
      notes.push(`default: ${spec.default}`);
    }
    const suffix = notes.length === 0 ? '' : ` (${notes.join('; ')})`;
    return [`${optionName(key)}${value}`, `${spec.doc}${suffix}`] as const;
  });
  const width = Math.max(0, ...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`);
}

function placeholderOf(spec: ArgSpec): string {
  if (spec.kind === 'integer') return 'N';
  if (spec.kind === 'string' && spec.choices !== undefined) return spec.choices.join('|');
  return 'VALUE';
}
