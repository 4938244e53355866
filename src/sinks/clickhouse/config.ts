// Where ClickHouse is and how to log in, from flags and the environment.
// Credentials come from TCPLENS_CLICKHOUSE_USER, and the password from
// --clickhouse-password-file / TCPLENS_CLICKHOUSE_PASSWORD_FILE or
// TCPLENS_CLICKHOUSE_PASSWORD (clickhouseCredentials: every command reads
// them the same way), never from argv, and never appear in logs or errors:
// describe() prints the URL without them. https:// URLs verify the server's
// certificate (--clickhouse-ca, a client certificate by file: tls.ts).
import * as fs from 'fs';
import type { Argv } from 'yargs';
import type { ClickHouseClient, ClickHouseClientConfigOptions } from '@clickhouse/client';
import { TcplensError } from '../../util/errors';
import { clip, CLICKHOUSE_ENV } from '../../config/env';
import { clickhouseLib } from './client_lib';
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
      describe: 'file holding the ClickHouse password (env TCPLENS_CLICKHOUSE_PASSWORD_FILE; instead of TCPLENS_CLICKHOUSE_PASSWORD)',
    })
    .options(TLS_OPTIONS)
    .option('database', { type: 'string', default: 'tcplens', describe: 'ClickHouse database' }) as unknown as Argv<T & ClickHouseFlags>;
}

export interface ClickHouseCredentials {
  user: string;
  /** undefined: none given (the private server's own, or none) */
  password?: string;
}

/** The user and password every command logs in with: TCPLENS_CLICKHOUSE_USER
 * (default "default"); the password from --clickhouse-password-file, else
 * TCPLENS_CLICKHOUSE_PASSWORD_FILE, else TCPLENS_CLICKHOUSE_PASSWORD. An
 * unreadable file is one usage error naming the flag or variable and the
 * path, never the password. */
export function clickhouseCredentials(
  flags: Pick<ClickHouseFlags, 'clickhouse-password-file'>,
  env: NodeJS.ProcessEnv = process.env,
): ClickHouseCredentials {
  const user = env[CLICKHOUSE_ENV.user] || 'default';
  const byFlag = flags['clickhouse-password-file'];
  const file = byFlag || env[CLICKHOUSE_ENV.passwordFile];
  if (!file) {
    const password = env[CLICKHOUSE_ENV.password];
    return { user, ...(password !== undefined ? { password } : {}) };
  }
  const source = byFlag ? '--clickhouse-password-file' : CLICKHOUSE_ENV.passwordFile;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new TcplensError('EUSAGE', `${source}: cannot read ${clip(file)}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  return { user, password: text.replace(/\r?\n$/, '') };
}

/** The configured ClickHouse, or null when neither flag nor env names one. */
export function clickhouseConfig(flags: ClickHouseFlags, env: NodeJS.ProcessEnv = process.env): ClickHouseConfig | null {
  const raw = flags['clickhouse-url'] ?? env[CLICKHOUSE_ENV.url];
  if (!raw) {
    tlsConfig('http:', flags, env); // a TLS setting without a server to use it with: one line, not ignored
    return null;
  }
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new TcplensError('EUSAGE', `--clickhouse-url: not a URL: ${clip(redact(raw))}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new TcplensError('EUSAGE', `--clickhouse-url: http:// or https:// expected, got ${u.protocol}`);
  if (u.username || u.password) {
    throw new TcplensError(
      'EUSAGE',
      '--clickhouse-url must not carry credentials (argv is world-readable): use TCPLENS_CLICKHOUSE_USER and TCPLENS_CLICKHOUSE_PASSWORD or --clickhouse-password-file',
    );
  }
  const { user, password } = clickhouseCredentials(flags, env);
  const tls = tlsConfig(u.protocol, flags, env);
  return {
    url: `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`,
    user,
    password: password ?? '',
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
  const { createClient, ClickHouseLogLevel } = clickhouseLib();
  return createClient({ url: c.url, username: c.user, password: c.password, log: { level: ClickHouseLogLevel.OFF }, ...extra, ...agent });
}
