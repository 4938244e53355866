// tcplens query NAME: a saved question (schema/queries/NAME.sql) asked of the
// ClickHouse tcplens writes to; tcplens query --list names them all.
import type { Argv, ArgumentsCamelCase } from 'yargs';
import { loadLibrary, type ParamSpec, type Question } from '../query/library';
import { queryOptions, type QueryFlags } from '../query/flags';
import { acceptedFilters, filterFlag } from '../query/render';
import { answer } from '../query/cli_common';
import { Output } from '../util/output';
import { usage } from '../util/errors';
import { clip } from '../config/env';
import { checkQueryFlags } from './checks';

interface QueryArgs extends QueryFlags {
  name?: string;
  list: boolean;
  [param: string]: unknown;
}

const flagOf = (p: ParamSpec): string => p.name.replace(/_/g, '-');

/** The library's question-specific flags, once each (the same name means the same kind everywhere). */
function paramFlags(lib: Map<string, Question>): Map<string, ParamSpec> {
  const out = new Map<string, ParamSpec>();
  for (const q of lib.values()) for (const p of q.params) if (!out.has(flagOf(p))) out.set(flagOf(p), p);
  return out;
}

export const command = 'query [name]';
export const describe = 'ask a saved question (schema/queries/) of the stored flows, snapshots and events';

export const builder = (y: Argv): Argv<QueryArgs> => {
  let b = queryOptions(
    y
      .positional('name', { type: 'string', describe: 'question name (tcplens query --list)' })
      .option('list', { type: 'boolean', default: false, describe: 'list the saved questions, their purpose and parameters' }),
    '1h',
  );
  for (const [flag, p] of paramFlags(loadLibrary()))
    b = b.option(flag, { type: 'string', requiresArg: true, describe: `${p.describe} (questions that take it)` });
  return b
    .example('$0 query --list', 'the saved questions')
    .example('$0 query retransmit-top --since 30m --by process', 'who retransmitted most in the last 30 minutes')
    .example('$0 query who-talked --peer 10.1.2.0/24 --format csv', 'processes that talked to a subnet') as unknown as Argv<QueryArgs>;
};

export function listText(lib: Map<string, Question>): string {
  const lines: string[] = [];
  for (const q of lib.values()) {
    if (q.name.startsWith('flow-')) continue; // tcplens flow's own (flow-timeline, flow-find)
    lines.push(`${q.name}  ${q.purpose}`);
    const ps = q.params.map((p) => {
      const val = p.kind === 'enum' ? p.choices.join('|') : p.kind === 'duration' ? 'DURATION' : p.kind === 'uint' ? 'N' : 'TEXT';
      return `--${flagOf(p)} ${val}${p.def !== undefined ? ` (default ${p.def})` : ''}`;
    });
    const filters = acceptedFilters(q).map((f) => `${filterFlag(f)}${q.requires.includes(f) ? ' (required)' : ''}`);
    lines.push(`    ${['--since', '--until', ...filters, ...ps].join(' ')}`);
  }
  lines.push(
    "flow COOKIE  one socket's timeline (or found by address and port: flow --peer ADDR --port N, --local ADDR --local-port N, a 4-tuple): tcplens flow --help",
  );
  return lines.join('\n') + '\n';
}

/** The question and its parameters, every flag checked (values parsed, the SQL rendered once), before a server is asked. */
export function validate(args: QueryArgs): { list: true } | { list: false; q: Question; params: Record<string, string | undefined> } {
  const lib = loadLibrary();
  if (args.list) return { list: true };
  if (!args.name) throw usage('name a question (tcplens query --list)');
  const q = lib.get(args.name);
  if (!q) throw usage(`no saved question "${clip(String(args.name))}" (tcplens query --list): ${[...lib.keys()].join(', ')}`);
  const own = new Set(q.params.map(flagOf));
  const params: Record<string, string | undefined> = {};
  for (const flag of paramFlags(lib).keys()) {
    const v = args[flag];
    if (v === undefined) continue;
    if (!own.has(flag)) throw usage(`--${flag} does not apply to ${q.name} (tcplens query --list)`);
    params[flag.replace(/-/g, '_')] = String(v);
  }
  checkQueryFlags(q, args, params);
  return { list: false, q, params };
}

export async function handler(args: ArgumentsCamelCase<QueryArgs>): Promise<void> {
  const v = validate(args);
  if (v.list) {
    const out = new Output();
    await out.write(listText(loadLibrary()));
    await out.flush();
    return;
  }
  await answer(v.q, args, v.params);
}
