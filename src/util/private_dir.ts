// Directories and files that hold other tenants' connections (the spool, the
// local ClickHouse's data and config): owner only. A directory that already
// exists is tightened too (a --spool-dir made 0755 by hand, or by an older
// tcplens); parents created on the way are 0700 as well.
import * as fs from 'fs';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

export function privateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  fs.chmodSync(dir, PRIVATE_DIR_MODE);
}
