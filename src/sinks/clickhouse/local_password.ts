// The password of the private ClickHouse that `tcplens run` starts when none
// is configured: without one, every local account could read every tenant's
// connections on 127.0.0.1 and write into the tables. Generated at first
// start (24 random bytes, base64url), kept in <server dir>/password (0600, in
// a 0700 directory), or taken from TCPLENS_CLICKHOUSE_PASSWORD(_FILE). It never goes
// on argv (the server reads its SHA-256 from users.xml) and is never logged.
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { TcplensError } from '../../util/errors';
import { PRIVATE_FILE_MODE } from '../../util/private_dir';
import { clickhouseCredentials } from './config';

export const passwordFile = (dir: string): string => path.join(path.resolve(dir), 'password');

/** The password in `dir`'s file, or null when there is none (or we may not read it). */
export function readLocalPassword(dir: string): string | null {
  try {
    const p = fs.readFileSync(passwordFile(dir), 'utf8').replace(/\r?\n$/, '');
    return p.length ? p : null;
  } catch {
    return null;
  }
}

/** The env's password, else the file's, else a new one written to the file
 * (created 0600 and exclusively: a file someone else made first is read, not replaced). */
export function localPassword(dir: string, env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = clickhouseCredentials({}, env).password;
  if (fromEnv) return fromEnv;
  const have = readLocalPassword(dir);
  if (have !== null) return have;
  const p = crypto.randomBytes(24).toString('base64url');
  const f = passwordFile(dir);
  try {
    fs.writeFileSync(f, `${p}\n`, { mode: PRIVATE_FILE_MODE, flag: 'wx' });
  } catch (e) {
    const again = readLocalPassword(dir); // another run made it first
    if (again !== null) return again;
    throw new TcplensError(
      'ECLICKHOUSE',
      `cannot write the local ClickHouse password file ${f}: ${(e as NodeJS.ErrnoException).code ?? e}`,
    );
  }
  fs.chmodSync(f, PRIVATE_FILE_MODE);
  return p;
}

export const sha256Hex = (s: string): string => crypto.createHash('sha256').update(s, 'utf8').digest('hex');
