// Where ClickHouse is and how to log in, from flags and the environment.
// Credentials come from TCPLENS_CLICKHOUSE_USER / TCPLENS_CLICKHOUSE_PASSWORD
// or --clickhouse-password-file, never from argv, and never appear in logs:
// describe() prints the URL without them. https:// URLs verify the server's
// certificate (--clickhouse-ca, a client certificate by file: tls.ts).
import * as fs from 'fs';
import type { Argv } from 'yargs';
import { ClickHouseLogLevel, createClient, type ClickHouseClient, type ClickHouseClientConfigOptions } from '@clickhouse/client';
import { TcplensError } from '../../util/errors';
import { checkIdentifier } from './schema';
import { TLS_OPTIONS, tlsAgent, tlsConfig, type ClickHouseTls, type TlsFlags } from './tls';

export interface ClickHouseConfig {
  url: string;
  user: string;
  password: string;
  database: string;
  /** https:// only: CA, client certificate, verification */
  tls?: ClickHouseTls;
}

export interface ClickHouseFlags extends TlsFlags {
  'clickhouse-url'?: string;
  'clickhouse-password-file'?: string;
  database?: string;
}

/** yargs options shared by `schema` and `run`. */
export function clickhouseOptions<T>(y: Argv<T>): Argv<T & ClickHouseFlags> {
  return y
    .option('clickhouse-url', {
      type: 'string',
      describe: 'ClickHouse HTTP URL (env TCPLENS_CLICKHOUSE_URL); user/password from TCPLENS_CLICKHOUSE_USER/_PASSWORD',
    })
    .option('clickhouse-password-file', {
      type: 'string',
      describe: 'file holding the ClickHouse password (instead of TCPLENS_CLICKHOUSE_PASSWORD)',
    })
    .options(TLS_OPTIONS)
    .option('database', { type: 'string', default: 'tcplens', describe: 'ClickHouse database' }) as unknown as Argv<T & ClickHouseFlags>;
}

/** The configured ClickHouse, or null when neither flag nor env names one. */
export function clickhouseConfig(flags: ClickHouseFlags, env: NodeJS.ProcessEnv = process.env): ClickHouseConfig | null {
  const raw = flags['clickhouse-url'] ?? env['TCPLENS_CLICKHOUSE_URL'];
  if (!raw) return null;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new TcplensError('EUSAGE', `--clickhouse-url: not a URL: ${redact(raw)}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new TcplensError('EUSAGE', `--clickhouse-url: http:// or https:// expected, got ${u.protocol}`);
  if (u.username || u.password) {
    throw new TcplensError(
      'EUSAGE',
      '--clickhouse-url must not carry credentials (argv is world-readable): use TCPLENS_CLICKHOUSE_USER and TCPLENS_CLICKHOUSE_PASSWORD or --clickhouse-password-file',
    );
  }
  let password = env['TCPLENS_CLICKHOUSE_PASSWORD'] ?? '';
  const file = flags['clickhouse-password-file'];
  if (file) {
    try {
      password = fs.readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch (e) {
      throw new TcplensError('EUSAGE', `--clickhouse-password-file: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? e}`);
    }
  }
  const tls = tlsConfig(u.protocol, flags, env);
  return {
    url: `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`,
    user: env['TCPLENS_CLICKHOUSE_USER'] ?? 'default',
    password,
    database: checkIdentifier('database', flags.database ?? 'tcplens'),
    ...(tls ? { tls } : {}),
  };
}

/** For logs: URL, user and database, never the password. */
export const describe = (c: ClickHouseConfig): string => `${c.url} (user ${c.user}, database ${c.database})`;

function redact(s: string): string {
  return s.replace(/\/\/[^@/]*@/, '//***@');
}

/** A client for `c`. The library's own logger is off: it prints to stderr
 * on every failed request; we report failures ourselves, once, redacted. */
export function makeClient(c: ClickHouseConfig, extra: Partial<ClickHouseClientConfigOptions> = {}): ClickHouseClient {
  // https: our own agent (CA, client certificate, verification), so that
  // credentials still go as HTTP basic auth, which every server version reads
  const agent = c.tls ? { http_agent: tlsAgent(c.tls, extra.max_open_connections ?? 10) } : {};
  return createClient({ url: c.url, username: c.user, password: c.password, log: { level: ClickHouseLogLevel.OFF }, ...extra, ...agent });
}
