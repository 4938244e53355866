// A saved question (library.ts) rendered for one server: placeholders
// replaced in a single pass by SQL tcplens writes itself. On 18.16 (no
// server-side parameters) each value is a literal made by literal.ts; on
// modern servers it is a typed server parameter ({p_name:Type}, sent apart
// from the query text).
import type { Dialect } from '../sinks/clickhouse/dialect';
import { checkIdentifier } from '../sinks/clickhouse/schema';
import { TcplensError, usage } from '../util/errors';
import type { Question } from './library';
import { addressLiteral, literal } from './literal';
import { parseDurationNs, parseText, parseUInt, type Typed } from './params';
import { coveredFromSql, ROLLUPS, rollupSpan } from './rollup';

/** The common filters, typed (cli/query_flags.ts parses the flags into these). */
export interface Filters {
  /** window, unix seconds: [since, until) */
  since: bigint;
  until: bigint;
  host?: string;
  peer?: Typed & { type: 'AddrRange' };
  /** our end's address or CIDR */
  local?: Typed & { type: 'AddrRange' };
  port?: bigint;
  local_port?: bigint;
  peer_port?: bigint;
  pid?: bigint;
  comm?: string;
  cgroup?: bigint;
  netns?: bigint;
}

export const FILTER_NAMES = ['host', 'peer', 'local', 'port', 'local_port', 'peer_port', 'pid', 'comm', 'cgroup', 'netns'] as const;
export type FilterName = (typeof FILTER_NAMES)[number];

/** The flag of a filter (local_port: --local-port). */
export const filterFlag = (f: string): string => `--${f.replace(/_/g, '-')}`;

/** The columns the tables of one socket's records share (16-byte addresses, ports, owner). */
const SOCKET_COLUMNS = { host: 'host', peer: 'dst', local: 'src', port: 'port', local_port: 'sport', peer_port: 'dport' } as const;
const OWNER_COLUMNS = { pid: 'tgid', comm: 'comm', cgroup: 'cgroup_id', netns: 'netns_inode' } as const;

/** Per table: the column each common filter compares; absent = the table cannot answer it. tcp_flows
 * keeps addresses as text, and (010) as 16 bytes in peer_addr and local_addr; the others as 16 bytes, IPv4 mapped. */
const FILTER_COLUMNS: Record<string, Partial<Record<FilterName, string>>> = {
  tcp_flows: { ...SOCKET_COLUMNS, ...OWNER_COLUMNS, peer: 'peer_addr', local: 'local_addr' },
  tcp_events: { ...SOCKET_COLUMNS, ...OWNER_COLUMNS },
  tcp_snapshots: { ...SOCKET_COLUMNS, cgroup: 'cgroup_id', netns: 'netns_inode' },
  task_samples: { ...SOCKET_COLUMNS, ...OWNER_COLUMNS },
  socket_owners: { host: 'host', ...OWNER_COLUMNS },
};

/** The common filters a question accepts: those every table it filters can answer. */
export function acceptedFilters(q: Question): FilterName[] {
  return FILTER_NAMES.filter((f) => q.whereTables.every((t) => FILTER_COLUMNS[t]?.[f] !== undefined));
}

export interface Rendered {
  sql: string;
  /** modern servers: the values of the {p_*:Type} placeholders */
  params: Record<string, string>;
}

/** Binds typed values: literals (18.16) or server parameters (modern). */
class Binder {
  readonly params: Record<string, string> = {};
  private n = 0;
  constructor(
    private readonly modern: boolean,
    /** SQL that stands for a value (a dashboard's $from), by parameter name: tcplens's own text, never a user's */
    private readonly macros: Readonly<Record<string, string>> = {},
  ) {}

