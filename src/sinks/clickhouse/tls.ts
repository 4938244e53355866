// TLS to ClickHouse (https:// URLs): the CA to verify the server with and an
// optional client certificate, read once from files named by flag or
// environment (paths on argv, never the keys themselves), and the one line a
// certificate that does not verify becomes. Verification is on unless the
// operator opts out with --clickhouse-insecure.
import * as fs from 'fs';
import * as https from 'https';
import { TcplensError } from '../../util/errors';
import { clip, CLICKHOUSE_ENV, envBoolean } from '../../config/env';

export interface ClickHouseTls {
  /** PEM CA bundle; absent = the system's CAs (Node's bundled roots) */
  ca?: Buffer;
  /** PEM client certificate and key, both or neither */
  cert?: Buffer;
  key?: Buffer;
  /** the operator opted out of verifying the server's certificate */
  insecure: boolean;
}

export interface TlsFlags {
  'clickhouse-ca'?: string;
  'clickhouse-cert'?: string;
  'clickhouse-key'?: string;
  'clickhouse-insecure'?: boolean;
}

export const TLS_OPTIONS = {
  'clickhouse-ca': {
    type: 'string',
    describe: 'PEM file of the CA that signed the ClickHouse server certificate (https:// URLs; env TCPLENS_CLICKHOUSE_CA)',
  },
  'clickhouse-cert': {
    type: 'string',
    describe: 'PEM client certificate file for ClickHouse (with --clickhouse-key; env TCPLENS_CLICKHOUSE_CERT)',
  },
  'clickhouse-key': { type: 'string', describe: 'PEM private key file of --clickhouse-cert (env TCPLENS_CLICKHOUSE_KEY)' },
  'clickhouse-insecure': {
    type: 'boolean',
    describe: 'do not verify the ClickHouse server certificate (env TCPLENS_CLICKHOUSE_INSECURE=1)',
  },
} as const;

/** A file setting: its path and where it came from (the flag, or the variable). */
interface FileSetting {
  file: string;
  from: string;
}

function fileSetting(flags: TlsFlags, env: NodeJS.ProcessEnv, what: 'ca' | 'cert' | 'key'): FileSetting | undefined {
  const byFlag = flags[`clickhouse-${what}`];
  if (byFlag) return { file: byFlag, from: `--clickhouse-${what}` };
  const byEnv = env[CLICKHOUSE_ENV[what]];
  return byEnv ? { file: byEnv, from: CLICKHOUSE_ENV[what] } : undefined;
}

function readPem(s: FileSetting, what: RegExp): Buffer {
  let b: Buffer;
  try {
    b = fs.readFileSync(s.file);
  } catch (e) {
    throw new TcplensError('EUSAGE', `${s.from}: cannot read ${clip(s.file)}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  if (!what.test(b.toString('latin1')))
    throw new TcplensError('EUSAGE', `${s.from}: ${clip(s.file)} holds no PEM ${what.source.replace(/\\/g, '')}`);
  return b;
}

/** The TLS settings of flags/env for `protocol`; null for http:// (where any TLS flag is a usage error). */
export function tlsConfig(protocol: string, flags: TlsFlags, env: NodeJS.ProcessEnv): ClickHouseTls | null {
  const ca = fileSetting(flags, env, 'ca');
  const cert = fileSetting(flags, env, 'cert');
  const key = fileSetting(flags, env, 'key');
  const rawInsecure = env[CLICKHOUSE_ENV.insecure];
  const insecure =
    flags['clickhouse-insecure'] ??
    (rawInsecure !== undefined && rawInsecure !== '' ? envBoolean(CLICKHOUSE_ENV.insecure, rawInsecure) : false);
  if (protocol !== 'https:') {
    const given = [ca?.from, cert?.from, key?.from, insecure ? '--clickhouse-insecure' : undefined].filter(Boolean);
    if (given.length) throw new TcplensError('EUSAGE', `${given[0]}: only with an https:// --clickhouse-url`);
    return null;
  }
  if (!cert !== !key) throw new TcplensError('EUSAGE', '--clickhouse-cert and --clickhouse-key: give both or neither');
  return {
    ...(ca ? { ca: readPem(ca, /-----BEGIN CERTIFICATE-----/) } : {}),
    ...(cert ? { cert: readPem(cert, /-----BEGIN CERTIFICATE-----/) } : {}),
    ...(key ? { key: readPem(key, /-----BEGIN [A-Z ]*PRIVATE KEY-----/) } : {}),
    insecure,
  };
}

/** An agent for the client (@clickhouse/client's http_agent): our CA, client
 * certificate and verification choice; keep-alive and a socket bound as the client's own. */
export function tlsAgent(t: ClickHouseTls, maxSockets: number): https.Agent {
  return new https.Agent({
    keepAlive: true,
    maxSockets,
    ...(t.ca ? { ca: t.ca } : {}),
    ...(t.cert && t.key ? { cert: t.cert, key: t.key } : {}),
    rejectUnauthorized: !t.insecure,
  });
}

// OpenSSL's verification failures as Node reports them (err.code)
const VERIFY_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** One line for a TLS failure (the server's certificate does not verify, or
 * the handshake was refused), or null when `e` is not one. */
export function tlsFailure(e: unknown, url: string): string | null {
  const err = e as NodeJS.ErrnoException | undefined;
  const code = err?.code ?? '';
  const msg = String(err?.message ?? '').split('\n')[0] ?? '';
  if (VERIFY_CODES.has(code))
    return `ClickHouse at ${url}: server certificate not trusted (${code}: ${msg}); give the CA that signed it with --clickhouse-ca, or opt out with --clickhouse-insecure`;
  if (/^ERR_SSL_|^EPROTO$/.test(code) || /SSL routines|alert handshake|wrong version number/i.test(msg))
    return `ClickHouse at ${url}: TLS handshake failed (${code || 'TLS'}: ${msg}); is it an https port, and does it want a client certificate (--clickhouse-cert/--clickhouse-key)?`;
  return null;
}
