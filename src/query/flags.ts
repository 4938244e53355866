// Flags shared by `tcplens query` and `tcplens flow`: where ClickHouse is
// (as for `run`), the window, the common filters and the output format,
// parsed into typed values (params.ts) before anything is rendered.
import type { Argv } from 'yargs';
import {
  clickhouseConfig,
  clickhouseCredentials,
  clickhouseOptions,
  type ClickHouseConfig,
  type ClickHouseFlags,
} from '../sinks/clickhouse/config';
import { LOCAL_DEFAULTS } from '../sinks/clickhouse/local_server';
import { readLocalPassword } from '../sinks/clickhouse/local_password';
import { parseCgroup, parseNetns, parsePeer, parseText, parseTime, parseUInt } from './params';
import { FORMATS, type Format } from './format';
import type { Filters } from './render';

export interface QueryFlags extends ClickHouseFlags {
  since: string;
  until?: string;
  host?: string;
  peer?: string;
  local?: string;
  port?: string;
  'local-port'?: string;
  'peer-port'?: string;
  pid?: string;
  comm?: string;
  cgroup?: string;
  netns?: string;
  format: Format;
  'print-sql': boolean;
  'server-version'?: string;
}

export function queryOptions<T>(y: Argv<T>, defaultSince: string): Argv<T & QueryFlags> {
  // filters are strings: each is parsed by its own typed parser, never by yargs' number coercion
  const s = (describe: string): { type: 'string'; describe: string; requiresArg: true } => ({
    type: 'string',
    describe,
    requiresArg: true,
  });
  return clickhouseOptions(y)
    .option('since', { ...s('window start: relative (1h, 30m, 7d) or absolute (ISO 8601, unix seconds)'), default: defaultSince })
    .option('until', s('window end (default: now)'))
    .option('host', s('rows written by this tcplens host name only'))
    .option('peer', s('peer address or CIDR, IPv4 or IPv6 (10.0.0.5, 10.0.0.0/8, 2001:db8::/32)'))
    .option('local', s('our end: local address or CIDR, IPv4 or IPv6'))
    .option('port', s('local or peer port'))
    .option('local-port', s('local port only'))
    .option('peer-port', s('peer port only'))
    .option('pid', s('process id (tgid)'))
    .option('comm', s('process name (comm)'))
    .option('cgroup', s('cgroup v2 id, or its path (/system.slice/x.service)'))
    .option('netns', s('network namespace: inode, or a name under /run/netns'))
    .option('format', { choices: FORMATS, default: 'table' as Format, describe: 'output format' })
    .option('print-sql', { type: 'boolean', default: false, describe: 'print the rendered SQL (and parameters) instead of running it' })
    .option('server-version', {
      type: 'string',
      describe: 'with --print-sql: render for this server version (default 18.16; no server is asked)',
    }) as unknown as Argv<T & QueryFlags>;
}

/** The typed filters of the flags; a value that does not parse is a one-line usage error. */
export function parseFilters(a: QueryFlags, nowMs = Date.now()): Filters {
  const f: Filters = {
    since: parseTime(a.since, 'since', nowMs),
    until: a.until === undefined ? BigInt(Math.floor(nowMs / 1000) + 1) : parseTime(a.until, 'until', nowMs),
  };
  if (a.host !== undefined) f.host = parseText(a.host, 'host');
  if (a.peer !== undefined) f.peer = parsePeer(a.peer);
  if (a.local !== undefined) f.local = parsePeer(a.local, 'local');
  if (a.port !== undefined) f.port = parseUInt(a.port, 'port', 65535n);
  if (a['local-port'] !== undefined) f.local_port = parseUInt(a['local-port'], 'local-port', 65535n);
  if (a['peer-port'] !== undefined) f.peer_port = parseUInt(a['peer-port'], 'peer-port', 65535n);
  if (a.pid !== undefined) f.pid = parseUInt(a.pid, 'pid', 4294967295n);
  if (a.comm !== undefined) f.comm = parseText(a.comm, 'comm', 64);
  if (a.cgroup !== undefined) f.cgroup = parseCgroup(a.cgroup);
  if (a.netns !== undefined) f.netns = parseNetns(a.netns);
  return f;
}

/** The ClickHouse to ask: flags / TCPLENS_* as for run, else run's private local server's address. */
export function queryTarget(a: QueryFlags): ClickHouseConfig {
  return (
    clickhouseConfig(a) ?? {
      url: `http://127.0.0.1:${LOCAL_DEFAULTS.httpPort}`,
      user: 'default',
      password: clickhouseCredentials(a).password ?? readLocalPassword(LOCAL_DEFAULTS.dir) ?? '',
      database: a.database ?? 'tcplens',
    }
  );
}