  bind(name: string, v: Typed & { type: 'UInt64' | 'String' }): string {
    const macro = this.macros[name];
    if (macro !== undefined) return macro;
    // LIMIT takes a number, never an expression or (on older servers) a parameter: digits we wrote
    if (!this.modern || name === 'limit') return literal(v);
    const p = `p_${name}_${++this.n}`;
    this.params[p] = v.type === 'UInt64' ? BigInt.asUintN(64, v.value).toString() : v.value;
    return `{${p}:${v.type}}`;
  }

  address(name: string, b: Buffer): string {
    if (!this.modern) return addressLiteral(b);
    return `toFixedString(unhex(${this.bind(name, { type: 'String', value: b.toString('hex') })}), 16)`;
  }
}

const u64 = (value: bigint): Typed & { type: 'UInt64' } => ({ type: 'UInt64', value });

/** Typed values of the question's own parameters from the user's text (defaults filled). */
export function questionParams(q: Question, given: Record<string, string | undefined>): Map<string, Typed & { type: 'UInt64' | 'String' }> {
  const out = new Map<string, Typed & { type: 'UInt64' | 'String' }>();
  for (const p of q.params) {
    const text = given[p.name] ?? p.def;
    const flag = p.name.replace(/_/g, '-');
    if (text === undefined) throw usage(`${q.name} needs --${flag} (${p.describe})`);
    switch (p.kind) {
      case 'uint':
        out.set(p.name, u64(parseUInt(text, flag)));
        break;
      case 'duration':
        out.set(p.name, u64(parseDurationNs(text, flag)));
        break;
      case 'enum':
        if (!p.choices.includes(text)) throw usage(`--${flag}: "${String(text).slice(0, 40)}" is not one of ${p.choices.join(', ')}`);
        out.set(p.name, { type: 'String', value: text });
        break;
      case 'string':
        out.set(p.name, { type: 'String', value: parseText(text, flag) });
        break;
    }
  }
  return out;
}

/** The comparisons of each given filter in one table's (or rollup's) columns. */
function filterParts(table: string, cols: Partial<Record<FilterName, string>>, f: Filters, b: Binder): string[] {
  const parts: string[] = [];
  for (const name of FILTER_NAMES) {
    const v = f[name];
    if (v === undefined) continue;
    const col = cols[name];
    if (!col) throw usage(`${filterFlag(name)} does not apply here: ${table} has no ${name}`);
    if (name === 'peer' || name === 'local') {
      const r = v as Typed & { type: 'AddrRange' };
      parts.push(`${col} BETWEEN ${b.address(`${name}_lo`, r.lo)} AND ${b.address(`${name}_hi`, r.hi)}`);
    } else if (name === 'port') {
      const p = b.bind('port', u64(v as bigint));
      parts.push(`(sport = ${p} OR dport = ${p})`);
    } else if (typeof v === 'string') {
      parts.push(`${col} = ${b.bind(name, { type: 'String', value: v })}`);
    } else {
      parts.push(`${col} = ${b.bind(name, u64(v as bigint))}`);
    }
  }
  return parts;
}

/** The filter conjunction for one table: the window on ts, then each given filter. */
function where(table: string, f: Filters, b: Binder): string {
  const cols = FILTER_COLUMNS[table];
  if (!cols) throw new Error(`{{where:${table}}}: no filter columns for table ${table}`);
  const window = [`ts >= toDateTime(${b.bind('since', u64(f.since))})`, `ts < toDateTime(${b.bind('until', u64(f.until))})`];
  return [...window, ...filterParts(table, cols, f, b)].join(' AND ');
}

/** How a rendering reads the rollups (rollup.ts). */
export type RollupUse =
  /** where they give the raw rows' answer, from the time the server says they cover */
  | 'auto'
  /** never: raw rows only */
  | 'off'
  /** as 'auto', but covering every row from this unix second (data known to have been inserted after the views existed: tests, bench) */
  | { coveredFrom: bigint };

