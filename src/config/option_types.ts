// The declared type of every option of a command, read from its yargs parser
// (getOptions()), and the check that each parsed value has it: a flag given
// twice (yargs makes an array of it), a number flag that did not parse (NaN,
// or 1e309 = Infinity), a --config value of another type. What yargs does not
// refuse by itself becomes one line naming the flag, before the command runs.
import type { Argv } from 'yargs';
import { usage } from '../util/errors';

export type OptionType = 'string' | 'number' | 'boolean' | 'other';

/** yargs's own view of a parser's options (getOptions() exists at run time; @types/yargs does not declare it). */
export interface YargsOptions {
  key: Record<string, unknown>;
  string: string[];
  number: string[];
  boolean: string[];
  alias: Record<string, string[]>;
  choices: Record<string, unknown[]>;
  configObjects?: unknown[];
}

export const yargsOptions = (y: Argv<unknown>): YargsOptions => (y as unknown as { getOptions(): YargsOptions }).getOptions();

export interface OptionTypes {
  /** canonical (kebab-case) name -> type */
  types: Map<string, OptionType>;
  /** the values an option takes, where it names them */
  choices: Map<string, readonly unknown[]>;
  /** the canonical name of a flag, alias or camelCase spelling; undefined when the command has none */
  canonical(name: string): string | undefined;
}

const camel = (s: string): string => s.replace(/-([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

/** yargs's built-in flags: not settings. */
export const BUILTIN = new Set(['help', 'version']);

export function optionTypes(o: YargsOptions): OptionTypes {
  const aliasOf = new Map<string, string>();
  for (const [k, as] of Object.entries(o.alias)) for (const a of as) aliasOf.set(a, k);
  const types = new Map<string, OptionType>();
  const names = new Map<string, string>();
  for (const k of Object.keys(o.key)) {
    if (aliasOf.has(k) || BUILTIN.has(k)) continue;
    const t: OptionType = o.number.includes(k) ? 'number' : o.boolean.includes(k) ? 'boolean' : o.string.includes(k) ? 'string' : 'other';
    types.set(k, t);
    for (const n of [k, camel(k), ...(o.alias[k] ?? [])]) names.set(n, k);
  }
  const choices = new Map<string, readonly unknown[]>();
  for (const [k, c] of Object.entries(o.choices)) if (types.has(k)) choices.set(k, c);
  return { types, choices, canonical: (name) => names.get(name) };
}

/** The type of a JSON or parsed value, for messages. */
export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : Number.isFinite(v) ? `the number ${v}` : 'an infinite number';
  if (typeof v === 'object') return 'an object';
  return `a ${typeof v}`;
}

/** Throws one usage error for the first parsed value that is not of its option's type. */
export function checkTypes(argv: Record<string, unknown>, t: OptionTypes): void {
  for (const [k, type] of t.types) {
    const v = argv[k];
    if (v === undefined) continue;
    if (Array.isArray(v)) throw usage(`--${k}: given ${v.length} times; give it once`);
    if (type === 'number' && !(typeof v === 'number' && Number.isFinite(v)))
      throw usage(`--${k}: a number expected${typeof v === 'number' ? '' : `, got ${typeName(v)}`}`);
    if (type === 'boolean' && typeof v !== 'boolean') throw usage(`--${k}: true or false expected, got ${typeName(v)}`);
    if (type === 'string' && typeof v !== 'string') throw usage(`--${k}: a value expected, got ${typeName(v)}`);
  }
}