/** {{rollup:T}} (the rollup's whole minutes of the window) and {{outside:T}} (the raw rows of the rest) */
function rollupPart(
  kind: 'rollup' | 'outside',
  table: string,
  o: {
    db: string;
    q: Question;
    filters: Filters;
    use: RollupUse;
    macros: Readonly<Record<string, string>>;
    values: ReturnType<typeof questionParams>;
  },
  b: Binder,
): string {
  const r = ROLLUPS[table];
  if (!r) throw new TcplensError('EUSAGE', `${o.q.name}.sql: {{${kind}:${table}}}: no such rollup`);
  const wholeMinutes = (name: string): boolean => {
    const v = o.values.get(name);
    return o.macros[name] === undefined && v?.type === 'UInt64' && v.value % 60_000_000_000n === 0n;
  };
  // every filter in its key, every bucket width whole minutes (a dashboard's is not known here)
  const usable =
    o.use !== 'off' &&
    FILTER_NAMES.every((n) => o.filters[n] === undefined || r.columns[n] !== undefined) &&
    o.q.params.every((p) => p.kind !== 'duration' || wholeMinutes(p.name));
  if (!usable) return kind === 'rollup' ? '0' : '1';
  // a whole minute: the rollup's rows are whole minutes
  const covered = typeof o.use === 'object' ? `toDateTime(${((o.use.coveredFrom + 59n) / 60n) * 60n})` : coveredFromSql(o.db, r);
  const span = rollupSpan(b.bind('since', u64(o.filters.since)), b.bind('until', u64(o.filters.until)), covered);
  if (kind === 'outside') return `(ts < ${span.from} OR ts >= ${span.to})`;
  return [`minute >= ${span.from}`, `minute < ${span.to}`, ...filterParts(table, r.columns, o.filters, b)].join(' AND ');
}

/** The question's SQL for `dialect`, every placeholder replaced in one pass. */
export function renderQuestion(
  q: Question,
  o: {
    database: string;
    dialect: Dialect;
    filters: Filters;
    params?: Record<string, string | undefined>;
    /** a dashboard's rendering: values as literals on every server, and these SQL macros for the named values (since, until, step) */
    macros?: Readonly<Record<string, string>>;
    /** the rollups (011): read where they give the same answer (default 'auto') */
    rollups?: RollupUse;
  },
): Rendered {
  const db = checkIdentifier('database', o.database);
  for (const name of FILTER_NAMES) {
    if (o.filters[name] !== undefined && !acceptedFilters(q).includes(name))
      throw usage(`${filterFlag(name)} does not apply to ${q.name} (it reads ${q.whereTables.join(', ')})`);
  }
  // a requirement is one filter, or alternatives (peer|local: either)
  for (const r of q.requires) {
    const alts = r.split('|');
    if (alts.every((f) => o.filters[f as FilterName] === undefined)) throw usage(`${q.name} needs ${alts.map(filterFlag).join(' or ')}`);
  }
  if (o.filters.until <= o.filters.since) throw usage('--until must be later than --since');
  const values = questionParams(q, o.params ?? {});
  const b = new Binder(o.dialect.modern && !o.macros, o.macros);
  const sql = q.body.replace(/\{\{(\w+)(?::(\w+))?\}\}/g, (_, k: string, arg: string | undefined) => {
    if (k === 'where' && arg) return where(arg, o.filters, b);
    if ((k === 'rollup' || k === 'outside') && arg)
      return rollupPart(k, arg, { db, q, filters: o.filters, use: o.rollups ?? 'auto', macros: o.macros ?? {}, values }, b);
    if (k === 'db') return db;
    // a 16-byte address column as text, IPv4 without its ::ffff: prefix
    if (k === 'addr' && arg) return `replaceRegexpOne(IPv6NumToString(${arg}), '^::ffff:', '')`;
    if (k === 'since' || k === 'until') return b.bind(k, u64(o.filters[k]));
    const v = values.get(k);
    if (v === undefined) throw new TcplensError('EUSAGE', `${q.name}.sql: unknown placeholder {{${k}}}`);
    return b.bind(k, v);
  });
  return { sql, params: b.params };
}
